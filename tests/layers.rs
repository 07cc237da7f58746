//! The layers of `docs/architecture.md` only point down: every `crate::<module>` a top-level
//! module of `src/` names (outside comments and its unit tests) is in a lower layer. An import
//! that runs back up fails here, naming the file and the line.

use std::path::{Path, PathBuf};

/// The layers, bottom first (the table of `docs/architecture.md`). Modules of one layer do not
/// use each other.
const LAYERS: &[&[&str]] = &[
    &[
        "constants",
        "range",
        "csv_table",
        "figures",
        "error_chain",
        "toml_position",
        "text_decode",
    ],
    &["numerics", "html"],
    &["physics"],
    &["protocol"],
    &["impedance", "measured"],
    &["output"],
    &["scenario"],
    &["validation"],
    &["fitting"],
    &["sweep", "robustness"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code lines of `text` with their 0-based numbers: comment lines and the unit tests at
/// the end of a file left out.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let code = match text.find("#[cfg(test)]\nmod ") {
        Some(end) => &text[..end],
        None => text,
    };
    code.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
}

/// The top-level modules named as `crate::<module>` in `text`, with their 1-based lines,
/// skipping comment lines and the unit tests at the end of a file.
fn uses(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (k, line) in code_lines(text) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((k + 1, name));
            }
            rest = after;
        }
    }
    found
}

#[test]
fn every_import_points_down() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
            .expect("a module name");
        // The crate root and the binary sit above every layer.
        if top == "lib" || top == "bin" {
            continue;
        }
        let own =
            layer_of(&top).unwrap_or_else(|| panic!("src/{top} is in no layer of tests/layers.rs"));
        let text = std::fs::read_to_string(file).expect("readable source");
        for (line, used) in uses(&text) {
            if used == top {
                continue;
            }
            let Some(theirs) = layer_of(&used) else {
                panic!(
                    "{}:{line}: crate::{used} is in no layer",
                    relative.display()
                );
            };
            checked += 1;
            if theirs >= own {
                upward.push(format!(
                    "src/{}:{line}: `{top}` (layer {own}) uses `crate::{used}` (layer {theirs})",
                    relative.display()
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} imports seen");
    assert!(
        upward.is_empty(),
        "imports that do not point down:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_layer_map_is_documented() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"),
    )
    .expect("docs/architecture.md");
    for layer in LAYERS {
        for module in *layer {
            assert!(
                doc.contains(&format!("`{module}`")),
                "docs/architecture.md does not name `{module}`"
            );
        }
    }
}

#[test]
fn an_upward_import_is_seen() {
    // The scanner itself: code lines count, comments and unit tests do not.
    let text = "//! see crate::validation\nuse crate::output::plots;\nfn f() { crate::numerics::x(); }\n#[cfg(test)]\nmod tests { use crate::sweep; }\n";
    assert_eq!(
        uses(text),
        vec![(2, "output".to_string()), (3, "numerics".to_string())]
    );
}

/// The files of one folder of `src/` (a module's submodules) that `text` names as
/// `super::<file>` or `crate::<path>::<file>` (`path` the folder's module path, as
/// `physics::p2d`), outside comments and its unit tests; grouped `super::{a, b}` included.
fn sibling_uses(text: &str, module_path: &str, siblings: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let prefixes = ["super::".to_string(), format!("crate::{module_path}::")];
    for (_, line) in code_lines(text) {
        for prefix in &prefixes {
            let mut rest = line;
            while let Some(at) = rest.find(prefix.as_str()) {
                let after = &rest[at + prefix.len()..];
                let names: Vec<String> = match after.strip_prefix('{') {
                    Some(group) => group
                        .split(['}', ';'])
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|n| ident(n.trim()))
                        .collect(),
                    None => vec![ident(after)],
                };
                for name in names {
                    if siblings.contains(&name) && !found.contains(&name) {
                        found.push(name);
                    }
                }
                rest = after;
            }
        }
    }
    found
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    // Inside a layer the files of one module form layers of their own: a cycle between two
    // of them (a file reading a built-in set that uses the reader back) makes neither
    // understandable alone. Each folder of src/ is checked for cycles among its files.
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut folders = vec![src.clone()];
    let mut cycles = Vec::new();
    let mut edges_seen = 0;
    while let Some(folder) = folders.pop() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&folder).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        if folder == src {
            continue; // the top level's modules are the layers above
        }
        let module_path = folder
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('/', "::");
        let names: Vec<String> = files
            .iter()
            .filter_map(|f| f.file_stem().and_then(|s| s.to_str()).map(String::from))
            .filter(|n| n != "mod" && n != "main")
            .collect();
        let uses: Vec<(String, Vec<String>)> = names
            .iter()
            .map(|n| {
                let text = std::fs::read_to_string(folder.join(format!("{n}.rs")))
                    .expect("readable source");
                (n.clone(), sibling_uses(&text, &module_path, &names))
            })
            .collect();
        let used_by = |n: &str| -> &[String] {
            uses.iter()
                .find(|(m, _)| m == n)
                .map_or(&[], |(_, u)| u.as_slice())
        };
        for (a, used) in &uses {
            edges_seen += used.len();
            // A path back to `a` from any file it uses (depth-first, each file once).
            for b in used {
                let mut stack = vec![vec![b.clone()]];
                let mut visited = vec![b.clone()];
                while let Some(path) = stack.pop() {
                    let last = path.last().expect("non-empty path");
                    for next in used_by(last) {
                        if next == a {
                            let mut cycle = vec![a.clone()];
                            cycle.extend(path.iter().cloned());
                            cycle.push(a.clone());
                            cycles.push(format!("src/{module_path}: {}", cycle.join(" → ")));
                        } else if !visited.contains(next) {
                            visited.push(next.clone());
                            let mut longer = path.clone();
                            longer.push(next.clone());
                            stack.push(longer);
                        }
                    }
                }
            }
        }
    }
    assert!(edges_seen > 50, "only {edges_seen} uses between files seen");
    assert!(
        cycles.is_empty(),
        "files of one module that use each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn a_cycle_between_two_files_is_seen() {
    let siblings = vec!["builtin".to_string(), "parameter_file".to_string()];
    assert_eq!(
        sibling_uses(
            "use super::{builtin::Set, error::E};\n// super::parameter_file\nfn f() { crate::scenario::parameter_file::load(); }\n",
            "scenario",
            &siblings
        ),
        vec!["builtin".to_string(), "parameter_file".to_string()]
    );
}

//! The layers of `docs/architecture.md` only point down: every `crate::<module>` a top-level
//! module of `src/` names (outside comments and its unit tests) is in a lower layer. An import
//! that runs back up fails here, naming the file and the line.

use std::path::{Path, PathBuf};

/// The layers, bottom first (the table of `docs/architecture.md`). Modules of one layer do not
/// use each other.
const LAYERS: &[&[&str]] = &[
    &["constants", "range", "error_chain"],
    &["numerics"],
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

/// The top-level modules named as `crate::<module>` in `text`, with their 1-based lines,
/// skipping comment lines and the unit tests at the end of a file.
fn uses(text: &str) -> Vec<(usize, String)> {
    let code = match text.find("#[cfg(test)]\nmod ") {
        Some(end) => &text[..end],
        None => text,
    };
    let mut found = Vec::new();
    for (k, line) in code.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
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

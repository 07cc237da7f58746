//! Where a key of a scenario or parameter file is: its line, for errors about it.
//!
//! The files are read into `toml::Value` trees, which keep no positions, so an error about a
//! key (unknown, wrong type, out of range) knows the key's dotted path but not its line. This
//! reparses the file's text with `toml_edit` (the parser `toml` itself uses), which keeps the
//! byte span of every key, and follows the path as far as the file has it: the line of the
//! key itself, or of the deepest table on its path that the file writes.
//!
//! It also recognises the commonest misplacement: a top-level key of a scenario (`experiment`,
//! `save_cycles`, …) written after a `[table]` header. TOML puts every key after a header into
//! that table, so the file's author sees `experiment` at the top level while the parser sees
//! `parameters.experiment`; the hint says to move it above the first header.

use toml_edit::{ImDocument, Item, Table};

/// The segments of a dotted key path, quotes removed (`parameters."experiment"` →
/// `["parameters", "experiment"]`; `a.b[2].c` → `["a", "b", "c"]`, an array index skipped).
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '"' if !in_index => quoted = !quoted,
            '.' if !quoted && !in_index => out.push(std::mem::take(&mut current)),
            '[' if !quoted => in_index = true,
            ']' if in_index => in_index = false,
            _ if in_index => {}
            _ => current.push(c),
        }
    }
    out.push(current);
    out.retain(|s| !s.is_empty());
    out
}

/// The 1-based line of `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of the key `path` (dotted, as in the errors) in the TOML `text`: the key's own line
/// where the file writes it, else that of the deepest table on the path it writes (a missing
/// key is reported at its table's header). `None` if the text does not parse or writes none
/// of the path.
pub(crate) fn key_line(text: &str, path: &str) -> Option<usize> {
    let doc = ImDocument::parse(text).ok()?;
    let mut table: &Table = doc.as_table();
    let mut found: Option<usize> = None;
    for segment in segments(path) {
        let Some((key, item)) = table.get_key_value(&segment) else {
            break;
        };
        if let Some(span) = key.span() {
            found = Some(line_of(text, span.start));
        }
        match item {
            Item::Table(t) => table = t,
            Item::ArrayOfTables(a) => match a.iter().next() {
                Some(t) => table = t,
                None => break,
            },
            _ => break,
        }
    }
    found
}

/// Keys that stand at the top of a scenario file, before any `[table]` header.
pub(crate) const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "description",
    "parameter_set",
    "parameter_file",
    "experiment",
    "save_cycles",
    "reference_cycle",
];

/// For an unknown key `table.key` whose last segment is a top-level scenario key: the hint to
/// move it above the first header.
pub(crate) fn misplaced_top_level_key(path: &str) -> Option<String> {
    let segments = segments(path);
    let [.., table, key] = segments.as_slice() else {
        return None;
    };
    TOP_LEVEL_KEYS.contains(&key.as_str()).then(|| {
        format!(
            "`{key}` is a top-level key of the scenario, but TOML puts every key written after a \
             `[{table}]` header into that table: move `{key}` above the first `[…]` header"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\nparameter_set = \"s\"\n\n[parameters]\ncell.temperature_K = 300.0\n\nexperiment = [\"Rest for 1 hour\"]\n\n[solver]\nrtol = 1e-6\n";

    #[test]
    fn keys_are_found_at_their_lines() {
        assert_eq!(key_line(TEXT, "name"), Some(1));
        assert_eq!(key_line(TEXT, "parameters.\"experiment\""), Some(7));
        assert_eq!(key_line(TEXT, "parameters.cell.temperature_K"), Some(5));
        assert_eq!(key_line(TEXT, "solver.rtol"), Some(10));
        // A key the file does not write: its table's header.
        assert_eq!(key_line(TEXT, "solver.atol"), Some(9));
        assert_eq!(key_line(TEXT, "mesh.positive_x_cells"), None);
        assert_eq!(key_line("not = [toml", "not"), None);
    }

    #[test]
    fn a_top_level_key_under_a_header_gets_a_hint() {
        let hint = misplaced_top_level_key("parameters.\"experiment\"").expect("a hint");
        assert!(hint.contains("move `experiment` above the first"), "{hint}");
        assert!(hint.contains("`[parameters]`"), "{hint}");
        assert_eq!(misplaced_top_level_key("solver.rtoll"), None);
        assert_eq!(misplaced_top_level_key("experiment"), None);
    }
}

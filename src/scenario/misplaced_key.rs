//! The commonest misplacement in a scenario file: a top-level key (`experiment`,
//! `save_cycles`, …) written after a `[table]` header. TOML puts every key after a header into
//! that table, so the file's author sees `experiment` at the top level while the parser sees
//! `parameters.experiment`; the error about the unknown key gets the hint to move it above the
//! first header. (Where the key is, line and column, comes from [`crate::toml_position`].)

use crate::toml_position::key_names;

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
    let segments = key_names(path);
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

    #[test]
    fn a_top_level_key_under_a_header_gets_a_hint() {
        let hint = misplaced_top_level_key("parameters.\"experiment\"").expect("a hint");
        assert!(hint.contains("move `experiment` above the first"), "{hint}");
        assert!(hint.contains("`[parameters]`"), "{hint}");
        assert_eq!(misplaced_top_level_key("solver.rtoll"), None);
        assert_eq!(misplaced_top_level_key("experiment"), None);
    }
}

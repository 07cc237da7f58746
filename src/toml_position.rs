//! Where a key of a TOML file is: its line and column, for errors about it.
//!
//! Our files (scenarios, parameter files, sweeps, validations, fits, column mappings) are read
//! into `toml::Value` trees or serde structures, which keep no positions, so an error about a
//! key found after parsing (unknown, out of range, inconsistent) knows the key's dotted path
//! but not where it is. This reparses the text with `toml_edit` (the parser `toml` itself
//! uses), which keeps the byte span of every key and value, and follows the path as far as the
//! file has it: the position of the key itself (of an array element, for an indexed path), or
//! of the deepest key or table on its path that the file writes (a missing key is reported at
//! its table).
//!
//! Paths are written as in the errors: dotted segments, quoted where they hold dots
//! (`parameters."positive.thickness_m"`), with array indices in brackets (`points[0].at.P1`,
//! `experiment[2]`). Files count their array elements from 0 or from 1 in their messages;
//! the caller says which ([`IndexBase`]).

use std::fmt;

use toml_edit::{ImDocument, Item, Table, Value};

/// A position in a text file, both 1-based (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// `", line L, column C"`, or nothing: the suffix errors put after a file name.
pub fn position_suffix(position: &Option<Position>) -> String {
    position.map(|p| format!(", {p}")).unwrap_or_default()
}

/// How a path's array indices count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexBase {
    /// `[0]` is the first element.
    Zero,
    /// `[1]` is the first element.
    One,
}

/// One step of a path: a key, or an index into the array before it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// The steps of a dotted key path, quotes removed (`parameters."experiment"` → two keys;
/// `a.b[2].c` → `a`, `b`, index 2, `c`). An index that is not a number is skipped.
fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut index = String::new();
    let mut quoted = false;
    let mut in_index = false;
    let flush = |current: &mut String, out: &mut Vec<Segment>| {
        if !current.is_empty() {
            out.push(Segment::Key(std::mem::take(current)));
        }
    };
    for c in path.chars() {
        match c {
            '"' if !in_index => quoted = !quoted,
            '.' if !quoted && !in_index => flush(&mut current, &mut out),
            '[' if !quoted => {
                flush(&mut current, &mut out);
                in_index = true;
            }
            ']' if in_index => {
                in_index = false;
                if let Ok(k) = std::mem::take(&mut index).trim().parse() {
                    out.push(Segment::Index(k));
                }
            }
            _ if in_index => index.push(c),
            _ => current.push(c),
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The keys of a dotted path, quotes and array indices removed (`parameters."experiment"` →
/// `["parameters", "experiment"]`; `a.b[2].c` → `["a", "b", "c"]`).
pub fn key_names(path: &str) -> Vec<String> {
    segments(path)
        .into_iter()
        .filter_map(|s| match s {
            Segment::Key(k) => Some(k),
            Segment::Index(_) => None,
        })
        .collect()
}

/// The position of byte `offset` in `text`.
fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..floor_char_boundary(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Where the TOML `text` writes the key `path` (see the module doc): `None` if the text does
/// not parse or writes none of the path.
pub fn key_position(text: &str, path: &str, base: IndexBase) -> Option<Position> {
    let doc = ImDocument::parse(text).ok()?;
    let mut found: Option<usize> = None;
    let mut here = Node::Table(doc.as_table());
    for segment in segments(path) {
        let next = match (&here, segment) {
            (Node::Table(table), Segment::Key(key)) => {
                let Some((k, item)) = table.get_key_value(&key) else {
                    break;
                };
                found = k.span().map(|s| s.start).or(found);
                Node::of_item(item)
            }
            (Node::InlineTable(table), Segment::Key(key)) => {
                let Some((k, item)) = table.get_key_value(&key) else {
                    break;
                };
                found = k.span().map(|s| s.start).or(found);
                Node::of_item(item)
            }
            (Node::Tables(tables), Segment::Index(i)) => {
                let Some(table) = element(i, base).and_then(|k| tables.get(k)) else {
                    break;
                };
                found = table.span().map(|s| s.start).or(found);
                Node::Table(table)
            }
            (Node::Array(array), Segment::Index(i)) => {
                let Some(value) = element(i, base).and_then(|k| array.get(k)) else {
                    break;
                };
                found = value.span().map(|s| s.start).or(found);
                Node::of_value(value)
            }
            // An index into a table of tables (`[[points]]`) written as its first: go on with
            // the first table, as a key error inside it most likely is about it.
            (Node::Tables(tables), Segment::Key(key)) => {
                let Some(table) = tables.get(0) else {
                    break;
                };
                let Some((k, item)) = table.get_key_value(&key) else {
                    break;
                };
                found = k.span().map(|s| s.start).or(found);
                Node::of_item(item)
            }
            _ => break,
        };
        here = next;
    }
    found.map(|offset| position_of(text, offset))
}

/// The 0-based element of index `i` counted from `base`.
fn element(i: usize, base: IndexBase) -> Option<usize> {
    match base {
        IndexBase::Zero => Some(i),
        IndexBase::One => i.checked_sub(1),
    }
}

/// Where a path walk stands.
enum Node<'a> {
    Table(&'a Table),
    InlineTable(&'a toml_edit::InlineTable),
    Tables(&'a toml_edit::ArrayOfTables),
    Array(&'a toml_edit::Array),
    Leaf,
}

impl<'a> Node<'a> {
    fn of_item(item: &'a Item) -> Self {
        match item {
            Item::Table(t) => Node::Table(t),
            Item::ArrayOfTables(a) => Node::Tables(a),
            Item::Value(v) => Node::of_value(v),
            Item::None => Node::Leaf,
        }
    }

    fn of_value(value: &'a Value) -> Self {
        match value {
            Value::InlineTable(t) => Node::InlineTable(t),
            Value::Array(a) => Node::Array(a),
            _ => Node::Leaf,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = "name = \"x\"\nparameter_set = \"s\"\nexperiment = [\"Rest for 1 hour\", \"Discharge at 1C until 2 V\"]\n\n[parameters]\ncell.temperature_K = 300.0\n\nexperiment = [\"Rest for 1 hour\"]\n\n[solver]\nrtol = 1e-6\n";

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    #[test]
    fn keys_are_found_at_their_line_and_column() {
        let find = |path| key_position(SCENARIO, path, IndexBase::One);
        assert_eq!(find("name"), at(1, 1));
        assert_eq!(find("parameters.\"experiment\""), at(8, 1));
        assert_eq!(find("parameters.cell.temperature_K"), at(6, 6));
        assert_eq!(find("solver.rtol"), at(11, 1));
        // An element of an array, counted from 1 here.
        assert_eq!(find("experiment[2]"), at(3, 34));
        assert_eq!(find("experiment[1]"), at(3, 15));
        // A key the file does not write: its table's header; a past-the-end element: its array.
        assert_eq!(find("solver.atol"), at(10, 2));
        assert_eq!(find("experiment[9]"), at(3, 1));
        assert_eq!(find("mesh.positive_x_cells"), None);
        assert_eq!(key_position("not = [toml", "not", IndexBase::Zero), None);
        assert_eq!(
            key_names("parameters.\"a.b\"[2].c"),
            ["parameters", "a.b", "c"]
        );
    }

    #[test]
    fn tables_of_tables_and_inline_tables_are_followed() {
        let text = "[[points]]\nfile = \"a.csv\"\n[points.at]\nF1 = { run = \"solid\", cycle = 1 }\n\n[[points]]\nfile = \"b.csv\"\n";
        let find = |path| key_position(text, path, IndexBase::Zero);
        assert_eq!(find("points[0].at.F1.cycle"), at(4, 23));
        assert_eq!(find("points[1].file"), at(7, 1));
        assert_eq!(find("points[0].at.F1"), at(4, 1));
        assert_eq!(find("points.file"), at(2, 1));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "description = \"60 °C\"\nx = { a = \"µ\", b = 2 }\n";
        assert_eq!(key_position(text, "x.b", IndexBase::Zero), at(2, 16));
        assert_eq!(
            Position { line: 3, column: 7 }.to_string(),
            "line 3, column 7"
        );
        assert_eq!(position_suffix(&at(1, 2)), ", line 1, column 2");
        assert_eq!(position_suffix(&None), "");
    }
}

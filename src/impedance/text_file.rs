//! The text of an instrument's export, decoded whatever its encoding, and the numbers in it.
//!
//! Impedance files come from Windows programs that write UTF-8 (with or without a byte order
//! mark), UTF-16 with a byte order mark (some Autolab/NOVA and ZView versions), or the
//! Windows code page 1252 (EC-Lab, Gamry: `°`, `µ`, `Ω` outside ASCII): the text is decoded
//! by [`crate::text_decode`], the one decoder of lab files.
//!
//! Numbers may be written with a decimal comma (EC-Lab and NOVA under a European locale);
//! [`parse_number`] accepts both separators when the field delimiter is not a comma.

use std::path::Path;

pub use crate::text_decode::{decode, TextEncoding};

/// Reads the file `path` and decodes its text ([`decode`]); a byte order mark followed by
/// bytes not of its encoding is an `InvalidData` error.
pub fn read_text(path: &Path) -> std::io::Result<(String, TextEncoding)> {
    decode(&std::fs::read(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// A number as instruments write it: blanks around it dropped, `+`/`-`, exponent `e`/`E`, and
/// a decimal comma when `decimal_comma` (the delimiter is not a comma). None when it is not a
/// finite number.
pub fn parse_number(field: &str, decimal_comma: bool) -> Option<f64> {
    let field = field.trim();
    let value = if decimal_comma && field.contains(',') {
        field.replacen(',', ".", 1).parse::<f64>().ok()?
    } else {
        field.parse::<f64>().ok()?
    };
    value.is_finite().then_some(value)
}

/// The fields of a line split at `delimiter`, each trimmed of blanks and of one pair of
/// double quotes around it.
pub fn split_fields(line: &str, delimiter: char) -> Vec<&str> {
    line.split(delimiter)
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(f)
                .trim()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_a_decimal_comma() {
        assert_eq!(parse_number(" 1,5E+03 ", true), Some(1500.0));
        assert_eq!(parse_number("1,5", false), None);
        assert_eq!(parse_number("-2.25e-1", true), Some(-0.225));
        assert_eq!(parse_number("inf", false), None);
        assert_eq!(parse_number("", false), None);
        assert_eq!(split_fields("\"a\" ; b ;", ';'), vec!["a", "b", ""]);
    }
}

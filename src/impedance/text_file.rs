//! The text of an instrument's export, decoded whatever its encoding, and the numbers in it.
//!
//! Impedance files come from Windows programs that write UTF-8 (with or without a byte order
//! mark), UTF-16 with a byte order mark (some Autolab/NOVA and ZView versions), or the
//! Windows code page 1252 (EC-Lab, Gamry: `°`, `µ`, `Ω` outside ASCII). The text is decoded
//! with `encoding_rs`: a byte order mark decides; without one, valid UTF-8 is read as UTF-8
//! and anything else as windows-1252 (every byte sequence is valid windows-1252, so this
//! never fails).
//!
//! Numbers may be written with a decimal comma (EC-Lab and NOVA under a European locale);
//! [`parse_number`] accepts both separators when the field delimiter is not a comma.

use std::path::Path;

/// The encodings the readers recognise, as detected by [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
    /// UTF-16, little or big endian, with a byte order mark.
    Utf16Bom,
    /// Windows code page 1252 (not valid UTF-8, no byte order mark).
    Windows1252,
}

/// Reads `path` and decodes it (module documentation); the byte order mark is dropped.
pub fn read_text(path: &Path) -> std::io::Result<(String, TextEncoding)> {
    Ok(decode(&std::fs::read(path)?))
}

/// Decodes `bytes` (module documentation); the byte order mark is dropped.
pub fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        let kind = if encoding == encoding_rs::UTF_8 {
            TextEncoding::Utf8Bom
        } else {
            TextEncoding::Utf16Bom
        };
        return (text.into_owned(), kind);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), TextEncoding::Windows1252)
        }
    }
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
    fn every_encoding_is_decoded() {
        let text = "Frequency (Hz);Z' (Ω);-Phase (°)\n";
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice(text.as_bytes());
        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(text.as_bytes()), (text.into(), TextEncoding::Utf8));
        assert_eq!(decode(&utf8_bom), (text.into(), TextEncoding::Utf8Bom));
        assert_eq!(decode(&utf16le), (text.into(), TextEncoding::Utf16Bom));
        assert_eq!(decode(&utf16be), (text.into(), TextEncoding::Utf16Bom));
        // `°` and `µ` as windows-1252 bytes (0xB0, 0xB5): not UTF-8.
        let cp1252 = b"Phase (\xB0)\t\xB5A\n";
        assert_eq!(
            decode(cp1252),
            ("Phase (°)\tµA\n".into(), TextEncoding::Windows1252)
        );
    }

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

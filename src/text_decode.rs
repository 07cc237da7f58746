//! The text of a file in whatever encoding an instrument or a tester wrote it, for every reader
//! of lab files (cycler exports in `measured`, impedance files in `impedance`).
//!
//! A byte order mark decides (UTF-8, UTF-16 LE or BE); without one: UTF-16 LE (BE) when the
//! first two characters are ASCII with a zero high (low) byte; UTF-8 when the bytes are valid
//! UTF-8; else GBK when every run of non-ASCII bytes has an even length and decodes without
//! error (the Chinese column names of Neware exports); else Windows-1252 (`°`, `µ`, `Ω` of
//! EC-Lab, Gamry and testers on Western Windows; every byte decodes, so this last step never
//! fails). Decoding is `encoding_rs`'s.

use encoding_rs::{Encoding, GBK, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// How a file's bytes were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
    /// UTF-16 (either byte order) with a byte order mark.
    Utf16Bom,
    /// UTF-16 without a byte order mark, recognised by the zero bytes of its ASCII.
    Utf16,
    /// GBK (simplified Chinese Windows).
    Gbk,
    /// Windows code page 1252 (Western Windows).
    Windows1252,
}

/// A file with a byte order mark whose bytes are not of that encoding.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "the file starts with a {encoding} byte order mark but holds bytes that are not {encoding}"
)]
pub struct DecodeError {
    /// The encoding the byte order mark announces.
    pub encoding: &'static str,
}

/// Whether every run of bytes ≥ 0x80 has an even length (as in GBK's two-byte characters).
fn even_runs(bytes: &[u8]) -> bool {
    let mut run = 0usize;
    for &b in bytes {
        if b >= 0x80 {
            run += 1;
        } else {
            if run % 2 == 1 {
                return false;
            }
            run = 0;
        }
    }
    run % 2 == 0
}

/// UTF-16 without a byte order mark: the first two characters ASCII, with a zero byte each.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16LE),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16BE),
        _ => None,
    }
}

/// The text of `bytes` and how it was decoded (see the module doc).
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), DecodeError> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if malformed {
            return Err(DecodeError {
                encoding: encoding.name(),
            });
        }
        let kind = if encoding == UTF_8 {
            TextEncoding::Utf8Bom
        } else {
            TextEncoding::Utf16Bom
        };
        return Ok((text.into_owned(), kind));
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(bytes);
        if !malformed {
            return Ok((text.into_owned(), TextEncoding::Utf16));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), TextEncoding::Utf8));
    }
    if even_runs(bytes) {
        let (text, malformed) = GBK.decode_without_bom_handling(bytes);
        if !malformed {
            return Ok((text.into_owned(), TextEncoding::Gbk));
        }
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    Ok((text.into_owned(), TextEncoding::Windows1252))
}

impl TextEncoding {
    /// The encoding's usual name (`UTF-8`, `UTF-16`, `GBK`, `windows-1252`).
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => "UTF-8",
            TextEncoding::Utf16 | TextEncoding::Utf16Bom => "UTF-16",
            TextEncoding::Gbk => "GBK",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> (String, TextEncoding) {
        decode(bytes).unwrap()
    }

    #[test]
    fn decodes_boms_utf16_utf8_gbk_and_cp1252() {
        use TextEncoding::*;
        assert_eq!(text(b"\xEF\xBB\xBFa,b"), ("a,b".into(), Utf8Bom));
        assert_eq!(text(b"\xFF\xFEa\0,\0b\0"), ("a,b".into(), Utf16Bom));
        assert_eq!(text(b"\xFE\xFF\0a\0,\0b"), ("a,b".into(), Utf16Bom));
        assert_eq!(text(b"a\0,\0b\0"), ("a,b".into(), Utf16));
        assert_eq!(text(b"\0a\0,\0b"), ("a,b".into(), Utf16));
        assert_eq!(text("µ°Ω".as_bytes()), ("µ°Ω".into(), Utf8));
        // 循环 in GBK.
        assert_eq!(text(b"\xD1\xAD\xBB\xB7,x"), ("循环,x".into(), Gbk));
        // `°C`, `µAh` and `µA` in Windows-1252: one high byte, then ASCII.
        assert_eq!(
            text(b"T/\xB0C,Q/\xB5Ah\t\xB5A\n"),
            ("T/°C,Q/µAh\tµA\n".into(), Windows1252)
        );
        assert_eq!(
            decode(b"\xFF\xFEa\0\x00\xD8"),
            Err(DecodeError {
                encoding: "UTF-16LE"
            })
        );
    }
}

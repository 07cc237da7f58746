//! The text of a cycler export in whatever encoding the tester wrote it: a byte order mark
//! decides (UTF-8, UTF-16 LE or BE); without one, UTF-16 LE (BE) when the first two characters
//! are ASCII with a zero high (low) byte, UTF-8 when the bytes are valid UTF-8, else
//! GBK when every run of non-ASCII bytes has an even length and decodes without error (the
//! Chinese column names of Neware exports), else Windows-1252 (`°`, `µ` of testers on Western
//! Windows; every byte decodes, so this never fails).

use std::path::Path;

use encoding_rs::{Encoding, GBK, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use super::{invalid, MeasuredError, Problem};

/// How the text of a file was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// The encoding's name (`UTF-8`, `UTF-16LE`, `UTF-16BE`, `GBK`, `windows-1252`).
    pub encoding: &'static str,
}

/// Whether every run of bytes ≥ 0x80 in `bytes` has an even length, as in text of two-byte
/// Chinese characters (and not in Windows-1252 text, where `°C` is one such byte then ASCII).
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

/// UTF-16 without a byte order mark, told by its first two characters: ASCII, each with a zero
/// byte after (little endian) or before (big endian) it.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16LE),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 && a.is_ascii() && b.is_ascii() => Some(UTF_16BE),
        _ => None,
    }
}

/// Decodes `bytes` (the content of `path`) to text, with the encoding used. A byte order mark
/// is dropped. A UTF-16 file with malformed sequences is an error naming the file.
pub fn decode(bytes: &[u8], path: &Path) -> Result<(String, Decoded), MeasuredError> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if malformed {
            return Err(invalid(
                path,
                None,
                None,
                Problem::Value,
                format!(
                    "the file starts with a {} byte order mark but holds bytes that are not {}",
                    encoding.name(),
                    encoding.name()
                ),
            ));
        }
        return Ok((
            text.into_owned(),
            Decoded {
                encoding: encoding.name(),
            },
        ));
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(bytes);
        if !malformed {
            let encoding = encoding.name();
            return Ok((text.into_owned(), Decoded { encoding }));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let encoding = UTF_8.name();
        return Ok((text.to_string(), Decoded { encoding }));
    }
    if even_runs(bytes) {
        let (text, malformed) = GBK.decode_without_bom_handling(bytes);
        if !malformed {
            let encoding = GBK.name();
            return Ok((text.into_owned(), Decoded { encoding }));
        }
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    let encoding = WINDOWS_1252.name();
    Ok((text.into_owned(), Decoded { encoding }))
}

/// Reads and decodes the file `path` ([`decode`]).
pub fn read_decoded(path: &Path) -> Result<(String, Decoded), MeasuredError> {
    let bytes = std::fs::read(path).map_err(|source| MeasuredError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> (String, &'static str) {
        let (t, d) = decode(bytes, Path::new("e.csv")).unwrap();
        (t, d.encoding)
    }

    #[test]
    fn decodes_boms_utf8_gbk_and_cp1252() {
        assert_eq!(text(b"\xEF\xBB\xBFa,b"), ("a,b".into(), "UTF-8"));
        assert_eq!(text(b"\xFF\xFEa\0,\0b\0"), ("a,b".into(), "UTF-16LE"));
        assert_eq!(text(b"\xFE\xFF\0a\0,\0b"), ("a,b".into(), "UTF-16BE"));
        assert_eq!(text(b"a\0,\0b\0"), ("a,b".into(), "UTF-16LE"));
        assert_eq!(text(b"\0a\0,\0b"), ("a,b".into(), "UTF-16BE"));
        assert_eq!(text("µ°".as_bytes()), ("µ°".into(), "UTF-8"));
        // 循环 in GBK.
        assert_eq!(text(b"\xD1\xAD\xBB\xB7,x"), ("循环,x".into(), "GBK"));
        // `°C` and `µAh` in Windows-1252: one high byte, then ASCII.
        assert_eq!(
            text(b"T/\xB0C,Q/\xB5Ah"),
            ("T/°C,Q/µAh".into(), "windows-1252")
        );
        assert!(decode(b"\xFF\xFEa\0\x00\xD8", Path::new("e.csv")).is_err());
    }
}

//! A PNG figure as a `data:` URI (base64, on the `base64` crate), so that a page carries its
//! figures in itself.

use std::path::Path;

use base64::Engine as _;

use super::HtmlError;

/// The eight bytes every PNG file begins with.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The PNG file `path` as a `data:image/png;base64,…` URI. A file that cannot be read, or that
/// is not a PNG file, is an error: a page never shows a broken figure in silence.
pub fn png_data_uri(path: &Path) -> Result<String, HtmlError> {
    let bytes = std::fs::read(path).map_err(|source| HtmlError::Figure {
        path: path.to_path_buf(),
        source,
    })?;
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(HtmlError::NotPng {
            path: path.to_path_buf(),
        });
    }
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_file_becomes_a_data_uri_and_anything_else_an_error() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let png = dir.path().join("a.png");
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.push(0);
        std::fs::write(&png, &bytes).expect("written");
        assert_eq!(
            png_data_uri(&png).expect("a PNG file"),
            "data:image/png;base64,iVBORw0KGgoA"
        );
        let text = dir.path().join("b.png");
        std::fs::write(&text, "not a figure").expect("written");
        assert!(matches!(png_data_uri(&text), Err(HtmlError::NotPng { .. })));
        assert!(matches!(
            png_data_uri(&dir.path().join("missing.png")),
            Err(HtmlError::Figure { .. })
        ));
    }
}

//! Escaping text for HTML: every string a page shows (scenario names, parameter paths,
//! captions, error messages) goes through [`escape`], in text and in attribute values alike.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by their character references, safe both
/// as element content and inside a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<b>"a" & 'b'</b>"#),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("LiNbO₃ 25 °C"), "LiNbO₃ 25 °C");
    }
}

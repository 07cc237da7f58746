//! An error and its causes as text, one per line: the one rendering of an error chain that the
//! run folder (`run_error.txt`, `run.toml`), validation, fitting and sweeps record. At the bottom
//! of the layers, so that every layer reaches it without importing upward.

use std::error::Error;

/// `e` and its causes, one per line (`caused by: …`).
pub fn error_chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!("\ncaused by: {c}"));
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn every_cause_on_its_own_line() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer\ncaused by: inner");
    }
}

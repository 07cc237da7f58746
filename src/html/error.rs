//! Why a page could not be made or written.

use std::path::PathBuf;

/// Why a page could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// A figure to embed could not be read.
    #[error("cannot read the figure {}", .path.display())]
    Figure {
        /// The figure file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A figure to embed is not a PNG file.
    #[error("{} is not a PNG file", .path.display())]
    NotPng {
        /// The figure file.
        path: PathBuf,
    },
    /// The page could not be written.
    #[error("cannot write {}", .path.display())]
    Write {
        /// The page's file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}

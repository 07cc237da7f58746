//! Why a figure could not be written: [`FigureError`].

use std::path::PathBuf;

/// Why a figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The embedded font could not be loaded (a damaged build).
    #[error("the embedded plot font could not be loaded")]
    Font,
    /// There was nothing to draw (no finite value), so no file was written.
    #[error("no data to plot for {figure}")]
    NoData {
        /// The figure's file stem.
        figure: String,
    },
    /// The drawing backend (plotters) failed: its message.
    #[error("{0}")]
    Backend(String),
    /// A text of the SVG could not be swapped for its glyph outlines.
    #[error("{0}")]
    GlyphText(String),
    /// Drawing the file `path` failed.
    #[error("writing {}: {source}", path.display())]
    Draw {
        /// The file being drawn.
        path: PathBuf,
        /// What went wrong ([`FigureError::Backend`] or [`FigureError::GlyphText`]).
        source: Box<FigureError>,
    },
    /// Writing or renaming the file `path` failed.
    #[error("writing {}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl FigureError {
    /// The error of drawing the file `path`.
    pub(super) fn drawing(path: &std::path::Path) -> impl FnOnce(FigureError) -> FigureError {
        let path = path.to_path_buf();
        move |e| FigureError::Draw {
            path,
            source: Box::new(e),
        }
    }
}

/// Turns a plotters error into a [`FigureError::Backend`].
pub(super) fn backend<E: std::fmt::Display>(e: E) -> FigureError {
    FigureError::Backend(e.to_string())
}

//! report.html (being built).

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Writes `dir/report.html`.
pub fn write_html(dir: &Path) -> Result<PathBuf> {
    Ok(dir.join("report.html"))
}

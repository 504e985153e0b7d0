//! The report of a run: `report.html` (one self-contained page with the charts, the summary and
//! comparison tables and the metadata), the Markdown summary table, and the comparison of two
//! runs (`nebula compare`); `provenance` is the part of the report that says what was measured
//! (module hashes, idle baselines, the model's coefficients) and what the run warned about, and
//! `builds` what each build was compiled for.

pub mod builds;
pub mod compare;
pub mod format;
pub mod html;
pub mod markdown;
pub mod provenance;

pub use compare::{compare_runs, write_compare, CompareRow, Compared};
pub use html::{write_html, REPORT};
pub use markdown::markdown;

use std::path::Path;

/// The end of every run: draw the charts and write report.html. Never fails: a problem is
/// logged as a warning (the run's CSVs are already written) and listed in the report.
pub fn draw_and_write(dir: &Path) {
    match crate::plot::draw_all(dir) {
        Ok(m) => {
            for f in &m.failed {
                tracing::warn!("chart {} failed: {}", f.name, f.reason);
            }
        }
        Err(e) => tracing::warn!("no charts drawn for {}: {e:#}", dir.display()),
    }
    if let Err(e) = write_html(dir) {
        tracing::warn!("no report.html for {}: {e:#}", dir.display());
    }
}

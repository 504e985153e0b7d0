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
pub mod runtimes;

pub use compare::{compare_runs, write_compare, CompareRow, Compared};
pub use html::{write_html, REPORT};
pub use markdown::markdown;

/// The end of every run: draw the charts and write report.html. Never fails: a problem is
/// logged as a warning (the run's CSVs are already written) and listed in the report.
pub fn draw_and_write_data(data: &crate::results::RunData) {
    let dir = &data.dir;
    match crate::plot::draw_data(data, &dir.join(crate::plot::PLOTS_DIR)) {
        Ok(m) => {
            for f in &m.failed {
                tracing::warn!("chart {} failed: {}", f.name, f.reason);
            }
        }
        Err(e) => tracing::warn!("no charts drawn for {}: {e:#}", dir.display()),
    }
    let manifest = crate::plot::read_manifest(dir);
    let html = html::render(data, manifest.as_ref(), &dir.join(crate::plot::PLOTS_DIR));
    let path = dir.join(REPORT);
    if let Err(e) = std::fs::write(&path, html) {
        tracing::warn!(
            "no report.html for {}: cannot write {}: {e}",
            dir.display(),
            path.display()
        );
    }
}

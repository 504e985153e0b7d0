//! The report of a run: `report.html` (one self-contained page with the charts, the summary and
//! comparison tables and the metadata), the Markdown summary table, and the comparison of two
//! runs (`nebula compare`).

pub mod html;

pub use html::write_html;

//! Latency vs input size: one panel per function, one line per runtime through the median wall
//! time per call, with the 95% bootstrap interval of the median (`summary.csv`).

use super::axis::Quantity;
use super::by_input::{build as build_xy, ByInput, MetricSpec};
use crate::results::RunData;

/// The latency figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<ByInput, String> {
    let spec = MetricSpec {
        title: "Latency per call vs input size (median, 95% CI)".into(),
        y_name: "Latency".into(),
        pick: |s| (s.wall_median_ns, s.wall_ci_lo_ns, s.wall_ci_hi_ns),
        quantity: Quantity::Time,
    };
    build_xy(data, &spec)
}

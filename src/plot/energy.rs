//! Energy per call vs input size: like the latency chart, with the median energy per call and
//! its 95% interval, both per measurement window (`summary.csv`). Net energy (above the idle
//! baseline) where the run measured a baseline, gross energy otherwise. An estimate says
//! "ESTIMATED" on every y axis.

use super::axis::Quantity;
use super::by_input::{build as build_xy, ByInput, MetricSpec};
use super::data::energy_name;
use crate::results::RunData;

/// The energy figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<ByInput, String> {
    // The axis says what the numbers are, so that a cropped panel still does.
    let kind = |what: &str| energy_name(what, data.energy_estimated());
    let spec = if data.has_net_energy() {
        MetricSpec {
            title: "Net energy per call vs input size (above idle; median, 95% CI)".into(),
            y_name: kind("Net energy"),
            pick: |s| (s.energy_net_median_j, s.energy_net_ci_lo_j, s.energy_net_ci_hi_j),
            quantity: Quantity::Energy,
        }
    } else {
        MetricSpec {
            title: "Energy per call vs input size (gross; median, 95% CI)".into(),
            y_name: kind("Gross energy"),
            pick: |s| {
                (
                    s.energy_gross_median_j,
                    s.energy_gross_ci_lo_j,
                    s.energy_gross_ci_hi_j,
                )
            },
            quantity: Quantity::Energy,
        }
    };
    build_xy(data, &spec)
}

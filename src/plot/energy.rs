//! Energy per call vs input size: like the latency chart, with the median energy per call and
//! its 95% interval, both per measurement window (`summary.csv`). Net energy (above the idle
//! baseline) where the run measured a baseline, gross energy otherwise.

use super::axis::energy_unit;
use super::by_input::{build as build_xy, ByInput, MetricSpec};
use super::data::RunData;

/// The energy figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<ByInput, String> {
    // The axis says what the numbers are, so that a cropped panel still does.
    let kind = |what: &str| {
        if data.energy_kind().0 == "estimated" {
            format!("{what}, ESTIMATED")
        } else {
            what.to_string()
        }
    };
    let spec = if data.has_net_energy() {
        MetricSpec {
            title: "Net energy per call vs input size (above idle; median, 95% CI)".into(),
            y_name: kind("Net energy"),
            pick: |s| (s.energy_net_median_j, s.energy_net_ci_lo_j, s.energy_net_ci_hi_j),
            unit: energy_unit,
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
            unit: energy_unit,
        }
    };
    build_xy(data, &spec)
}

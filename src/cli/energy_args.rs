//! The energy flags shared by `invoke`, `sensors`, `run` and `serve`.

use crate::energy::auto::{Choice, EnergyOptions};
use crate::energy::model::{check_watts, Model};
use crate::units::Watts;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Clone, Debug)]
pub struct EnergyArgs {
    /// Energy source: auto (best available), powercap, perf, or model (a labelled estimate).
    #[arg(long, default_value = "auto")]
    pub energy: Choice,
    /// Read powercap from this tree instead of /sys/class/powercap.
    #[arg(long, env = "NEBULA_POWERCAP_ROOT")]
    pub powercap_root: Option<PathBuf>,
    /// Model: idle power of the whole machine in watts, 0 to 10000 (default 0.74 W per logical
    /// core).
    #[arg(long, value_parser = parse_watts, allow_negative_numbers = true)]
    pub idle_watts: Option<f64>,
    /// Model: extra power of one busy core in watts, 0 to 10000 (default 2.76 W).
    #[arg(long, value_parser = parse_watts, allow_negative_numbers = true)]
    pub active_watts_per_core: Option<f64>,
}

/// A model coefficient from the command line: a number of watts in the range the config allows
/// (clap names the flag in its error).
fn parse_watts(s: &str) -> Result<f64, String> {
    let w: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of watts: use a power in watts from 0 to 10000"))?;
    check_watts(w).map(|w| w.value())
}

impl EnergyArgs {
    pub fn options(&self) -> EnergyOptions {
        let mut model = Model::default();
        if let Some(w) = self.idle_watts {
            model.idle_watts = Watts(w);
        }
        if let Some(w) = self.active_watts_per_core {
            model.active_watts_per_core = Watts(w);
        }
        EnergyOptions {
            choice: self.energy,
            powercap_root: self.powercap_root.clone(),
            model,
            ..EnergyOptions::default()
        }
    }
}

//! The energy flags shared by `invoke`, `sensors`, `run` and `serve`.

use crate::energy::auto::{Choice, EnergyOptions};
use crate::energy::model::Model;
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
    /// Model: idle power of the whole machine in watts (default 0.74 W per logical core).
    #[arg(long)]
    pub idle_watts: Option<f64>,
    /// Model: extra power of one busy core in watts (default 2.76 W).
    #[arg(long)]
    pub active_watts_per_core: Option<f64>,
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

//! `nebula sensors`: which energy sources this machine has, why not the others, and the fix.

use super::energy_args::EnergyArgs;
use crate::energy::sensors::survey;
use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct SensorsArgs {
    #[command(flatten)]
    energy: EnergyArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(a: SensorsArgs) -> Result<ExitCode> {
    let report = survey(&a.energy.options());
    if a.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::out!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

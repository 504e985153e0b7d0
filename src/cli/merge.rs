//! `nebula merge DIR... --out DIR`: join the shards of a study (or whole runs of one config on
//! several machines) into one run, then write its summaries, comparison, charts and report.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct MergeArgs {
    /// The run folders: every shard of one study, or whole runs of one config.
    #[arg(required = true, num_args = 2..)]
    dirs: Vec<PathBuf>,
    /// The merged run's folder (new, or empty).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: MergeArgs) -> Result<ExitCode> {
    let meta = crate::experiment::merge::merge(&a.dirs, &a.out)?;
    let machines: std::collections::BTreeSet<&str> =
        meta.merged.iter().map(|p| p.machine.id.as_str()).collect();
    crate::errln!(
        "nebula: merged {} runs ({} machine(s): {}) into {}: {} cells, {} windows",
        meta.merged.len(),
        machines.len(),
        machines.into_iter().collect::<Vec<_>>().join(", "),
        a.out.display(),
        meta.cells,
        meta.windows_done
    );
    crate::experiment::finish::finish(&a.out, &meta, true)?;
    crate::errln!("nebula: results in {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

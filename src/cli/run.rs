//! `nebula run CONFIG [--set key=value]... [--dry-run]` and `nebula run --resume DIR`: run an
//! experiment into `results/<name>-<timestamp>/`, then write the summaries and charts.

use crate::experiment::config::{self, Plan};
use crate::experiment::output::{self, Recovered};
use crate::experiment::runner::{self, Options};
use crate::experiment::{finish, matrix, metadata};
use crate::suite::Suite;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[derive(Args)]
pub struct RunArgs {
    /// The experiment config (experiments/NAME.toml).
    #[arg(required_unless_present = "resume")]
    config: Option<PathBuf>,
    /// Override a config value: --set repetitions=5 --set energy.source=model.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Print the cells, the number of windows and an estimate of the time, and stop.
    #[arg(long)]
    dry_run: bool,
    /// Finish an interrupted run in DIR without redoing finished windows.
    #[arg(long, conflicts_with_all = ["config", "set", "dry_run"])]
    resume: Option<PathBuf>,
    /// Write the run here instead of <output_dir>/<name>-<timestamp>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let suite = Suite::load_default()?;
    let interrupted = Arc::new(AtomicBool::new(false));
    // First Ctrl-C: finish the window in flight and stop cleanly; a second one exits at once.
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, interrupted.clone())?;
        signal_hook::flag::register(sig, interrupted.clone())?;
    }
    let opts = Options {
        progress: !a.quiet,
        interrupted,
    };
    if let Some(dir) = &a.resume {
        if let Some(code) = finish_measured(dir)? {
            return Ok(code);
        }
    }
    let (plan, dir, meta, done) = match &a.resume {
        Some(dir) => resume(dir, &suite)?,
        None => {
            let path = a.config.as_deref().context("a config file is required")?;
            let plan = config::load(path, &a.set, &suite)?;
            if a.dry_run {
                dry_run(&plan);
                return Ok(ExitCode::SUCCESS);
            }
            let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
            let run_id = format!("{}-{stamp}", plan.config.name);
            let dir = a
                .out
                .clone()
                .unwrap_or_else(|| Path::new(&plan.config.output_dir).join(&run_id));
            prepare_dir(&dir)?;
            let meta = runner::new_metadata(&plan, &suite, &run_id);
            metadata::write(&dir, &meta)?;
            (plan, dir, meta, Recovered::default())
        }
    };
    eprintln!("nebula: running '{}' into {}", plan.config.name, dir.display());
    let meta = runner::execute(&plan, &suite, &dir, meta, done, &opts)?;
    finish::finish(&dir, &meta, true)?;
    if meta.status == "interrupted" {
        eprintln!(
            "nebula: interrupted after {} of {} windows; finish it with: nebula run --resume {}",
            meta.windows_done,
            meta.windows_planned,
            dir.display()
        );
        return Ok(ExitCode::from(130));
    }
    eprintln!("nebula: results in {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The directory must be new (or empty) and writable: checked before anything runs.
fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty: choose another --out, or --resume it",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {}: check the permissions of its parent",
            dir.display()
        )
    })?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"nebula").with_context(|| {
        format!(
            "cannot write into {}: check its permissions and free disk space",
            dir.display()
        )
    })?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}

/// A run stopped after its last window but before its summaries, charts and report were all
/// written (killed while finishing): write them now. `None` when there is something else to do.
fn finish_measured(dir: &Path) -> Result<Option<ExitCode>> {
    let meta = metadata::read(dir)?;
    let finished = ["summary.csv", "comparison.csv", crate::report::REPORT]
        .iter()
        .all(|f| dir.join(f).is_file());
    if meta.status != "complete" || finished {
        return Ok(None);
    }
    eprintln!(
        "nebula: {} has all its windows but not all its summaries and charts: writing them",
        dir.display()
    );
    finish::finish(dir, &meta, true)?;
    eprintln!("nebula: results in {}", dir.display());
    Ok(Some(ExitCode::SUCCESS))
}

fn resume(dir: &Path, suite: &Suite) -> Result<(Plan, PathBuf, metadata::Metadata, Recovered)> {
    let mut meta = metadata::read(dir)?;
    if meta.status == "complete" {
        bail!(
            "{} is already complete: nothing to resume (redraw its charts with nebula plot)",
            dir.display()
        );
    }
    let plan = config::parse(
        &format!("{}/metadata.json (config_toml)", dir.display()),
        &meta.config_toml,
        &[],
        suite,
    )?;
    let done = output::recover(dir)?;
    meta.windows_done = done.done.len();
    meta.resumed.push(metadata::now_rfc3339());
    if done.dropped_rows > 0 {
        eprintln!(
            "nebula: dropped {} rows of a window that was cut short",
            done.dropped_rows
        );
    }
    Ok((plan, dir.to_path_buf(), meta, done))
}

fn dry_run(plan: &Plan) {
    let cells = matrix::cells(plan);
    let windows = cells.len() * plan.config.repetitions as usize;
    println!(
        "{} cells x {} repetitions = {windows} windows",
        cells.len(),
        plan.config.repetitions
    );
    for c in &cells {
        println!("  {}", c.id());
    }
    let warmups: usize = cells.len() * plan.config.warmup as usize;
    let per_window = plan.min_window + plan.cooldown;
    let at_least = per_window * windows as u32 + plan.idle_baseline;
    println!(
        "calls: at least {windows} measured (each window repeats its call for {}{}) + {warmups} warm-up + {} reference",
        crate::units::human_duration(plan.min_window),
        plan.config.window_calls.map(|n| format!(" or {n} calls")).unwrap_or_default(),
        plan.functions.iter().map(|(_, i)| i.len()).sum::<usize>() * plan.runtimes.len()
    );
    println!(
        "time: at least {} (windows x (min_window + cooldown) + idle baseline); calls longer than min_window add to it",
        crate::units::human_duration(at_least)
    );
}

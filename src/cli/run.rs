//! `nebula run CONFIG [--set key=value]... [--dry-run]` and `nebula run --resume DIR`: run an
//! experiment into `results/<name>-<YYYYMMDD-HHMMSS>-<6 hex>/` (a folder it creates and locks
//! for as long as it runs), then write the summaries and charts.

use crate::experiment::config::{self, Plan};
use crate::experiment::rundir::{self, RunLock};
use crate::experiment::runner::{self, Options};
use crate::experiment::{finish, matrix, provenance};
use crate::results::files::{self as output, Recovered};
use crate::results::metadata::{self, Status, Timestamp};
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
    /// Print the cells, the number of windows and an estimate of the time, check the energy
    /// source and every input (one call on each runtime), and stop.
    #[arg(long)]
    dry_run: bool,
    /// Finish an interrupted run in DIR without redoing finished windows (refused while another
    /// nebula process is running DIR).
    #[arg(long, conflicts_with_all = ["config", "set", "dry_run", "out"])]
    resume: Option<PathBuf>,
    /// Write the run here (a new or empty folder) instead of <output_dir>/<run id> (not with
    /// --resume: a resumed run stays in its folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// A suite file of one's own whose functions the config may name (the config's `suite`
    /// key; recorded with the config).
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    suite: Option<PathBuf>,
    /// Measure part I of N of the config's cells (1 <= I <= N), for a study spread over
    /// machines: each (function, input, concurrency) with all its runtimes goes to one part.
    /// `nebula merge` joins the parts' folders into one run.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    shard: Option<String>,
    /// With --shard: the study's id, the same for all its shards (default: the config's name
    /// and the first 12 hex digits of its SHA-256, after --set).
    #[arg(long, value_name = "ID", requires = "shard")]
    study: Option<String>,
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
        return resume_run(dir, &suite, &opts);
    }
    let path = a.config.as_deref().context("a config file is required")?;
    let mut overrides = a.set.clone();
    if let Some(file) = &a.suite {
        // Absolute, so that the config (and a resume) finds it from anywhere.
        let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        overrides.push(format!(
            "suite={}",
            toml::Value::String(file.display().to_string())
        ));
    }
    let mut plan = config::load(path, &overrides, &suite)?;
    if let Some(text) = &a.shard {
        let study = a.study.clone().unwrap_or_else(|| {
            let hash = crate::digest::sha256_hex(plan.toml.as_bytes());
            format!("{}-{}", plan.config.name, &hash[..12])
        });
        plan.shard = Some(metadata::Shard::parse(text, study).map_err(|e| anyhow::anyhow!("--shard: {e}"))?);
        if matrix::cells(&plan).is_empty() {
            let groups = matrix::groups(&matrix::all_cells(&plan)).len();
            bail!(
                "--shard {text}: this part has no cells: the config has {groups} function/input/concurrency group(s), and a shard measures each whole. Fix: split it into {groups} shard(s) or fewer"
            );
        }
    }
    // From here on the suite is the plan's: with the functions of one's own the config defines.
    let suite = plan.suite.clone();
    if a.dry_run {
        dry_run(&plan, &suite)?;
        return Ok(ExitCode::SUCCESS);
    }
    // The cheap checks of where the run goes first, then the slow ones (energy source, modules,
    // one reference call per input and runtime), and only then the run folder: a run refused
    // here leaves nothing behind.
    let output_dir = Path::new(&plan.config.output_dir);
    match &a.out {
        Some(out) => rundir::precheck(out)?,
        None => rundir::create_output_dir(output_dir)?,
    }
    crate::errln!("nebula: checking the energy source and every input once on each runtime");
    let checked = runner::preflight(&plan, &suite)?;
    let (run_id, folder) = match &a.out {
        Some(out) => (rundir::new_run_id(&plan.config.name), rundir::create_at(out)?),
        None => rundir::create_fresh(output_dir, &plan.config.name)?,
    };
    let dir = folder.path.clone();
    let meta = runner::new_metadata(&plan, &suite, &run_id);
    let ran = metadata::write(&dir, &meta).and_then(|()| {
        crate::errln!("nebula: running '{}' into {}", plan.config.name, dir.display());
        runner::execute(&plan, &suite, &dir, meta, Recovered::default(), &opts, checked)
    });
    let meta = match ran {
        Ok(meta) => meta,
        Err(e) => {
            if folder.discard_unstarted() {
                crate::errln!(
                    "nebula: removed {}: the run failed before its first window; fix the problem \
                     below and run the same command again",
                    dir.display()
                );
            } else {
                crate::errln!(
                    "nebula: the windows done so far are kept in {}; once the problem below is \
                     fixed, finish the run with: nebula run --resume {}",
                    dir.display(),
                    dir.display()
                );
            }
            return Err(e);
        }
    };
    // The lock is held until the summaries, charts and report are written.
    let code = wrap_up(&dir, &meta);
    drop(folder);
    code
}

/// `--resume DIR`: under the folder's lock, write what a run killed while finishing lacks, or
/// run the windows still to do.
fn resume_run(dir: &Path, suite: &Suite, opts: &Options) -> Result<ExitCode> {
    if rundir::holds_only_a_lock(dir) {
        // A run that has just taken its lock has not written its metadata yet: while its
        // process holds the lock, the folder is in use (said by `acquire`), not empty.
        let _held = RunLock::acquire(dir)?;
        bail!(
            "{} holds no run: one was killed before it wrote anything. Remove the folder and run \
             the config again",
            dir.display()
        );
    }
    // A Nebula results folder (said clearly if not) before a lock file is made in it.
    metadata::read(dir)?;
    let _lock = RunLock::acquire(dir)?;
    // Read again under the lock: the run that held it may have written it since.
    let meta = metadata::read(dir)?;
    if let Some(code) = finish_measured(dir, &meta)? {
        return Ok(code);
    }
    let (plan, meta, done) = resume(dir, meta, suite)?;
    let suite = &plan.suite;
    crate::errln!("nebula: checking the energy source and every input once on each runtime");
    let checked = runner::preflight(&plan, suite)?;
    // A function of one's own whose build changed would mix two programs in one run.
    provenance::refuse_changed_own(&meta.modules, checked.modules(), |f| {
        suite.get(f).is_ok_and(|s| s.is_own())
    })?;
    crate::errln!("nebula: running '{}' into {}", plan.config.name, dir.display());
    let meta = runner::execute(&plan, suite, dir, meta, done, opts, checked)?;
    wrap_up(dir, &meta)
}

/// After the windows: the summaries, charts and report, and what to do next.
fn wrap_up(dir: &Path, meta: &metadata::Metadata) -> Result<ExitCode> {
    finish::finish(dir, meta, true)?;
    if meta.status == Status::Interrupted {
        crate::errln!(
            "nebula: interrupted after {} of {} windows; finish it with: nebula run --resume {}",
            meta.windows_done,
            meta.windows_planned,
            dir.display()
        );
        return Ok(ExitCode::from(130));
    }
    crate::errln!("nebula: results in {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// A run stopped after its last window but before its summaries, charts and report were all
/// written (killed while finishing): write them now. `None` when there is something else to do.
fn finish_measured(dir: &Path, meta: &metadata::Metadata) -> Result<Option<ExitCode>> {
    let finished = ["summary.csv", "comparison.csv", crate::report::REPORT]
        .iter()
        .all(|f| dir.join(f).is_file());
    if meta.status != Status::Complete || finished {
        return Ok(None);
    }
    crate::errln!(
        "nebula: {} has all its windows but not all its summaries and charts: writing them",
        dir.display()
    );
    finish::finish(dir, meta, true)?;
    crate::errln!("nebula: results in {}", dir.display());
    Ok(Some(ExitCode::SUCCESS))
}

fn resume(
    dir: &Path,
    mut meta: metadata::Metadata,
    suite: &Suite,
) -> Result<(Plan, metadata::Metadata, Recovered)> {
    if meta.status == Status::Complete {
        bail!(
            "{} is already complete: nothing to resume (redraw its charts with nebula plot)",
            dir.display()
        );
    }
    // The config's relative paths start where the config was (recorded when it has any).
    let base = meta
        .config_dir
        .as_deref()
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let mut plan = config::parse_in(
        &format!("{}/metadata.json (config_toml)", dir.display()),
        &meta.config_toml,
        &[],
        suite,
        &base,
    )?;
    // A shard resumes as the same part of its study.
    plan.shard = meta.shard.clone();
    let done = output::recover(dir)?;
    meta.windows_done = done.done.len();
    meta.resumed.push(Timestamp::now());
    if done.dropped_rows > 0 {
        crate::errln!(
            "nebula: dropped {} rows of a window that was cut short",
            done.dropped_rows
        );
    }
    Ok((plan, meta, done))
}

/// `--dry-run`: the cells, windows and a time estimate, then the same checks a run makes before
/// it creates its folder (energy source, modules, one reference call per input and runtime), so
/// that an input that fails is reported here too. Those calls take as long as one call of each
/// input on each runtime (seconds for the largest suite sizes), a small part of any run.
fn dry_run(plan: &Plan, suite: &Suite) -> Result<()> {
    let cells = matrix::cells(plan);
    let windows = cells.len() * plan.config.repetitions as usize;
    if let Some(s) = &plan.shard {
        crate::outln!(
            "shard {}/{} of study {}: {} of the config's {} cells",
            s.index,
            s.count,
            s.study,
            cells.len(),
            matrix::all_cells(plan).len()
        );
    }
    crate::outln!(
        "{} cells x {} repetitions = {windows} windows",
        cells.len(),
        plan.config.repetitions
    );
    for c in &cells {
        crate::outln!("  {}", c.id());
    }
    let warmups: usize = cells.len() * plan.config.warmup as usize;
    let per_window = plan.min_window + plan.cooldown;
    let at_least = per_window * windows as u32 + plan.idle_baseline;
    crate::outln!(
        "calls: at least {windows} measured (each window repeats its call for {}{}) + {warmups} warm-up + {} reference",
        crate::units::human_duration(plan.min_window),
        plan.config.window_calls.map(|n| format!(" or {n} calls")).unwrap_or_default(),
        cells.iter().filter(|c| c.concurrency == plan.config.concurrency[0]).count()
    );
    crate::outln!(
        "time: at least {} (windows x (min_window + cooldown) + idle baseline); calls longer than min_window add to it",
        crate::units::human_duration(at_least)
    );
    crate::errln!("nebula: checking the energy source and every input once on each runtime");
    let t0 = std::time::Instant::now();
    let checked = runner::preflight(plan, suite)?;
    let (calls, mismatches) = if plan.http {
        runner::check_http(plan, suite)?
    } else {
        (checked.reference_calls(), checked.mismatches().to_vec())
    };
    let (source, why) = checked.energy();
    crate::outln!("energy: {source} ({why})");
    crate::outln!(
        "checked: {calls} reference calls (every input once on each runtime) succeeded in {}",
        crate::units::human_duration(t0.elapsed())
    );
    for m in &mismatches {
        crate::outln!("warning: {m}");
    }
    Ok(())
}

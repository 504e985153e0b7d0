//! `nebula slurm CONFIG --shards N --results DIR [--submit]`: writes the Slurm job scripts that run
//! a study as N shards, each alone on a node, and then merge them (`DIR/shards.sbatch`,
//! `DIR/merge.sbatch`); with `--submit`, submits both, the merge to start once every shard succeeded.

use crate::cluster::slurm::{self, SbatchOptions, Study};
use crate::experiment::{config, matrix, rundir};
use crate::suite::Suite;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct SlurmArgs {
    /// The experiment config (experiments/NAME.toml).
    config: PathBuf,
    /// Split the config's cells into N shards: one array task, on a node of its own, each.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shards: u32,
    /// The results folder, on a file system every node sees (created): the two scripts, the
    /// Slurm logs, one folder per shard (shard-1 .. shard-N) and the merged run (merged/).
    #[arg(long, value_name = "DIR")]
    results: PathBuf,
    /// The Slurm partition of both jobs (#SBATCH --partition).
    #[arg(long, value_name = "P")]
    partition: Option<String>,
    /// The time limit of each job (#SBATCH --time), e.g. 2:00:00.
    #[arg(long, value_name = "T")]
    time: Option<String>,
    /// The account both jobs are charged to (#SBATCH --account).
    #[arg(long, value_name = "A")]
    account: Option<String>,
    /// The nebula binary the jobs run, at a path every node sees (default: this one).
    #[arg(long, value_name = "PATH")]
    nebula: Option<PathBuf>,
    /// Override a config value in every shard: --set repetitions=5 --set energy.source=model.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// The study id every shard records, which `nebula merge` checks (default: the config's name,
    /// the date and time, and a random suffix, like a run id).
    #[arg(long, value_name = "ID")]
    study: Option<String>,
    /// Submit both jobs with sbatch and print their job ids (else: print how to submit them).
    #[arg(long)]
    submit: bool,
}

/// Environment variables that the jobs export when they are set here (the suite folder always):
/// the shards must find the same functions, runtimes and energy source as this check did.
const PASSED_ON: [&str; 4] = [
    "NEBULA_RUNTIMES",
    "NEBULA_CACHE_DIR",
    "NEBULA_POWERCAP_ROOT",
    "NEBULA_PERF_ROOT",
];

pub fn run(a: SlurmArgs) -> Result<ExitCode> {
    let suite = Suite::load_default()?;
    let config_path = absolute(&a.config)?;
    // The config is checked here, before anything is queued: a bad one is refused with its fix.
    let plan = config::load(&config_path, &a.set, &suite)?;
    let all = matrix::cells(&plan);
    let cells = all.len();
    // A shard gets each (function, input, concurrency) whole, with all its runtimes.
    let groups = matrix::groups(&all).len();
    if a.shards as usize > groups {
        bail!(
            "--shards {}: {} has only {groups} function/input/concurrency group{} (a shard measures each with all its runtimes), and each shard needs at least one; use --shards {groups} or fewer",
            a.shards,
            config_path.display(),
            if groups == 1 { "" } else { "s" }
        );
    }
    let id = match a.study {
        Some(id) => {
            slurm::check_id(&id)?;
            id
        }
        None => rundir::new_run_id(&id_stem(&plan.config.name)),
    };
    let nebula = match &a.nebula {
        Some(p) => absolute(p)?,
        None => std::env::current_exe()
            .context("cannot tell where this nebula binary is: give it with --nebula PATH")?,
    };
    if !nebula.is_file() {
        bail!(
            "--nebula {}: no such file; give the path of the nebula binary (target/release/nebula), as every node sees it",
            nebula.display()
        );
    }
    let workdir =
        std::env::current_dir().context("cannot read the current folder, which the jobs start in")?;
    let results = absolute(&a.results)?;

    let mut env = vec![(
        "NEBULA_FUNCTIONS".to_string(),
        text(&absolute(&suite.root)?)?.to_string(),
    )];
    for key in PASSED_ON {
        if let Some(v) = std::env::var_os(key) {
            env.push((key.to_string(), text(&absolute(Path::new(&v))?)?.to_string()));
        }
    }
    let study = Study {
        id: id.clone(),
        nebula,
        config: config_path,
        workdir,
        results: results.clone(),
        shards: a.shards,
        overrides: a.set,
        env,
        sbatch: SbatchOptions {
            partition: a.partition,
            time: a.time,
            account: a.account,
        },
    };
    // Everything is checked before the results folder is made: a refused study leaves nothing.
    let scripts = study.scripts()?;
    std::fs::create_dir_all(&results)
        .with_context(|| format!("cannot create the results folder {}", results.display()))?;
    refuse_earlier_study(&results)?;
    let shards_file = results.join(slurm::SHARDS_FILE);
    let merge_file = results.join(slurm::MERGE_FILE);
    for (file, body) in [(&shards_file, &scripts.shards), (&merge_file, &scripts.merge)] {
        std::fs::write(file, body).with_context(|| format!("cannot write {}", file.display()))?;
    }
    let merged = results.join(slurm::MERGED_DIR);
    crate::errln!(
        "nebula: study {id}: {cells} cells in {} shard{}, each alone on a node; the merged run goes to {}",
        a.shards,
        if a.shards == 1 { "" } else { "s" },
        merged.display()
    );
    if !a.submit {
        crate::outln!("wrote {}", shards_file.display());
        crate::outln!("wrote {}", merge_file.display());
        crate::outln!("submit both (or run the same command with --submit):");
        for line in slurm::submit_commands(&results) {
            crate::outln!("  {line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    crate::errln!(
        "nebula: wrote {} and {}",
        shards_file.display(),
        merge_file.display()
    );
    let jobs = slurm::submit(&results)?;
    crate::outln!("shards job {}", jobs.shards);
    crate::outln!("merge job {}", jobs.merge);
    crate::errln!(
        "nebula: follow them with `squeue -j {},{}`; each shard logs to {}/slurm-{}_I.out",
        jobs.shards,
        jobs.merge,
        results.display(),
        jobs.shards
    );
    Ok(ExitCode::SUCCESS)
}

/// `path` made absolute (from the current folder), without resolving links.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make {} an absolute path", path.display()))
}

fn text(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| {
        format!(
            "{} is not valid UTF-8, which a job script cannot hold: rename it or use another path",
            path.display()
        )
    })
}

/// A results folder that already holds a shard's or a merged run's folder belongs to another
/// study: its shards would be refused (`--out` takes a new or empty folder) after queueing.
fn refuse_earlier_study(results: &Path) -> Result<()> {
    let entries = std::fs::read_dir(results).with_context(|| format!("cannot read {}", results.display()))?;
    let mut found = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("cannot read {}", results.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("shard-") || name == slurm::MERGED_DIR {
            found.push(name);
        }
    }
    if !found.is_empty() {
        found.sort();
        bail!(
            "{} already holds the folders of an earlier study ({}): give another --results folder, \
             or remove them first",
            results.display(),
            found.join(", ")
        );
    }
    Ok(())
}

/// The config's name as the start of a study id: characters an id cannot hold become `-`.
fn id_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let s = s.trim_start_matches(['.', '-']);
    if s.is_empty() {
        "study".to_string()
    } else {
        s.to_string()
    }
}

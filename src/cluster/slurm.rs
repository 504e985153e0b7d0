//! Slurm job scripts for a sharded study: `shards.sbatch`, a job array with one task per shard,
//! each alone on its node (`--exclusive`), running `nebula run CONFIG --shard I/N`, and
//! `merge.sbatch`, one job running `nebula merge` over the shard folders once every task has
//! succeeded; and their submission with `sbatch`. Every path in the scripts is absolute and every
//! argument shell-quoted ([`quote`]), so the scripts run the same from any folder and node.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The job-array script, in the results folder.
pub const SHARDS_FILE: &str = "shards.sbatch";
/// The merge job's script, in the results folder.
pub const MERGE_FILE: &str = "merge.sbatch";
/// The merged run's folder, in the results folder.
pub const MERGED_DIR: &str = "merged";

/// The folder of shard `i` (1-based) in the results folder.
pub fn shard_dir(results: &Path, i: u32) -> PathBuf {
    results.join(format!("shard-{i}"))
}

/// What the two scripts run. Paths are absolute (the jobs start elsewhere, on other nodes).
#[derive(Debug, Clone)]
pub struct Study {
    /// The study id every shard is given (`--study`), so that `nebula merge` can tell that the
    /// shard folders belong together.
    pub id: String,
    /// The `nebula` binary the jobs run.
    pub nebula: PathBuf,
    /// The experiment config.
    pub config: PathBuf,
    /// The folder the jobs `cd` into: the one `nebula slurm` was run from.
    pub workdir: PathBuf,
    /// The shared results folder: the scripts, the Slurm logs, `shard-I/` and `merged/`.
    pub results: PathBuf,
    /// How many shards (array tasks), at least 1.
    pub shards: u32,
    /// `--set KEY=VALUE` overrides, passed to every shard as given.
    pub overrides: Vec<String>,
    /// Environment variables the jobs export (NEBULA_FUNCTIONS and the like), in this order.
    pub env: Vec<(String, String)>,
    /// `#SBATCH` options of both jobs.
    pub sbatch: SbatchOptions,
}

/// The `#SBATCH` options a user may add to both jobs.
#[derive(Debug, Clone, Default)]
pub struct SbatchOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (the time limit of each job, in one of Slurm's formats: `30`, `2:00:00`, `1-0`).
    pub time: Option<String>,
    /// `--account`.
    pub account: Option<String>,
}

/// The text of the two scripts.
#[derive(Debug, Clone)]
pub struct Scripts {
    /// `shards.sbatch`.
    pub shards: String,
    /// `merge.sbatch`.
    pub merge: String,
}

impl Study {
    /// Both scripts, or what in the study cannot be written into one (a relative or non-UTF-8
    /// path, a value with a space in an `#SBATCH` line) and the fix.
    pub fn scripts(&self) -> Result<Scripts> {
        check_id(&self.id)?;
        if self.shards == 0 {
            bail!("--shards 0: a study needs at least one shard; use --shards 1 or more");
        }
        let nebula = abs_text("the nebula binary (--nebula)", &self.nebula)?;
        let config = abs_text("the config", &self.config)?;
        let workdir = abs_text("the current folder", &self.workdir)?;
        let results = abs_text("the results folder (--results)", &self.results)?;
        let head = self.header()?;
        let n = self.shards;
        let id = &self.id;
        let dir = quote(results);

        let mut shards = String::from("#!/usr/bin/env bash\n");
        shards += &format!("#SBATCH --job-name=nebula-{id}\n");
        shards += &format!("#SBATCH --array=1-{n}\n");
        shards += "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n#SBATCH --exclusive\n";
        shards += &format!(
            "#SBATCH --output={}\n",
            output_pattern(&format!("{results}/slurm-%A_%a.out"))?
        );
        shards += &head;
        shards += &format!(
            "# Study {id}: shard ${{SLURM_ARRAY_TASK_ID}} of {n} of {config}, written by `nebula slurm`.\n\
             # Each shard runs alone on its node (--exclusive): the energy of a window is read for the\n\
             # whole machine, so any other job on the node would be counted as the study's.\n\
             # Once every shard has succeeded, merge.sbatch merges {results}/shard-1..{n}.\n"
        );
        shards += &self.prelude(workdir);
        shards += ": \"${SLURM_ARRAY_TASK_ID:?is not set: submit this script with sbatch, it is a job array (one task per shard)}\"\n";
        let mut run = format!(
            "exec {} run {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --study {} --out {dir}/shard-\"${{SLURM_ARRAY_TASK_ID}}\" --quiet",
            quote(nebula),
            quote(config),
            quote(id)
        );
        for s in &self.overrides {
            run += &format!(" --set {}", quote(s));
        }
        shards += &run;
        shards += "\n";

        let mut merge = String::from("#!/usr/bin/env bash\n");
        merge += &format!("#SBATCH --job-name=nebula-merge-{id}\n");
        merge += "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
        merge += &format!(
            "#SBATCH --output={}\n",
            output_pattern(&format!("{results}/slurm-merge-%j.out"))?
        );
        merge += &head;
        merge += &format!(
            "# Study {id}: merges the {n} shard folders of {config} into {results}/{MERGED_DIR},\n\
             # written by `nebula slurm`. Submit it with --dependency=afterok:<the job id of shards.sbatch>.\n"
        );
        merge += &self.prelude(workdir);
        let mut cmd = format!("exec {} merge", quote(nebula));
        for i in 1..=n {
            cmd += &format!(" {dir}/shard-{i}");
        }
        cmd += &format!(" --out {dir}/{MERGED_DIR}\n");
        merge += &cmd;
        Ok(Scripts { shards, merge })
    }

    /// The `#SBATCH` lines of the user's options, the same in both scripts.
    fn header(&self) -> Result<String> {
        let mut h = String::new();
        for (flag, value) in [
            ("partition", &self.sbatch.partition),
            ("time", &self.sbatch.time),
            ("account", &self.sbatch.account),
        ] {
            if let Some(v) = value {
                check_sbatch_value(flag, v)?;
                h += &format!("#SBATCH --{flag}={v}\n");
            }
        }
        Ok(h)
    }

    /// `set -euo pipefail`, the `cd` into `workdir` and the exports, the same in both scripts.
    fn prelude(&self, workdir: &str) -> String {
        let mut p = String::from("set -euo pipefail\n");
        p += &format!("cd {}\n", quote(workdir));
        for (k, v) in &self.env {
            p += &format!("export {k}={}\n", quote(v));
        }
        p
    }
}

/// `path` as text, or why it cannot be written into a script.
fn abs_text<'a>(what: &str, path: &'a Path) -> Result<&'a str> {
    let text = path.to_str().with_context(|| {
        format!(
            "{what} {} is not valid UTF-8, which a job script cannot hold: rename it or use another path",
            path.display()
        )
    })?;
    if !path.is_absolute() {
        bail!("{what} {text} is relative; the job scripts need an absolute path");
    }
    if text.contains(['\n', '\r', '\0']) {
        bail!("{what} {text:?} contains a line break: rename it or use another path");
    }
    Ok(text)
}

/// The `--output=` value of an `#SBATCH` line: `%` written `%%` except in the job-id patterns
/// (`%A`, `%a`, `%j`), double-quoted when it holds a space or a quote. sbatch reads these lines
/// itself (no shell), and cannot take a double quote or a backslash in them.
fn output_pattern(pattern: &str) -> Result<String> {
    if pattern.contains(['"', '\\']) || pattern.chars().any(char::is_control) {
        bail!(
            "the results folder in {pattern} contains a double quote, a backslash or a control character, \
             which an #SBATCH --output line cannot hold: choose a results folder without them"
        );
    }
    // Only the file name (ours) has patterns; a % in the folder is a literal one.
    let (folder, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let text = format!("{}/{name}", folder.replace('%', "%%"));
    if text.chars().all(|c| !c.is_whitespace() && c != '\'') {
        Ok(text)
    } else {
        Ok(format!("\"{text}\""))
    }
}

/// A study id: 1 to 100 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-` (it names jobs and
/// is recorded by every shard).
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && !id.starts_with(['.', '-'])
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        bail!(
            "--study {id:?}: a study id is 1 to 100 letters, digits, '.', '_' or '-', not starting \
             with '.' or '-'; e.g. --study footprint-2026-run1"
        );
    }
    Ok(())
}

/// An `#SBATCH --FLAG=VALUE` value: one word, as sbatch reads those lines without a shell.
fn check_sbatch_value(flag: &str, value: &str) -> Result<()> {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'))
    {
        let example = match flag {
            "partition" => "a partition that `sinfo` lists, e.g. --partition debug",
            "time" => "a Slurm time limit, e.g. --time 2:00:00 or --time 1-0",
            _ => "an account that `sacctmgr show assoc user=$USER` lists",
        };
        bail!("--{flag} {value:?} is not one word, which an #SBATCH line needs; give {example}");
    }
    Ok(())
}

/// `s` as one shell word: as it is when it holds only characters no shell treats specially,
/// else in single quotes, each `'` written `'\''`.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ',' | ':' | '=' | '+' | '@' | '%')
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The two commands that submit the scripts in `results` by hand, the merge after the shards.
pub fn submit_commands(results: &Path) -> [String; 2] {
    let file = |name: &str| quote(&results.join(name).to_string_lossy());
    [
        format!("jobid=$(sbatch --parsable {})", file(SHARDS_FILE)),
        format!("sbatch --dependency=afterok:$jobid {}", file(MERGE_FILE)),
    ]
}

/// The job ids `sbatch` gave the two jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The job array's id (its tasks are `ID_1` .. `ID_N`).
    pub shards: String,
    /// The merge job's id.
    pub merge: String,
}

/// Submits `results/shards.sbatch`, then `results/merge.sbatch` to start once every shard has
/// succeeded (`--dependency=afterok:<array job id>`).
pub fn submit(results: &Path) -> Result<Submitted> {
    let shards_file = results.join(SHARDS_FILE);
    let merge_file = results.join(MERGE_FILE);
    let by_hand = submit_commands(results).join("; ");
    let shards = sbatch(&[], &shards_file).map_err(|e| {
        e.context(format!(
            "nothing was submitted (the scripts are written: once what follows is fixed, run the same \
             command again or submit them by hand: {by_hand})"
        ))
    })?;
    let merge = sbatch(&[format!("--dependency=afterok:{shards}")], &merge_file).map_err(|e| {
        e.context(format!(
            "the shards are queued as job {shards}, but their merge job is not: cancel the shards with \
             `scancel {shards}`, or fix the problem and submit the merge alone with `sbatch \
             --dependency=afterok:{shards} {}`",
            quote(&merge_file.to_string_lossy())
        ))
    })?;
    Ok(Submitted { shards, merge })
}

/// `sbatch --parsable ARGS FILE`: the job id, or sbatch's complaint and the fix.
fn sbatch(args: &[String], file: &Path) -> Result<String> {
    let out = match Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(file)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "sbatch is not on PATH: run this on a machine with the Slurm client (a cluster's login \
             node), or try a one-node Slurm here with `sudo bash scripts/slurm-local.sh start`"
        ),
        Err(e) => return Err(e).context("cannot run sbatch"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "sbatch refused {} ({}): {}. Fix what sbatch says (a partition that `sinfo` lists, an \
             account of yours, a --time within the partition's limit)",
            file.display(),
            out.status,
            stderr.trim()
        );
    }
    parse_job_id(&String::from_utf8_lossy(&out.stdout)).with_context(|| {
        format!(
            "sbatch accepted {} but printed no job id (stderr: {})",
            file.display(),
            stderr.trim()
        )
    })
}

/// The job id in `sbatch --parsable`'s output: `ID` or `ID;CLUSTER`.
pub fn parse_job_id(stdout: &str) -> Result<String> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let id = line.split(';').next().unwrap_or("").trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("sbatch --parsable printed {stdout:?}, not a job id; check the Slurm client's version and configuration");
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study() -> Study {
        Study {
            id: "quick-20260101-120000-abcdef".into(),
            nebula: "/opt/nebula/bin/nebula".into(),
            config: "/home/a/exp/quick.toml".into(),
            workdir: "/home/a/nebula".into(),
            results: "/shared/runs/quick".into(),
            shards: 3,
            overrides: vec!["repetitions=5".into(), "runtimes=[\"wasm\",\"native\"]".into()],
            env: vec![("NEBULA_FUNCTIONS".into(), "/home/a/nebula/functions".into())],
            sbatch: SbatchOptions {
                partition: Some("debug".into()),
                time: Some("2:00:00".into()),
                account: None,
            },
        }
    }

    #[test]
    fn the_shard_script_is_an_exclusive_array_that_runs_its_shard() {
        let s = study().scripts().unwrap();
        let lines: Vec<&str> = s.shards.lines().collect();
        assert_eq!(lines[0], "#!/usr/bin/env bash");
        for want in [
            "#SBATCH --job-name=nebula-quick-20260101-120000-abcdef",
            "#SBATCH --array=1-3",
            "#SBATCH --nodes=1",
            "#SBATCH --ntasks=1",
            "#SBATCH --exclusive",
            "#SBATCH --output=/shared/runs/quick/slurm-%A_%a.out",
            "#SBATCH --partition=debug",
            "#SBATCH --time=2:00:00",
            "set -euo pipefail",
            "cd /home/a/nebula",
            "export NEBULA_FUNCTIONS=/home/a/nebula/functions",
        ] {
            assert!(lines.contains(&want), "no line {want:?} in:\n{}", s.shards);
        }
        assert!(!s.shards.contains("--account"), "{}", s.shards);
        assert_eq!(
            *lines.last().unwrap(),
            "exec /opt/nebula/bin/nebula run /home/a/exp/quick.toml --shard \"${SLURM_ARRAY_TASK_ID}/3\" \
             --study quick-20260101-120000-abcdef --out /shared/runs/quick/shard-\"${SLURM_ARRAY_TASK_ID}\" \
             --quiet --set repetitions=5 --set 'runtimes=[\"wasm\",\"native\"]'"
        );
        // sbatch reads #SBATCH lines only before the first command.
        let first_command = lines.iter().position(|l| !l.starts_with('#')).unwrap();
        assert!(lines[first_command..].iter().all(|l| !l.starts_with("#SBATCH")));
    }

    #[test]
    fn the_merge_script_merges_every_shard_folder() {
        let s = study().scripts().unwrap();
        let lines: Vec<&str> = s.merge.lines().collect();
        assert!(lines.contains(&"#SBATCH --output=/shared/runs/quick/slurm-merge-%j.out"));
        assert!(lines.contains(&"#SBATCH --partition=debug"));
        assert!(!s.merge.contains("--array") && !s.merge.contains("--exclusive"));
        assert_eq!(
            *lines.last().unwrap(),
            "exec /opt/nebula/bin/nebula merge /shared/runs/quick/shard-1 /shared/runs/quick/shard-2 \
             /shared/runs/quick/shard-3 --out /shared/runs/quick/merged"
        );
    }

    #[test]
    fn a_results_folder_with_a_space_or_a_percent_sign_is_quoted_and_escaped() {
        let mut st = study();
        st.results = "/shared/my runs/100%".into();
        let s = st.scripts().unwrap();
        assert!(
            s.shards
                .contains("#SBATCH --output=\"/shared/my runs/100%%/slurm-%A_%a.out\"\n"),
            "{}",
            s.shards
        );
        assert!(s
            .shards
            .contains("--out '/shared/my runs/100%'/shard-\"${SLURM_ARRAY_TASK_ID}\" "));
        assert!(s
            .merge
            .contains(" '/shared/my runs/100%'/shard-3 --out '/shared/my runs/100%'/merged\n"));
    }

    #[test]
    fn what_a_script_cannot_hold_is_refused_with_the_fix() {
        let mut st = study();
        st.results = "runs/quick".into();
        let e = st.scripts().unwrap_err().to_string();
        assert!(e.contains("runs/quick is relative"), "{e}");

        let mut st = study();
        st.results = "/shared/say \"hi\"".into();
        let e = st.scripts().unwrap_err().to_string();
        assert!(
            e.contains("double quote") && e.contains("choose a results folder"),
            "{e}"
        );

        let mut st = study();
        st.sbatch.partition = Some("gpu large".into());
        let e = st.scripts().unwrap_err().to_string();
        assert!(
            e.contains("--partition \"gpu large\" is not one word") && e.contains("sinfo"),
            "{e}"
        );

        let mut st = study();
        st.id = "my study".into();
        let e = st.scripts().unwrap_err().to_string();
        assert!(
            e.contains("--study \"my study\"") && e.contains("letters, digits"),
            "{e}"
        );

        let mut st = study();
        st.shards = 0;
        let e = st.scripts().unwrap_err().to_string();
        assert!(e.contains("--shards 1 or more"), "{e}");
    }

    #[test]
    fn quoting_leaves_plain_words_alone_and_survives_bash() {
        assert_eq!(quote("repetitions=5"), "repetitions=5");
        assert_eq!(quote("/a/b-c_d.toml"), "/a/b-c_d.toml");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(
            quote("runtimes=[\"wasm\",\"native\"]"),
            "'runtimes=[\"wasm\",\"native\"]'"
        );
        let words = [
            "runtimes=[\"wasm\",\"native\"]",
            "it's",
            "",
            "$HOME `id` $(id) \\ * ? ~ ! # ; & | < > { } ( )",
            "a\nb\tc",
            "'''",
            "name=\"x y\"",
            "ünï",
        ];
        let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s\\0' {}", line.join(" ")))
            .output()
            .unwrap();
        assert!(out.status.success());
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(String::from)
            .collect();
        assert_eq!(got, words);
    }

    #[test]
    fn job_ids_are_read_from_sbatch_parsable() {
        assert_eq!(parse_job_id("1234\n").unwrap(), "1234");
        assert_eq!(parse_job_id("77;cluster-a\n").unwrap(), "77");
        let e = parse_job_id("Submitted batch job 12\n").unwrap_err().to_string();
        assert!(e.contains("not a job id"), "{e}");
        assert!(parse_job_id("").is_err());
    }
}

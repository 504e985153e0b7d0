//! Runtimes defined by a command template (`[[runtime]]` tables): the definition, its
//! placeholders, the checks that refuse a bad one with its fix, and the shipped definitions
//! (`runtimes/runtimes.toml`: the wasmtime CLI, wasmi, Node's WASI, a pinned native build).
//!
//! A template's elements may hold these placeholders:
//! - `{wasm}` the function's module, or `{native}` its native program (exactly one of them);
//! - `{args}` (a whole element) the call's arguments, each through the `arg` template;
//! - `{dirs}` (a whole element) the call's directories, each through the `dir` template
//!   (`{host}`, `{guest}`);
//! - `{env}` (a whole element) the call's environment, each variable through the `env`
//!   template (`{name}`, `{value}`);
//! - `{markers}` a module exporting no-op `start` and `end` (for `--preload bench=...`);
//! - `{here}` the folder of the file that defines the runtime.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a runtime deals with the `bench.start` / `bench.end` imports of a module that marks its
/// kernel, and so whether kernel time is known on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Markers {
    /// The runtime provides the imports and writes `start`/`end` lines on `$NEBULA_MARKER_FD`,
    /// as a native build of the suite does: kernel time is measured (Node's script, a
    /// `{native}` template).
    Report,
    /// The runtime provides the imports itself or through `{markers}` (a preload): the module
    /// runs as built; kernel time is not known.
    Provided,
    /// Nebula gives `{wasm}` a copy of the module whose marker imports are replaced by no-op
    /// functions, for a runtime that offers no way to provide them: kernel time is not known.
    Strip,
}

impl Markers {
    /// The value as a definition spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Markers::Report => "report",
            Markers::Provided => "provided",
            Markers::Strip => "strip",
        }
    }
}

/// One `[[runtime]]` table: a runtime that runs each call as a process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The runtime's name, as `runtimes`, calls.csv and the charts spell it.
    pub name: String,
    /// What it is, in a line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The program and its arguments, with placeholders (see the module's doc).
    pub command: Vec<String>,
    /// A command that prints the runtime's version, recorded in metadata.json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Vec<String>>,
    /// How to install the program, said when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
    /// The elements one argument of the call becomes in `{args}` (default `["{arg}"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<Vec<String>>,
    /// The elements one directory becomes in `{dirs}`, with `{host}` and `{guest}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<Vec<String>>,
    /// The elements one environment variable becomes in `{env}`, with `{name}` and `{value}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// How the marker imports are met (default: `report` for `{native}`, `strip` for `{wasm}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markers: Option<Markers>,
    /// The folder of the file that defines the runtime (`{here}`); set when it is loaded.
    #[serde(skip)]
    pub here: PathBuf,
}

/// The whole-element placeholders.
const ARGS: &str = "{args}";
const DIRS: &str = "{dirs}";
const ENV: &str = "{env}";

impl CommandSpec {
    /// Whether the template runs the module (`{wasm}`) rather than the native program.
    pub fn runs_wasm(&self) -> bool {
        self.command.iter().any(|c| c.contains("{wasm}"))
    }

    /// How the marker imports are met, with the default filled in.
    pub fn markers(&self) -> Markers {
        self.markers.unwrap_or(match self.runs_wasm() {
            true => Markers::Strip,
            false => Markers::Report,
        })
    }

    /// Whether kernel time is measured on this runtime.
    pub fn kernel_time(&self) -> bool {
        self.markers() == Markers::Report
    }

    /// Whether the template passes the call's environment to the guest itself (`{env}`); a
    /// `{native}` template without it sets the variables on the process.
    pub fn passes_env(&self) -> bool {
        self.command.iter().any(|c| c == ENV)
    }

    /// Whether the template passes the call's directories (`{dirs}`).
    pub fn passes_dirs(&self) -> bool {
        self.command.iter().any(|c| c == DIRS)
    }

    /// The program the template starts, `{here}` filled in.
    pub fn program(&self) -> String {
        self.command
            .first()
            .map(|p| self.fill_here(p))
            .unwrap_or_default()
    }

    fn fill_here(&self, s: &str) -> String {
        s.replace("{here}", &self.here.display().to_string())
    }

    /// What is wrong with the definition, said with the key and the fix; `None` when it is fine.
    pub fn problem(&self) -> Option<(&'static str, String, String)> {
        let name = &self.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Some((
                "name",
                format!("runtime name '{name}' is not a plain name"),
                "use letters, digits, '-', '_' and '.', e.g. \"wasmtime-cli\"".into(),
            ));
        }
        let wasm = self.command.iter().filter(|c| c.contains("{wasm}")).count();
        let native = self.command.iter().filter(|c| c.contains("{native}")).count();
        if wasm + native != 1 {
            return Some((
                "command",
                format!(
                    "runtime '{name}': the command names the module {{wasm}} {wasm} and the native program {{native}} {native} times"
                ),
                "name exactly one of them once, e.g. command = [\"wasmtime\", \"run\", \"{wasm}\", \"{args}\"]".into(),
            ));
        }
        if self.program().is_empty() || self.program().starts_with('{') {
            return Some((
                "command",
                format!("runtime '{name}': the command does not start with a program"),
                "put the program first, e.g. command = [\"node\", \"{here}/script.mjs\", \"{wasm}\"]".into(),
            ));
        }
        if let Some(p) = self.command.iter().find(|c| {
            [ARGS, DIRS, ENV]
                .iter()
                .any(|w| c.contains(w) && c.as_str() != *w)
        }) {
            return Some((
                "command",
                format!("runtime '{name}': '{p}' puts a list placeholder inside another element"),
                "give {args}, {dirs} and {env} elements of their own, and shape each item with `arg`, `dir` and `env`".into(),
            ));
        }
        if self.markers() == Markers::Strip && !self.runs_wasm() {
            return Some((
                "markers",
                format!("runtime '{name}': \"strip\" changes a module, and the command runs {{native}}"),
                "use markers = \"report\" (the native program reports its markers) or leave it out".into(),
            ));
        }
        if let Some(v) = self.version.as_ref().filter(|v| v.is_empty()) {
            return Some((
                "version",
                format!("runtime '{name}': the version command is empty ({v:?})"),
                "give the program and its flag, e.g. version = [\"wasmtime\", \"--version\"]".into(),
            ));
        }
        None
    }

    /// The program the template starts, as a file: a name without `/` is looked up on `path`
    /// (a list like PATH), a relative path is taken from the current folder. An error, with
    /// the install line, when there is no such executable file.
    pub fn find_program(&self, path: &str) -> Result<PathBuf, (String, String)> {
        let program = self.program();
        let found = if program.contains('/') {
            Some(PathBuf::from(&program)).filter(|p| is_executable(p))
        } else {
            path.split(':')
                .filter(|d| !d.is_empty())
                .map(|d| Path::new(d).join(&program))
                .find(|p| is_executable(p))
        };
        found.ok_or_else(|| {
            let fix = match &self.install {
                Some(i) => format!("install it: {i}"),
                None => format!(
                    "install {program}, or give its path as the first element of the runtime's `command`"
                ),
            };
            (
                format!(
                    "runtime '{}': its command '{program}' is not {}",
                    self.name,
                    match program.contains('/') {
                        true => "an executable file".to_string(),
                        false => "on PATH".to_string(),
                    }
                ),
                fix,
            )
        })
    }

    /// The arguments after the program for one call: `build` replaces `{wasm}` or `{native}`,
    /// `markers` replaces `{markers}`, and the list placeholders expand the call's `args`,
    /// `dirs` (host, guest) and `env`.
    pub fn argv(
        &self,
        build: &Path,
        markers: &Path,
        args: &[String],
        dirs: &[(String, String)],
        env: &[(String, String)],
    ) -> Vec<String> {
        let arg = self.arg.clone().unwrap_or_else(|| vec!["{arg}".into()]);
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(|| vec!["--dir".into(), "{host}::{guest}".into()]);
        let var = self
            .env
            .clone()
            .unwrap_or_else(|| vec!["--env".into(), "{name}={value}".into()]);
        let mut out = Vec::new();
        for c in self.command.iter().skip(1) {
            match c.as_str() {
                ARGS => {
                    for a in args {
                        out.extend(arg.iter().map(|t| t.replace("{arg}", a)));
                    }
                }
                DIRS => {
                    for (h, g) in dirs {
                        out.extend(dir.iter().map(|t| t.replace("{host}", h).replace("{guest}", g)));
                    }
                }
                ENV => {
                    for (n, v) in env {
                        out.extend(var.iter().map(|t| t.replace("{name}", n).replace("{value}", v)));
                    }
                }
                _ => {
                    let b = build.display().to_string();
                    out.push(
                        self.fill_here(c)
                            .replace("{wasm}", &b)
                            .replace("{native}", &b)
                            .replace("{markers}", &markers.display().to_string()),
                    )
                }
            }
        }
        out
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The `[[runtime]]` tables of a file.
#[derive(Debug, Default, Deserialize)]
struct RuntimesFile {
    #[serde(default)]
    runtime: Vec<CommandSpec>,
}

/// The shipped definitions' folder: `$NEBULA_RUNTIMES`, else `runtimes/` under the current
/// folder, else next to the crate this binary was built from.
pub fn shipped_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("NEBULA_RUNTIMES") {
        return PathBuf::from(p);
    }
    let here = PathBuf::from("runtimes");
    if here.join(SHIPPED_FILE).is_file() {
        return std::path::absolute(&here).unwrap_or(here);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtimes")
}

/// The file of shipped definitions in [`shipped_dir`].
pub const SHIPPED_FILE: &str = "runtimes.toml";

/// The definitions of `text` (the file `file`, in the folder `here`), each checked.
pub fn parse(file: &str, text: &str, here: &Path) -> anyhow::Result<Vec<CommandSpec>> {
    let f: RuntimesFile =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("invalid runtime definitions in {file}: {e}"))?;
    set_here(f.runtime, file, here)
}

/// Definitions from `file` in the folder `here`, each checked and `here` set; two of one name
/// are refused.
pub fn set_here(defs: Vec<CommandSpec>, file: &str, here: &Path) -> anyhow::Result<Vec<CommandSpec>> {
    let mut out: Vec<CommandSpec> = Vec::new();
    for mut d in defs {
        if let Some((key, problem, fix)) = d.problem() {
            anyhow::bail!("{file}: [[runtime]] {key}: {problem}. Fix: {fix}");
        }
        if out.iter().any(|o| o.name == d.name) {
            anyhow::bail!(
                "{file}: [[runtime]] name: runtime '{}' is defined twice. Fix: keep one definition",
                d.name
            );
        }
        d.here = here.to_path_buf();
        out.push(d);
    }
    Ok(out)
}

/// The shipped definitions; none when their file is not there.
pub fn shipped() -> anyhow::Result<Vec<CommandSpec>> {
    let dir = shipped_dir();
    let file = dir.join(SHIPPED_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&file.display().to_string(), &text, &dir),
        Err(_) => Ok(Vec::new()),
    }
}

/// `defs` with `later` added: a later definition of a name replaces the earlier one (a
/// config's `node` replaces the shipped `node`).
pub fn overlay(defs: &mut Vec<CommandSpec>, later: Vec<CommandSpec>) {
    for d in later {
        match defs.iter_mut().find(|o| o.name == d.name) {
            Some(o) => *o = d,
            None => defs.push(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(command: &[&str]) -> CommandSpec {
        CommandSpec {
            name: "rt".into(),
            description: String::new(),
            command: command.iter().map(|s| s.to_string()).collect(),
            version: None,
            install: Some("apt-get install rt".into()),
            arg: None,
            dir: None,
            env: None,
            markers: None,
            here: PathBuf::from("/defs"),
        }
    }

    #[test]
    fn placeholders_expand_to_the_calls_parts() {
        let mut s = spec(&[
            "{here}/rt",
            "--preload",
            "bench={markers}",
            "{dirs}",
            "{env}",
            "{wasm}",
            "{args}",
        ]);
        s.arg = Some(vec!["--arg={arg}".into()]);
        let argv = s.argv(
            Path::new("/m/f.wasm"),
            Path::new("/c/markers.wasm"),
            &["a b".into(), "-x".into()],
            &[("/data".into(), "/d".into())],
            &[("K".into(), "v=1".into())],
        );
        assert_eq!(
            argv,
            [
                "--preload",
                "bench=/c/markers.wasm",
                "--dir",
                "/data::/d",
                "--env",
                "K=v=1",
                "/m/f.wasm",
                "--arg=a b",
                "--arg=-x"
            ]
        );
        assert_eq!(s.program(), "/defs/rt");
        assert_eq!(s.markers(), Markers::Strip);
        assert!(s.runs_wasm() && s.passes_env() && s.passes_dirs() && !s.kernel_time());
        let n = spec(&["taskset", "-c", "0", "{native}", "{args}"]);
        assert_eq!(n.markers(), Markers::Report);
        assert!(n.kernel_time() && !n.passes_env());
        let argv = n.argv(Path::new("/b/fib"), Path::new("/m"), &["3".into()], &[], &[]);
        assert_eq!(argv, ["-c", "0", "/b/fib", "3"]);
    }

    #[test]
    fn a_bad_definition_is_refused_with_the_key_and_the_fix() {
        let key = |s: &CommandSpec| s.problem().map(|p| p.0);
        assert_eq!(key(&spec(&["rt", "{wasm}"])), None);
        assert_eq!(key(&spec(&["rt", "{args}"])), Some("command"), "no build");
        assert_eq!(key(&spec(&["rt", "{wasm}", "{native}"])), Some("command"));
        assert_eq!(key(&spec(&["{wasm}"])), Some("command"), "no program");
        assert_eq!(key(&spec(&["rt", "{wasm}", "x{args}"])), Some("command"));
        let mut s = spec(&["rt", "{native}"]);
        s.markers = Some(Markers::Strip);
        assert_eq!(key(&s), Some("markers"));
        let mut s = spec(&["rt", "{wasm}"]);
        s.name = "a b".into();
        assert_eq!(key(&s), Some("name"));
    }

    #[test]
    fn a_missing_program_is_refused_with_its_install_line() {
        let s = spec(&["no-such-program-here", "{wasm}"]);
        let (problem, fix) = s.find_program("/usr/bin:/bin").expect_err("missing");
        assert!(
            problem.contains("'no-such-program-here' is not on PATH"),
            "{problem}"
        );
        assert_eq!(fix, "install it: apt-get install rt");
        let sh = spec(&["sh", "{wasm}"]);
        assert_eq!(sh.find_program("/nope:/bin").ok(), Some(PathBuf::from("/bin/sh")));
    }

    #[test]
    fn the_shipped_definitions_are_valid_and_a_later_one_replaces_a_shipped_one() {
        let defs = shipped().expect("shipped runtimes");
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        for n in ["wasmtime-cli", "wasmi", "node", "native-pinned"] {
            assert!(names.contains(&n), "{names:?}");
        }
        assert!(defs.iter().all(|d| d.install.is_some() && d.version.is_some()));
        let mut all = defs.clone();
        let mut mine = spec(&["mynode", "{wasm}"]);
        mine.name = "node".into();
        overlay(&mut all, vec![mine]);
        assert_eq!(all.len(), defs.len());
        assert!(all.iter().any(|d| d.name == "node" && d.program() == "mynode"));
    }
}

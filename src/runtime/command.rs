//! Runtimes defined by a command template (`[[runtime]]`): each call runs the template's
//! program as a process, measured as `native` is (spawn to exit, the child's CPU time, its
//! output capped, killed at the timeout), with the function's module or native program, the
//! call's arguments, directories and environment put in the template's placeholders.

use super::native::{spawn_and_collect, Process};
use super::wasm::failed;
use super::{CallError, CallInput, CallOutcome, Limits, Runtime, RuntimeKind};
use crate::results::metadata::CommandRecord;
use crate::suite::runtimes::{CommandSpec, Markers};
use anyhow::{anyhow, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A definition, kept for the rest of the process so that [`RuntimeKind`] stays `Copy`; two
/// are the same runtime when they have the same name.
#[derive(Clone, Copy)]
pub struct CommandRef(&'static CommandSpec);

impl CommandRef {
    /// The runtime's name.
    pub fn name(self) -> &'static str {
        &self.0.name
    }

    /// The definition.
    pub fn spec(self) -> &'static CommandSpec {
        self.0
    }
}

impl PartialEq for CommandRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name
    }
}
impl Eq for CommandRef {}
impl std::hash::Hash for CommandRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state)
    }
}
impl PartialOrd for CommandRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for CommandRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.name.cmp(&other.0.name)
    }
}
impl std::fmt::Debug for CommandRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Command({})", self.0.name)
    }
}
impl Serialize for CommandRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.name)
    }
}

/// The runtime of a definition. Each distinct definition is kept once for the process (a
/// config defines a handful).
pub fn intern(spec: &CommandSpec) -> RuntimeKind {
    static KEPT: Mutex<Vec<&'static CommandSpec>> = Mutex::new(Vec::new());
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    let found = match kept.iter().find(|k| **k == spec) {
        Some(k) => *k,
        None => {
            let k: &'static CommandSpec = Box::leak(Box::new(spec.clone()));
            kept.push(k);
            k
        }
    };
    RuntimeKind::Command(CommandRef(found))
}

/// The PATH a template's program is looked up on: this process's, else the native one.
pub fn search_path() -> String {
    std::env::var("PATH").unwrap_or_else(|_| super::native::NATIVE_PATH.to_string())
}

/// A function run by a command runtime.
pub struct CommandFunction {
    kind: RuntimeKind,
    spec: &'static CommandSpec,
    program: PathBuf,
    build: PathBuf,
    markers: PathBuf,
    limits: Limits,
}

impl CommandFunction {
    /// The function whose build is `build` (its module, or its native program) on the runtime
    /// `c`, under `limits`: an error, with the install line, when the template's program is
    /// missing.
    pub fn new(c: CommandRef, build: &Path, limits: Limits) -> Result<CommandFunction> {
        let spec = c.spec();
        let program = spec
            .find_program(&search_path())
            .map_err(|(problem, fix)| anyhow!("{problem}. Fix: {fix}"))?;
        let build = match spec.markers() {
            Markers::Strip => super::strip::stripped_copy(build)?,
            _ => build.to_path_buf(),
        };
        let markers = match spec.command.iter().any(|c| c.contains("{markers}")) {
            true => super::strip::markers_module()?,
            false => PathBuf::new(),
        };
        Ok(CommandFunction {
            kind: RuntimeKind::Command(c),
            spec,
            program,
            build,
            markers,
            limits,
        })
    }

    /// The file the template is given for `{wasm}` or `{native}` (a copy without the marker
    /// imports for `markers = "strip"`).
    pub fn build(&self) -> &Path {
        &self.build
    }

    /// The program and its arguments for a call with `input`, and the variables set on the
    /// process (the call's own when the template does not pass them with `{env}`).
    pub fn argv(&self, input: &CallInput) -> (Vec<String>, Vec<(String, String)>) {
        let dirs: Vec<(String, String)> = input
            .dirs
            .iter()
            .map(|d| (d.host.display().to_string(), d.guest.clone()))
            .collect();
        let (env_args, env_process) = match self.spec.passes_env() {
            true => (input.env.clone(), Vec::new()),
            false => (Vec::new(), input.env.clone()),
        };
        let args = self
            .spec
            .argv(&self.build, &self.markers, &input.args, &dirs, &env_args);
        let mut env = env_process;
        // Tools such as a runtime's own cache look for HOME.
        if let Some(home) = std::env::var_os("HOME") {
            env.push(("HOME".into(), home.to_string_lossy().into_owned()));
        }
        (args, env)
    }
}

impl Runtime for CommandFunction {
    fn kind(&self) -> RuntimeKind {
        self.kind
    }

    fn call(&self, input: &CallInput) -> CallOutcome {
        let t0 = Instant::now();
        let (args, env) = self.argv(input);
        let process = Process {
            program: &self.program,
            args: &args,
            env: &env,
            path: &search_path(),
            kind: self.kind,
        };
        let mut o = match spawn_and_collect(&process, input, self.limits, t0) {
            Ok(o) => o,
            Err(e) => failed(self.kind, t0, CallError::Load(format!("{e:#}"))),
        };
        // A kernel reported by a runtime that does not measure one is not believed.
        if !self.spec.kernel_time() {
            o.kernel = None;
        }
        o
    }
}

/// The record of `spec`: its program found on PATH and its version asked of it (at most 10 s).
pub fn record(spec: &CommandSpec) -> CommandRecord {
    let program = spec.find_program(&search_path()).ok();
    CommandRecord {
        name: spec.name.clone(),
        description: spec.description.clone(),
        command: spec.command.clone(),
        program: program.map(|p| p.display().to_string()).unwrap_or_default(),
        version: version(spec),
        markers: spec.markers().as_str().into(),
        kernel_time: spec.kernel_time(),
        install: spec.install.clone(),
    }
}

/// The first line the definition's version command prints (stdout, else stderr), or why
/// there is none.
pub fn version(spec: &CommandSpec) -> String {
    let Some((first, rest)) = spec.version.as_ref().and_then(|v| v.split_first()) else {
        return "unknown (the definition gives no `version` command)".into();
    };
    let mut probe = spec.clone();
    probe.command = vec![first.clone(), "{wasm}".into()];
    let program = match probe.find_program(&search_path()) {
        Ok(p) => p,
        Err((problem, _)) => return format!("unknown ({problem})"),
    };
    let limits = Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let process = Process {
        program: &program,
        args: rest,
        env: &[],
        path: &search_path(),
        kind: RuntimeKind::Native,
    };
    match spawn_and_collect(&process, &CallInput::default(), limits, Instant::now()) {
        Ok(o) if o.ok() => {
            let text = match o.stdout.iter().all(u8::is_ascii_whitespace) {
                true => o.stderr_tail,
                false => o.stdout,
            };
            let text = String::from_utf8_lossy(&text);
            match text.lines().map(str::trim).find(|l| !l.is_empty()) {
                Some(l) => l.to_string(),
                None => "unknown (the version command printed nothing)".into(),
            }
        }
        Ok(o) => format!(
            "unknown (`{}` failed: {})",
            spec.version.as_deref().unwrap_or_default().join(" "),
            o.error.map(|e| e.to_string()).unwrap_or_default()
        ),
        Err(e) => format!("unknown ({e:#})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Preopen;

    fn sh_runtime(markers: Option<Markers>, script: &str) -> CommandSpec {
        CommandSpec {
            name: format!("sh-{}", markers.map_or("default", |m| m.as_str())),
            description: String::new(),
            command: vec![
                "sh".into(),
                "-c".into(),
                script.into(),
                "sh".into(),
                "{native}".into(),
                "{args}".into(),
            ],
            version: Some(vec!["sh".into(), "-c".into(), "echo sh 1.2; echo more".into()]),
            install: Some("apt-get install dash".into()),
            arg: None,
            dir: None,
            env: None,
            markers,
            here: PathBuf::new(),
        }
    }

    #[test]
    fn a_call_runs_the_template_and_is_measured_as_native() {
        let spec = sh_runtime(
            None,
            r#"echo "$1 $2 $K"; cat; printf "start 1 0\nend 2 0\n" >&$NEBULA_MARKER_FD"#,
        );
        let RuntimeKind::Command(c) = intern(&spec) else {
            panic!("not a command runtime")
        };
        let f = CommandFunction::new(c, Path::new("/bin/true"), Limits::default()).expect("sh");
        let input = CallInput {
            stdin: b"in".to_vec(),
            args: vec!["a".into()],
            env: vec![("K".into(), "v".into())],
            dirs: vec![Preopen::read_only("/tmp", "/t")],
            ..CallInput::default()
        };
        let o = f.call(&input);
        assert!(o.ok(), "{:?}", o.error);
        assert_eq!(String::from_utf8_lossy(&o.stdout), "/bin/true a v\nin");
        assert_eq!(o.runtime.as_str(), spec.name);
        assert!(o.phases.spawn_to_exit.is_some());
        assert_eq!(o.kernel.map(|k| k.duration), Some(Duration::from_nanos(1)));
        // The same report from a runtime that says it measures no kernel is dropped.
        let spec = sh_runtime(
            Some(Markers::Provided),
            r#"printf "start 1 0\nend 2 0\n" >&$NEBULA_MARKER_FD"#,
        );
        let RuntimeKind::Command(c) = intern(&spec) else {
            panic!("not a command runtime")
        };
        let f = CommandFunction::new(c, Path::new("/bin/true"), Limits::default()).expect("sh");
        assert!(f.call(&CallInput::default()).kernel.is_none());
        assert_eq!(record(&spec).version, "sh 1.2");
        assert!(!record(&spec).kernel_time);
    }

    #[test]
    fn a_missing_program_fails_to_load_with_its_install_line() {
        let mut spec = sh_runtime(None, "");
        spec.command[0] = "no-such-runtime-program".into();
        let RuntimeKind::Command(c) = intern(&spec) else {
            panic!("not a command runtime")
        };
        let e = CommandFunction::new(c, Path::new("/bin/true"), Limits::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("install it: apt-get install dash"), "{e}");
        let r = record(&spec);
        assert_eq!(
            (r.program.as_str(), r.version.as_str()),
            ("", "sh 1.2"),
            "the version runs sh"
        );
        spec.version = Some(vec!["no-such-runtime-program".into()]);
        assert!(record(&spec).version.contains("not on PATH"));
    }
}

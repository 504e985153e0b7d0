//! The function suite: what `functions/suite.toml` lists, and where each function's wasm and
//! native builds live, plus the functions of a researcher's own (any WASI command module and
//! any native program, in any language), from a suite file of theirs or an experiment's
//! `[[function]]` tables: their builds, arguments, stdin, environment and directories; and the
//! runtimes defined by command templates ([`runtimes`]).

pub mod runtimes;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One function, as a suite manifest (or an experiment's `[[function]]`) describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// The function's name, as commands and the `function` column spell it; for the suite's
    /// own functions also their builds' file name (`NAME.wasm`).
    pub name: String,
    /// What the function computes, in one line.
    #[serde(default)]
    pub description: String,
    /// What the input means and its valid range.
    #[serde(default)]
    pub input: String,
    /// A typical input for `nebula invoke`.
    #[serde(default)]
    pub example: String,
    /// Suggested input sizes, small to large (numbers or strings).
    #[serde(default, deserialize_with = "texts")]
    pub sizes: Vec<String>,
    /// Whether the function marks its kernel with `bench.start` / `bench.end`.
    #[serde(default)]
    pub markers: bool,
    /// What charts call the input on their input axis, e.g. "n (number of terms)" or
    /// "Data size"; absent: "Input n".
    #[serde(default)]
    pub input_label: Option<String>,
    /// When the input is a size in bytes, the unit of n ("B", "KiB", "MiB" or "GiB"): charts
    /// then draw the input in bytes with binary tick labels.
    #[serde(default)]
    pub input_unit: Option<String>,
    /// What differs between the function's wasm and native builds besides the runtime (the
    /// instructions each may use), or why nothing does: the suite's `build_note`, shown in
    /// `nebula functions`, metadata.json and the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_note: Option<String>,
    /// A function of one's own: its WASI preview-1 command module (absolute once loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm: Option<PathBuf>,
    /// A function of one's own: the same program built for wasm with the `simd128` target
    /// feature, which the `wasm-simd128` runtime runs (absolute once loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_simd128: Option<PathBuf>,
    /// A function of one's own: its native program, a path or a command list such as
    /// `["python3", "bench/nbody.py"]` (the program's path absolute once loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeCommand>,
    /// Arguments after the program name; `{input}` is replaced by the input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// What the program reads on stdin (`{input}` replaced); absent: the input itself when no
    /// argument uses `{input}`, else nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables of each call (`{input}` replaced in values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Directories `HOST::GUEST` the program may read (wasm preopens; a native program gets the
    /// host path, which its arguments can name); host paths absolute once loaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<String>,
    /// Whether the wasm and native outputs must agree byte for byte.
    #[serde(default, skip_serializing_if = "OutputCheck::is_digest")]
    pub output: OutputCheck,
}

/// A native program: one path, or a command list (program, then its leading arguments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NativeCommand {
    /// An executable file.
    Program(PathBuf),
    /// A program and the arguments that come before the function's own.
    Command(Vec<String>),
}

impl NativeCommand {
    /// The program to run and its leading arguments.
    pub fn argv(&self) -> (PathBuf, Vec<String>) {
        match self {
            NativeCommand::Program(p) => (p.clone(), Vec::new()),
            NativeCommand::Command(v) => match v.split_first() {
                Some((p, rest)) => (PathBuf::from(p), rest.to_vec()),
                None => (PathBuf::new(), Vec::new()),
            },
        }
    }
}

/// How a function's outputs are checked across runtimes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputCheck {
    /// The wasm and native outputs of each input must agree byte for byte.
    #[default]
    Digest,
    /// Outputs are not compared (a program that prints times or addresses).
    Ignore,
}

impl OutputCheck {
    fn is_digest(&self) -> bool {
        *self == OutputCheck::Digest
    }
}

/// Sizes written as numbers or strings, as text.
fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        I(i64),
        F(f64),
    }
    Ok(Vec::<Text>::deserialize(d)?
        .into_iter()
        .map(|t| match t {
            Text::S(s) => s,
            Text::I(i) => i.to_string(),
            Text::F(f) => f.to_string(),
        })
        .collect())
}

impl FunctionSpec {
    /// Whether the function names its own builds (`wasm`, `wasm_simd128` or `native`) rather
    /// than being one of the built-in suite's.
    pub fn is_own(&self) -> bool {
        self.wasm.is_some() || self.wasm_simd128.is_some() || self.native.is_some()
    }

    /// Makes the definition's paths absolute against `base` (the folder of the file that
    /// defines it): the module, a native program given as a path, and the host side of `dirs`.
    /// A command list's program without a `/` is looked up on PATH when it runs.
    pub fn resolve_paths(&mut self, base: &Path) {
        for w in [&mut self.wasm, &mut self.wasm_simd128].into_iter().flatten() {
            *w = base.join(&*w);
        }
        self.native = self.native.take().map(|n| match n {
            NativeCommand::Program(p) => NativeCommand::Program(base.join(p)),
            NativeCommand::Command(mut v) => {
                if let Some(p) = v.first_mut().filter(|p| p.contains('/')) {
                    *p = base.join(&*p).display().to_string();
                }
                // The script a command list runs (`python3 bench/nbody.py`) is relative too.
                for a in v
                    .iter_mut()
                    .skip(1)
                    .filter(|a| !a.starts_with('-') && base.join(&**a).exists())
                {
                    *a = base.join(&*a).display().to_string();
                }
                NativeCommand::Command(v)
            }
        });
        for d in &mut self.dirs {
            if let Some((host, rest)) = d.split_once("::") {
                *d = format!("{}::{rest}", base.join(host).display());
            }
        }
    }

    /// What is wrong with a definition of one's own, said with the key and the fix; `None` when
    /// it is fine. Files are checked when the builds are looked up ([`Suite::build_for`]).
    pub fn problem(&self) -> Option<(&'static str, String, String)> {
        if !self.is_own() {
            return Some((
                "wasm",
                format!("function '{}' names no build", self.name),
                "give `wasm = \"path/to/module.wasm\"`, `native = \"path/to/program\"`, or both".into(),
            ));
        }
        if self.wasm_simd128.is_some() && self.wasm.is_none() {
            return Some((
                "wasm_simd128",
                format!(
                    "function '{}' names a simd128 build but no plain one to compare it with",
                    self.name
                ),
                "give `wasm = \"path/to/module.wasm\"` too (the same program built without simd128)".into(),
            ));
        }
        if let Some(NativeCommand::Command(v)) = &self.native {
            if v.is_empty() || v[0].is_empty() {
                return Some((
                    "native",
                    format!("function '{}': the native command list is empty", self.name),
                    "write the program first, e.g. native = [\"python3\", \"bench/nbody.py\"]".into(),
                ));
            }
        }
        if let Some(d) = self
            .dirs
            .iter()
            .find(|d| !matches!(d.split_once("::"), Some((h, g)) if !h.is_empty() && !g.is_empty()))
        {
            return Some((
                "dirs",
                format!("function '{}': '{d}' is not HOST::GUEST", self.name),
                "write each directory as host::guest, e.g. dirs = [\"data::/data\"]".into(),
            ));
        }
        if let Some(k) = self.env.keys().find(|k| k.is_empty() || k.contains('=')) {
            return Some((
                "env",
                format!("function '{}': '{k}' is not a variable name", self.name),
                "name each variable without '=', e.g. env = { OMP_NUM_THREADS = \"1\" }".into(),
            ));
        }
        None
    }
}

/// Bytes in one `input_unit` of the manifest, `None` for a unit that is not a byte unit.
pub fn bytes_per_unit(unit: &str) -> Option<f64> {
    match unit {
        "B" => Some(1.0),
        "KiB" => Some(1024.0),
        "MiB" => Some(1048576.0),
        "GiB" => Some(1073741824.0),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    function: Vec<FunctionSpec>,
    #[serde(default)]
    runtime: Vec<runtimes::CommandSpec>,
}

/// The suite: its manifest and the folder of the functions workspace.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The functions folder (the workspace of the suite, with `suite.toml`).
    pub root: PathBuf,
    /// The functions `suite.toml` lists, in manifest order.
    pub functions: Vec<FunctionSpec>,
    /// The runtimes defined by command templates: the shipped ones (`runtimes/runtimes.toml`),
    /// then those of a suite file of one's own (a later definition of a name replaces one).
    pub runtimes: Vec<runtimes::CommandSpec>,
}

impl Suite {
    /// The functions folder: `$NEBULA_FUNCTIONS`, else `functions/` under the current directory,
    /// else next to the crate this binary was built from.
    pub fn default_root() -> PathBuf {
        if let Some(p) = std::env::var_os("NEBULA_FUNCTIONS") {
            return PathBuf::from(p);
        }
        let here = PathBuf::from("functions");
        if here.join("suite.toml").is_file() {
            return here;
        }
        Path::new(env!("CARGO_MANIFEST_DIR")).join("functions")
    }

    /// Reads `suite.toml` in `root`; an unknown `input_unit` is an error.
    pub fn load(root: &Path) -> Result<Suite> {
        let path = root.join("suite.toml");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the suite manifest {}: run nebula from the repository root or set NEBULA_FUNCTIONS",
                path.display()
            )
        })?;
        let m: Manifest =
            toml::from_str(&text).with_context(|| format!("invalid suite manifest {}", path.display()))?;
        for f in &m.function {
            if let Some(u) = f.input_unit.as_deref().filter(|u| bytes_per_unit(u).is_none()) {
                bail!(
                    "invalid suite manifest {}: function '{}' has input_unit = \"{u}\"; use B, KiB, MiB or GiB",
                    path.display(),
                    f.name
                );
            }
        }
        let here = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        let mut defs = runtimes::shipped()?;
        runtimes::overlay(
            &mut defs,
            runtimes::set_here(m.runtime, &path.display().to_string(), &here)?,
        );
        Ok(Suite {
            root: root.to_path_buf(),
            functions: m.function,
            runtimes: defs,
        })
    }

    /// The suite in [`Suite::default_root`].
    pub fn load_default() -> Result<Suite> {
        Self::load(&Self::default_root())
    }

    /// The default suite plus the functions of a suite file of one's own, when one is given.
    pub fn load_with(file: Option<&Path>) -> Result<Suite> {
        let mut suite = Self::load_default()?;
        if let Some(f) = file {
            suite.add_file(f)?;
        }
        Ok(suite)
    }

    /// Adds the functions of a suite file of one's own: the manifest's schema plus the keys that
    /// name builds (`wasm`, `native`, `args`, `stdin`, `env`, `dirs`, `output`); paths are
    /// relative to the file.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the suite file {}: check the path", path.display()))?;
        let m: Manifest =
            toml::from_str(&text).with_context(|| format!("invalid suite file {}", path.display()))?;
        // Absolute, so that a program next to the file is not taken for a bare name on PATH.
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
        for mut f in m.function {
            if let Some((key, problem, fix)) = f.problem() {
                bail!(
                    "suite file {}: function '{}': {key}: {problem}. Fix: {fix}",
                    path.display(),
                    f.name
                );
            }
            f.resolve_paths(&base);
            self.add(f)
                .with_context(|| format!("suite file {}", path.display()))?;
        }
        let defs = runtimes::set_here(m.runtime, &path.display().to_string(), &base)?;
        runtimes::overlay(&mut self.runtimes, defs);
        Ok(())
    }

    /// Adds one function of one's own; its name must be new to the suite.
    pub fn add(&mut self, f: FunctionSpec) -> Result<()> {
        if self.functions.iter().any(|g| g.name == f.name) {
            bail!(
                "function '{}' is already in the suite: give your function another name",
                f.name
            );
        }
        self.functions.push(f);
        Ok(())
    }

    /// Whether `name` has a build of that kind. A suite function has them all; one of one's
    /// own may have only some: a native-only one has no wasm builds, and one with `wasm` counts
    /// as having a simd128 build (asking for it without `wasm_simd128` is refused by
    /// [`Suite::build_for`], with the fix).
    pub fn has_build(&self, name: &str, build: Build) -> bool {
        match self.functions.iter().find(|f| f.name == name) {
            Some(f) if f.is_own() => match build {
                Build::Wasm | Build::WasmSimd128 => f.wasm.is_some(),
                Build::Native => f.native.is_some(),
            },
            Some(_) => true,
            None => false,
        }
    }

    /// The function named `name`; an error listing the suite's functions when there is none.
    pub fn get(&self, name: &str) -> Result<&FunctionSpec> {
        match self.functions.iter().find(|f| f.name == name) {
            Some(f) => Ok(f),
            None => bail!(
                "unknown function '{name}': the suite has {}; `nebula functions` lists them",
                self.names().join(", ")
            ),
        }
    }

    /// The functions' names, in manifest order.
    pub fn names(&self) -> Vec<&str> {
        self.functions.iter().map(|f| f.name.as_str()).collect()
    }

    /// `functions/target/wasm32-wasip1/release/NAME.wasm`.
    pub fn wasm_path(&self, name: &str) -> PathBuf {
        self.build_path(name, Build::Wasm)
    }

    /// `functions/target/release/NAME`.
    pub fn native_path(&self, name: &str) -> PathBuf {
        self.build_path(name, Build::Native)
    }

    /// Where scripts/build-functions.sh puts the suite function `name`'s build of that kind:
    /// under `functions/`, [`Build::dir`] then `NAME.wasm` or `NAME`.
    pub fn build_path(&self, name: &str, build: Build) -> PathBuf {
        let file = match build {
            Build::Native => name.to_string(),
            Build::Wasm | Build::WasmSimd128 => format!("{name}.wasm"),
        };
        self.root.join(build.dir()).join(file)
    }

    /// The build a runtime needs, or an error that says how to make it. A native command list
    /// gives its program (looked up on PATH when it has no `/`).
    pub fn build_for(&self, name: &str, build: Build) -> Result<PathBuf> {
        let spec = self.get(name)?;
        if spec.is_own() {
            return own_build(spec, build);
        }
        let p = self.build_path(name, build);
        if !p.is_file() {
            bail!(
                "the {build} build of '{name}' is missing ({}): run scripts/build-functions.sh",
                p.display()
            );
        }
        Ok(p)
    }
}

/// The kinds of build a function can have: the plain wasm module (`wasm`, `wasm-cold`), the
/// module built with the `simd128` target feature (`wasm-simd128`), and the host program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Build {
    /// The WASI preview-1 module built without `simd128` (wasm32-wasip1's default features).
    Wasm,
    /// The same source built for wasm32-wasip1 with `-C target-feature=+simd128`.
    WasmSimd128,
    /// The program built for the host.
    Native,
}

impl Build {
    /// Every kind, in the order `wasm`, `wasm-simd128`, `native`.
    pub const ALL: [Build; 3] = [Build::Wasm, Build::WasmSimd128, Build::Native];

    /// The build's name as metadata.json's `modules` and scripts/build-functions.sh spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Build::Wasm => "wasm",
            Build::WasmSimd128 => "wasm-simd128",
            Build::Native => "native",
        }
    }

    /// Whether the build is a WebAssembly module.
    pub fn is_wasm(self) -> bool {
        self != Build::Native
    }

    /// Where scripts/build-functions.sh puts the suite's builds of this kind, under `functions/`.
    pub fn dir(self) -> &'static str {
        match self {
            Build::Wasm => "target/wasm32-wasip1/release",
            Build::WasmSimd128 => "target/simd128/wasm32-wasip1/release",
            Build::Native => "target/release",
        }
    }
}

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The PATH a native program is looked up on (the one native calls run with).
pub const NATIVE_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A build of a function of one's own that cannot be used: what is wrong, and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{problem}: {fix}")]
pub struct BuildError {
    /// What is wrong, naming the function, the key and the file.
    pub problem: String,
    /// How to make it right.
    pub fix: String,
}

/// A [`BuildError`] as an error.
fn refuse(problem: String, fix: &str) -> anyhow::Error {
    BuildError {
        problem,
        fix: fix.to_string(),
    }
    .into()
}

/// The build of a function of one's own: the file must exist (and a native program be
/// executable), said with the key and the fix.
fn own_build(spec: &FunctionSpec, build: Build) -> Result<PathBuf> {
    let name = &spec.name;
    if build.is_wasm() {
        let (key, file) = match build {
            Build::WasmSimd128 => ("wasm_simd128", &spec.wasm_simd128),
            _ => ("wasm", &spec.wasm),
        };
        let Some(p) = file else {
            return Err(match (build, &spec.wasm) {
                (Build::WasmSimd128, Some(_)) => refuse(
                    format!("function '{name}' has no wasm-simd128 build (its definition names no `wasm_simd128`)"),
                    "give `wasm_simd128 = \"path/to/module.wasm\"` (the same program built with simd128: clang -msimd128, or RUSTFLAGS=\"-C target-feature=+simd128\"), or leave wasm-simd128 out of `runtimes`",
                ),
                _ => refuse(
                    format!("function '{name}' has no wasm build (its definition names only `native`)"),
                    "run it on native, or give `wasm`",
                ),
            });
        };
        if !p.is_file() {
            return Err(refuse(
                format!("function '{name}': {key} = {}: no such file", p.display()),
                "build the module, or fix the path (relative to the file that defines the function)",
            ));
        }
        return Ok(p.clone());
    }
    let Some(n) = &spec.native else {
        return Err(refuse(
            format!("function '{name}' has no native build (its definition names only `wasm`)"),
            "run it on wasm, or give `native`",
        ));
    };
    let (program, _) = n.argv();
    let found = if program.components().count() > 1 || program.is_absolute() {
        Some(program.clone())
    } else {
        NATIVE_PATH
            .split(':')
            .map(|d| Path::new(d).join(&program))
            .find(|p| p.is_file())
    };
    let Some(p) = found.filter(|p| p.is_file()) else {
        return Err(refuse(
            format!("function '{name}': native = {}: no such program", program.display()),
            &format!("build it, or fix the path (relative to the file that defines the function; a bare name is looked up in {NATIVE_PATH})"),
        ));
    };
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&p).map(|m| m.permissions().mode()).unwrap_or(0);
    if mode & 0o111 == 0 {
        return Err(refuse(
            format!(
                "function '{name}': native = {}: the file is not executable",
                p.display()
            ),
            "chmod +x it",
        ));
    }
    Ok(p)
}

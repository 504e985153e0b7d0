//! The function suite: what `functions/suite.toml` lists, and where each function's wasm and
//! native builds live. The manifest is the one place the suite is described.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One function of the suite, as the manifest describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// The function's name, as commands and the `function` column spell it; also its builds' file
    /// name (`NAME.wasm`).
    pub name: String,
    /// What the function computes, in one line.
    pub description: String,
    /// What the input means and its valid range.
    pub input: String,
    /// A typical input for `nebula invoke`.
    pub example: String,
    /// Suggested input sizes, small to large.
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
    function: Vec<FunctionSpec>,
}

/// The suite: its manifest and the folder of the functions workspace.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The functions folder (the workspace of the suite, with `suite.toml`).
    pub root: PathBuf,
    /// The functions `suite.toml` lists, in manifest order.
    pub functions: Vec<FunctionSpec>,
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
        Ok(Suite {
            root: root.to_path_buf(),
            functions: m.function,
        })
    }

    /// The suite in [`Suite::default_root`].
    pub fn load_default() -> Result<Suite> {
        Self::load(&Self::default_root())
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
        self.root
            .join("target/wasm32-wasip1/release")
            .join(format!("{name}.wasm"))
    }

    /// `functions/target/release/NAME`.
    pub fn native_path(&self, name: &str) -> PathBuf {
        self.root.join("target/release").join(name)
    }

    /// The build a runtime needs, or an error that says how to make it.
    pub fn build_for(&self, name: &str, wasm: bool) -> Result<PathBuf> {
        self.get(name)?;
        let p = if wasm {
            self.wasm_path(name)
        } else {
            self.native_path(name)
        };
        if !p.is_file() {
            bail!(
                "the {} build of '{name}' is missing ({}): run scripts/build-functions.sh",
                if wasm { "wasm" } else { "native" },
                p.display()
            );
        }
        Ok(p)
    }
}

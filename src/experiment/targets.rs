//! What each build a run loads was compiled for (`modules[].target` in metadata.json). A wasm
//! module is read for its `target_features` section and SIMD instructions; the rest (the
//! flags, and everything about a native program) comes from `functions/target/builds.json`,
//! which scripts/build-functions.sh writes with each file's SHA-256, so that a record describes
//! only the very file it was written for.

use crate::results::build::{BuildTarget, Dispatch};
use crate::runtime::scan;
use crate::suite::Build;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The build script's record, under the functions folder.
pub const MANIFEST: &str = "target/builds.json";

/// How one kind of build was made.
#[derive(Debug, Deserialize)]
struct Flags {
    triple: String,
    rustflags: String,
    #[serde(default)]
    cpu: Option<String>,
    #[serde(default)]
    features: Vec<String>,
}

/// One file the script built.
#[derive(Debug, Deserialize)]
struct File {
    function: String,
    build: String,
    sha256: String,
    #[serde(default)]
    runtime_dispatch: Vec<Dispatch>,
}

#[derive(Debug, Deserialize)]
struct Recorded {
    builds: BTreeMap<String, Flags>,
    files: Vec<File>,
}

/// `functions/target/builds.json` as read, or why it could not be.
pub struct Manifest(Result<Recorded, String>);

impl Manifest {
    /// Reads the record under the functions folder `root`.
    pub fn read(root: &Path) -> Manifest {
        let path = root.join(MANIFEST);
        let read = match std::fs::read_to_string(&path) {
            Err(_) => Err(format!(
                "{} is missing: run scripts/build-functions.sh",
                path.display()
            )),
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not the build script's record ({e}): run scripts/build-functions.sh",
                    path.display()
                )
            }),
        };
        Manifest(read)
    }

    /// The flags and the file record of `function`'s `build` whose hash is `sha256`.
    fn find(&self, function: &str, build: Build, sha256: &str) -> Result<(&Flags, &File), String> {
        let r = self.0.as_ref().map_err(Clone::clone)?;
        let file = r
            .files
            .iter()
            .find(|f| f.function == function && f.build == build.as_str())
            .ok_or_else(|| format!("{MANIFEST} has no {build} build of '{function}'"))?;
        if file.sha256 != sha256 {
            return Err(format!(
                "the file changed after scripts/build-functions.sh built it (its record has \
                 SHA-256 {}): run the script again",
                &file.sha256[..file.sha256.len().min(16)]
            ));
        }
        let flags = r
            .builds
            .get(build.as_str())
            .ok_or_else(|| format!("{MANIFEST} does not say how {build} builds are made"))?;
        Ok((flags, file))
    }
}

/// What the file at `path` (`function`'s `build`, with SHA-256 `sha256`) was compiled for;
/// `own` for a build of one's own, which the build script did not make.
pub fn of(
    manifest: &Manifest,
    own: bool,
    function: &str,
    build: Build,
    path: &Path,
    sha256: &str,
) -> BuildTarget {
    let mut t = BuildTarget::default();
    let mut sources = Vec::new();
    let record = if own {
        Err("a build of one's own: only the module itself says what it was compiled for".to_string())
    } else {
        manifest.find(function, build, sha256)
    };
    match record {
        Ok((flags, file)) => {
            t.triple = Some(flags.triple.clone());
            t.cpu = flags.cpu.clone();
            t.features = flags.features.clone();
            t.rustflags = Some(flags.rustflags.clone());
            t.runtime_dispatch = file.runtime_dispatch.clone();
            sources.push(format!(
                "target and flags: functions/{MANIFEST}, written by scripts/build-functions.sh for this file"
            ));
        }
        Err(why) if build.is_wasm() => sources.push(format!("flags not known: {why}")),
        Err(why) => sources.push(format!("not known: {why}")),
    }
    if build.is_wasm() {
        // Nebula runs WASI preview-1 command modules only.
        t.triple = Some("wasm32-wasip1".into());
        let scanned = std::fs::read(path)
            .map_err(anyhow::Error::from)
            .and_then(|b| scan::scan(&b));
        match scanned {
            Ok(m) => {
                t.simd128 = Some(m.simd128());
                t.simd_instructions = Some(m.simd_instructions);
                let from = match m.features {
                    Some(f) => {
                        t.features = f;
                        "features and SIMD: the module's target_features section and code"
                    }
                    None => "SIMD: the module's code (it has no target_features section)",
                };
                sources.insert(0, from.to_string());
            }
            Err(e) => sources.insert(0, format!("the module could not be read: {e:#}")),
        }
    }
    t.source = sources.join("; ");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{
      "builds": {
        "native": {"triple": "x86_64-unknown-linux-gnu", "rustflags": "", "cpu": "x86-64",
                   "features": ["fxsr", "sse", "sse2"]},
        "wasm": {"triple": "wasm32-wasip1", "rustflags": "", "features": ["sign-ext"]}
      },
      "files": [
        {"function": "sha256", "build": "native", "sha256": "aa",
         "runtime_dispatch": [{"name": "sha2", "version": "0.10.9", "features": ["force-soft"],
                               "forced_soft": true}]},
        {"function": "sha256", "build": "wasm", "sha256": "bb"}
      ]
    }"#;

    fn manifest(text: &str) -> (tempfile::TempDir, Manifest) {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("target")).unwrap();
        std::fs::write(tmp.path().join(MANIFEST), text).unwrap();
        let m = Manifest::read(tmp.path());
        (tmp, m)
    }

    #[test]
    fn a_native_build_is_described_by_the_record_of_its_very_file() {
        let (tmp, m) = manifest(RECORD);
        let bin = tmp.path().join("sha256");
        let t = of(&m, false, "sha256", Build::Native, &bin, "aa");
        assert_eq!(t.triple.as_deref(), Some("x86_64-unknown-linux-gnu"));
        assert_eq!(t.cpu.as_deref(), Some("x86-64"));
        assert_eq!(t.features, ["fxsr", "sse", "sse2"]);
        assert_eq!(t.rustflags.as_deref(), Some(""));
        assert_eq!(t.simd128, None);
        assert_eq!(t.runtime_dispatch.len(), 1);
        assert!(t.runtime_dispatch[0].forced_soft);
        // Another file under the same name: nothing is claimed about it.
        let changed = of(&m, false, "sha256", Build::Native, &bin, "cc");
        assert_eq!(changed.triple, None);
        assert!(changed.features.is_empty());
        assert!(
            changed
                .source
                .contains("changed after scripts/build-functions.sh"),
            "{}",
            changed.source
        );
        let own = of(&m, true, "sha256", Build::Native, &bin, "aa");
        assert!(
            own.triple.is_none() && own.source.contains("of one's own"),
            "{}",
            own.source
        );
        let none = of(
            &Manifest::read(&tmp.path().join("nowhere")),
            false,
            "sha256",
            Build::Native,
            &bin,
            "aa",
        );
        assert!(
            none.source.contains("missing: run scripts/build-functions.sh"),
            "{}",
            none.source
        );
        let (_t, bad) = manifest("{");
        let t = of(&bad, false, "sha256", Build::Native, &bin, "aa");
        assert!(
            t.source.contains("is not the build script's record"),
            "{}",
            t.source
        );
    }

    #[test]
    fn a_wasm_build_is_described_by_the_module_itself() {
        let (tmp, m) = manifest(RECORD);
        let module = tmp.path().join("sha256.wasm");
        let simd = "(module (func (export \"_start\") (drop (i8x16.splat (i32.const 1)))))";
        std::fs::write(&module, wat::parse_str(simd).unwrap()).unwrap();
        let t = of(&m, false, "sha256", Build::Wasm, &module, "bb");
        assert_eq!(t.triple.as_deref(), Some("wasm32-wasip1"));
        assert_eq!(t.simd128, Some(true));
        assert_eq!(t.simd_instructions, Some(1));
        // No target_features section: the record's features stay.
        assert_eq!(t.features, ["sign-ext"]);
        assert_eq!(t.rustflags.as_deref(), Some(""));
        let own = of(&m, true, "mine", Build::Wasm, &module, "zz");
        assert_eq!((own.simd128, own.rustflags), (Some(true), None));
        assert!(
            own.source.starts_with("SIMD: the module's code"),
            "{}",
            own.source
        );
    }
}

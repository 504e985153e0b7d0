//! What each build a run loaded was compiled for (`modules[].target` in metadata.json): the
//! target triple and CPU, the target features, for a wasm module whether it is built with
//! `simd128` and how many SIMD instructions its code holds, the flags of the build, and the
//! crates in it that choose instructions at run time; and the host CPU's features that decide
//! what a native build can use (`machine.cpu_features`).

use serde::{Deserialize, Serialize};

/// What one build was compiled for. Empty lists and `None` are "not known", which `source`
/// explains.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTarget {
    /// The target triple: `wasm32-wasip1`, or the host's (`x86_64-unknown-linux-gnu`).
    #[serde(default)]
    pub triple: Option<String>,
    /// The CPU the compiler targeted: rustc's default for the triple (`generic` for wasm32,
    /// `x86-64` on x86-64 Linux) unless the flags give `-C target-cpu`; `None` when not known.
    #[serde(default)]
    pub cpu: Option<String>,
    /// The target features the code was compiled for, sorted: for wasm those the module's
    /// `target_features` section lists, natively those rustc enables for the flags used.
    #[serde(default)]
    pub features: Vec<String>,
    /// Wasm: whether the module is built with `simd128`; `None` for native.
    #[serde(default)]
    pub simd128: Option<bool>,
    /// Wasm: how many SIMD (`v128`) instructions the module's code holds; `None` for native.
    #[serde(default)]
    pub simd_instructions: Option<u64>,
    /// The `RUSTFLAGS` scripts/build-functions.sh built with (empty: none); `None` when it did
    /// not build the file.
    #[serde(default)]
    pub rustflags: Option<String>,
    /// Crates in the build whose code can choose instructions by the CPU it runs on.
    #[serde(default)]
    pub runtime_dispatch: Vec<Dispatch>,
    /// Where these facts come from, or why some are not known.
    #[serde(default)]
    pub source: String,
}

/// A crate in a native build that can detect the CPU's features at run time and pick
/// instructions by them (with `cpufeatures` or `is_x86_feature_detected!`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    /// The crate's name, e.g. `sha2`.
    pub name: String,
    /// Its version, e.g. `0.10.9`.
    pub version: String,
    /// Its features enabled in the build.
    pub features: Vec<String>,
    /// Whether its `force-soft` feature is on: it then runs its portable code on every CPU.
    pub forced_soft: bool,
}

impl Dispatch {
    /// `sha2 0.10.9 (portable only: force-soft)` or `memchr 2.8.3 (chooses at run time)`.
    pub fn describe(&self) -> String {
        let how = if self.forced_soft {
            "portable only: force-soft"
        } else {
            "chooses at run time"
        };
        format!("{} {} ({how})", self.name, self.version)
    }
}

impl BuildTarget {
    /// One line for a table: the triple, the CPU, and simd128 or not with its instruction
    /// count, e.g. `wasm32-wasip1, simd128 (412 SIMD instructions)`.
    pub fn describe(&self) -> String {
        let mut parts = vec![self.triple.clone().unwrap_or_else(|| "target not known".into())];
        if let Some(cpu) = &self.cpu {
            parts.push(format!("target-cpu {cpu}"));
        }
        if let Some(s) = self.simd128 {
            parts.push(format!(
                "{}{}",
                if s { "simd128" } else { "no simd128" },
                self.simd_instructions
                    .map(|n| format!(" ({n} SIMD instructions)"))
                    .unwrap_or_default()
            ));
        }
        parts.join(", ")
    }
}

/// The host CPU features, by `/proc/cpuinfo`'s names, that decide which instructions a native
/// build or a crate choosing at run time can use: x86-64's vector, FMA, bit and crypto
/// extensions, and Arm's.
pub const HOST_FEATURES: &[&str] = &[
    // x86-64
    "sse2",
    "ssse3",
    "sse4_1",
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "bmi1",
    "bmi2",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "sha_ni",
    "aes",
    "vaes",
    "pclmulqdq",
    // aarch64
    "asimd",
    "sve",
    "sve2",
    "sha1",
    "sha2",
    "sha3",
    "sha512",
    "pmull",
];

/// Of the features a `/proc/cpuinfo` text lists for its first CPU (`flags` on x86,
/// `Features` on Arm), those in [`HOST_FEATURES`], in that order.
pub fn host_features(cpuinfo: &str) -> Vec<String> {
    let listed: Vec<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags") || l.starts_with("Features"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().collect())
        .unwrap_or_default();
    HOST_FEATURES
        .iter()
        .filter(|f| listed.contains(f))
        .map(|f| f.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_features_are_those_of_the_list_that_cpuinfo_names() {
        let x86 =
            "processor\t: 0\nmodel name\t: AMD\nflags\t\t: fpu sse sse2 ssse3 avx avx2 sha_ni hypervisor\n\
                   processor\t: 1\nflags\t\t: fpu sse2 avx512f\n";
        assert_eq!(host_features(x86), ["sse2", "ssse3", "avx", "avx2", "sha_ni"]);
        let arm = "processor\t: 0\nFeatures\t: fp asimd aes pmull sha1 sha2 crc32\n";
        // `aes` is a name both architectures use.
        assert_eq!(host_features(arm), ["aes", "asimd", "sha1", "sha2", "pmull"]);
        assert!(host_features("").is_empty());
    }

    #[test]
    fn a_build_is_described_on_one_line() {
        let wasm = BuildTarget {
            triple: Some("wasm32-wasip1".into()),
            simd128: Some(true),
            simd_instructions: Some(412),
            ..BuildTarget::default()
        };
        assert_eq!(wasm.describe(), "wasm32-wasip1, simd128 (412 SIMD instructions)");
        let native = BuildTarget {
            triple: Some("x86_64-unknown-linux-gnu".into()),
            cpu: Some("x86-64".into()),
            features: vec!["fxsr".into(), "sse".into(), "sse2".into()],
            ..BuildTarget::default()
        };
        assert_eq!(native.describe(), "x86_64-unknown-linux-gnu, target-cpu x86-64");
        assert_eq!(BuildTarget::default().describe(), "target not known");
        let sha2 = Dispatch {
            name: "sha2".into(),
            version: "0.10.9".into(),
            features: vec!["force-soft".into()],
            forced_soft: true,
        };
        assert_eq!(sha2.describe(), "sha2 0.10.9 (portable only: force-soft)");
    }
}

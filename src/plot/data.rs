//! A results directory read for charts and reports: `calls.csv`, `windows.csv`, `summary.csv`
//! and `comparison.csv` (recomputed from the calls when absent), `metadata.json` when present,
//! what each function's input is (from the suite manifest), and the energy note every chart
//! carries.

use super::inputs::InputKind;
use crate::experiment::metadata::{self, Metadata};
use crate::experiment::output::WindowRow;
use crate::export::summary::natural_cmp;
use crate::export::{compare_cells, read_calls, summarize_cells, ComparisonRow, SummaryRow};
use crate::record::CallRow;
use crate::stats::DEFAULT_RESAMPLES;
use anyhow::{anyhow, Context, Result};
use serde::de::DeserializeOwned;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything the charts and the report read from one run.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub dir: PathBuf,
    pub meta: Option<Metadata>,
    pub calls: Vec<CallRow>,
    pub windows: Vec<WindowRow>,
    pub summary: Vec<SummaryRow>,
    pub comparison: Vec<ComparisonRow>,
    /// What each function's input is, for the input axes (from the suite manifest).
    pub inputs: BTreeMap<String, InputKind>,
}

/// Rows of a CSV file; an empty file has none.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    if std::fs::metadata(path).map(|m| m.len() == 0).unwrap_or(false) {
        return Ok(Vec::new());
    }
    let mut rd = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    rd.deserialize()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| anyhow!("{}: row {}: {e}", path.display(), i + 1)))
        .collect()
}

/// The run's random seed from its config (42 when absent), as `finish` uses it.
pub fn seed_of(meta: Option<&Metadata>) -> u64 {
    meta.and_then(|m| toml::from_str::<toml::Table>(&m.config_toml).ok())
        .and_then(|t| t.get("seed").and_then(|v| v.as_integer()))
        .map(|s| s as u64)
        .unwrap_or(42)
}

impl RunData {
    /// Reads a results directory. `calls.csv` is required; the rest is optional.
    pub fn load(dir: &Path) -> Result<RunData> {
        let calls_path = dir.join("calls.csv");
        if !calls_path.exists() {
            return Err(anyhow!(
                "{} has no calls.csv: is it a Nebula results directory?",
                dir.display()
            ));
        }
        let calls = if std::fs::metadata(&calls_path)
            .map(|m| m.len() == 0)
            .unwrap_or(true)
        {
            Vec::new()
        } else {
            read_calls(&calls_path)?
        };
        let meta = if dir.join("metadata.json").exists() {
            Some(metadata::read(dir)?)
        } else {
            None
        };
        let seed = seed_of(meta.as_ref());
        let windows = match dir.join("windows.csv") {
            p if p.exists() => read_rows(&p)?,
            _ => Vec::new(),
        };
        let summary = match dir.join("summary.csv") {
            p if p.exists() => read_rows(&p)?,
            _ => summarize_cells(&calls, DEFAULT_RESAMPLES, seed),
        };
        let comparison = match dir.join("comparison.csv") {
            p if p.exists() => read_rows(&p)?,
            _ => compare_cells(&calls, DEFAULT_RESAMPLES, seed),
        };
        Ok(RunData {
            dir: dir.to_path_buf(),
            meta,
            calls,
            windows,
            summary,
            comparison,
            inputs: super::inputs::from_default_suite(),
        })
    }

    /// The run's id (metadata, else the first call, else the directory name).
    pub fn run_id(&self) -> String {
        self.meta
            .as_ref()
            .map(|m| m.run_id.clone())
            .or_else(|| self.calls.first().map(|c| c.run_id.clone()))
            .unwrap_or_else(|| {
                self.dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
    }

    /// (label, source) of the run's energy: from the metadata, else from the calls.
    pub fn energy_kind(&self) -> (String, String) {
        match &self.meta {
            Some(m) => (m.energy.label.clone(), m.energy.source.clone()),
            None => {
                let first = self.calls.iter().find(|c| !c.energy_label.is_empty());
                first
                    .map(|c| (c.energy_label.clone(), c.energy_source.clone()))
                    .unwrap_or_default()
            }
        }
    }

    /// The sentence every chart carries in its corner about where its energy comes from.
    pub fn energy_note(&self) -> String {
        let (label, source) = self.energy_kind();
        energy_note(&label, &source)
    }

    /// True when the run's energy is a model estimate.
    pub fn energy_estimated(&self) -> bool {
        self.energy_kind().0 != "measured"
    }

    /// Functions in alphabetical order.
    pub fn functions(&self) -> Vec<String> {
        let mut f: Vec<String> = self.summary.iter().map(|s| s.function.clone()).collect();
        f.sort();
        f.dedup();
        f
    }

    /// The lowest concurrency level of the run (the one single-level charts show).
    pub fn base_concurrency(&self) -> u32 {
        self.summary.iter().map(|s| s.concurrency).min().unwrap_or(1)
    }

    /// What function `f`'s input is (the generic "Input n" when the suite does not say).
    pub fn input_kind(&self, f: &str) -> InputKind {
        self.inputs.get(f).cloned().unwrap_or_default()
    }

    /// Whether any summary row has a net energy (a baseline was measured).
    pub fn has_net_energy(&self) -> bool {
        self.summary.iter().any(|s| s.energy_net_median_j.is_some())
    }
}

/// The energy note for a label (`measured`/`estimated`/...) and a source (`powercap`, `perf`,
/// `model`).
pub fn energy_note(label: &str, source: &str) -> String {
    let what = match source {
        "powercap" => "RAPL (powercap)",
        "perf" => "RAPL (perf power PMU)",
        "model" => "the CPU-time model",
        "" => "an unknown source",
        other => other,
    };
    match label {
        "measured" => format!("Energy: {what}, measured"),
        "" | "unavailable" => "Energy: unavailable".to_string(),
        _ => format!("Energy: ESTIMATE from {what}, not measured"),
    }
}

/// An energy quantity's name as an axis or panel title prints it: "Net energy, ESTIMATED" when
/// the energy is a model estimate, so that a panel cropped from its figure still says so.
pub fn energy_name(what: &str, estimated: bool) -> String {
    if estimated {
        format!("{what}, ESTIMATED")
    } else {
        what.to_string()
    }
}

/// An input as a number, when it is one.
pub fn input_number(input: &str) -> Option<f64> {
    input.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Orders inputs by value where both are numbers, else naturally.
pub fn input_cmp(a: &str, b: &str) -> Ordering {
    match (input_number(a), input_number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => natural_cmp(a, b),
    }
}

/// The distinct inputs of `inputs`, in input order.
pub fn sorted_inputs<'a>(inputs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = inputs.map(str::to_string).collect();
    v.sort_by(|a, b| input_cmp(a, b));
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_say_estimate_or_source() {
        assert!(energy_note("estimated", "model").contains("ESTIMATE"));
        assert_eq!(
            energy_note("measured", "powercap"),
            "Energy: RAPL (powercap), measured"
        );
    }

    #[test]
    fn inputs_sort_by_value() {
        let v = sorted_inputs(["1000", "10", "100000", "10"].into_iter());
        assert_eq!(v, vec!["10", "1000", "100000"]);
    }
}

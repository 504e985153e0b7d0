//! Charts of a results directory, drawn with plotters into `RUN/plots/` as SVG and PNG: latency
//! and energy vs input size, ratios of each runtime to the run's reference, the start-up phase breakdown, concurrency,
//! latency distributions and power over the run (see `docs/charts.md`). A chart without data
//! for the run is skipped with a reason; `plots/manifest.json` lists what was drawn, skipped and
//! failed, for the report.

pub mod axis;
pub mod by_input;
pub mod compare;
pub mod concurrency;
pub mod data;
pub mod distributions;
pub mod energy;
pub mod frame;
pub mod inputs;
pub mod latency;
pub mod phases;
pub mod power;
pub mod ratio;
pub mod style;
pub mod ticks;

pub use frame::{save, Chart};
pub use style::{NATIVE_COLOR, WASM_COLD_COLOR, WASM_COLOR};

use crate::results::comparison::Scope;
use crate::results::RunData;
use anyhow::{Context, Result};
use frame::{Frame, LegendItem};
use serde::{Deserialize, Serialize};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Folder of the charts inside a results directory.
pub const PLOTS_DIR: &str = "plots";
/// What `draw_all` drew, skipped and failed, inside `PLOTS_DIR`.
pub const MANIFEST: &str = "manifest.json";

/// A chart of the standard set.
#[derive(Debug, Clone, Copy)]
pub struct ChartInfo {
    /// File stem in `plots/`.
    pub name: &'static str,
    /// The chart's heading in the report.
    pub title: &'static str,
    /// One sentence on what it shows.
    pub about: &'static str,
}

/// The charts `draw_all` draws, in report order.
pub const CHARTS: [ChartInfo; 8] = [
    ChartInfo {
        name: "latency",
        title: "Latency vs input size",
        about: "Median wall time per call, one panel per function, one line per runtime; bands and bars are 95% bootstrap intervals of the median.",
    },
    ChartInfo {
        name: "energy",
        title: "Energy per call vs input size",
        about: "Median energy per call (net of the idle baseline where one was measured), statistics over measurement windows; bands and bars are 95% intervals.",
    },
    ChartInfo {
        name: "ratio",
        title: "Ratios of whole calls (the FaaS question)",
        about: "median(runtime) / median(reference) of latency and gross energy per call (every runtime against the run's reference, native unless its config names another, and wasm-cold and the other Wasm variants against warm wasm where the run has them) per function and input, with 95% bootstrap intervals; filled = significant after the p-value adjustment; the line marks 1 (parity).",
    },
    ChartInfo {
        name: "kernel-ratio",
        title: "Ratios of the kernel alone (code speed)",
        about: "The same ratios of the time and energy between the kernel's markers: how fast the same code runs, without start-up, process spawn or I/O.",
    },
    ChartInfo {
        name: "phases",
        title: "Start-up phase breakdown",
        about: "Median compile, instantiate and execute time (Wasm) and spawn-to-exit (native) at each function's smallest input, stacked; the thin bar is the marked kernel.",
    },
    ChartInfo {
        name: "concurrency",
        title: "Concurrency",
        about: "Throughput (ok calls per second of measurement) and median energy per call vs calls in flight, per runtime.",
    },
    ChartInfo {
        name: "distributions",
        title: "Latency distributions",
        about: "Empirical CDF of the wall time of every ok call per cell, so that tails are visible.",
    },
    ChartInfo {
        name: "power",
        title: "Power over the run",
        about: "Average power of each energy window (energy / duration) against time since the run started, with the idle baseline.",
    },
];

/// A chart that was drawn: its files, relative to `plots/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Drawn {
    /// File stem in `plots/` (e.g. `latency`).
    pub name: String,
    /// The chart's heading in the report.
    pub title: String,
    /// One sentence on what it shows.
    pub about: String,
    /// The PNG file's name in `plots/`.
    pub png: String,
    /// The SVG file's name in `plots/`.
    pub svg: String,
}

/// A chart that was not drawn, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotDrawn {
    /// File stem the chart would have in `plots/`.
    pub name: String,
    /// The chart's heading in the report.
    pub title: String,
    /// Why it was skipped (no data for it in the run), or the error or panic that failed it.
    pub reason: String,
}

/// What `draw_all` did (`plots/manifest.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The charts drawn, in report order.
    pub drawn: Vec<Drawn>,
    /// The charts without data for the run.
    pub skipped: Vec<NotDrawn>,
    /// The charts whose drawing failed (an error or a panic).
    pub failed: Vec<NotDrawn>,
}

/// Draws every chart of the results directory `dir` into `dir/plots/` and writes the manifest.
/// Fails only when the run cannot be read; a chart that fails is listed in `failed`.
pub fn draw_all(dir: &Path) -> Result<Manifest> {
    let data = crate::export::load_run(dir)?;
    draw_data(&data, &dir.join(PLOTS_DIR))
}

/// Draws every chart of `data` into `out` and writes `out/manifest.json`.
pub fn draw_data(data: &RunData, out: &Path) -> Result<Manifest> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut m = Manifest::default();
    attempt(&mut m, out, &CHARTS[0], || latency::build(data));
    attempt(&mut m, out, &CHARTS[1], || energy::build(data));
    attempt(&mut m, out, &CHARTS[2], || ratio::build(data, Scope::Call));
    attempt(&mut m, out, &CHARTS[3], || ratio::build(data, Scope::Kernel));
    attempt(&mut m, out, &CHARTS[4], || phases::build(data));
    attempt(&mut m, out, &CHARTS[5], || concurrency::build(data));
    attempt(&mut m, out, &CHARTS[6], || distributions::build(data));
    attempt(&mut m, out, &CHARTS[7], || power::build(data));
    let path = out.join(MANIFEST);
    std::fs::write(&path, serde_json::to_vec_pretty(&m)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(m)
}

/// Reads `dir/plots/manifest.json`, if `draw_all` wrote one.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read(dir.join(PLOTS_DIR).join(MANIFEST)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Builds and saves one chart; a skip, an error or a panic is recorded, never propagated.
fn attempt<C: Chart>(
    m: &mut Manifest,
    out: &Path,
    info: &ChartInfo,
    build: impl FnOnce() -> Result<C, String>,
) {
    let not_drawn = |reason: String| NotDrawn {
        name: info.name.into(),
        title: info.title.into(),
        reason,
    };
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<Outcome> {
        match build() {
            Ok(chart) => save(&chart, out, info.name).map(|_| Outcome::Drawn),
            Err(reason) => Ok(Outcome::Skipped(reason)),
        }
    }));
    let failure = match result {
        Ok(Ok(Outcome::Drawn)) => {
            m.drawn.push(Drawn {
                name: info.name.into(),
                title: info.title.into(),
                about: info.about.into(),
                png: format!("{}.png", info.name),
                svg: format!("{}.svg", info.name),
            });
            return;
        }
        Ok(Ok(Outcome::Skipped(reason))) => {
            remove_stale(out, info.name);
            m.skipped.push(not_drawn(reason));
            return;
        }
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            format!("the chart code panicked: {msg}")
        }
    };
    tracing::warn!("chart {} failed: {failure}", info.name);
    remove_stale(out, info.name);
    m.failed.push(not_drawn(failure));
}

/// What became of one chart.
enum Outcome {
    Drawn,
    Skipped(String),
}

/// Removes a chart's files left from an earlier drawing.
fn remove_stale(out: &Path, name: &str) {
    for ext in ["png", "svg"] {
        let _ = std::fs::remove_file(out.join(format!("{name}.{ext}")));
    }
}

/// The frame of a chart of `data`: title, legend, run id and energy note.
pub fn frame_for(data: &RunData, title: String, legend: Vec<LegendItem>) -> Frame {
    Frame {
        title,
        legend,
        run_id: data.run_id(),
        note: data.energy_note(),
        estimated: data.energy_estimated(),
    }
}

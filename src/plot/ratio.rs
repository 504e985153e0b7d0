//! Wasm / native ratio per function and input (`comparison.csv`): two panels, latency and
//! energy, each ratio of medians with its 95% bootstrap interval and a line at 1 (parity).
//! Cold/warm Wasm ratios are drawn beside them when the run has `wasm-cold`. A filled dot is
//! significant (interval excludes 1 and Mann–Whitney p < 0.05), a hollow one is not.

use super::axis::{log_scale, Axis, Quantity};
use super::data::energy_name;
use super::frame::{estimate_dot, Chart, EstimatePanels, Frame, LegendItem, Swatch};
use super::style::*;
use crate::export::summary::natural_cmp;
use crate::results::ComparisonRow;
use crate::results::RunData;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One ratio with its interval and significance.
#[derive(Debug, Clone, Copy)]
pub struct Est {
    /// The ratio of medians.
    pub ratio: f64,
    /// The low end of its 95% bootstrap interval (the ratio itself when there is none).
    pub lo: f64,
    /// The high end of its 95% bootstrap interval (the ratio itself when there is none).
    pub hi: f64,
    /// The interval excludes 1 and the Mann-Whitney p < 0.05: drawn as a filled dot.
    pub significant: bool,
}

/// An estimate from its CSV columns: none without a ratio; a missing bound is the ratio itself,
/// a missing significance flag is "not significant".
pub fn est(r: Option<f64>, lo: Option<f64>, hi: Option<f64>, sig: Option<bool>) -> Option<Est> {
    let ratio = r?;
    Some(Est {
        ratio,
        lo: lo.unwrap_or(ratio),
        hi: hi.unwrap_or(ratio),
        significant: sig.unwrap_or(false),
    })
}

/// One row of the chart: a function and input.
#[derive(Debug, Clone)]
pub struct Row {
    /// The function and its input.
    pub label: String,
    /// [latency, energy] of wasm / native and of wasm-cold / wasm.
    pub wasm_native: [Option<Est>; 2],
    /// [latency, energy] of wasm-cold / wasm.
    pub cold_warm: [Option<Est>; 2],
}

/// The ratio figure.
#[derive(Debug, Clone)]
pub struct RatioChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// One row per function and input.
    pub rows: Vec<Row>,
    /// Latency and energy axes: both log or both linear (`axis::log_scale`).
    pub axes: [Axis; 2],
    /// The energy panel's title (says ESTIMATED for a model estimate).
    pub energy_title: String,
}

fn row_of(data: &RunData, c: &ComparisonRow) -> Row {
    Row {
        label: format!(
            "{} {}",
            c.function,
            data.input_kind(&c.function).category(&c.input)
        ),
        wasm_native: [
            est(
                c.wasm_native_latency_ratio,
                c.wasm_native_latency_ci_lo,
                c.wasm_native_latency_ci_hi,
                c.wasm_native_latency_significant,
            ),
            est(
                c.wasm_native_energy_ratio,
                c.wasm_native_energy_ci_lo,
                c.wasm_native_energy_ci_hi,
                c.wasm_native_energy_significant,
            ),
        ],
        cold_warm: [
            est(
                c.cold_warm_latency_ratio,
                c.cold_warm_latency_ci_lo,
                c.cold_warm_latency_ci_hi,
                c.cold_warm_latency_significant,
            ),
            est(
                c.cold_warm_energy_ratio,
                c.cold_warm_energy_ci_lo,
                c.cold_warm_energy_ci_hi,
                c.cold_warm_energy_significant,
            ),
        ],
    }
}

/// The figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<RatioChart, String> {
    let conc = data.base_concurrency();
    let mut comps: Vec<&ComparisonRow> = data.comparison.iter().filter(|c| c.concurrency == conc).collect();
    comps.sort_by(|a, b| {
        a.function
            .cmp(&b.function)
            .then_with(|| natural_cmp(&a.input, &b.input))
    });
    let rows: Vec<Row> = comps
        .into_iter()
        .map(|c| row_of(data, c))
        .filter(|r| r.wasm_native.iter().chain(&r.cold_warm).any(Option::is_some))
        .collect();
    if rows.is_empty() {
        return Err("no function ran under both wasm and native (nor wasm-cold and wasm)".into());
    }
    let values = |k: usize| -> Vec<f64> {
        rows.iter()
            .flat_map(|r| [r.wasm_native[k], r.cold_warm[k]])
            .flatten()
            .flat_map(|e| [e.ratio, e.lo, e.hi])
            .filter(|v| v.is_finite())
            .chain([1.0])
            .collect()
    };
    let log = log_scale(&[values(0), values(1)]);
    let axis = |k: usize| Axis::numeric(&values(k), Quantity::Plain(""), log, false);
    let has_cold = rows.iter().any(|r| r.cold_warm.iter().any(Option::is_some));
    let mut legend = vec![LegendItem::new("wasm / native", WASM_COLOR, Swatch::Line)];
    if has_cold {
        legend.push(LegendItem::new("wasm-cold / wasm", WASM_COLD_COLOR, Swatch::Line));
    }
    legend.push(LegendItem::new("not significant", GREYS[0], Swatch::Hollow));
    let title = format!("Wasm / native ratio of medians, 95% CI ({conc} in flight)");
    Ok(RatioChart {
        energy_title: energy_name("Gross energy per call", data.energy_estimated()),
        frame: super::frame_for(data, title, legend),
        axes: [axis(0), axis(1)],
        rows,
    })
}

impl Chart for RatioChart {
    fn size(&self) -> (u32, u32) {
        EstimatePanels::size(self.rows.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let n = self.rows.len();
        let panels = EstimatePanels {
            labels: self.rows.iter().map(|r| r.label.clone()).collect(),
            titles: ["Latency".into(), self.energy_title.clone()],
            axes: [&self.axes[0], &self.axes[1]],
            x_desc: [0, 1].map(|k| self.axes[k].desc("Ratio of medians")),
            reference: [self.axes[0].to(1.0), self.axes[1].to(1.0)],
        };
        panels.draw(&body, |k, chart| {
            let ax = &self.axes[k];
            for (i, r) in self.rows.iter().enumerate() {
                let pos = (n - 1 - i) as f64;
                let both = r.cold_warm[k].is_some() && r.wasm_native[k].is_some();
                let shift = if both { 0.17 } else { 0.0 };
                for (e, color, dy) in [
                    (r.wasm_native[k], WASM_COLOR, shift),
                    (r.cold_warm[k], WASM_COLD_COLOR, -shift),
                ] {
                    let Some(e) = e else { continue };
                    let (x, lo, hi) = (ax.to(e.ratio), ax.to(e.lo), ax.to(e.hi));
                    estimate_dot(chart, x, lo, hi, pos + dy, color, e.significant)?;
                }
            }
            Ok(())
        })
    }
}

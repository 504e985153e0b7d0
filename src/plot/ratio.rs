//! Runtime / reference ratios per function and input (`comparison.csv`), in two figures that
//! answer two questions: `ratio` compares whole calls (the FaaS question: latency and gross
//! energy per call) and `kernel-ratio` compares the marked kernel alone (the code-speed
//! question: kernel time and kernel energy). Each has a time panel and an energy panel; each
//! runtime pair is a series in its runtime's colour — every runtime against the run's reference
//! (`wasm / native`, `node / native`, …; the reference is named in the title and axes), then the
//! Wasm variants against warm wasm (`wasm-cold / wasm`, …): the ratio of medians with its 95%
//! bootstrap interval and a line at 1 (parity). A filled dot is significant (interval
//! excludes 1 and adjusted Mann–Whitney p < 0.05), a hollow one is not.

use super::axis::{log_scale, Axis, Quantity};
use super::data::energy_name;
use super::frame::{estimate_dot, Chart, EstimatePanels, Frame, LegendItem, Swatch};
use super::style::*;
use crate::results::comparison::{cells, pairs, Metric, Scope};
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
    /// The interval excludes 1 and the (adjusted) Mann-Whitney p < 0.05: drawn filled.
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

/// The estimate of a comparison row.
pub fn est_of(c: &ComparisonRow) -> Option<Est> {
    est(c.ratio, c.ratio_ci_lo, c.ratio_ci_hi, c.significant)
}

/// A runtime pair drawn as one series.
#[derive(Debug, Clone)]
pub struct Series {
    /// `runtime / reference`.
    pub label: String,
    /// The numerator runtime's colour (a spare colour, one no runtime of the chart has, for a
    /// second series of the same runtime).
    pub color: RGBColor,
}

/// One row of the chart: a function and input.
#[derive(Debug, Clone)]
pub struct Row {
    /// The function and its input.
    pub label: String,
    /// Per series: [time, energy].
    pub ests: Vec<[Option<Est>; 2]>,
}

/// The ratio figure.
#[derive(Debug, Clone)]
pub struct RatioChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// The runtime pairs, in legend order.
    pub series: Vec<Series>,
    /// One row per function and input.
    pub rows: Vec<Row>,
    /// Time and energy axes: both log or both linear (`axis::log_scale`).
    pub axes: [Axis; 2],
    /// The panels' titles (the energy one says ESTIMATED for a model estimate).
    pub titles: [String; 2],
    /// What the x axes show: the ratio of medians to the run's reference.
    pub x_desc: String,
}

/// Okabe–Ito colours no built-in warm runtime of a usual run has, then the other runtimes'
/// palette: for a second series of the same runtime (`wasm-cold / native` beside
/// `wasm-cold / wasm`).
const SPARE: [RGBColor; 3] = [RGBColor(0xD5, 0x5E, 0x00), RGBColor(0xCC, 0x79, 0xA7), GREYS[0]];

/// A series per pair, in its runtime's colour ([`runtime_color`], the same as in every other
/// chart); a runtime's second series in a spare colour that no runtime of the chart has.
pub fn series_of(pairs: &[(String, String)]) -> Vec<Series> {
    let own: Vec<RGBColor> = pairs.iter().map(|(rt, _)| runtime_color(rt)).collect();
    let mut spare = SPARE
        .iter()
        .chain(OTHER_COLORS.iter())
        .copied()
        .filter(|c| !own.contains(c));
    let mut seen: Vec<&str> = Vec::new();
    pairs
        .iter()
        .zip(&own)
        .map(|((rt, reference), &color)| {
            let color = if seen.contains(&rt.as_str()) {
                spare.next().unwrap_or(GREYS[0])
            } else {
                color
            };
            seen.push(rt);
            Series {
                label: format!("{rt} / {reference}"),
                color,
            }
        })
        .collect()
}

/// The figure of `scope`'s metrics (whole calls or the kernel), or why it is skipped.
pub fn build(data: &RunData, scope: Scope) -> Result<RatioChart, String> {
    let conc = data.base_concurrency();
    let metrics = match scope {
        Scope::Call => [Metric::Latency, Metric::Energy],
        Scope::Kernel => [Metric::KernelTime, Metric::KernelEnergy],
    };
    let of_scope: Vec<ComparisonRow> = data
        .comparison
        .iter()
        .filter(|c| c.concurrency == conc && metrics.contains(&c.metric) && c.ratio.is_some())
        .cloned()
        .collect();
    let reference = data.reference();
    let pairs = order_pairs(pairs(&of_scope), &reference);
    // A run of several machines (`nebula merge`): a row per machine under each function and
    // input, so that the same ratio is seen across machines.
    let mut machines: Vec<&str> = of_scope.iter().map(|c| c.machine.as_str()).collect();
    machines.sort_unstable();
    machines.dedup();
    let several = machines.len() > 1;
    let mut rows: Vec<Row> = Vec::new();
    for cell in cells(&of_scope) {
        for m in &machines {
            let mine: Vec<&ComparisonRow> = of_scope.iter().filter(|c| c.machine == *m).collect();
            let find_m = |pair: (&str, &str), metric: Metric| {
                mine.iter().copied().find(|c| {
                    (c.function.as_str(), c.input.as_str(), c.concurrency) == cell
                        && (c.runtime.as_str(), c.reference.as_str()) == pair
                        && c.metric == metric
                })
            };
            if !mine
                .iter()
                .any(|c| (c.function.as_str(), c.input.as_str(), c.concurrency) == cell)
            {
                continue;
            }
            let label = format!("{} {}", cell.0, data.input_kind(cell.0).category(cell.1));
            rows.push(Row {
                label: if several { format!("{label} · {m}") } else { label },
                ests: pairs
                    .iter()
                    .map(|(rt, reference)| {
                        metrics.map(|metric| find_m((rt, reference), metric).and_then(est_of))
                    })
                    .collect(),
            });
        }
    }
    if rows.is_empty() {
        return Err(match scope {
            Scope::Call => format!(
                "no function ran under two runtimes that are compared (the reference, {reference}, and another; or wasm and a Wasm variant)"
            ),
            Scope::Kernel => "no kernel ratio: no function marked its kernel under two runtimes that are compared \
                 (bench.start/bench.end, see docs/markers.md)"
                .into(),
        });
    }
    let values = |k: usize| -> Vec<f64> {
        rows.iter()
            .flat_map(|r| r.ests.iter().filter_map(move |e| e[k]))
            .flat_map(|e| [e.ratio, e.lo, e.hi])
            .filter(|v| v.is_finite())
            .chain([1.0])
            .collect()
    };
    let log = log_scale(&[values(0), values(1)]);
    let axis = |k: usize| Axis::numeric(&values(k), Quantity::Plain(""), log, false);
    let series = series_of(&pairs);
    let mut legend: Vec<LegendItem> = series
        .iter()
        .map(|s| LegendItem::new(&s.label, s.color, Swatch::Line))
        .collect();
    legend.push(LegendItem::new("not significant", GREYS[0], Swatch::Hollow));
    let (title, titles) = match scope {
        Scope::Call => (
            format!(
                "Whole calls (the FaaS question) relative to {reference}: ratio of medians, 95% CI ({conc} in flight)"
            ),
            [
                "Latency per call".to_string(),
                energy_name("Gross energy per call", data.energy_estimated()),
            ],
        ),
        Scope::Kernel => (
            format!("Kernel alone (code speed) relative to {reference}: ratio of medians, 95% CI ({conc} in flight)"),
            [
                "Kernel time".to_string(),
                energy_name("Kernel energy", data.energy_estimated()),
            ],
        ),
    };
    Ok(RatioChart {
        titles,
        frame: super::frame_for(data, title, legend),
        axes: [axis(0), axis(1)],
        x_desc: format!("Ratio of medians (runtime / {reference})"),
        series,
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
            titles: self.titles.clone(),
            axes: [&self.axes[0], &self.axes[1]],
            x_desc: [0, 1].map(|k| self.axes[k].desc(&self.x_desc)),
            reference: [self.axes[0].to(1.0), self.axes[1].to(1.0)],
        };
        panels.draw(&body, |k, chart| {
            let ax = &self.axes[k];
            for (i, r) in self.rows.iter().enumerate() {
                let pos = (n - 1 - i) as f64;
                let drawn: Vec<(Est, RGBColor)> = r
                    .ests
                    .iter()
                    .zip(&self.series)
                    .filter_map(|(e, s)| Some((e[k]?, s.color)))
                    .collect();
                // Several series of a row spread over ±0.3 of its line, the first on top.
                let step = if drawn.len() > 1 {
                    0.6 / (drawn.len() - 1) as f64
                } else {
                    0.0
                };
                for (j, (e, color)) in drawn.into_iter().enumerate() {
                    let dy = if step > 0.0 { 0.3 - step * j as f64 } else { 0.0 };
                    let (x, lo, hi) = (ax.to(e.ratio), ax.to(e.lo), ax.to(e.hi));
                    estimate_dot(chart, x, lo, hi, pos + dy, color, e.significant)?;
                }
            }
            Ok(())
        })
    }
}

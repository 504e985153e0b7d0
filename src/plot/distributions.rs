//! Latency distributions: the empirical CDF of the wall time of every ok call, one panel per
//! function, one curve per cell (colour = runtime, line style = input: solid for the smallest,
//! then dashed, then dotted), so that tails are visible. Log x when max/min > 100. Curves are
//! thinned to at most `MAX_POINTS` points (the extremes are kept).

use super::axis::{time_unit, Axis};
use super::data::{sorted_inputs, RunData};
use super::frame::{grid, grid_height, panel, Chart, Frame, LegendItem, PanelSpec};
use super::style::*;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points per curve.
pub const MAX_POINTS: usize = 400;

/// One cell's curve, in axis coordinates.
#[derive(Debug, Clone)]
pub struct Curve {
    pub runtime: String,
    /// Index of the input in the panel (0 = smallest).
    pub input_index: usize,
    pub points: Vec<(f64, f64)>,
}

/// One function's panel.
#[derive(Debug, Clone)]
pub struct EcdfPanel {
    pub title: String,
    pub x: Axis,
    pub x_desc: String,
    pub curves: Vec<Curve>,
}

/// The distribution figure.
#[derive(Debug, Clone)]
pub struct DistChart {
    pub frame: Frame,
    pub panels: Vec<EcdfPanel>,
}

const STYLES: [&str; 3] = ["solid", "dashed", "dotted"];

/// ECDF points (value, fraction ≤ value) of sorted `v`, thinned to `MAX_POINTS`.
pub fn ecdf(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let step = n.div_ceil(MAX_POINTS).max(1);
    let mut pts: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .map(|i| (sorted[i], (i + 1) as f64 / n as f64))
        .collect();
    if n > 0 && !(n - 1).is_multiple_of(step) {
        pts.push((sorted[n - 1], 1.0));
    }
    pts
}

/// The figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<DistChart, String> {
    let conc = data.base_concurrency();
    let mut runtimes: Vec<String> = Vec::new();
    let mut panels = Vec::new();
    for f in data.functions() {
        let rows: Vec<_> = data
            .calls
            .iter()
            .filter(|c| c.ok && c.function == f && c.concurrency == conc)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let inputs = sorted_inputs(rows.iter().map(|c| c.input.as_str()));
        let max = rows.iter().map(|c| c.wall_ns).max().unwrap_or(0) as f64;
        let unit = time_unit(max);
        let all: Vec<f64> = rows.iter().map(|c| c.wall_ns as f64 / unit.div).collect();
        let x = Axis::numeric(&all, true, false);
        let mut rts: Vec<&str> = rows.iter().map(|c| c.runtime.as_str()).collect();
        rts.sort_by_key(|r| runtime_rank(r));
        rts.dedup();
        let mut curves = Vec::new();
        for rt in rts {
            if !runtimes.iter().any(|r| r == rt) {
                runtimes.push(rt.to_string());
            }
            for (k, input) in inputs.iter().enumerate() {
                let mut v: Vec<f64> = rows
                    .iter()
                    .filter(|c| c.runtime == rt && &c.input == input)
                    .map(|c| x.to(c.wall_ns as f64 / unit.div))
                    .collect();
                if v.is_empty() {
                    continue;
                }
                v.sort_by(f64::total_cmp);
                curves.push(Curve {
                    runtime: rt.to_string(),
                    input_index: k,
                    points: ecdf(&v),
                });
            }
        }
        let styles: Vec<String> = inputs
            .iter()
            .take(3)
            .enumerate()
            .map(|(k, i)| format!("{} {i}", STYLES[k]))
            .collect();
        panels.push(EcdfPanel {
            title: format!("{f}: {}", styles.join(", ")),
            x,
            x_desc: format!("Latency ({})", unit.name),
            curves,
        });
    }
    if panels.is_empty() {
        return Err("no ok calls".into());
    }
    runtimes.sort_by_key(|r| runtime_rank(r));
    let legend = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
    Ok(DistChart {
        frame: super::frame_for(
            data,
            "Latency distributions: ECDF per cell (line style = input)".into(),
            legend,
        ),
        panels,
    })
}

impl Chart for DistChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, grid_height(self.panels.len(), COLUMNS))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let y = Axis::numeric(&[0.0, 1.0], false, true);
        for (area, p) in grid(&body, self.panels.len(), COLUMNS).iter().zip(&self.panels) {
            let spec = PanelSpec {
                title: &p.title,
                x: &p.x,
                y: &y,
                x_desc: &p.x_desc,
                y_desc: "Fraction of calls ≤ x",
                y_label_px: 80,
            };
            let mut chart = panel(area, &spec)?;
            for c in &p.curves {
                let style = runtime_color(&c.runtime).stroke_width(3);
                let pts = c.points.iter().copied();
                match c.input_index {
                    0 => chart.draw_series(LineSeries::new(pts, style))?,
                    1 => chart.draw_series(DashedLineSeries::new(pts, 12, 8, style))?,
                    _ => chart.draw_series(DashedLineSeries::new(pts, 3, 6, style))?,
                };
            }
        }
        Ok(())
    }
}

//! Latency distributions: the empirical CDF of the wall time of every ok call, one panel per
//! function, one curve per cell (colour = runtime, line style = input: solid for the smallest,
//! then dashed, dotted and long-dashed, with a key under each panel's title), so that tails are
//! visible. The latency axes follow the chart scale policy (`axis::log_scale`). Curves are
//! thinned to at most `MAX_POINTS` points (the extremes are kept). A function with more inputs
//! than line styles shows as many as there are styles, evenly spread from the smallest to the
//! largest, and its panel title says so ("fibonacci (4 of 7 inputs)"): no two curves of one
//! runtime in a panel share a style.

use super::axis::{log_scale, Axis, Quantity};
use super::data::sorted_inputs;
use super::frame::{grid, grid_height, line_key, panels, Chart, Frame, LegendItem, PanelSpec};
use super::style::*;
use crate::results::cells::CellCalls;
use crate::results::RunData;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most points per curve.
pub const MAX_POINTS: usize = 400;

/// One cell's curve, in axis coordinates.
#[derive(Debug, Clone)]
pub struct Curve {
    /// The cell's runtime, which gives the curve its colour.
    pub runtime: String,
    /// Index of the input in the panel (0 = smallest).
    pub input_index: usize,
    /// (latency, fraction of calls at or below it): latency in axis coordinates, the fraction from
    /// 0 to 1.
    pub points: Vec<(f64, f64)>,
}

/// One function's panel.
#[derive(Debug, Clone)]
pub struct EcdfPanel {
    /// The function, with how many of its inputs are drawn when not all are.
    pub title: String,
    /// The panel's inputs in line-style order (as category labels).
    pub inputs: Vec<String>,
    /// The latency axis.
    pub x: Axis,
    /// The latency axis' description, with its unit or scale (see [`Axis::desc`]).
    pub x_desc: String,
    /// One curve per cell of the function.
    pub curves: Vec<Curve>,
}

/// The distribution figure.
#[derive(Debug, Clone)]
pub struct DistChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// One panel per function.
    pub panels: Vec<EcdfPanel>,
}

/// The line style of the k-th input (cycling): `None` solid, else (dash, gap) in px.
pub const DASHES: [Option<(u32, u32)>; 4] = [None, Some((12, 8)), Some((3, 6)), Some((26, 8))];

/// Indices of at most `k` of `n` items, evenly spread, the first and the last always among them.
pub fn spread(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    if k <= 1 {
        return vec![0];
    }
    let mut v: Vec<usize> = (0..k).map(|j| (j * (n - 1) + (k - 1) / 2) / (k - 1)).collect();
    v.dedup();
    v
}

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
    // (function, title, inputs shown, cells (runtime, input index, ECDF points in ns)).
    type Cells = Vec<(String, usize, Vec<(f64, f64)>)>;
    let mut raw: Vec<(String, String, Vec<String>, Cells)> = Vec::new();
    for f in data.functions() {
        let of_f: Vec<&CellCalls> = data
            .calls
            .cells
            .iter()
            .filter(|c| c.function == f && c.concurrency == conc && c.ok() > 0)
            .collect();
        if of_f.is_empty() {
            continue;
        }
        let all_inputs = sorted_inputs(of_f.iter().map(|c| c.input.as_str()));
        let shown = spread(all_inputs.len(), DASHES.len());
        let inputs: Vec<String> = shown.iter().map(|&i| all_inputs[i].clone()).collect();
        let title = if inputs.len() < all_inputs.len() {
            format!("{f} ({} of {} inputs)", inputs.len(), all_inputs.len())
        } else {
            f.clone()
        };
        let mut rts: Vec<&str> = of_f.iter().map(|c| c.runtime.as_str()).collect();
        rts.sort_by_key(|r| runtime_rank(r));
        rts.dedup();
        let mut cells = Vec::new();
        for rt in rts {
            if !runtimes.iter().any(|r| r == rt) {
                runtimes.push(rt.to_string());
            }
            for (k, input) in inputs.iter().enumerate() {
                if let Some(cell) = of_f.iter().find(|c| c.runtime == rt && &c.input == input) {
                    // Only the thinned curve is kept: a cell of millions of calls costs a
                    // sort, not millions of points.
                    let mut v = cell.wall.clone();
                    v.sort_by(f64::total_cmp);
                    cells.push((rt.to_string(), k, ecdf(&v)));
                }
            }
        }
        raw.push((f, title, inputs, cells));
    }
    if raw.is_empty() {
        return Err("no ok calls".into());
    }
    let all = |cells: &Cells| -> Vec<f64> { cells.iter().flat_map(|c| c.2.iter().map(|p| p.0)).collect() };
    let log = log_scale(&raw.iter().map(|r| all(&r.3)).collect::<Vec<_>>());
    let panels = raw
        .into_iter()
        .map(|(f, title, inputs, cells)| {
            let x = Axis::numeric(&all(&cells), Quantity::Time, log, false);
            let kind = data.input_kind(&f);
            let curves = cells
                .into_iter()
                .map(|(runtime, input_index, pts)| Curve {
                    runtime,
                    input_index,
                    points: pts.into_iter().map(|(ns, q)| (x.to(ns), q)).collect(),
                })
                .collect();
            EcdfPanel {
                title,
                inputs: inputs.iter().map(|i| kind.category(i)).collect(),
                x_desc: x.desc("Latency"),
                x,
                curves,
            }
        })
        .collect();
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
        let y = Axis::numeric(&[0.0, 1.0], Quantity::Plain(""), false, true);
        let mut areas = Vec::new();
        for (area, p) in grid(&body, self.panels.len(), COLUMNS).iter().zip(&self.panels) {
            let keys: Vec<(String, Option<(u32, u32)>)> = p
                .inputs
                .iter()
                .enumerate()
                .map(|(k, i)| (i.clone(), DASHES[k % DASHES.len()]))
                .collect();
            areas.push(line_key(area, &p.title, &keys)?);
        }
        let specs: Vec<PanelSpec> = self
            .panels
            .iter()
            .map(|p| PanelSpec {
                title: "",
                x: &p.x,
                y: &y,
                x_desc: &p.x_desc,
                y_desc: "Fraction of calls ≤ x",
                y_label_px: 80,
            })
            .collect();
        panels(&areas, &specs, |i, chart| {
            for c in &self.panels[i].curves {
                let style = runtime_color(&c.runtime).stroke_width(3);
                let pts = c.points.iter().copied();
                match DASHES[c.input_index % DASHES.len()] {
                    None => chart.draw_series(LineSeries::new(pts, style))?,
                    Some((dash, gap)) => chart.draw_series(DashedLineSeries::new(pts, dash, gap, style))?,
                };
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::call::CallRow;
    use crate::results::SummaryRow;

    #[test]
    fn spread_keeps_the_ends_and_spaces_the_rest() {
        assert_eq!(spread(3, 4), vec![0, 1, 2]);
        assert_eq!(spread(7, 4), vec![0, 2, 4, 6]);
        assert_eq!(spread(5, 4), vec![0, 1, 3, 4]);
        assert_eq!(spread(10, 4), vec![0, 3, 6, 9]);
        assert_eq!(spread(9, 1), vec![0]);
        assert_eq!(spread(0, 4), Vec::<usize>::new());
    }

    #[test]
    fn a_function_with_more_inputs_than_line_styles_shows_a_spread_of_them_and_says_so() {
        let call = |runtime: &str, input: u32, wall_ns: u64| CallRow {
            function: "f".into(),
            runtime: runtime.into(),
            input: input.to_string(),
            concurrency: 1,
            wall_ns,
            ok: true,
            ..CallRow::default()
        };
        let mut calls = Vec::new();
        for input in 1..=7u32 {
            for rt in ["wasm", "native"] {
                calls.extend((1..=5).map(|k| call(rt, input, u64::from(input) * 1000 + k)));
            }
        }
        let data = RunData {
            dir: std::path::PathBuf::new(),
            meta: None,
            calls: crate::results::cells::RunCalls::from_rows(&calls),
            windows: Vec::new(),
            summary: vec![SummaryRow {
                function: "f".into(),
                concurrency: 1,
                ..SummaryRow::default()
            }],
            comparison: Vec::new(),
            inputs: Default::default(),
        };
        let chart = build(&data).expect("a chart");
        let p = &chart.panels[0];
        assert_eq!(p.title, "f (4 of 7 inputs)");
        assert_eq!(p.inputs.len(), DASHES.len());
        assert_eq!(p.curves.len(), 8, "2 runtimes x 4 inputs");
        let mut seen: Vec<(&str, usize)> = p
            .curves
            .iter()
            .map(|c| (c.runtime.as_str(), c.input_index))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 8, "no two curves of a runtime share a line style");
        // The smallest and the largest input are among those shown (inputs 1 and 7).
        let first = p.curves.iter().find(|c| c.input_index == 0).expect("input 1");
        let last = p.curves.iter().find(|c| c.input_index == 3).expect("input 7");
        assert!(first.points.iter().all(|&(x, _)| x < p.x.to(2000.0)));
        assert!(last.points.iter().all(|&(x, _)| x > p.x.to(7000.0)));
    }
}

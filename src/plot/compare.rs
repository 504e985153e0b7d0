//! The chart of `nebula compare A B`: per cell, the change in median latency and energy per call
//! from run A to run B in percent, with the 95% bootstrap interval and a line at 0 (no change);
//! dots in the runtime's colour, filled when significant.

use super::axis::{Axis, Quantity};
use super::data::energy_name;
use super::frame::{estimate_dot, Chart, EstimatePanels, Frame, LegendItem, Swatch};
use super::ratio::Est;
use super::style::*;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One cell: label, runtime and the changes (ratios B/A) of latency and energy.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// The cell: `function input runtime cN`.
    pub label: String,
    /// The cell's runtime, which gives the dots their colour.
    pub runtime: String,
    /// median(B) / median(A) of the wall time; `None` when either run has no ratio for the cell.
    pub latency: Option<Est>,
    /// median(B) / median(A) of the gross energy per call; `None` when either run has no ratio for
    /// the cell.
    pub energy: Option<Est>,
}

/// The comparison figure.
#[derive(Debug, Clone)]
pub struct CompareChart {
    /// The figure's title, legend, run ids and energy note.
    pub frame: Frame,
    /// One row per cell present in both runs.
    pub rows: Vec<ChangeRow>,
}

fn pct(r: f64) -> f64 {
    (r - 1.0) * 100.0
}

impl CompareChart {
    /// A chart of `rows` titled for runs `a` and `b`; `note` is the energy note.
    pub fn new(a: &str, b: &str, rows: Vec<ChangeRow>, note: String, estimated: bool) -> CompareChart {
        let mut runtimes: Vec<String> = rows.iter().map(|r| r.runtime.clone()).collect();
        runtimes.sort_by_key(|r| runtime_rank(r));
        runtimes.dedup();
        let mut legend: Vec<LegendItem> = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
        legend.push(LegendItem::new("not significant", GREYS[0], Swatch::Hollow));
        CompareChart {
            frame: Frame {
                title: "Change from run A to run B (median, 95% CI)".into(),
                legend,
                run_id: format!("A = {a}, B = {b}"),
                note,
                estimated,
            },
            rows,
        }
    }
}

impl Chart for CompareChart {
    fn size(&self) -> (u32, u32) {
        EstimatePanels::size(self.rows.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let n = self.rows.len();
        let pick = |r: &ChangeRow, k: usize| if k == 0 { r.latency } else { r.energy };
        let axis = |k: usize| {
            let vals: Vec<f64> = self
                .rows
                .iter()
                .filter_map(|r| pick(r, k))
                .flat_map(|e| [pct(e.ratio), pct(e.lo), pct(e.hi)])
                .filter(|v| v.is_finite())
                .collect();
            // Always linear: a change in percent can be negative.
            Axis::numeric_with(&vals, 0.0, Quantity::Plain("%"), false)
        };
        let axes = [axis(0), axis(1)];
        let panels = EstimatePanels {
            labels: self.rows.iter().map(|r| r.label.clone()).collect(),
            titles: [
                "Latency".into(),
                energy_name("Gross energy per call", self.frame.estimated),
            ],
            axes: [&axes[0], &axes[1]],
            x_desc: [0, 1].map(|k| axes[k].desc("Change from A to B")),
            reference: [0.0, 0.0],
        };
        panels.draw(&body, |k, chart| {
            for (i, r) in self.rows.iter().enumerate() {
                let Some(e) = pick(r, k) else { continue };
                let c = runtime_color(&r.runtime);
                let pos = (n - 1 - i) as f64;
                estimate_dot(chart, pct(e.ratio), pct(e.lo), pct(e.hi), pos, c, e.significant)?;
            }
            Ok(())
        })
    }
}

//! The chart of `nebula compare A B`: per cell, the change in median latency and energy per call
//! from run A to run B in percent, with the 95% bootstrap interval and a line at 0 (no change);
//! dots in the runtime's colour, filled when significant.

use super::axis::Axis;
use super::frame::{estimate_dot, panel, Chart, Frame, LegendItem, PanelSpec, Swatch};
use super::ratio::Est;
use super::style::*;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One cell: label, runtime and the changes (ratios B/A) of latency and energy.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub label: String,
    pub runtime: String,
    pub latency: Option<Est>,
    pub energy: Option<Est>,
}

/// The comparison figure.
#[derive(Debug, Clone)]
pub struct CompareChart {
    pub frame: Frame,
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
        let h = HEADER + FOOTER + 150 + 34 * self.rows.len() as u32;
        (WIDTH, h.max(HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w * 58 / 100);
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().rev().map(|r| r.label.clone()).collect();
        let y = Axis::categorical(&labels);
        let no_labels = Axis::categorical(&vec![String::new(); n]);
        let pick = |r: &ChangeRow, k: usize| if k == 0 { r.latency } else { r.energy };
        for (k, (area, title)) in [(&left, "Latency"), (&right, "Energy per call")]
            .into_iter()
            .enumerate()
        {
            let vals: Vec<f64> = self
                .rows
                .iter()
                .filter_map(|r| pick(r, k))
                .flat_map(|e| [pct(e.ratio), pct(e.lo), pct(e.hi)])
                .filter(|v| v.is_finite())
                .collect();
            let x = Axis::numeric_with(&vals, 0.0, false);
            let x_desc = format!("{title} change B vs A (%)");
            let spec = PanelSpec {
                title,
                x: &x,
                y: if k == 0 { &y } else { &no_labels },
                x_desc: &x_desc,
                y_desc: "",
                y_label_px: if k == 0 { 300 } else { 12 },
            };
            let mut chart = panel(area, &spec)?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, y.lo), (0.0, y.hi)],
                GREYS[0].stroke_width(2),
            )))?;
            for (i, r) in self.rows.iter().enumerate() {
                let Some(e) = pick(r, k) else { continue };
                let pos = (n - 1 - i) as f64;
                let c = runtime_color(&r.runtime);
                estimate_dot(
                    &mut chart,
                    pct(e.ratio),
                    pct(e.lo),
                    pct(e.hi),
                    pos,
                    c,
                    e.significant,
                )?;
            }
        }
        Ok(())
    }
}

//! Start-up phase breakdown at each function's smallest input, where start-up dominates: one
//! panel per function, one horizontal stacked bar per runtime, outlined in the runtime's
//! colour — compile + instantiate + execute + teardown for Wasm (compile is zero when warm),
//! filled in greys, and spawn-to-exit for native, hatched — and a thin bar in the runtime's
//! colour for the marked kernel. The time axis is always linear (a log axis would distort the
//! segments' shares). Each segment is the median of that phase over the cell's ok calls
//! (`calls.csv`), so a bar is a sum of medians.
//! Skipped when the run has no `wasm-cold` calls: without them no start-up is measured.

use super::axis::{Axis, Quantity};
use super::data::sorted_inputs;
use super::frame::{grid, grid_height, hatch, panels, Chart, Frame, LegendItem, PanelSpec, Swatch};
use super::style::*;
use crate::results::cells::{CellCalls, NaN, Sparse};
use crate::results::RunData;
use crate::stats::median;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The phases, in stacking order, with their colours.
pub const PHASES: [(&str, RGBColor); 5] = [
    ("compile", GREYS[0]),
    ("instantiate", GREYS[1]),
    ("execute", GREYS[2]),
    ("teardown", GREYS[3]),
    // Hatched (see `HATCHED`), so that it never reads as one of the Wasm phases.
    ("spawn-to-exit", GREYS[1]),
];

/// The index in `PHASES` drawn hatched instead of filled.
pub const HATCHED: usize = 4;

/// One runtime's bar (ns).
#[derive(Debug, Clone)]
pub struct Bar {
    /// The runtime (`wasm`, `wasm-cold` or `native`).
    pub runtime: String,
    /// Length of each of `PHASES` (0 when absent).
    pub phases: [f64; 5],
    /// Median time of the marked kernel; `None` for a module without markers.
    pub kernel: Option<f64>,
}

/// One function's panel.
#[derive(Debug, Clone)]
pub struct PhasePanel {
    /// The function and the input the bars were measured at.
    pub title: String,
    /// A linear time axis (ns).
    pub x: Axis,
    /// One bar per runtime.
    pub bars: Vec<Bar>,
}

/// The phase figure.
#[derive(Debug, Clone)]
pub struct PhaseChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// One panel per function.
    pub panels: Vec<PhasePanel>,
}

/// The median of a sparse column's present values.
fn med<T: Copy + Into<f64> + NaN>(col: &Sparse<T>) -> Option<f64> {
    let v: Vec<f64> = col.present().map(Into::into).collect();
    median(&v)
}

/// The bar of one cell: the medians of its phases and of its kernel.
fn bar(cell: &CellCalls) -> Bar {
    let [compile, instantiate, execute, teardown, spawn] = &cell.phases;
    let wasm_like = !execute.0.is_empty() || !instantiate.0.is_empty();
    let phases = if wasm_like {
        // A warm call compiles nothing: its compile time counts as 0, not as absent.
        let compile: Vec<f64> = (0..cell.ok())
            .map(|i| compile.get(i).map_or(0.0, f64::from))
            .collect();
        [
            median(&compile).unwrap_or(0.0),
            med(instantiate).unwrap_or(0.0),
            med(execute).unwrap_or(0.0),
            med(teardown).unwrap_or(0.0),
            0.0,
        ]
    } else {
        let s = med(spawn).or_else(|| median(&cell.wall));
        [0.0, 0.0, 0.0, 0.0, s.unwrap_or(0.0)]
    };
    Bar {
        runtime: cell.runtime.clone(),
        phases,
        kernel: med(&cell.kernel),
    }
}

/// The figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<PhaseChart, String> {
    if !data.calls.cells.iter().any(|c| c.runtime == "wasm-cold") {
        return Err("the run has no wasm-cold calls, so no start-up (compile) was measured; add \"wasm-cold\" to runtimes".into());
    }
    let conc = data.base_concurrency();
    let ok: Vec<&CellCalls> = data
        .calls
        .cells
        .iter()
        .filter(|c| c.ok() > 0 && c.concurrency == conc)
        .collect();
    let mut functions: Vec<&str> = ok.iter().map(|c| c.function.as_str()).collect();
    functions.sort();
    functions.dedup();
    let mut panels = Vec::new();
    for f in functions {
        let cells: Vec<&CellCalls> = ok.iter().copied().filter(|c| c.function == f).collect();
        let Some(input) = sorted_inputs(cells.iter().map(|c| c.input.as_str()))
            .into_iter()
            .next()
        else {
            continue;
        };
        let mut of_input: Vec<&CellCalls> = cells.into_iter().filter(|c| c.input == input).collect();
        of_input.sort_by_key(|c| runtime_rank(&c.runtime));
        let bars: Vec<Bar> = of_input
            .into_iter()
            .map(bar)
            .filter(|b| b.phases.iter().sum::<f64>() > 0.0)
            .collect();
        if bars.is_empty() {
            continue;
        }
        let max = bars
            .iter()
            .map(|b| b.phases.iter().sum::<f64>())
            .fold(0.0, f64::max);
        panels.push(PhasePanel {
            title: format!("{f} (input {})", data.input_kind(f).category(&input)),
            // Stacked bars are always linear: a log axis would distort the segments' shares.
            x: Axis::numeric(&[0.0, max], Quantity::Time, false, true),
            bars,
        });
    }
    if panels.is_empty() {
        return Err("no ok calls with phase timings".into());
    }
    let mut legend: Vec<LegendItem> = PHASES
        .iter()
        .enumerate()
        .map(|(i, (name, c))| {
            let swatch = if i == HATCHED {
                Swatch::Hatched
            } else {
                Swatch::Bar
            };
            LegendItem::new(*name, *c, swatch)
        })
        .collect();
    legend.push(LegendItem::new(
        "marked kernel (runtime colour)",
        GREYS[0],
        Swatch::Line,
    ));
    Ok(PhaseChart {
        frame: super::frame_for(
            data,
            "Start-up phases at the smallest input (medians; outline = runtime)".into(),
            legend,
        ),
        panels,
    })
}

impl Chart for PhaseChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, grid_height(self.panels.len(), COLUMNS))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let ys: Vec<Axis> = self
            .panels
            .iter()
            .map(|p| Axis::categorical(&p.bars.iter().rev().map(|b| b.runtime.clone()).collect::<Vec<_>>()))
            .collect();
        let descs: Vec<String> = self.panels.iter().map(|p| p.x.desc("Time")).collect();
        let specs: Vec<PanelSpec> = self
            .panels
            .iter()
            .zip(ys.iter().zip(&descs))
            .map(|(p, (y, x_desc))| PanelSpec {
                title: &p.title,
                x: &p.x,
                y,
                x_desc,
                y_desc: "",
                y_label_px: 120,
            })
            .collect();
        let areas = grid(&body, self.panels.len(), COLUMNS);
        panels(&areas, &specs, |i, chart| {
            let p = &self.panels[i];
            let n = p.bars.len();
            for (row, b) in p.bars.iter().enumerate() {
                let pos = (n - 1 - row) as f64;
                let c = runtime_color(&b.runtime);
                let mut start = 0.0;
                for (k, (len, (_, color))) in b.phases.iter().zip(PHASES).enumerate() {
                    if *len > 0.0 && k == HATCHED {
                        let top_left = chart.backend_coord(&(start, pos + 0.32));
                        let bottom_right = chart.backend_coord(&(start + len, pos - 0.32));
                        hatch(root, top_left, bottom_right, color)?;
                    } else if *len > 0.0 {
                        chart.draw_series(std::iter::once(Rectangle::new(
                            [(start, pos - 0.32), (start + len, pos + 0.32)],
                            color.filled(),
                        )))?;
                    }
                    start += len;
                }
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, pos - 0.32), (start, pos + 0.32)],
                    c.stroke_width(3),
                )))?;
                if let Some(k) = b.kernel {
                    let k0 = b.phases[0] + b.phases[1];
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(k0, pos - 0.07), (k0 + k, pos + 0.07)],
                        c.filled(),
                    )))?;
                }
            }
            Ok(())
        })
    }
}

//! Concurrency: throughput (ok calls per second of measurement) and median energy per call
//! (95% interval, per window) vs calls in flight, one line per runtime, one row of two panels per
//! function and input measured at two or more concurrency levels (`summary.csv`; at most
//! `MAX_ROWS` rows). The scale policy holds for the whole chart: its axes of one kind are all
//! log or all linear. Skipped when the run has a single concurrency level.

use super::axis::{log_scale, Axis, Quantity};
use super::by_input::{draw_grid, place, series_of, y_values, Pick, Series, XyPanel};
use super::data::{energy_name, input_cmp};
use super::frame::{Chart, Frame, LegendItem};
use super::style::*;
use crate::results::RunData;
use crate::results::SummaryRow;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most (function, input) rows drawn.
pub const MAX_ROWS: usize = 6;

/// The concurrency figure: pairs of panels (throughput, energy).
#[derive(Debug, Clone)]
pub struct ConcurrencyChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// Throughput and energy panels, in pairs, one pair per function and input.
    pub panels: Vec<XyPanel>,
}

/// One panel before the chart's scales are chosen.
struct Raw {
    title: String,
    y_name: String,
    quantity: Quantity,
    series: Vec<Series>,
}

fn level(s: &SummaryRow) -> f64 {
    f64::from(s.concurrency)
}

/// The figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<ConcurrencyChart, String> {
    let mut groups: Vec<(&str, &str)> = data
        .summary
        .iter()
        .map(|s| (s.function.as_str(), s.input.as_str()))
        .collect();
    groups.sort_by(|a, b| a.0.cmp(b.0).then_with(|| input_cmp(a.1, b.1)));
    groups.dedup();
    let (energy_pick, energy_what): (Pick, &str) = if data.has_net_energy() {
        (
            |s| (s.energy_net_median_j, s.energy_net_ci_lo_j, s.energy_net_ci_hi_j),
            "net energy per call",
        )
    } else {
        (
            |s| {
                (
                    s.energy_gross_median_j,
                    s.energy_gross_ci_lo_j,
                    s.energy_gross_ci_hi_j,
                )
            },
            "gross energy per call",
        )
    };
    let energy_label = energy_name("Energy", data.energy_estimated());
    let mut raw: Vec<Raw> = Vec::new();
    let mut runtimes: Vec<String> = Vec::new();
    for (f, input) in groups {
        let rows: Vec<&SummaryRow> = data
            .summary
            .iter()
            .filter(|s| s.function == f && s.input == input)
            .collect();
        let mut levels: Vec<u32> = rows.iter().map(|s| s.concurrency).collect();
        levels.sort();
        levels.dedup();
        if levels.len() < 2 {
            continue;
        }
        if raw.len() / 2 >= MAX_ROWS {
            break;
        }
        for r in &rows {
            if !runtimes.contains(&r.runtime) {
                runtimes.push(r.runtime.clone());
            }
        }
        let input = data.input_kind(f).category(input);
        raw.push(Raw {
            title: format!("{f} {input}: throughput"),
            y_name: "Throughput".into(),
            quantity: Quantity::Plain("calls/s"),
            series: series_of(&rows, level, |s| (s.throughput_calls_per_s, None, None)),
        });
        raw.push(Raw {
            title: format!("{f} {input}: {energy_what}"),
            y_name: energy_label.clone(),
            quantity: Quantity::Energy,
            series: series_of(&rows, level, energy_pick),
        });
    }
    if raw.is_empty() {
        return Err("every cell ran at a single concurrency level".into());
    }
    let x_log = log_scale(&raw.iter().map(|r| xs(&r.series)).collect::<Vec<_>>());
    let y_log = log_scale(&raw.iter().map(|r| y_values(&r.series)).collect::<Vec<_>>());
    let panels = raw
        .into_iter()
        .map(|mut r| {
            let x = Axis::numeric(&xs(&r.series), Quantity::Plain(""), x_log, false);
            let y = Axis::numeric(&y_values(&r.series), r.quantity, y_log, true);
            place(&mut r.series, &x, &y);
            XyPanel {
                title: r.title,
                x_desc: x.desc("Calls in flight"),
                y_desc: y.desc(&r.y_name),
                x,
                y,
                series: r.series,
            }
        })
        .collect();
    runtimes.sort_by_key(|r| runtime_rank(r));
    let legend = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
    Ok(ConcurrencyChart {
        frame: super::frame_for(
            data,
            "Throughput and energy per call vs calls in flight".into(),
            legend,
        ),
        panels,
    })
}

fn xs(series: &[Series]) -> Vec<f64> {
    series.iter().flat_map(|s| s.points.iter().map(|p| p.x)).collect()
}

impl Chart for ConcurrencyChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, super::frame::grid_height(self.panels.len(), 2))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        draw_grid(&body, &self.panels, 2)
    }
}

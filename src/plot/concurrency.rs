//! Concurrency: throughput (ok calls per second of measurement) and median energy per call
//! (95% interval, per window) vs calls in flight, one line per runtime, one row of two panels per
//! function and input measured at two or more concurrency levels (`summary.csv`; at most
//! `MAX_ROWS` rows). Skipped when the run has a single concurrency level.

use super::axis::{energy_unit, Axis};
use super::by_input::{draw_panel, Point, Series, XyPanel};
use super::data::{input_cmp, RunData};
use super::frame::{grid, Chart, Frame, LegendItem};
use super::style::*;
use crate::export::SummaryRow;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Most (function, input) rows drawn.
pub const MAX_ROWS: usize = 6;

/// The concurrency figure: pairs of panels (throughput, energy).
#[derive(Debug, Clone)]
pub struct ConcurrencyChart {
    pub frame: Frame,
    pub panels: Vec<XyPanel>,
}

type Pick = fn(&SummaryRow) -> (Option<f64>, Option<f64>, Option<f64>);

fn xy_panel(title: String, rows: &[&SummaryRow], pick: Pick, y_name: &str, energy: bool) -> XyPanel {
    let max = rows
        .iter()
        .filter_map(|s| pick(s).0)
        .fold(0.0f64, |a, b| a.max(b.abs()));
    let unit = if energy {
        energy_unit(max)
    } else {
        super::axis::Unit {
            div: 1.0,
            name: "calls/s",
        }
    };
    let xs: Vec<f64> = rows.iter().map(|s| f64::from(s.concurrency)).collect();
    let x = Axis::numeric(&xs, true, false);
    let mut runtimes: Vec<&str> = rows.iter().map(|s| s.runtime.as_str()).collect();
    runtimes.sort_by_key(|r| runtime_rank(r));
    runtimes.dedup();
    let mut series: Vec<Series> = runtimes
        .into_iter()
        .map(|rt| {
            let mut points: Vec<Point> = rows
                .iter()
                .filter(|s| s.runtime == rt)
                .filter_map(|s| {
                    let (m, lo, hi) = pick(s);
                    Some(Point {
                        x: x.to(f64::from(s.concurrency)),
                        y: m? / unit.div,
                        lo: lo.map(|v| v / unit.div),
                        hi: hi.map(|v| v / unit.div),
                    })
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Series {
                runtime: rt.to_string(),
                points,
            }
        })
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [Some(p.y), p.lo, p.hi]))
        .flatten()
        .collect();
    let y = Axis::numeric(&ys, true, true);
    for p in series.iter_mut().flat_map(|s| s.points.iter_mut()) {
        p.y = y.to(p.y);
        p.lo = p.lo.map(|v| y.to(v));
        p.hi = p.hi.map(|v| y.to(v));
    }
    XyPanel {
        title,
        x,
        y,
        x_desc: "Calls in flight".into(),
        y_desc: format!("{y_name} ({})", unit.name),
        series,
    }
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
    let net = data.has_net_energy();
    let mut panels = Vec::new();
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
        if panels.len() / 2 >= MAX_ROWS {
            break;
        }
        for r in &rows {
            if !runtimes.contains(&r.runtime) {
                runtimes.push(r.runtime.clone());
            }
        }
        let title = format!("{f} {input}");
        panels.push(xy_panel(
            format!("{title}: throughput"),
            &rows,
            |s| (s.throughput_calls_per_s, None, None),
            "Throughput",
            false,
        ));
        let (pick, name): (Pick, &str) = if net {
            (
                |s| (s.energy_net_median_j, s.energy_net_ci_lo_j, s.energy_net_ci_hi_j),
                "Net energy/call",
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
                "Gross energy/call",
            )
        };
        panels.push(xy_panel(format!("{title}: energy"), &rows, pick, name, true));
    }
    if panels.is_empty() {
        return Err("every cell ran at a single concurrency level".into());
    }
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

impl Chart for ConcurrencyChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, super::frame::grid_height(self.panels.len(), 2))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        for (area, p) in grid(&body, self.panels.len(), 2).iter().zip(&self.panels) {
            draw_panel(area, p)?;
        }
        Ok(())
    }
}

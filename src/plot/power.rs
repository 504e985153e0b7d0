//! Power over the run: the average power of each energy window (window energy / duration, from
//! `windows.csv`, one row per window) against time since the first window, a dot per window in
//! its runtime's colour joined by a thin grey line in time order, and the idle baseline as a
//! dashed line. Both axes are linear. The power axis says ESTIMATED when the energy is a model
//! estimate. Skipped when the run has no window with an energy reading.

use super::axis::{Axis, Quantity};
use super::data::energy_name;
use super::frame::{panels, Chart, Frame, LegendItem, PanelSpec, Swatch};
use super::style::*;
use crate::results::RunData;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// The power figure.
#[derive(Debug, Clone)]
pub struct PowerChart {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// (seconds since start, watts, runtime), in time order.
    pub points: Vec<(f64, f64, String)>,
    /// The run's idle baseline in watts, drawn as a dashed line; `None` without one.
    pub idle_watts: Option<f64>,
}

/// The figure, or why it is skipped.
pub fn build(data: &RunData) -> Result<PowerChart, String> {
    let mut windows: BTreeMap<u64, (u64, f64, String)> = BTreeMap::new();
    for w in &data.windows {
        let Some(e) = w.energy_j.filter(|e| e.is_finite()) else {
            continue;
        };
        if w.duration_ns == 0 {
            continue;
        }
        windows.entry(w.window_id).or_insert((
            w.start_unix_ns,
            e / (w.duration_ns as f64 * 1e-9),
            w.runtime.to_string(),
        ));
    }
    if windows.is_empty() {
        return Err("no energy window with a reading (windows.csv is missing or empty)".into());
    }
    let t0 = windows.values().map(|w| w.0).min().unwrap_or(0);
    let mut points: Vec<(f64, f64, String)> = windows
        .into_values()
        .map(|(s, p, rt)| ((s - t0) as f64 * 1e-9, p, rt))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let idle_watts = data
        .meta
        .as_ref()
        .and_then(|m| m.energy.idle_watts)
        .or_else(|| data.windows.iter().find_map(|w| w.idle_watts));
    let mut runtimes: Vec<String> = points.iter().map(|p| p.2.clone()).collect();
    runtimes.sort_by_key(|r| runtime_rank(r));
    runtimes.dedup();
    let mut legend: Vec<LegendItem> = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
    if let Some(w) = idle_watts {
        legend.push(LegendItem::new(
            format!("idle baseline {w:.2} W"),
            GREYS[0],
            Swatch::Dashed,
        ));
    }
    Ok(PowerChart {
        frame: super::frame_for(
            data,
            "Average power per energy window over the run".into(),
            legend,
        ),
        points,
        idle_watts,
    })
}

impl Chart for PowerChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        let xs: Vec<f64> = self.points.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        ys.extend(self.idle_watts);
        // Always linear: time runs evenly and power varies by a small factor.
        let x = Axis::numeric(&xs, Quantity::Plain("s"), false, true);
        let y = Axis::numeric(&ys, Quantity::Plain("W"), false, true);
        let x_desc = x.desc("Time since the first window");
        let y_desc = y.desc(&energy_name("Average power", self.frame.estimated));
        let spec = PanelSpec {
            title: "",
            x: &x,
            y: &y,
            x_desc: &x_desc,
            y_desc: &y_desc,
            y_label_px: 90,
        };
        panels(&[body], &[spec], |_, chart| {
            chart.draw_series(LineSeries::new(
                self.points.iter().map(|p| (p.0, p.1)),
                GREYS[2].stroke_width(1),
            ))?;
            if let Some(w) = self.idle_watts {
                chart.draw_series(DashedLineSeries::new(
                    [(x.lo, w), (x.hi, w)],
                    14,
                    8,
                    GREYS[0].stroke_width(3),
                ))?;
            }
            chart.draw_series(
                self.points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 5, runtime_color(&p.2).filled())),
            )?;
            Ok(())
        })
    }
}

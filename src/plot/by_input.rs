//! The shared drawing of "metric vs input size" charts (latency, energy per call): one panel per
//! function, one line per runtime through the medians, the 95% bootstrap interval of each median
//! as a shaded band and error bars. Values come from `summary.csv` at the run's lowest
//! concurrency level.

use super::axis::{Axis, Unit};
use super::data::{input_number, sorted_inputs, RunData};
use super::frame::{error_bar, grid, grid_height, panel, Chart, Frame, LegendItem, PanelSpec};
use super::style::*;
use crate::export::SummaryRow;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One median with its interval, in display units; `x` is the input's number or category index.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// One runtime's line in a panel.
#[derive(Debug, Clone)]
pub struct Series {
    pub runtime: String,
    pub points: Vec<Point>,
}

/// One function's panel.
#[derive(Debug, Clone)]
pub struct XyPanel {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub x_desc: String,
    pub y_desc: String,
    pub series: Vec<Series>,
}

/// A multi-panel "metric vs input" figure.
#[derive(Debug, Clone)]
pub struct ByInput {
    pub frame: Frame,
    pub panels: Vec<XyPanel>,
}

/// A metric of a summary row: (median, ci_lo, ci_hi) in base units (ns or J).
pub type Pick = fn(&SummaryRow) -> (Option<f64>, Option<f64>, Option<f64>);

/// What to plot and how to label it.
pub struct MetricSpec {
    pub title: String,
    /// Axis description without unit, e.g. "Latency".
    pub y_name: String,
    pub pick: Pick,
    /// The display unit for a panel whose largest value is the argument.
    pub unit: fn(f64) -> Unit,
}

/// Builds the figure, or says why there is nothing to draw.
pub fn build(data: &RunData, spec: &MetricSpec) -> Result<ByInput, String> {
    let conc = data.base_concurrency();
    let mut panels = Vec::new();
    let mut runtimes: Vec<String> = Vec::new();
    for f in data.functions() {
        let rows: Vec<&SummaryRow> = data
            .summary
            .iter()
            .filter(|s| s.function == f && s.concurrency == conc && (spec.pick)(s).0.is_some())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let inputs = sorted_inputs(rows.iter().map(|s| s.input.as_str()));
        let numeric = inputs.len() > 1 && inputs.iter().all(|i| input_number(i).is_some());
        let xpos = |input: &str| -> f64 {
            if numeric {
                input_number(input).unwrap_or(0.0)
            } else {
                inputs.iter().position(|i| i == input).unwrap_or(0) as f64
            }
        };
        let x = if numeric {
            let xs: Vec<f64> = inputs.iter().filter_map(|i| input_number(i)).collect();
            Axis::numeric(&xs, true, false)
        } else {
            Axis::categorical(&inputs)
        };
        let max = rows
            .iter()
            .filter_map(|s| (spec.pick)(s).0)
            .fold(0.0f64, |a, b| a.max(b.abs()));
        let unit = (spec.unit)(max);
        let mut by_rt: Vec<(String, Vec<&SummaryRow>)> = Vec::new();
        for r in &rows {
            match by_rt.iter_mut().find(|(rt, _)| *rt == r.runtime) {
                Some((_, v)) => v.push(r),
                None => by_rt.push((r.runtime.clone(), vec![r])),
            }
        }
        by_rt.sort_by_key(|(rt, _)| runtime_rank(rt));
        let mut ys = Vec::new();
        let series: Vec<Series> = by_rt
            .into_iter()
            .map(|(runtime, rs)| {
                let mut points: Vec<Point> = rs
                    .iter()
                    .filter_map(|s| {
                        let (m, lo, hi) = (spec.pick)(s);
                        let d = |v: f64| v / unit.div;
                        Some(Point {
                            x: x.to(xpos(&s.input)),
                            y: d(m?),
                            lo: lo.map(d),
                            hi: hi.map(d),
                        })
                    })
                    .collect();
                points.sort_by(|a, b| a.x.total_cmp(&b.x));
                ys.extend(points.iter().flat_map(|p| [Some(p.y), p.lo, p.hi]).flatten());
                Series { runtime, points }
            })
            .collect();
        for s in &series {
            if !runtimes.contains(&s.runtime) {
                runtimes.push(s.runtime.clone());
            }
        }
        let y = Axis::numeric(&ys, true, true);
        let mut series = series;
        for s in &mut series {
            for p in &mut s.points {
                p.y = y.to(p.y);
                p.lo = p.lo.map(|v| y.to(v));
                p.hi = p.hi.map(|v| y.to(v));
            }
        }
        panels.push(XyPanel {
            title: f.clone(),
            x_desc: if numeric {
                "Input size".into()
            } else {
                "Input".into()
            },
            y_desc: format!("{} ({})", spec.y_name, unit.name),
            x,
            y,
            series,
        });
    }
    if panels.is_empty() {
        return Err(format!("no {} values in the run", spec.y_name.to_lowercase()));
    }
    runtimes.sort_by_key(|rt| runtime_rank(rt));
    let mut legend: Vec<LegendItem> = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
    legend.push(LegendItem::new(
        "median, 95% CI",
        GREYS[1],
        super::frame::Swatch::Bar,
    ));
    let title = if data.summary.iter().any(|s| s.concurrency != conc) {
        format!("{} ({conc} in flight)", spec.title)
    } else {
        spec.title.clone()
    };
    Ok(ByInput {
        frame: super::frame_for(data, title, legend),
        panels,
    })
}

impl Chart for ByInput {
    fn size(&self) -> (u32, u32) {
        (WIDTH, grid_height(self.panels.len(), COLUMNS))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let body = self.frame.draw(root)?;
        for (area, p) in grid(&body, self.panels.len(), COLUMNS).iter().zip(&self.panels) {
            draw_panel(area, p)?;
        }
        Ok(())
    }
}

/// One panel: bands, lines, error bars and points per runtime.
pub fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &XyPanel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let spec = PanelSpec {
        title: &p.title,
        x: &p.x,
        y: &p.y,
        x_desc: &p.x_desc,
        y_desc: &p.y_desc,
        y_label_px: 115,
    };
    let mut chart = panel(area, &spec)?;
    for s in &p.series {
        let c = runtime_color(&s.runtime);
        let band: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|q| Some((q.x, q.hi?)))
            .chain(s.points.iter().rev().filter_map(|q| Some((q.x, q.lo?))))
            .collect();
        if s.points.len() >= 2 && band.len() == 2 * s.points.len() {
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
        }
        chart.draw_series(LineSeries::new(
            s.points.iter().map(|q| (q.x, q.y)),
            c.stroke_width(3),
        ))?;
        for q in &s.points {
            if let (Some(lo), Some(hi)) = (q.lo, q.hi) {
                error_bar(&mut chart, (q.x, lo), (q.x, hi), true, c.stroke_width(2), 7)?;
            }
        }
        chart.draw_series(s.points.iter().map(|q| Circle::new((q.x, q.y), 6, c.filled())))?;
    }
    Ok(())
}

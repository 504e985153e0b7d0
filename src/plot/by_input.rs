//! The shared drawing of "metric vs input size" charts (latency, energy per call): one panel per
//! function, one line per runtime through the medians, the 95% bootstrap interval of each median
//! as a shaded band and error bars. Values come from `summary.csv` at the run's lowest
//! concurrency level. The input axis is labelled by what the function's input is ("n (number
//! of terms)", "Data size (bytes)"), panel by panel.

use super::axis::{in_parens, log_scale, Axis, Quantity};
use super::data::{input_number, sorted_inputs};
use super::frame::{error_bar, grid, grid_height, panels, Chart, Frame, LegendItem, Panel, PanelSpec};
use super::style::*;
use crate::results::InputKind;
use crate::results::RunData;
use crate::results::SummaryRow;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One median with its interval, in display units; `x` is the input's number or category index.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// The input's number, or its index among the panel's categories.
    pub x: f64,
    /// The median.
    pub y: f64,
    /// The low end of the median's 95% interval; `None` without an interval.
    pub lo: Option<f64>,
    /// The high end of the median's 95% interval; `None` without an interval.
    pub hi: Option<f64>,
}

/// One runtime's line in a panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// The runtime (`wasm`, `wasm-cold` or `native`), which gives the line its colour.
    pub runtime: String,
    /// The medians, sorted by x.
    pub points: Vec<Point>,
}

/// One function's panel.
#[derive(Debug, Clone)]
pub struct XyPanel {
    /// The panel's title: the function (in the concurrency chart, its input and the metric too).
    pub title: String,
    /// The horizontal axis: input size (or calls in flight in the concurrency chart).
    pub x: Axis,
    /// The vertical axis: the metric.
    pub y: Axis,
    /// The x axis' description, with its unit or scale (see [`Axis::desc`]).
    pub x_desc: String,
    /// The y axis' description, with its unit or scale (see [`Axis::desc`]).
    pub y_desc: String,
    /// One line per runtime, in axis coordinates.
    pub series: Vec<Series>,
}

/// A multi-panel "metric vs input" figure.
#[derive(Debug, Clone)]
pub struct ByInput {
    /// The figure's title, legend, run id and energy note.
    pub frame: Frame,
    /// One panel per function.
    pub panels: Vec<XyPanel>,
}

/// A metric of a summary row: (median, ci_lo, ci_hi) in base units (ns or J).
pub type Pick = fn(&SummaryRow) -> (Option<f64>, Option<f64>, Option<f64>);

/// What to plot and how to label it.
pub struct MetricSpec {
    /// The figure's title (the lowest concurrency is added when the run has several).
    pub title: String,
    /// Axis description without unit, e.g. "Latency".
    pub y_name: String,
    /// Which columns of a summary row are plotted.
    pub pick: Pick,
    /// What the values are (time or energy), for the y axis' ticks and unit.
    pub quantity: Quantity,
}

/// One line per runtime (in runtime order) through `pick` of `rows` at `x(row)`, in base units,
/// sorted by x.
pub fn series_of(rows: &[&SummaryRow], x: impl Fn(&SummaryRow) -> f64, pick: Pick) -> Vec<Series> {
    let mut runtimes: Vec<&str> = rows.iter().map(|s| s.runtime.as_str()).collect();
    runtimes.sort_by_key(|r| runtime_rank(r));
    runtimes.dedup();
    runtimes
        .into_iter()
        .map(|rt| {
            let mut points: Vec<Point> = rows
                .iter()
                .filter(|s| s.runtime == rt)
                .filter_map(|s| {
                    let (m, lo, hi) = pick(s);
                    Some(Point {
                        x: x(s),
                        y: m?,
                        lo,
                        hi,
                    })
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Series {
                runtime: rt.to_string(),
                points,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// Every y value of `series`: medians and interval bounds.
pub fn y_values(series: &[Series]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [Some(p.y), p.lo, p.hi]))
        .flatten()
        .collect()
}

/// Moves `series` from base units into the coordinates of axes `x` and `y`.
pub fn place(series: &mut [Series], x: &Axis, y: &Axis) {
    for p in series.iter_mut().flat_map(|s| s.points.iter_mut()) {
        p.x = x.to(p.x);
        p.y = y.to(p.y);
        p.lo = p.lo.map(|v| y.to(v));
        p.hi = p.hi.map(|v| y.to(v));
    }
}

/// One function's lines before the chart's scales are chosen.
struct Cells {
    function: String,
    kind: InputKind,
    /// Distinct inputs in input order; drawn as categories unless `numeric`.
    inputs: Vec<String>,
    numeric: bool,
    series: Vec<Series>,
}

impl Cells {
    /// The x values (base units) of a numeric axis.
    fn xs(&self) -> Vec<f64> {
        self.inputs
            .iter()
            .filter_map(|i| input_number(i))
            .map(|n| self.kind.value(n))
            .collect()
    }
}

/// Builds the figure, or says why there is nothing to draw. One scale policy for the chart
/// ([`log_scale`]): the y axes are all log or all linear, and so are the numeric input axes (an
/// input of 0 does not keep a chart linear: its panel's positive inputs take part in the choice,
/// and on a log chart 0 is drawn apart, past an axis break; see [`Axis::input`]).
pub fn build(data: &RunData, spec: &MetricSpec) -> Result<ByInput, String> {
    let conc = data.base_concurrency();
    let mut all: Vec<Cells> = Vec::new();
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
        let kind = data.input_kind(&f);
        let xpos = |s: &SummaryRow| match input_number(&s.input) {
            Some(n) if numeric => kind.value(n),
            _ => inputs.iter().position(|i| *i == s.input).unwrap_or(0) as f64,
        };
        let series = series_of(&rows, xpos, spec.pick);
        let described = data.inputs.contains_key(&f);
        all.push(Cells {
            kind: if numeric || described {
                kind
            } else {
                InputKind {
                    label: "Input".into(),
                    bytes_per_unit: None,
                }
            },
            function: f,
            inputs,
            numeric,
            series,
        });
    }
    if all.is_empty() {
        return Err(format!("no {} values in the run", spec.y_name.to_lowercase()));
    }
    let positive_xs: Vec<Vec<f64>> = all
        .iter()
        .filter(|c| c.numeric)
        .map(Cells::xs)
        .filter(|xs| xs.iter().all(|x| *x >= 0.0))
        .map(|xs| xs.into_iter().filter(|x| *x > 0.0).collect())
        .collect();
    let x_log = log_scale(&positive_xs);
    let y_log = log_scale(&all.iter().map(|c| y_values(&c.series)).collect::<Vec<_>>());
    let mut runtimes: Vec<String> = Vec::new();
    let panels: Vec<XyPanel> = all
        .into_iter()
        .map(|mut c| {
            let x = if c.numeric {
                Axis::input(&c.xs(), c.kind.quantity(), x_log)
            } else {
                let labels: Vec<String> = c.inputs.iter().map(|i| c.kind.category(i)).collect();
                Axis::categorical(&labels)
            };
            let y = Axis::numeric(&y_values(&c.series), spec.quantity, y_log, true);
            place(&mut c.series, &x, &y);
            for s in &c.series {
                if !runtimes.contains(&s.runtime) {
                    runtimes.push(s.runtime.clone());
                }
            }
            XyPanel {
                title: c.function,
                x_desc: x.desc(&c.kind.label),
                y_desc: y.desc(&spec.y_name),
                x,
                y,
                series: c.series,
            }
        })
        .collect();
    runtimes.sort_by_key(|rt| runtime_rank(rt));
    let mut legend: Vec<LegendItem> = runtimes.iter().map(|r| LegendItem::runtime(r)).collect();
    legend.push(LegendItem::new(
        "median, 95% CI",
        GREYS[1],
        super::frame::Swatch::Bar,
    ));
    let title = if data.summary.iter().any(|s| s.concurrency != conc) {
        in_parens(&spec.title, &format!("{conc} in flight"), "; ")
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
        draw_grid(&body, &self.panels, COLUMNS)
    }
}

/// Draws `xy` in rows of `columns` in `body`, one x-axis description size for all of them.
pub fn draw_grid<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    xy: &[XyPanel],
    columns: usize,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let specs: Vec<PanelSpec> = xy
        .iter()
        .map(|p| PanelSpec {
            title: &p.title,
            x: &p.x,
            y: &p.y,
            x_desc: &p.x_desc,
            y_desc: &p.y_desc,
            y_label_px: 115,
        })
        .collect();
    panels(&grid(body, xy.len(), columns), &specs, |i, chart| {
        draw_series(chart, &xy[i])
    })
}

/// One panel's content: bands, lines, error bars and points per runtime. On an input axis with
/// 0 set apart, the axis shows its break, the line into the 0 point is dashed and the band
/// covers the log part only.
fn draw_series<DB: DrawingBackend>(chart: &mut Panel<'_, DB>, p: &XyPanel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    if let Some(z) = p.x.zero {
        axis_break(chart, z.break_at, p.y.lo)?;
    }
    for s in &p.series {
        let c = runtime_color(&s.runtime);
        let apart = match (p.x.zero, s.points.first()) {
            (Some(z), Some(q)) if q.x == z.at => 1,
            _ => 0,
        };
        let (zero, log_part) = s.points.split_at(apart);
        let band: Vec<(f64, f64)> = log_part
            .iter()
            .filter_map(|q| Some((q.x, q.hi?)))
            .chain(log_part.iter().rev().filter_map(|q| Some((q.x, q.lo?))))
            .collect();
        if log_part.len() >= 2 && band.len() == 2 * log_part.len() {
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
        }
        if let (Some(a), Some(b)) = (zero.first(), log_part.first()) {
            chart.draw_series(DashedLineSeries::new(
                [(a.x, a.y), (b.x, b.y)],
                6,
                5,
                c.stroke_width(2),
            ))?;
        }
        chart.draw_series(LineSeries::new(
            log_part.iter().map(|q| (q.x, q.y)),
            c.stroke_width(3),
        ))?;
        for q in &s.points {
            if let (Some(lo), Some(hi)) = (q.lo, q.hi) {
                error_bar(chart, (q.x, lo), (q.x, hi), true, c.stroke_width(2), 7)?;
            }
        }
        chart.draw_series(s.points.iter().map(|q| Circle::new((q.x, q.y), 6, c.filled())))?;
    }
    Ok(())
}

/// The mark of a broken x axis at `x`: the axis line cut, with two slanted strokes.
fn axis_break<DB: DrawingBackend>(chart: &mut Panel<'_, DB>, x: f64, y_lo: f64) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let stroke = BLACK.stroke_width(2);
    let mark = EmptyElement::at((x, y_lo))
        + Rectangle::new([(-4, -6), (4, 6)], WHITE.filled())
        + PathElement::new(vec![(-7, 6), (-2, -6)], stroke)
        + PathElement::new(vec![(2, 6), (7, -6)], stroke);
    chart.draw_series(std::iter::once(mark))?;
    Ok(())
}

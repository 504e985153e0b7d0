//! The frame every chart is drawn in, and its output: a header (title and legend), a footer (the
//! run id on the left, the energy note in the right corner), a grid of panels, and each chart
//! saved as SVG and PNG of the same size.

use super::axis::Axis;
use super::axis::AxisRange;
use super::style::*;
use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// Width and height in px.
    fn size(&self) -> (u32, u32);
    /// Draws the chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Draws `chart` into `dir/STEM.svg` and `dir/STEM.png`; returns both paths.
pub fn save<C: Chart>(chart: &C, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    register_fonts()?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let size = chart.size();
    let svg = dir.join(format!("{stem}.svg"));
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        chart.draw(&root)?;
        root.present()
            .with_context(|| format!("cannot write {}", svg.display()))?;
    }
    let png = dir.join(format!("{stem}.png"));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        chart.draw(&root)?;
        root.present()
            .with_context(|| format!("cannot write {}", png.display()))?;
    }
    Ok(vec![png, svg])
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A line with a dot.
    Line,
    /// A dashed line.
    Dashed,
    /// A filled box.
    Bar,
    /// A hollow circle.
    Hollow,
    /// A box hatched with diagonal lines on white.
    Hatched,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct LegendItem {
    /// The entry's text.
    pub label: String,
    /// The swatch's colour.
    pub color: RGBColor,
    /// How the swatch is drawn.
    pub swatch: Swatch,
}

impl LegendItem {
    /// An entry of `label` with a swatch of `color`.
    pub fn new(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> LegendItem {
        LegendItem {
            label: label.into(),
            color,
            swatch,
        }
    }

    /// A runtime's entry, in its colour.
    pub fn runtime(runtime: &str) -> LegendItem {
        LegendItem::new(runtime, runtime_color(runtime), Swatch::Line)
    }
}

/// The figure's title, legend, run id and energy note.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The figure's title.
    pub title: String,
    /// The legend's entries, left to right.
    pub legend: Vec<LegendItem>,
    /// The run's id, printed small at the bottom.
    pub run_id: String,
    /// The energy note (where the energy comes from).
    pub note: String,
    /// Whether the energy is a model estimate (printed on the figure).
    pub estimated: bool,
}

/// The chart font at `px`, in ink.
pub fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px).into_font()).color(&INK)
}

impl Frame {
    /// Fills the background, draws header and footer, and returns the body area.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<DrawingArea<DB, Shift>>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (w, h) = root.dim_in_pixel();
        let room = w.saturating_sub(48);
        // A title or legend too wide for the figure is set smaller, never cut off.
        let title_px = fit(room, TITLE_PX, |px| {
            Ok(root.estimate_text_size(&self.title, &font(px))?.0)
        })?;
        root.draw_text(&self.title, &font(title_px), (24, 14))?;
        // The legend names every series: on one line when it fits at 60% of its size or more,
        // else on two (three for very many series) in a smaller font.
        let widths = |px: f64| -> Result<Vec<u32>> {
            self.legend
                .iter()
                .map(|item| Ok(46 + root.estimate_text_size(&item.label, &font(px))?.0))
                .collect()
        };
        let (legend_px, lines) = legend_layout(room, widths)?;
        let pitch = LEGEND_BAND / lines.len().max(1) as i32;
        for (k, line) in lines.iter().enumerate() {
            let mut x = 24i32;
            let y = if lines.len() == 1 {
                76
            } else {
                LEGEND_TOP + pitch * k as i32 + pitch / 2
            };
            for &i in line {
                let Some(item) = self.legend.get(i) else {
                    continue;
                };
                swatch(root, item, x, y)?;
                let style = font(legend_px);
                let (tw, _) = root.estimate_text_size(&item.label, &style)?;
                root.draw_text(
                    &item.label,
                    &style.pos(Pos::new(HPos::Left, VPos::Center)),
                    (x + 46, y),
                )?;
                x += 46 + tw as i32 + 34;
            }
        }
        let fy = h as i32 - FOOTER as i32 / 2;
        let left = font(NOTE_PX)
            .color(&GREYS[0])
            .pos(Pos::new(HPos::Left, VPos::Center));
        let run = format!("Nebula · {}", self.run_id);
        let color = if self.estimated { WARN } else { INK };
        let right = font(NOTE_PX)
            .color(&color)
            .pos(Pos::new(HPos::Right, VPos::Center));
        // Side by side when both fit, else on two lines (run ids of a comparison are long).
        let (lw, _) = root.estimate_text_size(&run, &left)?;
        let (rw, _) = root.estimate_text_size(&self.note, &right)?;
        let dy = if lw + rw + 96 > w {
            NOTE_PX as i32 * 6 / 10
        } else {
            0
        };
        root.draw_text(&run, &left, (24, fy - dy))?;
        root.draw_text(&self.note, &right, (w as i32 - 24, fy + dy))?;
        Ok(root.margin(HEADER, FOOTER, 0, 0))
    }
}

/// Where the legend's lines go when it takes more than one: from this y (below the title) ...
const LEGEND_TOP: i32 = 56;
/// ... over this height (to the top of the panels, `HEADER`).
const LEGEND_BAND: i32 = HEADER as i32 - LEGEND_TOP - 2;
/// The smallest font of a legend of several lines.
const LEGEND_MIN_PX: f64 = 12.0;

/// The legend's font size and its entries (by index) on each line, given each entry's width
/// (swatch and text) at a font size: one line at the largest size down to 60% of `LABEL_PX` at
/// which it fits in `room`, else the fewest lines (two, then three) of the largest size, from
/// 20 px down to `LEGEND_MIN_PX`, at which each line fits; at worst three lines at the least
/// size, as wide as they come.
pub fn legend_layout(room: u32, widths: impl Fn(f64) -> Result<Vec<u32>>) -> Result<(f64, Vec<Vec<usize>>)> {
    const GAP: u32 = 34;
    let one = fit(room, LABEL_PX, |px| {
        Ok(widths(px)?
            .iter()
            .map(|w| w + GAP)
            .sum::<u32>()
            .saturating_sub(GAP))
    })?;
    let all = widths(one)?;
    if all.iter().map(|w| w + GAP).sum::<u32>().saturating_sub(GAP) <= room || all.len() < 2 {
        return Ok((one, vec![(0..all.len()).collect()]));
    }
    // Greedy: each entry on the current line while it fits, else on a new one.
    let pack = |ws: &[u32]| -> Vec<Vec<usize>> {
        let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
        let mut used = 0u32;
        for (i, &w) in ws.iter().enumerate() {
            let need = if used == 0 { w } else { used + GAP + w };
            match lines.last_mut() {
                Some(line) if need <= room || line.is_empty() => {
                    line.push(i);
                    used = need;
                }
                _ => {
                    lines.push(vec![i]);
                    used = w;
                }
            }
        }
        lines
    };
    for most in [2, 3] {
        let mut px = 20.0;
        while px >= LEGEND_MIN_PX {
            let lines = pack(&widths(px)?);
            if lines.len() <= most {
                return Ok((px, lines));
            }
            px -= 1.0;
        }
    }
    // More than three lines would run into the panels: three, as evenly filled as may be.
    let n = all.len();
    let per = n.div_ceil(3);
    Ok((
        LEGEND_MIN_PX,
        (0..n)
            .collect::<Vec<_>>()
            .chunks(per)
            .map(<[usize]>::to_vec)
            .collect(),
    ))
}

/// The largest font size up to `px` (in steps of 1, down to 60% of it) at which `width(size)`
/// fits in `room`.
fn fit(room: u32, px: f64, width: impl Fn(f64) -> Result<u32>) -> Result<f64> {
    let mut size = px;
    while size - 1.0 >= px * 0.6 && width(size)? > room {
        size -= 1.0;
    }
    Ok(size)
}

fn swatch<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, item: &LegendItem, x: i32, y: i32) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let c = item.color;
    match item.swatch {
        Swatch::Line => {
            root.draw(&PathElement::new(vec![(x, y), (x + 36, y)], c.stroke_width(4)))?;
            root.draw(&Circle::new((x + 18, y), 6, c.filled()))?;
        }
        Swatch::Dashed => {
            for i in 0..3 {
                root.draw(&PathElement::new(
                    vec![(x + i * 13, y), (x + i * 13 + 8, y)],
                    c.stroke_width(4),
                ))?;
            }
        }
        Swatch::Bar => root.draw(&Rectangle::new([(x + 4, y - 11), (x + 32, y + 11)], c.filled()))?,
        Swatch::Hollow => root.draw(&Circle::new((x + 18, y), 7, c.stroke_width(3)))?,
        Swatch::Hatched => {
            root.draw(&Rectangle::new(
                [(x + 4, y - 11), (x + 32, y + 11)],
                c.stroke_width(1),
            ))?;
            hatch(root, (x + 4, y - 11), (x + 32, y + 11), c)?;
        }
    }
    Ok(())
}

/// Diagonal lines (45°, every 9 px) across the pixel rectangle from `a` (top left) to `b`.
pub fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    c: RGBColor,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (h, w) = (b.1 - a.1, b.0 - a.0);
    let mut start = -h;
    while start < w {
        // The line (start + t, bottom - t), t in 0..=h, clipped to 0..=w.
        let (t0, t1) = ((-start).max(0), h.min(w - start));
        if t0 < t1 {
            area.draw(&PathElement::new(
                vec![(a.0 + start + t0, b.1 - t0), (a.0 + start + t1, b.1 - t1)],
                c.stroke_width(2),
            ))?;
        }
        start += 9;
    }
    Ok(())
}

/// Panels of a multi-panel figure: `n` panels in rows of `COLUMNS` (fewer when `n` is small).
pub fn grid<DB: DrawingBackend>(
    body: &DrawingArea<DB, Shift>,
    n: usize,
    columns: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    let cols = columns.min(n).max(1);
    let rows = n.div_ceil(cols).max(1);
    body.split_evenly((rows, cols)).into_iter().take(n).collect()
}

/// The height of a multi-panel figure with `n` panels in rows of `columns`.
pub fn grid_height(n: usize, columns: usize) -> u32 {
    let rows = n.div_ceil(columns.max(1)).max(1) as u32;
    (HEADER + FOOTER + rows * PANEL_HEIGHT).max(HEIGHT)
}

/// The chart context every panel draws in: transformed linear ranges with explicit ticks.
pub type Panel<'a, DB> = ChartContext<'a, DB, Cartesian2d<AxisRange, AxisRange>>;

/// What a panel's axes say.
pub struct PanelSpec<'s> {
    /// The panel's title.
    pub title: &'s str,
    /// The x axis.
    pub x: &'s Axis,
    /// The y axis.
    pub y: &'s Axis,
    /// The x axis' description.
    pub x_desc: &'s str,
    /// The y axis' description.
    pub y_desc: &'s str,
    /// Width of the y tick label area in px (wider for category names).
    pub y_label_px: u32,
}

/// Builds the panels of one chart, `specs[i]` in `areas[i]`, with one axis description size for
/// all of them ([`desc_px`]); `draw(i, panel)` then draws panel `i`'s content.
pub fn panels<DB, F>(areas: &[DrawingArea<DB, Shift>], specs: &[PanelSpec<'_>], mut draw: F) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    F: FnMut(usize, &mut Panel<'_, DB>) -> Result<()>,
{
    let px = desc_px(areas, specs)?;
    for (i, (area, spec)) in areas.iter().zip(specs).enumerate() {
        let mut chart = panel(area, spec, px)?;
        draw(i, &mut chart)?;
    }
    Ok(())
}

/// The axis description size of one chart: the largest up to `LABEL_PX` (down to 60 % of it) at
/// which every panel's x description fits across its panel, so that a long one ("n (index of
/// the Fibonacci number, log scale)") shrinks rather than running into the next panel, and every
/// panel of the chart shows its descriptions in that one size (x and y: plotters sets both in
/// one style).
pub fn desc_px<DB>(areas: &[DrawingArea<DB, Shift>], specs: &[PanelSpec<'_>]) -> Result<f64>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut px = LABEL_PX;
    for (area, s) in areas.iter().zip(specs) {
        let fits = fit(x_room(area, s.y_label_px), LABEL_PX, |px| {
            area.estimate_text_size(s.x_desc, &font(px))
                .map(|(w, _)| w)
                .map_err(|e| anyhow!("cannot measure the axis description: {e}"))
        })?;
        px = px.min(fits);
    }
    Ok(px)
}

/// The width across a panel in `area` left for its x axis (tick labels and description).
fn x_room<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, y_label_px: u32) -> u32 {
    area.dim_in_pixel().0.saturating_sub(y_label_px + 36)
}

/// Builds a panel in `area` with its caption, grid, ticks and axis descriptions, these in
/// `desc_px` (the chart's [`desc_px`]).
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    s: &PanelSpec<'_>,
    desc_px: f64,
) -> Result<Panel<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let x = thinned(area, s.x, s.y_label_px)?;
    let mut builder = ChartBuilder::on(area);
    if !s.title.is_empty() {
        builder.caption(s.title, font(PANEL_TITLE_PX));
    }
    let mut chart = builder
        .margin(12)
        .margin_right(24)
        .x_label_area_size(64)
        .y_label_area_size(s.y_label_px)
        .build_cartesian_2d(x.range(), s.y.range())?;
    let (xf, yf) = (|v: &f64| x.label(*v), |v: &f64| s.y.label(*v));
    chart
        .configure_mesh()
        .x_desc(s.x_desc)
        .y_desc(s.y_desc)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style(font(TICK_PX))
        .axis_desc_style(font(desc_px))
        .bold_line_style(GREYS[3].stroke_width(1))
        .light_line_style(RGBColor(0xF0, 0xF0, 0xF0).stroke_width(1))
        .axis_style(INK.stroke_width(2))
        .draw()
        .map_err(|e| anyhow!("cannot draw the axes of panel {}: {e}", s.title))?;
    Ok(chart)
}

/// `x` with every k-th tick label only (the others become grid lines) when its labels would
/// touch across a panel in `area`; category labels are never dropped.
fn thinned<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, x: &Axis, y_label_px: u32) -> Result<Axis>
where
    DB::ErrorType: 'static,
{
    let mut x = x.clone();
    if x.categorical || x.ticks.len() < 3 {
        return Ok(x);
    }
    let room = f64::from(x_room(area, y_label_px));
    let mut widest = 0u32;
    for (_, label) in &x.ticks {
        widest = widest.max(area.estimate_text_size(label, &font(TICK_PX))?.0);
    }
    // Ticks are evenly spaced on both scales: each gets room / n px.
    let need = f64::from(widest + 18) * x.ticks.len() as f64;
    let every = (need / room.max(1.0)).ceil().max(1.0) as usize;
    if every > 1 {
        let (keep, drop): (Vec<_>, Vec<_>) =
            x.ticks.into_iter().enumerate().partition(|(i, _)| i % every == 0);
        x.ticks = keep.into_iter().map(|(_, t)| t).collect();
        x.minor.extend(drop.into_iter().map(|(_, t)| t.0));
    }
    Ok(x)
}

/// Draws a panel's title and under it a key of line styles (`(label, dash)`, `None` = solid,
/// else dash and gap in px), wrapped onto as many lines as the panel's width needs; returns the
/// area left for the panel.
pub fn line_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    keys: &[(String, Option<(u32, u32)>)],
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    const SWATCH: i32 = 34;
    let (w, _) = area.dim_in_pixel();
    let style = font(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let (line_h, top) = (TICK_PX as i32 + 8, PANEL_TITLE_PX as i32 + 16);
    let (mut x, mut y) = (24i32, top + line_h / 2);
    let mut items = Vec::new();
    for (label, dash) in keys {
        let (tw, _) = area.estimate_text_size(label, &style)?;
        let width = SWATCH + 8 + tw as i32;
        if x > 24 && x + width > w as i32 - 12 {
            (x, y) = (24, y + line_h);
        }
        items.push((label, *dash, x, y));
        x += width + 22;
    }
    let (tw, _) = area.estimate_text_size(title, &font(PANEL_TITLE_PX))?;
    area.draw_text(title, &font(PANEL_TITLE_PX), ((w as i32 - tw as i32) / 2, 8))?;
    for (label, dash, x, y) in items {
        let (on, off) = dash.map_or((SWATCH, 0), |(d, g)| (d as i32, g as i32));
        let mut s = 0;
        while s < SWATCH {
            let e = (s + on).min(SWATCH);
            area.draw(&PathElement::new(
                vec![(x + s, y), (x + e, y)],
                GREYS[0].stroke_width(3),
            ))?;
            s = e + off;
        }
        area.draw_text(label, &style, (x + SWATCH + 8, y))?;
    }
    Ok(area.margin((y + line_h / 2) as u32, 0, 0, 0))
}

/// Draws a horizontal estimate at height `y`: a dot at `x` with its interval `lo..hi` as an
/// error bar, filled when `significant`, hollow when not.
#[allow(clippy::too_many_arguments)]
pub fn estimate_dot<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    x: f64,
    lo: f64,
    hi: f64,
    y: f64,
    color: RGBColor,
    significant: bool,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    error_bar(chart, (lo, y), (hi, y), false, color.stroke_width(2), 6)?;
    let fill = if significant {
        color.filled()
    } else {
        WHITE.filled()
    };
    chart.draw_series([
        Circle::new((x, y), 7, fill),
        Circle::new((x, y), 7, color.stroke_width(2)),
    ])?;
    Ok(())
}

/// Draws an error bar from `a` to `b` (data coordinates) with caps `cap` px to each side,
/// perpendicular to the bar (`vertical` = the bar runs along y). Not plotters' `ErrorBar`: that
/// also draws a circle of radius `cap` at its middle value, a ring around the smaller dot of the
/// latency and energy charts.
pub fn error_bar<DB: DrawingBackend>(
    chart: &mut Panel<'_, DB>,
    a: (f64, f64),
    b: (f64, f64),
    vertical: bool,
    style: ShapeStyle,
    cap: i32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let capline = if vertical {
        vec![(-cap, 0), (cap, 0)]
    } else {
        vec![(0, -cap), (0, cap)]
    };
    chart.draw_series(std::iter::once(PathElement::new(vec![a, b], style)))?;
    chart.draw_series(
        [a, b]
            .into_iter()
            .map(|p| EmptyElement::at(p) + PathElement::new(capline.clone(), style)),
    )?;
    Ok(())
}

/// The layout shared by the ratio and compare charts: one line per row, a latency panel (with
/// the row labels) and an energy panel side by side, each with a vertical reference line.
pub struct EstimatePanels<'s> {
    /// Row labels, the first row at the top.
    pub labels: Vec<String>,
    /// The titles of the latency and the energy panel.
    pub titles: [String; 2],
    /// The x axes of the latency and the energy panel.
    pub axes: [&'s Axis; 2],
    /// The x axis descriptions of the latency and the energy panel.
    pub x_desc: [String; 2],
    /// Where the reference line of each panel is, in its axis's units (parity, no change).
    pub reference: [f64; 2],
}

impl EstimatePanels<'_> {
    /// Width and height in px for `rows` rows.
    pub fn size(rows: usize) -> (u32, u32) {
        let h = HEADER + FOOTER + 150 + 34 * rows as u32;
        (WIDTH, h.max(HEIGHT))
    }

    /// Draws both panels in `body`; `dots(k, chart)` draws the estimates of panel `k` (0 =
    /// latency, 1 = energy), row `i` at height `labels.len() - 1 - i`.
    pub fn draw<DB, F>(&self, body: &DrawingArea<DB, Shift>, mut dots: F) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        F: FnMut(usize, &mut Panel<'_, DB>) -> Result<()>,
    {
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w * 58 / 100);
        // Room for the longest row label (at most a third of the width).
        let mut label_px = 300u32;
        for l in &self.labels {
            let (lw, _) = body.estimate_text_size(l, &font(TICK_PX))?;
            label_px = label_px.max(lw + 24);
        }
        let label_px = label_px.min(w / 3);
        let top_first: Vec<String> = self.labels.iter().rev().cloned().collect();
        let y = Axis::categorical(&top_first);
        let no_labels = Axis::categorical(&vec![String::new(); self.labels.len()]);
        let specs: Vec<PanelSpec> = (0..2)
            .map(|k| PanelSpec {
                title: &self.titles[k],
                x: self.axes[k],
                y: if k == 0 { &y } else { &no_labels },
                x_desc: &self.x_desc[k],
                y_desc: "",
                y_label_px: if k == 0 { label_px } else { 12 },
            })
            .collect();
        panels(&[left, right], &specs, |k, chart| {
            let at = self.reference[k];
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(at, y.lo), (at, y.hi)],
                GREYS[0].stroke_width(2),
            )))?;
            dots(k, chart)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::axis::Quantity;

    #[test]
    fn a_legend_too_long_for_one_line_takes_two_and_names_every_entry() {
        // Entries 10 px wide per px of font (a 20-letter label at 0.5 em a letter).
        let widths = |n: usize| move |px: f64| -> Result<Vec<u32>> { Ok(vec![(10.0 * px) as u32; n]) };
        // Three entries fit on one line at the full size.
        let (px, lines) = legend_layout(1152, widths(3)).expect("layout");
        assert_eq!((px, lines), (LABEL_PX, vec![vec![0, 1, 2]]));
        // Nine do not, even at 60%: two lines at 20 px (five entries of 200 + 4 gaps of 34).
        let (px, lines) = legend_layout(1152, widths(9)).expect("layout");
        assert_eq!(px, 20.0);
        assert_eq!(lines, vec![vec![0, 1, 2, 3, 4], vec![5, 6, 7, 8]]);
        // Every entry is on a line, once, in order, however many.
        for n in [12, 20, 40] {
            let (px, lines) = legend_layout(1152, widths(n)).expect("layout");
            assert!(lines.len() <= 3 && px >= LEGEND_MIN_PX, "{n}: {px} {lines:?}");
            assert_eq!(lines.concat(), (0..n).collect::<Vec<_>>(), "{n}");
        }
    }

    #[test]
    fn every_panel_of_a_chart_gets_one_description_size() {
        register_fonts().expect("font");
        let mut svg = String::new();
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let areas = grid(&root, 2, COLUMNS);
        let x = Axis::numeric(&[1.0, 100.0], Quantity::Plain(""), false, false);
        let spec = |x_desc| PanelSpec {
            title: "",
            x: &x,
            y: &x,
            x_desc,
            y_desc: "",
            y_label_px: 115,
        };
        let long = "n (index of the Fibonacci number, log scale)";
        let specs = [spec(long), spec("Input n")];
        let size = |k: std::ops::Range<usize>| desc_px(&areas[k.clone()], &specs[k]).expect("size");
        // Alone, the long description shrinks and the short one keeps the full size ...
        let shrunk = size(0..1);
        assert!((LABEL_PX * 0.6..LABEL_PX).contains(&shrunk), "{shrunk}");
        assert_eq!(size(1..2), LABEL_PX);
        // ... in one chart, both get the long one's size.
        assert_eq!(size(0..2), shrunk);
        // Never below 60 %, however long.
        let endless = long.repeat(4);
        let px = desc_px(&areas, &[spec("Input n"), spec(&endless)]).expect("size");
        assert!((LABEL_PX * 0.6..LABEL_PX * 0.6 + 1.0).contains(&px), "{px}");
        // A chart whose descriptions all fit keeps the full size.
        assert_eq!(
            desc_px(&areas, &[spec("Input n"), spec("Input")]).expect("size"),
            LABEL_PX
        );
    }
}

//! `report.html`: one self-contained page for a reader who gets the results folder by mail —
//! inline CSS, the charts as base64 PNG `data:` URIs (rendered with the embedded font, so they
//! look the same everywhere), the summary and comparison tables, the charts skipped or failed,
//! and the metadata (machine, energy source and why, versions, provenance, config); the run's
//! warnings in a box under the title. No external URL at all.

use super::format::{delta_p, esc, ratio, Column, INTERVAL_NOTE};
use super::provenance;
use crate::plot::style::order_pairs;
use crate::plot::{read_manifest, Manifest, PLOTS_DIR};
use crate::results::comparison::{cells, find, pairs, Metric};
use crate::results::RunData;
use anyhow::{Context, Result};
use base64::Engine;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File name of the report inside a results directory.
pub const REPORT: &str = "report.html";

/// Writes `dir/report.html` from the run's files and `plots/manifest.json`; returns its path.
pub fn write_html(dir: &Path) -> Result<PathBuf> {
    let data = crate::export::load_run(dir)?;
    let manifest = read_manifest(dir);
    let html = render(&data, manifest.as_ref(), &dir.join(PLOTS_DIR));
    let path = dir.join(REPORT);
    std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em auto;max-width:1250px;color:#202020;line-height:1.4}
h1{font-size:1.7em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.note{padding:.6em 1em;border-left:6px solid #0072B2;background:#f2f7fb}
.note.estimated{border-color:#A02020;background:#fbf1f1;color:#701010;font-weight:bold}
figure{margin:1.5em 0;border:1px solid #e4e4e4;padding:.5em}figure img{width:100%;height:auto;display:block}
figcaption{font-size:.92em;color:#333;margin-top:.4em}
table{border-collapse:collapse;font-size:.82em;margin:1em 0;width:100%}
th,td{border:1px solid #d0d0d0;padding:.25em .45em;text-align:right;white-space:nowrap}
th{background:#f0f0f0}td.l,th.l{text-align:left}tr:nth-child(even) td{background:#fafafa}
.sig{font-weight:bold}.bad{color:#A02020;font-weight:bold}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
.wrap{overflow-x:auto}
.warnings{padding:.6em 1em;border:2px solid #D55E00;border-left-width:6px;background:#fff3e8;color:#5a2200}
.warnings ul{margin:.3em 0}
td.hash,td.path{white-space:normal;word-break:break-all}td.hash{min-width:18em}";

/// The whole page.
pub fn render(data: &RunData, manifest: Option<&Manifest>, plots: &Path) -> String {
    let run_id = esc(&data.run_id());
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Nebula report: {run_id}</title><style>{CSS}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>Nebula report: {run_id}</h1>");
    if let Some(m) = &data.meta {
        let _ = writeln!(
            h,
            "<p>Experiment <b>{}</b>, status <b>{}</b>, started {}, ended {}; {} cells, {} of {} windows.</p>",
            esc(&m.name),
            esc(m.status.as_str()),
            esc(&m.started.to_string()),
            esc(&m.ended.map_or_else(|| "–".to_string(), |t| t.to_string())),
            m.cells,
            m.windows_done,
            m.windows_planned
        );
    }
    let class = if data.energy_estimated() {
        "note estimated"
    } else {
        "note"
    };
    let _ = writeln!(
        h,
        "<p class=\"{class}\" id=\"energy-note\">{}</p>",
        esc(&data.energy_note())
    );
    if let Some(m) = &data.meta {
        provenance::warnings_box(&mut h, m);
    }
    let provenance_link = match &data.meta {
        Some(m) if provenance::has_provenance(m) => " · <a href=\"#provenance\">Provenance</a>",
        _ => "",
    };
    let _ = writeln!(
        h,
        "<p><a href=\"#charts\">Charts</a> · <a href=\"#summary\">Summary</a> · \
         <a href=\"#comparison\">Comparison</a> · <a href=\"#metadata\">Metadata</a>{provenance_link}</p>",
    );
    charts(&mut h, manifest, plots);
    summary_table(&mut h, data);
    comparison_table(&mut h, data);
    metadata(&mut h, data);
    h.push_str("<p><small>Written by Nebula. Energy statistics are over measurement windows.</small></p>\n</body></html>\n");
    h
}

fn charts(h: &mut String, manifest: Option<&Manifest>, plots: &Path) {
    h.push_str("<h2 id=\"charts\">Charts</h2>\n");
    let Some(m) = manifest else {
        h.push_str("<p>No charts were drawn for this run (run <code>nebula plot RUN</code>).</p>\n");
        return;
    };
    let mut missing = Vec::new();
    for d in &m.drawn {
        match std::fs::read(plots.join(&d.png)) {
            Ok(png) => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                let _ = writeln!(
                    h,
                    "<figure id=\"chart-{name}\"><img alt=\"{title}\" src=\"data:image/png;base64,{b64}\">\
                     <figcaption><b>{title}.</b> {about} Files: <code>plots/{png}</code>, <code>plots/{svg}</code>.</figcaption></figure>",
                    name = esc(&d.name),
                    title = esc(&d.title),
                    about = esc(&d.about),
                    png = esc(&d.png),
                    svg = esc(&d.svg),
                );
            }
            Err(e) => missing.push((d.title.clone(), format!("cannot read plots/{}: {e}", d.png))),
        }
    }
    if !m.skipped.is_empty() {
        h.push_str("<h3>Charts skipped</h3>\n<ul id=\"skipped\">\n");
        for s in &m.skipped {
            let _ = writeln!(h, "<li><b>{}</b>: {}</li>", esc(&s.title), esc(&s.reason));
        }
        h.push_str("</ul>\n");
    }
    let failed: Vec<(String, String)> = m
        .failed
        .iter()
        .map(|f| (f.title.clone(), f.reason.clone()))
        .chain(missing)
        .collect();
    if !failed.is_empty() {
        h.push_str("<h3>Charts that failed</h3>\n<ul id=\"failed\">\n");
        for (t, r) in &failed {
            let _ = writeln!(h, "<li class=\"bad\"><b>{}</b>: {}</li>", esc(t), esc(r));
        }
        h.push_str("</ul>\n");
    }
}

pub(super) fn row(h: &mut String, cells: &[String], left: usize) {
    h.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        let cls = if i < left { " class=\"l\"" } else { "" };
        let _ = write!(h, "<td{cls}>{}</td>", esc(c));
    }
    h.push_str("</tr>\n");
}

pub(super) fn header(h: &mut String, id: &str, names: &[&str], left: usize) {
    let _ = write!(h, "<div class=\"wrap\"><table id=\"{id}\"><thead><tr>");
    for (i, n) in names.iter().enumerate() {
        let cls = if i < left { " class=\"l\"" } else { "" };
        let _ = write!(h, "<th{cls}>{}</th>", esc(n));
    }
    h.push_str("</tr></thead><tbody>\n");
}

fn summary_table(h: &mut String, data: &RunData) {
    let _ = writeln!(
        h,
        "<h2 id=\"summary\">Summary per cell</h2>\n<p>From <code>summary.csv</code>: medians over ok calls; energy per call from measurement windows. Each value with an interval: {}. A net energy marked <em>not above idle</em> has an interval that reaches 0 (or no interval): it is within the idle baseline's noise, not a measured figure (<code>energy_net_above_idle</code>).</p>",
        esc(INTERVAL_NOTE)
    );
    let estimated = if data.energy_estimated() {
        ", ESTIMATED"
    } else {
        ""
    };
    let gross = format!("energy gross{estimated}");
    let net = format!("energy net{estimated}");
    header(
        h,
        "summary-table",
        &[
            "function",
            "input",
            "runtime",
            "c",
            "n",
            "errors",
            "latency",
            "p5",
            "p95",
            &gross,
            &net,
            "throughput (calls/s)",
            "energy",
        ],
        3,
    );
    let all = &data.summary;
    let time = Column::time(
        all.iter()
            .flat_map(|s| [s.wall_median_ns, s.wall_p5_ns, s.wall_p95_ns]),
    );
    let energy = Column::energy(
        all.iter()
            .flat_map(|s| [s.energy_gross_median_j, s.energy_net_median_j]),
    );
    for s in all {
        row(
            h,
            &[
                s.function.clone(),
                s.input.clone(),
                s.runtime.clone(),
                s.concurrency.to_string(),
                s.n.to_string(),
                s.errors.to_string(),
                time.with_ci(s.wall_median_ns, s.wall_ci_lo_ns, s.wall_ci_hi_ns),
                time.value(s.wall_p5_ns),
                time.value(s.wall_p95_ns),
                energy.with_ci(
                    s.energy_gross_median_j,
                    s.energy_gross_ci_lo_j,
                    s.energy_gross_ci_hi_j,
                ),
                net_cell(
                    energy.with_ci(s.energy_net_median_j, s.energy_net_ci_lo_j, s.energy_net_ci_hi_j),
                    s.energy_net_above_idle,
                ),
                s.throughput_calls_per_s
                    .map(|t| format!("{t:.1}"))
                    .unwrap_or("–".into()),
                s.energy_label.clone(),
            ],
            3,
        );
    }
    h.push_str("</tbody></table></div>\n");
}

/// A net energy cell, marked when the figure is not resolved above the idle baseline.
fn net_cell(text: String, above_idle: Option<bool>) -> String {
    match above_idle {
        Some(false) => format!("{text} (not above idle)"),
        _ => text,
    }
}

fn comparison_table(h: &mut String, data: &RunData) {
    let adjust = data.comparison.first().map_or("holm", |c| c.p_adjust.as_str());
    let reference = data.reference();
    let _ = writeln!(
        h,
        "<h2 id=\"comparison\">Runtime comparisons</h2>\n<p id=\"reference\">Every runtime is compared against the run's reference, <b>{}</b>, and the Wasm variants (wasm-cold, other engines and opt levels) against warm wasm as well.</p>",
        esc(&reference)
    );
    let _ = writeln!(
        h,
        "<p>From <code>comparison.csv</code> (one row per cell, runtime pair and metric): each runtime against its reference as the ratio of medians [95% CI, a bootstrap that resamples measurement windows], and Cliff's delta [95% CI] with the Mann–Whitney p-value adjusted over the whole table ({}). * = the interval excludes 1 and the adjusted p is below 0.05. <em>Latency</em> and <em>energy</em> are of whole calls (the FaaS question: start-up, spawn and I/O included); <em>kernel time</em> and <em>kernel energy</em> are of the code between the kernel's markers (the code-speed question).</p>",
        esc(adjust_name(adjust))
    );
    let metrics: Vec<Metric> = Metric::ALL
        .into_iter()
        .filter(|m| {
            data.comparison
                .iter()
                .any(|c| c.metric == *m && c.ratio.is_some())
        })
        .collect();
    let names: Vec<String> = metrics
        .iter()
        .flat_map(|m| {
            [
                format!("{} ratio", metric_name(*m)),
                format!("{} δ (p adj.)", metric_name(*m)),
            ]
        })
        .collect();
    let mut columns: Vec<&str> = vec!["function", "input", "c", "runtime / reference", "n"];
    columns.extend(names.iter().map(String::as_str));
    columns.push("outputs agree");
    header(h, "comparison-table", &columns, 4);
    for cell in cells(&data.comparison) {
        for (rt, reference) in order_pairs(pairs(&data.comparison), &reference) {
            let of = |m: Metric| find(&data.comparison, cell, (&rt, &reference), m);
            let Some(lat) = of(Metric::Latency) else {
                continue;
            };
            let mut cells_out = vec![
                cell.0.to_string(),
                cell.1.to_string(),
                cell.2.to_string(),
                format!("{rt} / {reference}"),
                format!("{} / {}", lat.n, lat.n_reference),
            ];
            for m in &metrics {
                let c = of(*m);
                cells_out.push(c.map_or("–".into(), |c| {
                    ratio(c.ratio, c.ratio_ci_lo, c.ratio_ci_hi, c.significant)
                }));
                cells_out.push(c.map_or("–".into(), delta_p));
            }
            cells_out.push(if lat.digests_agree { "yes" } else { "NO" }.to_string());
            row(h, &cells_out, 4);
        }
    }
    h.push_str("</tbody></table></div>\n");
}

/// A metric as the report's headers name it.
fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Latency => "latency",
        Metric::Energy => "energy",
        Metric::KernelTime => "kernel time",
        Metric::KernelEnergy => "kernel energy",
    }
}

/// The adjustment of `p_adjust` in words.
fn adjust_name(p_adjust: &str) -> &'static str {
    match p_adjust {
        "bh" => "Benjamini–Hochberg, controlling the false discovery rate",
        _ => "Holm, controlling the family-wise error rate",
    }
}

pub(super) fn dl(h: &mut String, items: &[(&str, String)]) {
    h.push_str("<dl>");
    for (k, v) in items {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    h.push_str("</dl>\n");
}

fn metadata(h: &mut String, data: &RunData) {
    h.push_str("<h2 id=\"metadata\">Metadata</h2>\n");
    let Some(m) = &data.meta else {
        h.push_str("<p>No <code>metadata.json</code> in this results directory.</p>\n");
        return;
    };
    h.push_str("<h3>Machine</h3>\n");
    let opt = |o: &Option<String>| o.clone().unwrap_or("unknown".into());
    dl(
        h,
        &[
            ("CPU", m.machine.cpu_model.clone()),
            ("logical cores", m.machine.logical_cores.to_string()),
            ("kernel", m.machine.kernel.clone()),
            ("hostname", m.machine.hostname.clone()),
            ("governor", opt(&m.machine.governor)),
            ("turbo", opt(&m.machine.turbo)),
            ("CPU features", {
                let f = m.machine.cpu_features.join(" ");
                if f.is_empty() {
                    "not recorded".into()
                } else {
                    f
                }
            }),
            (
                "virtualized",
                m.machine
                    .virtualized
                    .map(|v| v.to_string())
                    .unwrap_or("unknown".into()),
            ),
        ],
    );
    h.push_str("<h3>Energy</h3>\n");
    let estimate = if data.energy_estimated() {
        ", ESTIMATED"
    } else {
        ""
    };
    let mut items = vec![
        ("source", m.energy.source.clone()),
        ("label", m.energy.label.clone()),
        ("why", m.energy.why.clone()),
        ("domains", m.energy.domains.join(", ")),
        (
            "idle power",
            m.energy
                .idle_watts
                .map(|w| format!("{w:.3} W{estimate}"))
                .unwrap_or("not measured".into()),
        ),
        ("read cost", format!("{} ns", m.energy.read_cost_ns)),
    ];
    items.extend(m.energy.details.iter().map(|d| ("detail", d.clone())));
    items.extend(
        m.energy
            .rejected
            .iter()
            .map(|(n, r)| ("rejected", format!("{n}: {r}"))),
    );
    dl(h, &items);
    h.push_str("<h3>Versions</h3>\n");
    dl(
        h,
        &[
            (
                "nebula",
                format!("{} ({})", m.versions.nebula, m.versions.nebula_git_commit),
            ),
            ("wasmtime", m.versions.wasmtime.clone()),
            ("rustc", m.versions.rustc.clone()),
            ("functions profile", m.versions.functions_profile.clone()),
        ],
    );
    if !m.digest_mismatches.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"bad\">Output mismatches: {}</p>",
            esc(&m.digest_mismatches.join("; "))
        );
    }
    provenance::provenance(h, m, data.energy_estimated());
    let _ = writeln!(
        h,
        "<h3>Config</h3>\n<p>SHA-256 <code>{}</code></p>\n<pre id=\"config\">{}</pre>",
        esc(&m.config_sha256),
        esc(&m.config_toml)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_energy_within_the_idle_noise_is_marked() {
        assert_eq!(
            net_cell("-2.3 mJ".into(), Some(false)),
            "-2.3 mJ (not above idle)"
        );
        assert_eq!(net_cell("4.1 mJ".into(), Some(true)), "4.1 mJ");
        assert_eq!(net_cell("–".into(), None), "–");
    }
}

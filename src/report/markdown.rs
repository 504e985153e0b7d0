//! The Markdown summary for a README or a paper (`nebula report RUN --markdown`): per function
//! and input, the median latency and energy per call of wasm and native with 95% intervals, and
//! the wasm/native ratios of whole calls and of the kernel with their intervals and significance. Every interval is written one way
//! (`12.3 µs [11.9, 12.8]`, see `format`), latencies in one unit, energies in one unit.

use super::format::{ratio, Column, INTERVAL_NOTE};
use crate::results::call::{NATIVE, WASM};
use crate::results::comparison::{cells, find, Metric};
use crate::results::RunData;
use crate::results::SummaryRow;
use std::fmt::Write as _;

fn cell<'a>(data: &'a RunData, f: &str, input: &str, rt: &str, c: u32) -> Option<&'a SummaryRow> {
    data.summary
        .iter()
        .find(|s| s.function == f && s.input == input && s.runtime == rt && s.concurrency == c)
}

fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The Markdown table (with a heading line, the interval note and the notes under it).
pub fn markdown(data: &RunData) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "**{}** — {}\n", md(&data.run_id()), md(&data.energy_note()));
    // A table copied into a paper says what it is not: the whole run, or agreeing outputs.
    if let Some((m, partial)) = data.meta.as_ref().and_then(|m| Some((m, m.partial()?))) {
        let _ = writeln!(
            out,
            "**PARTIAL RUN ({}): {partial}; the figures cover only those.**\n",
            md(m.status.as_str())
        );
    }
    let differ: Vec<String> = data
        .comparison
        .iter()
        .filter(|c| !c.digests_agree)
        .map(|c| format!("{}({})", md(&c.function), md(&c.input)))
        .collect();
    if !differ.is_empty() {
        let mut differ = differ;
        differ.dedup();
        let _ = writeln!(
            out,
            "**OUTPUTS DIFFER between runtimes for {}**: the runtimes did not compute the same thing there.\n",
            differ.join(", ")
        );
    }
    let _ = writeln!(out, "Each cell: {INTERVAL_NOTE}.\n");
    // An estimate says so in every energy header, so that a table copied alone still does.
    let gross = if data.energy_estimated() {
        "gross, ESTIMATED"
    } else {
        "gross"
    };
    let _ = writeln!(out, "| function | input | c | wasm latency | native latency | wasm/native latency | wasm/native kernel time | wasm energy ({gross}) | native energy ({gross}) | wasm/native energy |");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let keys: Vec<(&str, &str, u32)> = cells(&data.comparison)
        .into_iter()
        .filter(|k| find(&data.comparison, *k, (WASM, NATIVE), Metric::Latency).is_some())
        .collect();
    let pairs: Vec<[Option<&SummaryRow>; 2]> = keys
        .iter()
        .map(|k| [WASM, NATIVE].map(|rt| cell(data, k.0, k.1, rt, k.2)))
        .collect();
    let rows = || pairs.iter().flatten().flatten();
    let time = Column::time(rows().map(|s| s.wall_median_ns));
    let energy = Column::energy(rows().map(|s| s.energy_gross_median_j));
    for (k, [w, n]) in keys.iter().zip(&pairs) {
        let r = |m: Metric| {
            find(&data.comparison, *k, (WASM, NATIVE), m).map_or("–".into(), |c| {
                ratio(c.ratio, c.ratio_ci_lo, c.ratio_ci_hi, c.significant)
            })
        };
        let lat = |s: &Option<&SummaryRow>| {
            s.map(|s| time.with_ci(s.wall_median_ns, s.wall_ci_lo_ns, s.wall_ci_hi_ns))
                .unwrap_or("–".into())
        };
        let en = |s: &Option<&SummaryRow>| {
            s.map(|s| {
                energy.with_ci(
                    s.energy_gross_median_j,
                    s.energy_gross_ci_lo_j,
                    s.energy_gross_ci_hi_j,
                )
            })
            .unwrap_or("–".into())
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(k.0),
            md(k.1),
            k.2,
            lat(w),
            lat(n),
            r(Metric::Latency),
            r(Metric::KernelTime),
            en(w),
            en(n),
            r(Metric::Energy),
        );
    }
    out.push_str(
        "\nMedians per call; energy is gross energy per call, statistics over measurement windows. ",
    );
    let adjust = data.comparison.first().map_or("holm", |c| c.p_adjust.as_str());
    let _ = writeln!(
        out,
        "Ratio = wasm / native of whole calls (latency, energy: the FaaS question) or of the marked kernel alone \
         (kernel time: code speed); * = the interval excludes 1 and the Mann–Whitney p, adjusted over every \
         comparison of the run ({adjust}), is below 0.05. comparison.csv has every runtime pair and metric with Cliff's delta."
    );
    out
}

//! The Markdown summary for a README or a paper (`nebula report RUN --markdown`): per function
//! and input, a row per runtime (the run's reference first) with its median latency and energy
//! per call with 95% intervals, and its ratios to the reference of whole calls and of the kernel
//! with their intervals and significance. Every interval is written one way (`12.3 µs [11.9,
//! 12.8]`, see `format`), latencies in one unit, energies in one unit.

use super::format::{ratio, Column, INTERVAL_NOTE};
use crate::plot::style::runtime_rank;
use crate::results::comparison::{cells, find, Metric};
use crate::results::RunData;
use crate::results::SummaryRow;
use std::fmt::Write as _;

fn cell<'a>(data: &'a RunData, f: &str, input: &str, rt: &str, c: u32) -> Option<&'a SummaryRow> {
    data.summary
        .iter()
        .find(|s| s.function == f && s.input == input && s.runtime == rt && s.concurrency == c)
}

/// A (function, input, concurrency) of the comparison.
type Cell<'a> = (&'a str, &'a str, u32);

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
    let reference = data.reference();
    let vs = |what: &str| format!("{what} / {}", md(&reference));
    let _ = writeln!(
        out,
        "| function | input | c | runtime | latency | {} | {} | energy ({gross}) | {} |",
        vs("latency"),
        vs("kernel time"),
        vs("energy")
    );
    out.push_str("|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    // A row per runtime of every cell compared with the reference, the reference first.
    let rows: Vec<(Cell, &str, Option<&SummaryRow>)> = cells(&data.comparison)
        .into_iter()
        .flat_map(|k| {
            let mut rts: Vec<&str> = data
                .comparison
                .iter()
                .filter(|c| c.metric == Metric::Latency && c.reference == reference)
                .filter(|c| (c.function.as_str(), c.input.as_str(), c.concurrency) == k)
                .map(|c| c.runtime.as_str())
                .collect();
            rts.sort_by_key(|rt| runtime_rank(rt));
            rts.dedup();
            let with_reference = (!rts.is_empty()).then_some(reference.as_str());
            with_reference
                .into_iter()
                .chain(rts)
                .map(move |rt| (k, rt, cell(data, k.0, k.1, rt, k.2)))
                .collect::<Vec<_>>()
        })
        .collect();
    let all = || rows.iter().filter_map(|r| r.2);
    let time = Column::time(all().map(|s| s.wall_median_ns));
    let energy = Column::energy(all().map(|s| s.energy_gross_median_j));
    for (k, rt, s) in &rows {
        let r = |m: Metric| {
            if *rt == reference {
                return "reference".into();
            }
            find(&data.comparison, *k, (rt, &reference), m).map_or("–".into(), |c| {
                ratio(c.ratio, c.ratio_ci_lo, c.ratio_ci_hi, c.significant)
            })
        };
        let lat = s
            .map(|s| time.with_ci(s.wall_median_ns, s.wall_ci_lo_ns, s.wall_ci_hi_ns))
            .unwrap_or("–".into());
        let en = s
            .map(|s| {
                energy.with_ci(
                    s.energy_gross_median_j,
                    s.energy_gross_ci_lo_j,
                    s.energy_gross_ci_hi_j,
                )
            })
            .unwrap_or("–".into());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md(k.0),
            md(k.1),
            k.2,
            md(rt),
            lat,
            r(Metric::Latency),
            r(Metric::KernelTime),
            en,
            r(Metric::Energy),
        );
    }
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "\nNo function ran under the reference, {}, and another runtime.",
            md(&reference)
        );
    }
    out.push_str(
        "\nMedians per call; energy is gross energy per call, statistics over measurement windows. ",
    );
    let adjust = data.comparison.first().map_or("holm", |c| c.p_adjust.as_str());
    let _ = writeln!(
        out,
        "Ratio = runtime / {} (the run's reference) of whole calls (latency, energy: the FaaS question) or of the \
         marked kernel alone (kernel time: code speed); * = the interval excludes 1 and the Mann–Whitney p, adjusted over every \
         comparison of the run ({adjust}), is below 0.05. comparison.csv has every runtime pair and metric with Cliff's delta.",
        md(&reference)
    );
    out
}

//! What each build of a run was compiled for, in `report.html` under Provenance: per module
//! file its target, features and SIMD, the flags it was built with and the crates that choose
//! instructions at run time; the host CPU's features beside them; and the suite's note on what
//! still differs between a function's builds. Left out for a run whose `metadata.json` predates
//! these records. `nebula compare` names the builds two runs compiled differently.

use super::format::esc;
use super::html::{header, row};
use crate::results::build::BuildTarget;
use crate::results::Metadata;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The Builds part: nothing when no module file records its target.
pub fn builds(h: &mut String, m: &Metadata) {
    let targets: Vec<_> = m
        .modules
        .iter()
        .filter_map(|f| Some((f, f.target.as_ref()?)))
        .collect();
    if targets.is_empty() {
        return;
    }
    h.push_str("<h4 id=\"builds\">Builds: what each file was compiled for</h4>\n");
    h.push_str(
        "<p>A wasm module's features and SIMD instructions are read from the module itself; \
         the flags and a native build's target come from the record \
         <code>scripts/build-functions.sh</code> writes for that very file. A crate that \
         chooses at run time may use any feature of the host CPU, whatever the target.</p>\n",
    );
    if !m.machine.cpu_features.is_empty() {
        let _ = writeln!(
            h,
            "<p id=\"host-features\">The host CPU has: <code>{}</code></p>",
            esc(&m.machine.cpu_features.join(" "))
        );
    }
    header(
        h,
        "builds-table",
        &[
            "function",
            "build",
            "target",
            "features",
            "RUSTFLAGS",
            "chooses at run time",
            "source",
        ],
        7,
    );
    for (f, t) in targets {
        let flags = match &t.rustflags {
            None => "not known".to_string(),
            Some(r) if r.is_empty() => "none".to_string(),
            Some(r) => r.clone(),
        };
        let dispatch: Vec<String> = t.runtime_dispatch.iter().map(|d| d.describe()).collect();
        let dispatch = match (t.simd128.is_some(), &t.rustflags, dispatch.is_empty()) {
            (true, _, _) => "none: wasm code cannot query the CPU".to_string(),
            (false, None, _) => "not known".to_string(),
            (false, Some(_), true) => "none found".to_string(),
            (false, Some(_), false) => dispatch.join("; "),
        };
        let cells = [
            f.function.clone(),
            f.build.clone(),
            t.describe(),
            t.features.join(" "),
            flags,
            dispatch,
            t.source.clone(),
        ];
        row(h, &cells, cells.len());
    }
    h.push_str("</tbody></table></div>\n");
    if !m.build_notes.is_empty() {
        h.push_str("<p>What still differs between the builds, as the suite says (<code>build_note</code>):</p>\n<ul id=\"build-notes\">\n");
        for (f, note) in &m.build_notes {
            let _ = writeln!(h, "<li><b>{}</b>: {}</li>", esc(f), esc(note));
        }
        h.push_str("</ul>\n");
    }
}

/// What `compare` reports of a build: its target, features, flags and run-time choosers.
fn summary(t: &BuildTarget) -> String {
    let dispatch: Vec<String> = t.runtime_dispatch.iter().map(|d| d.describe()).collect();
    format!(
        "{}; features {}; RUSTFLAGS {}; chooses at run time: {}",
        t.describe(),
        if t.features.is_empty() {
            "not known".into()
        } else {
            t.features.join(" ")
        },
        t.rustflags
            .as_deref()
            .map_or("not known", |r| if r.is_empty() { "none" } else { r }),
        if dispatch.is_empty() {
            "none".into()
        } else {
            dispatch.join(", ")
        }
    )
}

/// How runs A and B differ in what their builds were compiled for: each build both record
/// (its latest record) compiled differently, and the host CPU's features where both runs list
/// them. Empty when a run predates these records.
pub fn differences(a: &Metadata, b: &Metadata) -> Vec<String> {
    let targets = |m: &Metadata| -> BTreeMap<(String, String), String> {
        m.modules
            .iter()
            .filter_map(|f| Some(((f.function.clone(), f.build.clone()), summary(f.target.as_ref()?))))
            .collect()
    };
    let (ta, tb) = (targets(a), targets(b));
    let mut out: Vec<String> = ta
        .iter()
        .filter_map(|((function, build), x)| {
            let y = tb.get(&(function.clone(), build.clone()))?;
            (x != y).then(|| format!("A and B differ in the {build} build of '{function}': A = {x}; B = {y}"))
        })
        .collect();
    let (fa, fb) = (&a.machine.cpu_features, &b.machine.cpu_features);
    if !fa.is_empty() && !fb.is_empty() && fa != fb {
        out.push(format!(
            "A and B differ in CPU features: A = {}, B = {}",
            fa.join(" "),
            fb.join(" ")
        ));
    }
    out
}

//! The provenance of a run in `report.html`: the warnings the run printed (a box near the top,
//! so that a reader cannot miss them) and, under Metadata, the functions folder, each module
//! file's SHA-256 (what each was compiled for: `builds`), what ran each runtime (`runtimes`), every idle baseline with the one in
//! use, the energy model's coefficients when the model was used, and the warnings again. A part
//! whose key an older `metadata.json` lacks is left out. SHA-256 values are shown in full, in a `<code>` that wraps.

use super::format::esc;
use super::html::{dl, header};
use crate::results::Metadata;
use std::fmt::Write as _;

/// The box of warnings under the page's title; nothing at all when the run printed none.
pub fn warnings_box(h: &mut String, m: &Metadata) {
    if m.warnings.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<div class=\"warnings\" id=\"warnings\"><b>{}</b>",
        esc(&count(m.warnings.len()))
    );
    list(h, &m.warnings);
    h.push_str("<small>Also listed under <a href=\"#provenance\">Provenance</a>.</small></div>\n");
}

/// Whether `metadata.json` has anything the Provenance part shows.
pub fn has_provenance(m: &Metadata) -> bool {
    !m.functions_dir.is_empty()
        || !m.modules.is_empty()
        || m.modules_note.is_some()
        || !m.energy.baselines.is_empty()
        || m.energy.model.is_some()
        || !m.warnings.is_empty()
        || !m.engines.is_empty()
        || !m.command_runtimes.is_empty()
}

/// The Provenance part of the metadata section; `estimated` when the run's energy is a model
/// estimate (its idle baselines then are estimates too, and say so).
pub fn provenance(h: &mut String, m: &Metadata, estimated: bool) {
    if !has_provenance(m) {
        return;
    }
    h.push_str("<h3 id=\"provenance\">Provenance</h3>\n");
    if !m.functions_dir.is_empty() {
        let _ = writeln!(
            h,
            "<p id=\"functions-dir\">Functions folder: <code>{}</code></p>",
            esc(&m.functions_dir)
        );
    }
    modules(h, m);
    super::builds::builds(h, m);
    super::runtimes::runtimes(h, m);
    baselines(h, m, estimated);
    model(h, m);
    if !m.warnings.is_empty() {
        let _ = writeln!(h, "<h4>Warnings</h4>\n<p>{}</p>", esc(&count(m.warnings.len())));
        list(h, &m.warnings);
    }
}

fn count(n: usize) -> String {
    match n {
        1 => "The run printed 1 warning about its data:".to_string(),
        n => format!("The run printed {n} warnings about its data:"),
    }
}

fn list(h: &mut String, items: &[String]) {
    h.push_str("<ul>\n");
    for w in items {
        let _ = writeln!(h, "<li>{}</li>", esc(w));
    }
    h.push_str("</ul>\n");
}

fn modules(h: &mut String, m: &Metadata) {
    if m.modules.is_empty() && m.modules_note.is_none() {
        return;
    }
    h.push_str("<h4>Module files</h4>\n");
    if let Some(note) = &m.modules_note {
        let _ = writeln!(h, "<p>{}</p>", esc(note));
    }
    if m.modules.is_empty() {
        return;
    }
    h.push_str("<p>Every module file the run loaded (the <code>.wasm</code> for wasm and wasm-cold, the host binary for native) with the SHA-256 of its bytes; a file changed by a resume appears twice.</p>\n");
    header(
        h,
        "modules-table",
        &[
            "function",
            "build",
            "runtimes",
            "SHA-256",
            "path",
            "hashed at",
            "bytes",
        ],
        6,
    );
    for f in &m.modules {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td>\
             <td class=\"l hash\"><code>{}</code></td><td class=\"l path\"><code>{}</code></td>\
             <td class=\"l\">{}</td><td>{}</td></tr>",
            esc(&f.function),
            esc(&f.build),
            esc(&f.runtimes.join(", ")),
            esc(&f.sha256),
            esc(&f.path),
            esc(&f.hashed_at.to_string()),
            f.bytes
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn baselines(h: &mut String, m: &Metadata, estimated: bool) {
    if m.energy.baselines.is_empty() {
        return;
    }
    let (title, power) = if estimated {
        (
            "Idle baselines (ESTIMATED by the model, not measured)",
            "idle power, ESTIMATED",
        )
    } else {
        ("Idle baselines", "idle power")
    };
    let _ = writeln!(
        h,
        "<h4>{}</h4>\n<p>Net energy subtracts the one in use; a resume's is only a check.</p>",
        esc(title)
    );
    header(
        h,
        "baselines-table",
        &["taken at", "session", power, "duration", "in use"],
        2,
    );
    for b in &m.energy.baselines {
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{:.3} W</td><td>{:.1} s</td><td>{}</td></tr>",
            esc(&b.measured_at.to_string()),
            esc(&b.session),
            b.watts,
            b.duration_s,
            if b.in_use { "yes" } else { "no" }
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn model(h: &mut String, m: &Metadata) {
    let Some(c) = &m.energy.model else { return };
    h.push_str("<h4 id=\"model\">Energy model: ESTIMATE, not a measurement</h4>\n");
    dl(
        h,
        &[
            ("formula", c.formula.clone()),
            ("idle_watts", format!("{:.3} W", c.idle_watts)),
            (
                "active_watts_per_core",
                format!("{:.3} W per busy core", c.active_watts_per_core),
            ),
            (
                "defaults",
                format!(
                    "idle_watts = {i} W x logical cores, active_watts_per_core = {b} W - {i} W \
                     (Cloud Carbon Footprint AWS averages per vCPU, idle and busy), unless the \
                     config sets them",
                    i = c.default_idle_watts_per_vcpu,
                    b = c.default_busy_watts_per_vcpu
                ),
            ),
        ],
    );
}

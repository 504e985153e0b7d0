//! What ran each runtime of a run, in `report.html` under Provenance: every wasmtime engine
//! (compiler, opt level, target, wasmtime version, the runtimes on it) and every runtime defined
//! by a command template (its template, the program found, its version, whether kernel time was
//! measured on it). Left out for a run whose `metadata.json` has neither.

use super::html::{header, row};
use crate::results::Metadata;

/// The Runtimes part: nothing when the run records no engine and no command runtime.
pub fn runtimes(h: &mut String, m: &Metadata) {
    if m.engines.is_empty() && m.command_runtimes.is_empty() {
        return;
    }
    h.push_str("<h4 id=\"runtimes\">Runtimes: what ran the calls</h4>\n");
    if !m.engines.is_empty() {
        header(
            h,
            "engines-table",
            &["runtimes", "compiler", "opt level", "target", "wasmtime"],
            4,
        );
        for e in &m.engines {
            let cells = [
                e.runtimes.join(", "),
                e.strategy.clone(),
                e.opt_level.clone().unwrap_or_else(|| "-".into()),
                e.target.clone(),
                e.wasmtime.clone(),
            ];
            row(h, &cells, cells.len());
        }
        h.push_str("</tbody></table></div>\n");
    }
    if !m.command_runtimes.is_empty() {
        h.push_str(
            "<p>Runtimes defined by a command template run a process per call (docs/runtimes.md); \
             kernel time is measured only on those that report their markers.</p>\n",
        );
        header(
            h,
            "command-runtimes-table",
            &[
                "runtime",
                "version",
                "program",
                "command",
                "markers",
                "kernel time",
            ],
            6,
        );
        for c in &m.command_runtimes {
            let cells = [
                c.name.clone(),
                c.version.clone(),
                c.program.clone(),
                c.command.join(" "),
                c.markers.clone(),
                if c.kernel_time { "measured" } else { "not known" }.to_string(),
            ];
            row(h, &cells, cells.len());
        }
        h.push_str("</tbody></table></div>\n");
    }
}

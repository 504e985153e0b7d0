//! `GET /`: a server-rendered landing page (inline CSS and a little vanilla JS, no external
//! assets): the functions, a form that invokes one through `fetch` and shows its output and
//! footprint in `#result`, the last 50 calls, and links to the API. `?autorun=NAME&input=...`
//! (optionally `&runtime=native`) fills the form and submits it through the same code path a
//! click uses, which is how the browser test drives it. All text is HTML-escaped.

use super::SharedState;
use crate::report::format::esc;
use crate::results::call::{label_str, CallRow};
use axum::extract::State;
use axum::response::Html;
use chrono::DateTime;
use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// How many calls the page lists.
pub const RECENT: usize = 50;

/// The last [`RECENT`] calls, newest last: the records themselves, shared with the CSV
/// writer (no copy per call).
#[derive(Default)]
pub struct Recent {
    ring: Mutex<VecDeque<Arc<CallRow>>>,
}

impl Recent {
    /// Adds a call, dropping the oldest beyond [`RECENT`].
    pub fn push(&self, call: Arc<CallRow>) {
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let evicted = if r.len() == RECENT { r.pop_front() } else { None };
        r.push_back(call);
        drop(r);
        // The evicted row (often its last reference) is freed outside the lock.
        drop(evicted);
    }

    /// Newest first.
    pub fn snapshot(&self) -> Vec<Arc<CallRow>> {
        let r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        r.iter().rev().cloned().collect()
    }
}

fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn joules(j: Option<f64>, label: &str) -> String {
    match j {
        Some(j) => format!("{:.3} mJ ({})", j * 1e3, esc(label)),
        None => "unavailable".into(),
    }
}

/// `GET /`: the landing page.
pub async fn landing(State(state): State<SharedState>) -> Html<String> {
    Html(render(&state))
}

/// The landing page's HTML: the served functions, the recent calls, the energy meter, the run id
/// and the calls allowed at once.
pub fn render(state: &SharedState) -> String {
    let functions = state.registry.infos();
    let mut rows = String::new();
    let mut options = String::new();
    for f in &functions {
        let _ = write!(
            rows,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{} B</td><td><code title=\"{}\">{}</code></td><td>{}</td></tr>",
            esc(&f.name),
            esc(&f.description),
            esc(&f.input),
            esc(&f.runtimes.join(", ")),
            f.size,
            esc(&f.sha256),
            esc(f.sha256.get(..12).unwrap_or("")),
            esc(&f.uploaded_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        );
        let _ = write!(
            options,
            "<option value=\"{}\" data-example=\"{}\">{}</option>",
            esc(&f.name),
            esc(&f.example),
            esc(&f.name)
        );
    }
    if functions.is_empty() {
        rows.push_str("<tr><td colspan=\"7\">No functions yet: build the suite or PUT a module.</td></tr>");
    }
    let mut recent = String::new();
    for c in state.recent.snapshot() {
        let at = DateTime::from_timestamp_nanos(i64::try_from(c.start_unix_ns).unwrap_or(0));
        let outcome = if c.ok { "ok" } else { c.error_kind.as_str() };
        let _ = write!(
            recent,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&at.format("%H:%M:%S%.3f").to_string()),
            esc(&c.function),
            esc(c.runtime.as_str()),
            esc(&c.input),
            if c.ok { "ok" } else { "err" },
            esc(outcome),
            ms(c.wall_ns),
            joules(c.energy_gross_j, label_str(c.energy_label)),
        );
    }
    if recent.is_empty() {
        recent.push_str("<tr><td colspan=\"7\">No calls yet.</td></tr>");
    }
    fill(
        PAGE,
        &[
            ("functions", rows),
            ("options", options),
            ("recent", recent),
            ("energy", esc(&state.config.meter.describe())),
            ("run_id", esc(&state.config.run_id)),
            ("max_inflight", state.config.max_inflight.to_string()),
        ],
    )
}

/// Replace each `{{key}}` of the template in one pass (values are never rescanned).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find("}}") {
            Some(j) => {
                let key = &after[..j];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 2 + j + 2]),
                }
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

const PAGE: &str = include_str!("page.html");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_filling() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        let v = [("a", "{{b}}".to_string()), ("b", "B".to_string())];
        assert_eq!(fill("x{{a}}y{{b}}z{{c}}", &v), "x{{b}}yBz{{c}}");
    }
}

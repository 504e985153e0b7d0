//! `nebula runtimes`: every runtime a config can list: the built-in ones (wasmtime's engines
//! in this process, and native) and those defined by a command template (shipped, or a suite
//! file's): what each runs, whether kernel time is measured on it, and whether it is ready on
//! this machine (its program, its version) or what installs it.

use crate::runtime::command::{self, search_path};
use crate::runtime::RuntimeKind;
use crate::suite::Suite;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct RuntimesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// A suite file of one's own: its [[runtime]] tables join the shipped ones.
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
}

/// One line of the list.
#[derive(serde::Serialize)]
struct Line {
    name: String,
    kind: &'static str,
    build: &'static str,
    kernel_time: bool,
    ready: bool,
    /// The version, the reason it cannot run here, or the install line.
    status: String,
    description: String,
}

pub fn run(a: RuntimesArgs) -> Result<ExitCode> {
    let suite = Suite::load_with(a.suite.as_deref())?;
    let mut lines: Vec<Line> = RuntimeKind::ALL
        .into_iter()
        .map(|k| {
            let unsupported = k.unsupported_here();
            Line {
                name: k.to_string(),
                kind: "built-in",
                build: k.build().as_str(),
                kernel_time: true,
                ready: unsupported.is_none(),
                status: match unsupported {
                    Some((problem, _)) => problem,
                    None => match k.engine() {
                        Some(e) => format!("{} ({})", crate::runtime::WasmHost::version(), e.describe()),
                        None => "spawns the native build".into(),
                    },
                },
                description: String::new(),
            }
        })
        .collect();
    for d in &suite.runtimes {
        let found = d.find_program(&search_path());
        lines.push(Line {
            name: d.name.clone(),
            kind: "command",
            build: if d.runs_wasm() { "wasm" } else { "native" },
            kernel_time: d.kernel_time(),
            ready: found.is_ok(),
            status: match found {
                Ok(_) => command::version(d),
                Err((problem, fix)) => format!("{problem}: {fix}"),
            },
            description: d.description.clone(),
        });
    }
    if a.json {
        crate::outln!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "{:<20} {:<9} {:<13} {:<7} status",
        "runtime",
        "kind",
        "build",
        "kernel"
    );
    for l in &lines {
        let mark = if l.ready { "" } else { "MISSING: " };
        crate::outln!(
            "{:<20} {:<9} {:<13} {:<7} {mark}{}",
            l.name,
            l.kind,
            l.build,
            if l.kernel_time { "yes" } else { "no" },
            l.status
        );
    }
    crate::outln!("kernel = whether the time between a module's bench.start and bench.end is measured on it");
    crate::outln!("A config lists runtimes by name; [[runtime]] tables define more (docs/runtimes.md).");
    Ok(ExitCode::SUCCESS)
}

//! `nebula functions`: the suite, the input each function expects, and which builds exist.

use crate::suite::Suite;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct FunctionsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// A suite file of one's own: its functions join the suite's (see docs/functions.md).
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
}

pub fn run(a: FunctionsArgs) -> Result<ExitCode> {
    let suite = Suite::load_with(a.suite.as_deref())?;
    let build = |name: &str, wasm: bool| {
        suite
            .has_build(name, wasm)
            .then(|| suite.build_for(name, wasm).ok())
            .flatten()
    };
    if a.json {
        let list: Vec<_> = suite
            .functions
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name, "description": f.description, "input": f.input,
                    "example": f.example, "sizes": f.sizes, "markers": f.markers,
                    "wasm": build(&f.name, true),
                    "native": build(&f.name, false),
                })
            })
            .collect();
        crate::outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "{:<20} {:<5} {:<6} {:<10} input",
        "function",
        "wasm",
        "native",
        "example"
    );
    let mut missing = false;
    for f in &suite.functions {
        let (w, n) = (build(&f.name, true).is_some(), build(&f.name, false).is_some());
        // A function of one's own may have one build on purpose: "-" is no build, not a missing one.
        let own = f.is_own();
        missing |= !(own || w && n);
        let mark = |b: bool, named: bool| match (b, named) {
            (true, _) => "yes",
            (false, true) => "NO",
            (false, false) => "-",
        };
        crate::outln!(
            "{:<20} {:<5} {:<6} {:<10} {}",
            f.name,
            mark(w, !own || f.wasm.is_some()),
            mark(n, !own || f.native.is_some()),
            f.example,
            f.input
        );
    }
    if missing {
        crate::outln!("\nSome builds are missing: run scripts/build-functions.sh");
    }
    Ok(ExitCode::SUCCESS)
}

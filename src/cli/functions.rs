//! `nebula functions`: the suite, the input each function expects, and which builds exist.

use crate::suite::{Build, Suite};
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
    let build = |name: &str, b: Build| {
        suite
            .has_build(name, b)
            .then(|| suite.build_for(name, b).ok())
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
                    "wasm": build(&f.name, Build::Wasm),
                    "wasm_simd128": build(&f.name, Build::WasmSimd128),
                    "native": build(&f.name, Build::Native),
                    "build_note": f.build_note,
                })
            })
            .collect();
        crate::outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "{:<20} {:<5} {:<7} {:<6} {:<10} input",
        "function",
        "wasm",
        "simd128",
        "native",
        "example"
    );
    let mut missing = false;
    for f in &suite.functions {
        let [w, s, n] = Build::ALL.map(|b| build(&f.name, b).is_some());
        // A function of one's own may lack builds on purpose: "-" is no build, not a missing one.
        let own = f.is_own();
        missing |= !(own || w && s && n);
        let mark = |b: bool, named: bool| match (b, named) {
            (true, _) => "yes",
            (false, true) => "NO",
            (false, false) => "-",
        };
        crate::outln!(
            "{:<20} {:<5} {:<7} {:<6} {:<10} {}",
            f.name,
            mark(w, !own || f.wasm.is_some()),
            mark(s, !own || f.wasm_simd128.is_some()),
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

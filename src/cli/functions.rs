//! `nebula functions`: the suite, the input each function expects, and which builds exist.

use crate::suite::Suite;
use anyhow::Result;
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct FunctionsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: FunctionsArgs) -> Result<ExitCode> {
    let suite = Suite::load_default()?;
    if a.json {
        let list: Vec<_> = suite
            .functions
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name, "description": f.description, "input": f.input,
                    "example": f.example, "sizes": f.sizes, "markers": f.markers,
                    "wasm": suite.wasm_path(&f.name).is_file().then(|| suite.wasm_path(&f.name)),
                    "native": suite.native_path(&f.name).is_file().then(|| suite.native_path(&f.name)),
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
        let w = suite.wasm_path(&f.name).is_file();
        let n = suite.native_path(&f.name).is_file();
        missing |= !(w && n);
        let mark = |b: bool| if b { "yes" } else { "NO" };
        crate::outln!(
            "{:<20} {:<5} {:<6} {:<10} {}",
            f.name,
            mark(w),
            mark(n),
            f.example,
            f.input
        );
    }
    if missing {
        crate::outln!("\nSome builds are missing: run scripts/build-functions.sh");
    }
    Ok(ExitCode::SUCCESS)
}

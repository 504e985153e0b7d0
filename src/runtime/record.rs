//! From a call's outcome to its record: the time and outcome columns of a `calls.csv` row
//! ([`CallRow::from_outcome`]); the energy columns are the window's to fill.

use super::{CallError, CallOutcome};
use crate::results::call::{CallContext, CallRow, RuntimeName};
use crate::units::ns;

impl CallRow {
    /// The time and outcome columns of a call; the energy columns are filled by the caller
    /// that measured the window (see `energy::window`).
    pub fn from_outcome(ctx: &CallContext, o: &CallOutcome) -> CallRow {
        let runtime = RuntimeName::new(o.runtime.as_str());
        CallRow {
            run_id: ctx.run_id.clone(),
            cell: ctx.cell(&runtime),
            function: ctx.function.clone(),
            runtime,
            input: ctx.input.clone(),
            concurrency: ctx.concurrency,
            repetition: ctx.repetition,
            worker: ctx.worker,
            start_unix_ns: ctx.start_unix_ns,
            wall_ns: ns(o.wall),
            compile_ns: o.phases.compile.map(ns),
            instantiate_ns: o.phases.instantiate.map(ns),
            execute_ns: o.phases.execute.map(ns),
            teardown_ns: o.phases.teardown.map(ns),
            spawn_to_exit_ns: o.phases.spawn_to_exit.map(ns),
            kernel_ns: o.kernel.as_ref().map(|k| ns(k.duration)),
            cpu_user_ns: ns(o.cpu.user),
            cpu_system_ns: ns(o.cpu.system),
            peak_memory_bytes: o.peak_memory_bytes,
            exit_code: o.exit_code,
            output_bytes: o.stdout.len() as u64,
            output_digest: o.digest(),
            ok: o.ok(),
            error_kind: o.error.as_ref().map(|e| e.kind().to_string()).unwrap_or_default(),
            error: o
                .error
                .as_ref()
                .map(|e| error_text(e, &o.stderr_tail))
                .unwrap_or_default(),
            machine: crate::results::metadata::machine_id().to_string(),
            ..CallRow::default()
        }
    }
}

/// The error message, with the guest's last stderr line when it said something.
fn error_text(e: &CallError, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!("{e}: {}", line.trim()),
        None => e.to_string(),
    }
}

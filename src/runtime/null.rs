//! The markers' own cost, measured: a null kernel (`bench.start` then `bench.end` around
//! nothing) called on a runtime reads what the markers add to every kernel span there. On wasm
//! it is a module of two imports; natively it is this binary started with
//! `NEBULA_NULL_KERNEL=1`, which speaks the native marker protocol as the suite's guests do
//! ([`null_kernel_and_exit`]). A command runtime that measures kernels runs the module or this
//! binary through its template. A run records the median per runtime in metadata.json.

use super::command::CommandFunction;
use super::{CallInput, NativeFunction, Runtime, RuntimeKind, WasmHost};
use anyhow::{Context, Result};
use std::sync::Arc;

/// The variable that makes this binary a native null kernel.
pub const NULL_KERNEL_ENV: &str = "NEBULA_NULL_KERNEL";

/// `(module (import "bench" "start" (func)) (import "bench" "end" (func))
///  (memory (export "memory") 0) (func (export "_start") call 0 call 1))`, encoded (checked
/// against `wat` in the tests). The empty memory is for runtimes such as Node's WASI, which
/// refuse a command module that exports none.
pub const NULL_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: [] -> []
    0x02, 0x1b, 0x02, // imports: 2
    0x05, b'b', b'e', b'n', b'c', b'h', 0x05, b's', b't', b'a', b'r', b't', 0x00, 0x00, 0x05, b'b', b'e',
    b'n', b'c', b'h', 0x03, b'e', b'n', b'd', 0x00, 0x00, // bench.start, bench.end
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x05, 0x03, 0x01, 0x00, 0x00, // memory: min 0 pages
    0x07, 0x13, 0x02, 0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, 0x06, b'_', b's', b't', b'a',
    b'r', b't', 0x00, 0x02, // exports: memory, _start
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x10, 0x00, 0x10, 0x01, 0x0b, // code: call 0, call 1
];

/// Calls made to measure one runtime (the median is kept).
pub const CALLS: usize = 21;

/// The median `kernel_ns` of a null kernel on `kind`; `None` when it cannot be measured there.
pub fn overhead_ns(kind: RuntimeKind, host: &Arc<WasmHost>) -> Result<Option<u64>> {
    let mut input = CallInput::default();
    let native_null = |input: &mut CallInput| -> Result<std::path::PathBuf> {
        input.env.push((NULL_KERNEL_ENV.into(), "1".into()));
        std::env::current_exe().context("cannot find this program for the native null kernel")
    };
    let rt: Box<dyn Runtime> = match kind {
        RuntimeKind::Native => Box::new(NativeFunction::new(&native_null(&mut input)?, host.limits)?),
        RuntimeKind::Command(c) if !c.spec().kernel_time() => return Ok(None),
        RuntimeKind::Command(c) if c.spec().runs_wasm() => {
            let module = super::strip::write_module("null-kernel.wasm", NULL_MODULE)?;
            Box::new(CommandFunction::new(c, &module, host.limits)?)
        }
        RuntimeKind::Command(c) => Box::new(CommandFunction::new(c, &native_null(&mut input)?, host.limits)?),
        _ => super::prepare_wasm(kind, host, "null-kernel", NULL_MODULE)?,
    };
    let mut spans: Vec<u64> = (0..CALLS)
        .filter_map(|_| rt.call(&input).kernel.map(|k| k.duration.as_nanos() as u64))
        .collect();
    spans.sort_unstable();
    Ok(spans.get(spans.len() / 2).copied())
}

/// When this process is a native null kernel (`NEBULA_NULL_KERNEL=1` and a marker fd), write
/// the two marker lines as the suite's guests do (the CPU clock outside the monotonic span,
/// the lines after the end stamps) and exit; otherwise return.
pub fn null_kernel_and_exit() {
    if std::env::var_os(NULL_KERNEL_ENV).is_none() {
        return;
    }
    let Some(fd) = super::native::marker_fd() else {
        std::process::exit(0)
    };
    use crate::clock::{monotonic_ns, thread_cpu_clock};
    let cpu0 = thread_cpu_clock().as_nanos();
    let mono0 = monotonic_ns();
    let mono1 = monotonic_ns();
    let cpu1 = thread_cpu_clock().as_nanos();
    let line = format!("start {mono0} {cpu0}\nend {mono1} {cpu1}\n");
    // SAFETY: writing our own buffer to a descriptor the parent gave us; a bad one only fails.
    unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_is_the_text_it_says() {
        let text = r#"(module (import "bench" "start" (func)) (import "bench" "end" (func))
            (memory (export "memory") 0) (func (export "_start") call 0 call 1))"#;
        assert_eq!(NULL_MODULE, wat::parse_str(text).unwrap().as_slice());
    }
}

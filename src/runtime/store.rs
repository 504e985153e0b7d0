//! What each wasm call's `Store` holds: its WASI context with in-memory stdio, a resource limiter
//! that enforces the memory cap and records the peak, and the `bench.start` / `bench.end` kernel
//! markers with their timestamps, thread CPU times and energy readings.

use super::{CallInput, Kernel};
use crate::clock as cpu;
use crate::energy::{EnergySource, Reading};
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{Caller, Linker, ResourceLimiter};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// How much of stderr is kept for error messages.
pub const STDERR_CAP: usize = 64 << 10;

/// Enforces the memory cap, remembers the largest memory seen and whether a grow was refused.
pub struct HostLimiter {
    /// The most linear memory a call may grow to, bytes.
    pub memory_cap: usize,
    /// The largest linear memory the call grew to, bytes.
    pub peak_memory: usize,
    /// The size of the first grow refused, bytes; `None` when none was.
    pub refused: Option<usize>,
}

impl ResourceLimiter for HostLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap || maximum.is_some_and(|m| desired > m) {
            self.refused = Some(desired);
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables are capped at a million elements: a table bomb fails its grow, it does not OOM the host.
        Ok(desired <= 1_000_000 && maximum.is_none_or(|m| desired <= m))
    }
}

/// One marker: when, the thread's CPU time then, and the probe's reading then.
pub struct Mark {
    /// When the marker was called.
    pub at: Instant,
    /// The thread's CPU clock then, nanoseconds.
    pub cpu_ns: u64,
    /// The energy probe's reading then; `None` without a probe or when it failed to read.
    pub reading: Option<Reading>,
}

/// Timestamps of the kernel markers of one call.
pub struct Markers {
    /// When the call started (the kernel's offset is measured from it).
    pub call_start: Instant,
    /// The energy source read at each marker, when the call has one.
    pub probe: Option<Arc<dyn EnergySource>>,
    /// The `bench.start` marker; `None` until the guest calls it.
    pub start: Option<Mark>,
    /// The `bench.end` marker; `None` until the guest calls it.
    pub end: Option<Mark>,
}

impl Markers {
    /// `bench.start`: the probe is read first, then the thread CPU clock (a system call in a
    /// VM), then the wall clock, so neither cost falls inside the kernel's wall span.
    fn start_mark(&self) -> Mark {
        let reading = self.probe.as_ref().and_then(|p| p.read().ok());
        let cpu_ns = cpu::thread_cpu_clock().as_nanos() as u64;
        Mark {
            at: Instant::now(),
            cpu_ns,
            reading,
        }
    }

    /// `bench.end`: the wall clock first, then the thread CPU clock, then the probe (the start's
    /// order reversed), so neither cost falls inside the kernel's wall span.
    fn end_mark(&self) -> Mark {
        let at = Instant::now();
        let cpu_ns = cpu::thread_cpu_clock().as_nanos() as u64;
        Mark {
            at,
            cpu_ns,
            reading: self.probe.as_ref().and_then(|p| p.read().ok()),
        }
    }

    /// The kernel span, when both markers were seen in order.
    pub fn kernel(self) -> Option<Kernel> {
        let (s, e) = (self.start?, self.end?);
        let duration = e.at.checked_duration_since(s.at)?;
        let readings = match (s.reading, e.reading) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        };
        Some(Kernel {
            offset: s.at.saturating_duration_since(self.call_start),
            duration,
            cpu: Some(Duration::from_nanos(e.cpu_ns.saturating_sub(s.cpu_ns))),
            readings,
        })
    }
}

/// The data of one call's `Store`.
pub struct HostState {
    /// The call's WASI context: in-memory stdio, arguments, environment and preopens.
    pub wasi: WasiP1Ctx,
    /// The memory cap and the peak memory seen.
    pub limiter: HostLimiter,
    /// The kernel markers the guest called.
    pub markers: Markers,
}

/// The call's stdio pipes, kept to read after the call.
pub struct Stdio {
    /// The call's stdout, captured up to one byte over the output cap.
    pub stdout: MemoryOutputPipe,
    /// The call's stderr, captured up to [`STDERR_CAP`] bytes.
    pub stderr: MemoryOutputPipe,
}

impl HostState {
    /// A fresh state for one call: stdin from memory, stdout and stderr captured with caps,
    /// arguments, environment and read-only preopens.
    pub fn new(
        input: &CallInput,
        program: &str,
        memory_cap: u64,
        output_cap: usize,
    ) -> Result<(HostState, Stdio)> {
        // One byte over the cap: a guest that writes exactly the cap is within it (as a
        // native one is); one that writes more fills the extra byte and is over.
        let stdout = MemoryOutputPipe::new(output_cap.saturating_add(1));
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        let mut b = WasiCtxBuilder::new();
        b.stdin(MemoryInputPipe::new(input.stdin.clone()))
            .stdout(stdout.clone());
        if input.inherit_stderr {
            b.inherit_stderr();
        } else {
            b.stderr(stderr.clone());
        }
        let mut args = Vec::with_capacity(input.args.len() + 1);
        args.push(program.to_string());
        args.extend(input.args.iter().cloned());
        b.args(&args);
        for (k, v) in &input.env {
            b.env(k, v);
        }
        for d in &input.dirs {
            let perms = match d.writable {
                true => FsPerms::ReadWrite,
                false => FsPerms::ReadOnly,
            };
            b.preopened_dir(&d.host, &d.guest, perms)
                .map_err(anyhow::Error::from)
                .with_context(|| {
                    format!(
                        "cannot preopen {} as {}: check the path exists and is readable{}",
                        d.host.display(),
                        d.guest,
                        if d.writable { " and writable" } else { "" }
                    )
                })?;
        }
        let state = HostState {
            wasi: b.build_p1(),
            limiter: HostLimiter {
                memory_cap: usize::try_from(memory_cap).unwrap_or(usize::MAX),
                peak_memory: 0,
                refused: None,
            },
            markers: Markers {
                call_start: Instant::now(),
                probe: input.probe.clone(),
                start: None,
                end: None,
            },
        };
        Ok((state, Stdio { stdout, stderr }))
    }
}

/// Provide `bench.start` and `bench.end` (no parameters, no results).
pub fn add_bench_markers(linker: &mut Linker<HostState>) -> Result<()> {
    linker
        .func_wrap("bench", "start", |mut c: Caller<'_, HostState>| {
            let m = c.data().markers.start_mark();
            c.data_mut().markers.start = Some(m);
        })
        .map_err(anyhow::Error::from)
        .context("cannot define bench.start")?;
    linker
        .func_wrap("bench", "end", |mut c: Caller<'_, HostState>| {
            let m = c.data().markers.end_mark();
            c.data_mut().markers.end = Some(m);
        })
        .map_err(anyhow::Error::from)
        .context("cannot define bench.end")?;
    Ok(())
}

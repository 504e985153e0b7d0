//! A run's calls held by cell in typed columns, as the statistics and charts need them: per ok
//! call its wall, kernel and CPU time, kernel energy, phases and window; per window its energy
//! and span; per cell its counts, labels and sources; per function and input the output digests.
//! Read from `calls.csv` in one streaming pass over only the columns these need
//! ([`RunCalls::read_csv`]), so that a run of millions of calls fits in a fraction of the memory
//! its rows would take; or built from rows ([`RunCalls::from_rows`]).

use super::call::{label_str, CallRow};
use anyhow::{anyhow, Context, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

/// A window's energy and span, over the cell's calls in it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WindowAcc {
    /// The window's id (`window_id`).
    pub id: u64,
    /// Sum and count of the finite `energy_gross_j` of its ok calls.
    pub gross: (f64, u32),
    /// Sum and count of the finite `energy_net_j` of its ok calls.
    pub net: (f64, u32),
    /// Earliest start and latest end (`start_unix_ns + wall_ns`) of all its calls, ok or not.
    pub span: (u64, u64),
}

/// A column that costs nothing until a call has a value in it: empty while every value so far
/// is absent, else one value per ok call with NaN for the absent ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse<T>(pub Vec<T>);

impl<T: Copy + NaN> Sparse<T> {
    fn push(&mut self, v: Option<T>, index: usize) {
        match v {
            Some(v) => {
                if self.0.len() < index {
                    self.0.resize(index, T::NAN);
                }
                self.0.push(v);
            }
            None if !self.0.is_empty() => self.0.push(T::NAN),
            None => {}
        }
    }

    /// The present values.
    pub fn present(&self) -> impl Iterator<Item = T> + '_ {
        self.0.iter().copied().filter(|v| !v.is_nan())
    }

    /// The value of ok call `i` (`None` when absent).
    pub fn get(&self, i: usize) -> Option<T> {
        self.0.get(i).copied().filter(|v| !v.is_nan())
    }
}

/// Floating-point types with a NaN, for [`Sparse`].
pub trait NaN {
    /// The type's NaN.
    const NAN: Self;
    /// Whether the value is NaN.
    fn is_nan(&self) -> bool;
}

impl NaN for f64 {
    const NAN: f64 = f64::NAN;
    fn is_nan(&self) -> bool {
        f64::is_nan(*self)
    }
}

impl NaN for f32 {
    const NAN: f32 = f32::NAN;
    fn is_nan(&self) -> bool {
        f32::is_nan(*self)
    }
}

/// One cell's (function, input, runtime, concurrency) calls, in columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellCalls {
    /// The machine that ran it (empty in older runs): a merged run of several machines has a
    /// cell per machine.
    pub machine: String,
    /// The function.
    pub function: String,
    /// The input.
    pub input: String,
    /// The runtime.
    pub runtime: String,
    /// Calls in flight.
    pub concurrency: u32,
    /// The distinct `cell` names of its rows (one, unless the file was edited).
    pub cell_names: BTreeSet<String>,
    /// Rows, ok or not.
    pub rows: usize,
    /// The line of calls.csv of the cell's first row (1 is the header).
    pub first_line: usize,
    /// Per ok call: wall time, ns.
    pub wall: Vec<f64>,
    /// Per ok call: the index of its window in `windows`.
    pub window: Vec<u32>,
    /// Per ok call: CPU time (user + system), ns.
    pub cpu: Vec<f64>,
    /// Per ok call: marked-kernel time, ns.
    pub kernel: Sparse<f64>,
    /// Per ok call: marked-kernel energy, J.
    pub kernel_energy: Sparse<f64>,
    /// Per ok call: compile, instantiate, execute, teardown and spawn-to-exit times, ns (for the
    /// phase chart; f32 is ample for a chart's medians).
    pub phases: [Sparse<f32>; 5],
    /// The windows of its calls, in order of first appearance.
    pub windows: Vec<WindowAcc>,
    /// Distinct energy labels of its rows.
    pub labels: BTreeSet<String>,
    /// Distinct energy sources of its rows.
    pub sources: BTreeSet<String>,
    window_index: HashMap<u64, u32>,
}

impl CellCalls {
    /// Ok calls.
    pub fn ok(&self) -> usize {
        self.wall.len()
    }

    /// The window ids of the ok calls, in the order of `wall`.
    pub fn window_ids(&self) -> Vec<u64> {
        self.window
            .iter()
            .map(|&w| self.windows.get(w as usize).map_or(0, |a| a.id))
            .collect()
    }

    /// Per window with a value: the mean gross (or net) energy per ok call of the window.
    pub fn window_energy(&self, net: bool) -> Vec<f64> {
        self.windows
            .iter()
            .map(|w| if net { w.net } else { w.gross })
            .filter(|(_, n)| *n > 0)
            .map(|(sum, n)| sum / f64::from(n))
            .collect()
    }

    /// Ok calls per second of measurement: ok calls over the summed span of the cell's windows;
    /// `None` when the span is zero.
    pub fn throughput(&self) -> Option<f64> {
        let span_ns: u64 = self.windows.iter().map(|w| w.span.1 - w.span.0).sum();
        (span_ns > 0).then(|| self.ok() as f64 / (span_ns as f64 * 1e-9))
    }

    fn window_of(&mut self, id: u64, start: u64, end: u64) -> u32 {
        let next = self.windows.len() as u32;
        let i = *self.window_index.entry(id).or_insert(next);
        if i == next {
            self.windows.push(WindowAcc {
                id,
                span: (start, end),
                ..WindowAcc::default()
            });
        }
        if let Some(w) = self.windows.get_mut(i as usize) {
            w.span = (w.span.0.min(start), w.span.1.max(end));
        }
        i
    }

    /// Adds one call.
    fn add(&mut self, c: &Call<'_>) {
        self.rows += 1;
        if let Some(name) = c.cell.filter(|n| !n.is_empty() && !self.cell_names.contains(*n)) {
            self.cell_names.insert(name.to_string());
        }
        if !c.label.is_empty() && !self.labels.contains(c.label) {
            self.labels.insert(c.label.to_string());
        }
        if !c.source.is_empty() && !self.sources.contains(c.source) {
            self.sources.insert(c.source.to_string());
        }
        let w = self.window_of(c.window_id, c.start, c.start.saturating_add(c.wall));
        if !c.ok {
            return;
        }
        let i = self.wall.len();
        if let Some(acc) = self.windows.get_mut(w as usize) {
            if let Some(g) = c.gross.filter(|g| g.is_finite()) {
                acc.gross = (acc.gross.0 + g, acc.gross.1 + 1);
            }
            if let Some(n) = c.net.filter(|n| n.is_finite()) {
                acc.net = (acc.net.0 + n, acc.net.1 + 1);
            }
        }
        self.wall.push(c.wall as f64);
        self.window.push(w);
        self.cpu.push(c.cpu as f64);
        self.kernel.push(c.kernel.map(|k| k as f64), i);
        self.kernel_energy
            .push(c.kernel_energy.filter(|e| e.is_finite()), i);
        for (col, v) in self.phases.iter_mut().zip(c.phases) {
            col.push(v.map(|v| v as f32), i);
        }
    }
}

/// One call's fields that [`CellCalls`] keeps, borrowed from a row or a CSV record.
struct Call<'a> {
    cell: Option<&'a str>,
    label: &'a str,
    source: &'a str,
    window_id: u64,
    start: u64,
    wall: u64,
    ok: bool,
    cpu: u64,
    kernel: Option<u64>,
    kernel_energy: Option<f64>,
    gross: Option<f64>,
    net: Option<f64>,
    phases: [Option<u64>; 5],
}

/// Every call of a run, by cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCalls {
    /// The cells, in order of first appearance.
    pub cells: Vec<CellCalls>,
    /// Per (function, input): the distinct output digests of its completed calls (ok, or
    /// marked `digest-mismatch`: they ran to the end but printed otherwise).
    pub digests: BTreeMap<(String, String), BTreeSet<String>>,
    /// Rows read.
    pub rows: usize,
    /// (label, source) of the first row with an energy label.
    pub first_label: Option<(String, String)>,
    index: HashMap<(String, String, String, String, u32), usize>,
    last: Option<usize>,
}

impl RunCalls {
    /// The cells' columns built from rows.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a CallRow>) -> RunCalls {
        let mut run = RunCalls::default();
        for r in rows {
            run.add(
                (
                    &r.machine,
                    &r.function,
                    &r.input,
                    r.runtime.as_str(),
                    r.concurrency,
                ),
                &Call {
                    cell: Some(&r.cell),
                    label: label_str(r.energy_label),
                    source: &r.energy_source,
                    window_id: r.window_id,
                    start: r.start_unix_ns,
                    wall: r.wall_ns,
                    ok: r.ok,
                    cpu: r.cpu_user_ns.saturating_add(r.cpu_system_ns),
                    kernel: r.kernel_ns,
                    kernel_energy: r.kernel_energy_j,
                    gross: r.energy_gross_j,
                    net: r.energy_net_j,
                    phases: [
                        r.compile_ns,
                        r.instantiate_ns,
                        r.execute_ns,
                        r.teardown_ns,
                        r.spawn_to_exit_ns,
                    ],
                },
                (&r.output_digest, &r.error_kind),
            );
        }
        run
    }

    /// Whether the run has no call.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The machines of the run's cells, in order of first appearance.
    pub fn machines(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.cells {
            if !out.contains(&c.machine.as_str()) {
                out.push(&c.machine);
            }
        }
        out
    }

    fn add(&mut self, key: (&str, &str, &str, &str, u32), c: &Call<'_>, (digest, error_kind): (&str, &str)) {
        self.rows += 1;
        if self.first_label.is_none() && !c.label.is_empty() {
            self.first_label = Some((c.label.to_string(), c.source.to_string()));
        }
        let same = |cell: &CellCalls| {
            (
                cell.machine.as_str(),
                cell.function.as_str(),
                cell.input.as_str(),
                cell.runtime.as_str(),
                cell.concurrency,
            ) == key
        };
        let i = match self.last.filter(|&i| self.cells.get(i).is_some_and(same)) {
            Some(i) => i,
            None => {
                let owned = (
                    key.0.to_string(),
                    key.1.to_string(),
                    key.2.to_string(),
                    key.3.to_string(),
                    key.4,
                );
                let next = self.cells.len();
                let i = *self.index.entry(owned).or_insert(next);
                if i == next {
                    self.cells.push(CellCalls {
                        machine: key.0.to_string(),
                        function: key.1.to_string(),
                        input: key.2.to_string(),
                        runtime: key.3.to_string(),
                        concurrency: key.4,
                        first_line: self.rows + 1,
                        ..CellCalls::default()
                    });
                }
                i
            }
        };
        self.last = Some(i);
        if let Some(cell) = self.cells.get_mut(i) {
            cell.add(c);
        }
        if c.ok || error_kind == "digest-mismatch" {
            let k = (key.1.to_string(), key.2.to_string());
            let set = self.digests.entry(k).or_default();
            if !set.contains(digest) {
                set.insert(digest.to_string());
            }
        }
    }

    /// Reads `calls.csv` at `path` in one pass, keeping only the columns the statistics and
    /// charts need; `progress` is told the bytes read so far. A row that does not parse is an
    /// error naming the file, the line and the column.
    pub fn read_csv(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<RunCalls> {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut counted = Counted {
            inner: std::io::BufReader::with_capacity(1 << 20, file),
            read: 0,
        };
        let mut rdr = csv::ReaderBuilder::new().from_reader(&mut counted);
        let headers = rdr
            .byte_headers()
            .with_context(|| format!("cannot read the header of {}", path.display()))?
            .clone();
        let col = |name: &str| -> Result<usize> {
            headers.iter().position(|h| h == name.as_bytes()).ok_or_else(|| {
                anyhow!(
                    "{}: no `{name}` column: is it a Nebula calls.csv? (its columns are listed in docs/columns.md)",
                    path.display()
                )
            })
        };
        let cols = Columns {
            // Older runs have no `machine` column: one machine, unnamed.
            machine: col("machine").ok(),
            function: col("function")?,
            input: col("input")?,
            runtime: col("runtime")?,
            concurrency: col("concurrency")?,
            cell: col("cell")?,
            start: col("start_unix_ns")?,
            wall: col("wall_ns")?,
            phases: [
                col("compile_ns")?,
                col("instantiate_ns")?,
                col("execute_ns")?,
                col("teardown_ns")?,
                col("spawn_to_exit_ns")?,
            ],
            kernel: col("kernel_ns")?,
            cpu_user: col("cpu_user_ns")?,
            cpu_system: col("cpu_system_ns")?,
            gross: col("energy_gross_j")?,
            net: col("energy_net_j")?,
            kernel_energy: col("kernel_energy_j")?,
            source: col("energy_source")?,
            label: col("energy_label")?,
            window_id: col("window_id")?,
            digest: col("output_digest")?,
            ok: col("ok")?,
            error_kind: col("error_kind")?,
        };
        let mut run = RunCalls::default();
        let mut rec = csv::ByteRecord::new();
        let mut line = 1usize;
        loop {
            let more = rdr
                .read_byte_record(&mut rec)
                .map_err(|e| anyhow!("{}: line {}: {e}", path.display(), line + 1))?;
            if !more {
                break;
            }
            line += 1;
            cols.add(&mut run, &rec)
                .map_err(|e| anyhow!("{}: line {line}: {e}", path.display()))?;
            if line.is_multiple_of(65_536) {
                progress(rdr.get_ref().read);
            }
        }
        progress(rdr.get_ref().read);
        Ok(run)
    }
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Positions of the columns read.
struct Columns {
    machine: Option<usize>,
    function: usize,
    input: usize,
    runtime: usize,
    concurrency: usize,
    cell: usize,
    start: usize,
    wall: usize,
    phases: [usize; 5],
    kernel: usize,
    cpu_user: usize,
    cpu_system: usize,
    gross: usize,
    net: usize,
    kernel_energy: usize,
    source: usize,
    label: usize,
    window_id: usize,
    digest: usize,
    ok: usize,
    error_kind: usize,
}

/// The text of field `i`.
fn text<'r>(rec: &'r csv::ByteRecord, i: usize, name: &str) -> Result<&'r str> {
    let raw = rec
        .get(i)
        .ok_or_else(|| anyhow!("the row has no `{name}` field"))?;
    std::str::from_utf8(raw).map_err(|_| anyhow!("`{name}` is not UTF-8 text"))
}

/// Field `i` parsed, `None` when empty.
fn opt<T: std::str::FromStr>(rec: &csv::ByteRecord, i: usize, name: &str) -> Result<Option<T>> {
    let t = text(rec, i, name)?;
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| anyhow!("`{name}` is `{t}`, not a number"))
}

/// Field `i` parsed; an empty one is an error.
fn req<T: std::str::FromStr>(rec: &csv::ByteRecord, i: usize, name: &str) -> Result<T> {
    opt(rec, i, name)?.ok_or_else(|| anyhow!("`{name}` is empty"))
}

impl Columns {
    fn add(&self, run: &mut RunCalls, rec: &csv::ByteRecord) -> Result<()> {
        let ok = match text(rec, self.ok, "ok")? {
            "true" => true,
            "false" => false,
            other => return Err(anyhow!("`ok` is `{other}`, not true or false")),
        };
        let cpu: u64 = req::<u64>(rec, self.cpu_user, "cpu_user_ns")?.saturating_add(req(
            rec,
            self.cpu_system,
            "cpu_system_ns",
        )?);
        let [c, i, x, t, s] = self.phases;
        let call = Call {
            cell: Some(text(rec, self.cell, "cell")?),
            label: text(rec, self.label, "energy_label")?,
            source: text(rec, self.source, "energy_source")?,
            window_id: req(rec, self.window_id, "window_id")?,
            start: req(rec, self.start, "start_unix_ns")?,
            wall: req(rec, self.wall, "wall_ns")?,
            ok,
            cpu,
            kernel: opt(rec, self.kernel, "kernel_ns")?,
            kernel_energy: opt(rec, self.kernel_energy, "kernel_energy_j")?,
            gross: opt(rec, self.gross, "energy_gross_j")?,
            net: opt(rec, self.net, "energy_net_j")?,
            phases: [
                opt(rec, c, "compile_ns")?,
                opt(rec, i, "instantiate_ns")?,
                opt(rec, x, "execute_ns")?,
                opt(rec, t, "teardown_ns")?,
                opt(rec, s, "spawn_to_exit_ns")?,
            ],
        };
        let key = (
            match self.machine {
                Some(m) => text(rec, m, "machine")?,
                None => "",
            },
            text(rec, self.function, "function")?,
            text(rec, self.input, "input")?,
            text(rec, self.runtime, "runtime")?,
            req(rec, self.concurrency, "concurrency")?,
        );
        let digest = (
            text(rec, self.digest, "output_digest")?,
            text(rec, self.error_kind, "error_kind")?,
        );
        run.add(key, &call, digest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_columns_cost_nothing_until_a_value_comes() {
        let mut s: Sparse<f64> = Sparse::default();
        s.push(None, 0);
        s.push(None, 1);
        assert!(s.0.is_empty());
        s.push(Some(5.0), 2);
        s.push(None, 3);
        assert_eq!(s.0.len(), 4);
        assert_eq!((s.get(1), s.get(2), s.get(3)), (None, Some(5.0), None));
        assert_eq!(s.present().collect::<Vec<_>>(), vec![5.0]);
    }
}

//! Standard output and error that may be closed pipes (`nebula report RUN --markdown | head -3`):
//! a write that fails ends what a command prints there, never the command (and never with a
//! panic, as `println!` and `eprintln!` do); the files a command writes are written all the
//! same. [`crate::outln!`], [`crate::out!`] and [`crate::errln!`] print like `println!`,
//! `print!` and `eprintln!` through it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: later output is dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr failed.
static ERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes; after a failed write (a closed pipe, a full disk),
/// drops this and every later write.
pub fn write(bytes: &[u8]) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes `bytes` to stderr; after a failed write, drops this and every later write.
pub fn write_err(bytes: &[u8]) {
    if ERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    if err.write_all(bytes).and_then(|()| err.flush()).is_err() {
        ERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether stdout has refused a write (its reader went away).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `println!` to stdout through [`write`]: a closed pipe drops the line instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::stdout::write(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}

/// `print!` to stdout through [`write`]: a closed pipe drops the text instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(format!($($arg)*).as_bytes())
    };
}

/// `eprintln!` to stderr through [`write_err`]: a closed pipe drops the line instead of panicking.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::stdout::write_err(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}

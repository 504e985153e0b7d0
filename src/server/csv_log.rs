//! The server's calls.csv: one writer thread fed through a channel, writing [`CallRow`]s in the
//! schema of the orchestrator's `calls.csv` and flushing as soon as its queue is empty (after
//! every row unless a burst is queued), so that a killed server leaves only whole rows and
//! `nebula plot` can draw a serving session.

use crate::record::CallRow;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

enum Msg {
    Row(Arc<CallRow>),
    Close(tokio::sync::oneshot::Sender<()>),
}

/// The handle the server keeps: sending never blocks the caller.
pub struct CsvLog {
    path: PathBuf,
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
}

impl CsvLog {
    /// Create `path` (and its folder) and start the writer thread.
    pub fn open(path: &Path) -> Result<CsvLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        let file = std::fs::File::create(path).with_context(|| {
            format!(
                "cannot create the calls CSV {}: choose another with --csv",
                path.display()
            )
        })?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let shown = path.display().to_string();
        std::thread::Builder::new()
            .name("nebula-csv".into())
            .spawn(move || writer(file, rx, &shown))
            .context("cannot start the CSV writer thread")?;
        Ok(CsvLog {
            path: path.to_path_buf(),
            tx: Mutex::new(Some(tx)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queue a row; it is written and flushed by the writer thread.
    pub fn append(&self, row: Arc<CallRow>) {
        let guard = self.tx.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(tx) if tx.send(Msg::Row(row)).is_ok() => {}
            _ => tracing::warn!("calls CSV closed: a row was dropped"),
        }
    }

    /// Write what is queued, flush and stop the writer.
    pub async fn close(&self) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(tx) = tx {
            let (done, wait) = tokio::sync::oneshot::channel();
            if tx.send(Msg::Close(done)).is_ok() {
                let _ = wait.await;
            }
        }
    }
}

fn writer(file: std::fs::File, rx: mpsc::Receiver<Msg>, path: &str) {
    let mut w = csv::Writer::from_writer(file);
    let mut failed = false;
    // Rows are written as they come; the buffer is flushed whenever the queue is empty (so
    // after every row when calls are sparse, after a burst under load), and only whole rows
    // ever reach the file.
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Row(row) => {
                    if let Err(e) = w.serialize(&*row) {
                        report(&mut failed, path, &e);
                    }
                }
                Msg::Close(done) => {
                    if let Err(e) = w.flush() {
                        report(&mut failed, path, &e.into());
                    }
                    let _ = done.send(());
                    return;
                }
            }
            next = rx.try_recv().ok();
        }
        if let Err(e) = w.flush() {
            report(&mut failed, path, &e.into());
        }
    }
    let _ = w.flush();
}

fn report(failed: &mut bool, path: &str, e: &csv::Error) {
    if !*failed {
        tracing::error!("cannot write the calls CSV {path}: {e}");
    }
    *failed = true;
}

//! The server's calls.csv: one writer thread fed through a channel, writing [`CallRow`]s in the
//! schema of the orchestrator's `calls.csv` and flushing as soon as its queue is empty (after
//! every row unless a burst is queued), so that a killed server leaves only whole rows and
//! `nebula plot` can draw a serving session. An existing file is appended to, never
//! truncated: a restarted server adds its calls after the last session's.

use crate::results::call::CallRow;
use anyhow::{Context, Result};
use std::io::Write;
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
    /// Open `path` for appending (creating it and its folder, with the header line, when it
    /// is new or empty) and start the writer thread. A file that is not a calls CSV of this
    /// schema is refused, not overwritten.
    pub fn open(path: &Path) -> Result<CsvLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .with_context(|| {
                format!(
                    "cannot open the calls CSV {} for appending: choose another with --csv",
                    path.display()
                )
            })?;
        let header = crate::results::files::header_line::<CallRow>()?;
        let existing =
            first_line(&mut file).with_context(|| format!("cannot read the calls CSV {}", path.display()))?;
        match existing {
            None => file
                .write_all(&header)
                .and_then(|()| file.flush())
                .with_context(|| format!("cannot write the calls CSV {}", path.display()))?,
            Some(line) if line.as_bytes() == header.as_slice() => {}
            Some(_) => anyhow::bail!(
                "{} exists and is not a calls CSV of this Nebula version (its first line is not the calls.csv header): choose another file with --csv, or move it away",
                path.display()
            ),
        }
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

    /// The CSV file written to.
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

/// The file's first line with its line ending, or `None` when the file is empty.
fn first_line(file: &mut std::fs::File) -> std::io::Result<Option<String>> {
    use std::io::{BufRead, Seek};
    file.seek(std::io::SeekFrom::Start(0))?;
    let mut line = String::new();
    let n = std::io::BufReader::new(&*file).read_line(&mut line)?;
    Ok((n > 0).then_some(line))
}

fn writer(file: std::fs::File, rx: mpsc::Receiver<Msg>, path: &str) {
    // The header is already in the file: rows only.
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(file);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write_rows(path: &Path, functions: &[&str]) {
        let log = CsvLog::open(path).expect("open");
        for f in functions {
            log.append(Arc::new(CallRow {
                function: (*f).to_string(),
                ..CallRow::default()
            }));
        }
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(log.close());
    }

    fn functions(path: &Path) -> Vec<String> {
        let mut r = csv::Reader::from_path(path).expect("read");
        r.deserialize::<CallRow>()
            .map(|row| row.expect("a whole row").function)
            .collect()
    }

    #[test]
    fn a_new_file_gets_its_header_and_a_restart_appends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("serve").join("calls.csv");
        write_rows(&path, &[]);
        let text = std::fs::read_to_string(&path).expect("read");
        let header = crate::results::files::header_line::<CallRow>().expect("header");
        assert_eq!(text.as_bytes(), header.as_slice(), "a session without calls");
        assert!(text.starts_with("run_id,cell,function,"), "{text}");
        write_rows(&path, &["a", "b"]);
        write_rows(&path, &["c"]);
        assert_eq!(functions(&path), vec!["a", "b", "c"]);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.matches(",function,").count(), 1, "one header: {text}");
    }

    #[test]
    fn a_file_that_is_not_a_calls_csv_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("my-data.txt");
        std::fs::write(&path, "my,own,data\n1,2,3\n").expect("write");
        let err = CsvLog::open(&path).err().expect("refused");
        let msg = format!("{err:#}");
        assert!(msg.contains("not a calls CSV") && msg.contains("--csv"), "{msg}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "my,own,data\n1,2,3\n"
        );
    }
}

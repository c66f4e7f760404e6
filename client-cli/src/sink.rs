//! Where pulled data goes: standard output, or a file written atomically (a
//! temp file in the same directory, fsync, rename), so a reader never sees a
//! half-written file and an interrupted pull leaves the old file untouched.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

pub enum Sink {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        path: PathBuf,
        tmp: BufWriter<tempfile::NamedTempFile>,
    },
}

impl Sink {
    pub fn open(path: Option<&Path>) -> Result<Sink, CliError> {
        let Some(path) = path else {
            return Ok(Sink::Stdout(BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout(),
            )));
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".isacx-pull-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| fail(path, &e))?;
        Ok(Sink::File {
            path: path.to_path_buf(),
            tmp: BufWriter::with_capacity(256 * 1024, tmp),
        })
    }

    /// Whether a page is durable once flushed (standard output), or only once
    /// the whole file is renamed into place.
    pub fn durable_per_page(&self) -> bool {
        matches!(self, Sink::Stdout(_))
    }

    pub fn name(&self) -> Option<String> {
        match self {
            Sink::Stdout(_) => None,
            Sink::File { path, .. } => Some(path.display().to_string()),
        }
    }

    fn label(&self) -> String {
        self.name().unwrap_or_else(|| "stdout".to_owned())
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        let r = match self {
            Sink::Stdout(w) => w.write_all(bytes),
            Sink::File { tmp, .. } => tmp.write_all(bytes),
        };
        r.map_err(|e| CliError::OutputFailed {
            path: self.label(),
            detail: e.to_string(),
        })
    }

    /// End of a page: on standard output, everything so far is handed to the
    /// reader (and synced when it is a regular file).
    pub fn end_page(&mut self) -> Result<(), CliError> {
        if let Sink::Stdout(w) = self {
            let label = "stdout".to_owned();
            w.flush().map_err(|e| CliError::OutputFailed {
                path: label.clone(),
                detail: e.to_string(),
            })?;
            sync_stdout();
        }
        Ok(())
    }

    /// Flush, fsync and rename into place.
    pub fn finish(self) -> Result<(), CliError> {
        match self {
            Sink::Stdout(mut w) => {
                w.flush().map_err(|e| CliError::OutputFailed {
                    path: "stdout".to_owned(),
                    detail: e.to_string(),
                })?;
                sync_stdout();
                Ok(())
            }
            Sink::File { path, tmp } => {
                let tmp = tmp.into_inner().map_err(|e| fail(&path, e.error()))?;
                tmp.as_file().sync_all().map_err(|e| fail(&path, &e))?;
                tmp.persist(&path).map_err(|e| fail(&path, &e.error))?;
                // The rename itself is durable once the directory is synced.
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                Ok(())
            }
        }
    }
}

fn fail(path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::OutputFailed {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// When standard output is a regular file, make what was written durable;
/// pipes and terminals have nothing to sync.
#[cfg(unix)]
fn sync_stdout() {
    use std::os::fd::AsFd;
    if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
        let file = std::fs::File::from(fd);
        if file.metadata().is_ok_and(|m| m.is_file()) {
            let _ = file.sync_data();
        }
    }
}

#[cfg(not(unix))]
fn sync_stdout() {}

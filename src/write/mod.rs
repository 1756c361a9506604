//! The only module that touches the output folder.
//!
//! blueprint owns exactly the files listed in the folder's manifest
//! (`.blueprint-manifest.json`), each with the hash of the bytes it wrote.
//! Files not in the manifest are never touched.
//!
//! Files are written as they are rendered, without holding every file's
//! bytes: [`Stage::new`] checks the paths and reads the manifest, then
//! [`Stage::stage`], called on the rendering threads, hashes one file,
//! compares it with the disk and (for `render`) writes it into a staging
//! folder inside the output folder, keeping only a small [`Staged`]
//! record. [`finish`] then decides with every record at hand: it refuses
//! (without `force`) to overwrite or remove an owned file edited by hand,
//! or to overwrite a file it does not own, and a refusal writes nothing
//! (the staging folder goes with the [`Stage`]). Otherwise it renames the
//! staged files into place, removes owned files no longer generated and
//! writes the manifest last. [`changes`] and [`diff`] report what `finish`
//! would do, for `check` and `diff`.

mod atomic;
mod compare;
mod diff;
mod finish;
mod manifest;
mod stage;

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use diff::FileDiff;
pub use finish::{changes, diff, finish};
pub use manifest::MANIFEST;
pub use stage::{Mode, Stage, Staged};

/// What `finish` did, by relative path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or overwritten.
    pub written: Vec<String>,
    /// Generated files already holding the right bytes (not rewritten).
    pub unchanged: Vec<String>,
    /// Owned files no longer generated, deleted.
    pub removed: Vec<String>,
}

impl fmt::Display for WriteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written, {} unchanged, {} removed",
            self.written.len(),
            self.unchanged.len(),
            self.removed.len()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Generated, not on disk yet.
    Added,
    /// On disk with other bytes than generated.
    Modified,
    /// Owned by blueprint, no longer generated.
    Removed,
}

/// One file `finish` would change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

impl fmt::Display for Change {
    /// `added    prod/main.tf`, as `check` lists it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ChangeKind::Added => "added",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
        };
        write!(f, "{kind:<9}{}", self.path)
    }
}

#[derive(Debug)]
pub enum WriteError {
    /// Owned files whose bytes differ from what blueprint wrote.
    HandEdited {
        paths: Vec<String>,
    },
    /// Files blueprint would overwrite but did not write.
    NotOwned {
        paths: Vec<String>,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// A generated path that could escape or confuse the output folder.
    BadPath {
        path: String,
        reason: &'static str,
    },
    /// A manifest blueprint cannot read; nothing is touched.
    BadManifest {
        path: PathBuf,
        message: String,
    },
}

impl WriteError {
    /// The process exit status for this error: bad input or refusal.
    pub fn code(&self) -> u8 {
        2
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::HandEdited { paths } => write!(
                f,
                "these files were edited by hand since blueprint wrote them: {}; \
                 run `blueprint diff` to see what render would change, or pass --force to overwrite",
                paths.join(", ")
            ),
            WriteError::NotOwned { paths } => write!(
                f,
                "these files already exist and were not written by blueprint: {}; \
                 move them away, or pass --force to overwrite them",
                paths.join(", ")
            ),
            WriteError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            WriteError::BadPath { path, reason } => {
                write!(f, "refusing to write output path `{path}`: {reason}")
            }
            WriteError::BadManifest { path, message } => write!(
                f,
                "{}: not a blueprint manifest ({message}); fix or delete it, \
                 then render again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Checks that `path` is a plain relative `/`-separated path inside the
/// output folder.
fn check_path(path: &str) -> Result<(), WriteError> {
    let bad = |reason| {
        Err(WriteError::BadPath {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return bad("it is empty");
    }
    if path.starts_with('/') {
        return bad("it is absolute");
    }
    if path.contains('\\') {
        return bad("it contains a backslash");
    }
    if path.contains('\0') {
        return bad("it contains a NUL byte");
    }
    for component in path.split('/') {
        match component {
            "" => return bad("it has an empty component"),
            "." | ".." => return bad("it has a `.` or `..` component"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks every generated path, and that none is the manifest or a
/// parent of another (`a` a file and `a/b` a file cannot both be).
pub fn check_paths(paths: &BTreeSet<String>) -> Result<(), WriteError> {
    for path in paths {
        check_path(path)?;
        if path == MANIFEST {
            return Err(WriteError::BadPath {
                path: path.clone(),
                reason: "it is the manifest's own name",
            });
        }
        let mut prefix = path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if paths.contains(parent) {
                return Err(WriteError::BadPath {
                    path: path.clone(),
                    reason: "a parent of it is also a generated file",
                });
            }
            prefix = parent;
        }
    }
    Ok(())
}

fn disk_path(out_dir: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(out_dir.to_path_buf(), |p, c| p.join(c))
}

/// The current bytes of a file, None if it does not exist.
fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WriteError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// `WriteError::Io` for `path`, as a `map_err` argument.
fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests;

//! The only module that touches the output folder. See docs/writer.md
//! for what it guarantees.
//!
//! blueprint owns exactly the files listed in a manifest it wrote
//! (`.blueprint-manifest.json`, `manifest.rs`), each with the hash of the
//! bytes it wrote, for one target. Files not in the manifest are never
//! deleted, nor overwritten without `force`.
//!
//! Every path is reached from the folder's descriptor without following a
//! link (`root.rs`); a render holds the folder's lock throughout
//! (`lock.rs`), and first finishes or undoes a switch a killed render
//! left (`journal.rs`).
//!
//! Files are written as they are rendered, without holding every file's
//! bytes: [`Stage::new`] checks the paths, locks, recovers and reads the
//! manifest, then [`Stage::stage`], called on the rendering threads,
//! hashes one file, compares it with the disk and (for `render`) writes
//! it into a staging folder inside the output folder, keeping only a
//! small [`Staged`] record. [`finish`] then decides with every record at
//! hand: it refuses (without `force`) to overwrite or remove an owned file
//! edited by hand, or to overwrite a file it does not own, and a refusal
//! writes nothing (the staging folder goes with the [`Stage`]). Otherwise
//! it switches the folder to the staged files, the manifest last, all or
//! nothing. [`changes`] and [`diff`] report what `finish` would do, for
//! `check` and `diff`.

mod compare;
mod diff;
mod fault;
mod finish;
mod journal;
mod lock;
mod manifest;
mod root;
mod stage;

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::PathBuf;

pub use diff::FileDiff;
pub use finish::{changes, diff, finish, Diff};
pub use journal::STAGING_PREFIX;
pub use lock::LOCK_FILE;
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
    /// Owned files no longer generated but edited by hand: left in place
    /// (`--force`), no longer owned.
    pub kept: Vec<String>,
}

impl fmt::Display for WriteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written, {} unchanged, {} removed",
            self.written.len(),
            self.unchanged.len(),
            self.removed.len()
        )?;
        if !self.kept.is_empty() {
            write!(
                f,
                "; left in place, edited by hand and no longer generated: {}",
                self.kept.join(", ")
            )?;
        }
        Ok(())
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
    HandEdited { paths: Vec<String> },
    /// Files blueprint would overwrite but did not write.
    NotOwned { paths: Vec<String> },
    /// An operation on the disk failed; `what` names the user's path.
    Io { what: String, source: io::Error },
    /// A generated path that could escape or confuse the output folder.
    BadPath { path: String, reason: &'static str },
    /// A manifest blueprint cannot read; nothing is touched.
    BadManifest { path: PathBuf, message: String },
    /// A blueprint manifest blueprint did not write as it stands.
    UntrustedManifest { path: PathBuf, why: String },
    /// A symbolic link inside the output folder, on a path blueprint
    /// would read, write or delete.
    Symlink { path: PathBuf },
    /// A file (or something else) where a folder is needed.
    FileInTheWay { path: PathBuf },
    /// Not a regular file (a folder, FIFO, device) at a file's path.
    NotAFile { path: PathBuf },
    /// `--out` names a file.
    NotAFolder { path: PathBuf },
    /// Another blueprint holds the folder's lock.
    Busy { path: PathBuf, pid: Option<u32> },
    /// The folder was rendered for another target.
    OtherTarget {
        path: PathBuf,
        found: String,
        wanted: String,
        /// `render` (not `check`, `diff`) can take the folder over.
        force_helps: bool,
    },
    /// A killed render left a switch half done (`check`, `diff`).
    Interrupted { path: PathBuf },
    /// A journal blueprint cannot read; nothing is touched.
    BadJournal { path: PathBuf, message: String },
    /// A failed switch could not be undone either.
    UndoFailed {
        first: Box<WriteError>,
        undo: Box<WriteError>,
        staging: PathBuf,
    },
}

impl WriteError {
    pub fn io(what: impl Into<String>, source: io::Error) -> WriteError {
        WriteError::Io {
            what: what.into(),
            source,
        }
    }

    /// The process exit status for this error: 1 when the folder is
    /// simply not up to date (`check` on an interrupted render), else 2
    /// (bad input, an unsafe folder, a refusal).
    pub fn code(&self) -> u8 {
        match self {
            WriteError::Interrupted { .. } => 1,
            _ => 2,
        }
    }
}

/// An OS error in words, without `(os error N)`.
fn plain(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::StorageFull => "no space left on the device".into(),
        io::ErrorKind::QuotaExceeded => "the disk quota is exceeded".into(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        io::ErrorKind::NotFound => "it does not exist".into(),
        io::ErrorKind::CrossesDevices => {
            "it is on another file system than the output folder".into()
        }
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
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
            WriteError::Io { what, source } => write!(f, "{what}: {}", plain(source)),
            WriteError::BadPath { path, reason } => {
                write!(f, "refusing to write output path `{path}`: {reason}")
            }
            WriteError::BadManifest { path, message } => write!(
                f,
                "{}: not a blueprint manifest ({message}); fix or delete it, \
                 then render again",
                path.display()
            ),
            WriteError::UntrustedManifest { path, why } => write!(
                f,
                "{}: blueprint did not write this manifest as it stands ({why}), so it will not \
                 delete or overwrite the files it lists; `blueprint render --force` writes a new \
                 one and leaves files no longer generated in place",
                path.display()
            ),
            WriteError::Symlink { path } => write!(
                f,
                "{} is a symbolic link; blueprint never follows links inside the output folder \
                 (one could send a write or a delete anywhere): replace it with a real folder or file",
                path.display()
            ),
            WriteError::FileInTheWay { path } => write!(
                f,
                "{} is a file, but a generated file needs a folder there; move it away",
                path.display()
            ),
            WriteError::NotAFile { path } => write!(
                f,
                "{} is not a regular file, but blueprint generates a file there; move it away",
                path.display()
            ),
            WriteError::NotAFolder { path } => write!(
                f,
                "{} is a file, not a folder: --out must name a folder (it is created if missing)",
                path.display()
            ),
            WriteError::Busy { path, pid } => {
                write!(f, "{}: another blueprint ", path.display())?;
                match pid {
                    Some(pid) => write!(f, "(pid {pid}) is rendering into it")?,
                    None => write!(f, "command is using it")?,
                }
                write!(f, "; wait for it to finish, then run this again")
            }
            WriteError::OtherTarget {
                path,
                found,
                wanted,
                force_helps,
            } => {
                write!(
                    f,
                    "{} holds the {found} render (its manifest says so), not {wanted}; \
                     use another --out",
                    path.display()
                )?;
                if *force_helps {
                    write!(
                        f,
                        ", or pass --force to replace the {found} files with the {wanted} ones"
                    )?;
                }
                Ok(())
            }
            WriteError::Interrupted { path } => write!(
                f,
                "{}: a render was interrupted while it switched files; \
                 run `blueprint render` to finish or undo it",
                path.display()
            ),
            WriteError::BadJournal { path, message } => write!(
                f,
                "{}: not a journal blueprint wrote ({message}); look at the folder it is in, \
                 then delete that folder and render again",
                path.display()
            ),
            WriteError::UndoFailed {
                first,
                undo,
                staging,
            } => write!(
                f,
                "{first}; undoing the render failed too ({undo}); the undo is recorded in {}: \
                 fix the cause and run `blueprint render` again to finish it",
                staging.display()
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
    // The manifest, the lock's pid file, the staging folders.
    if path.starts_with(".blueprint-") {
        return bad("`.blueprint-*` at the top are blueprint's own files");
    }
    Ok(())
}

/// Checks every generated path, and that none is a parent of another
/// (`a` a file and `a/b` a file cannot both be).
pub fn check_paths(paths: &BTreeSet<String>) -> Result<(), WriteError> {
    for path in paths {
        check_path(path)?;
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

#[cfg(test)]
mod tests;

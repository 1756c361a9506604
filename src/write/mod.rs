//! The only module that touches the output folder.
//!
//! blueprint owns exactly the files listed in the folder's manifest
//! (`.blueprint-manifest.json`), each with the hash of the bytes it wrote.
//! `write` decides everything before it acts, so a refusal writes nothing:
//! it refuses (without `force`) to overwrite or remove an owned file edited
//! by hand, or to overwrite a file it does not own. Files not in the
//! manifest are never touched. `changes` and `diff` report what `write`
//! would do, for `check` and `diff`.

mod atomic;
mod diff;
mod manifest;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use manifest::MANIFEST;
use manifest::{sha256_hex, Manifest};

/// Every generated file: relative `/`-separated path -> bytes.
pub type Rendered = BTreeMap<String, Vec<u8>>;

/// What `write` did, by relative path.
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

/// One file `write` would change.
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

fn check_paths(files: &Rendered) -> Result<(), WriteError> {
    for path in files.keys() {
        check_path(path)?;
        if path == MANIFEST {
            return Err(WriteError::BadPath {
                path: path.clone(),
                reason: "it is the manifest's own name",
            });
        }
        // `a` a file and `a/b` a file cannot both be.
        let mut prefix = path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if files.contains_key(parent) {
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

/// What `write` would do, decided before anything is touched.
struct Plan {
    manifest: Manifest,
    /// The manifest to write afterwards.
    next: Manifest,
    /// Files to write, with their current bytes (None: absent).
    writes: Vec<(String, Option<Vec<u8>>)>,
    unchanged: Vec<String>,
    /// Owned files to delete, with their current bytes.
    removals: Vec<(String, Vec<u8>)>,
    hand_edited: Vec<String>,
    not_owned: Vec<String>,
}

fn plan(out_dir: &Path, files: &Rendered) -> Result<Plan, WriteError> {
    check_paths(files)?;
    let manifest = Manifest::load(out_dir)?;
    let mut plan = Plan {
        next: Manifest::new(
            files
                .iter()
                .map(|(p, bytes)| (p.clone(), sha256_hex(bytes)))
                .collect(),
        ),
        manifest,
        writes: Vec::new(),
        unchanged: Vec::new(),
        removals: Vec::new(),
        hand_edited: Vec::new(),
        not_owned: Vec::new(),
    };
    for (path, new) in files {
        let current = read_existing(&disk_path(out_dir, path))?;
        match &current {
            // Same bytes: nothing to write, whoever wrote them (adopted).
            Some(cur) if cur == new => {
                plan.unchanged.push(path.clone());
                continue;
            }
            Some(cur) => match plan.manifest.files.get(path) {
                Some(hash) if *hash != sha256_hex(cur) => plan.hand_edited.push(path.clone()),
                Some(_) => {}
                None => plan.not_owned.push(path.clone()),
            },
            None => {}
        }
        plan.writes.push((path.clone(), current));
    }
    for (path, hash) in &plan.manifest.files {
        if files.contains_key(path) {
            continue;
        }
        // An owned file already gone just leaves the manifest.
        if let Some(cur) = read_existing(&disk_path(out_dir, path))? {
            if *hash != sha256_hex(&cur) {
                plan.hand_edited.push(path.clone());
            }
            plan.removals.push((path.clone(), cur));
        }
    }
    plan.hand_edited.sort();
    Ok(plan)
}

/// Writes `files` into `out_dir` (created if missing), removes owned files
/// no longer generated, and records ownership in the manifest, written
/// last. Refuses, writing nothing, if that would overwrite or delete a hand
/// edit or overwrite a file blueprint does not own, unless `force`.
pub fn write(out_dir: &Path, files: &Rendered, force: bool) -> Result<WriteReport, WriteError> {
    let plan = plan(out_dir, files)?;
    if !force {
        if !plan.hand_edited.is_empty() {
            return Err(WriteError::HandEdited {
                paths: plan.hand_edited,
            });
        }
        if !plan.not_owned.is_empty() {
            return Err(WriteError::NotOwned {
                paths: plan.not_owned,
            });
        }
    }
    check_parents_are_folders(out_dir, &plan)?;

    let io = |path: PathBuf| move |source| WriteError::Io { path, source };
    let mut report = WriteReport {
        unchanged: plan.unchanged.clone(),
        ..WriteReport::default()
    };
    for (path, _) in &plan.writes {
        let target = disk_path(out_dir, path);
        atomic::write_file(&target, &files[path]).map_err(io(target.clone()))?;
        report.written.push(path.clone());
    }
    for (path, _) in &plan.removals {
        let target = disk_path(out_dir, path);
        std::fs::remove_file(&target).map_err(io(target.clone()))?;
        remove_empty_parents(out_dir, &target);
        report.removed.push(path.clone());
    }
    let manifest_path = out_dir.join(MANIFEST);
    let bytes = plan.next.to_bytes();
    if read_existing(&manifest_path)?.as_deref() != Some(bytes.as_slice()) {
        atomic::write_file(&manifest_path, &bytes).map_err(io(manifest_path.clone()))?;
    }
    Ok(report)
}

/// Fails before any write if a folder a file needs is taken by a file.
fn check_parents_are_folders(out_dir: &Path, plan: &Plan) -> Result<(), WriteError> {
    let mut dirs: Vec<&Path> = vec![out_dir];
    let targets: Vec<PathBuf> = plan
        .writes
        .iter()
        .map(|(p, _)| disk_path(out_dir, p))
        .collect();
    for target in &targets {
        dirs.extend(
            target
                .ancestors()
                .skip(1)
                .take_while(|d| d.starts_with(out_dir)),
        );
    }
    for dir in dirs {
        match std::fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => {
                return Err(WriteError::Io {
                    path: dir.to_path_buf(),
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "a file is where a folder is needed",
                    ),
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(WriteError::Io {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(())
}

/// Removes the folders above `removed` that are now empty, up to (not
/// including) `out_dir`. A folder holding anything stays.
fn remove_empty_parents(out_dir: &Path, removed: &Path) {
    for dir in removed.ancestors().skip(1) {
        if dir == out_dir || !dir.starts_with(out_dir) {
            break;
        }
        // remove_dir only removes an empty folder; stop at the first that is not.
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// The files `write` would add, modify or remove, in path order. Empty
/// when the folder matches the render (what `check` tests).
pub fn changes(out_dir: &Path, files: &Rendered) -> Result<Vec<Change>, WriteError> {
    let plan = plan(out_dir, files)?;
    let mut out: Vec<Change> = plan
        .writes
        .iter()
        .map(|(path, current)| Change {
            path: path.clone(),
            kind: if current.is_some() {
                ChangeKind::Modified
            } else {
                ChangeKind::Added
            },
        })
        .chain(plan.removals.iter().map(|(path, _)| Change {
            path: path.clone(),
            kind: ChangeKind::Removed,
        }))
        .collect();
    out.sort();
    Ok(out)
}

/// Unified diffs of every change `write` would make, in path order;
/// `/dev/null` stands for the missing side of added and removed files.
pub fn diff(out_dir: &Path, files: &Rendered) -> Result<String, WriteError> {
    let plan = plan(out_dir, files)?;
    let mut diffs: BTreeMap<&str, String> = BTreeMap::new();
    for (path, current) in &plan.writes {
        let new = &files[path];
        let text = match current {
            Some(cur) => diff::unified(cur, new, &format!("a/{path}"), &format!("b/{path}")),
            None if new.is_empty() => format!("--- /dev/null\n+++ b/{path}\n"),
            None => diff::unified(b"", new, "/dev/null", &format!("b/{path}")),
        };
        diffs.insert(path, text);
    }
    for (path, current) in &plan.removals {
        let text = if current.is_empty() {
            format!("--- a/{path}\n+++ /dev/null\n")
        } else {
            diff::unified(current, b"", &format!("a/{path}"), "/dev/null")
        };
        diffs.insert(path, text);
    }
    Ok(diffs.into_values().collect())
}

#[cfg(test)]
mod tests;

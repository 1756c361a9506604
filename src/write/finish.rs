//! What the staged records come to, decided with all of them at hand:
//! [`finish`] puts the files in place (`render`), [`changes`] lists what it
//! would change (`check`), [`diff`] shows how (`diff`).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::compare::sha256_file;
use super::manifest::Manifest;
use super::stage::{Kept, Status};
use super::{
    atomic, disk_path, io_error, read_existing, Change, ChangeKind, FileDiff, Mode, Stage, Staged,
    WriteError, WriteReport, MANIFEST,
};

/// An owned file no longer generated, still on disk.
struct Removal {
    path: String,
    hand_edited: bool,
    /// `Mode::Diff`: its bytes.
    old: Option<Vec<u8>>,
}

/// The records in path order, one per generated path, and the owned files
/// no longer generated that are still on disk.
///
/// # Panics
///
/// If `staged` is not one record for each path given to [`Stage::new`]:
/// a missing record would read as a file to remove.
fn settle(
    stage: &Stage,
    mut staged: Vec<Staged>,
) -> Result<(Vec<Staged>, Vec<Removal>), WriteError> {
    staged.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(
        staged.iter().map(|s| &s.path).eq(stage.paths.iter()),
        "one record per path given to Stage::new"
    );
    let mut removals = Vec::new();
    for (path, hash) in &stage.manifest.files {
        if stage.paths.contains(path) {
            continue;
        }
        // An owned file already gone just leaves the manifest.
        let target = disk_path(&stage.out_dir, path);
        let Some(current) = sha256_file(&target).map_err(io_error(&target))? else {
            continue;
        };
        let old = match stage.mode {
            Mode::Diff => read_existing(&target)?,
            Mode::Write | Mode::Check => None,
        };
        removals.push(Removal {
            path: path.clone(),
            hand_edited: current != *hash,
            old,
        });
    }
    Ok((staged, removals))
}

/// Puts the staged files in place, removes owned files no longer
/// generated (and the folders they leave empty), and records ownership in
/// the manifest, written last. Refuses, writing nothing, if that would
/// overwrite or delete a hand edit or overwrite a file blueprint does not
/// own, unless `force`.
///
/// # Panics
///
/// If `stage` is not a [`Mode::Write`] stage, or `staged` not one record
/// for each of its paths.
pub fn finish(
    mut stage: Stage,
    staged: Vec<Staged>,
    force: bool,
) -> Result<WriteReport, WriteError> {
    assert_eq!(stage.mode, Mode::Write, "only a Mode::Write stage finishes");
    let (staged, removals) = settle(&stage, staged)?;
    if !force {
        let mut hand_edited: Vec<String> = staged
            .iter()
            .filter(|s| s.status == Status::HandEdited)
            .map(|s| s.path.clone())
            .chain(
                removals
                    .iter()
                    .filter(|r| r.hand_edited)
                    .map(|r| r.path.clone()),
            )
            .collect();
        if !hand_edited.is_empty() {
            hand_edited.sort();
            return Err(WriteError::HandEdited { paths: hand_edited });
        }
        let not_owned: Vec<String> = staged
            .iter()
            .filter(|s| s.status == Status::NotOwned)
            .map(|s| s.path.clone())
            .collect();
        if !not_owned.is_empty() {
            return Err(WriteError::NotOwned { paths: not_owned });
        }
    }
    let out_dir = stage.out_dir.clone();
    check_parents_are_folders(
        &out_dir,
        staged
            .iter()
            .filter(|s| s.status != Status::Unchanged)
            .map(|s| s.path.as_str()),
    )?;

    let mut report = WriteReport::default();
    let mut owned = Manifest::new(Default::default());
    for s in staged {
        match &s.kept {
            Kept::Temp(temp) => {
                let target = disk_path(&out_dir, &s.path);
                if let Some(dir) = target.parent() {
                    fs::create_dir_all(dir).map_err(io_error(dir))?;
                }
                fs::rename(temp, &target).map_err(io_error(&target))?;
                report.written.push(s.path.clone());
            }
            _ => {
                debug_assert_eq!(s.status, Status::Unchanged);
                report.unchanged.push(s.path.clone());
            }
        }
        owned.files.insert(s.path, s.sha256);
    }
    for r in removals {
        let target = disk_path(&out_dir, &r.path);
        fs::remove_file(&target).map_err(io_error(&target))?;
        remove_empty_parents(&out_dir, &target);
        report.removed.push(r.path);
    }
    let manifest_path = out_dir.join(MANIFEST);
    let bytes = owned.to_bytes();
    if read_existing(&manifest_path)?.as_deref() != Some(bytes.as_slice()) {
        atomic::write_file(&manifest_path, &bytes).map_err(io_error(&manifest_path))?;
    }
    stage.keep_out_dir();
    Ok(report)
}

/// Fails before any write if a folder a file needs is taken by a file.
fn check_parents_are_folders<'a>(
    out_dir: &Path,
    paths: impl Iterator<Item = &'a str>,
) -> Result<(), WriteError> {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::from([out_dir.to_path_buf()]);
    for path in paths {
        let target = disk_path(out_dir, path);
        dirs.extend(
            target
                .ancestors()
                .skip(1)
                .take_while(|d| d.starts_with(out_dir))
                .map(Path::to_path_buf),
        );
    }
    for dir in dirs {
        match fs::metadata(&dir) {
            Ok(meta) if !meta.is_dir() => {
                return Err(WriteError::Io {
                    path: dir,
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "a file is where a folder is needed",
                    ),
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(WriteError::Io { path: dir, source }),
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
        if fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// The files `finish` would add, modify or remove, in path order. Empty
/// when the folder matches the render (what `check` tests). Any mode.
pub fn changes(stage: Stage, staged: Vec<Staged>) -> Result<Vec<Change>, WriteError> {
    let (staged, removals) = settle(&stage, staged)?;
    let mut out: Vec<Change> = staged
        .into_iter()
        .filter_map(|s| {
            let kind = match s.status {
                Status::Unchanged => return None,
                Status::Added => ChangeKind::Added,
                Status::Modified | Status::HandEdited | Status::NotOwned => ChangeKind::Modified,
            };
            Some(Change { path: s.path, kind })
        })
        .chain(removals.into_iter().map(|r| Change {
            path: r.path,
            kind: ChangeKind::Removed,
        }))
        .collect();
    out.sort();
    Ok(out)
}

/// Both sides of every file `finish` would change, in path order.
///
/// # Panics
///
/// If `stage` is not a [`Mode::Diff`] stage (the others keep no bytes).
pub fn diff(stage: Stage, staged: Vec<Staged>) -> Result<Vec<FileDiff>, WriteError> {
    assert_eq!(
        stage.mode,
        Mode::Diff,
        "only a Mode::Diff stage keeps bytes"
    );
    let (staged, removals) = settle(&stage, staged)?;
    let mut out: Vec<FileDiff> = staged
        .into_iter()
        .filter_map(|s| match s.kept {
            Kept::Bytes { old, new } => Some(FileDiff {
                path: s.path,
                old,
                new: Some(new),
            }),
            _ => None,
        })
        .chain(removals.into_iter().map(|r| FileDiff {
            path: r.path,
            old: r.old,
            new: None,
        }))
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

//! What the staged records come to, decided with all of them at hand:
//! [`finish`] puts the files in place (`render`), [`changes`] lists what it
//! would change (`check`), [`diff`] shows how (`diff`).

use std::collections::BTreeSet;

use super::compare::sha256_file;
use super::journal::{self, Journal, Op, Staging};
use super::manifest::Manifest;
use super::root::{Kind, Root};
use super::stage::{Kept, Status};
use super::{Change, ChangeKind, FileDiff, Mode, Stage, Staged, WriteError, WriteReport, MANIFEST};

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
    let Some(root) = &stage.root else {
        return Ok((staged, removals));
    };
    for (path, hash) in &stage.owned.files {
        if stage.paths.contains(path) {
            continue;
        }
        // An owned file already gone just leaves the manifest.
        let Some(file) = root.open_file(path)? else {
            continue;
        };
        let current = sha256_file(file)
            .map_err(|e| WriteError::io(format!("cannot read {}", root.show(path).display()), e))?;
        let old = match stage.mode {
            Mode::Diff => root.read(path)?,
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

/// The manifest a render leaves: the target and every generated file.
fn new_manifest(stage: &Stage, staged: &[Staged]) -> Manifest {
    Manifest::new(
        &stage.target,
        staged
            .iter()
            .map(|s| (s.path.clone(), s.sha256.clone()))
            .collect(),
    )
}

/// Puts the staged files in place, removes owned files no longer
/// generated (and the folders they leave empty), and records ownership in
/// the manifest, all or nothing (see `journal.rs`). Refuses, writing
/// nothing, if that would overwrite or delete a hand edit or overwrite a
/// file blueprint does not own, unless `force`. Even with `force`, a file
/// no longer generated is only deleted if it holds the bytes blueprint
/// wrote: one edited by hand is left in place and no longer owned.
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
        refuse_hand_edits_and_unowned(&staged, &removals)?;
    }
    let (root, staging) = stage.write_parts();
    let staging = Staging(staging);
    let mut report = WriteReport::default();
    let mut mkdirs = Mkdirs::default();
    let mut ops = Vec::new();
    for s in &staged {
        match &s.kept {
            Kept::Temp(name) => {
                mkdirs.add(root, &s.path)?;
                // Whatever is at the path must be a file (a link or a
                // folder there was refused when it was compared).
                let op = match s.status {
                    Status::Added => Op::Add {
                        path: s.path.clone(),
                        new: name.clone(),
                    },
                    _ => Op::Replace {
                        path: s.path.clone(),
                        new: name.clone(),
                    },
                };
                ops.push(op);
                report.written.push(s.path.clone());
            }
            _ => {
                debug_assert_eq!(s.status, Status::Unchanged);
                report.unchanged.push(s.path.clone());
            }
        }
    }
    for r in removals {
        if r.hand_edited {
            report.kept.push(r.path);
        } else {
            ops.push(Op::Remove {
                path: r.path.clone(),
            });
            report.removed.push(r.path);
        }
    }
    let manifest = new_manifest(&stage, &staged).to_bytes();
    let manifest_changes = root.read(MANIFEST)?.as_deref() != Some(manifest.as_slice());
    if !ops.is_empty() || manifest_changes {
        root.create(&staging.manifest(), &manifest)?;
        let journal = Journal::new(mkdirs.list, ops);
        journal::switch(root, &staging, &journal, &stage.faults)?;
    }
    stage.finished();
    Ok(report)
}

/// The refusals of a render without `--force`.
fn refuse_hand_edits_and_unowned(
    staged: &[Staged],
    removals: &[Removal],
) -> Result<(), WriteError> {
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
    Ok(())
}

/// The folders the new files need that do not exist yet, parents first.
/// A file, link or anything else where a folder is needed is refused here,
/// before anything in place changes.
#[derive(Default)]
struct Mkdirs {
    list: Vec<String>,
    seen: BTreeSet<String>,
}

impl Mkdirs {
    fn add(&mut self, root: &Root, path: &str) -> Result<(), WriteError> {
        let mut prefix = String::new();
        let Some((dirs, _)) = path.rsplit_once('/') else {
            return Ok(());
        };
        for component in dirs.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);
            if self.seen.contains(&prefix) {
                continue;
            }
            match root.kind(&prefix)? {
                Kind::Dir => {}
                Kind::Absent => self.list.push(prefix.clone()),
                Kind::Link => {
                    return Err(WriteError::Symlink {
                        path: root.show(&prefix),
                    })
                }
                Kind::File | Kind::Other => {
                    return Err(WriteError::FileInTheWay {
                        path: root.show(&prefix),
                    })
                }
            }
            self.seen.insert(prefix.clone());
        }
        Ok(())
    }
}

/// Whether the manifest on disk is the one a render would leave.
fn manifest_change(stage: &Stage, staged: &[Staged]) -> Result<Option<ChangeKind>, WriteError> {
    let want = new_manifest(stage, staged).to_bytes();
    let have = match &stage.root {
        Some(root) => root.read(MANIFEST)?,
        None => None,
    };
    Ok(match have {
        None => Some(ChangeKind::Added),
        Some(have) if have != want => Some(ChangeKind::Modified),
        Some(_) => None,
    })
}

/// The files `finish` would add, modify or remove, in path order,
/// including the manifest when it is missing or stale. Empty when the
/// folder matches the render (what `check` tests). Any mode.
pub fn changes(stage: Stage, staged: Vec<Staged>) -> Result<Vec<Change>, WriteError> {
    let (staged, removals) = settle(&stage, staged)?;
    let manifest = manifest_change(&stage, &staged)?;
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
        .chain(manifest.map(|kind| Change {
            path: MANIFEST.to_owned(),
            kind,
        }))
        .collect();
    out.sort();
    Ok(out)
}

/// What `diff` shows: both sides of every file `finish` would change, in
/// path order, and whether the manifest would change.
#[derive(Debug)]
pub struct Diff {
    pub files: Vec<FileDiff>,
    /// The manifest is missing (`Added`) or stale (`Modified`).
    pub manifest: Option<ChangeKind>,
}

/// Both sides of every file `finish` would change, in path order.
///
/// # Panics
///
/// If `stage` is not a [`Mode::Diff`] stage (the others keep no bytes).
pub fn diff(stage: Stage, staged: Vec<Staged>) -> Result<Diff, WriteError> {
    assert_eq!(
        stage.mode,
        Mode::Diff,
        "only a Mode::Diff stage keeps bytes"
    );
    let (staged, removals) = settle(&stage, staged)?;
    let manifest = manifest_change(&stage, &staged)?;
    let mut files: Vec<FileDiff> = staged
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
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Diff { files, manifest })
}

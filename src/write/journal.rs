//! Switching the output folder from the old files to the new, all or
//! nothing, even across a kill.
//!
//! The output folder cannot be swapped by renaming one folder: the user
//! keeps files of their own in it (`backend.tf`). So the switch is a list
//! of changes in place, written first as a journal in the staging folder:
//!
//! 1. every new file is in `staging/new/`, the new manifest is
//!    `staging/manifest.json` (nothing in place has changed);
//! 2. the journal (`staging/journal.json`, synced) lists the folders to
//!    create and, per file, what happens to it: replaced (the old file is
//!    first kept as a hard link `staging/old/<i>`, so the path is never
//!    empty), added, or removed (moved to `staging/old/<i>`);
//! 3. the changes are made in the journal's order;
//! 4. the new manifest is renamed into place: this one rename is the
//!    commit;
//! 5. the journal, then the staging folder, are removed.
//!
//! Whether `staging/manifest.json` still exists tells which side of the
//! commit a journal is on. A failure in 2-4 undoes 3 at once ([`undo`]);
//! a kill leaves the journal, and the next render finishes the switch if
//! it was committed and undoes it otherwise ([`recover`]), before it
//! sweeps staging folders without a journal (a render killed in 1). Either
//! way the folder then holds the old files and manifest or the new ones.

use serde::{Deserialize, Serialize};

use super::fault::{Faults, Step};
use super::root::{Kind, Root};
use super::{check_path, WriteError};

/// The staging folders' prefix, in the output folder.
pub const STAGING_PREFIX: &str = ".blueprint-staging-";

const JOURNAL: &str = "journal.json";
const NEW_MANIFEST: &str = "manifest.json";

/// The journal's layout version.
const FORMAT: u32 = 1;

/// One switch, as written in the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    format: u32,
    /// Folders to create, parents first.
    pub mkdirs: Vec<String>,
    pub ops: Vec<Op>,
}

/// What happens to one path. `new` names the file in `staging/new/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Op {
    Replace { path: String, new: String },
    Add { path: String, new: String },
    Remove { path: String },
}

/// What [`recover`] did to the switches it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// Killed after its commit: finished.
    Finished,
    /// Killed before its commit: undone, the old files back.
    Undone,
}

/// Where a staging folder's pieces are.
pub struct Staging<'a>(pub &'a str);

impl Staging<'_> {
    pub fn new_file(&self, name: &str) -> String {
        format!("{}/new/{name}", self.0)
    }
    fn old_file(&self, i: usize) -> String {
        format!("{}/old/{i}", self.0)
    }
    pub fn manifest(&self) -> String {
        format!("{}/{NEW_MANIFEST}", self.0)
    }
    fn journal(&self) -> String {
        format!("{}/{JOURNAL}", self.0)
    }
}

impl Journal {
    pub fn new(mkdirs: Vec<String>, ops: Vec<Op>) -> Journal {
        Journal {
            format: FORMAT,
            mkdirs,
            ops,
        }
    }

    /// Writes the journal into `staging` atomically and syncs it: once
    /// it is on disk, the switch can always be finished or undone.
    fn save(&self, root: &Root, staging: &Staging) -> Result<(), WriteError> {
        let bytes = serde_json::to_vec(self).expect("journals always serialize");
        let tmp = format!("{}/{JOURNAL}.tmp", staging.0);
        root.create(&tmp, &bytes)?;
        root.sync(&tmp)?;
        root.rename(&tmp, &staging.journal())?;
        root.sync(staging.0)
    }

    fn load(root: &Root, staging: &Staging) -> Result<Option<Journal>, WriteError> {
        let Some(bytes) = root.read(&staging.journal())? else {
            return Ok(None);
        };
        let bad = |why: String| WriteError::BadJournal {
            path: root.show(&staging.journal()),
            message: why,
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if journal.format != FORMAT {
            return Err(bad(format!("format {} is unknown", journal.format)));
        }
        // The journal drives renames: every path in it must be one the
        // writer could have written.
        let new_ok = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        for dir in &journal.mkdirs {
            check_path(dir).map_err(|e| bad(e.to_string()))?;
        }
        for op in &journal.ops {
            let (path, new) = match op {
                Op::Replace { path, new } | Op::Add { path, new } => (path, Some(new)),
                Op::Remove { path } => (path, None),
            };
            check_path(path).map_err(|e| bad(e.to_string()))?;
            if new.is_some_and(|n| !new_ok(n)) {
                return Err(bad(format!("`{path}` is not a path blueprint writes")));
            }
        }
        Ok(Some(journal))
    }

    /// Step 3: the changes in place, in order.
    fn apply(&self, root: &Root, staging: &Staging, faults: &Faults) -> Result<(), WriteError> {
        for dir in &self.mkdirs {
            root.mkdir(dir)?;
        }
        for (i, op) in self.ops.iter().enumerate() {
            faults
                .at(Step::Rename)
                .map_err(|e| fault(root, op_path(op), e))?;
            match op {
                Op::Replace { path, new } => {
                    // A hard link keeps the old file while the new one
                    // replaces it in one rename; where links are not
                    // supported, the old file is moved out first.
                    if root.link(path, &staging.old_file(i)).is_err() {
                        root.rename(path, &staging.old_file(i))?;
                    }
                    root.rename(&staging.new_file(new), path)?;
                }
                Op::Add { path, new } => root.rename(&staging.new_file(new), path)?,
                Op::Remove { path } => root.rename(path, &staging.old_file(i))?,
            }
        }
        Ok(())
    }

    /// Puts back what [`Journal::apply`] changed, whatever point it
    /// reached: each step is judged from what is on disk.
    fn undo(&self, root: &Root, staging: &Staging) -> Result<(), WriteError> {
        for (i, op) in self.ops.iter().enumerate().rev() {
            let old = staging.old_file(i);
            match op {
                Op::Replace { path, .. } | Op::Remove { path } => {
                    if root.kind(&old)? == Kind::File {
                        root.rename(&old, path)?;
                    }
                }
                Op::Add { path, new } => {
                    // Moved in (the staged file is gone) and still there.
                    let moved = root.kind(&staging.new_file(new))? == Kind::Absent;
                    if moved && root.kind(path)? == Kind::File {
                        root.unlink(path)?;
                    }
                }
            }
        }
        for dir in self.mkdirs.iter().rev() {
            root.rmdir_if_empty(dir);
        }
        Ok(())
    }

    /// Step 5, also after a kill: folders emptied by removals go, then
    /// the journal, then the staging folder.
    fn clean_up(&self, root: &Root, staging: &Staging, faults: &Faults) -> Result<(), WriteError> {
        faults
            .at(Step::Cleanup)
            .map_err(|e| fault(root, staging.0, e))?;
        for op in &self.ops {
            if let Op::Remove { path } = op {
                remove_empty_parents(root, path);
            }
        }
        root.unlink(&staging.journal())?;
        root.remove_tree(staging.0)
    }
}

/// Steps 2 to 5 for the staged switch in `staging`; on a failure before
/// the commit, everything changed is put back and the staging folder
/// removed, and the error returned.
pub fn switch(
    root: &Root,
    staging: &Staging,
    journal: &Journal,
    faults: &Faults,
) -> Result<(), WriteError> {
    faults
        .at(Step::Journal)
        .map_err(|e| fault(root, staging.0, e))?;
    journal.save(root, staging)?;
    root.mkdir(&format!("{}/old", staging.0))?;
    let committed = journal.apply(root, staging, faults).and_then(|()| {
        faults
            .at(Step::Manifest)
            .map_err(|e| fault(root, super::MANIFEST, e))?;
        root.rename(&staging.manifest(), super::MANIFEST)
    });
    if let Err(e) = committed {
        return Err(match journal.undo(root, staging) {
            Ok(()) => {
                let _ = root.remove_tree(staging.0);
                e
            }
            Err(undo) => WriteError::UndoFailed {
                first: Box::new(e),
                undo: Box::new(undo),
                staging: root.show(staging.0),
            },
        });
    }
    // Committed: whatever fails now, the new version is in place, and
    // the next render removes what is left.
    let _ = root.sync("");
    let _ = journal.clean_up(root, staging, faults);
    Ok(())
}

/// Finishes or undoes every switch a killed render left, then removes
/// every staging folder. Called under the exclusive lock, before a render
/// reads anything.
pub fn recover(root: &Root) -> Result<Vec<Recovered>, WriteError> {
    let mut done = Vec::new();
    let none = Faults::default();
    for name in root.list("", STAGING_PREFIX)? {
        let staging = Staging(&name);
        if root.kind(&name)? == Kind::Dir {
            if let Some(journal) = Journal::load(root, &staging)? {
                if root.kind(&staging.manifest())? == Kind::Absent {
                    journal.clean_up(root, &staging, &none)?;
                    done.push(Recovered::Finished);
                } else {
                    journal.undo(root, &staging)?;
                    done.push(Recovered::Undone);
                }
            }
        }
        root.remove_tree(&name)?;
    }
    Ok(done)
}

/// Whether a killed render left a switch half done, before its commit
/// (for `check` and `diff`, which change nothing and so cannot undo it).
/// One killed after its commit has the new version in place: only its
/// staging folder is left to remove.
pub fn interrupted(root: &Root) -> Result<bool, WriteError> {
    for name in root.list("", STAGING_PREFIX)? {
        let staging = Staging(&name);
        if root.kind(&name)? == Kind::Dir
            && root.kind(&staging.journal())? == Kind::File
            && root.kind(&staging.manifest())? == Kind::File
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn op_path(op: &Op) -> &str {
    match op {
        Op::Replace { path, .. } | Op::Add { path, .. } | Op::Remove { path } => path,
    }
}

/// An injected failure, named as a real one at that step would be.
fn fault(root: &Root, rel: &str, e: std::io::Error) -> WriteError {
    let shown = if rel.starts_with(STAGING_PREFIX) {
        root.path().to_path_buf()
    } else {
        root.show(rel)
    };
    WriteError::io(format!("cannot update {}", shown.display()), e)
}

/// Removes the folders above the removed `rel` that are now empty, up to
/// (not including) the output folder.
fn remove_empty_parents(root: &Root, rel: &str) {
    let mut dir = rel;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if !root.rmdir_if_empty(parent) {
            break;
        }
        dir = parent;
    }
}

//! The output folder, opened once, and every path below it reached one
//! component at a time from that folder's descriptor without following a
//! symbolic link (`openat` with `O_NOFOLLOW`, `renameat`, `unlinkat`).
//!
//! The folder the user names may itself be reached through links: that is
//! their choice. Inside it, a link could send a write, a delete or a read
//! anywhere on the machine (a committed `prod -> /etc`, a manifest entry
//! `link/file`), so a link anywhere on a path is refused, naming it. Paths
//! are resolved against the descriptor, so nothing renamed above the
//! folder while blueprint runs changes where the files go.
//!
//! Only regular files are read: a FIFO or a device at a generated path is
//! refused (opened non-blocking, so a FIFO cannot hang the read).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};

use super::WriteError;

/// Ordinary permissions for generated files, whatever the umask.
const FILE_MODE: u32 = 0o644;
/// Folders blueprint creates: rwxr-xr-x before the umask.
const DIR_MODE: u32 = 0o755;

/// The output folder, open.
#[derive(Debug)]
pub struct Root {
    /// As the user named it: every message shows paths under it.
    path: PathBuf,
    fd: Arc<OwnedFd>,
    /// Folders opened so far, by relative path: a render reaches each
    /// folder for every file in it (compare, stage, rename), and opening
    /// it from the top each time quadrupled the `openat` calls. Forgotten
    /// when blueprint removes the folder.
    opened: Mutex<BTreeMap<String, Arc<OwnedFd>>>,
}

/// What is at a path, without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Absent,
    File,
    Dir,
    /// A symbolic link (never followed).
    Link,
    /// A FIFO, a socket, a device.
    Other,
}

impl Root {
    /// Opens the existing folder `path`; `None` if it does not exist.
    pub fn open(path: &Path) -> Result<Option<Root>, WriteError> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::openat(CWD, path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Root {
                path: path.to_path_buf(),
                fd: Arc::new(fd),
                opened: Mutex::default(),
            })),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(rustix::io::Errno::NOTDIR) => Err(WriteError::NotAFolder {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(WriteError::io(
                format!("cannot open the output folder {}", path.display()),
                e.into(),
            )),
        }
    }

    /// The folder as the user named it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `rel` under the folder, for messages.
    pub fn show(&self, rel: &str) -> PathBuf {
        rel.split('/').fold(self.path.clone(), |p, c| p.join(c))
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The folder holding `rel` (a checked relative path), opened
    /// component by component; `None` when a folder on the way is
    /// missing. A link, or a file where a folder is needed, is an error.
    pub fn parent(&self, rel: &str) -> Result<Option<Dir>, WriteError> {
        let (dirs, name) = split(rel);
        let mut at = Arc::clone(&self.fd);
        let mut walked = String::new();
        for component in dirs {
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(component);
            let cached = self.cache().get(&walked).cloned();
            at = match cached {
                Some(fd) => fd,
                None => {
                    let flags =
                        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                    let next = match rustix::fs::openat(&at, component, flags, Mode::empty()) {
                        Ok(next) => Arc::new(next),
                        Err(rustix::io::Errno::NOENT) => return Ok(None),
                        Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                            return Err(self.not_a_folder(&at, component, &walked))
                        }
                        Err(e) => return Err(self.io_error("cannot open", &walked, e)),
                    };
                    self.cache().insert(walked.clone(), Arc::clone(&next));
                    next
                }
            };
        }
        Ok(Some(Dir {
            fd: at,
            name: name.to_owned(),
            rel: rel.to_owned(),
        }))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<OwnedFd>>> {
        self.opened.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the opened folder `rel` and those below it, once removed.
    fn forget(&self, rel: &str) {
        let below = format!("{rel}/");
        self.cache()
            .retain(|k, _| k != rel && !k.starts_with(&below));
    }

    /// Why `component` (at `walked`) could not be opened as a folder.
    fn not_a_folder(&self, at: impl AsFd, component: &str, walked: &str) -> WriteError {
        match rustix::fs::statat(at, component, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                WriteError::Symlink {
                    path: self.show(walked),
                }
            }
            _ => WriteError::FileInTheWay {
                path: self.show(walked),
            },
        }
    }

    /// What is at `rel`, without following a link at its end; a link on
    /// the way is an error.
    pub fn kind(&self, rel: &str) -> Result<Kind, WriteError> {
        match self.parent(rel)? {
            None => Ok(Kind::Absent),
            Some(dir) => dir.kind(self),
        }
    }

    /// Opens the regular file at `rel` for reading; `None` when absent.
    pub fn open_file(&self, rel: &str) -> Result<Option<File>, WriteError> {
        match self.parent(rel)? {
            None => Ok(None),
            Some(dir) => dir.open_file(self),
        }
    }

    /// The bytes of the regular file at `rel`; `None` when absent.
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, WriteError> {
        let Some(mut file) = self.open_file(rel)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut file, &mut bytes)
            .map_err(|e| self.error("cannot read", rel, e))?;
        Ok(Some(bytes))
    }

    /// Creates the folder `rel` (its parent must exist).
    pub fn mkdir(&self, rel: &str) -> Result<(), WriteError> {
        let dir = self.existing_parent(rel)?;
        rustix::fs::mkdirat(&dir.fd, dir.name.as_str(), Mode::from_raw_mode(DIR_MODE))
            .map_err(|e| self.io_error("cannot create the folder", rel, e))
    }

    /// Removes the folder `rel` if it is empty; whether it was removed.
    pub fn rmdir_if_empty(&self, rel: &str) -> bool {
        match self.parent(rel) {
            Ok(Some(dir)) => {
                let removed =
                    rustix::fs::unlinkat(&dir.fd, dir.name.as_str(), AtFlags::REMOVEDIR).is_ok();
                if removed {
                    self.forget(rel);
                }
                removed
            }
            _ => false,
        }
    }

    /// Renames `from` to `to` (both relative, parents existing), replacing
    /// a file at `to`. Neither end is followed if it is a link.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), WriteError> {
        let a = self.existing_parent(from)?;
        let b = self.existing_parent(to)?;
        rustix::fs::renameat(&a.fd, a.name.as_str(), &b.fd, b.name.as_str())
            .map_err(|e| self.io_error("cannot put in place", to, e))
    }

    /// A second name `to` for the file `from` (a hard link: the backup of
    /// a file about to be replaced, while the file stays in place).
    pub fn link(&self, from: &str, to: &str) -> Result<(), WriteError> {
        let a = self.existing_parent(from)?;
        let b = self.existing_parent(to)?;
        rustix::fs::linkat(
            &a.fd,
            a.name.as_str(),
            &b.fd,
            b.name.as_str(),
            AtFlags::empty(),
        )
        .map_err(|e| self.io_error("cannot keep a copy of", from, e))
    }

    /// Removes the file (or link: never followed) at `rel`.
    pub fn unlink(&self, rel: &str) -> Result<(), WriteError> {
        let dir = self.existing_parent(rel)?;
        rustix::fs::unlinkat(&dir.fd, dir.name.as_str(), AtFlags::empty())
            .map_err(|e| self.io_error("cannot remove", rel, e))
    }

    /// Creates the file `rel` (which must not exist) holding `bytes`, mode
    /// 0644 exactly. No fsync: see [`Root::sync`].
    pub fn create(&self, rel: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let dir = self.existing_parent(rel)?;
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(
            &dir.fd,
            dir.name.as_str(),
            flags,
            Mode::from_raw_mode(FILE_MODE),
        )
        .map_err(|e| self.io_error("cannot write", rel, e))?;
        // The mode given at creation is filtered by the umask; set it exactly.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(FILE_MODE))
            .map_err(|e| self.io_error("cannot write", rel, e))?;
        let mut file = File::from(fd);
        file.write_all(bytes)
            .map_err(|e| self.error("cannot write", rel, e))
    }

    /// Flushes the file or folder `rel` to the disk ("" is the output
    /// folder). Only the journal and the folders it renames in are synced:
    /// a sync per generated file cost 14 s of a 19 s render of 33,000
    /// files, and the output can be rendered again.
    pub fn sync(&self, rel: &str) -> Result<(), WriteError> {
        let fd = if rel.is_empty() {
            rustix::io::dup(&self.fd).map_err(|e| self.io_error("cannot sync", rel, e))?
        } else {
            let dir = self.existing_parent(rel)?;
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            rustix::fs::openat(&dir.fd, dir.name.as_str(), flags, Mode::empty())
                .map_err(|e| self.io_error("cannot sync", rel, e))?
        };
        rustix::fs::fsync(&fd).map_err(|e| self.io_error("cannot sync", rel, e))
    }

    /// The names in the folder `rel` ("" for the output folder) that
    /// start with `prefix`.
    pub fn list(&self, rel: &str, prefix: &str) -> Result<Vec<String>, WriteError> {
        let Some(fd) = self.open_dir(rel)? else {
            return Ok(Vec::new());
        };
        let entries =
            rustix::fs::Dir::read_from(&fd).map_err(|e| self.io_error("cannot list", rel, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io_error("cannot list", rel, e))?;
            if let Ok(name) = entry.file_name().to_str() {
                if name.starts_with(prefix) && name != "." && name != ".." {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Removes `rel` and everything under it, never following a link (a
    /// link is removed, not what it points to).
    pub fn remove_tree(&self, rel: &str) -> Result<(), WriteError> {
        match self.kind(rel)? {
            Kind::Absent => Ok(()),
            Kind::Dir => {
                for name in self.list(rel, "")? {
                    self.remove_tree(&format!("{rel}/{name}"))?;
                }
                let dir = self.existing_parent(rel)?;
                self.forget(rel);
                rustix::fs::unlinkat(&dir.fd, dir.name.as_str(), AtFlags::REMOVEDIR)
                    .map_err(|e| self.io_error("cannot remove", rel, e))
            }
            Kind::File | Kind::Link | Kind::Other => self.unlink(rel),
        }
    }

    /// The folder `rel` ("" for the output folder), opened without
    /// following a link; `None` when absent.
    pub fn open_dir(&self, rel: &str) -> Result<Option<OwnedFd>, WriteError> {
        if rel.is_empty() {
            return rustix::io::dup(&self.fd)
                .map(Some)
                .map_err(|e| self.io_error("cannot open", rel, e));
        }
        let Some(dir) = self.parent(rel)? else {
            return Ok(None);
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(&dir.fd, dir.name.as_str(), flags, Mode::empty()) {
            Ok(fd) => Ok(Some(fd)),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                Err(self.not_a_folder(&dir.fd, &dir.name, rel))
            }
            Err(e) => Err(self.io_error("cannot open", rel, e)),
        }
    }

    fn existing_parent(&self, rel: &str) -> Result<Dir, WriteError> {
        self.parent(rel)?
            .ok_or_else(|| self.error("cannot reach", rel, io::ErrorKind::NotFound.into()))
    }

    /// An error naming the user's path: the staging folder's files are
    /// blueprint's business, so a failure there names the output folder.
    fn io_error(&self, what: &str, rel: &str, e: rustix::io::Errno) -> WriteError {
        self.error(what, rel, e.into())
    }

    fn error(&self, what: &str, rel: &str, e: io::Error) -> WriteError {
        if rel.is_empty() || rel.starts_with(super::STAGING_PREFIX) {
            return WriteError::io(format!("cannot write into {}", self.path.display()), e);
        }
        WriteError::io(format!("{what} {}", self.show(rel).display()), e)
    }
}

/// An open folder inside the output folder and one name in it.
#[derive(Debug)]
pub struct Dir {
    fd: Arc<OwnedFd>,
    name: String,
    rel: String,
}

impl Dir {
    fn kind(&self, root: &Root) -> Result<Kind, WriteError> {
        match rustix::fs::statat(&self.fd, self.name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Kind::File,
                FileType::Directory => Kind::Dir,
                FileType::Symlink => Kind::Link,
                _ => Kind::Other,
            }),
            Err(rustix::io::Errno::NOENT) => Ok(Kind::Absent),
            Err(e) => Err(root.io_error("cannot look at", &self.rel, e)),
        }
    }

    fn open_file(&self, root: &Root) -> Result<Option<File>, WriteError> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, self.name.as_str(), flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(rustix::io::Errno::LOOP) => {
                return Err(WriteError::Symlink {
                    path: root.show(&self.rel),
                })
            }
            Err(e) => return Err(root.io_error("cannot read", &self.rel, e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| root.io_error("cannot read", &self.rel, e))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(WriteError::NotAFile {
                path: root.show(&self.rel),
            });
        }
        // Reads of a regular file ignore O_NONBLOCK.
        Ok(Some(File::from(fd)))
    }
}

/// The folders of a relative path and its last name.
fn split(rel: &str) -> (Vec<&str>, &str) {
    match rel.rsplit_once('/') {
        Some((dirs, name)) => (dirs.split('/').collect(), name),
        None => (Vec::new(), rel),
    }
}

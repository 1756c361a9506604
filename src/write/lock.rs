//! One writer per output folder at a time.
//!
//! `render` takes an exclusive `flock` on the output folder's descriptor
//! for its whole run, `check` and `diff` a shared one: two renders into
//! one folder cannot interleave, and no check reads a folder half
//! switched. The lock is never waited for: the second command refuses,
//! naming the render's pid, which the render writes into
//! `.blueprint-lock` (removed when it is done). The kernel drops a
//! `flock` when its holder dies, even by `kill -9`, so a stale
//! `.blueprint-lock` never blocks anyone; the next render replaces it.

use rustix::fs::FlockOperation;

use super::root::Root;
use super::WriteError;

/// The pid file's name in the output folder.
pub const LOCK_FILE: &str = ".blueprint-lock";

/// A held lock; released when dropped (and with the process).
#[derive(Debug)]
pub struct Lock {
    exclusive: bool,
}

impl Lock {
    /// Locks `root` for writing (`exclusive`) or reading, or refuses.
    pub fn take(root: &Root, exclusive: bool) -> Result<Lock, WriteError> {
        let op = if exclusive {
            FlockOperation::NonBlockingLockExclusive
        } else {
            FlockOperation::NonBlockingLockShared
        };
        match rustix::fs::flock(root.fd(), op) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(WriteError::Busy {
                    path: root.path().to_path_buf(),
                    pid: holder(root),
                })
            }
            Err(e) => {
                return Err(WriteError::io(
                    format!("cannot lock {}", root.path().display()),
                    e.into(),
                ))
            }
        }
        if exclusive {
            // A stale file from a killed render goes first: create refuses
            // to replace anything. The pid only makes a refusal clearer:
            // on a full disk the render goes on without it.
            let _ = root.unlink(LOCK_FILE);
            let _ = root.create(LOCK_FILE, format!("{}\n", std::process::id()).as_bytes());
        }
        Ok(Lock { exclusive })
    }

    /// Removes the pid file; the lock itself goes with the descriptor.
    pub fn release(self, root: &Root) {
        if self.exclusive {
            let _ = root.unlink(LOCK_FILE);
        }
    }
}

/// The pid the lock holder wrote, if it is a render that did.
fn holder(root: &Root) -> Option<u32> {
    let bytes = root.read(LOCK_FILE).ok()??;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}

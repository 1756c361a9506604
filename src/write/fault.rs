//! Failures on demand, for the tests of what a failure or a kill leaves
//! behind. Only in debug builds (`cargo test` builds the binary so);
//! release builds never read the variable.
//!
//! `BLUEPRINT_FAULT=<step>:<n>:<action>` acts at the `n`th time (from 1)
//! the writer reaches `step`:
//!
//! | step | reached |
//! |---|---|
//! | `stage` | before each generated file is written into the staging folder |
//! | `journal` | before the journal is written (nothing in place has changed) |
//! | `rename` | before each change in place (a file put in place, moved out) |
//! | `commit` | before the journal is marked committed |
//! | `manifest` | before the new manifest is put in place |
//! | `cleanup` | before the staging folder is removed |
//!
//! `fail` makes that step fail as a full disk would (ENOSPC); `pause`
//! prints `blueprint: paused at <step> <n>` to stderr and waits to be
//! killed (the tests send SIGKILL).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Stage,
    Journal,
    Rename,
    Commit,
    Manifest,
    Cleanup,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Stage => "stage",
            Step::Journal => "journal",
            Step::Rename => "rename",
            Step::Commit => "commit",
            Step::Manifest => "manifest",
            Step::Cleanup => "cleanup",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Fail,
    Pause,
}

/// The fault to inject, if any, and how often its step was reached.
#[derive(Debug, Default)]
pub struct Faults {
    fault: Option<(Step, usize, Action)>,
    reached: AtomicUsize,
}

impl Faults {
    /// From `BLUEPRINT_FAULT` in debug builds; none in release builds or
    /// when the variable does not parse.
    pub fn from_env() -> Faults {
        if !cfg!(debug_assertions) {
            return Faults::default();
        }
        let spec = std::env::var("BLUEPRINT_FAULT").unwrap_or_default();
        Faults {
            fault: parse(&spec),
            reached: AtomicUsize::new(0),
        }
    }

    /// One fault (tests of the library).
    #[cfg(test)]
    pub fn one(step: Step, n: usize, action: Action) -> Faults {
        Faults {
            fault: Some((step, n, action)),
            reached: AtomicUsize::new(0),
        }
    }

    /// Called each time the writer reaches `step`.
    pub fn at(&self, step: Step) -> io::Result<()> {
        let Some((want, n, action)) = self.fault else {
            return Ok(());
        };
        if want != step || self.reached.fetch_add(1, Ordering::Relaxed) + 1 != n {
            return Ok(());
        }
        match action {
            Action::Fail => Err(io::Error::from_raw_os_error(28)), // ENOSPC
            Action::Pause => {
                crate::stdio::eprintln(&format!("blueprint: paused at {} {n}", step.name()));
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                }
            }
        }
    }
}

fn parse(spec: &str) -> Option<(Step, usize, Action)> {
    let mut parts = spec.split(':');
    let step = match parts.next()? {
        "stage" => Step::Stage,
        "journal" => Step::Journal,
        "rename" => Step::Rename,
        "commit" => Step::Commit,
        "manifest" => Step::Manifest,
        "cleanup" => Step::Cleanup,
        _ => return None,
    };
    let n = parts.next()?.parse().ok().filter(|n| *n > 0)?;
    let action = match parts.next()? {
        "fail" => Action::Fail,
        "pause" => Action::Pause,
        _ => return None,
    };
    Some((step, n, action))
}

//! Unified diffs of what `finish` would change.

use similar::{Algorithm, TextDiff};

/// One file `finish` would change, with its bytes on disk and as render
/// would write them (None: absent on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

impl FileDiff {
    /// The unified diff; `/dev/null` stands for the missing side of added
    /// and removed files.
    pub fn unified(&self) -> String {
        let path = &self.path;
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => unified(old, new, &format!("a/{path}"), &format!("b/{path}")),
            (None, Some(new)) if new.is_empty() => format!("--- /dev/null\n+++ b/{path}\n"),
            (None, Some(new)) => unified(b"", new, "/dev/null", &format!("b/{path}")),
            (Some(old), None) if old.is_empty() => format!("--- a/{path}\n+++ /dev/null\n"),
            (Some(old), None) => unified(old, b"", &format!("a/{path}"), "/dev/null"),
            (None, None) => String::new(),
        }
    }
}

/// A unified diff (Patience, 3 lines of context) from `old` to `new`, with
/// `--- <old_name>` / `+++ <new_name>` headers. Empty when equal.
fn unified(old: &[u8], new: &[u8], old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

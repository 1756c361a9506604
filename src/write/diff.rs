//! Unified diffs of what `write` would change.

use similar::{Algorithm, TextDiff};

/// A unified diff (Patience, 3 lines of context) from `old` to `new`, with
/// `--- <old_name>` / `+++ <new_name>` headers. Empty when equal.
pub fn unified(old: &[u8], new: &[u8], old_name: &str, new_name: &str) -> String {
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

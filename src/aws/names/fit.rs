//! AWS name limits: names longer than a limit are shortened the same way on
//! every run, keeping a readable prefix and a hash of the full name, so two
//! long names never collide.

use sha2::{Digest, Sha256};

/// `name` if it fits in `max` characters; otherwise its first characters,
/// `-`, and 6 hex digits of the SHA-256 of the whole name.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = Sha256::digest(name.as_bytes());
    let hex: String = hash.iter().take(3).map(|b| format!("{b:02x}")).collect();
    let keep = max.saturating_sub(hex.len() + 1);
    // Names are ASCII ([a-z0-9-]), so byte slicing is character slicing.
    let prefix = name[..keep].trim_end_matches('-');
    format!("{prefix}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_stay() {
        assert_eq!(fit("commerce-prod-api", 32), "commerce-prod-api");
        assert_eq!(fit(&"a".repeat(32), 32), "a".repeat(32));
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = "commerce-production-globex-payments-reconciler";
        let s = fit(long, 32);
        assert_eq!(s.len(), 32);
        assert!(s.starts_with("commerce-production-glob"), "{s}");
        assert_eq!(s, fit(long, 32), "deterministic");
        assert_ne!(s, fit("commerce-production-globex-payments-reconcilex", 32));
    }

    #[test]
    fn no_double_dash_before_the_hash() {
        let s = fit("abcdefghijklmnopqrstuvwxy-zzzzzzzzzz", 32);
        assert!(!s.contains("--"), "{s}");
        assert!(s.len() <= 32);
    }
}

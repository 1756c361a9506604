//! Where the blueprint wrote each key, kept with the model so that rules
//! checked after normalization (target fit, generated-name collisions,
//! quotas) point at a line and column like every other diagnostic.

use crate::diag::Diagnostic;
use std::collections::BTreeMap;

/// Dotted YAML path (`services.api.cpu`, `tenants.acme`) -> the 1-based
/// line and column of its key.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    at: BTreeMap<String, (usize, usize)>,
}

/// Positions are not part of what a model means: two blueprints that say
/// the same in another layout or key order are equal models.
impl PartialEq for Locations {
    fn eq(&self, _: &Locations) -> bool {
        true
    }
}

impl Locations {
    pub fn insert(&mut self, path: impl Into<String>, line: usize, col: usize) {
        self.at.entry(path.into()).or_insert((line, col));
    }

    /// The position of `path`, or of its nearest recorded parent
    /// (`services.api.memory` falls back to `services.api` when the
    /// memory is a default).
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(&at) = self.at.get(p) {
                return Some(at);
            }
            p = &p[..p.rfind(['.', '['])?];
        }
    }

    /// A diagnostic at `path`, positioned where the blueprint wrote it
    /// (or its nearest parent).
    pub fn diag(&self, path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        let path = path.into();
        let at = self.find(&path);
        let d = Diagnostic::new(path, message);
        match at {
            Some((line, col)) => d.at(line, col),
            None => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_recorded_parent() {
        let mut l = Locations::default();
        l.insert("services.api", 3, 3);
        l.insert("services.api.routes", 7, 5);
        assert_eq!(l.find("services.api"), Some((3, 3)));
        assert_eq!(l.find("services.api.memory"), Some((3, 3)));
        assert_eq!(l.find("services.api.routes[1]"), Some((7, 5)));
        assert_eq!(l.find("jobs.nightly"), None);
        let d = l.diag("services.api.cpu", "too big");
        assert_eq!((d.line, d.col), (Some(3), Some(3)));
    }
}

//! Nested routes: `/` for a storefront, `/api` for an API, `/api/admin` for
//! an admin service. The most specific prefix wins on every target; this
//! module says how specific a route is, so every target orders the same way.

/// How many path segments a route has: `/` is 0, `/api` 1, `/api/v2` 2.
pub fn depth(route: &str) -> usize {
    route.split('/').filter(|s| !s.is_empty()).count()
}

/// Whether `route` matches `path` as a prefix of whole segments (`/api`
/// matches `/api` and `/api/v2`, not `/apiv2`).
pub fn matches(route: &str, path: &str) -> bool {
    let r = route.trim_end_matches('/');
    r.is_empty()
        || path == r
        || path
            .strip_prefix(r)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Among `routes`, the one that serves `path`: the deepest that matches.
pub fn winner<'a>(routes: impl IntoIterator<Item = &'a str>, path: &str) -> Option<&'a str> {
    routes
        .into_iter()
        .filter(|r| matches(r, path))
        .max_by_key(|r| depth(r))
}

/// Application Load Balancer listener-rule priorities: the lowest number
/// is evaluated first, so deeper routes get lower numbers than the
/// prefixes they nest in, and `/` comes last. Within its depth's band a
/// route's place comes from a hash of its key, so adding or removing a
/// service does not renumber the others (renumbering makes `terraform
/// apply` trip over priorities still in use).
#[derive(Default)]
pub struct AlbPriorities {
    taken: std::collections::BTreeSet<u32>,
}

/// Where each depth's band starts and how wide it is: most routes have one
/// to three segments, so those bands are the widest. Depths past the last
/// band share it (routes hold at most 120 characters).
const BANDS: [(u32, u32); 8] = [
    // (depth 7 and deeper), 6, 5, 4, 3, 2, 1, 0 (`/`): (first, size)
    (1, 1_000),
    (1_001, 1_000),
    (2_001, 2_000),
    (4_001, 4_000),
    (8_001, 8_000),
    (16_001, 12_000),
    (28_001, 20_000),
    (48_001, 1_999),
];

impl AlbPriorities {
    /// The priority of `route` of the service keyed `key`, unique on the
    /// listener. `None` only if the route's band is full (more rules than
    /// a listener holds).
    pub fn reserve(&mut self, key: &str, route: &str) -> Option<u32> {
        use sha2::{Digest, Sha256};
        let band = BANDS.len() - 1 - depth(route).min(BANDS.len() - 1);
        let (first, size) = BANDS[band];
        let hash = Sha256::digest(format!("{key}\0{route}").as_bytes());
        let start = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % size;
        (0..size)
            .map(|i| first + (start + i) % size)
            .find(|p| self.taken.insert(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_routes_come_first_and_places_are_stable() {
        let mut p = AlbPriorities::default();
        let root = p.reserve("web", "/").unwrap();
        let api = p.reserve("api", "/api").unwrap();
        let v2 = p.reserve("v2", "/api/v2").unwrap();
        assert!(v2 < api && api < root, "{v2} {api} {root}");
        assert!(root <= 50_000);
        // Another service does not move them.
        let mut q = AlbPriorities::default();
        q.reserve("admin", "/admin").unwrap();
        assert_eq!(q.reserve("api", "/api"), Some(api));
        // Deep routes share the deepest band, still before shallower ones.
        let deep = p.reserve("deep", "/a/b/c/d/e/f/g/h/i").unwrap();
        assert!(deep < v2);
        // Every priority is distinct, even when hashes meet.
        let mut all = AlbPriorities::default();
        let got: Vec<u32> = (0..3000)
            .map(|i| all.reserve(&format!("s{i}"), "/x").unwrap())
            .collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), got.len());
    }

    #[test]
    fn the_most_specific_prefix_wins() {
        let routes = ["/", "/api", "/api/v2"];
        assert_eq!(winner(routes, "/"), Some("/"));
        assert_eq!(winner(routes, "/index.html"), Some("/"));
        assert_eq!(winner(routes, "/api"), Some("/api"));
        assert_eq!(winner(routes, "/apiv2"), Some("/"));
        assert_eq!(winner(routes, "/api/v1/x"), Some("/api"));
        assert_eq!(winner(routes, "/api/v2/x"), Some("/api/v2"));
        assert_eq!(depth("/"), 0);
        assert_eq!(depth("/a/b"), 2);
    }
}

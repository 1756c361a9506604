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

#[cfg(test)]
mod tests {
    use super::*;

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

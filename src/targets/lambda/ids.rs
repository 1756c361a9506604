//! Construct IDs and CloudFormation logical IDs, as the AWS CDK makes them.
//!
//! A resource's construct path (`Globex/Api/ServiceRole/Resource`, without
//! the stack) gives its logical ID with CDK's `makeUniqueId`: the path
//! components, minus `Default`, duplicates removed and `Resource` hidden,
//! stripped to `[A-Za-z0-9]` and joined, then the first 8 hex digits
//! (uppercase) of the MD5 of the components joined with `/`.

use md5::{Digest, Md5};

const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
const HIDDEN_ID: &str = "Default";
const MAX_HUMAN_LEN: usize = 240;

/// CDK's `makeUniqueId` over construct path components (stack excluded).
/// Called for every resource of every stack, so it allocates only its
/// result.
pub fn make_unique_id(components: &[&str]) -> String {
    let kept = || components.iter().copied().filter(|c| *c != HIDDEN_ID);
    let mut count = 0;
    let mut only = "";
    for c in kept() {
        count += 1;
        only = c;
    }
    assert!(count > 0, "a logical ID needs at least one path component");
    if count == 1 {
        // CDK keeps top-level IDs as written (migrated templates).
        return only.to_string();
    }
    let mut id = String::with_capacity(64);
    // A component is dropped when the previous kept one ends with it.
    let mut last: Option<&str> = None;
    for c in kept() {
        if last.is_some_and(|l| l.ends_with(c)) {
            continue;
        }
        last = Some(c);
        if c != HIDDEN_FROM_HUMAN_ID {
            // Bytes, not chars: only ASCII letters and digits are kept.
            for &b in c.as_bytes() {
                if b.is_ascii_alphanumeric() {
                    id.push(char::from(b));
                }
            }
        }
    }
    id.truncate(MAX_HUMAN_LEN);
    push_hash(&mut id, kept());
    id
}

/// The first 8 hex digits, uppercase, of the MD5 of `a/b/c`.
#[cfg(test)]
pub fn path_hash(components: &[&str]) -> String {
    let mut hash = String::with_capacity(8);
    push_hash(&mut hash, components.iter().copied());
    hash
}

fn push_hash<'a>(out: &mut String, components: impl Iterator<Item = &'a str>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut md5 = Md5::new();
    for (i, c) in components.enumerate() {
        if i > 0 {
            md5.update(b"/");
        }
        md5.update(c.as_bytes());
    }
    for b in &md5.finalize()[..4] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
}

/// The construct ID of a blueprint name: each `-`-separated word
/// capitalized, dashes kept (`nightly-report` -> `Nightly-Report`), so the
/// logical ID reads in PascalCase (`NightlyReport…`) while the path, and so
/// the hash, stays one-to-one with the name (`a-1` and `a1` differ).
pub fn construct_id(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// PascalCase without separators, for readable top-level IDs
/// (parameters, stack names): `nightly-report` -> `NightlyReport`.
pub use crate::aws::names::lambda::pascal;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cdk_for_known_paths() {
        // `new sqs.Queue(stack, 'MyQueue')` synthesizes as MyQueueE6CA6235.
        assert_eq!(make_unique_id(&["MyQueue", "Resource"]), "MyQueueE6CA6235");
        // Top-level IDs stay as written; `Default` is invisible.
        assert_eq!(make_unique_id(&["VpcId"]), "VpcId");
        assert_eq!(
            make_unique_id(&["MyQueue", "Default"]),
            make_unique_id(&["MyQueue"])
        );
    }

    #[test]
    fn shape_and_hash() {
        let id = make_unique_id(&["Globex", "Nightly-Report", "ServiceRole", "Resource"]);
        assert!(id.starts_with("GlobexNightlyReportServiceRole"), "{id}");
        let hash = &id[id.len() - 8..];
        assert!(hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        assert_eq!(
            hash,
            path_hash(&["Globex", "Nightly-Report", "ServiceRole", "Resource"])
        );
    }

    #[test]
    fn duplicate_terms_are_dropped_from_the_human_part_only() {
        let id = make_unique_id(&["Orders", "OrdersQueue", "Queue", "Resource"]);
        assert!(id.starts_with("OrdersOrdersQueue"), "{id}");
        assert_eq!(id.len(), "OrdersOrdersQueue".len() + 8);
    }

    /// The reference: CDK's algorithm written the plain way.
    fn naive(components: &[&str]) -> String {
        let components: Vec<&str> = components
            .iter()
            .copied()
            .filter(|c| *c != "Default")
            .collect();
        if components.len() == 1 {
            return components[0].to_string();
        }
        let mut kept: Vec<&str> = Vec::new();
        for c in &components {
            if kept.last().is_none_or(|last| !last.ends_with(c)) {
                kept.push(c);
            }
        }
        let mut human: String = kept
            .iter()
            .filter(|c| **c != "Resource")
            .flat_map(|c| c.chars().filter(char::is_ascii_alphanumeric))
            .collect();
        human.truncate(240);
        let digest = Md5::digest(components.join("/").as_bytes());
        human
            + &digest[..4]
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
    }

    proptest::proptest! {
        #[test]
        fn same_ids_as_the_plain_algorithm(
            parts in proptest::collection::vec("(Default|Resource|[A-Za-z0-9-]{0,6}|Queue)", 1..6)
        ) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            if parts.iter().any(|p| *p != "Default") {
                proptest::prop_assert_eq!(make_unique_id(&parts), naive(&parts));
            }
        }
    }

    #[test]
    fn construct_ids_are_one_to_one() {
        assert_eq!(construct_id("nightly-report"), "Nightly-Report");
        assert_eq!(construct_id("api"), "Api");
        assert_ne!(construct_id("a-1"), construct_id("a1"));
        assert_ne!(
            make_unique_id(&[&construct_id("a-1"), "Resource"]),
            make_unique_id(&[&construct_id("a1"), "Resource"])
        );
        assert_eq!(pascal("nightly-report"), "NightlyReport");
    }
}

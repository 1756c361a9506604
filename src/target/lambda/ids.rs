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
pub fn make_unique_id(components: &[&str]) -> String {
    let components: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| *c != HIDDEN_ID)
        .collect();
    assert!(
        !components.is_empty(),
        "a logical ID needs at least one path component"
    );
    if components.len() == 1 {
        // CDK keeps top-level IDs as written (migrated templates).
        return components[0].to_string();
    }
    let mut human = String::new();
    for c in remove_dupes(&components) {
        if c != HIDDEN_FROM_HUMAN_ID {
            human.extend(c.chars().filter(char::is_ascii_alphanumeric));
        }
    }
    human.truncate(MAX_HUMAN_LEN);
    human + &path_hash(&components)
}

/// The first 8 hex digits, uppercase, of the MD5 of `a/b/c`.
pub fn path_hash(components: &[&str]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let digest = Md5::digest(components.join("/").as_bytes());
    let mut hash = String::with_capacity(8);
    for b in &digest[..4] {
        hash.push(char::from(HEX[usize::from(b >> 4)]));
        hash.push(char::from(HEX[usize::from(b & 0xF)]));
    }
    hash
}

/// Drops a component when the previous kept one ends with it.
fn remove_dupes<'a>(path: &[&'a str]) -> Vec<&'a str> {
    let mut ret: Vec<&str> = Vec::new();
    for c in path {
        if ret.last().is_none_or(|last| !last.ends_with(c)) {
            ret.push(c);
        }
    }
    ret
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
/// (parameters): `nightly-report` -> `NightlyReport`.
pub fn pascal(name: &str) -> String {
    construct_id(name).replace('-', "")
}

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

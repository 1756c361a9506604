//! Tags: which keys and values AWS accepts, and the tags every resource of
//! an environment carries.

use crate::model::{Environment, Model};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The tag every resource of a tenant carries.
pub const TENANT: &str = "tenant";

/// Longest tag key and value, in Unicode characters.
pub const KEY_MAX: usize = 128;
pub const VALUE_MAX: usize = 256;

/// The characters IAM, KMS, Lambda and most services accept in tag keys
/// and values ("Tagging best practices": `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
static TAG_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("a valid pattern"));

/// Why AWS would refuse `key` as a tag key, if it would.
pub fn check_key(key: &str) -> Result<(), String> {
    let len = key.chars().count();
    if len == 0 || len > KEY_MAX {
        return Err(format!(
            "tag key `{key}` must be 1 to {KEY_MAX} characters long"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "tag key `{key}` starts with `aws:`, which AWS reserves"
        ));
    }
    check_text("tag key", key)
}

/// Why AWS would refuse `value` as the value of tag `key`, if it would.
pub fn check_value(key: &str, value: &str) -> Result<(), String> {
    if value.chars().count() > VALUE_MAX {
        return Err(format!(
            "the value of tag `{key}` is longer than {VALUE_MAX} characters"
        ));
    }
    check_text(&format!("the value of tag `{key}`"), value)
}

fn check_text(what: &str, text: &str) -> Result<(), String> {
    if TAG_TEXT.is_match(text) {
        return Ok(());
    }
    let bad = text
        .chars()
        .find(|c| !TAG_TEXT.is_match(c.encode_utf8(&mut [0; 4])))
        .unwrap_or(' ');
    Err(format!(
        "{what} contains {bad:?}; AWS tags hold only letters, digits, spaces and `_ . : / = + - @`"
    ))
}

/// The tags on every resource of `env`: where it comes from, then the
/// blueprint's own tags (which win when they set one of these keys).
pub fn defaults(model: &Model, env: &Environment) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::from([
        ("app".to_string(), model.app.name.to_string()),
        ("environment".to_string(), env.name.to_string()),
        ("managed-by".to_string(), "blueprint".to_string()),
    ]);
    tags.extend(model.app.tags.clone());
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_tag_characters() {
        for ok in [
            "team",
            "cost-center",
            "4242",
            "a b",
            "é",
            "x:y/z=w+v-u@t_s.r",
            "",
        ] {
            assert!(check_text("v", ok).is_ok(), "{ok}");
        }
        for bad in [
            "100%", "${USER}", "{x}", "\"q\"", "a\tb", "it's", "a,b", "a;b",
        ] {
            assert!(check_text("v", bad).is_err(), "{bad}");
        }
        assert!(check_key("").is_err());
        assert!(check_key("AWS:x").is_err());
        assert!(check_key(&"k".repeat(129)).is_err());
        assert!(check_value("k", &"v".repeat(257)).is_err());
        assert!(check_value("k", &"v".repeat(256)).is_ok());
        let e = check_value("owner", "50%").unwrap_err();
        assert!(e.contains("'%'"), "{e}");
    }
}

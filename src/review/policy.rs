//! IAM policy documents found anywhere in a JSON value: one grant per
//! allowed (principal, action, resource). Shared by Terraform (after
//! `jsonencode(...)` is unwrapped, or a JSON string is parsed) and
//! CloudFormation.

use super::{one_or_many, show, Access, Inventory};
use serde_json::Value;

/// Adds the grants of every policy document inside `v`, made by `address`.
pub fn grants(v: &Value, address: &str, inv: &mut Inventory) {
    match v {
        Value::Object(o) => {
            if let Some(st) = o.get("Statement") {
                for s in one_or_many(Some(st)) {
                    statement(s, address, inv);
                }
                return;
            }
            // Terraform `data "aws_iam_policy_document"`: statement blocks.
            if let Some(Value::Array(blocks)) = o.get("statement") {
                for b in blocks {
                    document_block(b, address, inv);
                }
            }
            for (k, x) in o {
                if k != "statement" {
                    grants(x, address, inv);
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                grants(x, address, inv);
            }
        }
        Value::String(s) if s.trim_start().starts_with('{') && s.contains("Statement") => {
            if let Ok(doc) = serde_json::from_str::<Value>(s) {
                grants(&doc, address, inv);
            }
        }
        _ => {}
    }
}

fn statement(s: &Value, address: &str, inv: &mut Inventory) {
    let effect = s.get("Effect").and_then(Value::as_str).unwrap_or("Allow");
    if !effect.eq_ignore_ascii_case("allow") {
        return;
    }
    let actions = list_or_except(s, "Action", "NotAction", "every action");
    let resources = list_or_except(s, "Resource", "NotResource", "every resource");
    let principals = principals(s.get("Principal"), s.get("NotPrincipal"));
    let condition = s
        .get("Condition")
        .map(|c| format!(" when {}", show(c)))
        .unwrap_or_default();
    emit(address, &principals, &actions, &resources, &condition, inv);
}

/// `aws_iam_policy_document` statement block.
fn document_block(b: &Value, address: &str, inv: &mut Inventory) {
    let effect = b.get("effect").and_then(Value::as_str).unwrap_or("Allow");
    if !effect.eq_ignore_ascii_case("allow") {
        return;
    }
    let actions = list_or_except(b, "actions", "not_actions", "every action");
    let resources = list_or_except(b, "resources", "not_resources", "every resource");
    let mut principals = Vec::new();
    for p in one_or_many(b.get("principals")) {
        let ty = p.get("type").map(show).unwrap_or_default();
        for id in one_or_many(p.get("identifiers")) {
            principals.push(format!("{ty}:{}", show(id)));
        }
    }
    let condition = b
        .get("condition")
        .map(|c| format!(" when {}", show(c)))
        .unwrap_or_default();
    emit(address, &principals, &actions, &resources, &condition, inv);
}

fn emit(
    address: &str,
    principals: &[String],
    actions: &[String],
    resources: &[String],
    condition: &str,
    inv: &mut Inventory,
) {
    let resources: Vec<String> = if resources.is_empty() {
        vec!["this resource".to_string()]
    } else {
        resources.to_vec()
    };
    let who: Vec<String> = if principals.is_empty() {
        vec![String::new()]
    } else {
        principals.iter().map(|p| format!("{p} ")).collect()
    };
    for p in &who {
        for a in actions {
            for r in &resources {
                let wild = if a.contains('*') || r == "*" || p.trim() == "*" {
                    " (wildcard)"
                } else {
                    ""
                };
                inv.grant(
                    address,
                    Access::Iam,
                    format!("allow {p}{a} on {r}{condition}{wild}"),
                );
            }
        }
    }
}

fn list_or_except(s: &Value, key: &str, not_key: &str, every: &str) -> Vec<String> {
    if let Some(v) = s.get(key) {
        return one_or_many(Some(v)).into_iter().map(show).collect();
    }
    if let Some(v) = s.get(not_key) {
        let except: Vec<String> = one_or_many(Some(v)).into_iter().map(show).collect();
        return vec![format!("{every} except {}", except.join(", "))];
    }
    Vec::new()
}

fn principals(p: Option<&Value>, not: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match p {
        Some(Value::Object(o)) => {
            for (ty, ids) in o {
                for id in one_or_many(Some(ids)) {
                    out.push(format!("{ty}:{}", show(id)));
                }
            }
        }
        Some(other) if !other.is_null() => out.push(show(other)),
        _ => {}
    }
    if let Some(n) = not {
        out.push(format!("anyone except {}", show(n)));
    }
    out
}

//! Terraform: `resource` and `data` blocks by address, modules of
//! blueprint's ECS platform expanded by [`super::ecs`], and the access each
//! resource grants.
//!
//! The files of one folder are one root module, read together: a module
//! argument written `var.x` is read as the default of variable `x` when
//! the root gives it one, so that changing a default (a new image tag)
//! changes the resources whose arguments name it.

use super::{ecs, one_or_many, policy, show, Access, Inventory};
use hcl::expr::{Expression, ObjectKey, TemplateExpr};
use hcl::structure::{Body, Structure};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub fn parse(text: &str) -> Result<Body, String> {
    hcl::parse(text).map_err(|e| e.to_string())
}

/// The inventory of a root module: the bodies of its files.
pub fn root_inventory(bodies: &[&Body]) -> Inventory {
    let defaults = variable_defaults(bodies);
    let mut inv = Inventory::default();
    for body in bodies {
        add_body(body, &defaults, &mut inv);
    }
    inv
}

/// `variable` blocks with a `default`, by name.
fn variable_defaults(bodies: &[&Body]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for block in bodies.iter().flat_map(|b| b.blocks()) {
        if let ("variable", [name]) = (block.identifier.as_str(), block.labels.as_slice()) {
            if let Some(d) = block
                .body
                .attributes()
                .find(|a| a.key.as_str() == "default")
            {
                out.insert(name.as_str().to_string(), expr(&d.expr));
            }
        }
    }
    out
}

/// `v` with every `var.x` (a whole value) replaced by `x`'s default.
fn resolve(v: Value, defaults: &BTreeMap<String, Value>) -> Value {
    match v {
        Value::String(s) => match s.strip_prefix("var.").and_then(|n| defaults.get(n)) {
            Some(d) => d.clone(),
            None => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| resolve(i, defaults)).collect())
        }
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, resolve(v, defaults)))
                .collect(),
        ),
        other => other,
    }
}

fn add_body(body: &Body, defaults: &BTreeMap<String, Value>, inv: &mut Inventory) {
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        let value = body_value(&block.body);
        match (block.identifier.as_str(), labels.as_slice()) {
            ("resource", [ty, name]) => {
                let address = format!("{ty}.{name}");
                resource_grants(ty, &address, &value, inv);
                inv.resources.insert(address, value);
            }
            ("data", [ty, name]) => {
                let address = format!("data.{ty}.{name}");
                policy::grants(&value, &address, inv);
                inv.resources.insert(address, value);
            }
            ("module", [name]) => {
                let value = resolve(value, defaults);
                if ecs::is_platform(&value) {
                    ecs::expand(name, &value, inv);
                } else {
                    inv.resources.insert(format!("module.{name}"), value);
                }
            }
            _ => {}
        }
    }
}

/// A block body as JSON: attributes by name, nested blocks as lists under
/// their type (labels under `labels`).
fn body_value(b: &Body) -> Value {
    let mut m = Map::new();
    for s in b.iter() {
        match s {
            Structure::Attribute(a) => {
                m.insert(a.key.as_str().to_string(), expr(&a.expr));
            }
            Structure::Block(bl) => {
                let mut v = body_value(&bl.body);
                if !bl.labels.is_empty() {
                    v["labels"] = Value::Array(
                        bl.labels
                            .iter()
                            .map(|l| Value::String(l.as_str().to_string()))
                            .collect(),
                    );
                }
                let slot = m
                    .entry(bl.identifier.as_str().to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = slot {
                    items.push(v);
                }
            }
        }
    }
    Value::Object(m)
}

/// An expression as JSON: literals as themselves, `jsonencode(x)` as `x`,
/// templates as their text, anything else as its HCL text (`var.x`).
pub fn expr(e: &Expression) -> Value {
    match e {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Expression::String(s) => Value::String(s.clone()),
        Expression::Array(items) => Value::Array(items.iter().map(expr).collect()),
        Expression::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        ObjectKey::Expression(other) => text(other),
                        _ => String::new(),
                    };
                    (key, expr(v))
                })
                .collect(),
        ),
        Expression::Parenthesis(inner) => expr(inner),
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" && f.args.len() == 1 => {
            expr(&f.args[0])
        }
        Expression::TemplateExpr(t) => match t.as_ref() {
            TemplateExpr::QuotedString(s) => Value::String(s.clone()),
            TemplateExpr::Heredoc(h) => Value::String(h.template.clone()),
        },
        other => Value::String(text(other)),
    }
}

/// HCL text of an expression on one line.
fn text(e: &Expression) -> String {
    hcl::format::to_string(e)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn resource_grants(ty: &str, address: &str, v: &Value, inv: &mut Inventory) {
    policy::grants(v, address, inv);
    let get = |k: &str| v.get(k).map(show).unwrap_or_default();
    match ty {
        "aws_vpc_security_group_ingress_rule" => {
            let from = [
                "cidr_ipv4",
                "cidr_ipv6",
                "referenced_security_group_id",
                "prefix_list_id",
            ]
            .iter()
            .find_map(|k| v.get(*k).map(show))
            .unwrap_or_else(|| "anywhere".to_string());
            inv.grant(
                address,
                Access::Network,
                format!(
                    "ingress {} into {} from {from}",
                    ports(&get("ip_protocol"), v.get("from_port"), v.get("to_port")),
                    get("security_group_id")
                ),
            );
        }
        "aws_security_group_rule" if get("type") == "ingress" => {
            ingress_block(
                v,
                address,
                &format!(" into {}", get("security_group_id")),
                inv,
            );
        }
        "aws_security_group" => {
            for b in one_or_many(v.get("ingress")) {
                ingress_block(b, address, "", inv);
            }
        }
        "aws_lb" | "aws_alb" if v.get("internal") != Some(&Value::Bool(true)) => {
            inv.grant(address, Access::Public, "internet-facing load balancer");
        }
        "aws_eks_cluster" => {
            for c in one_or_many(v.get("vpc_config")) {
                if c.get("endpoint_public_access") != Some(&Value::Bool(false)) {
                    let cidrs = c
                        .get("public_access_cidrs")
                        .map(show)
                        .unwrap_or_else(|| "0.0.0.0/0".to_string());
                    inv.grant(
                        address,
                        Access::Public,
                        format!("public Kubernetes API endpoint from {cidrs}"),
                    );
                }
            }
        }
        "aws_iam_role_policy_attachment"
        | "aws_iam_user_policy_attachment"
        | "aws_iam_group_policy_attachment" => {
            let to = ["role", "user", "group"]
                .iter()
                .find_map(|k| v.get(*k).map(|x| format!("{k} {}", show(x))))
                .unwrap_or_default();
            inv.grant(
                address,
                Access::Iam,
                format!("attach policy {} to {to}", get("policy_arn")),
            );
        }
        "aws_eks_pod_identity_association" => inv.grant(
            address,
            Access::Iam,
            format!(
                "service account {}/{} may assume {}",
                get("namespace"),
                get("service_account"),
                get("role_arn")
            ),
        ),
        "aws_eks_access_policy_association" => inv.grant(
            address,
            Access::Rbac,
            format!(
                "{} gets cluster access policy {} ({})",
                get("principal_arn"),
                get("policy_arn"),
                v.get("access_scope").map(show).unwrap_or_default()
            ),
        ),
        "aws_lambda_permission" => inv.grant(
            address,
            Access::Iam,
            format!(
                "{} may {} on {}{}",
                get("principal"),
                get("action"),
                get("function_name"),
                v.get("source_arn")
                    .map(|s| format!(" from {}", show(s)))
                    .unwrap_or_default()
            ),
        ),
        "aws_lambda_function_url" if get("authorization_type") == "NONE" => {
            inv.grant(
                address,
                Access::Public,
                "function URL without authorization",
            );
        }
        "aws_apigatewayv2_route" => inv.grant(
            address,
            Access::Public,
            format!(
                "route {} (authorization {})",
                get("route_key"),
                v.get("authorization_type")
                    .map(show)
                    .unwrap_or_else(|| "NONE".into())
            ),
        ),
        _ => {}
    }
}

/// An `ingress` block or `aws_security_group_rule`: one grant per source.
fn ingress_block(b: &Value, address: &str, into: &str, inv: &mut Inventory) {
    let p = ports(
        &b.get("protocol").map(show).unwrap_or_default(),
        b.get("from_port"),
        b.get("to_port"),
    );
    let mut sources: Vec<String> = Vec::new();
    for k in [
        "cidr_blocks",
        "ipv6_cidr_blocks",
        "security_groups",
        "prefix_list_ids",
    ] {
        sources.extend(one_or_many(b.get(k)).into_iter().map(show));
    }
    if let Some(sg) = b.get("source_security_group_id") {
        sources.push(show(sg));
    }
    if b.get("self") == Some(&Value::Bool(true)) {
        sources.push("itself".to_string());
    }
    if sources.is_empty() {
        sources.push("nowhere listed".to_string());
    }
    for s in sources {
        inv.grant(
            address,
            Access::Network,
            format!("ingress {p}{into} from {s}"),
        );
    }
}

/// `tcp/443`, `tcp/1000-2000`, `all traffic`.
pub fn ports(protocol: &str, from: Option<&Value>, to: Option<&Value>) -> String {
    if protocol == "-1" || protocol == "all" {
        return "all traffic".to_string();
    }
    let (from, to) = (from.map(show), to.map(show));
    match (from, to) {
        (Some(f), Some(t)) if f == t => format!("{protocol}/{f}"),
        (Some(f), Some(t)) => format!("{protocol}/{f}-{t}"),
        (Some(f), None) | (None, Some(f)) => format!("{protocol}/{f}"),
        (None, None) => format!("{protocol}/all ports"),
    }
}

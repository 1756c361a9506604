//! Kubernetes YAML: objects by `kind/namespace/name`, and the access each
//! grants (NetworkPolicy allowances, Ingress paths, exposed Services, RBAC,
//! IAM roles of service accounts).

use super::{one_or_many, show, Access, Inventory};
use serde::Deserialize;
use serde_json::Value;

pub fn inventory(path: &str, text: &str) -> Result<Inventory, String> {
    let mut inv = Inventory::default();
    let file = path.rsplit('/').next().unwrap_or(path);
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(doc).map_err(|e| e.to_string())?;
        if v.is_null() {
            continue;
        }
        let kind = v.get("kind").and_then(Value::as_str);
        let name = v.pointer("/metadata/name").and_then(Value::as_str);
        let ns = v.pointer("/metadata/namespace").and_then(Value::as_str);
        let address = match (kind, ns, name) {
            (Some(k), Some(ns), Some(n)) => format!("{k}/{ns}/{n}"),
            (Some(k), None, Some(n)) => format!("{k}/{n}"),
            (Some(k), _, None) => format!("{k} in {file}"),
            _ => format!("{file}#{i}"),
        };
        if let Some(k) = kind {
            grants(k, &address, &v, &mut inv);
        }
        inv.resources.insert(address, v);
    }
    Ok(inv)
}

fn grants(kind: &str, address: &str, v: &Value, inv: &mut Inventory) {
    let spec = v.get("spec").cloned().unwrap_or(Value::Null);
    match kind {
        "NetworkPolicy" => {
            let pods = selector(spec.get("podSelector"), "pods");
            for rule in one_or_many(spec.get("ingress")) {
                for peer in peers(rule.get("from")) {
                    for port in ports(rule.get("ports")) {
                        inv.grant(
                            address,
                            Access::Network,
                            format!("ingress into {pods} from {peer} on {port}"),
                        );
                    }
                }
            }
            for rule in one_or_many(spec.get("egress")) {
                for peer in peers(rule.get("to")) {
                    for port in ports(rule.get("ports")) {
                        inv.grant(
                            address,
                            Access::Network,
                            format!("egress from {pods} to {peer} on {port}"),
                        );
                    }
                }
            }
        }
        "Ingress" => {
            if let Some(b) = spec.get("defaultBackend") {
                inv.grant(
                    address,
                    Access::Public,
                    format!("every path forwards to {}", backend(b)),
                );
            }
            for rule in one_or_many(spec.get("rules")) {
                let host = rule
                    .get("host")
                    .map(show)
                    .unwrap_or_else(|| "any host".to_string());
                for p in one_or_many(rule.pointer("/http/paths")) {
                    let path = p.get("path").map(show).unwrap_or_else(|| "/".into());
                    let ty = p.get("pathType").map(show).unwrap_or_default();
                    let to = p.get("backend").map(backend).unwrap_or_default();
                    inv.grant(
                        address,
                        Access::Public,
                        format!("{host} {path} ({ty}) forwards to {to}"),
                    );
                }
            }
        }
        "Service" => {
            let ty = spec
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            if ty == "LoadBalancer" || ty == "NodePort" {
                let internal = v
                    .pointer("/metadata/annotations")
                    .and_then(Value::as_object)
                    .is_some_and(|a| {
                        a.iter().any(|(k, x)| {
                            k.ends_with("aws-load-balancer-scheme") && show(x) == "internal"
                                || k.ends_with("aws-load-balancer-internal") && show(x) == "true"
                        })
                    });
                let scope = if internal { "internal " } else { "" };
                for p in one_or_many(spec.get("ports")) {
                    let proto = p.get("protocol").map(show).unwrap_or_else(|| "TCP".into());
                    let port = p.get("port").map(show).unwrap_or_default();
                    inv.grant(
                        address,
                        Access::Public,
                        format!("{scope}type {ty} exposes {proto}/{port}"),
                    );
                }
            }
        }
        "Role" | "ClusterRole" => {
            for rule in one_or_many(v.get("rules")) {
                let groups: Vec<String> = one_or_many(rule.get("apiGroups"))
                    .into_iter()
                    .map(show)
                    .collect();
                let names = rule
                    .get("resourceNames")
                    .map(|n| format!(" named {}", show(n)))
                    .unwrap_or_default();
                let mut targets: Vec<String> = Vec::new();
                for r in one_or_many(rule.get("resources")) {
                    if groups.is_empty() {
                        targets.push(show(r));
                    }
                    for g in &groups {
                        targets.push(if g.is_empty() {
                            show(r)
                        } else {
                            format!("{g}/{}", show(r))
                        });
                    }
                }
                for u in one_or_many(rule.get("nonResourceURLs")) {
                    targets.push(format!("URL {}", show(u)));
                }
                for verb in one_or_many(rule.get("verbs")) {
                    for t in &targets {
                        let verb = show(verb);
                        let wild = if verb == "*" || t.contains('*') {
                            " (wildcard)"
                        } else {
                            ""
                        };
                        inv.grant(
                            address,
                            Access::Rbac,
                            format!("allow {verb} on {t}{names}{wild}"),
                        );
                    }
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let role = v
                .get("roleRef")
                .map(|r| {
                    format!(
                        "{} {}",
                        r.get("kind").map(show).unwrap_or_default(),
                        r.get("name").map(show).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            for s in one_or_many(v.get("subjects")) {
                let who = match s.get("namespace") {
                    Some(ns) => format!(
                        "{} {}/{}",
                        s.get("kind").map(show).unwrap_or_default(),
                        show(ns),
                        s.get("name").map(show).unwrap_or_default()
                    ),
                    None => format!(
                        "{} {}",
                        s.get("kind").map(show).unwrap_or_default(),
                        s.get("name").map(show).unwrap_or_default()
                    ),
                };
                inv.grant(address, Access::Rbac, format!("bind {who} to {role}"));
            }
        }
        "ServiceAccount" => {
            if let Some(role) = v.pointer("/metadata/annotations/eks.amazonaws.com~1role-arn") {
                inv.grant(
                    address,
                    Access::Iam,
                    format!("pods of this service account assume {}", show(role)),
                );
            }
        }
        _ => {}
    }
}

/// `pods app=api`, `every pod`.
fn selector(s: Option<&Value>, what: &str) -> String {
    let labels: Vec<String> = s
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", show(v))).collect())
        .unwrap_or_default();
    let exprs = s
        .and_then(|s| s.get("matchExpressions"))
        .map(|e| format!(" matching {}", show(e)))
        .unwrap_or_default();
    if labels.is_empty() && exprs.is_empty() {
        format!("every {}", what.trim_end_matches('s'))
    } else {
        format!("{what} {}{exprs}", labels.join(","))
    }
}

fn peers(list: Option<&Value>) -> Vec<String> {
    let items = one_or_many(list);
    if items.is_empty() {
        return vec!["anywhere".to_string()];
    }
    items
        .into_iter()
        .map(|p| {
            if let Some(ip) = p.get("ipBlock") {
                let except = ip
                    .get("except")
                    .map(|e| format!(" except {}", show(e)))
                    .unwrap_or_default();
                return format!("{}{except}", ip.get("cidr").map(show).unwrap_or_default());
            }
            match (p.get("namespaceSelector"), p.get("podSelector")) {
                (Some(ns), Some(pods)) => format!(
                    "{} in {}",
                    selector(Some(pods), "pods"),
                    selector(Some(ns), "namespaces")
                ),
                (Some(ns), None) => selector(Some(ns), "namespaces"),
                (None, Some(pods)) => format!("{} in this namespace", selector(Some(pods), "pods")),
                (None, None) => show(p),
            }
        })
        .collect()
}

fn ports(list: Option<&Value>) -> Vec<String> {
    let items = one_or_many(list);
    if items.is_empty() {
        return vec!["every port".to_string()];
    }
    items
        .into_iter()
        .map(|p| {
            let proto = p.get("protocol").map(show).unwrap_or_else(|| "TCP".into());
            let port = p.get("port").map(show).unwrap_or_else(|| "any".into());
            match p.get("endPort") {
                Some(end) => format!("{proto}/{port}-{}", show(end)),
                None => format!("{proto}/{port}"),
            }
        })
        .collect()
}

fn backend(b: &Value) -> String {
    match b.get("service") {
        Some(s) => {
            let port = s
                .get("port")
                .and_then(|p| p.get("number").or(p.get("name")))
                .map(show)
                .unwrap_or_default();
            format!(
                "service {}:{port}",
                s.get("name").map(show).unwrap_or_default()
            )
        }
        None => show(b),
    }
}

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
            let fields = immutable(k, &v);
            if !fields.is_empty() {
                inv.immutable.insert(address.clone(), fields);
            }
        }
        inv.resources.insert(address, v);
    }
    Ok(inv)
}

/// The fields of `kind` that Kubernetes refuses to change on an existing
/// object: a workload's selector (the labels that pick its pods), and a
/// StatefulSet's service and volume claims.
fn immutable(kind: &str, v: &Value) -> std::collections::BTreeMap<String, Value> {
    let fields: &[&str] = match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" | "Job" => &["selector"],
        "StatefulSet" => &["selector", "serviceName", "volumeClaimTemplates"],
        _ => &[],
    };
    fields
        .iter()
        .filter_map(|f| {
            v.pointer(&format!("/spec/{f}"))
                .map(|x| (format!("spec.{f}"), x.clone()))
        })
        .collect()
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
        "SecretStore" | "ClusterSecretStore" => {
            if let Some(role) = spec.pointer("/provider/aws/role") {
                let scope = if kind == "ClusterSecretStore" {
                    "ExternalSecrets of every namespace"
                } else {
                    "ExternalSecrets of this namespace"
                };
                inv.grant(
                    address,
                    Access::Iam,
                    format!("{scope} read Secrets Manager as {}", show(role)),
                );
            }
        }
        "ExternalSecret" => {
            let target = spec.pointer("/target/name").map(show).unwrap_or_default();
            for d in one_or_many(spec.get("data")) {
                let key = d.pointer("/remoteRef/key").map(show).unwrap_or_default();
                let var = d.get("secretKey").map(show).unwrap_or_default();
                inv.grant(
                    address,
                    Access::Iam,
                    format!("copies secret {key} into Secret {target} key {var}"),
                );
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

#[cfg(test)]
mod tests {
    use super::super::{review, FileChange};

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api, namespace: shop }\nspec:\n  replicas: 2\n  selector: { matchLabels: { app.kubernetes.io/name: api } }\n  template: { metadata: { labels: { app.kubernetes.io/name: api } } }\n";

    fn run(old: &str, new: &str) -> super::super::Review {
        review(&[FileChange {
            path: "kubernetes/workloads/api.yaml",
            old: Some(old.as_bytes()),
            new: Some(new.as_bytes()),
        }])
    }

    #[test]
    fn a_changed_selector_is_called_out_as_a_replacement() {
        let new = DEPLOYMENT.replace(
            "selector: { matchLabels: { app.kubernetes.io/name: api } }",
            "selector: { matchLabels: { app.kubernetes.io/name: api, tenant: a } }",
        );
        let r = run(DEPLOYMENT, &new);
        assert_eq!(
            r.immutable,
            [(
                "kubernetes/workloads".to_string(),
                "Deployment/shop/api".to_string(),
                "spec.selector".to_string()
            )]
        );
        let text = r.to_string();
        assert!(text.contains("Replacements: 1"), "{text}");
        assert!(text.contains("--cascade=orphan"), "{text}");
        // Other changes to the Deployment replace nothing.
        let r = run(
            DEPLOYMENT,
            &DEPLOYMENT.replace("replicas: 2", "replicas: 3"),
        );
        assert!(r.immutable.is_empty());
        assert!(!r.to_string().contains("Replacements"));
    }

    #[test]
    fn external_secrets_show_what_they_read() {
        let old = "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: shop }\n";
        let new = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: { name: api, namespace: shop }\nspec:\n  target: { name: api }\n  data: [{ secretKey: DB, remoteRef: { key: prod/db } }]\n---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: { name: aws-secrets-manager, namespace: shop }\nspec: { provider: { aws: { role: arn:aws:iam::1:role/r, region: eu-west-1, service: SecretsManager } } }\n";
        let r = run(old, new);
        let details: Vec<&str> = r
            .widenings
            .iter()
            .map(|w| w.grant.detail.as_str())
            .collect();
        assert_eq!(
            details,
            [
                "copies secret prod/db into Secret api key DB",
                "ExternalSecrets of this namespace read Secrets Manager as arn:aws:iam::1:role/r"
            ]
        );
    }
}

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
/// object, as JSON pointers: a workload's selector (the labels that pick
/// its pods); a StatefulSet's service, pod management and volume claims
/// (the API allows only replicas, template, update strategy, ordinals,
/// revision history, claim retention and minReadySeconds to change); a
/// Service's cluster IP (`None` for a headless one); a StorageClass's all
/// but `allowVolumeExpansion`.
fn immutable_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" | "Job" => &["/spec/selector"],
        "StatefulSet" => &[
            "/spec/selector",
            "/spec/serviceName",
            "/spec/podManagementPolicy",
            "/spec/volumeClaimTemplates",
        ],
        "Service" => &["/spec/clusterIP"],
        "StorageClass" => &[
            "/provisioner",
            "/parameters",
            "/reclaimPolicy",
            "/volumeBindingMode",
        ],
        _ => &[],
    }
}

/// `/spec/selector` as `spec.selector`.
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The immutable fields of an object, by name. A kustomization's JSON
/// 6902 patches count for the object they target: the operations of each
/// patch that touch one of its immutable fields (an environment's larger
/// volume claim), under `patch of <kind>/<name>: <field>`.
fn immutable(kind: &str, v: &Value) -> std::collections::BTreeMap<String, Value> {
    let mut out: std::collections::BTreeMap<String, Value> = immutable_fields(kind)
        .iter()
        .filter_map(|f| v.pointer(f).map(|x| (dotted(f), x.clone())))
        .collect();
    if kind == "Kustomization" {
        for p in one_or_many(v.get("patches")) {
            let target = p.get("target").cloned().unwrap_or(Value::Null);
            let Some(k) = target.get("kind").and_then(Value::as_str) else {
                continue;
            };
            let name = target.get("name").and_then(Value::as_str).unwrap_or("*");
            let ops: Value = match p.get("patch").and_then(Value::as_str) {
                Some(text) => serde_yaml::from_str(text).unwrap_or(Value::Null),
                None => Value::Null,
            };
            for op in ops.as_array().into_iter().flatten() {
                let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
                for f in immutable_fields(k) {
                    if path == *f || path.starts_with(&format!("{f}/")) {
                        let key = format!("patch of {k}/{name}: {}", dotted(f));
                        match out.entry(key).or_insert_with(|| Value::Array(vec![])) {
                            Value::Array(a) => a.push(op.clone()),
                            _ => unreachable!("patch entries are lists"),
                        }
                    }
                }
            }
        }
    }
    out
}

/// What to do about a change to `field` of `address` that the API
/// refuses, for the review.
pub fn replacement(address: &str, field: &str) -> &'static str {
    if field.ends_with("volumeClaimTemplates") {
        "a StatefulSet's volume claims cannot change: if the size grows, first grow each of its claims (`kubectl patch pvc`; volumes never shrink), then `kubectl delete statefulset --cascade=orphan` (its pods and volumes stay) and apply again"
    } else if address.starts_with("StorageClass/") {
        "delete the StorageClass and apply again; volumes made before keep their settings"
    } else {
        "the API refuses the update: delete the object (for a Deployment or StatefulSet `kubectl delete --cascade=orphan`, which keeps its pods) and apply again"
    }
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

    const STATEFUL_SET: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: search, namespace: shop }\nspec:\n  replicas: 3\n  serviceName: search-headless\n  podManagementPolicy: Parallel\n  selector: { matchLabels: { app.kubernetes.io/name: search } }\n  template: { metadata: { labels: { app.kubernetes.io/name: search } } }\n  volumeClaimTemplates:\n    - metadata: { name: data }\n      spec: { accessModes: [ReadWriteOnce], storageClassName: blueprint-gp3, resources: { requests: { storage: 20Gi } } }\n";

    fn fields(r: &super::super::Review) -> Vec<(&str, &str)> {
        r.immutable
            .iter()
            .map(|(_, a, f)| (a.as_str(), f.as_str()))
            .collect()
    }

    #[test]
    fn a_statefulsets_claims_service_and_pod_management_cannot_change() {
        let r = run(
            STATEFUL_SET,
            &STATEFUL_SET.replace("storage: 20Gi", "storage: 40Gi"),
        );
        assert_eq!(
            fields(&r),
            [("StatefulSet/shop/search", "spec.volumeClaimTemplates")]
        );
        let text = r.to_string();
        assert!(text.contains("Replacements: 1"), "{text}");
        assert!(text.contains("kubectl patch pvc"), "{text}");
        assert!(
            text.contains("kubectl delete statefulset --cascade=orphan"),
            "{text}"
        );
        let r = run(
            STATEFUL_SET,
            &STATEFUL_SET
                .replace("Parallel", "OrderedReady")
                .replace("search-headless", "search-pods"),
        );
        assert_eq!(
            fields(&r),
            [
                ("StatefulSet/shop/search", "spec.podManagementPolicy"),
                ("StatefulSet/shop/search", "spec.serviceName")
            ]
        );
        // Replicas and the template change in place.
        let r = run(
            STATEFUL_SET,
            &STATEFUL_SET
                .replace("replicas: 3", "replicas: 5")
                .replace("labels: { app", "annotations: { a: b }, labels: { app"),
        );
        assert!(r.immutable.is_empty(), "{r:?}");
    }

    #[test]
    fn a_kustomization_patching_a_claim_template_is_a_replacement() {
        let k = |patches: &str| {
            format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../../workloads]\npatches:\n{patches}")
        };
        let size = |gib: u32| {
            format!("  - target: {{ kind: StatefulSet, name: search }}\n    patch: |-\n      - op: replace\n        path: /spec/volumeClaimTemplates/0/spec/resources/requests/storage\n        value: \"{gib}Gi\"\n")
        };
        let replicas = "  - target: { kind: HorizontalPodAutoscaler, name: search }\n    patch: |-\n      - op: replace\n        path: /spec/minReplicas\n        value: 1\n";
        let review = |old: &str, new: &str| {
            review(&[FileChange {
                path: "kubernetes/overlays/prod/shop/kustomization.yaml",
                old: Some(old.as_bytes()),
                new: Some(new.as_bytes()),
            }])
        };
        let claim = [(
            "Kustomization in kustomization.yaml",
            "patch of StatefulSet/search: spec.volumeClaimTemplates",
        )];
        // A size that changes, a patch that starts or stops.
        for (old, new) in [
            (k(&size(50)), k(&size(100))),
            (k(replicas), k(&format!("{}{replicas}", size(100)))),
            (k(&size(100)), k(replicas)),
        ] {
            let r = review(&old, &new);
            assert_eq!(fields(&r), claim, "{old}\n{new}");
            assert!(r.to_string().contains("--cascade=orphan"));
        }
        // Other patches of the StatefulSet or its autoscaler do not.
        let r = review(
            &k(&size(50)),
            &k(&format!(
                "{}{}",
                size(50),
                replicas.replace("value: 1", "value: 2")
            )),
        );
        assert!(r.immutable.is_empty(), "{r:?}");
    }

    #[test]
    fn a_storage_class_and_a_services_cluster_ip_cannot_change() {
        let sc = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: { name: blueprint-gp3 }\nprovisioner: ebs.csi.aws.com\nparameters: { type: gp3, encrypted: \"true\" }\nreclaimPolicy: Delete\nvolumeBindingMode: WaitForFirstConsumer\nallowVolumeExpansion: true\n";
        let r = run(sc, &sc.replace("Delete", "Retain"));
        assert_eq!(
            fields(&r),
            [("StorageClass/blueprint-gp3", "reclaimPolicy")]
        );
        assert!(r.to_string().contains("delete the StorageClass"));
        let r = run(
            sc,
            &sc.replace("allowVolumeExpansion: true", "allowVolumeExpansion: false"),
        );
        assert!(r.immutable.is_empty(), "{r:?}");
        // A Service that becomes headless.
        let svc = "apiVersion: v1\nkind: Service\nmetadata: { name: search, namespace: shop }\nspec: { selector: { a: b }, ports: [{ port: 80 }] }\n";
        let headless = svc.replace("spec: {", "spec: { clusterIP: None,");
        assert_eq!(
            fields(&run(svc, &headless)),
            [("Service/shop/search", "spec.clusterIP")]
        );
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

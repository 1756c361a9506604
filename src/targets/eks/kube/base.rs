//! `kubernetes/base`: per tenant, in a kustomization of its own
//! (`base/<namespace>`), its namespace (restricted Pod Security), quota,
//! limit range, default-deny network policies with DNS and AWS API egress,
//! KEDA's TriggerAuthentication, and the service accounts that Pod
//! Identity binds. No environment changes any of it; each tenant's unit
//! of each environment includes its own (so a unit never builds another
//! tenant's objects), and `base/kustomization.yaml` lists them all.

use super::*;
use crate::doc::{Document, FileSet};
use crate::model::{Cpu, Memory};
pub fn add_base(model: &Model, files: &mut FileSet) {
    let app = model.app.name.as_str();
    let mut resources = Vec::new();
    for tenant in tenants(model) {
        let scope = Scope::new(app, tenant);
        // The tenant's workloads, as named in any environment (overrides
        // change values, never which workloads exist).
        let mut workloads = BTreeSet::new();
        let mut has_keda = false;
        let mut has_public = false;
        for env in &model.environments {
            for (_, w) in env.all_workloads() {
                if w.tenant.as_ref().map(Name::as_str) != tenant {
                    continue;
                }
                for s in &w.services {
                    workloads.insert(s.name.to_string());
                    has_keda |= uses_keda(s);
                    has_public |= s.expose == crate::model::Expose::Public;
                }
                workloads.extend(w.jobs.iter().map(|j| j.name.to_string()));
            }
        }
        let quota = tenant
            .and_then(|t| model.tenants.iter().find(|x| x.name.as_str() == t))
            .map(|t| &t.quota);
        let mut docs = vec![namespace_object(&scope, has_public)];
        if let Some(q) = quota.filter(|q| q.cpu.is_some() || q.memory.is_some() || q.pods.is_some())
        {
            let mut hard = BTreeMap::new();
            if let Some(c) = q.cpu {
                hard.insert("requests.cpu".to_string(), c.to_string());
            }
            if let Some(m) = q.memory {
                hard.insert("requests.memory".to_string(), m.to_string());
                hard.insert("limits.memory".to_string(), m.to_string());
            }
            if let Some(p) = q.pods {
                hard.insert("pods".to_string(), p.to_string());
            }
            docs.push(
                Object::new(
                    scope.tenant_meta("quota", "tenant"),
                    ResourceQuota {
                        spec: ResourceQuotaSpec { hard },
                    },
                )
                .to_value(),
            );
        }
        docs.push(limit_range(&scope));
        docs.extend(base_policies(&scope));
        if has_keda {
            docs.push(
                Object::new(
                    scope.tenant_meta(TRIGGER_AUTH, "tenant"),
                    TriggerAuthentication {
                        spec: TriggerAuthenticationSpec {
                            pod_identity: PodIdentity {
                                provider: "aws".into(),
                                identity_owner: "keda".into(),
                            },
                        },
                    },
                )
                .to_value(),
            );
        }
        let dir = format!("kubernetes/base/{}", scope.namespace);
        files.insert(format!("{dir}/namespace.yaml"), Document::Yaml(docs));
        let mut own = vec!["namespace.yaml".to_string()];
        if !workloads.is_empty() {
            let accounts = workloads
                .iter()
                .map(|w| {
                    Object::new(
                        scope.tenant_meta(w, "identity"),
                        ServiceAccount {
                            automount_service_account_token: false,
                        },
                    )
                    .to_value()
                })
                .collect();
            files.insert(
                format!("{dir}/service-accounts.yaml"),
                Document::Yaml(accounts),
            );
            own.push("service-accounts.yaml".into());
        }
        files.insert(
            format!("{dir}/kustomization.yaml"),
            Document::Yaml(vec![Kustomization::new(own).to_value()]),
        );
        resources.push(scope.namespace.clone());
    }
    files.insert(
        "kubernetes/base/kustomization.yaml".into(),
        Document::Yaml(vec![Kustomization::new(resources).to_value()]),
    );
}

/// A tenant's namespace. With a public service, the load balancer
/// controller injects its readiness gate into the namespace's pods: a pod
/// counts as ready only once its target is healthy in the ALB, so a
/// rollout never runs ahead of the load balancer.
fn namespace_object(scope: &Scope, public: bool) -> serde_json::Value {
    let mut labels = common_labels(scope.app, &scope.namespace, &scope.namespace, "tenant");
    if let Some(t) = scope.tenant {
        labels.insert("tenant".into(), t.into());
    }
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            "restricted".into(),
        );
    }
    labels.insert(
        "pod-security.kubernetes.io/enforce-version".into(),
        "latest".into(),
    );
    if public {
        labels.insert(
            "elbv2.k8s.aws/pod-readiness-gate-inject".into(),
            "enabled".into(),
        );
    }
    Object::new(
        ObjectMeta {
            name: scope.namespace.clone(),
            labels,
            ..ObjectMeta::default()
        },
        Namespace {},
    )
    .to_value()
}

fn limit_range(scope: &Scope) -> serde_json::Value {
    let memory = Memory::from_mib(512).to_string();
    Object::new(
        scope.tenant_meta("defaults", "tenant"),
        LimitRange {
            spec: LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".into(),
                    default: BTreeMap::from([("memory".to_string(), memory.clone())]),
                    default_request: BTreeMap::from([
                        ("cpu".to_string(), Cpu::from_millis(250).to_string()),
                        ("memory".to_string(), memory),
                    ]),
                }],
            },
        },
    )
    .to_value()
}

/// Default deny in both directions, then DNS to CoreDNS and HTTPS to AWS
/// APIs (plus the Pod Identity agent) for every pod of the tenant.
fn base_policies(scope: &Scope) -> Vec<serde_json::Value> {
    let all = || LabelSelector::default();
    let deny = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Ingress".into(), "Egress".into()],
            ingress: None,
            egress: None,
        },
    };
    let dns = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Egress".into()],
            ingress: None,
            egress: Some(vec![NetworkPolicyRule {
                to: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(LabelSelector::labels(BTreeMap::from([(
                        "kubernetes.io/metadata.name".to_string(),
                        "kube-system".to_string(),
                    )]))),
                    pod_selector: Some(LabelSelector::labels(BTreeMap::from([(
                        "k8s-app".to_string(),
                        "kube-dns".to_string(),
                    )]))),
                    ip_block: None,
                }]),
                ports: vec![port("UDP", 53), port("TCP", 53)],
                ..NetworkPolicyRule::default()
            }]),
        },
    };
    let aws = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Egress".into()],
            ingress: None,
            egress: Some(vec![
                NetworkPolicyRule {
                    to: Some(vec![ip("0.0.0.0/0")]),
                    ports: vec![port("TCP", 443)],
                    ..NetworkPolicyRule::default()
                },
                NetworkPolicyRule {
                    to: Some(vec![ip(POD_IDENTITY_AGENT)]),
                    ports: vec![port("TCP", 80)],
                    ..NetworkPolicyRule::default()
                },
            ]),
        },
    };
    vec![
        Object::new(scope.tenant_meta("default-deny", "tenant"), deny).to_value(),
        Object::new(scope.tenant_meta("allow-dns", "tenant"), dns).to_value(),
        Object::new(scope.tenant_meta("allow-aws-apis", "tenant"), aws).to_value(),
    ]
}

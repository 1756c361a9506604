//! Karpenter v1 objects of one environment: the default EC2NodeClass and
//! NodePool for the single or shared tenants, and per dedicated tenant an
//! EC2NodeClass of its own (its nodes and volumes carry the tenant's tag)
//! and a tainted NodePool that only that tenant's pods tolerate and
//! select. Every node class tags what it launches with the blueprint's
//! tags.

use super::k8s::{
    AmiSelectorTerm, BlockDeviceMapping, Disruption, Ebs, Ec2NodeClass, Ec2NodeClassSpec,
    LabelSelectorRequirement, MetadataOptions, NodeClaimSpec, NodeClaimTemplate, NodeClassRef,
    NodePool, NodePoolSpec, Object, ObjectMeta, PodMeta, TagSelectorTerm, Taint,
};
use super::kube::common_labels;
use crate::aws::names::eks::ClusterNames as EnvNames;
use crate::model::{Environment, Model, PlatformKind, Workloads};
use std::collections::BTreeMap;

/// Node label and taint key that marks a dedicated tenant's nodes.
pub const TENANT_LABEL: &str = "blueprint.dev/tenant";
pub const NODE_CLASS: &str = "default";
pub const AMI_ALIAS: &str = "al2023@latest";

/// Tag keys the EC2NodeClass refuses (its CRD's validation rules: Karpenter
/// sets these itself).
const KARPENTER_TAG_KEYS: [&str; 4] = [
    "eks:eks-cluster-name",
    "karpenter.sh/nodepool",
    "karpenter.sh/nodeclaim",
    "karpenter.k8s.aws/ec2nodeclass",
];

pub fn objects(model: &Model, env: &Environment, names: &EnvNames) -> Vec<serde_json::Value> {
    let mut tags = crate::aws::tags::defaults(model, env);
    tags.retain(|k, _| {
        !k.is_empty()
            && !KARPENTER_TAG_KEYS.contains(&k.as_str())
            && !k.starts_with("kubernetes.io/cluster")
    });
    let mut docs = vec![node_class(names, NODE_CLASS, None, &tags).to_value()];
    let shared: Vec<&Workloads> = env
        .platforms
        .iter()
        .filter(|p| !matches!(p.kind, PlatformKind::Dedicated(_)))
        .flat_map(|p| p.tenants.iter())
        .collect();
    docs.push(pool(names, "default", None, &shared).to_value());
    for p in &env.platforms {
        if let PlatformKind::Dedicated(t) = &p.kind {
            let tenants: Vec<&Workloads> = p.tenants.iter().collect();
            let name = pool_name(t.as_str());
            docs.push(node_class(names, &name, Some(t.as_str()), &tags).to_value());
            docs.push(pool(names, &name, Some(t.as_str()), &tenants).to_value());
        }
    }
    docs
}

pub fn pool_name(tenant: &str) -> String {
    format!("tenant-{tenant}")
}

fn meta(names: &EnvNames, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        labels: common_labels(&names.app, "karpenter", name, "node-pool"),
        ..ObjectMeta::default()
    }
}

/// A node class: the blueprint's tags (and a dedicated tenant's) on every
/// instance, volume and network interface it launches.
fn node_class(
    names: &EnvNames,
    name: &str,
    tenant: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Object<Ec2NodeClass> {
    let discovery = BTreeMap::from([("karpenter.sh/discovery".to_string(), names.cluster.clone())]);
    let mut tags = tags.clone();
    let mut m = meta(names, name);
    if let Some(t) = tenant {
        tags.insert(crate::aws::tags::TENANT.to_string(), t.to_string());
        m.labels.insert("tenant".into(), t.into());
    }
    Object::new(
        m,
        Ec2NodeClass {
            spec: Ec2NodeClassSpec {
                role: names.karpenter_node_role.clone(),
                ami_selector_terms: vec![AmiSelectorTerm {
                    alias: AMI_ALIAS.into(),
                }],
                subnet_selector_terms: vec![TagSelectorTerm {
                    tags: discovery.clone(),
                }],
                security_group_selector_terms: vec![TagSelectorTerm { tags: discovery }],
                // IMDSv2 only, one hop: pods get credentials from Pod Identity, never from the node.
                metadata_options: MetadataOptions {
                    http_endpoint: "enabled".into(),
                    http_put_response_hop_limit: 1,
                    http_tokens: "required".into(),
                },
                block_device_mappings: vec![BlockDeviceMapping {
                    device_name: "/dev/xvda".into(),
                    ebs: Ebs {
                        volume_size: "50Gi".into(),
                        volume_type: "gp3".into(),
                        encrypted: true,
                        delete_on_termination: true,
                    },
                }],
                tags,
            },
        },
    )
}

fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.into(),
        operator: operator.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// Limits: twice what the pool's workloads ask for at full scale (room for
/// daemonsets, bin-packing and rollouts), at least 16 vCPU / 64Gi.
pub fn limits(tenants: &[&Workloads]) -> (u64, u64) {
    let mut millis: u64 = 0;
    let mut mib: u64 = 0;
    for w in tenants {
        for s in &w.services {
            let n = u64::from(s.scale.max.max(1));
            millis += n * u64::from(s.cpu.millis());
            mib += n * u64::from(s.memory.mib());
        }
        for j in &w.jobs {
            millis += u64::from(j.cpu.millis());
            mib += u64::from(j.memory.mib());
        }
    }
    let cpu = (2 * millis).div_ceil(1000).max(16);
    let gib = (2 * mib).div_ceil(1024).max(64);
    (cpu, gib)
}

fn pool(
    names: &EnvNames,
    name: &str,
    tenant: Option<&str>,
    tenants: &[&Workloads],
) -> Object<NodePool> {
    let (cpu, gib) = limits(tenants);
    let (metadata, taints) = match tenant {
        Some(t) => (
            Some(PodMeta {
                labels: BTreeMap::from([(TENANT_LABEL.to_string(), t.to_string())]),
                ..PodMeta::default()
            }),
            vec![Taint {
                key: TENANT_LABEL.into(),
                value: t.into(),
                effect: "NoSchedule".into(),
            }],
        ),
        None => (None, vec![]),
    };
    let mut m = meta(names, name);
    if let Some(t) = tenant {
        m.labels.insert("tenant".into(), t.into());
    }
    Object::new(
        m,
        NodePool {
            spec: NodePoolSpec {
                template: NodeClaimTemplate {
                    metadata,
                    spec: NodeClaimSpec {
                        node_class_ref: NodeClassRef {
                            group: "karpenter.k8s.aws".into(),
                            kind: "EC2NodeClass".into(),
                            // A dedicated tenant's pool uses its own class.
                            name: if tenant.is_some() { name } else { NODE_CLASS }.into(),
                        },
                        requirements: vec![
                            requirement("karpenter.sh/capacity-type", "In", &["spot", "on-demand"]),
                            requirement(
                                "karpenter.k8s.aws/instance-category",
                                "In",
                                &["c", "m", "r"],
                            ),
                            requirement("karpenter.k8s.aws/instance-generation", "Gt", &["4"]),
                            requirement("kubernetes.io/arch", "In", &["amd64", "arm64"]),
                            requirement("kubernetes.io/os", "In", &["linux"]),
                        ],
                        taints,
                        expire_after: "720h".into(),
                    },
                },
                disruption: Disruption {
                    consolidation_policy: "WhenEmptyOrUnderutilized".into(),
                    consolidate_after: "1m".into(),
                },
                limits: BTreeMap::from([
                    ("cpu".to_string(), cpu.to_string()),
                    ("memory".to_string(), format!("{gib}Gi")),
                ]),
                weight: None,
            },
        },
    )
}

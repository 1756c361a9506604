//! Karpenter v1 objects of one environment: the EC2NodeClass, the default
//! NodePool for the single or shared tenants, and one tainted NodePool per
//! dedicated tenant that only that tenant's pods tolerate and select.

use super::k8s::{
    AmiSelectorTerm, BlockDeviceMapping, Disruption, Ebs, Ec2NodeClass, Ec2NodeClassSpec,
    LabelSelectorRequirement, MetadataOptions, NodeClaimSpec, NodeClaimTemplate, NodeClassRef,
    NodePool, NodePoolSpec, Object, ObjectMeta, PodMeta, TagSelectorTerm, Taint,
};
use super::kube::common_labels;
use crate::aws::names::eks::ClusterNames as EnvNames;
use crate::model::{Environment, PlatformKind, Workloads};
use std::collections::BTreeMap;

/// Node label and taint key that marks a dedicated tenant's nodes.
pub const TENANT_LABEL: &str = "blueprint.dev/tenant";
pub const NODE_CLASS: &str = "default";
pub const AMI_ALIAS: &str = "al2023@latest";

pub fn objects(env: &Environment, names: &EnvNames) -> Vec<serde_json::Value> {
    let mut docs = vec![node_class(names).to_value()];
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
            docs.push(pool(names, &pool_name(t.as_str()), Some(t.as_str()), &tenants).to_value());
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

fn node_class(names: &EnvNames) -> Object<Ec2NodeClass> {
    let discovery = BTreeMap::from([("karpenter.sh/discovery".to_string(), names.cluster.clone())]);
    Object::new(
        meta(names, NODE_CLASS),
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
                tags: BTreeMap::from([
                    ("app".to_string(), names.app.clone()),
                    ("environment".to_string(), names.env.clone()),
                    ("managed-by".to_string(), "blueprint".to_string()),
                ]),
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
                            name: NODE_CLASS.into(),
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

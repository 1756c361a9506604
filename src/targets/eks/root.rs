//! One environment's Terraform root: versions, provider with default tags,
//! inputs, the cluster module with this environment's queues and workload
//! identities, and outputs.

use super::module::SOURCE_FROM_ROOT;
use super::KUBERNETES_VERSION;
use crate::aws::contract;
use crate::aws::iam::{self, SecretResource};
use crate::aws::names::eks::{self as eks_names, namespace, ClusterNames as EnvNames};
use crate::aws::names::key;
use crate::doc::hcl::{map, number, object, reference, string, strings};
use crate::doc::{Document, FileSet};
use crate::model::{Environment, Expose, Model, Name, SecretRef, Target};
use crate::targets::terraform::{self, add_root_basics, ident, type_call, variable};
use hcl::{Block, Body, Expression};
use std::collections::BTreeSet;

pub fn add(model: &Model, env: &Environment, names: &EnvNames, files: &mut FileSet) {
    let dir = format!("terraform/{}", env.name);
    let any_public = env
        .all_workloads()
        .any(|(_, w)| w.services.iter().any(|s| s.expose == Expose::Public));
    add_root_basics(files, &dir, model, env);
    files.insert(
        format!("{dir}/variables.tf"),
        Document::Hcl(variables(model, any_public)),
    );
    files.insert(
        format!("{dir}/main.tf"),
        Document::Hcl(
            Body::builder()
                .add_block(cluster_module(model, env, names, any_public))
                .build(),
        ),
    );
    files.insert(format!("{dir}/outputs.tf"), Document::Hcl(outputs()));
}

fn variables(model: &Model, any_public: bool) -> Body {
    let tenanted = !model.tenants.is_empty();
    let mut blocks = vec![
        variable(
            "cluster_admin_role_arn",
            "IAM role granted cluster-admin on the cluster through an EKS access entry.",
            ident("string"),
            None,
        ),
        variable(
            "kubernetes_version",
            "Kubernetes minor version of the control plane.",
            ident("string"),
            Some(string(KUBERNETES_VERSION)),
        ),
    ];
    if model.app.network.is_none() {
        blocks.push(variable(
            "private_subnet_ids",
            "Private subnets for the control plane and the nodes, in at least two Availability Zones.",
            type_call("list", "string"),
            None,
        ));
        if any_public {
            blocks.push(variable(
                "public_subnet_ids",
                "Public subnets for internet-facing load balancers, in at least two Availability Zones.",
                type_call("list", "string"),
                None,
            ));
        }
    }
    if any_public {
        blocks.push(variable(
            "certificate_arn",
            "ACM certificate of the public services' HTTPS listeners; it must cover every host name (see domain_name).",
            ident("string"),
            None,
        ));
        blocks.push(variable(
            "domain_name",
            if tenanted {
                "DNS name under which each tenant's public services are served, as <tenant>.<domain_name>."
            } else {
                "DNS name under which the public services are served."
            },
            ident("string"),
            None,
        ));
        if tenanted {
            blocks.push(variable(
                "tenant_domains",
                "Tenants (typically dedicated ones) served under a domain of their own instead, with its ACM certificate, by tenant name.",
                type_of(
                    "map",
                    type_of(
                        "object",
                        object([
                            ("domain_name", ident("string")),
                            ("certificate_arn", ident("string")),
                        ]),
                    ),
                ),
                Some(map(Vec::<(String, Expression)>::new())),
            ));
        }
    }
    blocks.push(variable(
        "network_policy_enforcing_mode",
        "The VPC CNI's network policy mode: strict (new pods get no traffic until their NetworkPolicies apply). Pass standard on a cluster's first apply only, before the platform unit's system policies exist (see the README).",
        ident("string"),
        Some(string("strict")),
    ));
    blocks.push(variable(
        "system_node_instance_types",
        "Instance types of the managed node group that runs Karpenter and CoreDNS.",
        type_call("list", "string"),
        Some(strings(["m7i.large"])),
    ));
    blocks.push(variable(
        "log_retention_days",
        "How long CloudWatch keeps control-plane logs.",
        ident("number"),
        Some(number(crate::aws::defaults::LOG_RETENTION_DAYS)),
    ));
    Body::builder().add_blocks(blocks).build()
}

/// A type constructor around another type: `map(object({...}))`.
fn type_of(func: &str, arg: Expression) -> Expression {
    Expression::FuncCall(Box::new(
        hcl::expr::FuncCall::builder(func).arg(arg).build(),
    ))
}

fn keys(tenant: Option<&str>, refs: &[Name]) -> Expression {
    strings(refs.iter().map(|r| key(tenant, r.as_str())))
}

/// The workload entry of the module's `workloads` map.
struct Identity<'a> {
    tenant: Option<&'a str>,
    name: &'a str,
    publishes: &'a [Name],
    consumes: &'a [Name],
}

fn workload(model: &Model, names: &EnvNames, w: &Identity) -> Expression {
    let mut items = vec![("role_name", string(names.workload_role(w.tenant, w.name)))];
    if let Some(t) = w.tenant {
        items.push(("tenant", string(t)));
    }
    items.push((
        "namespace",
        string(namespace(model.app.name.as_str(), w.tenant)),
    ));
    items.push(("service_account", string(w.name)));
    if !w.publishes.is_empty() {
        items.push(("publishes", keys(w.tenant, w.publishes)));
    }
    if !w.consumes.is_empty() {
        items.push(("consumes", keys(w.tenant, w.consumes)));
    }
    object(items)
}

/// A tenant's entry of the module's `secret_stores` map: the role its
/// SecretStore assumes, and every secret its workloads read, distinct and
/// sorted. Names and partial ARNs get Secrets Manager's random suffix as a
/// pattern here; the module prefixes names with the account's ARN.
fn secret_store<'s>(
    model: &Model,
    names: &EnvNames,
    tenant: Option<&str>,
    secrets: impl Iterator<Item = &'s SecretRef>,
) -> Option<Expression> {
    let secrets: BTreeSet<String> = secrets
        .map(|s| match iam::secret_resource(s) {
            SecretResource::Arn(a) => a.to_string(),
            SecretResource::PartialArn(p) | SecretResource::Name(p) => {
                format!("{p}{}", iam::SECRET_SUFFIX_PATTERN)
            }
        })
        .collect();
    if secrets.is_empty() {
        return None;
    }
    let mut items = vec![("role_name", string(names.secrets_role(tenant)))];
    if let Some(t) = tenant {
        items.push(("tenant", string(t)));
    }
    items.push((
        "namespace",
        string(namespace(model.app.name.as_str(), tenant)),
    ));
    items.push(("secrets", strings(secrets)));
    Some(object(items))
}

fn cluster_module(model: &Model, env: &Environment, names: &EnvNames, any_public: bool) -> Block {
    let var = |n: &str| reference("var", &[n]);
    let mut queues = Vec::new();
    let mut workloads = Vec::new();
    let mut secret_stores = Vec::new();
    for (_, w) in env.all_workloads() {
        let tenant = w.tenant.as_ref().map(Name::as_str);
        let secrets = w
            .services
            .iter()
            .flat_map(|s| s.secrets.values())
            .chain(w.jobs.iter().flat_map(|j| j.secrets.values()));
        if let Some(store) = secret_store(model, names, tenant, secrets) {
            secret_stores.push((namespace(model.app.name.as_str(), tenant), store));
        }
        for q in &model.queues {
            queues.push((
                key(tenant, q.name.as_str()),
                terraform::queue(&names.queue(tenant, q), tenant, q),
            ));
        }
        let identities = w
            .services
            .iter()
            .map(|s| Identity {
                tenant,
                name: s.name.as_str(),
                publishes: &s.publishes,
                consumes: &s.consumes,
            })
            .chain(w.jobs.iter().map(|j| Identity {
                tenant,
                name: j.name.as_str(),
                publishes: &j.publishes,
                consumes: &j.consumes,
            }));
        for id in identities {
            workloads.push((key(tenant, id.name), workload(model, names, &id)));
        }
    }
    let (private, public) = match &model.app.network {
        Some(n) => (
            strings(n.private_subnets.iter().cloned()),
            strings(n.public_subnets.iter().cloned()),
        ),
        None => (var("private_subnet_ids"), var("public_subnet_ids")),
    };
    let mut b = Block::builder("module")
        .add_label("cluster")
        .add_attribute(("source", string(SOURCE_FROM_ROOT)))
        .add_attribute(("name", string(names.cluster.clone())))
        .add_attribute(("kubernetes_version", var("kubernetes_version")))
        .add_attribute(("private_subnet_ids", private));
    if any_public {
        b = b.add_attribute(("public_subnet_ids", public));
    }
    if any_public {
        b = b
            .add_attribute(("certificate_arn", var("certificate_arn")))
            .add_attribute(("domain_name", var("domain_name")));
        if !model.tenants.is_empty() {
            b = b.add_attribute(("tenant_domains", var("tenant_domains")));
        }
        b = b
            .add_attribute(("ingress_units", map(ingress_units(model, env))))
            .add_attribute((
                "lb_subnet_cidr_count",
                number(crate::targets::eks::inputs::lb_subnet_count(model) as u64),
            ));
    }
    b = b
        .add_attribute((
            "network_policy_enforcing_mode",
            var("network_policy_enforcing_mode"),
        ))
        .add_attribute(("admin_role_arn", var("cluster_admin_role_arn")))
        .add_attribute((
            "system_node_instance_types",
            var("system_node_instance_types"),
        ))
        .add_attribute(("log_retention_days", var("log_retention_days")))
        .add_attribute(("names", cluster_names(names)))
        // Workloads look their queues' URLs up by name where the runtime
        // contract gives them names (no `account` for the environment).
        .add_attribute((
            "iam_actions",
            terraform::iam_actions(contract::queue_lookup(Target::Eks, env)),
        ))
        .add_attribute(("queues", map(queues)))
        .add_attribute(("workloads", map(workloads)));
    if !secret_stores.is_empty() {
        b = b
            .add_attribute(("secret_stores", map(secret_stores)))
            .add_attribute((
                "role_chain_actions",
                strings(iam::ROLE_CHAIN.iter().map(|a| a.to_string())),
            ));
    }
    b.build()
}

/// The tenants' units with a public service, by their inputs ConfigMap:
/// the module fills in each one's host and certificate.
fn ingress_units(model: &Model, env: &Environment) -> Vec<(String, Expression)> {
    let app = model.app.name.as_str();
    env.all_workloads()
        .filter(|(_, w)| w.services.iter().any(|s| s.expose == Expose::Public))
        .map(|(_, w)| {
            let tenant = w.tenant.as_ref().map(Name::as_str);
            let entry = match tenant {
                Some(t) => object([("tenant", string(t))]),
                None => object(Vec::<(&str, Expression)>::new()),
            };
            (eks_names::unit_inputs_config_map(app, tenant), entry)
        })
        .collect()
}

/// The `names` argument: what the cluster module creates once, named by
/// `aws::names::eks`.
fn cluster_names(n: &EnvNames) -> Expression {
    object([
        ("kms_alias", string(n.kms_alias.clone())),
        ("log_group", string(n.log_group.clone())),
        ("cluster_role", string(n.cluster_role.clone())),
        ("system_node_role", string(n.system_node_role.clone())),
        ("karpenter_role", string(n.karpenter_role.clone())),
        ("karpenter_node_role", string(n.karpenter_node_role.clone())),
        ("karpenter_queue", string(n.karpenter_queue.clone())),
        (
            "karpenter_rules",
            map(n
                .karpenter_rules
                .iter()
                .map(|(k, v)| (k.to_string(), string(v.clone())))),
        ),
        ("keda_role", string(n.keda_role.clone())),
        ("ebs_csi_role", string(n.ebs_csi_role.clone())),
        ("lb_controller_role", string(n.lb_controller_role.clone())),
        (
            "external_secrets_role",
            string(n.external_secrets_role.clone()),
        ),
        ("inputs_namespace", string(eks_names::FLUX_NAMESPACE)),
        (
            "inputs_config_map",
            string(eks_names::inputs_config_map(&n.app)),
        ),
    ])
}

fn outputs() -> Body {
    let out = |name: &str, description: &str| {
        Block::builder("output")
            .add_label(name)
            .add_attribute(("description", string(description)))
            .add_attribute(("value", reference("module", &["cluster", name])))
            .build()
    };
    Body::builder()
        .add_block(out("cluster_name", "EKS cluster name."))
        .add_block(out(
            "cluster_endpoint",
            "Private endpoint of the Kubernetes API server.",
        ))
        .add_block(out(
            "karpenter_interruption_queue",
            "Queue name for Karpenter's settings.interruptionQueue Helm value.",
        ))
        .add_block(out(
            "karpenter_node_role_name",
            "IAM role of the nodes Karpenter launches.",
        ))
        .add_block(out("vpc_id", "The cluster's VPC."))
        .add_block(out(
            "kubernetes_inputs",
            "The values the GitOps units substitute, as ConfigMaps: terraform output -raw kubernetes_inputs | kubectl apply -f -",
        ))
        .add_block(out(
            "queue_urls",
            "URL of every queue, by <tenant>-<queue>.",
        ))
        .add_block(out(
            "dead_letter_queue_urls",
            "URL of every dead-letter queue, by <tenant>-<queue>.",
        ))
        .add_block(out(
            "workload_role_arns",
            "IAM role of every service and job, by <tenant>-<workload>.",
        ))
        .build()
}

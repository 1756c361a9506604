//! Values the Kubernetes objects need that only exist once Terraform has
//! run (the account, the VPC, the load balancer subnets' CIDRs, the
//! cluster's endpoint) or that a person chooses per environment (a
//! tenant's host name and certificate). The objects name them as
//! `${name}` variables; the cluster module's `kubernetes_inputs` output
//! holds their values as ConfigMaps in `flux-system`
//! (`aws::names::eks::inputs_config_map`, `tenant_inputs_config_map`),
//! and Flux substitutes them (`postBuild.substituteFrom`) when it builds a
//! unit. A tenant's unit also substitutes its own namespace
//! ([`NAMESPACE`], `postBuild.substitute`): the shared workload objects
//! name `${namespace}`, so no kustomize namespace transformer runs (it
//! checks every object against every other, and dominated a unit's build).
//!
//! Substitution reads `$$` as `$`, so the user's own text is escaped for it
//! too ([`flux_literal`]): what a unit holds is always substituted before
//! it is applied (by Flux, or `flux envsubst`).

pub const ACCOUNT_ID: &str = "aws_account_id";
/// A tenant unit's namespace.
pub const NAMESPACE: &str = "namespace";
pub const CLUSTER_ENDPOINT: &str = "cluster_endpoint";
pub const VPC_ID: &str = "vpc_id";
/// A tenant's host name (`<tenant>.<domain_name>`, or the tenant's own
/// domain) and the ACM certificate its HTTPS listener presents.
pub const HOST: &str = "host";
pub const CERTIFICATE_ARN: &str = "certificate_arn";

/// Most public subnets a blueprint without a `network` block may pass:
/// one per Availability Zone of the largest region.
pub const PUBLIC_SUBNETS_MAX: usize = 6;

/// The variable holding the CIDR of the `i`th public subnet: the load
/// balancer's nodes send from there.
pub fn lb_subnet_cidr(i: usize) -> String {
    format!("lb_subnet_cidr_{i}")
}

/// `${name}`, as the objects spell a variable.
pub fn var(name: &str) -> String {
    format!("${{{name}}}")
}

/// User text as substitution leaves it unchanged: every `$` doubled
/// (Flux's envsubst reads `$$` as `$`, `${x}` as a variable).
pub fn flux_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// How many `lb_subnet_cidr_<i>` variables the public services'
/// NetworkPolicies name: one per public subnet when the blueprint lists
/// them, else room for the most a blueprint may pass.
pub fn lb_subnet_count(model: &crate::model::Model) -> usize {
    match &model.app.network {
        Some(n) => n.public_subnets.len().max(1),
        None => PUBLIC_SUBNETS_MAX,
    }
}

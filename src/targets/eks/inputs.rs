//! Values the Kubernetes objects need that only exist once Terraform has
//! run (the account, the VPC, the load balancer subnets' CIDRs, the
//! cluster's endpoint) or that a person chooses per environment (a
//! tenant's host name and certificate). The objects name them as
//! `${name}` variables; the cluster module's `kubernetes_inputs` output
//! holds their values as ConfigMaps in `flux-system`
//! (`aws::names::eks::inputs_config_map`, `tenant_inputs_config_map`),
//! and Flux substitutes them (`postBuild.substituteFrom`) when it builds a
//! unit. Objects that carry the user's own text (commands, `env` values,
//! health paths) are marked so that Flux leaves them alone
//! ([`NO_SUBSTITUTION`]): substitution would turn `$$` into `$`.

use std::collections::BTreeMap;

pub const ACCOUNT_ID: &str = "aws_account_id";
pub const CLUSTER_ENDPOINT: &str = "cluster_endpoint";
pub const VPC_ID: &str = "vpc_id";
/// A tenant's host name (`<tenant>.<domain_name>`, or the tenant's own
/// domain) and the ACM certificate its HTTPS listener presents.
pub const HOST: &str = "host";
pub const CERTIFICATE_ARN: &str = "certificate_arn";

/// The annotation (or label) that keeps Flux's post-build substitution
/// away from an object.
pub const NO_SUBSTITUTION: (&str, &str) = ("kustomize.toolkit.fluxcd.io/substitute", "disabled");

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

/// [`NO_SUBSTITUTION`] as an annotation map entry.
pub fn no_substitution() -> BTreeMap<String, String> {
    BTreeMap::from([(NO_SUBSTITUTION.0.to_string(), NO_SUBSTITUTION.1.to_string())])
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

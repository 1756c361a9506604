//! Values the Kubernetes objects need that only exist once Terraform has
//! run (the account, the VPC, the load balancer subnets' CIDRs, the
//! cluster's endpoint) or that a person chooses per environment (a
//! tenant's host name and certificate). The objects name them as
//! `${name}` variables; the cluster module's `kubernetes_inputs` output
//! holds their values as ConfigMaps in `flux-system`
//! (`aws::names::eks::inputs_config_map`, `tenant_inputs_config_map`),
//! and Flux substitutes them (`postBuild.substituteFrom`) when it builds a
//! unit.

pub const ACCOUNT_ID: &str = "aws_account_id";
/// `${name}`, as the objects spell a variable.
pub fn var(name: &str) -> String {
    format!("${{{name}}}")
}


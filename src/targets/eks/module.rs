//! The fixed cluster module: Terraform shipped in the binary and written
//! once per render under `terraform/modules/eks/`. It holds no user data:
//! every environment root passes its names, queues and workloads in.

use crate::doc::FileSet;
use crate::targets::terraform::{add_fixed_module, QUEUES_TF};

pub const DIR: &str = "terraform/modules/eks";
pub const SOURCE_FROM_ROOT: &str = "../modules/eks";

const FILES: [(&str, &str); 13] = [
    (
        "addons.tf",
        include_str!("../../../templates/eks/cluster/addons.tf"),
    ),
    (
        "aws-load-balancer-controller-policy.json",
        include_str!("../../../templates/eks/cluster/aws-load-balancer-controller-policy.json"),
    ),
    (
        "cluster.tf",
        include_str!("../../../templates/eks/cluster/cluster.tf"),
    ),
    (
        "karpenter.tf",
        include_str!("../../../templates/eks/cluster/karpenter.tf"),
    ),
    (
        "keda.tf",
        include_str!("../../../templates/eks/cluster/keda.tf"),
    ),
    (
        "lb_controller.tf",
        include_str!("../../../templates/eks/cluster/lb_controller.tf"),
    ),
    (
        "main.tf",
        include_str!("../../../templates/eks/cluster/main.tf"),
    ),
    (
        "outputs.tf",
        include_str!("../../../templates/eks/cluster/outputs.tf"),
    ),
    ("queues.tf", QUEUES_TF),
    (
        "secrets.tf",
        include_str!("../../../templates/eks/cluster/secrets.tf"),
    ),
    (
        "variables.tf",
        include_str!("../../../templates/eks/cluster/variables.tf"),
    ),
    (
        "versions.tf",
        include_str!("../../../templates/eks/cluster/versions.tf"),
    ),
    (
        "workloads.tf",
        include_str!("../../../templates/eks/cluster/workloads.tf"),
    ),
];

/// Adds the module's files to `files`.
pub fn add(files: &mut FileSet) {
    add_fixed_module(files, DIR, &FILES);
}

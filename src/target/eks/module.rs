//! The fixed cluster module: Terraform shipped in the binary and written
//! once per render under `terraform/modules/eks/`. It holds no user data:
//! every environment root passes its names, queues and workloads in.

use crate::doc::{Document, FileSet};

pub const DIR: &str = "terraform/modules/eks";
pub const SOURCE_FROM_ROOT: &str = "../modules/eks";

const FILES: [(&str, &str); 9] = [
    (
        "addons.tf",
        include_str!("../../../templates/eks/cluster/addons.tf"),
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
        "main.tf",
        include_str!("../../../templates/eks/cluster/main.tf"),
    ),
    (
        "outputs.tf",
        include_str!("../../../templates/eks/cluster/outputs.tf"),
    ),
    (
        "queues.tf",
        include_str!("../../../templates/eks/cluster/queues.tf"),
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
    for (name, src) in FILES {
        files.insert(format!("{DIR}/{name}"), Document::HclSource(src));
    }
}

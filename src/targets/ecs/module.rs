//! The reusable platform module: fixed Terraform shipped in the binary and
//! written once per render under `modules/platform/`. Every environment root
//! instantiates it once for the shared tenants and once per dedicated tenant.

use crate::doc::FileSet;
use crate::targets::terraform::{add_fixed_module, QUEUES_TF};

/// Where the module lives in the output folder, and how roots reach it.
pub const DIR: &str = "modules/platform";
pub const SOURCE_FROM_ROOT: &str = "../modules/platform";

const FILES: [(&str, &str); 15] = [
    (
        "alarms.tf",
        include_str!("../../../templates/ecs/platform/alarms.tf"),
    ),
    (
        "autoscaling.tf",
        include_str!("../../../templates/ecs/platform/autoscaling.tf"),
    ),
    (
        "cluster.tf",
        include_str!("../../../templates/ecs/platform/cluster.tf"),
    ),
    (
        "jobs.tf",
        include_str!("../../../templates/ecs/platform/jobs.tf"),
    ),
    (
        "load_balancer.tf",
        include_str!("../../../templates/ecs/platform/load_balancer.tf"),
    ),
    (
        "main.tf",
        include_str!("../../../templates/ecs/platform/main.tf"),
    ),
    (
        "network.tf",
        include_str!("../../../templates/ecs/platform/network.tf"),
    ),
    (
        "outputs.tf",
        include_str!("../../../templates/ecs/platform/outputs.tf"),
    ),
    ("queues.tf", QUEUES_TF),
    (
        "services.tf",
        include_str!("../../../templates/ecs/platform/services.tf"),
    ),
    (
        "storage.tf",
        include_str!("../../../templates/ecs/platform/storage.tf"),
    ),
    (
        "tasks.tf",
        include_str!("../../../templates/ecs/platform/tasks.tf"),
    ),
    (
        "variables.tf",
        include_str!("../../../templates/ecs/platform/variables.tf"),
    ),
    (
        "versions.tf",
        include_str!("../../../templates/ecs/platform/versions.tf"),
    ),
    (
        "README.md",
        include_str!("../../../templates/ecs/platform/README.md"),
    ),
];

/// Adds the module's files to `files`.
pub fn add(files: &mut FileSet) {
    add_fixed_module(files, DIR, &FILES);
}

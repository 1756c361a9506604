//! The reusable platform module: fixed Terraform shipped in the binary and
//! written once per render under `modules/platform/`. Every environment root
//! instantiates it once for the shared tenants and once per dedicated tenant.

use crate::doc::{Document, FileSet};

/// Where the module lives in the output folder, and how roots reach it.
pub const DIR: &str = "modules/platform";
pub const SOURCE_FROM_ROOT: &str = "../modules/platform";

const FILES: [(&str, &str); 13] = [
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
    (
        "queues.tf",
        include_str!("../../../templates/ecs/platform/queues.tf"),
    ),
    (
        "services.tf",
        include_str!("../../../templates/ecs/platform/services.tf"),
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
    for (name, src) in FILES {
        let doc = if name.ends_with(".tf") {
            Document::HclSource(src)
        } else {
            Document::Text(src.to_string())
        };
        files.insert(format!("{DIR}/{name}"), doc);
    }
}

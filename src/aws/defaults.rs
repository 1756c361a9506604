//! Values a target fills in where the blueprint says nothing, the same on
//! every target.

/// Whether an environment is production: named `prod` or `production`,
/// or starting with `prod-` or `production-` (`products` is not). Its
/// root is applied last (the output README), and on EKS the volumes of
/// its stateful services outlive their claims (`reclaimPolicy: Retain`).
pub fn production(env: &str) -> bool {
    ["prod", "production"]
        .iter()
        .any(|p| env == *p || env.strip_prefix(p).is_some_and(|r| r.starts_with('-')))
}

/// CPU utilisation a service scales on when it autoscales (`max > min`)
/// but names no target of its own.
pub const CPU_TARGET: u8 = 70;

/// Seconds a load balancer keeps sending in-flight requests to a target it
/// deregisters (ELB's own default is 300).
pub const DEREGISTRATION_DELAY_SECS: u64 = 30;

/// Days CloudWatch keeps logs unless the Terraform input or stack
/// parameter says otherwise.
pub const LOG_RETENTION_DAYS: u64 = 365;

/// The CPU target a service scales on: its own, or [`CPU_TARGET`] when it
/// autoscales on nothing else.
pub fn cpu_target(scale: &crate::model::Scale, public: bool) -> Option<u8> {
    let other = scale.memory.is_some()
        || (scale.requests.is_some() && public)
        || scale.queue_depth.is_some();
    scale
        .cpu
        .or((!other && scale.max > scale.min).then_some(CPU_TARGET))
}

/// ECS: the image of the init container that makes each task's scratch
/// volumes writable for the app's user before the app starts (Fargate
/// creates bind mounts owned by root, mode 0755). It only runs `chmod`;
/// a Terraform input, so teams without internet egress can mirror it.
pub const ECS_SCRATCH_IMAGE: &str = "public.ecr.aws/docker/library/busybox:1.37";

/// ECS: where the ECS Exec agent writes inside the container (its state and
/// logs), made writable under the read-only root filesystem on every
/// service (ECS Exec is on for services).
pub const ECS_EXEC_WRITABLE_PATHS: &[&str] = &["/var/lib/amazon", "/var/log/amazon"];

/// ECS: the scratch space every container has, whatever its writable_paths.
pub const ECS_TMP: &str = "/tmp";

/// The POSIX user and group (uid = gid) that is not root and that a
/// workload's files belong to: EKS pods run as it (and own their volumes
/// through `fsGroup`), and a stateful ECS service's EFS access point makes
/// every request act as it and owns the directory it creates.
pub const POSIX_ID: u32 = 10001;

#[cfg(test)]
mod tests {
    #[test]
    fn production_is_prod_or_production_and_their_dashed_names() {
        for env in ["prod", "production", "prod-eu", "production-us-east"] {
            assert!(super::production(env), "{env}");
        }
        for env in [
            "products",
            "preprod",
            "staging",
            "dev",
            "prod2",
            "productionx",
        ] {
            assert!(!super::production(env), "{env}");
        }
    }
}

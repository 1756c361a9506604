//! Values a target fills in where the blueprint says nothing, the same on
//! every target.

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

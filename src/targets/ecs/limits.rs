//! What ECS accepts, and how a blueprint value is brought inside it: the
//! Fargate size a request runs at, and health-check timings within the
//! ranges ECS container checks and ALB target groups allow. Every change is
//! reported to the user as a note.

use crate::model::{fargate, Cpu, Duration, Health, Memory};

/// The Fargate size a request runs at. Target fit has already refused any
/// request larger than Fargate's largest task, so this always finds one.
pub fn fargate_size(cpu: Cpu, memory: Memory) -> fargate::FargateSize {
    fargate::round_up(cpu, memory).unwrap_or(fargate::FargateSize {
        cpu_units: 16384,
        memory_mib: 122880,
    })
}

/// Why a request is not run as asked, if it is not.
pub fn size_note(cpu: Cpu, memory: Memory) -> Option<String> {
    let size = fargate_size(cpu, memory);
    (size.cpu() != cpu || size.memory() != memory).then(|| {
        format!(
            "{} vCPU / {memory} rounds up to the Fargate size {} vCPU / {}",
            cpu.vcpu(),
            size.cpu().vcpu(),
            size.memory()
        )
    })
}

// ECS container health checks: interval 5-300 s, timeout 2-60 s, start
// period 0-300 s; ALB target groups: interval 5-300 s, timeout 2-120 s and
// shorter than the interval.
const INTERVAL: (u64, u64) = (5, 300);
const TIMEOUT: (u64, u64) = (2, 60);
const START_PERIOD_MAX: u64 = 300;

/// `h` with every timing inside what ECS and ALB accept, and a note for
/// each value that had to move.
pub fn health(h: &Health) -> (Health, Vec<String>) {
    let mut notes = Vec::new();
    let mut clamp = |what: &str, d: Duration, lo: u64, hi: u64| {
        let v = d.secs().clamp(lo, hi);
        if v != d.secs() {
            notes.push(format!(
                "health {what} {d} is outside ECS's {}-{} and runs as {}",
                Duration::from_secs(lo),
                Duration::from_secs(hi),
                Duration::from_secs(v)
            ));
        }
        Duration::from_secs(v)
    };
    let interval = clamp("interval", h.interval, INTERVAL.0, INTERVAL.1);
    let timeout = clamp(
        "timeout",
        h.timeout,
        TIMEOUT.0,
        TIMEOUT.1.min(interval.secs() - 1),
    );
    let grace = clamp("grace", h.grace, 0, START_PERIOD_MAX);
    let fitted = Health {
        path: h.path.clone(),
        interval,
        timeout,
        retries: h.retries,
        grace,
    };
    (fitted, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(interval: u64, timeout: u64, grace: u64) -> Health {
        Health {
            path: "/".into(),
            interval: Duration::from_secs(interval),
            timeout: Duration::from_secs(timeout),
            retries: 3,
            grace: Duration::from_secs(grace),
        }
    }

    #[test]
    fn timings_inside_the_ranges_stay() {
        let (f, notes) = health(&h(30, 5, 60));
        assert_eq!(f, h(30, 5, 60));
        assert!(notes.is_empty());
    }

    #[test]
    fn timings_outside_move_to_the_nearest_accepted_value_with_a_note() {
        let (f, notes) = health(&h(1, 1, 600));
        assert_eq!(f, h(5, 2, 300));
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("interval 1s"), "{notes:?}");
        let (f, _) = health(&h(600, 90, 0));
        assert_eq!((f.interval.secs(), f.timeout.secs()), (300, 60));
    }

    #[test]
    fn sizes() {
        assert_eq!(
            size_note(Cpu::from_millis(250), Memory::from_mib(512)),
            None
        );
        assert!(size_note(Cpu::from_millis(300), Memory::from_mib(600)).is_some());
    }
}

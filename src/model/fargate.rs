//! Fargate task sizes: the valid CPU/memory pairs and the rounding of a
//! request up to the cheapest pair that holds it. Used by the ECS target
//! (task definitions), target fit (too large for Fargate) and cost plans.

use super::{Cpu, Memory};

/// Price per vCPU-hour and per GB-hour (us-east-1 / eu-central-1 list
/// prices, Linux/x86); only used to pick the cheapest of the valid pairs.
const VCPU_HOUR: f64 = 0.04048;
const GB_HOUR: f64 = 0.004445;

/// One valid Fargate task size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FargateSize {
    /// CPU units (1024 = 1 vCPU).
    pub cpu_units: u32,
    pub memory_mib: u32,
}

impl FargateSize {
    pub fn cpu(self) -> Cpu {
        Cpu::from_millis(self.cpu_units * 1000 / 1024)
    }

    pub fn memory(self) -> Memory {
        Memory::from_mib(self.memory_mib)
    }
}

/// (cpu units, lowest memory MiB, highest memory MiB, step MiB), from the
/// ECS developer guide's "Task CPU and memory" table.
const TABLE: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2048, 512), // 512, 1024, 2048: 1536 is not valid, filtered below
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Every valid Fargate size, smallest first.
pub fn sizes() -> impl Iterator<Item = FargateSize> {
    TABLE.iter().flat_map(|&(cpu, lo, hi, step)| {
        (lo..=hi)
            .step_by(step as usize)
            .filter(move |m| !(cpu == 256 && *m == 1536))
            .map(move |memory_mib| FargateSize {
                cpu_units: cpu,
                memory_mib,
            })
    })
}

/// The cheapest valid size with at least the requested CPU and memory, or
/// `None` when the request is larger than Fargate's largest task.
///
/// Called for every workload in every environment and tenant, so it looks
/// at one candidate per CPU tier (the smallest memory of the tier that
/// holds the request, the cheapest of its tier) rather than at every size.
pub fn round_up(cpu: Cpu, memory: Memory) -> Option<FargateSize> {
    let want_units = (u64::from(cpu.millis()) * 1024).div_ceil(1000);
    let want_mib = memory.mib();
    TABLE
        .iter()
        .filter(|(cpu, ..)| u64::from(*cpu) >= want_units)
        .filter_map(|&(cpu, lo, hi, step)| {
            let mut m = lo + want_mib.saturating_sub(lo).div_ceil(step) * step;
            if cpu == 256 && m == 1536 {
                m = 2048;
            }
            (m <= hi).then_some(FargateSize {
                cpu_units: cpu,
                memory_mib: m,
            })
        })
        .min_by(|a, b| price(*a).total_cmp(&price(*b)))
}

/// Hourly on-demand price of a size.
pub fn price(s: FargateSize) -> f64 {
    f64::from(s.cpu_units) / 1024.0 * VCPU_HOUR + f64::from(s.memory_mib) / 1024.0 * GB_HOUR
}

/// The largest task Fargate runs, for error messages.
pub const MAX_DESCRIPTION: &str = "16 vCPU and 120Gi";

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cpu: &str, mem: &str) -> (u32, u32) {
        let s = round_up(Cpu::parse(cpu).unwrap(), Memory::parse(mem).unwrap()).unwrap();
        (s.cpu_units, s.memory_mib)
    }

    #[test]
    fn exact_sizes_stay() {
        assert_eq!(r("0.25", "512Mi"), (256, 512));
        assert_eq!(r("0.5", "1Gi"), (512, 1024));
        assert_eq!(r("1", "2Gi"), (1024, 2048));
        assert_eq!(r("16", "120Gi"), (16384, 122880));
    }

    #[test]
    fn rounds_memory_up_within_cpu() {
        assert_eq!(r("0.25", "600Mi"), (256, 1024));
        // 1536 is not valid at 0.25 vCPU.
        assert_eq!(r("0.25", "1.5Gi"), (256, 2048));
        assert_eq!(r("1", "2.5Gi"), (1024, 3072));
    }

    #[test]
    fn rounds_cpu_up_when_memory_needs_it() {
        assert_eq!(r("0.25", "3Gi"), (512, 3072));
        assert_eq!(r("0.25", "5Gi"), (1024, 5120));
    }

    #[test]
    fn rounds_cpu_up_to_the_next_tier_with_its_minimum_memory() {
        assert_eq!(r("0.3", "512Mi"), (512, 1024));
        assert_eq!(r("250m", "256Mi"), (256, 512));
        assert_eq!(r("3", "1Gi"), (4096, 8192));
        assert_eq!(r("9", "1Gi"), (16384, 32768));
    }

    #[test]
    fn too_large_is_none() {
        assert!(round_up(Cpu::parse("17").unwrap(), Memory::parse("1Gi").unwrap()).is_none());
        assert!(round_up(Cpu::parse("1").unwrap(), Memory::parse("121Gi").unwrap()).is_none());
    }

    /// The cheapest of every valid size that holds the request.
    fn round_up_by_search(cpu: Cpu, memory: Memory) -> Option<FargateSize> {
        let want_units = (u64::from(cpu.millis()) * 1024).div_ceil(1000);
        sizes()
            .filter(|s| u64::from(s.cpu_units) >= want_units && s.memory_mib >= memory.mib())
            .min_by(|a, b| price(*a).total_cmp(&price(*b)))
    }

    #[test]
    fn round_up_agrees_with_a_search_of_every_size() {
        for millis in (0..=17_000).step_by(125) {
            for mib in (0..=126_000)
                .step_by(256)
                .chain([1, 511, 513, 1535, 1537, 2049])
            {
                let (c, m) = (Cpu::from_millis(millis), Memory::from_mib(mib));
                assert_eq!(
                    round_up(c, m),
                    round_up_by_search(c, m),
                    "{millis}m {mib}Mi"
                );
            }
        }
    }

    #[test]
    fn table_has_every_documented_size() {
        assert_eq!(sizes().filter(|s| s.cpu_units == 256).count(), 3);
        assert_eq!(sizes().filter(|s| s.cpu_units == 4096).count(), 23);
        assert_eq!(sizes().filter(|s| s.cpu_units == 8192).count(), 12);
        assert_eq!(sizes().filter(|s| s.cpu_units == 16384).count(), 12);
    }
}

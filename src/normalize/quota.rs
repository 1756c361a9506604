//! Tenant quotas: what a tenant's workloads need, at their minimum and at
//! their maximum scale, against its `quota`.
//!
//! At the minimum, every service runs `scale.min` replicas and the largest
//! job may run beside them: a tenant whose minimum does not fit its quota
//! cannot start, so that is an error, with the numbers. Above it, each
//! target enforces or reports the quota its own way (see `excess`).

use crate::diag::Diagnostic;
use crate::model::{Memory, Model, Quota, Workloads};

/// Requests added up: vCPU in millicores, memory in MiB, pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Demand {
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub pods: u64,
}

/// What `w` requests with every service at `replicas(service)` and the
/// largest job running (by CPU and by memory: either may be the one that
/// does not fit).
fn demand(w: &Workloads, replicas: impl Fn(&crate::model::Service) -> u32) -> Demand {
    let mut d = Demand::default();
    for s in &w.services {
        let n = u64::from(replicas(s));
        d.cpu_millis += n * u64::from(s.cpu.millis());
        d.memory_mib += n * u64::from(s.memory.mib());
        d.pods += n;
    }
    if !w.jobs.is_empty() {
        d.cpu_millis += w
            .jobs
            .iter()
            .map(|j| u64::from(j.cpu.millis()))
            .max()
            .unwrap_or(0);
        d.memory_mib += w
            .jobs
            .iter()
            .map(|j| u64::from(j.memory.mib()))
            .max()
            .unwrap_or(0);
        d.pods += 1;
    }
    d
}

pub fn minimum(w: &Workloads) -> Demand {
    demand(w, |s| s.scale.min)
}

pub fn maximum(w: &Workloads) -> Demand {
    demand(w, |s| s.scale.max.max(s.scale.min))
}

/// The parts of `quota` that `d` exceeds, as `(field, needed, allowed)`.
pub fn over(d: Demand, quota: &Quota) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if let Some(c) = quota.cpu {
        if d.cpu_millis > u64::from(c.millis()) {
            out.push(("cpu", cpu(d.cpu_millis), cpu(u64::from(c.millis()))));
        }
    }
    if let Some(m) = quota.memory {
        if d.memory_mib > u64::from(m.mib()) {
            out.push(("memory", memory(d.memory_mib), memory(u64::from(m.mib()))));
        }
    }
    if let Some(p) = quota.pods {
        if d.pods > u64::from(p) {
            out.push(("pods", d.pods.to_string(), p.to_string()));
        }
    }
    out
}

/// vCPU as a decimal: `4`, `4.25`.
fn cpu(millis: u64) -> String {
    let (whole, frac) = (millis / 1000, millis % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

/// Memory in Gi as a decimal: `12Gi`, `14.5Gi`.
fn memory(mib: u64) -> String {
    let hundredths = (mib * 100 + 512) / 1024;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    if frac == 0 {
        format!("{whole}Gi")
    } else {
        format!("{whole}.{}Gi", format!("{frac:02}").trim_end_matches('0'))
    }
}

/// What makes up a tenant's minimum, for the message: the largest parts
/// first (`gateway 3 x 1`, `the largest job, month-end-close, 4`), at most
/// [`PARTS_SHOWN`] of them.
fn breakdown(w: &Workloads, field: &str) -> String {
    let size = |cpu: crate::model::Cpu, mem: Memory| match field {
        "cpu" => (u64::from(cpu.millis()), cpu.to_string()),
        "memory" => (u64::from(mem.mib()), mem.to_string()),
        _ => (1, "1".to_string()),
    };
    let mut parts: Vec<(u64, String)> = w
        .services
        .iter()
        .filter(|s| s.scale.min > 0)
        .map(|s| {
            let (each, shown) = size(s.cpu, s.memory);
            (
                each * u64::from(s.scale.min),
                format!("{} {} x {shown}", s.name, s.scale.min),
            )
        })
        .collect();
    let largest = w.jobs.iter().max_by_key(|j| size(j.cpu, j.memory).0);
    if let Some(j) = largest {
        let (each, shown) = size(j.cpu, j.memory);
        parts.push((each, format!("the largest job, {}, {shown}", j.name)));
    }
    parts.sort_by_key(|p| std::cmp::Reverse(p.0));
    let more = parts.len().saturating_sub(PARTS_SHOWN);
    let mut text: Vec<String> = parts.into_iter().take(PARTS_SHOWN).map(|p| p.1).collect();
    if more > 0 {
        text.push(format!("{more} more"));
    }
    text.join(" + ")
}

/// How many contributions a quota message lists.
const PARTS_SHOWN: usize = 6;

/// Every tenant whose minimum does not fit its quota, in some environment.
pub fn check(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for t in &model.tenants {
        // (field) -> first environment it fails in, with its numbers; and
        // every environment it fails in.
        let mut failing: Vec<(&str, String, String, String, Vec<String>)> = Vec::new();
        for env in &model.environments {
            let Some(w) = env
                .all_workloads()
                .map(|(_, w)| w)
                .find(|w| w.tenant.as_ref() == Some(&t.name))
            else {
                continue;
            };
            for (field, need, allowed) in over(minimum(w), &t.quota) {
                match failing.iter_mut().find(|f| f.0 == field) {
                    Some(f) => f.4.push(env.name.to_string()),
                    None => failing.push((
                        field,
                        need,
                        allowed,
                        breakdown(w, field),
                        vec![env.name.to_string()],
                    )),
                }
            }
        }
        for (field, need, allowed, parts, envs) in failing {
            let unit = match field {
                "cpu" => " vCPU",
                "pods" => " pods",
                _ => "",
            };
            let place = if model.environments.len() > 1 {
                format!(" in environment `{}`", envs[0])
            } else {
                String::new()
            };
            let also = if envs.len() > 1 {
                let rest: Vec<String> = envs[1..].iter().map(|e| format!("`{e}`")).collect();
                format!("; too little in {} as well", rest.join(", "))
            } else {
                String::new()
            };
            out.push(
                model
                    .locations
                    .diag(
                        format!("tenants.{}.quota.{field}", t.name),
                        format!(
                            "tenant `{}` needs at least {need}{unit}{place} ({parts}), but its quota allows {allowed}{also}",
                            t.name
                        ),
                    )
                    .with_help(format!(
                        "raise `quota.{field}`, or lower the services' `scale.min` or sizes; at its minimum a tenant must fit its quota to start"
                    )),
            );
        }
    }
    out
}

/// Tenants whose workloads, at their maximum scale, need more than their
/// quota, in words (`tenant `acme` can scale to 20 vCPU, 40Gi in
/// environment `prod`; its quota allows 8 vCPU, 16Gi`), for each target
/// to say how it holds them to it.
pub fn over_at_maximum(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for env in &model.environments {
        for (_, w) in env.all_workloads() {
            let Some(t) = w
                .tenant
                .as_ref()
                .and_then(|t| model.tenants.iter().find(|x| &x.name == t))
            else {
                continue;
            };
            let over = over(maximum(w), &t.quota);
            if over.is_empty() {
                continue;
            }
            let unit = |f: &str| match f {
                "cpu" => " vCPU",
                "pods" => " pods",
                _ => "",
            };
            let need: Vec<String> = over
                .iter()
                .map(|(f, n, _)| format!("{n}{}", unit(f)))
                .collect();
            let allowed: Vec<String> = over
                .iter()
                .map(|(f, _, a)| format!("{a}{}", unit(f)))
                .collect();
            out.push(format!(
                "tenant `{}` can scale to {} in environment `{}`; its quota allows {}",
                t.name,
                need.join(", "),
                env.name,
                allowed.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{job, service};
    use crate::model::Cpu;

    #[test]
    fn minimum_counts_replicas_and_the_largest_job() {
        let mut a = service("a", "img:1");
        a.scale.min = 3;
        a.scale.max = 10;
        a.cpu = Cpu::from_millis(500);
        let mut j = job("j", "img:1", "0 1 * * *");
        j.cpu = Cpu::from_millis(4000);
        let w = Workloads {
            tenant: None,
            services: vec![a],
            jobs: vec![j, job("k", "img:1", "0 1 * * *")],
        };
        let min = minimum(&w);
        assert_eq!(min.cpu_millis, 1500 + 4000);
        assert_eq!(min.pods, 4);
        assert_eq!(maximum(&w).cpu_millis, 5000 + 4000);
        let q = Quota {
            cpu: Some(Cpu::from_millis(4000)),
            memory: None,
            pods: Some(4),
        };
        assert_eq!(
            over(min, &q),
            vec![("cpu", "5.5".to_string(), "4".to_string())]
        );
        assert!(breakdown(&w, "cpu").contains("a 3 x 500m"));
        assert_eq!(cpu(4250), "4.25");
        assert_eq!(cpu(5000), "5");
        assert_eq!(memory(14848), "14.5Gi");
        assert_eq!(memory(8192), "8Gi");
        assert!(breakdown(&w, "cpu").contains("the largest job, j, 4"));
    }
}

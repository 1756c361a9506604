//! ECS Fargate as Terraform: one root module per environment, each
//! instantiating the fixed platform module (see `module.rs`) once for the
//! shared tenants and once per dedicated tenant.

mod images;
mod module;
mod platform;
mod root;
#[cfg(test)]
mod tests;

use super::Output;
use crate::model::{fargate, Cpu, Memory, Model};
use std::collections::BTreeMap;

/// The required AWS provider: any 5.x from 5.100, the version validated in CI.
pub const AWS_PROVIDER_VERSION: &str = "~> 5.100";
pub const TERRAFORM_VERSION: &str = ">= 1.5.0";

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    module::add(&mut out.files);
    for env in &model.environments {
        root::add(model, env, &mut out.files);
    }
    out.notes = rounding_notes(model);
    out
}

/// The Fargate size a request runs at. Target fit has already refused any
/// request larger than Fargate's largest task, so this always finds one.
pub fn fargate_size(cpu: Cpu, memory: Memory) -> fargate::FargateSize {
    fargate::round_up(cpu, memory).unwrap_or(fargate::FargateSize {
        cpu_units: 16384,
        memory_mib: 122880,
    })
}

/// One line per workload whose request is not a Fargate size, naming the
/// environments and tenants where it applies.
fn rounding_notes(model: &Model) -> Vec<String> {
    // (workload, cpu, memory) -> where
    let mut seen: BTreeMap<(String, Cpu, Memory), Vec<String>> = BTreeMap::new();
    for env in &model.environments {
        for (_, w) in env.all_workloads() {
            let place = match &w.tenant {
                Some(t) => format!("{}/{}", env.name, t),
                None => env.name.to_string(),
            };
            let sizes = w
                .services
                .iter()
                .map(|s| (&s.name, s.cpu, s.memory))
                .chain(w.jobs.iter().map(|j| (&j.name, j.cpu, j.memory)));
            for (name, cpu, memory) in sizes {
                let size = fargate_size(cpu, memory);
                if size.cpu() != cpu || size.memory() != memory {
                    seen.entry((name.to_string(), cpu, memory))
                        .or_default()
                        .push(place.clone());
                }
            }
        }
    }
    seen.into_iter()
        .map(|((name, cpu, memory), places)| {
            let size = fargate_size(cpu, memory);
            format!(
                "{name}: {} vCPU / {memory} rounds up to the Fargate size {} vCPU / {} ({})",
                cpu.vcpu(),
                size.cpu().vcpu(),
                size.memory(),
                places.join(", ")
            )
        })
        .collect()
}

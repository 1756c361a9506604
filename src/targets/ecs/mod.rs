//! ECS Fargate as Terraform: one root module per environment, each
//! instantiating the fixed platform module (see `module.rs`) once for the
//! shared tenants and once per dedicated tenant.

mod images;
mod limits;
pub use limits::fargate_size;
mod module;
mod platform;
mod root;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_plan;
#[cfg(test)]
mod tests_storage;

use super::Output;
use crate::model::{Model, Name};
use std::collections::BTreeMap;

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    module::add(&mut out.files);
    for env in &model.environments {
        root::add(model, env, &mut out.files);
    }
    out.notes = notes(model);
    // ECS has no per-tenant quota: say so rather than pretend.
    out.notes.extend(
        crate::normalize::quota::over_at_maximum(model)
            .into_iter()
            .map(|o| format!("{o}: ECS does not enforce quotas, so lower the services' `scale.max` to hold the tenant to it")),
    );
    out
}

/// One line per workload whose blueprint values ECS cannot run as written
/// (Fargate sizes, health-check ranges), naming where it applies.
fn notes(model: &Model) -> Vec<String> {
    // (workload, what changed) -> environments/tenants
    let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for env in &model.environments {
        for (_, w) in env.all_workloads() {
            let place = match &w.tenant {
                Some(t) => format!("{}/{}", env.name, t),
                None => env.name.to_string(),
            };
            let mut add = |name: &Name, what: String| {
                seen.entry((name.to_string(), what))
                    .or_default()
                    .push(place.clone());
            };
            for s in &w.services {
                if let Some(n) = limits::size_note(s.cpu, s.memory) {
                    add(&s.name, n);
                }
                if let Some(st) = &s.storage {
                    add(&s.name, storage_note(st));
                }
                match (&s.health, s.expose) {
                    (Some(h), crate::model::Expose::Public) => {
                        for n in limits::health(h).1 {
                            add(&s.name, n);
                        }
                    }
                    // ECS checks a container only with a command inside
                    // its image; blueprint assumes none (runtime contract).
                    (Some(_), crate::model::Expose::Internal) => add(
                        &s.name,
                        "`health` is not checked on ECS for an internal service (only the load balancer checks health, by HTTP); a task counts as healthy while its container runs".to_string(),
                    ),
                    (None, _) => {}
                }
            }
            for j in &w.jobs {
                if let Some(n) = limits::size_note(j.cpu, j.memory) {
                    add(&j.name, n);
                }
            }
        }
    }
    seen.into_iter()
        .map(|((name, what), places)| format!("{name}: {what} ({})", places.join(", ")))
        .collect()
}

/// What `storage` becomes on ECS: one EFS file system, which is elastic,
/// so the size is only an estimate; and shared by every task.
fn storage_note(st: &crate::model::Storage) -> String {
    format!(
        "`storage.size` {}Gi is advisory on ECS: EFS is elastic and grows and shrinks with its data (the size prices it in `plan`); every task of the service mounts the same file system at {}",
        st.size_gib, st.path
    )
}

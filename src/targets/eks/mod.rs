//! EKS: per environment a Terraform root (cluster, add-ons, the AWS side of
//! Karpenter, of the load balancer controller and of the secrets operator,
//! queues, Pod Identity roles) over a fixed module, and Kubernetes YAML laid
//! out as GitOps units: `kubernetes/clusters/<env>` the Flux entry point,
//! `kubernetes/platform/<env>` the controllers (`platform`),
//! `kubernetes/overlays/<env>/nodepools` Karpenter's pools, and per tenant
//! `kubernetes/overlays/<env>/<namespace>`, which takes the tenant's
//! namespace from `kubernetes/base`, every workload's objects from
//! `kubernetes/workloads`, adds the tenant's own values and patches only
//! what the environment or tenant changes (see `kube`, `gitops`, `inputs`).

#[cfg(test)]
pub(crate) mod build;
mod gitops;
mod inputs;
mod k8s;
mod karpenter;
mod kube;
mod module;
mod patch;
mod platform;
mod root;
#[cfg(test)]
mod tests;

use super::Output;
use crate::doc::{Document, FileSet};
use crate::model::{Expose, Model};

/// The control plane's Kubernetes version (a Terraform input's default).
pub const KUBERNETES_VERSION: &str = "1.33";

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    let mut notes = kube::Notes::new();
    module::add(&mut out.files);
    let shared = kube::Shared::new(model);
    // KEDA's TriggerAuthentication and the ExternalSecrets are in objects
    // every environment shares (`base`, `workloads`): every environment
    // installs their controllers when any environment uses them.
    let all = || model.environments.iter().flat_map(|e| e.all_workloads());
    let uses_keda = all().any(|(_, w)| w.services.iter().any(kube::uses_keda));
    let has_secrets = all().any(|(_, w)| {
        w.services.iter().any(|s| !s.secrets.is_empty())
            || w.jobs.iter().any(|j| !j.secrets.is_empty())
    });
    // Environments are independent once the shared objects exist: they are
    // lowered in parallel, and merged in environment order.
    let envs: Vec<_> = model.environments.iter().collect();
    let per_env = crate::parallel::map(envs, |env| {
        let (mut files, mut notes) = (FileSet::new(), kube::Notes::new());
        let names = crate::aws::names::eks::cluster(model, env);
        root::add(model, env, &names, &mut files);
        // The root's module arguments list every tenant's workloads and
        // queues: megabytes of HCL whose typed form is several times
        // larger. Rendered here, on the environment's thread, they cost
        // only their bytes. (Roots hold module calls only: no resource to
        // count.)
        let main = format!("terraform/{}/main.tf", env.name);
        if let Some(Document::Hcl(body)) = files.get(&main) {
            let text = crate::render::hcl::to_terraform(body);
            files.insert(main, Document::Text(text));
        }
        let tenants = kube::add_overlay(model, env, &names, &shared, &mut files, &mut notes);
        let needs = platform::Needs {
            lb_controller: env
                .all_workloads()
                .any(|(_, w)| w.services.iter().any(|s| s.expose == Expose::Public)),
            keda: uses_keda,
            external_secrets: has_secrets,
            storage: env
                .all_workloads()
                .any(|(_, w)| w.services.iter().any(|s| s.storage.is_some())),
        };
        platform::add(model, &names, needs, &mut files);
        gitops::add(&names, &gitops::units(&names, &tenants), &mut files);
        (files, notes)
    });
    for (files, env_notes) in per_env {
        out.files.extend(files);
        for (message, places) in env_notes {
            notes.entry(message).or_default().extend(places);
        }
    }
    kube::add_workloads(shared, &mut out.files);
    kube::add_base(model, &mut out.files);
    let quota_notes = crate::normalize::quota::over_at_maximum(model)
        .into_iter()
        .map(|o| format!("{o}: the namespace's ResourceQuota holds pods beyond it Pending"));
    out.notes = notes
        .into_iter()
        .map(|(message, places)| {
            format!(
                "{message} ({})",
                places.into_iter().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    out.notes.extend(quota_notes);
    out
}

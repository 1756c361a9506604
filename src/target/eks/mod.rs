//! EKS: per environment a Terraform root (cluster, add-ons, Karpenter's AWS
//! side, queues, Pod Identity roles) over a fixed module, and Kubernetes
//! YAML: `kubernetes/base` holds what no environment changes (tenant
//! namespaces, quotas, default-deny policies, service accounts), and
//! `kubernetes/overlays/<env>` the generated, environment-specific objects
//! (workloads, Karpenter pools). Overlays carry no patches, so `kubectl
//! kustomize` stays linear in the number of objects.

#[cfg(test)]
mod build;
mod k8s;
mod karpenter;
mod kube;
mod module;
mod names;
mod patch;
mod root;
#[cfg(test)]
mod tests;

use super::Output;
use crate::model::Model;

/// The control plane's Kubernetes version (a Terraform input's default).
pub const KUBERNETES_VERSION: &str = "1.33";

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    let mut notes = kube::Notes::new();
    module::add(&mut out.files);
    let shared = kube::Shared::new(model);
    kube::add_workloads(&shared, &mut out.files);
    for env in &model.environments {
        let names = names::EnvNames::new(model, env);
        root::add(model, env, &names, &mut out.files);
        kube::add_overlay(model, env, &names, &shared, &mut out.files, &mut notes);
    }
    kube::add_base(model, &mut out.files);
    out.notes = notes
        .into_iter()
        .map(|(message, places)| {
            format!(
                "{message} ({})",
                places.into_iter().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    out
}

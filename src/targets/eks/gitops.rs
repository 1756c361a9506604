//! The GitOps entry point of an environment, `kubernetes/clusters/<env>/`:
//! the folder `flux bootstrap --path` points at. It holds one Flux
//! Kustomization per unit, each a folder of the output that Flux builds
//! and applies on its own, in this order:
//!
//! 1. `<app>-platform` (`kubernetes/platform/<env>`): the controllers and
//!    their CRDs; ready when every HelmRelease is.
//! 2. `<app>-nodepools` (`kubernetes/overlays/<env>/nodepools`), after the
//!    platform: Karpenter's CRDs.
//! 3. one unit per tenant namespace (`kubernetes/overlays/<env>/<ns>`: the
//!    tenant's namespace from `base`, its workloads and its own values),
//!    after both: one tenant of one environment is what Flux builds at a
//!    time, so a build stays small however many tenants there are.
//!
//! Every unit prunes what leaves it and waits for its objects to be ready.
//! Units that name `${...}` inputs substitute them from the ConfigMaps of
//! Terraform's `kubernetes_inputs` output.

use super::k8s::*;
use super::kube::common_labels;
use crate::aws::names::eks::{self as names, ClusterNames, FLUX_NAMESPACE};
use crate::doc::{Document, FileSet};
use std::collections::BTreeMap;

/// Where the output is committed in the repository Flux reads: the
/// default `--out` of `blueprint render --target eks`, from the
/// repository's root. Flux paths are relative to that root.
pub const REPOSITORY_PATH: &str = "infra/eks";

/// The source `flux bootstrap` creates for the repository.
const SOURCE: &str = "flux-system";

/// One unit.
pub struct Unit {
    pub name: String,
    /// The folder, relative to the output.
    pub path: String,
    pub depends_on: Vec<String>,
    /// The inputs ConfigMaps it substitutes from, if any.
    pub inputs: Vec<String>,
    /// Values it substitutes itself (a tenant's namespace).
    pub substitute: BTreeMap<String, String>,
    pub timeout: &'static str,
}

impl Unit {
    fn to_value(&self, names: &ClusterNames) -> serde_json::Value {
        let post_build = (!self.inputs.is_empty()).then(|| PostBuild {
            substitute: self.substitute.clone(),
            substitute_from: self
                .inputs
                .iter()
                .map(|n| SubstituteReference {
                    kind: "ConfigMap".into(),
                    name: n.clone(),
                })
                .collect(),
        });
        Object::new(
            ObjectMeta {
                name: self.name.clone(),
                namespace: Some(FLUX_NAMESPACE.into()),
                labels: common_labels(&names.app, &self.name, &self.name, "gitops"),
                annotations: BTreeMap::new(),
            },
            FluxKustomization {
                spec: FluxKustomizationSpec {
                    interval: "10m".into(),
                    retry_interval: "2m".into(),
                    timeout: self.timeout.into(),
                    path: format!("./{REPOSITORY_PATH}/{}", self.path),
                    prune: true,
                    wait: true,
                    source_ref: SourceRef {
                        kind: "GitRepository".into(),
                        name: SOURCE.into(),
                    },
                    depends_on: self
                        .depends_on
                        .iter()
                        .map(|n| DependsOn { name: n.clone() })
                        .collect(),
                    post_build,
                },
            },
        )
        .to_value()
    }
}

/// The folder `flux bootstrap --path` points at.
pub fn dir(env: &str) -> String {
    format!("kubernetes/clusters/{env}")
}

/// A tenant namespace of an environment, as its unit needs it.
pub struct TenantUnit {
    pub namespace: String,
    pub tenant: Option<String>,
    /// Whether it has a public service (and so inputs of its own: its
    /// host and certificate).
    pub public: bool,
}

/// The units of one environment, in the order they apply.
pub fn units(names: &ClusterNames, tenants: &[TenantUnit]) -> Vec<Unit> {
    let app = names.app.as_str();
    let env = names.env.as_str();
    let inputs = names::inputs_config_map(app);
    let (platform, nodepools) = (names::unit_platform(app), names::unit_nodepools(app));
    let mut units = vec![
        Unit {
            name: platform.clone(),
            path: super::platform::dir(env),
            depends_on: vec![],
            inputs: vec![inputs.clone()],
            substitute: BTreeMap::new(),
            timeout: "15m",
        },
        Unit {
            name: nodepools.clone(),
            path: format!("kubernetes/overlays/{env}/nodepools"),
            depends_on: vec![platform.clone()],
            inputs: vec![],
            substitute: BTreeMap::new(),
            timeout: "5m",
        },
    ];
    for t in tenants {
        let tenant = t.tenant.as_deref();
        let mut from = vec![inputs.clone()];
        if t.public {
            from.push(names::unit_inputs_config_map(app, tenant));
        }
        units.push(Unit {
            name: names::unit_tenant(app, tenant),
            path: format!("kubernetes/overlays/{env}/{}", t.namespace),
            depends_on: vec![platform.clone(), nodepools.clone()],
            inputs: from,
            substitute: BTreeMap::from([(
                super::inputs::NAMESPACE.to_string(),
                t.namespace.clone(),
            )]),
            timeout: "10m",
        });
    }
    units
}

pub fn add(names: &ClusterNames, units: &[Unit], files: &mut FileSet) {
    files.insert(
        format!("{}/{}.yaml", dir(&names.env), names.app),
        Document::Yaml(units.iter().map(|u| u.to_value(names)).collect()),
    );
}

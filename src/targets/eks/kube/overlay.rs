//! The workload objects every environment and tenant shares
//! (`kubernetes/workloads`), and per environment the overlay: Karpenter's
//! pools and one kustomization per tenant namespace that puts the shared
//! objects in the namespace, labels them with the tenant, and patches only
//! what the environment or tenant changes.

use super::contract;
use super::workload::Ctx;
use super::*;
use crate::aws::names::eks::ClusterNames as EnvNames;
use crate::aws::names::Copy;
use crate::doc::{Document, FileSet};
use crate::model::{Environment, Expose, PlatformKind, Target};
use crate::targets::eks::gitops::TenantUnit;
use crate::targets::eks::inputs;
use crate::targets::eks::karpenter::{self, TENANT_LABEL};
use crate::targets::eks::patch;

/// The workload objects every environment and tenant starts from:
/// `kubernetes/workloads`, built from the first environment's workloads
/// before any tenant's overrides, in the application's namespace and with
/// no tenant. A
/// tenant's kustomization patches only what its own values change.
pub struct Shared<'m> {
    definitions: BTreeMap<&'m str, Workload<'m>>,
    index: Index<'m>,
    /// Per workload, its objects.
    objects: BTreeMap<String, Vec<serde_json::Value>>,
    /// Per workload, the notes building it gave, for every place that
    /// reuses the objects unchanged.
    notes: BTreeMap<String, Vec<String>>,
    /// Whether workloads are given queue names (not URLs) here: the
    /// variables' names differ where an environment names its account.
    queue_lookup: bool,
}

impl<'m> Shared<'m> {
    pub fn new(model: &'m Model) -> Shared<'m> {
        let env = &model.environments[0];
        let names = crate::aws::names::eks::cluster(model, env);
        let w = &env.base;
        let index = Index::new(w);
        let scope = Scope::new(model.app.name.as_str(), None);
        let mut objects = BTreeMap::new();
        let mut notes = BTreeMap::new();
        for wl in Workload::all(w) {
            let mut scratch = Notes::new();
            let mut ctx = Ctx {
                model,
                env,
                copy: Copy::new(model, env, &env.platforms[0]),
                tenant: None,
                scope: &scope,
                names: &names,
                index: &index,
                notes: &mut scratch,
            };
            objects.insert(wl.name().to_string(), ctx.workload(wl));
            notes.insert(wl.name().to_string(), scratch.into_keys().collect());
        }
        Shared {
            definitions: Workload::all(w).map(|wl| (wl.name(), wl)).collect(),
            index,
            objects,
            notes,
            queue_lookup: crate::aws::contract::queue_lookup(Target::Eks, env),
        }
    }

    /// Whether `wl`, among a tenant's workloads (`index`) in `env`, builds
    /// the same objects as here: the same definition, callers and callee
    /// ports, and the same names for its queues' variables.
    fn unchanged(&self, wl: Workload, index: &Index, env: &Environment) -> bool {
        self.definitions.get(wl.name()) == Some(&wl)
            && self.index.same_context(index, wl.name(), wl.calls())
            && self.queue_lookup == crate::aws::contract::queue_lookup(Target::Eks, env)
    }
}

/// Writes the shared objects once every overlay has been compared with them.
pub fn add_workloads(shared: Shared, files: &mut FileSet) {
    let mut resources = Vec::new();
    for (name, docs) in shared.objects {
        let file = format!("{name}.yaml");
        files.insert(format!("kubernetes/workloads/{file}"), Document::Yaml(docs));
        resources.push(file);
    }
    files.insert(
        "kubernetes/workloads/kustomization.yaml".into(),
        Document::Yaml(vec![Kustomization::new(resources).to_value()]),
    );
}

/// What one tenant's kustomization adds to the shared workloads.
#[derive(Default)]
struct TenantOverlay {
    /// Whole objects only this tenant has: any its values add (an HPA
    /// where the shared workload has none).
    objects: Vec<serde_json::Value>,
    /// Per-workload patches, in workload order.
    patches: Vec<KustomizePatch>,
    /// Kinds of the tenant's objects, for the tenant-wide patches.
    kinds: Kinds,
}

impl TenantOverlay {
    /// Takes a workload's objects as this tenant builds them: patches
    /// where they differ from the shared ones, deletes what it lacks.
    fn reconcile(&mut self, desired: Vec<serde_json::Value>, shared: &[serde_json::Value]) {
        self.delete_missing(&desired, shared);
        self.patch_or_add(desired, shared);
    }

    fn delete_missing(&mut self, desired: &[serde_json::Value], shared: &[serde_json::Value]) {
        for b in shared {
            if !desired.iter().any(|d| id(d) == id(b)) {
                let delete = serde_json::json!({
                    "$patch": "delete",
                    "apiVersion": b["apiVersion"],
                    "kind": b["kind"],
                    "metadata": {"name": b["metadata"]["name"]},
                });
                self.patches.push(KustomizePatch {
                    target: None,
                    patch: yaml_text(&delete),
                });
            }
        }
    }

    /// Patches for `desired` objects that differ from their shared
    /// namesakes; the others are added whole.
    fn patch_or_add(&mut self, desired: Vec<serde_json::Value>, shared: &[serde_json::Value]) {
        for d in desired {
            self.kinds.add(&d);
            match shared.iter().find(|b| id(b) == id(&d)) {
                Some(b) => {
                    let ops = patch::diff(b, &d);
                    if !ops.is_empty() {
                        self.patches.push(KustomizePatch {
                            target: Some(PatchTarget {
                                kind: d["kind"].as_str().unwrap_or_default().to_string(),
                                name: d["metadata"]["name"].as_str().map(str::to_string),
                            }),
                            patch: yaml_text(&serde_json::Value::Array(ops)),
                        });
                    }
                }
                _ => self.objects.push(d),
            }
        }
    }
}

/// An object's identity inside a namespace.
fn id(d: &serde_json::Value) -> (&serde_json::Value, &serde_json::Value) {
    (&d["kind"], &d["metadata"]["name"])
}

/// The kinds a tenant-wide patch may target, and whether a tenant has any.
#[derive(Debug, Default, Clone, Copy)]
struct Kinds {
    deployment: bool,
    stateful_set: bool,
    cron_job: bool,
}

impl Kinds {
    fn add(&mut self, doc: &serde_json::Value) {
        match doc["kind"].as_str() {
            Some("Deployment") => self.deployment = true,
            Some("StatefulSet") => self.stateful_set = true,
            Some("CronJob") => self.cron_job = true,
            _ => {}
        }
    }
}

/// A patch's text, inline in `kustomization.yaml`.
fn yaml_text(v: &serde_json::Value) -> String {
    crate::render::yaml::to_yaml_body(v).trim_end().to_string()
}

/// A dedicated tenant's pods run on its own NodePool only: they select
/// its nodes and tolerate its taint (see `karpenter`).
fn placement_patches(tenant: &str, kinds: Kinds) -> Vec<KustomizePatch> {
    let placement = serde_json::json!({
        "nodeSelector": BTreeMap::from([(TENANT_LABEL, tenant)]),
        "tolerations": [Toleration {
            key: TENANT_LABEL.into(),
            operator: "Equal".into(),
            value: tenant.into(),
            effect: "NoSchedule".into(),
        }],
    });
    let mut patches = Vec::new();
    let pods = serde_json::json!({"template": {"spec": placement.clone()}});
    if kinds.deployment {
        patches.push(tenant_wide("apps/v1", "Deployment", pods.clone()));
    }
    if kinds.stateful_set {
        patches.push(tenant_wide("apps/v1", "StatefulSet", pods));
    }
    if kinds.cron_job {
        let spec = serde_json::json!({"jobTemplate": {"spec": {"template": {"spec": placement}}}});
        patches.push(tenant_wide("batch/v1", "CronJob", spec));
    }
    patches
}

/// A strategic-merge patch of the spec of every object of `kind` in the
/// tenant. The format needs a name; with a kind-only target kustomize
/// ignores it.
fn tenant_wide(api_version: &str, kind: &str, spec: serde_json::Value) -> KustomizePatch {
    let patch = serde_json::json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "every"},
        "spec": spec,
    });
    KustomizePatch {
        target: Some(PatchTarget {
            kind: kind.to_string(),
            name: None,
        }),
        patch: yaml_text(&patch),
    }
}

/// The overlay of one environment: Karpenter's pools (`nodepools/`) and
/// one kustomization per tenant namespace (its base and its workloads),
/// each a GitOps unit. The shared objects name `${namespace}`, which the
/// unit substitutes (see `inputs`): no namespace transformer. Returns the
/// tenant units.
pub fn add_overlay(
    model: &Model,
    env: &Environment,
    names: &EnvNames,
    shared: &Shared,
    files: &mut FileSet,
    notes: &mut Notes,
) -> Vec<TenantUnit> {
    let dir = format!("kubernetes/overlays/{}", env.name);
    let mut units = Vec::new();
    files.insert(
        format!("{dir}/nodepools/karpenter.yaml"),
        Document::Yaml(karpenter::objects(model, env, names)),
    );
    files.insert(
        format!("{dir}/nodepools/kustomization.yaml"),
        Document::Yaml(vec![
            Kustomization::new(vec!["karpenter.yaml".into()]).to_value()
        ]),
    );
    let region = model.app.region.as_str();
    for platform in &env.platforms {
        let dedicated = matches!(platform.kind, PlatformKind::Dedicated(_));
        for w in &platform.tenants {
            let scope = Scope::new(model.app.name.as_str(), w.tenant.as_ref().map(Name::as_str));
            let index = Index::new(w);
            let mut ctx = Ctx {
                model,
                env,
                copy: Copy::new(model, env, platform),
                tenant: w.tenant.as_ref(),
                scope: &scope,
                names,
                index: &index,
                notes,
            };
            let mut overlay = TenantOverlay::default();
            let mut values = contract::Values::default();
            let no_objects = Vec::new();
            for wl in Workload::all(w) {
                values.add(&ctx.variables(wl.task()));
                let base = shared.objects.get(wl.name()).unwrap_or(&no_objects);
                if !shared.unchanged(wl, &index, env) {
                    overlay.reconcile(ctx.workload(wl), base);
                    continue;
                }
                for n in shared.notes.get(wl.name()).into_iter().flatten() {
                    ctx.note(n.clone());
                }
                base.iter().for_each(|d| overlay.kinds.add(d));
            }
            if w.services.is_empty() && w.jobs.is_empty() {
                continue;
            }
            let ns_dir = format!("{dir}/{}", scope.namespace);
            // What only this tenant of this environment has: the
            // contract's values and the tenant's way to its secrets.
            let mut own = vec![values.config_map(&scope)];
            if Workload::all(w).any(|wl| !wl.task().secrets.is_empty()) {
                let account = env
                    .account
                    .clone()
                    .unwrap_or_else(|| inputs::var(inputs::ACCOUNT_ID));
                own.push(contract::secret_store(&scope, names, region, &account));
            }
            files.insert(format!("{ns_dir}/contract.yaml"), Document::Yaml(own));
            // The tenant's namespace first: a unit holds all of one tenant.
            let mut k = Kustomization::new(vec![
                format!("../../../base/{}", scope.namespace),
                "../../../workloads".to_string(),
                "contract.yaml".to_string(),
            ]);
            if !overlay.objects.is_empty() {
                files.insert(
                    format!("{ns_dir}/objects.yaml"),
                    Document::Yaml(std::mem::take(&mut overlay.objects)),
                );
                k.resources.push("objects.yaml".into());
            }
            k.patches = overlay.patches;
            if let Some(t) = scope.tenant {
                k.labels.push(KustomizeLabels {
                    pairs: BTreeMap::from([("tenant".to_string(), t.to_string())]),
                    include_selectors: false,
                    include_templates: true,
                });
                if dedicated {
                    k.patches.extend(placement_patches(t, overlay.kinds));
                }
            }
            files.insert(
                format!("{ns_dir}/kustomization.yaml"),
                Document::Yaml(vec![k.to_value()]),
            );
            units.push(TenantUnit {
                namespace: scope.namespace.clone(),
                tenant: scope.tenant.map(str::to_string),
                public: w.services.iter().any(|s| s.expose == Expose::Public),
            });
        }
    }
    units
}

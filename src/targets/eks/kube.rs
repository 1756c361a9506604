//! Kubernetes YAML. `kubernetes/base` holds what every environment shares:
//! per tenant a namespace (restricted Pod Security), quota, limit range,
//! default-deny network policies with DNS and AWS API egress, the service
//! accounts that Pod Identity binds, and KEDA's TriggerAuthentication.
//! `kubernetes/workloads` holds every workload's objects once (Deployment,
//! Service, HPA or KEDA ScaledObject, PDB, Ingress, NetworkPolicy along
//! `calls`, CronJob), as the first environment defines them before tenant
//! overrides. `kubernetes/overlays/<env>` holds Karpenter's pools and one
//! kustomization per tenant namespace that puts the workloads in the
//! namespace, labels them with the tenant, and patches what differs:
//! values the environment or tenant changes, the tenant's queue names and
//! ALB group, and a dedicated tenant's NodePool placement. The output
//! grows with services + tenants x environments x changes, not with
//! services x tenants x environments.

use super::k8s::*;
use super::karpenter::{self, TENANT_LABEL};
use crate::aws::names::eks::{namespace, ClusterNames as EnvNames};
use crate::aws::routes;

/// Kubernetes label values and DNS labels.
const LABEL_MAX: usize = 63;
use super::patch;
use crate::aws::names::fit;
use crate::doc::{Document, FileSet};
use crate::model::{
    Cpu, Environment, Expose, Health, Image, Job, Memory, Model, Name, PlatformKind, Queue,
    Service, ServiceKind, Task, Workloads,
};
use std::collections::{BTreeMap, BTreeSet};

/// Non-root user and group every container runs as.
const RUN_AS: u32 = 10001;
/// Seconds HPA and KEDA wait before scaling down.
const SCALE_DOWN_WINDOW: u32 = 300;
/// CPU target when a service autoscales but names no target.
const DEFAULT_CPU_TARGET: u8 = 70;
/// The EKS Pod Identity agent, on every node's link-local address.
const POD_IDENTITY_AGENT: &str = "169.254.170.23/32";
const TRIGGER_AUTH: &str = "aws-pod-identity";

/// Notes for the user, each with the places (`env` or `env/tenant`) it applies to.
pub type Notes = BTreeMap<String, BTreeSet<String>>;

pub fn common_labels(app: &str, name: &str, instance: &str, component: &str) -> Labels {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), name.to_string()),
        (
            "app.kubernetes.io/instance".to_string(),
            fit(instance, LABEL_MAX),
        ),
        ("app.kubernetes.io/component".to_string(), component.into()),
        ("app.kubernetes.io/part-of".to_string(), app.to_string()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "blueprint".to_string(),
        ),
    ])
}

/// Where one tenant's objects go.
struct Scope<'a> {
    app: &'a str,
    tenant: Option<&'a str>,
    namespace: String,
}

impl<'a> Scope<'a> {
    fn new(app: &'a str, tenant: Option<&'a str>) -> Scope<'a> {
        Scope {
            app,
            tenant,
            namespace: namespace(app, tenant),
        }
    }

    /// Labels of the tenant's own objects in `base` (namespace, quota,
    /// policies, service accounts).
    fn tenant_labels(&self, name: &str, component: &str) -> Labels {
        let mut l = common_labels(
            self.app,
            name,
            &format!("{}-{name}", self.namespace),
            component,
        );
        if let Some(t) = self.tenant {
            l.insert("tenant".into(), t.into());
        }
        l
    }

    fn tenant_meta(&self, name: &str, component: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.to_string(),
            namespace: Some(self.namespace.clone()),
            labels: self.tenant_labels(name, component),
            annotations: BTreeMap::new(),
        }
    }
}

/// Labels of a workload's objects. They name no tenant or namespace: the
/// same objects serve every tenant, and each tenant's kustomization adds
/// its namespace and `tenant` label (never to selectors, which a
/// Deployment may not change).
fn workload_labels(app: &str, name: &str, component: &str) -> Labels {
    let mut l = common_labels(app, name, "", component);
    l.remove("app.kubernetes.io/instance");
    l
}

/// A workload's pods, inside its namespace.
fn selector(name: &str) -> Labels {
    BTreeMap::from([("app.kubernetes.io/name".to_string(), name.to_string())])
}

/// A workload object's metadata. Its namespace is the application's own
/// (a single-tenant application's namespace); each tenant's kustomization
/// moves the objects into the tenant's namespace.
fn workload_meta(app: &str, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        namespace: Some(namespace(app, None)),
        labels: workload_labels(app, name, component),
        annotations: BTreeMap::new(),
    }
}

fn tenants(model: &Model) -> Vec<Option<&str>> {
    if model.tenants.is_empty() {
        vec![None]
    } else {
        model
            .tenants
            .iter()
            .map(|t| Some(t.name.as_str()))
            .collect()
    }
}

// ------------------------------------------------------------------ base --

pub fn add_base(model: &Model, files: &mut FileSet) {
    let app = model.app.name.as_str();
    let mut resources = Vec::new();
    for tenant in tenants(model) {
        let scope = Scope::new(app, tenant);
        // The tenant's workloads, as named in any environment (overrides
        // change values, never which workloads exist).
        let mut workloads = BTreeSet::new();
        let mut has_keda = false;
        for env in &model.environments {
            for (_, w) in env.all_workloads() {
                if w.tenant.as_ref().map(Name::as_str) != tenant {
                    continue;
                }
                for s in &w.services {
                    workloads.insert(s.name.to_string());
                    has_keda |= uses_keda(s);
                }
                workloads.extend(w.jobs.iter().map(|j| j.name.to_string()));
            }
        }
        let quota = tenant
            .and_then(|t| model.tenants.iter().find(|x| x.name.as_str() == t))
            .map(|t| &t.quota);
        let mut docs = vec![namespace_object(&scope)];
        if let Some(q) = quota.filter(|q| q.cpu.is_some() || q.memory.is_some() || q.pods.is_some())
        {
            let mut hard = BTreeMap::new();
            if let Some(c) = q.cpu {
                hard.insert("requests.cpu".to_string(), c.to_string());
            }
            if let Some(m) = q.memory {
                hard.insert("requests.memory".to_string(), m.to_string());
                hard.insert("limits.memory".to_string(), m.to_string());
            }
            if let Some(p) = q.pods {
                hard.insert("pods".to_string(), p.to_string());
            }
            docs.push(
                Object::new(
                    scope.tenant_meta("quota", "tenant"),
                    ResourceQuota {
                        spec: ResourceQuotaSpec { hard },
                    },
                )
                .to_value(),
            );
        }
        docs.push(limit_range(&scope));
        docs.extend(base_policies(&scope));
        if has_keda {
            docs.push(
                Object::new(
                    scope.tenant_meta(TRIGGER_AUTH, "tenant"),
                    TriggerAuthentication {
                        spec: TriggerAuthenticationSpec {
                            pod_identity: PodIdentity {
                                provider: "aws".into(),
                                identity_owner: "keda".into(),
                            },
                        },
                    },
                )
                .to_value(),
            );
        }
        let file = format!("{}/namespace.yaml", scope.namespace);
        files.insert(format!("kubernetes/base/{file}"), Document::Yaml(docs));
        resources.push(file);
        if !workloads.is_empty() {
            let accounts = workloads
                .iter()
                .map(|w| {
                    Object::new(
                        scope.tenant_meta(w, "identity"),
                        ServiceAccount {
                            automount_service_account_token: false,
                        },
                    )
                    .to_value()
                })
                .collect();
            let file = format!("{}/service-accounts.yaml", scope.namespace);
            files.insert(format!("kubernetes/base/{file}"), Document::Yaml(accounts));
            resources.push(file);
        }
    }
    files.insert(
        "kubernetes/base/kustomization.yaml".into(),
        Document::Yaml(vec![Kustomization::new(resources).to_value()]),
    );
}

fn namespace_object(scope: &Scope) -> serde_json::Value {
    let mut labels = common_labels(scope.app, &scope.namespace, &scope.namespace, "tenant");
    if let Some(t) = scope.tenant {
        labels.insert("tenant".into(), t.into());
    }
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            "restricted".into(),
        );
    }
    labels.insert(
        "pod-security.kubernetes.io/enforce-version".into(),
        "latest".into(),
    );
    Object::new(
        ObjectMeta {
            name: scope.namespace.clone(),
            labels,
            ..ObjectMeta::default()
        },
        Namespace {},
    )
    .to_value()
}

fn limit_range(scope: &Scope) -> serde_json::Value {
    let memory = Memory::from_mib(512).to_string();
    Object::new(
        scope.tenant_meta("defaults", "tenant"),
        LimitRange {
            spec: LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".into(),
                    default: BTreeMap::from([("memory".to_string(), memory.clone())]),
                    default_request: BTreeMap::from([
                        ("cpu".to_string(), Cpu::from_millis(250).to_string()),
                        ("memory".to_string(), memory),
                    ]),
                }],
            },
        },
    )
    .to_value()
}

fn port(protocol: &str, port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: protocol.into(),
        port,
    }
}

fn ip(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IpBlock { cidr: cidr.into() }),
        ..NetworkPolicyPeer::default()
    }
}

/// Default deny in both directions, then DNS to CoreDNS and HTTPS to AWS
/// APIs (plus the Pod Identity agent) for every pod of the tenant.
fn base_policies(scope: &Scope) -> Vec<serde_json::Value> {
    let all = || LabelSelector::default();
    let deny = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Ingress".into(), "Egress".into()],
            ingress: None,
            egress: None,
        },
    };
    let dns = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Egress".into()],
            ingress: None,
            egress: Some(vec![NetworkPolicyRule {
                to: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(LabelSelector::labels(BTreeMap::from([(
                        "kubernetes.io/metadata.name".to_string(),
                        "kube-system".to_string(),
                    )]))),
                    pod_selector: Some(LabelSelector::labels(BTreeMap::from([(
                        "k8s-app".to_string(),
                        "kube-dns".to_string(),
                    )]))),
                    ip_block: None,
                }]),
                ports: vec![port("UDP", 53), port("TCP", 53)],
                ..NetworkPolicyRule::default()
            }]),
        },
    };
    let aws = NetworkPolicy {
        spec: NetworkPolicySpec {
            pod_selector: all(),
            policy_types: vec!["Egress".into()],
            ingress: None,
            egress: Some(vec![
                NetworkPolicyRule {
                    to: Some(vec![ip("0.0.0.0/0")]),
                    ports: vec![port("TCP", 443)],
                    ..NetworkPolicyRule::default()
                },
                NetworkPolicyRule {
                    to: Some(vec![ip(POD_IDENTITY_AGENT)]),
                    ports: vec![port("TCP", 80)],
                    ..NetworkPolicyRule::default()
                },
            ]),
        },
    };
    vec![
        Object::new(scope.tenant_meta("default-deny", "tenant"), deny).to_value(),
        Object::new(scope.tenant_meta("allow-dns", "tenant"), dns).to_value(),
        Object::new(scope.tenant_meta("allow-aws-apis", "tenant"), aws).to_value(),
    ]
}

// ------------------------------------------------------------------ overlays --

/// Who calls whom, and on which port, inside one tenant's workloads: built
/// once per tenant so that no workload scans all the others.
struct Index<'w> {
    /// Callee -> its callers, services first, in declaration order.
    callers: BTreeMap<&'w str, Vec<&'w str>>,
    ports: BTreeMap<&'w str, u16>,
}

impl<'w> Index<'w> {
    fn new(w: &'w Workloads) -> Index<'w> {
        let mut callers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for wl in Workload::all(w) {
            let caller = wl.name();
            for callee in wl.calls() {
                let list = callers.entry(callee.as_str()).or_default();
                if list.last() != Some(&caller) {
                    list.push(caller);
                }
            }
        }
        let ports = w
            .services
            .iter()
            .filter_map(|s| Some((s.name.as_str(), s.port?)))
            .collect();
        Index { callers, ports }
    }

    fn callers(&self, name: &str) -> &[&'w str] {
        self.callers.get(name).map_or(&[], Vec::as_slice)
    }

    fn port(&self, name: &str) -> Option<u16> {
        self.ports.get(name).copied()
    }

    /// Whether a workload's objects see the same surroundings in both
    /// indexes: the same callers, and the same ports on what it calls.
    fn same_context(&self, other: &Index, name: &str, calls: &[Name]) -> bool {
        self.callers(name) == other.callers(name)
            && calls
                .iter()
                .all(|c| self.port(c.as_str()) == other.port(c.as_str()))
    }
}

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
}

/// A service or a job: what has objects of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Workload<'w> {
    Service(&'w Service),
    Job(&'w Job),
}

impl<'w> Workload<'w> {
    /// Every workload of `w`, services first.
    fn all(w: &'w Workloads) -> impl Iterator<Item = Workload<'w>> {
        w.services
            .iter()
            .map(Workload::Service)
            .chain(w.jobs.iter().map(Workload::Job))
    }

    fn name(self) -> &'w str {
        match self {
            Workload::Service(s) => s.name.as_str(),
            Workload::Job(j) => j.name.as_str(),
        }
    }

    fn calls(self) -> &'w [Name] {
        match self {
            Workload::Service(s) => &s.calls,
            Workload::Job(j) => &j.calls,
        }
    }
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
                scope: &scope,
                names: &names,
                index: &index,
                region: model.app.region.as_str(),
                queues: &model.queues,
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
        }
    }

    /// Whether `wl`, among a tenant's workloads (`index`), builds the same
    /// objects as here: the same definition, callers and callee ports.
    fn unchanged(&self, wl: Workload, index: &Index) -> bool {
        self.definitions.get(wl.name()) == Some(&wl)
            && self.index.same_context(index, wl.name(), wl.calls())
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
    cron_job: bool,
    ingress: bool,
}

impl Kinds {
    fn add(&mut self, doc: &serde_json::Value) {
        match doc["kind"].as_str() {
            Some("Deployment") => self.deployment = true,
            Some("CronJob") => self.cron_job = true,
            Some("Ingress") => self.ingress = true,
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
    if kinds.deployment {
        let spec = serde_json::json!({"template": {"spec": placement.clone()}});
        patches.push(tenant_wide("apps/v1", "Deployment", None, Some(spec)));
    }
    if kinds.cron_job {
        let spec = serde_json::json!({"jobTemplate": {"spec": {"template": {"spec": placement}}}});
        patches.push(tenant_wide("batch/v1", "CronJob", None, Some(spec)));
    }
    patches
}

/// A strategic-merge patch for every object of `kind` in the tenant. The
/// format needs a name; with a kind-only target kustomize ignores it.
fn tenant_wide(
    api_version: &str,
    kind: &str,
    annotations: Option<Labels>,
    spec: Option<serde_json::Value>,
) -> KustomizePatch {
    let mut metadata = serde_json::json!({"name": "every"});
    if let Some(a) = annotations {
        metadata["annotations"] = serde_json::json!(a);
    }
    let mut patch =
        serde_json::json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
    if let Some(spec) = spec {
        patch["spec"] = spec;
    }
    KustomizePatch {
        target: Some(PatchTarget {
            kind: kind.to_string(),
            name: None,
        }),
        patch: yaml_text(&patch),
    }
}

pub fn add_overlay(
    model: &Model,
    env: &Environment,
    names: &EnvNames,
    shared: &Shared,
    files: &mut FileSet,
    notes: &mut Notes,
) {
    let dir = format!("kubernetes/overlays/{}", env.name);
    let mut resources = vec!["../../base".to_string(), "karpenter.yaml".to_string()];
    files.insert(
        format!("{dir}/karpenter.yaml"),
        Document::Yaml(karpenter::objects(env, names)),
    );
    let region = model.app.region.as_str();
    for platform in &env.platforms {
        let dedicated = matches!(platform.kind, PlatformKind::Dedicated(_));
        for w in &platform.tenants {
            let scope = Scope::new(model.app.name.as_str(), w.tenant.as_ref().map(Name::as_str));
            let index = Index::new(w);
            let mut ctx = Ctx {
                scope: &scope,
                names,
                index: &index,
                region,
                queues: &model.queues,
                notes,
            };
            let mut overlay = TenantOverlay::default();
            let no_objects = Vec::new();
            for wl in Workload::all(w) {
                let base = shared.objects.get(wl.name()).unwrap_or(&no_objects);
                if !shared.unchanged(wl, &index) {
                    overlay.reconcile(ctx.workload(wl), base);
                    continue;
                }
                for n in shared.notes.get(wl.name()).into_iter().flatten() {
                    ctx.note(n.clone());
                }
                base.iter().for_each(|d| overlay.kinds.add(d));
                // The one object that names the tenant's own queues.
                if let Workload::Service(s) = wl {
                    if uses_keda(s) {
                        overlay.patch_or_add(vec![ctx.scaled_object(s)], base);
                    }
                }
            }
            if w.services.is_empty() && w.jobs.is_empty() {
                continue;
            }
            let ns_dir = format!("{dir}/{}", scope.namespace);
            let mut k = Kustomization::new(vec!["../../../workloads".to_string()]);
            k.namespace = Some(scope.namespace.clone());
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
                if overlay.kinds.ingress {
                    let group = BTreeMap::from([(
                        "alb.ingress.kubernetes.io/group.name".to_string(),
                        scope.namespace.clone(),
                    )]);
                    k.patches.push(tenant_wide(
                        "networking.k8s.io/v1",
                        "Ingress",
                        Some(group),
                        None,
                    ));
                }
                if dedicated {
                    k.patches.extend(placement_patches(t, overlay.kinds));
                }
            }
            files.insert(
                format!("{ns_dir}/kustomization.yaml"),
                Document::Yaml(vec![k.to_value()]),
            );
            resources.push(scope.namespace.clone());
        }
    }
    files.insert(
        format!("{dir}/kustomization.yaml"),
        Document::Yaml(vec![Kustomization::new(resources).to_value()]),
    );
}

/// Whether a service scales on its queues with KEDA (queue workers, and
/// any service that names a `queue_depth`).
fn uses_keda(s: &Service) -> bool {
    !s.consumes.is_empty()
        && (s.kind() == ServiceKind::Worker || s.scale.queue_depth.is_some())
        && s.scale.max > s.scale.min
}

/// Kubernetes expands `$(VAR)` in env values and args; `$$` is its escape,
/// so doubling every `$` keeps user text literal.
fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

fn image(i: &Image) -> String {
    format!("{}{}{}", i.repository, i.tag_separator(), i.tag_or_latest())
}

fn component(s: &Service) -> &'static str {
    match s.kind() {
        ServiceKind::Http => "http-service",
        ServiceKind::Worker => "queue-worker",
        ServiceKind::Background => "background-service",
    }
}

struct Ctx<'a> {
    scope: &'a Scope<'a>,
    names: &'a EnvNames,
    index: &'a Index<'a>,
    region: &'a str,
    queues: &'a [Queue],
    notes: &'a mut Notes,
}

/// What a pod runs: the parts services and jobs share.
struct PodInput<'a> {
    task: Task<'a>,
    component: &'a str,
    port: Option<u16>,
    health: Option<&'a Health>,
    restart_never: bool,
}

/// Checkov findings that blueprint's choices trip on purpose, with why.
fn checkov_skips(probes: bool, has_secrets: bool) -> BTreeMap<String, String> {
    let mut skips = vec![
        "CKV_K8S_11=CPU limits are left out on purpose: they throttle; requests reserve CPU and memory limits equal requests",
        "CKV_K8S_43=images are pinned by the tag the blueprint gives; a digest is used when the blueprint gives one",
    ];
    if !probes {
        skips.push(
            "CKV_K8S_8=no port: queue workers and background services have no endpoint to probe",
        );
        skips.push(
            "CKV_K8S_9=no port: queue workers and background services have no endpoint to probe",
        );
    }
    if has_secrets {
        skips.push("CKV_K8S_35=the blueprint contract passes secrets as environment variables from a Kubernetes Secret");
    }
    skips
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("checkov.io/skip{}", i + 1), s.to_string()))
        .collect()
}

impl Ctx<'_> {
    fn pod(&self, p: &PodInput) -> PodTemplateSpec {
        let mut env: Vec<EnvVar> = p
            .task
            .env
            .iter()
            .map(|(k, v)| EnvVar {
                name: k.clone(),
                value: Some(literal(v)),
                value_from: None,
            })
            .collect();
        env.extend(p.task.secrets.keys().map(|k| EnvVar {
            name: k.clone(),
            value: None,
            value_from: Some(EnvVarSource {
                secret_key_ref: SecretKeySelector {
                    name: p.task.name.as_str().to_string(),
                    key: k.clone(),
                },
            }),
        }));
        let memory = p.task.memory.to_string();
        let (startup, readiness, liveness) = probes(p.port, p.health);
        // A dedicated tenant's pods are pinned to its NodePool by its
        // kustomization (`placement_patches`), not here: these objects are
        // shared by every tenant.
        let mut node_selector = BTreeMap::new();
        // `spot: 0` keeps the workload on on-demand nodes; otherwise spot is
        // preferred with the blueprint's percentage as the weight.
        let affinity = if p.task.spot == 0 {
            node_selector.insert("karpenter.sh/capacity-type".into(), "on-demand".into());
            None
        } else {
            Some(Affinity {
                node_affinity: NodeAffinity {
                    preferred_during_scheduling_ignored_during_execution: vec![
                        PreferredSchedulingTerm {
                            weight: u32::from(p.task.spot),
                            preference: NodeSelectorTerm {
                                match_expressions: vec![LabelSelectorRequirement {
                                    key: "karpenter.sh/capacity-type".into(),
                                    operator: "In".into(),
                                    values: vec!["spot".into()],
                                }],
                            },
                        },
                    ],
                },
            })
        };
        let topology = if p.restart_never {
            vec![]
        } else {
            vec![TopologySpreadConstraint {
                max_skew: 1,
                topology_key: "topology.kubernetes.io/zone".into(),
                when_unsatisfiable: "ScheduleAnyway".into(),
                label_selector: LabelSelector::labels(selector(p.task.name.as_str())),
            }]
        };
        PodTemplateSpec {
            metadata: PodMeta {
                labels: workload_labels(self.scope.app, p.task.name.as_str(), p.component),
            },
            spec: PodSpec {
                service_account_name: p.task.name.as_str().to_string(),
                automount_service_account_token: false,
                restart_policy: p.restart_never.then(|| "Never".to_string()),
                security_context: PodSecurityContext {
                    run_as_non_root: true,
                    run_as_user: RUN_AS,
                    run_as_group: RUN_AS,
                    fs_group: RUN_AS,
                    seccomp_profile: SeccompProfile {
                        type_: "RuntimeDefault".into(),
                    },
                },
                node_selector,
                affinity,
                topology_spread_constraints: topology,
                containers: vec![Container {
                    name: p.task.name.as_str().to_string(),
                    image: image(p.task.image),
                    image_pull_policy: "Always".into(),
                    args: p
                        .task
                        .command
                        .as_ref()
                        .map(|c| c.iter().map(|a| literal(a)).collect()),
                    ports: p
                        .port
                        .map(|port| ContainerPort {
                            name: "http".into(),
                            container_port: port,
                            protocol: "TCP".into(),
                        })
                        .into_iter()
                        .collect(),
                    env,
                    resources: Resources {
                        requests: BTreeMap::from([
                            ("cpu".to_string(), p.task.cpu.to_string()),
                            ("memory".to_string(), memory.clone()),
                        ]),
                        limits: BTreeMap::from([("memory".to_string(), memory)]),
                    },
                    startup_probe: startup,
                    readiness_probe: readiness,
                    liveness_probe: liveness,
                    security_context: SecurityContext {
                        allow_privilege_escalation: false,
                        privileged: false,
                        read_only_root_filesystem: true,
                        run_as_non_root: true,
                        capabilities: Capabilities {
                            drop: vec!["ALL".into()],
                        },
                    },
                    volume_mounts: vec![VolumeMount {
                        name: "tmp".into(),
                        mount_path: "/tmp".into(),
                    }],
                }],
                volumes: vec![Volume {
                    name: "tmp".into(),
                    empty_dir: EmptyDir {
                        size_limit: "1Gi".into(),
                    },
                }],
            },
        }
    }

    fn service(&mut self, s: &Service) -> Vec<serde_json::Value> {
        let name = s.name.as_str();
        let sc = self.scope;
        let keda = uses_keda(s);
        let hpa = !keda && s.scale.max > s.scale.min && s.scale.max >= 1;
        let mut docs = Vec::new();
        let mut meta = workload_meta(sc.app, name, component(s));
        meta.annotations = checkov_skips(s.port.is_some(), !s.secrets.is_empty());
        let pod = self.pod(&PodInput {
            task: s.task(),
            component: component(s),
            port: s.port,
            health: s.health.as_ref(),
            restart_never: false,
        });
        docs.push(
            Object::new(
                meta,
                Deployment {
                    spec: DeploymentSpec {
                        replicas: (!keda && !hpa).then_some(s.scale.min),
                        revision_history_limit: 5,
                        selector: LabelSelector::labels(selector(name)),
                        template: pod,
                    },
                },
            )
            .to_value(),
        );
        if let Some(p) = s.port {
            docs.push(
                Object::new(
                    workload_meta(sc.app, name, component(s)),
                    super::k8s::Service {
                        spec: ServiceSpec {
                            type_: "ClusterIP".into(),
                            selector: selector(name),
                            ports: vec![ServicePort {
                                name: "http".into(),
                                port: p,
                                target_port: "http".into(),
                                protocol: "TCP".into(),
                            }],
                        },
                    },
                )
                .to_value(),
            );
        }
        if hpa {
            docs.push(self.hpa(s));
        }
        if keda {
            docs.push(self.scaled_object(s));
        }
        docs.push(
            Object::new(
                workload_meta(sc.app, name, component(s)),
                PodDisruptionBudget {
                    spec: PdbSpec {
                        max_unavailable: 1,
                        selector: LabelSelector::labels(selector(name)),
                    },
                },
            )
            .to_value(),
        );
        if let (Expose::Public, Some(p)) = (s.expose, s.port) {
            docs.extend(self.ingresses(s, p));
        }
        if let Some(np) = self.network_policy(s) {
            docs.push(np);
        }
        docs
    }

    fn note(&mut self, message: String) {
        let place = match self.scope.tenant {
            Some(t) => format!("{}/{t}", self.names.env),
            None => self.names.env.clone(),
        };
        self.notes.entry(message).or_default().insert(place);
    }

    fn hpa(&mut self, s: &Service) -> serde_json::Value {
        let sc = &s.scale;
        if sc.min == 0 {
            self.note(format!(
                "{}: a HorizontalPodAutoscaler cannot scale to 0 replicas; minReplicas is 1",
                s.name
            ));
        }
        if sc.requests.is_some() {
            self.note(format!(
                "{}: `scale.requests` needs a custom metrics adapter on EKS and is not used; the HPA scales on CPU",
                s.name
            ));
        }
        let resource = |name: &str, target: u8| MetricSpec {
            type_: "Resource".into(),
            resource: ResourceMetricSource {
                name: name.into(),
                target: MetricTarget {
                    type_: "Utilization".into(),
                    average_utilization: u32::from(target),
                },
            },
        };
        let mut metrics = Vec::new();
        let cpu = sc.cpu.or(sc.memory.is_none().then_some(DEFAULT_CPU_TARGET));
        if let Some(c) = cpu {
            metrics.push(resource("cpu", c));
        }
        if let Some(m) = sc.memory {
            metrics.push(resource("memory", m));
        }
        Object::new(
            workload_meta(self.scope.app, s.name.as_str(), component(s)),
            HorizontalPodAutoscaler {
                spec: HpaSpec {
                    scale_target_ref: CrossVersionObjectReference {
                        api_version: "apps/v1".into(),
                        kind: "Deployment".into(),
                        name: s.name.to_string(),
                    },
                    min_replicas: sc.min.max(1),
                    max_replicas: sc.max,
                    metrics,
                    behavior: scale_down_behavior(),
                },
            },
        )
        .to_value()
    }

    fn scaled_object(&self, s: &Service) -> serde_json::Value {
        let tenant = self.scope.tenant;
        let mut triggers: Vec<ScaleTrigger> = s
            .consumes
            .iter()
            .map(|q| {
                let mut metadata = BTreeMap::from([
                    ("queueURL".to_string(), self.queue_name(tenant, q.as_str())),
                    ("awsRegion".to_string(), self.region.to_string()),
                ]);
                if let Some(d) = s.scale.queue_depth {
                    metadata.insert("queueLength".into(), d.to_string());
                }
                ScaleTrigger {
                    type_: "aws-sqs-queue".into(),
                    metric_type: None,
                    metadata,
                    authentication_ref: Some(AuthenticationRef {
                        name: TRIGGER_AUTH.into(),
                    }),
                }
            })
            .collect();
        for (kind, target) in [("cpu", s.scale.cpu), ("memory", s.scale.memory)] {
            if let Some(t) = target {
                triggers.push(ScaleTrigger {
                    type_: kind.into(),
                    metric_type: Some("Utilization".into()),
                    metadata: BTreeMap::from([("value".to_string(), t.to_string())]),
                    authentication_ref: None,
                });
            }
        }
        Object::new(
            workload_meta(self.scope.app, s.name.as_str(), component(s)),
            ScaledObject {
                spec: ScaledObjectSpec {
                    scale_target_ref: ScaleTargetRef {
                        name: s.name.to_string(),
                    },
                    min_replica_count: s.scale.min,
                    max_replica_count: s.scale.max,
                    polling_interval: 30,
                    cooldown_period: SCALE_DOWN_WINDOW,
                    advanced: ScaledObjectAdvanced {
                        horizontal_pod_autoscaler_config: HpaConfig {
                            behavior: scale_down_behavior(),
                        },
                    },
                    triggers,
                },
            },
        )
        .to_value()
    }

    /// The SQS name of a tenant's queue (KEDA accepts a name in `queueURL`).
    fn queue_name(&self, tenant: Option<&str>, queue: &str) -> String {
        let q = self
            .queues
            .iter()
            .find(|q| q.name.as_str() == queue)
            .expect("normalize resolved every consumed queue");
        self.names.queue(tenant, q).queue
    }

    /// A public service's Ingresses: one per depth of its routes, in the
    /// tenant's ALB group. The load balancer controller orders rules across
    /// a group's Ingresses by `group.order` (lowest first) and only within
    /// one Ingress by path length, so each depth gets the order `-depth`:
    /// `/api/v2` is matched before `/api`, and `/` last, whichever service
    /// holds them. Routes of one depth never nest, so they share an order.
    fn ingresses(&self, s: &Service, port: u16) -> Vec<serde_json::Value> {
        let mut by_depth: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
        for r in &s.routes {
            by_depth.entry(routes::depth(r)).or_default().push(r);
        }
        let several = by_depth.len() > 1;
        by_depth
            .into_iter()
            .map(|(depth, paths)| {
                // `.` never appears in a workload name: no other object
                // can take these.
                let name = if several {
                    format!("{}.depth-{depth}", s.name)
                } else {
                    s.name.to_string()
                };
                self.ingress(s, port, &name, depth, &paths)
            })
            .collect()
    }

    fn ingress(
        &self,
        s: &Service,
        port: u16,
        name: &str,
        depth: usize,
        paths: &[&String],
    ) -> serde_json::Value {
        let mut meta = workload_meta(self.scope.app, s.name.as_str(), component(s));
        meta.name = name.to_string();
        let a = |k: &str, v: &str| (format!("alb.ingress.kubernetes.io/{k}"), v.to_string());
        let order = -(depth.min(1000) as i64);
        let mut annotations = BTreeMap::from([
            a("scheme", "internet-facing"),
            a("target-type", "ip"),
            a("group.name", self.scope.app),
            a("group.order", &order.to_string()),
            a("listen-ports", r#"[{"HTTP":80},{"HTTPS":443}]"#),
            a("ssl-redirect", "443"),
            a("ssl-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
            a(
                "load-balancer-attributes",
                "routing.http.drop_invalid_header_fields.enabled=true",
            ),
        ]);
        if let Some(h) = &s.health {
            annotations.extend([
                a("healthcheck-path", &h.path),
                a(
                    "healthcheck-interval-seconds",
                    &h.interval.secs().to_string(),
                ),
                a("healthcheck-timeout-seconds", &h.timeout.secs().to_string()),
                a("unhealthy-threshold-count", &h.retries.to_string()),
            ]);
        }
        meta.annotations = annotations;
        Object::new(
            meta,
            Ingress {
                spec: IngressSpec {
                    ingress_class_name: "alb".into(),
                    rules: vec![IngressRule {
                        http: HttpIngressRuleValue {
                            paths: paths
                                .iter()
                                .map(|r| HttpIngressPath {
                                    path: (*r).clone(),
                                    path_type: "Prefix".into(),
                                    backend: IngressBackend {
                                        service: IngressServiceBackend {
                                            name: s.name.to_string(),
                                            port: ServiceBackendPort { number: port },
                                        },
                                    },
                                })
                                .collect(),
                        },
                    }],
                },
            },
        )
        .to_value()
    }

    /// Allowances along `calls` inside the tenant's namespace: ingress on a
    /// service's port from the workloads that call it (and from anywhere
    /// for a public service: the ALB reaches pods by IP from the VPC), and
    /// egress to the ports of the services it calls.
    fn network_policy_for(
        &self,
        name: &str,
        component: &str,
        port: Option<u16>,
        public: bool,
        calls: &[Name],
    ) -> Option<serde_json::Value> {
        let peer = |names: Vec<String>| NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "app.kubernetes.io/name".into(),
                    operator: "In".into(),
                    values: names,
                }]),
            }),
            ..NetworkPolicyPeer::default()
        };
        let mut ingress = Vec::new();
        if let Some(p) = port {
            let callers: Vec<String> = self
                .index
                .callers(name)
                .iter()
                .map(|c| c.to_string())
                .collect();
            if public {
                ingress.push(NetworkPolicyRule {
                    ports: vec![port_rule(p)],
                    ..NetworkPolicyRule::default()
                });
            } else if !callers.is_empty() {
                ingress.push(NetworkPolicyRule {
                    from: Some(vec![peer(callers)]),
                    ports: vec![port_rule(p)],
                    ..NetworkPolicyRule::default()
                });
            }
        }
        // Callee ports, grouped so each port is one rule.
        let mut by_port: BTreeMap<u16, Vec<String>> = BTreeMap::new();
        for c in calls {
            if let Some(p) = self.index.port(c.as_str()) {
                by_port.entry(p).or_default().push(c.to_string());
            }
        }
        let egress: Vec<NetworkPolicyRule> = by_port
            .into_iter()
            .map(|(p, names)| NetworkPolicyRule {
                to: Some(vec![peer(names)]),
                ports: vec![port_rule(p)],
                ..NetworkPolicyRule::default()
            })
            .collect();
        if ingress.is_empty() && egress.is_empty() {
            return None;
        }
        let mut types = Vec::new();
        if !ingress.is_empty() {
            types.push("Ingress".to_string());
        }
        if !egress.is_empty() {
            types.push("Egress".to_string());
        }
        Some(
            Object::new(
                workload_meta(self.scope.app, name, component),
                NetworkPolicy {
                    spec: NetworkPolicySpec {
                        pod_selector: LabelSelector::labels(selector(name)),
                        policy_types: types,
                        ingress: (!ingress.is_empty()).then_some(ingress),
                        egress: (!egress.is_empty()).then_some(egress),
                    },
                },
            )
            .to_value(),
        )
    }

    fn network_policy(&self, s: &Service) -> Option<serde_json::Value> {
        self.network_policy_for(
            s.name.as_str(),
            component(s),
            s.port,
            s.expose == Expose::Public,
            &s.calls,
        )
    }

    fn workload(&mut self, wl: Workload) -> Vec<serde_json::Value> {
        match wl {
            Workload::Service(s) => self.service(s),
            Workload::Job(j) => self.job(j),
        }
    }

    fn job(&mut self, j: &Job) -> Vec<serde_json::Value> {
        let (schedule, approximation) = j.schedule.to_cron();
        if let Some(why) = approximation {
            self.note(format!("{}: {why}", j.name));
        }
        let name = j.name.as_str();
        let mut meta = workload_meta(self.scope.app, name, "job");
        meta.annotations = checkov_skips(true, !j.secrets.is_empty());
        let pod = self.pod(&PodInput {
            task: j.task(),
            component: "job",
            port: None,
            health: None,
            restart_never: true,
        });
        let mut docs = vec![Object::new(
            meta,
            CronJob {
                spec: CronJobSpec {
                    schedule,
                    time_zone: "Etc/UTC".into(),
                    concurrency_policy: "Forbid".into(),
                    starting_deadline_seconds: 300,
                    successful_jobs_history_limit: 3,
                    failed_jobs_history_limit: 3,
                    job_template: JobTemplateSpec {
                        metadata: PodMeta {
                            labels: workload_labels(self.scope.app, name, "job"),
                        },
                        spec: JobSpec {
                            backoff_limit: j.retries,
                            active_deadline_seconds: j.timeout.secs(),
                            template: pod,
                        },
                    },
                },
            },
        )
        .to_value()];
        if let Some(np) = self.network_policy_for(name, "job", None, false, &j.calls) {
            docs.push(np);
        }
        docs
    }
}

fn port_rule(p: u16) -> NetworkPolicyPort {
    port("TCP", p)
}

fn scale_down_behavior() -> HpaBehavior {
    HpaBehavior {
        scale_down: HpaScalingRules {
            stabilization_window_seconds: SCALE_DOWN_WINDOW,
        },
    }
}

/// Startup (from `grace`), readiness and liveness probes: HTTP on the
/// health path when the blueprint has one, TCP on the port otherwise.
fn probes(
    port: Option<u16>,
    health: Option<&Health>,
) -> (Option<Probe>, Option<Probe>, Option<Probe>) {
    let Some(_) = port else {
        return (None, None, None);
    };
    match health {
        Some(h) => {
            let get = || HttpGetAction {
                path: h.path.clone(),
                port: "http".into(),
            };
            let probe = |period: u64, failures: u64| Probe {
                http_get: Some(get()),
                tcp_socket: None,
                period_seconds: period.max(1),
                timeout_seconds: h.timeout.secs().max(1),
                failure_threshold: failures.max(1),
            };
            let startup_period = 5;
            let startup = (h.grace.secs() > 0)
                .then(|| probe(startup_period, h.grace.secs().div_ceil(startup_period)));
            let every = probe(h.interval.secs(), u64::from(h.retries));
            (startup, Some(every.clone()), Some(every))
        }
        None => {
            let tcp = Probe {
                http_get: None,
                tcp_socket: Some(TcpSocketAction {
                    port: "http".into(),
                }),
                period_seconds: 10,
                timeout_seconds: 1,
                failure_threshold: 3,
            };
            (None, Some(tcp.clone()), Some(tcp))
        }
    }
}

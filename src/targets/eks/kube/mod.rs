//! Kubernetes YAML. `kubernetes/base/<namespace>` holds what every
//! environment shares per tenant: its namespace (restricted Pod Security),
//! quota, limit range, default-deny network policies with DNS and AWS API
//! egress, the service accounts that Pod Identity binds, and KEDA's
//! TriggerAuthentication. `kubernetes/workloads` holds every workload's
//! objects once (Deployment, Service, HPA or KEDA ScaledObject, PDB,
//! Ingress, NetworkPolicy, ExternalSecret, CronJob), as the first
//! environment defines them before tenant overrides, in `${namespace}`.
//! `kubernetes/overlays/<env>` holds Karpenter's pools and one
//! kustomization per tenant namespace, the unit Flux builds: the tenant's
//! base, the workloads labelled with the tenant, its own values (the
//! runtime contract's ConfigMap, its SecretStore) and patches of what the
//! environment or tenant changes, or a dedicated tenant's NodePool
//! placement. The output grows with services + tenants x environments x
//! changes, not with services x tenants x environments.
//!
//! The parts: `base` (tenant namespaces and what they hold), `workload`
//! (a workload's objects as one tenant of one environment builds them),
//! `contract` (the runtime contract's objects), `overlay` (the shared
//! workload objects, and per environment and tenant the kustomization that
//! adds the tenant's values and patches what differs).

mod base;
mod contract;
mod overlay;
mod workload;

pub use base::add_base;
pub use overlay::{add_overlay, add_workloads, Shared};

use super::k8s::*;
use crate::aws::names::eks::namespace;
use crate::aws::names::fit;
use crate::model::{Image, Job, Model, Name, Service, ServiceKind, Task, Workloads};
use std::collections::{BTreeMap, BTreeSet};

/// Kubernetes label values and DNS labels.
const LABEL_MAX: usize = 63;

/// Non-root user and group every container runs as.
const RUN_AS: u32 = crate::aws::defaults::POSIX_ID;
/// Seconds HPA and KEDA wait before scaling down.
const SCALE_DOWN_WINDOW: u32 = 300;
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
pub(super) struct Scope<'a> {
    pub(super) app: &'a str,
    pub(super) tenant: Option<&'a str>,
    pub(super) namespace: String,
}

impl<'a> Scope<'a> {
    pub(super) fn new(app: &'a str, tenant: Option<&'a str>) -> Scope<'a> {
        Scope {
            app,
            tenant,
            namespace: namespace(app, tenant),
        }
    }

    /// Labels of the tenant's own objects in `base` (namespace, quota,
    /// policies, service accounts).
    pub(super) fn tenant_labels(&self, name: &str, component: &str) -> Labels {
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

    pub(super) fn tenant_meta(&self, name: &str, component: &str) -> ObjectMeta {
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
pub(super) fn workload_labels(app: &str, name: &str, component: &str) -> Labels {
    let mut l = common_labels(app, name, "", component);
    l.remove("app.kubernetes.io/instance");
    l
}

/// A workload's pods, inside its namespace.
pub(super) fn selector(name: &str) -> Labels {
    BTreeMap::from([("app.kubernetes.io/name".to_string(), name.to_string())])
}

/// A workload object's metadata. Its namespace is the application's own
/// (a single-tenant application's namespace); each tenant's kustomization
/// moves the objects into the tenant's namespace.
pub(super) fn workload_meta(app: &str, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        namespace: Some(crate::targets::eks::inputs::var(
            crate::targets::eks::inputs::NAMESPACE,
        )),
        labels: workload_labels(app, name, component),
        annotations: BTreeMap::new(),
    }
}

pub(super) fn tenants(model: &Model) -> Vec<Option<&str>> {
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

pub(super) fn port(protocol: &str, port: u16) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: protocol.into(),
        port,
    }
}

pub(super) fn ip(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IpBlock { cidr: cidr.into() }),
        ..NetworkPolicyPeer::default()
    }
}

/// Who calls whom, and on which port, inside one tenant's workloads: built
/// once per tenant so that no workload scans all the others.
pub(super) struct Index<'w> {
    /// Callee -> its callers, services first, in declaration order.
    callers: BTreeMap<&'w str, Vec<&'w str>>,
    ports: BTreeMap<&'w str, u16>,
}

impl<'w> Index<'w> {
    pub(super) fn new(w: &'w Workloads) -> Index<'w> {
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

    pub(super) fn callers(&self, name: &str) -> &[&'w str] {
        self.callers.get(name).map_or(&[], Vec::as_slice)
    }

    pub(super) fn port(&self, name: &str) -> Option<u16> {
        self.ports.get(name).copied()
    }

    /// Whether a workload's objects see the same surroundings in both
    /// indexes: the same callers, and the same ports on what it calls.
    pub(super) fn same_context(&self, other: &Index, name: &str, calls: &[Name]) -> bool {
        self.callers(name) == other.callers(name)
            && calls
                .iter()
                .all(|c| self.port(c.as_str()) == other.port(c.as_str()))
    }
}

/// A service or a job: what has objects of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Workload<'w> {
    Service(&'w Service),
    Job(&'w Job),
}

impl<'w> Workload<'w> {
    /// Every workload of `w`, services first.
    pub(super) fn all(w: &'w Workloads) -> impl Iterator<Item = Workload<'w>> {
        w.services
            .iter()
            .map(Workload::Service)
            .chain(w.jobs.iter().map(Workload::Job))
    }

    pub(super) fn name(self) -> &'w str {
        match self {
            Workload::Service(s) => s.name.as_str(),
            Workload::Job(j) => j.name.as_str(),
        }
    }

    pub(super) fn calls(self) -> &'w [Name] {
        match self {
            Workload::Service(s) => &s.calls,
            Workload::Job(j) => &j.calls,
        }
    }

    pub(super) fn task(self) -> Task<'w> {
        match self {
            Workload::Service(s) => s.task(),
            Workload::Job(j) => j.task(),
        }
    }
}

/// Whether a service scales on its queues with KEDA (queue workers, and
/// any service that names a `queue_depth`). A stateful service never does:
/// it keeps at least one replica and scales on CPU or memory (an HPA), if
/// at all.
pub fn uses_keda(s: &Service) -> bool {
    !s.stateful
        && !s.consumes.is_empty()
        && (s.kind() == ServiceKind::Worker || s.scale.queue_depth.is_some())
        && s.scale.max > s.scale.min
}

/// Kubernetes expands `$(VAR)` in env values and args; `$$` is its escape,
/// so doubling every `$` keeps user text literal. The unit is substituted
/// before it is applied, which reads `$$` as `$` too: doubled once more.
pub(super) fn literal(s: &str) -> String {
    crate::targets::eks::inputs::flux_literal(&s.replace('$', "$$"))
}

pub(super) fn image(i: &Image) -> String {
    format!("{}{}{}", i.repository, i.tag_separator(), i.tag_or_latest())
}

pub(super) fn component(s: &Service) -> &'static str {
    match s.kind() {
        ServiceKind::Http => "http-service",
        ServiceKind::Worker => "queue-worker",
        ServiceKind::Background => "background-service",
    }
}

//! The names of the EKS target: one cluster per environment, holding every
//! tenant (a namespace each), with AWS resources named after the cluster.
//! The cluster module creates nothing under a name of its own: every name
//! below arrives as a module argument.

use super::{fit, queue, Kind, QueueNames};
use crate::aws::registry::{Origin, Registry};
use crate::model::{Environment, Model, Name, Queue};

/// Cluster names are kept short enough for every derived name
/// (`<cluster>-karpenter-rebalance` within EventBridge's 64 characters).
const CLUSTER_MAX: usize = 40;

/// The events Karpenter drains nodes on, by the key of their EventBridge
/// rule (`templates/eks/cluster/karpenter.tf`'s `karpenter_events`).
pub const KARPENTER_EVENTS: [&str; 4] = ["health", "rebalance", "spot", "state"];

/// What one environment's cluster names once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNames {
    pub app: String,
    pub env: String,
    pub cluster: String,
    pub kms_alias: String,
    pub log_group: String,
    pub cluster_role: String,
    pub system_node_role: String,
    pub karpenter_role: String,
    pub karpenter_node_role: String,
    pub karpenter_queue: String,
    /// `<cluster>-karpenter-<event>`, by [`KARPENTER_EVENTS`].
    pub karpenter_rules: Vec<(&'static str, String)>,
    pub keda_role: String,
    pub ebs_csi_role: String,
}

pub fn cluster(model: &Model, env: &Environment) -> ClusterNames {
    let c = fit(&format!("{}-{}", model.app.name, env.name), CLUSTER_MAX);
    ClusterNames {
        app: model.app.name.to_string(),
        env: env.name.to_string(),
        kms_alias: format!("alias/{c}-eks"),
        log_group: format!("/aws/eks/{c}/cluster"),
        cluster_role: format!("{c}-cluster"),
        system_node_role: format!("{c}-system-node"),
        karpenter_role: format!("{c}-karpenter"),
        karpenter_node_role: format!("{c}-karpenter-node"),
        karpenter_queue: format!("{c}-karpenter"),
        karpenter_rules: KARPENTER_EVENTS
            .iter()
            .map(|e| (*e, format!("{c}-karpenter-{e}")))
            .collect(),
        keda_role: format!("{c}-keda"),
        ebs_csi_role: format!("{c}-ebs-csi-driver"),
        cluster: c,
    }
}

impl ClusterNames {
    /// The IAM role of a tenant's service or job (Pod Identity).
    pub fn workload_role(&self, tenant: Option<&str>, workload: &str) -> String {
        Kind::IamRole.fit(&format!("{}-{}", self.cluster, local(tenant, workload)))
    }

    /// The SQS names of a tenant's copy of `q`.
    pub fn queue(&self, tenant: Option<&str>, q: &Queue) -> QueueNames {
        let full = format!(
            "{}-{}-{}",
            self.app,
            self.env,
            local(tenant, q.name.as_str())
        );
        queue(&full, q.fifo)
    }
}

/// `name`, or `<tenant>-<name>`.
fn local(tenant: Option<&str>, name: &str) -> String {
    match tenant {
        Some(t) => format!("{t}-{name}"),
        None => name.to_string(),
    }
}

/// The namespace of a tenant (`<app>-<tenant>`), or the application's own
/// for a single-tenant application. The app prefix keeps tenant names such
/// as `default` or `kube-system` away from the cluster's own namespaces.
pub fn namespace(app: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => Kind::Namespace.fit(&format!("{app}-{t}")),
        None => app.to_string(),
    }
}

/// Namespaces the cluster itself runs controllers in: no tenant's
/// namespace may take one of them.
pub const SYSTEM_NAMESPACES: [&str; 9] = [
    "argocd",
    "default",
    "external-secrets",
    "flux-system",
    "karpenter",
    "keda",
    "kube-node-lease",
    "kube-public",
    "kube-system",
];

/// Every name the EKS target creates, into `reg`.
pub fn register(model: &Model, reg: &mut Registry) {
    for env in &model.environments {
        let n = cluster(model, env);
        let at = Origin::environment(env, format!("the cluster of environment `{}`", env.name));
        reg.add(Kind::EksCluster, &n.cluster, &at);
        reg.add(Kind::KmsAlias, &n.kms_alias, &at);
        reg.add(Kind::LogGroup, &n.log_group, &at);
        for role in [
            &n.cluster_role,
            &n.system_node_role,
            &n.karpenter_role,
            &n.karpenter_node_role,
            &n.keda_role,
            &n.ebs_csi_role,
        ] {
            reg.add(Kind::IamRole, role, &at);
        }
        reg.add(Kind::SqsQueue, &n.karpenter_queue, &at);
        for (_, rule) in &n.karpenter_rules {
            reg.add(Kind::EventRule, rule, &at);
        }
        let system = Origin::environment(env, "the cluster's own namespaces");
        for ns in SYSTEM_NAMESPACES {
            reg.add_in(Kind::Namespace, env.name.as_str(), ns, &system);
        }
        for (_, w) in env.all_workloads() {
            let tenant = w.tenant.as_ref();
            let t = tenant.map(Name::as_str);
            let ns = namespace(model.app.name.as_str(), t);
            let what = match tenant {
                Some(t) => format!("the namespace of tenant `{t}`"),
                None => "the application's namespace".to_string(),
            };
            let mut ns_at = Origin::environment(env, what);
            if let Some(t) = tenant {
                ns_at.paths.insert(0, format!("tenants.{t}"));
            }
            // Namespaces are per cluster: one cluster per environment.
            reg.add_in(Kind::Namespace, env.name.as_str(), &ns, &ns_at);
            for q in &model.queues {
                let at = Origin::item(env, tenant, "queue", q.name.as_str());
                let names = n.queue(t, q);
                reg.add(Kind::SqsQueue, &names.queue, &at);
                if q.dead_letter.is_some() {
                    reg.add(Kind::SqsQueue, &names.dead_letter, &at);
                }
            }
            let workloads = w
                .services
                .iter()
                .map(|s| ("service", &s.name))
                .chain(w.jobs.iter().map(|j| ("job", &j.name)));
            for (noun, name) in workloads {
                let at = Origin::item(env, tenant, noun, name.as_str());
                reg.add(Kind::IamRole, &n.workload_role(t, name.as_str()), &at);
            }
        }
    }
}

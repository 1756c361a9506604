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
/// rule (`templates/eks/cluster/karpenter.tf`'s `karpenter_events`): the
/// five rules of Karpenter's reference template (capacity reservation
/// interruptions, health events, rebalance recommendations, spot
/// interruptions, instance state changes).
pub const KARPENTER_EVENTS: [&str; 5] = ["capacity", "health", "rebalance", "spot", "state"];

/// The ConfigMap in every tenant namespace that holds the runtime
/// contract's values for that environment and tenant (queue URLs or names,
/// callee URLs, `BLUEPRINT_*`); workloads read it with `configMapKeyRef`.
pub const CONTRACT_CONFIG_MAP: &str = "blueprint-contract";

/// The External Secrets `SecretStore` of a tenant namespace.
pub const SECRET_STORE: &str = "aws-secrets-manager";

/// The StorageClass of stateful services' volumes (EBS gp3 through the
/// EBS CSI driver), one per cluster, in the platform unit.
pub const STORAGE_CLASS: &str = "blueprint-gp3";

/// The volume claim template of a stateful service's StatefulSet: its
/// claims are `data-<service>-<ordinal>`.
pub const VOLUME_CLAIM: &str = "data";

/// The headless Service that gives a stateful service's pods their stable
/// names (`<service>-0.<service>-headless`): the StatefulSet's
/// `serviceName`. The service's own Service keeps its name, which callers
/// use.
pub fn headless_service(service: &str) -> String {
    Kind::KubernetesService.with_suffix(service, "-headless")
}

/// Controllers' service accounts that Pod Identity binds, as
/// (namespace, name); the Helm values name the same.
pub const KARPENTER_SERVICE_ACCOUNT: (&str, &str) = ("kube-system", "karpenter");
pub const LB_CONTROLLER_SERVICE_ACCOUNT: (&str, &str) =
    ("kube-system", "aws-load-balancer-controller");
pub const KEDA_SERVICE_ACCOUNT: (&str, &str) = ("keda", "keda-operator");
pub const EXTERNAL_SECRETS_SERVICE_ACCOUNT: (&str, &str) = ("external-secrets", "external-secrets");

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
    /// The AWS Load Balancer Controller's role.
    pub lb_controller_role: String,
    /// The External Secrets Operator's own role: it may only assume the
    /// tenants' secret roles ([`ClusterNames::secrets_role`]).
    pub external_secrets_role: String,
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
        lb_controller_role: format!("{c}-aws-lb-controller"),
        external_secrets_role: format!("{c}-external-secrets"),
        cluster: c,
    }
}

impl ClusterNames {
    /// The IAM role of a tenant's service or job (Pod Identity).
    pub fn workload_role(&self, tenant: Option<&str>, workload: &str) -> String {
        Kind::IamRole.fit(&format!("{}-{}", self.cluster, local(tenant, workload)))
    }

    /// The role a tenant's `SecretStore` has the External Secrets Operator
    /// assume: it reads that tenant's secrets and nothing else.
    pub fn secrets_role(&self, tenant: Option<&str>) -> String {
        let base = match tenant {
            Some(t) => format!("{}-{t}", self.cluster),
            None => self.cluster.clone(),
        };
        Kind::IamRole.with_suffix(&base, "-secrets")
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

/// The partition of `region`'s ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The ARN of IAM role `name` in `account` (which may be a substitution
/// variable that Flux fills in).
pub fn role_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:{}:iam::{account}:role/{name}", partition(region))
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

/// The GitOps units of one environment (Flux `Kustomization`s in
/// `flux-system`): the platform controllers, Karpenter's pools, and one
/// per tenant namespace.
pub fn unit_platform(app: &str) -> String {
    format!("{app}-platform")
}

pub fn unit_nodepools(app: &str) -> String {
    format!("{app}-nodepools")
}

/// A tenant's unit: `<app>-tenant-<t>`, or `<app>-workloads` for a
/// single-tenant application (never one of the two above).
pub fn unit_tenant(app: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => format!("{app}-tenant-{t}"),
        None => format!("{app}-workloads"),
    }
}

/// The ConfigMaps in `flux-system` that Terraform's `kubernetes_inputs`
/// output holds and Flux substitutes from: the environment's values, and
/// one per tenant unit with a public service (its host and certificate).
pub fn inputs_config_map(app: &str) -> String {
    format!("{app}-inputs")
}

/// A unit's own inputs: `<unit>-inputs` (never `<app>-inputs`: unit
/// names have a second part).
pub fn unit_inputs_config_map(app: &str, tenant: Option<&str>) -> String {
    format!("{}-inputs", unit_tenant(app, tenant))
}

/// Where Flux runs, and its Kustomizations and the inputs live.
pub const FLUX_NAMESPACE: &str = "flux-system";

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
            &n.lb_controller_role,
            &n.external_secrets_role,
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
            if w.services.iter().any(|s| !s.secrets.is_empty())
                || w.jobs.iter().any(|j| !j.secrets.is_empty())
            {
                let what = match tenant {
                    Some(t) => format!("the secrets role of tenant `{t}`"),
                    None => "the application's secrets role".to_string(),
                };
                let mut at = Origin::environment(env, what);
                if let Some(t) = tenant {
                    at.paths.insert(0, format!("tenants.{t}"));
                }
                reg.add(Kind::IamRole, &n.secrets_role(t), &at);
            }
            // Services are per namespace: a service's Service, and a
            // stateful service's headless one.
            let scope = format!("{}/{ns}", env.name);
            for s in &w.services {
                let at = Origin::item(env, tenant, "service", s.name.as_str());
                if s.port.is_some() {
                    reg.add_in(Kind::KubernetesService, &scope, s.name.as_str(), &at);
                }
                if s.storage.is_some() {
                    let mut at = at.clone();
                    at.what = format!("the headless Service of {}", at.what);
                    let name = headless_service(s.name.as_str());
                    reg.add_in(Kind::KubernetesService, &scope, &name, &at);
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

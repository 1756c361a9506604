//! Every name the EKS target gives: cluster, namespaces, IAM roles, queues,
//! fitted to AWS and Kubernetes limits the same way on every run.

use crate::aws::names::fit;
use crate::model::{Environment, Model};

/// Cluster names are kept short enough for every derived name
/// (`<cluster>-karpenter-node`, EventBridge rules `<cluster>-karpenter-rebalance`).
const CLUSTER_MAX: usize = 40;
const IAM_ROLE_MAX: usize = 64;
use crate::targets::terraform::QUEUE_NAME_MAX;
/// Kubernetes label values and DNS labels.
pub const LABEL_MAX: usize = 63;

/// Names of one environment.
pub struct EnvNames {
    pub app: String,
    pub env: String,
    pub cluster: String,
}

impl EnvNames {
    pub fn new(model: &Model, env: &Environment) -> EnvNames {
        let app = model.app.name.to_string();
        EnvNames {
            cluster: fit(&format!("{app}-{}", env.name), CLUSTER_MAX),
            env: env.name.to_string(),
            app,
        }
    }

    pub fn karpenter_node_role(&self) -> String {
        format!("{}-karpenter-node", self.cluster)
    }

    /// The key of a tenant's workload or queue in the module's maps.
    pub fn key(tenant: Option<&str>, name: &str) -> String {
        match tenant {
            Some(t) => format!("{t}-{name}"),
            None => name.to_string(),
        }
    }

    pub fn workload_role(&self, tenant: Option<&str>, workload: &str) -> String {
        fit(
            &format!("{}-{}", self.cluster, Self::key(tenant, workload)),
            IAM_ROLE_MAX,
        )
    }

    /// Queue base name (before `-dlq` and `.fifo`).
    pub fn queue(&self, tenant: Option<&str>, queue: &str) -> String {
        fit(
            &format!("{}-{}-{}", self.app, self.env, Self::key(tenant, queue)),
            QUEUE_NAME_MAX,
        )
    }
}

/// The namespace of a tenant (`<app>-<tenant>`), or the application's own
/// for a single-tenant application. The app prefix keeps tenant names such
/// as `default` or `kube-system` away from the cluster's own namespaces.
pub fn namespace(app: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(t) => fit(&format!("{app}-{t}"), LABEL_MAX),
        None => app.to_string(),
    }
}

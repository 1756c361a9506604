//! Every physical name blueprint gives a resource, on every target, and the
//! limits AWS and Kubernetes put on it.
//!
//! The scheme is readable and the same everywhere: a platform copy is
//! `<app>-<env>` (single-tenant, or the shared tenants) or
//! `<app>-<env>-<tenant>` (a dedicated tenant), and a workload or queue of
//! a copy is `<copy>-<name>`, or `<copy>-<tenant>-<name>` for a shared
//! tenant. Names only hold `a-z`, `0-9` and `-`, so two different
//! (environment, tenant, workload) triples can still spell the same name
//! (`north` + `eu-orders`, `north-eu` + `orders`): [`super::registry`]
//! lists every name a target creates and refuses a blueprint in which two
//! collide, naming both sources. Inside a shared copy, keys are
//! `<tenant>/<name>`: `/` never appears in a name, so keys cannot collide.
//!
//! Names over a limit keep a readable prefix and a hash of the whole name
//! ([`fit`]); suffixes the limit must not cut (`-dlq`, `.fifo`, `-exec`)
//! are kept whole ([`Kind::with_suffix`]).

mod fit;
pub use fit::fit;

pub mod ecs;
pub mod eks;
pub mod lambda;

use crate::model::{Environment, Model, Name, Platform, PlatformKind};

/// A kind of name: the namespace in which names must be unique (an AWS
/// account and region, or one Kubernetes cluster) and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    SqsQueue,
    /// IAM role names are unique per account, whatever their case.
    IamRole,
    LogGroup,
    KmsAlias,
    SecurityGroup,
    EcsCluster,
    EcsService,
    TaskFamily,
    /// Application Load Balancer names: 32 characters, letters, digits and
    /// `-`, not beginning with `internal-`.
    LoadBalancer,
    TargetGroup,
    DnsNamespace,
    /// A Cloud Map service inside a copy's namespace.
    DiscoveryService,
    StateMachine,
    Schedule,
    /// An EFS file system's creation token: unique per account and
    /// region (a second CreateFileSystem with it is refused), 64
    /// characters.
    EfsFileSystem,
    Alarm,
    EksCluster,
    /// A Kubernetes namespace in one environment's cluster.
    Namespace,
    /// A Kubernetes Service inside one tenant's namespace.
    KubernetesService,
    LambdaFunction,
    EventRule,
    HttpApi,
    /// CloudFormation stack names are compared without case.
    Stack,
    /// A CDK construct path inside one stack (its logical IDs follow).
    Construct,
}

impl Kind {
    /// The longest name AWS (or Kubernetes) accepts.
    pub const fn max(self) -> usize {
        match self {
            Kind::SqsQueue => 80,
            Kind::IamRole => 64,
            Kind::LogGroup => 512,
            Kind::KmsAlias => 256,
            Kind::SecurityGroup => 255,
            Kind::EcsCluster | Kind::EcsService | Kind::TaskFamily => 255,
            Kind::LoadBalancer | Kind::TargetGroup => 32,
            Kind::DnsNamespace => 253,
            Kind::DiscoveryService => 63,
            Kind::StateMachine => 80,
            Kind::Schedule | Kind::EventRule | Kind::LambdaFunction => 64,
            Kind::EfsFileSystem => 64,
            Kind::Alarm => 255,
            Kind::EksCluster => 100,
            Kind::Namespace | Kind::KubernetesService => 63,
            Kind::HttpApi => 128,
            Kind::Stack => 128,
            Kind::Construct => 1024,
        }
    }

    /// What people call it, in messages.
    pub const fn label(self) -> &'static str {
        match self {
            Kind::SqsQueue => "SQS queue",
            Kind::IamRole => "IAM role",
            Kind::LogGroup => "CloudWatch log group",
            Kind::KmsAlias => "KMS alias",
            Kind::SecurityGroup => "security group",
            Kind::EcsCluster => "ECS cluster",
            Kind::EcsService => "ECS service",
            Kind::TaskFamily => "ECS task definition family",
            Kind::LoadBalancer => "load balancer",
            Kind::TargetGroup => "target group",
            Kind::DnsNamespace => "Cloud Map namespace",
            Kind::DiscoveryService => "Cloud Map service",
            Kind::StateMachine => "Step Functions state machine",
            Kind::Schedule => "EventBridge schedule",
            Kind::EfsFileSystem => "EFS file system",
            Kind::Alarm => "CloudWatch alarm",
            Kind::EksCluster => "EKS cluster",
            Kind::Namespace => "Kubernetes namespace",
            Kind::KubernetesService => "Kubernetes Service",
            Kind::LambdaFunction => "Lambda function",
            Kind::EventRule => "EventBridge rule",
            Kind::HttpApi => "HTTP API",
            Kind::Stack => "CloudFormation stack",
            Kind::Construct => "CloudFormation logical ID",
        }
    }

    /// Whether AWS compares these names without case.
    pub const fn case_insensitive(self) -> bool {
        matches!(self, Kind::IamRole | Kind::Stack | Kind::Construct)
    }

    /// Why AWS or Kubernetes would refuse `name` for this kind, if it
    /// would. Every name is fitted to its limit, so a name that is too long
    /// is blueprint's own bug; it is refused all the same rather than
    /// failing at deploy.
    pub fn refuses(self, name: &str) -> Option<String> {
        let what = self.label();
        if name.len() > self.max() {
            return Some(format!(
                "the {what} name `{name}` is {} characters long; AWS allows {}",
                name.len(),
                self.max()
            ));
        }
        match self {
            Kind::LoadBalancer if name.starts_with("internal-") => Some(format!(
                "the {what} name `{name}` begins with `internal-`, which Elastic Load Balancing refuses"
            )),
            Kind::LoadBalancer | Kind::TargetGroup if name.ends_with('-') => Some(format!(
                "the {what} name `{name}` ends with `-`, which Elastic Load Balancing refuses"
            )),
            Kind::DnsNamespace
            | Kind::DiscoveryService
            | Kind::Namespace
            | Kind::KubernetesService => name
                .split('.')
                .find(|l| l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-'))
                .map(|label| {
                    format!(
                        "the {what} name `{name}` has the DNS label `{label}`, which must be 1 to 63 characters and begin and end with a letter or digit"
                    )
                }),
            _ => None,
        }
    }

    /// `name` within this kind's limit.
    pub fn fit(self, name: &str) -> String {
        fit(name, self.max())
    }

    /// `base` shortened so that `suffix` still fits whole after it.
    pub fn with_suffix(self, base: &str, suffix: &str) -> String {
        let mut s = fit(base, self.max() - suffix.len());
        s.push_str(suffix);
        s
    }
}

/// One platform copy of one environment: where its resources' names start.
#[derive(Debug, Clone)]
pub struct Copy<'m> {
    pub app: &'m Name,
    pub env: &'m Name,
    pub kind: &'m PlatformKind,
}

impl<'m> Copy<'m> {
    pub fn new(model: &'m Model, env: &'m Environment, platform: &'m Platform) -> Copy<'m> {
        Copy {
            app: &model.app.name,
            env: &env.name,
            kind: &platform.kind,
        }
    }

    /// `<app>-<env>`, or `<app>-<env>-<tenant>` for a dedicated tenant:
    /// the prefix of every name in the copy.
    pub fn prefix(&self) -> String {
        match self.kind {
            PlatformKind::Single | PlatformKind::Shared => format!("{}-{}", self.app, self.env),
            PlatformKind::Dedicated(t) => format!("{}-{}-{t}", self.app, self.env),
        }
    }

    /// Whether the copy holds several tenants (their names carry the tenant).
    pub fn is_shared(&self) -> bool {
        matches!(self.kind, PlatformKind::Shared)
    }

    /// A tenant's workload or queue `name` inside the copy, as the part of
    /// names after the prefix: `name`, or `<tenant>-<name>` in a shared copy.
    pub fn local(&self, tenant: Option<&Name>, name: &str) -> String {
        match (self.is_shared(), tenant) {
            (true, Some(t)) => format!("{t}-{name}"),
            _ => name.to_string(),
        }
    }

    /// The full readable name: `<prefix>-<local>`.
    pub fn full(&self, tenant: Option<&Name>, name: &str) -> String {
        format!("{}-{}", self.prefix(), self.local(tenant, name))
    }

    /// The key of a tenant's workload or queue in a copy's maps (Terraform
    /// `for_each` keys): `name`, or `<tenant>/<name>` in a shared copy.
    /// `/` never appears in a name, so keys of two tenants never meet.
    pub fn key(&self, tenant: Option<&Name>, name: &str) -> String {
        key(
            self.is_shared()
                .then_some(tenant)
                .flatten()
                .map(Name::as_str),
            name,
        )
    }
}

/// `name`, or `<tenant>/<name>`: a map key no two (tenant, name) pairs share.
pub fn key(tenant: Option<&str>, name: &str) -> String {
    match tenant {
        Some(t) => format!("{t}/{name}"),
        None => name.to_string(),
    }
}

/// SQS names of one queue copy: the queue, and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNames {
    pub queue: String,
    pub dead_letter: String,
}

/// The names of a queue whose readable name is `full`: `.fifo` kept on
/// FIFO queues (SQS requires it), `-dlq` before it on the dead-letter
/// queue, both within SQS's 80 characters.
pub fn queue(full: &str, fifo: bool) -> QueueNames {
    // One base for both, so that a queue and its dead-letter queue are
    // shortened alike and stay recognisably a pair; the room left for the
    // suffixes does not depend on `fifo`, so turning FIFO on or off never
    // renames a long queue's base.
    let base = fit(full, Kind::SqsQueue.max() - "-dlq".len() - ".fifo".len());
    let fifo = if fifo { ".fifo" } else { "" };
    QueueNames {
        queue: format!("{base}{fifo}"),
        dead_letter: format!("{base}-dlq{fifo}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::new_unchecked(s)
    }

    #[test]
    fn copies_prefix_workloads_and_shared_copies_add_the_tenant() {
        let (app, env) = (n("shop"), n("prod"));
        let single = PlatformKind::Single;
        let shared = PlatformKind::Shared;
        let acme = PlatformKind::Dedicated(n("acme"));
        let copy = |kind| Copy {
            app: &app,
            env: &env,
            kind,
        };
        assert_eq!(copy(&single).full(None, "api"), "shop-prod-api");
        assert_eq!(
            copy(&shared).full(Some(&n("globex")), "api"),
            "shop-prod-globex-api"
        );
        assert_eq!(
            copy(&acme).full(Some(&n("acme")), "api"),
            "shop-prod-acme-api"
        );
        assert_eq!(copy(&shared).key(Some(&n("globex")), "api"), "globex/api");
        assert_eq!(copy(&acme).key(Some(&n("acme")), "api"), "api");
    }

    #[test]
    fn keys_of_prefix_tenants_never_meet() {
        assert_ne!(
            key(Some("north"), "eu-orders"),
            key(Some("north-eu"), "orders")
        );
    }

    #[test]
    fn queue_names_keep_their_suffixes_whole() {
        let q = queue(&"a".repeat(100), true);
        assert!(q.queue.ends_with(".fifo") && q.queue.len() <= 80, "{q:?}");
        assert!(q.dead_letter.ends_with("-dlq.fifo") && q.dead_letter.len() <= 80);
        assert_eq!(
            q.dead_letter.trim_end_matches("-dlq.fifo"),
            q.queue.trim_end_matches(".fifo")
        );
        assert_eq!(
            queue("shop-prod-orders", false).dead_letter,
            "shop-prod-orders-dlq"
        );
    }

    #[test]
    fn suffixes_survive_shortening() {
        let r = Kind::IamRole.with_suffix(&"b".repeat(70), "-exec");
        assert_eq!(r.len(), 64);
        assert!(r.ends_with("-exec"));
    }
}

//! The names of the Lambda target: one stack (or a few, when split) per
//! platform copy, its functions, roles, rules, queues and APIs named after
//! the copy like on every other target; and the Lambda facts its templates
//! and deploy script rely on (where images may come from, the Web Adapter's
//! settings, concurrency and template limits).
//!
//! Log groups, alarms and the copy's KMS key have no fixed names:
//! CloudFormation names them, so that a failed first create, a construct
//! moving between split stacks or a tenant turning dedicated never meets a
//! retained resource of the same name.

use super::{queue, Copy, Kind, QueueNames};
use crate::aws::registry::{Origin, Registry};
use crate::model::{Environment, Image, Model, Name, Platform, PlatformKind};

/// A workload's function and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionNames {
    pub function: String,
    pub role: String,
}

/// The names of a tenant's workload `full` (its [`Copy::full`] name).
/// Deterministic, so that a caller names its callee's function (and grants
/// invoking it) without referring to the callee's resource: `calls` in a
/// ring never make a dependency cycle.
pub fn function(full: &str) -> FunctionNames {
    FunctionNames {
        function: Kind::LambdaFunction.fit(full),
        role: Kind::IamRole.fit(full),
    }
}

/// The EventBridge rules of a job with `count` schedules.
pub fn rules(full: &str, count: usize) -> Vec<String> {
    (1..=count)
        .map(|i| {
            if count == 1 {
                Kind::EventRule.fit(full)
            } else {
                Kind::EventRule.with_suffix(full, &format!("-{i}"))
            }
        })
        .collect()
}

/// The dead-letter queue of a job's failed runs: named like a queue's.
pub fn job_dead_letter(full: &str) -> String {
    queue(full, false).dead_letter
}

/// A tenant's queue copy.
pub fn queue_names(full: &str, fifo: bool) -> QueueNames {
    queue(full, fifo)
}

/// The HTTP API of a tenant whose names start with `base` (the copy's
/// prefix, plus the tenant in a shared copy).
pub fn http_api(base: &str) -> String {
    Kind::HttpApi.fit(base)
}

/// `nightly-report` -> `NightlyReport`: PascalCase without separators.
pub fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `Commerce-Prod` for the shared tenants (or the single tenant),
/// `Commerce-Prod-Acme` for a dedicated tenant.
pub fn stack(app: &Name, env: &Name, kind: &PlatformKind) -> String {
    let base = format!("{}-{}", pascal(app.as_str()), pascal(env.as_str()));
    match kind {
        PlatformKind::Single | PlatformKind::Shared => base,
        PlatformKind::Dedicated(t) => format!("{base}-{}", pascal(t.as_str())),
    }
}

/// The stack a shared tenant's resources move to when the shared copy is
/// over CloudFormation's quotas.
pub fn tenant_stack(copy_stack: &str, tenant: &Name) -> String {
    format!("{copy_stack}-{}", pascal(tenant.as_str()))
}

/// The AWS Lambda Web Adapter (awslabs/aws-lambda-web-adapter): an
/// extension an HTTP service's image carries so that a web app on a port
/// serves Lambda invocations. Its settings, as the adapter reads them: the
/// port the app listens on, and the path it polls until the app is ready.
pub const LWA_PORT: &str = "AWS_LWA_PORT";
pub const LWA_READINESS_CHECK_PATH: &str = "AWS_LWA_READINESS_CHECK_PATH";
/// Where the image must hold the adapter (Lambda starts what is in
/// `/opt/extensions`), and the public image it is copied from.
pub const LWA_EXTENSION: &str = "/opt/extensions/lambda-adapter";
pub const LWA_IMAGE: &str = "public.ecr.aws/awsguru/aws-lambda-adapter";

/// Lambda keeps at least this many of an account's concurrent executions
/// unreserved: reservations may take the account's quota minus this.
pub const UNRESERVED_CONCURRENCY_MIN: u64 = 100;
/// The concurrent executions quota of an account that never asked for
/// more (new accounts start lower).
pub const DEFAULT_ACCOUNT_CONCURRENCY: u64 = 1000;
/// Requests one execution environment serves a second when a service
/// names no `scale.requests` (a function answering in 100 ms).
pub const REQUESTS_PER_SECOND_PER_EXECUTION: u64 = 10;

/// The largest template `aws cloudformation deploy` sends inline
/// (CloudFormation's `TemplateBody` quota); bigger ones go through S3.
pub const TEMPLATE_BODY_MAX_BYTES: usize = 51_200;

/// An ECR pull-through cache rule for an upstream registry that Lambda
/// cannot pull from itself: images are pulled once through
/// `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>` and ECR
/// keeps them (Amazon ECR User Guide, "Sync an upstream registry").
#[derive(Debug, PartialEq, Eq)]
pub struct CacheRule {
    /// The ECR repository prefix, as the ECR console names it.
    pub prefix: &'static str,
    /// The upstream registry URL the rule syncs from.
    pub upstream: &'static str,
    /// For upstreams that require it: the deploy script's variable holding
    /// the Secrets Manager secret (`ecr-pullthroughcache/...`) with the
    /// upstream credentials.
    pub credential: Option<&'static str>,
}

/// The upstream registries ECR pull-through cache supports that blueprint
/// maps images from, by the host an image reference names.
pub static CACHE_RULES: [CacheRule; 6] = [
    CacheRule {
        prefix: "ecr-public",
        upstream: "public.ecr.aws",
        credential: None,
    },
    CacheRule {
        prefix: "quay",
        upstream: "quay.io",
        credential: None,
    },
    CacheRule {
        prefix: "kubernetes",
        upstream: "registry.k8s.io",
        credential: None,
    },
    CacheRule {
        prefix: "docker-hub",
        upstream: "registry-1.docker.io",
        credential: Some("DOCKER_HUB_CREDENTIAL_ARN"),
    },
    CacheRule {
        prefix: "github",
        upstream: "ghcr.io",
        credential: Some("GHCR_CREDENTIAL_ARN"),
    },
    CacheRule {
        prefix: "gitlab",
        upstream: "registry.gitlab.com",
        credential: Some("GITLAB_CREDENTIAL_ARN"),
    },
];

/// Where a function's image comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageSource {
    /// Amazon ECR in the stack's region: the reference as written (with
    /// `:latest` when it names no tag: Lambda needs one).
    Ecr(String),
    /// Through a pull-through cache rule: the repository path and tag
    /// after `<registry>/<prefix>/`.
    Cache(&'static CacheRule, String),
    /// Amazon ECR in another region (Lambda pulls only from its own).
    OtherRegion(String),
    /// A registry neither Lambda nor ECR pull-through cache reads.
    Unsupported(String),
}

/// Where Lambda in `region` gets `image` from.
pub fn image_source(image: &Image, region: &str) -> ImageSource {
    let reference = format!(
        "{}{}",
        image.repository,
        match image.separator {
            "" => ":latest".to_string(),
            sep => format!("{sep}{}", image.reference),
        }
    );
    let (host, path) = match reference.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => (h, p),
        _ => ("docker.io", reference.as_str()),
    };
    if let Some(rest) = host.split_once(".dkr.ecr.").map(|(_, r)| r) {
        let (ecr_region, domain) = rest.split_once('.').unwrap_or((rest, ""));
        if domain != "amazonaws.com" && domain != "amazonaws.com.cn" {
            return ImageSource::Unsupported(host.to_string());
        }
        return if ecr_region == region {
            ImageSource::Ecr(reference.clone())
        } else {
            ImageSource::OtherRegion(ecr_region.to_string())
        };
    }
    let upstream = match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "registry-1.docker.io",
        h => h,
    };
    match CACHE_RULES.iter().find(|r| r.upstream == upstream) {
        // Docker Hub's official images live under `library/`.
        Some(rule) if rule.prefix == "docker-hub" && !path.contains('/') => {
            ImageSource::Cache(rule, format!("library/{path}"))
        }
        Some(rule) => ImageSource::Cache(rule, path.to_string()),
        None => ImageSource::Unsupported(host.to_string()),
    }
}

/// Why Lambda in `region` cannot run `image`, and what to set instead;
/// `None` when it can (directly, or through a pull-through cache).
pub fn image_refusal(image: &Image, region: &str) -> Option<String> {
    let ecr = format!("<account>.dkr.ecr.{region}.amazonaws.com/<repository>:<tag>");
    match image_source(image, region) {
        ImageSource::Ecr(_) | ImageSource::Cache(..) => None,
        ImageSource::OtherRegion(r) => Some(format!(
            "is in Amazon ECR in {r}, but Lambda pulls images only from ECR in its own region ({region}): replicate the repository to {region} (ECR replication) and set `image` to `{ecr}`"
        )),
        ImageSource::Unsupported(host) => Some(format!(
            "is on `{host}`, which Lambda cannot pull from and ECR pull-through cache does not sync (it syncs {}): push the image to Amazon ECR in {region} and set `image` to `{ecr}`",
            CACHE_RULES
                .iter()
                .map(|r| r.upstream)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Every name the Lambda target creates, into `reg`.
pub fn register(model: &Model, reg: &mut Registry) {
    for env in &model.environments {
        for p in &env.platforms {
            register_copy(model, env, p, reg);
        }
    }
}

fn register_copy(model: &Model, env: &Environment, p: &Platform, reg: &mut Registry) {
    let c = Copy::new(model, env, p);
    let at = Origin::copy(env, &p.kind);
    let stack = stack(&model.app.name, &env.name, &p.kind);
    reg.add(Kind::Stack, &stack, &at);
    for w in &p.tenants {
        let tenant = w.tenant.as_ref();
        if let (true, Some(t)) = (c.is_shared(), tenant) {
            let mut at = Origin::environment(env, format!("the stack of shared tenant `{t}`"));
            at.paths.insert(0, format!("tenants.{t}"));
            reg.add(Kind::Stack, &tenant_stack(&stack, t), &at);
        }
        let base = match (c.is_shared(), tenant) {
            (true, Some(t)) => format!("{}-{t}", c.prefix()),
            _ => c.prefix(),
        };
        if w.services
            .iter()
            .any(|s| s.expose == crate::model::Expose::Public && s.port.is_some())
        {
            let mut at = Origin::copy(env, &p.kind);
            if let Some(t) = tenant {
                at.what = format!("the HTTP API of tenant `{t}`");
            }
            reg.add(Kind::HttpApi, &http_api(&base), &at);
        }
        for q in &model.queues {
            let at = Origin::item(env, tenant, "queue", q.name.as_str());
            let n = queue_names(&c.full(tenant, q.name.as_str()), q.fifo);
            reg.add(Kind::SqsQueue, &n.queue, &at);
            if q.dead_letter.is_some() {
                reg.add(Kind::SqsQueue, &n.dead_letter, &at);
            }
        }
        for s in &w.services {
            let at = Origin::item(env, tenant, "service", s.name.as_str());
            add_function(reg, &c.full(tenant, s.name.as_str()), &at);
        }
        for j in &w.jobs {
            let at = Origin::item(env, tenant, "job", j.name.as_str());
            let full = c.full(tenant, j.name.as_str());
            add_function(reg, &full, &at);
            reg.add(Kind::SqsQueue, &job_dead_letter(&full), &at);
            for r in rules(&full, j.schedule.to_eventbridge().len()) {
                reg.add(Kind::EventRule, &r, &at);
            }
        }
    }
}

fn add_function(reg: &mut Registry, full: &str, at: &Origin) {
    let n = function(full);
    reg.add(Kind::LambdaFunction, &n.function, at);
    reg.add(Kind::IamRole, &n.role, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_their_limits_and_keep_suffixes() {
        let full = "x".repeat(100);
        let f = function(&full);
        assert!(f.function.len() <= 64 && f.role.len() <= 64);
        let r = rules(&full, 2);
        assert!(r.iter().all(|r| r.len() <= 64));
        assert!(r[1].ends_with("-2"));
        assert!(job_dead_letter(&full).ends_with("-dlq"));
        assert_eq!(pascal("nightly-report"), "NightlyReport");
    }

    #[test]
    fn images_come_from_ecr_in_the_region_or_through_a_pull_through_cache() {
        let src = |s: &str| image_source(&Image::parse(s).unwrap(), "eu-west-1");
        let cache = |s: &str| match src(s) {
            ImageSource::Cache(rule, path) => format!("{}/{path}", rule.prefix),
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(
            src("1.dkr.ecr.eu-west-1.amazonaws.com/api:1"),
            ImageSource::Ecr("1.dkr.ecr.eu-west-1.amazonaws.com/api:1".into())
        );
        // Lambda needs a tag: `latest` when none is given.
        assert_eq!(
            src("1.dkr.ecr.eu-west-1.amazonaws.com/api"),
            ImageSource::Ecr("1.dkr.ecr.eu-west-1.amazonaws.com/api:latest".into())
        );
        assert_eq!(
            src("1.dkr.ecr.us-east-1.amazonaws.com/api:1"),
            ImageSource::OtherRegion("us-east-1".into())
        );
        assert_eq!(
            cache("public.ecr.aws/nginx/nginx:1.27"),
            "ecr-public/nginx/nginx:1.27"
        );
        assert_eq!(cache("ghcr.io/acme/api:2"), "github/acme/api:2");
        // Docker Hub: official images under library/, with or without host.
        assert_eq!(cache("nginx:1.27"), "docker-hub/library/nginx:1.27");
        assert_eq!(
            cache("docker.io/bitnami/redis:7"),
            "docker-hub/bitnami/redis:7"
        );
        assert_eq!(cache("quay.io/org/app@sha256:ab"), "quay/org/app@sha256:ab");
        assert_eq!(
            src("registry.example.com:5000/app:1"),
            ImageSource::Unsupported("registry.example.com:5000".into())
        );
        assert!(image_refusal(&Image::parse("ghcr.io/a/b:1").unwrap(), "eu-west-1").is_none());
        let why = image_refusal(&Image::parse("x.azurecr.io/a:1").unwrap(), "eu-west-1").unwrap();
        assert!(
            why.contains("x.azurecr.io") && why.contains("eu-west-1"),
            "{why}"
        );
    }
}

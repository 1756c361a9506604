//! One environment's root module: versions, provider with default tags,
//! inputs (image tags, network, domains and certificates, operations
//! settings), one module block per platform copy, the `moved` blocks that
//! keep a service in place when it starts or stops autoscaling, and
//! outputs.

use super::images::ImageVariables;
use super::module::SOURCE_FROM_ROOT;
use super::platform::{module_args, ModuleArgs};
use crate::aws::names::{ecs as names, Copy};
use crate::aws::{defaults, iam};
use crate::doc::hcl::{boolean, map, null, object, reference, string, strings};
use crate::doc::{Document, FileSet};
use crate::model::{Environment, Model, Name, PlatformKind};
use crate::targets::terraform::{self, add_root_basics, ident, type_call, variable};
use hcl::expr::{FuncCall, Traversal, Variable};
use hcl::{Attribute, Block, Body, Expression, Identifier};

pub fn add(model: &Model, env: &Environment, files: &mut FileSet) {
    let dir = env.name.as_str();
    let images = ImageVariables::for_environment(env);

    let mut modules = Vec::new();
    let mut moved = Vec::new();
    let mut public = Public::default();
    let mut module_names = Vec::new();
    for platform in &env.platforms {
        let copy = Copy::new(model, env, platform);
        let args = module_args(model, env, &copy, platform, &images);
        if args.has_public {
            match &platform.kind {
                PlatformKind::Dedicated(t) => public.dedicated.push(t.clone()),
                _ => public.main = true,
            }
        }
        let label = module_label(&platform.kind);
        moved.extend(moved_blocks(&label, &args));
        module_names.push((label.clone(), platform.id().to_string()));
        modules.push(module_block(model, &label, &copy, platform, args));
    }

    add_root_basics(files, dir, model, env);
    files.insert(
        format!("{dir}/variables.tf"),
        Document::Hcl(variables(model, &images, &public)),
    );
    files.insert(
        format!("{dir}/main.tf"),
        Document::Hcl(Body::builder().add_blocks(modules).build()),
    );
    if !moved.is_empty() {
        files.insert(
            format!("{dir}/moved.tf"),
            Document::Hcl(Body::builder().add_blocks(moved).build()),
        );
    }
    files.insert(
        format!("{dir}/outputs.tf"),
        Document::Hcl(outputs(&module_names)),
    );
}

/// Which copies of an environment have a public service: the single or
/// shared copy, and the dedicated tenants'.
#[derive(Default)]
struct Public {
    main: bool,
    dedicated: Vec<Name>,
}

impl Public {
    fn any(&self) -> bool {
        self.main || !self.dedicated.is_empty()
    }
}

/// A service lives in `aws_ecs_service.scaled` while it has an
/// autoscaling target and in `aws_ecs_service.this` otherwise. One
/// `moved` block per service, from where it would have been to where it
/// is, makes Terraform update it in place when it changes between the two;
/// Terraform ignores a move whose source is not in the state.
fn moved_blocks(label: &str, args: &ModuleArgs) -> Vec<Block> {
    let address = |resource: &str, key: &str| {
        Expression::Traversal(Box::new(
            Traversal::builder(Variable::unchecked("module"))
                .attr(Identifier::unchecked(label))
                .attr(Identifier::unchecked("aws_ecs_service"))
                .attr(Identifier::unchecked(resource))
                .index(string(key))
                .build(),
        ))
    };
    let block = |from: &str, to: &str, key: &str| {
        Block::builder("moved")
            .add_attribute(("from", address(from, key)))
            .add_attribute(("to", address(to, key)))
            .build()
    };
    let mut out: Vec<(String, Block)> = args
        .scaled
        .iter()
        .map(|k| (k.clone(), block("this", "scaled", k)))
        .chain(
            args.fixed
                .iter()
                .map(|k| (k.clone(), block("scaled", "this", k))),
        )
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, b)| b).collect()
}

fn module_label(kind: &PlatformKind) -> String {
    match kind {
        PlatformKind::Single => "platform".into(),
        PlatformKind::Shared => "shared".into(),
        PlatformKind::Dedicated(t) => format!("tenant_{}", t.snake()),
    }
}

fn variables(model: &Model, images: &ImageVariables, public: &Public) -> Body {
    let mut blocks = Vec::new();
    for v in &images.declared {
        blocks.push(variable(
            &v.name,
            &v.description,
            ident("string"),
            Some(string(v.default.clone())),
        ));
    }
    if model.app.network.is_none() {
        blocks.push(variable(
            "vpc_id",
            "VPC the platform runs in.",
            ident("string"),
            None,
        ));
        blocks.push(variable(
            "private_subnet_ids",
            "Private subnets for tasks, in at least two Availability Zones.",
            type_call("list", "string"),
            None,
        ));
        if public.any() {
            blocks.push(variable(
                "public_subnet_ids",
                "Public subnets for the internet-facing load balancer, in at least two Availability Zones.",
                type_call("list", "string"),
                None,
            ));
        }
    }
    let optional_string =
        |name: &str, description: &str| variable(name, description, ident("string"), Some(null()));
    if public.any() {
        blocks.push(variable(
            "certificate_arn",
            "ACM certificate of the HTTPS listeners: it covers domain_name (a single-tenant application) or <tenant>.<domain_name> for every tenant (a wildcard certificate).",
            ident("string"),
            None,
        ));
        blocks.push(variable(
            "domain_name",
            "DNS name of the public services: a single-tenant application is served at domain_name, each tenant at <tenant>.<domain_name> (a dedicated tenant unless domain_name_<tenant> is set).",
            ident("string"),
            None,
        ));
        blocks.push(optional_string(
            "route53_zone_id",
            "Route 53 hosted zone of domain_name: when set, an alias record per host points at its load balancer.",
        ));
        blocks.push(optional_string(
            "access_logs_bucket",
            "S3 bucket for the load balancers' access logs (SSE-S3, with the bucket policy Elastic Load Balancing log delivery needs); each copy writes under its cluster's name. Null: no access logs.",
        ));
        blocks.push(optional_string(
            "waf_web_acl_arn",
            "WAFv2 web ACL (REGIONAL) to associate with every load balancer. Null: none.",
        ));
    }
    for t in &public.dedicated {
        let s = t.snake();
        blocks.push(optional_string(
            &format!("domain_name_{s}"),
            &format!(
                "DNS name of dedicated tenant {t}'s public services; null: {t}.<domain_name>."
            ),
        ));
        blocks.push(optional_string(
            &format!("certificate_arn_{s}"),
            &format!(
                "ACM certificate of dedicated tenant {t}'s HTTPS listener; null: certificate_arn."
            ),
        ));
        blocks.push(optional_string(
            &format!("route53_zone_id_{s}"),
            &format!("Route 53 hosted zone of dedicated tenant {t}'s host (domain_name_{s}, or {t}.<domain_name>): when set, an alias record points at its load balancer."),
        ));
    }
    blocks.push(variable(
        "log_retention_days",
        "How long CloudWatch keeps task, exec and job logs.",
        ident("number"),
        Some(crate::doc::hcl::number(defaults::LOG_RETENTION_DAYS)),
    ));
    blocks.push(variable(
        "deletion_protection",
        "Protect load balancers from deletion; set to false only to tear the environment down.",
        ident("bool"),
        Some(boolean(true)),
    ));
    blocks.push(optional_string(
        "alarm_topic_arn",
        "SNS topic the alarms (dead-letter queues, load balancer 5XX and unhealthy hosts, failed and timed-out jobs) notify on ALARM and OK. Null: the alarms only change state.",
    ));
    blocks.push(variable(
        "wait_for_steady_state",
        "Whether terraform apply waits until every changed service is steady, and fails when a deployment is rolled back.",
        ident("bool"),
        Some(boolean(false)),
    ));
    blocks.push(variable(
        "secrets_kms_key_arns",
        "Customer-managed KMS keys of the workloads' secrets and registry credentials; execution roles may decrypt with them through Secrets Manager only. Empty: the secrets use the aws/secretsmanager key.",
        type_call("list", "string"),
        Some(Expression::Array(Vec::new())),
    ));
    blocks.push(variable(
        "registry_credentials",
        "Secrets Manager secret (full ARN) with the username and password of each private registry, by host (ghcr.io, docker.io, registry.example.com:5000). Empty: images are pulled anonymously (ECR with the execution role).",
        type_call("map", "string"),
        Some(Expression::Object(Default::default())),
    ));
    blocks.push(variable(
        "scratch_image",
        "Image of the init container that opens each task's scratch volumes to the app's user (it runs chmod); mirror it into a private registry when tasks have no internet egress.",
        ident("string"),
        Some(string(defaults::ECS_SCRATCH_IMAGE)),
    ));
    Body::builder().add_blocks(blocks).build()
}

/// The IAM action lists the platform module grants (`aws::iam`):
/// workloads are handed their queues' URLs, so none looks one up. Every
/// list is passed, used or not: a module argument that is missing reads
/// as an object to static checkers (checkov fails on `storage.tf` then).
fn iam_actions() -> Expression {
    terraform::iam_actions_with(
        false,
        &[
            ("kms_decrypt", iam::KMS_DECRYPT),
            ("exec_channels", iam::EXEC_CHANNELS),
            ("exec_log_groups", iam::EXEC_LOG_GROUPS),
            ("exec_log_streams", iam::EXEC_LOG_STREAMS),
            ("run_task", iam::RUN_TASK),
            ("tag_task", iam::TAG_TASK),
            ("watch_task", iam::WATCH_TASK),
            ("pass_role", iam::PASS_ROLE),
            ("task_sync_rule", iam::TASK_SYNC_RULE),
            ("log_delivery", iam::LOG_DELIVERY),
            ("tracing", iam::TRACING),
            ("start_execution", iam::START_EXECUTION),
            ("dead_letter_publish", iam::DEAD_LETTER_SEND),
            ("logs_key_use", iam::LOGS_KEY_USE),
            ("storage_mount", iam::STORAGE_MOUNT),
            ("storage_client", iam::STORAGE_CLIENT),
        ],
    )
}

fn call(name: &str, args: Vec<Expression>) -> Expression {
    let mut f = FuncCall::builder(name);
    for a in args {
        f = f.arg(a);
    }
    Expression::FuncCall(Box::new(f.build()))
}

fn module_block(
    model: &Model,
    label: &str,
    copy: &Copy,
    platform: &crate::model::Platform,
    args: super::platform::ModuleArgs,
) -> Block {
    let var = |n: &str| reference("var", &[n]);
    let n = names::copy(copy);
    let has_jobs = platform.tenants.iter().any(|w| !w.jobs.is_empty());
    let mut copy_names = vec![
        ("cluster", string(n.cluster)),
        ("kms_alias", string(n.kms_alias)),
        ("exec_log_group", string(n.exec_log_group)),
        ("load_balancer", string(n.load_balancer)),
        (
            "load_balancer_security_group",
            string(n.load_balancer_security_group),
        ),
        ("dns_namespace", string(n.dns_namespace)),
    ];
    if has_jobs {
        copy_names.push(("scheduler_dead_letter", string(n.scheduler_dead_letter)));
    }
    let mut b = Block::builder("module")
        .add_label(label)
        .add_attribute(("source", string(SOURCE_FROM_ROOT)))
        .add_attribute(("names", object(copy_names)))
        .add_attribute(("iam_actions", iam_actions()))
        .add_attribute(("region", string(model.app.region.clone())));
    let (vpc, private, public) = match &model.app.network {
        Some(n) => (
            string(n.vpc_id.clone()),
            strings(n.private_subnets.iter().cloned()),
            strings(n.public_subnets.iter().cloned()),
        ),
        None => (
            var("vpc_id"),
            var("private_subnet_ids"),
            var("public_subnet_ids"),
        ),
    };
    b = b
        .add_attribute(("vpc_id", vpc))
        .add_attribute(("private_subnet_ids", private));
    if args.has_public {
        b = b.add_attribute(("public_subnet_ids", public));
        b = match &platform.kind {
            // A dedicated tenant: its own domain and certificate when given,
            // else <tenant>.<domain_name> under the shared certificate.
            PlatformKind::Dedicated(t) => {
                let own = |what: &str| var(&format!("{what}_{}", t.snake()));
                b.add_attribute((
                    "certificate_arn",
                    call(
                        "coalesce",
                        vec![own("certificate_arn"), var("certificate_arn")],
                    ),
                ))
                .add_attribute((
                    "domain_name",
                    call(
                        "coalesce",
                        vec![
                            own("domain_name"),
                            call(
                                "join",
                                vec![
                                    string("."),
                                    Expression::Array(vec![string(t.as_str()), var("domain_name")]),
                                ],
                            ),
                        ],
                    ),
                ))
                .add_attribute(("route53_zone_id", own("route53_zone_id")))
            }
            _ => b
                .add_attribute(("certificate_arn", var("certificate_arn")))
                .add_attribute(("domain_name", var("domain_name")))
                .add_attribute(("route53_zone_id", var("route53_zone_id"))),
        };
        b = b
            .add_attribute(("access_logs_bucket", var("access_logs_bucket")))
            .add_attribute(("waf_web_acl_arn", var("waf_web_acl_arn")));
    }
    for v in [
        "log_retention_days",
        "deletion_protection",
        "alarm_topic_arn",
        "wait_for_steady_state",
        "secrets_kms_key_arns",
        "registry_credentials",
        "scratch_image",
    ] {
        b = b.add_attribute((v, var(v)));
    }
    if let PlatformKind::Dedicated(t) = &platform.kind {
        b = b.add_attribute(("tags", map([("tenant", string(t.as_str()))])));
    }
    b.add_attribute(Attribute::new("alarms", args.alarms))
        .add_attribute(("alarm_rules", alarm_rules()))
        .add_attribute(Attribute::new("queues", args.queues))
        .add_attribute(Attribute::new("services", args.services))
        .add_attribute(Attribute::new("jobs", args.jobs))
        .build()
}

/// Outputs of every module copy, keyed by platform (`shared`, a dedicated
/// tenant's name, or `main` for a single-tenant application).
fn outputs(modules: &[(String, String)]) -> Body {
    let per_platform = |attr: &str| {
        map(modules
            .iter()
            .map(|(label, id)| (id.clone(), reference("module", &[label, attr]))))
    };
    let out = |name: &str, description: &str, value: Expression| {
        Block::builder("output")
            .add_label(name)
            .add_attribute(("description", string(description)))
            .add_attribute(("value", value))
            .build()
    };
    Body::builder()
        .add_block(out(
            "cluster_names",
            "ECS cluster of each platform copy.",
            per_platform("cluster_name"),
        ))
        .add_block(out(
            "load_balancer_dns_names",
            "DNS name of each platform copy's internet-facing load balancer (null without a public service).",
            per_platform("load_balancer_dns_name"),
        ))
        .add_block(out(
            "load_balancer_zone_ids",
            "Route 53 hosted zone of each load balancer's DNS name, for alias records kept elsewhere.",
            per_platform("load_balancer_zone_id"),
        ))
        .add_block(out(
            "service_urls",
            "Public URL of every route of every public service (on its domain), per platform copy.",
            per_platform("service_urls"),
        ))
        .add_block(out(
            "internal_endpoints",
            "Private DNS endpoint of every service with a port, per platform copy.",
            per_platform("internal_endpoints"),
        ))
        .add_block(out(
            "queue_urls",
            "URL of every queue, per platform copy.",
            per_platform("queue_urls"),
        ))
        .add_block(out(
            "dead_letter_queue_urls",
            "URL of every dead-letter queue, per platform copy.",
            per_platform("dead_letter_queue_urls"),
        ))
        .add_block(out(
            "security_group_ids",
            "Security group of every service and job, per platform copy.",
            per_platform("security_group_ids"),
        ))
        .build()
}

/// The module's `alarm_rules`: when each kind of alarm fires, from
/// `aws::alarms`, the rules every target's alarms follow.
fn alarm_rules() -> Expression {
    use crate::aws::alarms::{self, Rule};
    use crate::doc::hcl::number;
    let rule = |r: &Rule| {
        object([
            ("namespace", string(r.namespace)),
            ("metric", string(r.metric)),
            ("statistic", string(r.statistic)),
            ("period", number(r.period_secs)),
            ("periods", number(r.periods)),
            ("threshold", number(r.threshold)),
        ])
    };
    map([
        ("dead_letters", rule(&alarms::DEAD_LETTER_DEPTH)),
        ("job_failed", rule(&alarms::JOB_FAILED)),
        ("job_timed_out", rule(&alarms::JOB_TIMED_OUT)),
        ("load_balancer_5xx", rule(&alarms::LOAD_BALANCER_5XX)),
        ("scheduler_dead_letter", rule(&alarms::DEAD_LETTER_DEPTH)),
        ("target_5xx", rule(&alarms::TARGET_5XX)),
        ("unhealthy_hosts", rule(&alarms::UNHEALTHY_HOSTS)),
    ])
}

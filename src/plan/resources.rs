//! The resources a target would create, counted by type over every
//! environment and tenant.
//!
//! ECS: the platform module creates its resources with `for_each`, so they
//! are counted from the model with the module's own rules
//! (templates/ecs/platform/*.tf). Other targets write explicit documents:
//! `resource` blocks in Terraform bodies, `kind`s in Kubernetes YAML,
//! `Resources.*.Type` in CloudFormation JSON.

use crate::doc::Document;
use crate::model::{Expose, Model, Platform, ServiceKind, Target};
use crate::targets::Output;
use std::collections::BTreeMap;

pub type Counts = BTreeMap<String, u64>;

/// ECS, from the model: one platform module instance per platform copy per
/// environment.
pub fn ecs(model: &Model) -> Counts {
    let mut c = Counts::new();
    for env in &model.environments {
        for p in &env.platforms {
            ecs_platform(model, p, &mut c);
        }
    }
    c
}

fn ecs_platform(model: &Model, p: &Platform, c: &mut Counts) {
    let mut add = |t: &str, n: usize| {
        if n > 0 {
            *c.entry(t.to_string()).or_default() += n as u64;
        }
    };
    // cluster.tf
    for t in [
        "aws_kms_key",
        "aws_kms_alias",
        "aws_cloudwatch_log_group",
        "aws_ecs_cluster",
        "aws_ecs_cluster_capacity_providers",
    ] {
        add(t, 1);
    }
    let services: Vec<_> = p.tenants.iter().flat_map(|w| w.services.iter()).collect();
    let jobs: Vec<_> = p.tenants.iter().flat_map(|w| w.jobs.iter()).collect();
    let workloads = services.len() + jobs.len();
    // tasks.tf and network.tf: per workload (services and jobs).
    add("aws_cloudwatch_log_group", workloads);
    add("aws_iam_role", 2 * workloads); // execution, task
    add("aws_iam_role_policy_attachment", workloads);
    add("aws_ecs_task_definition", workloads);
    add("aws_security_group", workloads);
    add("aws_vpc_security_group_egress_rule", workloads); // https
    let with_secrets = services.iter().filter(|s| !s.secrets.is_empty()).count()
        + jobs.iter().filter(|j| !j.secrets.is_empty()).count();
    add("aws_iam_role_policy", with_secrets); // execution_secrets
    let with_queues = services
        .iter()
        .filter(|s| !s.publishes.is_empty() || !s.consumes.is_empty())
        .count()
        + jobs
            .iter()
            .filter(|j| !j.publishes.is_empty() || !j.consumes.is_empty())
            .count();
    add("aws_iam_role_policy", with_queues); // task_queues
    add("aws_iam_role_policy", services.len()); // task_exec
    let calls = services.iter().map(|s| s.calls.len()).sum::<usize>()
        + jobs.iter().map(|j| j.calls.len()).sum::<usize>();
    add("aws_vpc_security_group_ingress_rule", calls);
    add("aws_vpc_security_group_egress_rule", calls);
    // services.tf
    add("aws_ecs_service", services.len());
    let discoverable = services.iter().filter(|s| s.port.is_some()).count();
    add(
        "aws_service_discovery_private_dns_namespace",
        usize::from(discoverable > 0),
    );
    add("aws_service_discovery_service", discoverable);
    // load_balancer.tf
    let public: Vec<_> = services
        .iter()
        .filter(|s| s.expose == Expose::Public)
        .collect();
    if !public.is_empty() {
        add("aws_security_group", 1);
        add("aws_vpc_security_group_ingress_rule", 2); // 443, 80
        add("aws_lb", 1);
        add("aws_lb_listener", 2); // https, http redirect
    }
    add("aws_vpc_security_group_egress_rule", public.len()); // to service
    add("aws_vpc_security_group_ingress_rule", public.len()); // from load balancer
    add("aws_lb_target_group", public.len());
    add(
        "aws_lb_listener_rule",
        public.iter().map(|s| s.routes.len()).sum(),
    );
    // queues.tf: every tenant of the platform has its own copy of each queue.
    let copies = p.tenants.len();
    let dead_letters = model
        .queues
        .iter()
        .filter(|q| q.dead_letter.is_some())
        .count();
    add(
        "aws_sqs_queue",
        copies * (model.queues.len() + dead_letters),
    );
    add(
        "aws_sqs_queue_policy",
        copies * (model.queues.len() + dead_letters),
    );
    add("aws_sqs_queue_redrive_allow_policy", copies * dead_letters);
    // jobs.tf
    add("aws_cloudwatch_log_group", jobs.len()); // job_runs
    add("aws_iam_role", 2 * jobs.len()); // job_runner, scheduler
    add("aws_iam_role_policy", 2 * jobs.len());
    add("aws_sfn_state_machine", jobs.len());
    add(
        "aws_scheduler_schedule",
        jobs.iter().map(|j| j.schedule.to_eventbridge().len()).sum(),
    );
    // autoscaling.tf, with the emitter's choice of targets (platform.rs).
    for s in &services {
        let sc = &s.scale;
        if sc.max <= sc.min {
            continue;
        }
        add("aws_appautoscaling_target", 1);
        let public = s.expose == Expose::Public;
        let any_target = sc.cpu.is_some()
            || sc.memory.is_some()
            || (sc.requests.is_some() && public)
            || sc.queue_depth.is_some();
        let policies = usize::from(sc.cpu.is_some() || !any_target)
            + usize::from(sc.memory.is_some())
            + usize::from(sc.requests.is_some() && public)
            + usize::from(sc.queue_depth.is_some());
        add("aws_appautoscaling_policy", policies);
        let worker_queue = s.kind() == ServiceKind::Worker && s.consumes.len() == 1;
        let queue_depth_from = worker_queue && (sc.queue_depth.is_some() || sc.min == 0);
        if queue_depth_from && sc.min == 0 {
            add("aws_appautoscaling_policy", 1); // wake
            add("aws_cloudwatch_metric_alarm", 1);
        }
    }
}

/// Explicit documents: Terraform `resource` blocks (a block with `count`
/// or `for_each` counts once), Kubernetes `kind`s, CloudFormation types.
///
/// Kubernetes objects are counted as the overlays build them: the shared
/// `kubernetes/workloads/` once per kustomization that lists it, less the
/// objects a kustomization deletes with a `$patch: delete` patch.
pub fn explicit(output: &Output) -> Counts {
    let mut c = Counts::new();
    let kustomizations = || {
        output
            .files
            .values()
            .filter_map(|d| match d {
                Document::Yaml(docs) => Some(docs),
                _ => None,
            })
            .flatten()
            .filter(|d| d.get("kind").and_then(|k| k.as_str()) == Some("Kustomization"))
    };
    let workload_copies = kustomizations()
        .filter(|k| {
            k["resources"].as_array().is_some_and(|r| {
                r.iter()
                    .any(|r| r.as_str().is_some_and(|r| r.ends_with("/workloads")))
            })
        })
        .count();
    for (path, doc) in &output.files {
        match doc {
            Document::Hcl(body) => hcl_resources(body, &mut c),
            Document::HclSource(src) => {
                if let Ok(body) = hcl::parse(src) {
                    hcl_resources(&body, &mut c);
                }
            }
            Document::Yaml(docs) => {
                let shared = path.starts_with("kubernetes/workloads/")
                    && !path.ends_with("/kustomization.yaml");
                let times = if shared { workload_copies as u64 } else { 1 };
                for d in docs {
                    if let Some(kind) = d.get("kind").and_then(|k| k.as_str()) {
                        *c.entry(kind.to_string()).or_default() += times;
                    }
                }
            }
            Document::Json(v) => {
                if let Some(res) = v.get("Resources").and_then(|r| r.as_object()) {
                    for r in res.values() {
                        if let Some(t) = r.get("Type").and_then(|t| t.as_str()) {
                            *c.entry(t.to_string()).or_default() += 1;
                        }
                    }
                }
            }
            Document::Deferred(d) => {
                for (t, n) in &d.resource_types {
                    *c.entry(t.clone()).or_default() += *n as u64;
                }
            }
            Document::Text(_) => {}
        }
    }
    for k in kustomizations() {
        for p in k["patches"].as_array().into_iter().flatten() {
            let Some(text) = p["patch"].as_str() else {
                continue;
            };
            let Ok(patch) = serde_yaml::from_str::<serde_json::Value>(text) else {
                continue;
            };
            if patch.get("$patch").and_then(|v| v.as_str()) == Some("delete") {
                if let Some(n) = patch["kind"].as_str().and_then(|kind| c.get_mut(kind)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }
    c
}

fn hcl_resources(body: &hcl::Body, c: &mut Counts) {
    for block in body.blocks() {
        if block.identifier() == "resource" {
            if let Some(label) = block.labels().first() {
                *c.entry(label.as_str().to_string()).or_default() += 1;
            }
        }
    }
}

/// The counts for `target`, or `None` when its emitter does not exist yet.
/// `output` is the lowered output when the blueprint fits the target.
pub fn count(model: &Model, target: Target, output: Option<&Output>) -> Option<Counts> {
    match target {
        Target::Ecs => Some(ecs(model)),
        _ => output.map(explicit),
    }
}

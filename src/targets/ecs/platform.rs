//! One copy of the platform -> the arguments of its `module` block: every
//! name from the shared layer (`aws::names::ecs`), every reference scoped
//! to its tenant, every size rounded to Fargate's.

use super::images::ImageVariables;
use super::limits::{self, fargate_size};
use crate::aws::names::{ecs as names, Copy};
use crate::aws::routes::AlbPriorities;
use crate::doc::hcl::{map, number, object, reference, string, string_map, strings};
use crate::model::{Expose, Job, Model, Name, Platform, Queue, Service, ServiceKind, Workloads};
use crate::targets::terraform;
use hcl::Expression;

/// The `queues`, `services` and `jobs` arguments of one module block.
pub struct ModuleArgs {
    pub queues: Expression,
    pub services: Expression,
    pub jobs: Expression,
    pub has_public: bool,
}

pub fn module_args(
    model: &Model,
    copy: &Copy,
    platform: &Platform,
    images: &ImageVariables,
) -> ModuleArgs {
    let mut queues = Vec::new();
    let mut services = Vec::new();
    let mut jobs = Vec::new();
    let mut priorities = AlbPriorities::default();
    let mut has_public = false;
    for w in &platform.tenants {
        let tenant = w.tenant.as_ref();
        for q in &model.queues {
            queues.push((copy.key(tenant, q.name.as_str()), queue(copy, tenant, q)));
        }
        for s in &w.services {
            has_public |= s.expose == Expose::Public;
            let key = copy.key(tenant, s.name.as_str());
            let args = service(copy, w, s, &key, images, &mut priorities);
            services.push((key, args));
        }
        for j in &w.jobs {
            let key = copy.key(tenant, j.name.as_str());
            jobs.push((key, job(copy, w, j, images)));
        }
    }
    ModuleArgs {
        queues: map(queues),
        services: map(services),
        jobs: map(jobs),
        has_public,
    }
}

fn queue(copy: &Copy, tenant: Option<&Name>, q: &Queue) -> Expression {
    terraform::queue(
        &names::queue_names(copy, tenant, q),
        tenant.map(Name::as_str),
        q,
    )
}

/// The task's attributes: identity, image, Fargate size, command, env, secrets.
fn task_items<'a>(
    n: &names::TaskNames,
    tenant: Option<&Name>,
    task: crate::model::Task<'_>,
    images: &ImageVariables,
) -> Vec<(&'a str, Expression)> {
    let fargate = fargate_size(task.cpu, task.memory);
    let mut items = vec![
        ("name", string(n.name.clone())),
        ("log_group", string(n.log_group.clone())),
        ("security_group", string(n.security_group.clone())),
        ("execution_role", string(n.execution_role.clone())),
        ("task_role", string(n.task_role.clone())),
    ];
    if let Some(t) = tenant {
        items.push(("tenant", string(t.as_str())));
    }
    items.push(("image", string(task.image.repository.clone())));
    items.push((
        "image_tag",
        reference(
            "var",
            &[images.variable(tenant.map(Name::as_str), task.name.as_str())],
        ),
    ));
    items.push(("cpu", number(u64::from(fargate.cpu_units))));
    items.push(("memory", number(u64::from(fargate.memory_mib))));
    if let Some(cmd) = task.command {
        items.push(("command", strings(cmd.iter().cloned())));
    }
    if !task.env.is_empty() {
        items.push(("environment", string_map(task.env.iter())));
    }
    if !task.secrets.is_empty() {
        items.push((
            "secrets",
            map(task
                .secrets
                .iter()
                .map(|(k, v)| (k.clone(), string(v.as_str())))),
        ));
    }
    items
}

fn scoped(copy: &Copy, tenant: Option<&Name>, refs: &[Name]) -> Expression {
    strings(refs.iter().map(|r| copy.key(tenant, r.as_str())))
}

fn service(
    copy: &Copy,
    w: &Workloads,
    s: &Service,
    key: &str,
    images: &ImageVariables,
    priorities: &mut AlbPriorities,
) -> Expression {
    let tenant = w.tenant.as_ref();
    let n = names::service(copy, tenant, s);
    let mut items = task_items(&n.task, tenant, s.task(), images);
    if let Some(port) = s.port {
        items.push(("port", number(u64::from(port))));
        items.push(("discovery", string(n.discovery.clone())));
    }
    if s.expose == Expose::Public {
        items.push(("public", Expression::Bool(true)));
        items.push(("routes", strings(s.routes.iter().cloned())));
        if copy.is_shared() {
            if let Some(t) = tenant {
                items.push(("host_prefix", string(t.as_str())));
            }
        }
        // Normalize keeps routes few and short; a listener holds far fewer
        // rules than a band has places, so a place is always found.
        let p: Vec<u64> = s
            .routes
            .iter()
            .map(|r| u64::from(priorities.reserve(key, r).unwrap_or(50_000)))
            .collect();
        items.push((
            "rule_priorities",
            Expression::Array(p.into_iter().map(number).collect()),
        ));
        items.push(("target_group", string(n.target_group.clone())));
    }
    if let (Some(h), Some(_)) = (&s.health, s.port) {
        let (h, _) = limits::health(h);
        items.push((
            "health",
            object([
                ("path", string(h.path.clone())),
                ("interval", number(h.interval.secs())),
                ("timeout", number(h.timeout.secs())),
                ("retries", number(u64::from(h.retries))),
                ("grace", number(h.grace.secs())),
            ]),
        ));
    }
    let sc = &s.scale;
    items.push(("min_count", number(u64::from(sc.min))));
    items.push(("max_count", number(u64::from(sc.max))));
    let public = s.expose == Expose::Public;
    if let Some(c) = crate::aws::defaults::cpu_target(sc, public) {
        items.push(("cpu_target", number(u64::from(c))));
    }
    if let Some(m) = sc.memory {
        items.push(("memory_target", number(u64::from(m))));
    }
    if let (Some(r), true) = (sc.requests, public) {
        items.push(("requests_target", number(u64::from(r))));
    }
    if let Some(d) = sc.queue_depth {
        items.push(("queue_depth", number(u64::from(d))));
    }
    if let Some(q) = backlog_queue(s) {
        items.push(("queue_depth_from", string(copy.key(tenant, q.as_str()))));
        // Target tracking cannot scale out from zero tasks: an alarm on
        // the waiting messages wakes a worker scaled to zero.
        if sc.min == 0 && sc.max > sc.min {
            items.push(("wake_alarm", string(n.wake_alarm.clone())));
        }
    }
    if s.spot > 0 {
        items.push(("spot_percent", number(u64::from(s.spot))));
    }
    push_refs(&mut items, copy, tenant, s.task());
    object(items)
}

/// The queue a worker's scaling watches: its one queue, when it scales on
/// queue depth or may scale to zero.
pub fn backlog_queue(s: &Service) -> Option<&Name> {
    let one = (s.kind() == ServiceKind::Worker && s.consumes.len() == 1).then(|| &s.consumes[0]);
    one.filter(|_| s.scale.queue_depth.is_some() || s.scale.min == 0)
}

/// The queues and services a task reaches, as keys of this platform copy.
fn push_refs(
    items: &mut Vec<(&str, Expression)>,
    copy: &Copy,
    tenant: Option<&Name>,
    task: crate::model::Task<'_>,
) {
    for (attr, refs) in [
        ("publishes", task.publishes),
        ("consumes", task.consumes),
        ("calls", task.calls),
    ] {
        if !refs.is_empty() {
            items.push((attr, scoped(copy, tenant, refs)));
        }
    }
}

fn job(copy: &Copy, w: &Workloads, j: &Job, images: &ImageVariables) -> Expression {
    let tenant = w.tenant.as_ref();
    let n = names::job(copy, tenant, j);
    let mut items = task_items(&n.task, tenant, j.task(), images);
    items.push(("runner_role", string(n.runner_role.clone())));
    items.push(("scheduler_role", string(n.scheduler_role.clone())));
    items.push(("runs_log_group", string(n.runs_log_group.clone())));
    let schedules = j
        .schedule
        .to_eventbridge()
        .into_iter()
        .zip(&n.schedules)
        .map(|(e, name)| object([("name", string(name.clone())), ("expression", string(e))]))
        .collect();
    items.push(("schedules", Expression::Array(schedules)));
    items.push(("timeout_seconds", number(j.timeout.secs())));
    if j.retries > 0 {
        items.push(("retries", number(u64::from(j.retries))));
    }
    if j.spot > 0 {
        items.push(("spot_percent", number(u64::from(j.spot))));
    }
    push_refs(&mut items, copy, tenant, j.task());
    object(items)
}

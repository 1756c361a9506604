//! One copy of the platform -> the arguments of its `module` block: every
//! name resolved and fitted to AWS limits, every reference scoped to its
//! tenant, every size rounded to Fargate's.

use super::images::ImageVariables;
use super::limits::{self, fargate_size};
use crate::aws::names::fit;
use crate::doc::hcl::{map, number, object, reference, string, string_map, strings};
use crate::model::{
    Expose, Job, Model, Name, Platform, PlatformKind, Queue, Service, ServiceKind, Workloads,
};
use crate::targets::terraform::{self, QUEUE_NAME_MAX};
use hcl::Expression;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// AWS limits, less the suffixes the module appends.
const WORKLOAD_NAME_MAX: usize = 80; // Step Functions state machine names
const IAM_NAME_MAX: usize = 58; // IAM role names are 64 with "-sched"
const TARGET_GROUP_MAX: usize = 32;
const LOAD_BALANCER_MAX: usize = 32;
const SCHEDULE_NAME_MAX: usize = 64;

/// CPU target used when a service autoscales but names no target.
pub const DEFAULT_CPU_TARGET: u8 = 70;

/// The resolved names of one platform copy.
pub struct PlatformNames {
    /// `var.name` of the module: `<app>-<env>` or `<app>-<env>-<tenant>`.
    pub prefix: String,
    /// Shared platforms hold several tenants: keys are `<tenant>-<name>`.
    pub shared: bool,
}

impl PlatformNames {
    pub fn new(model: &Model, env: &str, platform: &Platform) -> PlatformNames {
        let app = model.app.name.as_str();
        match &platform.kind {
            PlatformKind::Single => PlatformNames {
                prefix: format!("{app}-{env}"),
                shared: false,
            },
            PlatformKind::Shared => PlatformNames {
                prefix: format!("{app}-{env}"),
                shared: true,
            },
            PlatformKind::Dedicated(t) => PlatformNames {
                prefix: format!("{app}-{env}-{t}"),
                shared: false,
            },
        }
    }

    /// The key of a workload or queue inside the module's maps.
    pub fn key(&self, tenant: Option<&str>, name: &str) -> String {
        match (self.shared, tenant) {
            (true, Some(t)) => format!("{t}-{name}"),
            _ => name.to_string(),
        }
    }

    fn full(&self, key: &str) -> String {
        format!("{}-{key}", self.prefix)
    }

    pub fn load_balancer(&self) -> String {
        fit(&self.prefix, LOAD_BALANCER_MAX)
    }
}

/// The `queues`, `services` and `jobs` arguments of one module block.
pub struct ModuleArgs {
    pub queues: Expression,
    pub services: Expression,
    pub jobs: Expression,
    pub has_public: bool,
}

pub fn module_args(
    model: &Model,
    names: &PlatformNames,
    platform: &Platform,
    images: &ImageVariables,
) -> ModuleArgs {
    let mut queues = Vec::new();
    let mut services = Vec::new();
    let mut jobs = Vec::new();
    let mut priorities = RulePriorities::default();
    let mut has_public = false;
    for w in &platform.tenants {
        let tenant = w.tenant.as_ref().map(|t| t.as_str());
        for q in &model.queues {
            queues.push((names.key(tenant, q.name.as_str()), queue(names, tenant, q)));
        }
        for s in &w.services {
            has_public |= s.expose == Expose::Public;
            let key = names.key(tenant, s.name.as_str());
            let args = service(names, w, s, &key, images, &mut priorities);
            services.push((key, args));
        }
        for j in &w.jobs {
            let key = names.key(tenant, j.name.as_str());
            jobs.push((key.clone(), job(names, w, j, &key, images)));
        }
    }
    ModuleArgs {
        queues: map(queues),
        services: map(services),
        jobs: map(jobs),
        has_public,
    }
}

fn queue(names: &PlatformNames, tenant: Option<&str>, q: &Queue) -> Expression {
    let base = fit(
        &names.full(&names.key(tenant, q.name.as_str())),
        QUEUE_NAME_MAX,
    );
    terraform::queue(&base, tenant, q)
}

/// The task's attributes: identity, image, Fargate size, command, env, secrets.
fn task_items<'a>(
    names: &PlatformNames,
    tenant: Option<&str>,
    key: &str,
    task: crate::model::Task<'_>,
    images: &ImageVariables,
) -> Vec<(&'a str, Expression)> {
    let full = names.full(key);
    let fargate = fargate_size(task.cpu, task.memory);
    let mut items = vec![
        ("name", string(fit(&full, WORKLOAD_NAME_MAX))),
        ("iam_name", string(fit(&full, IAM_NAME_MAX))),
    ];
    if let Some(t) = tenant {
        items.push(("tenant", string(t)));
    }
    items.push(("image", string(task.image.repository.clone())));
    items.push((
        "image_tag",
        reference("var", &[images.variable(tenant, task.name.as_str())]),
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

fn scoped(names: &PlatformNames, tenant: Option<&str>, refs: &[Name]) -> Expression {
    strings(refs.iter().map(|r| names.key(tenant, r.as_str())))
}

fn service(
    names: &PlatformNames,
    w: &Workloads,
    s: &Service,
    key: &str,
    images: &ImageVariables,
    priorities: &mut RulePriorities,
) -> Expression {
    let tenant = w.tenant.as_ref().map(|t| t.as_str());
    let mut items = task_items(names, tenant, key, s.task(), images);
    if let Some(port) = s.port {
        items.push(("port", number(u64::from(port))));
        items.push(("discovery", string(key)));
    }
    if s.expose == Expose::Public {
        items.push(("public", Expression::Bool(true)));
        items.push(("routes", strings(s.routes.iter().cloned())));
        if names.shared {
            if let Some(t) = tenant {
                items.push(("host_prefix", string(t)));
            }
        }
        let first = priorities.reserve(key, s.routes.len());
        items.push(("rule_priority", number(u64::from(first))));
        items.push((
            "target_group",
            string(fit(&names.full(key), TARGET_GROUP_MAX)),
        ));
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
    let worker_queue = (s.kind() == ServiceKind::Worker && s.consumes.len() == 1)
        .then(|| names.key(tenant, s.consumes[0].as_str()));
    let any_target = sc.cpu.is_some()
        || sc.memory.is_some()
        || (sc.requests.is_some() && s.expose == Expose::Public)
        || sc.queue_depth.is_some();
    let cpu_target = sc
        .cpu
        .or((!any_target && sc.max > sc.min).then_some(DEFAULT_CPU_TARGET));
    if let Some(c) = cpu_target {
        items.push(("cpu_target", number(u64::from(c))));
    }
    if let Some(m) = sc.memory {
        items.push(("memory_target", number(u64::from(m))));
    }
    if let (Some(r), Expose::Public) = (sc.requests, s.expose) {
        items.push(("requests_target", number(u64::from(r))));
    }
    if let Some(d) = sc.queue_depth {
        items.push(("queue_depth", number(u64::from(d))));
    }
    if let Some(q) = worker_queue.filter(|_| sc.queue_depth.is_some() || sc.min == 0) {
        items.push(("queue_depth_from", string(q)));
    }
    if s.spot > 0 {
        items.push(("spot_percent", number(u64::from(s.spot))));
    }
    push_refs(&mut items, names, tenant, s.task());
    object(items)
}

/// The queues and services a task reaches, as keys of this platform copy.
fn push_refs(
    items: &mut Vec<(&str, Expression)>,
    names: &PlatformNames,
    tenant: Option<&str>,
    task: crate::model::Task<'_>,
) {
    for (attr, refs) in [
        ("publishes", task.publishes),
        ("consumes", task.consumes),
        ("calls", task.calls),
    ] {
        if !refs.is_empty() {
            items.push((attr, scoped(names, tenant, refs)));
        }
    }
}

fn job(
    names: &PlatformNames,
    w: &Workloads,
    j: &Job,
    key: &str,
    images: &ImageVariables,
) -> Expression {
    let tenant = w.tenant.as_ref().map(|t| t.as_str());
    let mut items = task_items(names, tenant, key, j.task(), images);
    let expressions = j.schedule.to_eventbridge();
    let full = names.full(key);
    let schedules = expressions
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let name = if expressions.len() == 1 {
                fit(&full, SCHEDULE_NAME_MAX)
            } else {
                format!("{}-{}", fit(&full, SCHEDULE_NAME_MAX - 2), i + 1)
            };
            object([("name", string(name)), ("expression", string(e.clone()))])
        })
        .collect();
    items.push(("schedules", Expression::Array(schedules)));
    items.push(("timeout_seconds", number(j.timeout.secs())));
    if j.retries > 0 {
        items.push(("retries", number(u64::from(j.retries))));
    }
    if j.spot > 0 {
        items.push(("spot_percent", number(u64::from(j.spot))));
    }
    push_refs(&mut items, names, tenant, j.task());
    object(items)
}

/// Listener-rule priorities, unique per listener. Each service's block
/// starts at a place derived from a hash of its key, so adding or removing a
/// service does not renumber the others (renumbering makes `terraform apply`
/// trip over priorities still in use).
#[derive(Default)]
struct RulePriorities {
    taken: BTreeSet<u32>,
}

impl RulePriorities {
    const MAX: u32 = 50_000;

    fn reserve(&mut self, key: &str, count: usize) -> u32 {
        let count = count.max(1) as u32;
        let hash = Sha256::digest(key.as_bytes());
        let span = Self::MAX - count;
        let mut start = 1 + u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % span;
        loop {
            if (start..start + count).all(|p| !self.taken.contains(&p)) {
                self.taken.extend(start..start + count);
                return start;
            }
            start = if start >= span { 1 } else { start + 1 };
        }
    }
}

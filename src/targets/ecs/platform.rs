//! One copy of the platform -> the arguments of its `module` block: every
//! name from the shared layer (`aws::names::ecs`), every reference scoped
//! to its tenant, every size rounded to Fargate's.

use super::images::{self, ImageVariables};
use super::limits::{self, fargate_size};
use crate::aws::contract::{self, Source};
use crate::aws::names::{ecs as names, Copy};
use crate::aws::routes::AlbPriorities;
use crate::aws::{defaults, iam};
use crate::doc::hcl::{map, number, object, reference, string, strings};
use crate::model::{
    Environment, Expose, Job, Model, Name, Platform, Queue, Service, ServiceKind, Target, Task,
    Workloads,
};
use crate::targets::terraform;
use hcl::Expression;
use std::collections::{BTreeMap, BTreeSet};

/// The `queues`, `services`, `jobs` and `alarms` arguments of one module
/// block.
pub struct ModuleArgs {
    pub queues: Expression,
    pub services: Expression,
    pub jobs: Expression,
    pub alarms: Expression,
    pub has_public: bool,
    /// Keys of the services with an autoscaling target (`max > min`) and
    /// of the fixed-size ones: the module's `aws_ecs_service.scaled` and
    /// `aws_ecs_service.this`.
    pub scaled: Vec<String>,
    pub fixed: Vec<String>,
}

/// Where one workload lives: its environment, platform copy and tenant.
struct At<'m, 'c> {
    model: &'m Model,
    env: &'m Environment,
    copy: &'c Copy<'m>,
    tenant: Option<&'m Name>,
}

pub fn module_args(
    model: &Model,
    env: &Environment,
    copy: &Copy,
    platform: &Platform,
    images: &ImageVariables,
) -> ModuleArgs {
    let mut queues = Vec::new();
    let mut services = Vec::new();
    let mut jobs = Vec::new();
    let mut priorities = AlbPriorities::default();
    let mut has_public = false;
    let (mut scaled, mut fixed) = (Vec::new(), Vec::new());
    let mut alarms = Alarms::default();
    for w in &platform.tenants {
        let tenant = w.tenant.as_ref();
        let at = At {
            model,
            env,
            copy,
            tenant,
        };
        for q in &model.queues {
            let key = copy.key(tenant, q.name.as_str());
            let names = names::queue_names(copy, tenant, q);
            if q.dead_letter.is_some() {
                alarms
                    .dead_letters
                    .push((key.clone(), names::dead_letter_alarm(&names)));
            }
            queues.push((key, queue(&names, tenant, q)));
        }
        for s in &w.services {
            has_public |= s.expose == Expose::Public;
            let key = copy.key(tenant, s.name.as_str());
            if s.scale.max > s.scale.min {
                scaled.push(key.clone());
            } else {
                fixed.push(key.clone());
            }
            let args = service(&at, w, s, &key, images, &mut priorities, &mut alarms);
            services.push((key, args));
        }
        for j in &w.jobs {
            let key = copy.key(tenant, j.name.as_str());
            let n = names::job(copy, tenant, j);
            alarms
                .job_failed
                .push((key.clone(), n.failed_alarm.clone()));
            alarms
                .job_timed_out
                .push((key.clone(), n.timed_out_alarm.clone()));
            jobs.push((key, job(&at, j, &n, images)));
        }
    }
    let n = names::copy(copy);
    let any_jobs = !jobs.is_empty();
    ModuleArgs {
        queues: map(queues),
        services: map(services),
        jobs: map(jobs),
        alarms: alarms.expression(
            has_public.then_some(n.load_balancer_5xx_alarm),
            any_jobs.then_some(n.scheduler_dead_letter_alarm),
        ),
        has_public,
        scaled,
        fixed,
    }
}

/// The names of the alarms of one copy, by what they watch.
#[derive(Default)]
struct Alarms {
    dead_letters: Vec<(String, String)>,
    target_5xx: Vec<(String, String)>,
    unhealthy_hosts: Vec<(String, String)>,
    job_failed: Vec<(String, String)>,
    job_timed_out: Vec<(String, String)>,
}

impl Alarms {
    fn expression(self, load_balancer: Option<String>, scheduler: Option<String>) -> Expression {
        let names = |v: Vec<(String, String)>| map(v.into_iter().map(|(k, n)| (k, string(n))));
        let mut items = Vec::new();
        if let Some(n) = load_balancer {
            items.push(("load_balancer_5xx", string(n)));
        }
        for (attr, v) in [
            ("dead_letters", self.dead_letters),
            ("target_5xx", self.target_5xx),
            ("unhealthy_hosts", self.unhealthy_hosts),
            ("job_failed", self.job_failed),
            ("job_timed_out", self.job_timed_out),
        ] {
            if !v.is_empty() {
                items.push((attr, names(v)));
            }
        }
        if let Some(n) = scheduler {
            items.push(("scheduler_dead_letter", string(n)));
        }
        object(items)
    }
}

fn queue(names: &crate::aws::names::QueueNames, tenant: Option<&Name>, q: &Queue) -> Expression {
    terraform::queue(names, tenant.map(Name::as_str), q)
}

/// The task's attributes: identity, image, Fargate size, command, the
/// blueprint's env with the runtime contract (`aws::contract`), secrets
/// and scratch space.
fn task_items<'a>(
    at: &At,
    n: &names::TaskNames,
    task: Task<'_>,
    is_service: bool,
    storage: Option<&str>,
    images: &ImageVariables,
) -> Vec<(&'a str, Expression)> {
    let tenant = at.tenant;
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
    items.push(("registry", string(images::registry(task.image))));
    items.push(("cpu", number(u64::from(fargate.cpu_units))));
    items.push(("memory", number(u64::from(fargate.memory_mib))));
    if let Some(cmd) = task.command {
        items.push(("command", strings(cmd.iter().cloned())));
    }
    // The contract's variables next to the user's own env (normalize
    // refuses a user key that is one of them). Queue URLs exist only once
    // the module creates the queues: it resolves each from the key of this
    // tenant's copy.
    let mut environment: BTreeMap<String, Expression> = task
        .env
        .iter()
        .map(|(k, v)| (k.clone(), string(v.clone())))
        .collect();
    let mut queue_urls = Vec::new();
    let mut secrets = Vec::new();
    for v in contract::variables(at.model, at.env, at.copy, tenant, task, Target::Ecs) {
        match v.source {
            Source::Text(t) | Source::Region(t) => {
                environment.insert(v.name, string(t));
            }
            Source::QueueUrl(q) => {
                queue_urls.push((v.name, string(at.copy.key(tenant, q.name.as_str()))));
            }
            Source::SecretValue(s) => secrets.push((v.name, s)),
            // Not produced for ECS: it knows every URL and injects values.
            Source::QueueName(_) | Source::FunctionName(_) | Source::SecretArn(_) => {}
        }
    }
    items.push(("environment", map(environment)));
    if !queue_urls.is_empty() {
        items.push(("queue_urls", map(queue_urls)));
    }
    if !secrets.is_empty() {
        // valueFrom takes a full ARN: names and ARNs without the suffix are
        // looked up by the module; grants follow `aws::iam`'s patterns.
        let lookups: BTreeSet<String> = secrets
            .iter()
            .filter(|(_, s)| !matches!(iam::secret_resource(s), iam::SecretResource::Arn(_)))
            .map(|(_, s)| s.as_str().to_string())
            .collect();
        let grants: BTreeSet<String> = secrets.iter().map(|(_, s)| iam::secret_grant(s)).collect();
        items.push((
            "secrets",
            map(secrets.iter().map(|(k, s)| (k.clone(), string(s.as_str())))),
        ));
        if !lookups.is_empty() {
            items.push(("secret_lookups", strings(lookups)));
        }
        items.push(("secret_grants", strings(grants)));
    }
    let scratch = scratch_paths(task.writable_paths, is_service, storage);
    if !scratch.is_empty() {
        items.push(("scratch_paths", strings(scratch)));
    }
    items
}

/// The scratch volumes of a task besides `/tmp` (which every task has):
/// its `writable_paths` and, on services, where the ECS Exec agent writes;
/// not a stateful service's storage path, which its EFS file system makes
/// writable (two mounts cannot share a path).
fn scratch_paths(writable: &[String], is_service: bool, storage: Option<&str>) -> BTreeSet<String> {
    let exec = defaults::ECS_EXEC_WRITABLE_PATHS
        .iter()
        .filter(|_| is_service)
        .map(|p| p.to_string());
    writable
        .iter()
        .cloned()
        .chain(exec)
        .filter(|p| p != defaults::ECS_TMP && Some(p.as_str()) != storage)
        .collect()
}

fn scoped(copy: &Copy, tenant: Option<&Name>, refs: &[Name]) -> Expression {
    strings(refs.iter().map(|r| copy.key(tenant, r.as_str())))
}

fn service(
    at: &At,
    w: &Workloads,
    s: &Service,
    key: &str,
    images: &ImageVariables,
    priorities: &mut AlbPriorities,
    alarms: &mut Alarms,
) -> Expression {
    let (copy, tenant) = (at.copy, w.tenant.as_ref());
    let n = names::service(copy, tenant, s);
    let path = s.storage.as_ref().map(|st| st.path.as_str());
    let mut items = task_items(at, &n.task, s.task(), true, path, images);
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
        alarms
            .target_5xx
            .push((key.to_string(), n.target_5xx_alarm.clone()));
        alarms
            .unhealthy_hosts
            .push((key.to_string(), n.unhealthy_alarm.clone()));
    }
    // Only the load balancer checks health (by HTTP): ECS's own check runs
    // a command inside the image, which blueprint cannot assume exists.
    if let (Some(h), Expose::Public) = (&s.health, s.expose) {
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
    if let (Some(st), Some(sn)) = (&s.storage, &n.storage) {
        items.push(("storage", storage(st, sn)));
    }
    object(items)
}

/// A stateful service's EFS file system: where it is mounted, its names,
/// and the POSIX user its access point enforces. Its `size` stays out:
/// EFS is elastic, so the size only prices it (`plan`).
fn storage(st: &crate::model::Storage, n: &names::StorageNames) -> Expression {
    let id = u64::from(defaults::POSIX_ID);
    object([
        ("path", string(st.path.clone())),
        ("file_system", string(n.file_system.clone())),
        ("security_group", string(n.security_group.clone())),
        ("uid", number(id)),
        ("gid", number(id)),
    ])
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

fn job(at: &At, j: &Job, n: &names::JobNames, images: &ImageVariables) -> Expression {
    let (copy, tenant) = (at.copy, at.tenant);
    let mut items = task_items(at, &n.task, j.task(), false, None, images);
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

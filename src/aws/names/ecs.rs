//! The names of the ECS target: one platform module instance per copy.
//! The module creates nothing under a name of its own: every name below
//! arrives as a module argument.

use super::{queue, Copy, Kind, QueueNames};
use crate::aws::registry::{Origin, Registry};
use crate::model::{Expose, Job, Model, Name, Service};

/// The names a copy has once, whatever its workloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyNames {
    /// `var.name`: the cluster, and what descriptions call the copy.
    pub cluster: String,
    pub kms_alias: String,
    /// ECS Exec session logs.
    pub exec_log_group: String,
    /// The internet-facing load balancer (only with a public service).
    pub load_balancer: String,
    pub load_balancer_security_group: String,
    /// Cloud Map private DNS namespace of service-to-service calls.
    pub dns_namespace: String,
    /// The load balancer's own 5XX errors (only with a public service).
    pub load_balancer_5xx_alarm: String,
    /// Schedule starts EventBridge Scheduler gave up on (only with jobs),
    /// and the alarm on it.
    pub scheduler_dead_letter: String,
    pub scheduler_dead_letter_alarm: String,
}

pub fn copy(c: &Copy) -> CopyNames {
    let prefix = c.prefix();
    CopyNames {
        cluster: Kind::EcsCluster.fit(&prefix),
        kms_alias: format!("alias/{prefix}"),
        exec_log_group: format!("/ecs/{prefix}/exec"),
        load_balancer: Kind::LoadBalancer.fit(&prefix),
        load_balancer_security_group: Kind::SecurityGroup.with_suffix(&prefix, "-alb"),
        dns_namespace: format!("{prefix}.internal"),
        load_balancer_5xx_alarm: Kind::Alarm.with_suffix(&prefix, "-alb-5xx"),
        scheduler_dead_letter: Kind::SqsQueue.with_suffix(&prefix, "-schedule-starts-dlq"),
        scheduler_dead_letter_alarm: Kind::Alarm.with_suffix(&prefix, "-schedule-starts-dlq"),
    }
}

/// What every workload (service or job) is called: one Fargate task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskNames {
    /// Task definition family; also the ECS service or the state machine.
    pub name: String,
    pub log_group: String,
    pub execution_role: String,
    pub task_role: String,
    pub security_group: String,
}

/// A service's names beyond its task's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNames {
    pub task: TaskNames,
    /// Host label in the copy's DNS namespace (services with a port).
    pub discovery: String,
    /// Load balancer target group (public services): the port is part of
    /// the name, because a new port needs a new group, created before the
    /// old one goes.
    pub target_group: String,
    /// The alarm that wakes a worker scaled to zero.
    pub wake_alarm: String,
    /// Public services: 5XX answers, and tasks failing the health check.
    pub target_5xx_alarm: String,
    pub unhealthy_alarm: String,
    /// A stateful service's EFS file system (`None` otherwise).
    pub storage: Option<StorageNames>,
}

/// The names of a stateful service's EFS file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageNames {
    /// The creation token (unique in the account and region) and the
    /// `Name` tag of the file system and its access point.
    pub file_system: String,
    /// The security group of its mount targets.
    pub security_group: String,
}

/// A job's names beyond its task's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobNames {
    pub task: TaskNames,
    pub runs_log_group: String,
    pub runner_role: String,
    pub scheduler_role: String,
    /// One per EventBridge schedule the job's cron becomes.
    pub schedules: Vec<String>,
    /// Runs that failed (after their retries), and runs that timed out.
    pub failed_alarm: String,
    pub timed_out_alarm: String,
}

/// Longest workload name: state machines take 80 characters.
const NAME_MAX: usize = 80;
/// Base of a workload's role names: room for the longest suffix
/// (`-sched`) within IAM's 64 characters, the same for all of its roles.
const ROLE_BASE_MAX: usize = 58;

fn role(full: &str, suffix: &str) -> String {
    format!("{}{suffix}", super::fit(full, ROLE_BASE_MAX))
}

fn task(c: &Copy, tenant: Option<&Name>, name: &Name) -> TaskNames {
    let full = c.full(tenant, name.as_str());
    let short = super::fit(&full, NAME_MAX);
    TaskNames {
        log_group: format!("/ecs/{}/{}", c.prefix(), c.local(tenant, name.as_str())),
        execution_role: role(&full, "-exec"),
        task_role: role(&full, "-task"),
        security_group: Kind::SecurityGroup.with_suffix(&short, "-tasks"),
        name: short,
    }
}

pub fn service(c: &Copy, tenant: Option<&Name>, s: &Service) -> ServiceNames {
    let full = c.full(tenant, s.name.as_str());
    let task = task(c, tenant, &s.name);
    let port = s.port.map(|p| format!("-{p}")).unwrap_or_default();
    ServiceNames {
        discovery: Kind::DiscoveryService.fit(&c.local(tenant, s.name.as_str())),
        target_group: Kind::TargetGroup.with_suffix(&full, &port),
        wake_alarm: Kind::Alarm.with_suffix(&task.name, "-wake"),
        target_5xx_alarm: Kind::Alarm.with_suffix(&task.name, "-5xx"),
        unhealthy_alarm: Kind::Alarm.with_suffix(&task.name, "-unhealthy"),
        storage: s.storage.as_ref().map(|_| StorageNames {
            file_system: Kind::EfsFileSystem.fit(&full),
            security_group: Kind::SecurityGroup.with_suffix(&task.name, "-efs"),
        }),
        task,
    }
}

pub fn job(c: &Copy, tenant: Option<&Name>, j: &Job) -> JobNames {
    let full = c.full(tenant, j.name.as_str());
    let task = task(c, tenant, &j.name);
    let count = j.schedule.to_eventbridge().len();
    let schedules = (1..=count)
        .map(|i| {
            if count == 1 {
                Kind::Schedule.fit(&full)
            } else {
                Kind::Schedule.with_suffix(&full, &format!("-{i}"))
            }
        })
        .collect();
    JobNames {
        runs_log_group: format!("/aws/vendedlogs/states/{}", task.name),
        runner_role: role(&full, "-run"),
        scheduler_role: role(&full, "-sched"),
        schedules,
        failed_alarm: Kind::Alarm.with_suffix(&task.name, "-failed"),
        timed_out_alarm: Kind::Alarm.with_suffix(&task.name, "-timed-out"),
        task,
    }
}

/// The alarm on a queue copy's dead-letter queue.
pub fn dead_letter_alarm(names: &QueueNames) -> String {
    Kind::Alarm.with_suffix(names.dead_letter.trim_end_matches(".fifo"), "-depth")
}

pub fn queue_names(c: &Copy, tenant: Option<&Name>, q: &crate::model::Queue) -> QueueNames {
    queue(&c.full(tenant, q.name.as_str()), q.fifo)
}

/// Every name the ECS target creates, into `reg`.
pub fn register(model: &Model, reg: &mut Registry) {
    for env in &model.environments {
        for p in &env.platforms {
            let c = Copy::new(model, env, p);
            let at = Origin::copy(env, &p.kind);
            let n = copy(&c);
            reg.add(Kind::EcsCluster, &n.cluster, &at);
            reg.add(Kind::KmsAlias, &n.kms_alias, &at);
            reg.add(Kind::LogGroup, &n.exec_log_group, &at);
            reg.add(Kind::DnsNamespace, &n.dns_namespace, &at);
            let public = p
                .tenants
                .iter()
                .any(|w| w.services.iter().any(|s| s.expose == Expose::Public));
            if public {
                reg.add(Kind::LoadBalancer, &n.load_balancer, &at);
                reg.add(Kind::SecurityGroup, &n.load_balancer_security_group, &at);
                reg.add(Kind::Alarm, &n.load_balancer_5xx_alarm, &at);
            }
            if p.tenants.iter().any(|w| !w.jobs.is_empty()) {
                reg.add(Kind::SqsQueue, &n.scheduler_dead_letter, &at);
                reg.add(Kind::Alarm, &n.scheduler_dead_letter_alarm, &at);
            }
            for w in &p.tenants {
                let tenant = w.tenant.as_ref();
                for q in &model.queues {
                    let at = Origin::item(env, tenant, "queue", q.name.as_str());
                    let names = queue_names(&c, tenant, q);
                    reg.add(Kind::SqsQueue, &names.queue, &at);
                    if q.dead_letter.is_some() {
                        reg.add(Kind::SqsQueue, &names.dead_letter, &at);
                        reg.add(Kind::Alarm, &dead_letter_alarm(&names), &at);
                    }
                }
                for s in &w.services {
                    let at = Origin::item(env, tenant, "service", s.name.as_str());
                    let n = service(&c, tenant, s);
                    add_task(reg, &n.task, &at);
                    reg.add(Kind::EcsService, &n.task.name, &at);
                    if s.port.is_some() {
                        let ns = copy(&c).dns_namespace;
                        reg.add_in(Kind::DiscoveryService, &ns, &n.discovery, &at);
                    }
                    if s.expose == Expose::Public {
                        reg.add(Kind::TargetGroup, &n.target_group, &at);
                        reg.add(Kind::Alarm, &n.target_5xx_alarm, &at);
                        reg.add(Kind::Alarm, &n.unhealthy_alarm, &at);
                    }
                    reg.add(Kind::Alarm, &n.wake_alarm, &at);
                    if let Some(st) = &n.storage {
                        reg.add(Kind::EfsFileSystem, &st.file_system, &at);
                        reg.add(Kind::SecurityGroup, &st.security_group, &at);
                    }
                }
                for j in &w.jobs {
                    let at = Origin::item(env, tenant, "job", j.name.as_str());
                    let n = job(&c, tenant, j);
                    add_task(reg, &n.task, &at);
                    reg.add(Kind::StateMachine, &n.task.name, &at);
                    reg.add(Kind::LogGroup, &n.runs_log_group, &at);
                    reg.add(Kind::IamRole, &n.runner_role, &at);
                    reg.add(Kind::IamRole, &n.scheduler_role, &at);
                    for s in &n.schedules {
                        reg.add(Kind::Schedule, s, &at);
                    }
                    reg.add(Kind::Alarm, &n.failed_alarm, &at);
                    reg.add(Kind::Alarm, &n.timed_out_alarm, &at);
                }
            }
        }
    }
}

fn add_task(reg: &mut Registry, n: &TaskNames, at: &Origin) {
    reg.add(Kind::TaskFamily, &n.name, at);
    reg.add(Kind::LogGroup, &n.log_group, at);
    reg.add(Kind::IamRole, &n.execution_role, at);
    reg.add(Kind::IamRole, &n.task_role, at);
    reg.add(Kind::SecurityGroup, &n.security_group, at);
}

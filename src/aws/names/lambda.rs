//! The names of the Lambda target: one stack (or a few, when split) per
//! platform copy, its functions, roles, rules, queues and APIs named after
//! the copy like on every other target.

use super::{queue, Copy, Kind, QueueNames};
use crate::aws::registry::{Origin, Registry};
use crate::model::{Environment, Model, Name, Platform, PlatformKind};

/// A workload's function, its role and its log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionNames {
    pub function: String,
    pub role: String,
    pub log_group: String,
}

/// The names of a tenant's workload `full` (its [`Copy::full`] name).
pub fn function(full: &str) -> FunctionNames {
    let function = Kind::LambdaFunction.fit(full);
    FunctionNames {
        role: Kind::IamRole.fit(full),
        log_group: format!("/aws/lambda/{function}"),
        function,
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
/// prefix, plus the tenant in a shared copy), and its access-log group.
pub fn http_api(base: &str) -> (String, String) {
    let api = Kind::HttpApi.fit(base);
    let logs = format!("/aws/apigateway/{api}");
    (api, logs)
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
            let (api, logs) = http_api(&base);
            let mut at = Origin::copy(env, &p.kind);
            if let Some(t) = tenant {
                at.what = format!("the HTTP API of tenant `{t}`");
            }
            reg.add(Kind::HttpApi, &api, &at);
            reg.add(Kind::LogGroup, &logs, &at);
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
    reg.add(Kind::LogGroup, &n.log_group, at);
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
}

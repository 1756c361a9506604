//! Target fit: why a valid model does not fit a target, checked across
//! every environment and tenant.

use crate::diag::Diagnostic;
use crate::model::{fargate, Cpu, Memory, Model, Target};
use std::collections::BTreeMap;

/// Longest Lambda run, in seconds.
const LAMBDA_TIMEOUT: u64 = 15 * 60;
const LAMBDA_MEMORY: std::ops::RangeInclusive<u32> = 128..=10 * 1024;

/// Why `model` does not fit `target` (empty when it fits). Each diagnostic
/// names the workload, the environment/tenant when the problem is not
/// everywhere, the reason, and the targets that do fit.
pub fn fit(model: &Model, target: Target) -> Vec<Diagnostic> {
    let found = problems(model, target);
    if found.is_empty() {
        return found;
    }
    let fits: Vec<&str> = Target::ALL
        .into_iter()
        .filter(|t| *t != target && problems(model, *t).is_empty())
        .map(Target::as_str)
        .collect();
    let help = if fits.is_empty() {
        "no target fits this blueprint as written".to_string()
    } else {
        format!("targets that fit: {}", fits.join(", "))
    };
    found
        .into_iter()
        .map(|d| d.with_help(help.clone()))
        .collect()
}

fn problems(model: &Model, target: Target) -> Vec<Diagnostic> {
    // (path, message) -> where it happens.
    let mut found: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut combos = 0usize;
    let many_envs = model.environments.len() > 1;
    for env in &model.environments {
        for (_, w) in env.all_workloads() {
            combos += 1;
            let place = match (many_envs, &w.tenant) {
                (true, Some(t)) => format!("environment `{}`, tenant `{t}`", env.name),
                (true, None) => format!("environment `{}`", env.name),
                (false, Some(t)) => format!("tenant `{t}`"),
                (false, None) => String::new(),
            };
            let mut add = |path: String, msg: String| {
                found.entry((path, msg)).or_default().push(place.clone());
            };
            for s in &w.services {
                let who = format!("service `{}`", s.name);
                let base = format!("services.{}", s.name);
                if target == Target::Lambda && s.stateful {
                    add(
                        format!("{base}.stateful"),
                        format!("{who} is stateful, but Lambda functions keep no local state"),
                    );
                }
                size(target, &who, &base, s.cpu, s.memory, &mut add);
                writable(target, &who, &base, &s.writable_paths, &mut add);
                image(target, model, &who, &base, &s.image, &mut add);
            }
            for j in &w.jobs {
                let who = format!("job `{}`", j.name);
                let base = format!("jobs.{}", j.name);
                if target == Target::Lambda && j.timeout.secs() > LAMBDA_TIMEOUT {
                    add(
                        format!("{base}.timeout"),
                        format!(
                            "{who} runs up to {} but Lambda stops a function after 15m",
                            j.timeout
                        ),
                    );
                }
                size(target, &who, &base, j.cpu, j.memory, &mut add);
                writable(target, &who, &base, &j.writable_paths, &mut add);
                both_day_fields(target, &who, &base, &j.schedule, &mut add);
                image(target, model, &who, &base, &j.image, &mut add);
            }
        }
    }
    found
        .into_iter()
        .map(|((path, msg), places)| {
            let msg = if places.len() == combos || places.iter().all(String::is_empty) {
                msg
            } else {
                format!("{msg} (in {})", places.join("; "))
            };
            model.locations.diag(path, msg)
        })
        .collect()
}

/// Lambda runs images from Amazon ECR in its own region, or from the
/// registries ECR pull-through cache syncs (`aws::names::lambda`).
fn image(
    target: Target,
    model: &Model,
    who: &str,
    base: &str,
    image: &crate::model::Image,
    add: &mut impl FnMut(String, String),
) {
    if target != Target::Lambda {
        return;
    }
    if let Some(why) = crate::aws::names::lambda::image_refusal(image, &model.app.region) {
        add(
            format!("{base}.image"),
            format!("{who} runs `{image}`, which {why}"),
        );
    }
}

/// Lambda's filesystem is read-only except `/tmp`.
fn writable(
    target: Target,
    who: &str,
    base: &str,
    paths: &[String],
    add: &mut impl FnMut(String, String),
) {
    if target != Target::Lambda {
        return;
    }
    for p in paths {
        if p != "/tmp" && !p.starts_with("/tmp/") {
            add(
                format!("{base}.writable_paths"),
                format!(
                    "{who} needs `{p}` writable, but a Lambda function can write only under /tmp"
                ),
            );
        }
    }
}

/// EventBridge (ECS's Scheduler, Lambda's rules) takes one of the two day
/// fields in a cron: a schedule that restricts both, which cron runs when
/// either matches, would need two schedules, and both would fire on a day
/// that matches both (`0 3 1 * 1-5` on a weekday 1st).
fn both_day_fields(
    target: Target,
    who: &str,
    base: &str,
    schedule: &crate::model::Schedule,
    add: &mut impl FnMut(String, String),
) {
    if target == Target::Eks || schedule.to_eventbridge().len() < 2 {
        return;
    }
    add(
        format!("{base}.schedule"),
        format!(
            "{who} runs on `{schedule}`, which restricts both day-of-month and day-of-week; cron runs it when either matches (it ORs the two fields), which EventBridge cannot express in one schedule, and two schedules would both fire on a day that matches both: restrict only one of the two fields (`*` in the other), or split it into two jobs"
        ),
    );
}

fn size(
    target: Target,
    who: &str,
    base: &str,
    cpu: Cpu,
    memory: Memory,
    add: &mut impl FnMut(String, String),
) {
    match target {
        Target::Lambda if !LAMBDA_MEMORY.contains(&memory.mib()) => add(
            format!("{base}.memory"),
            format!("{who} needs {memory} of memory, but a Lambda function has 128Mi to 10Gi"),
        ),
        Target::Ecs if fargate::round_up(cpu, memory).is_none() => add(
            format!("{base}.cpu"),
            format!(
                "{who} needs {} vCPU and {memory}, more than Fargate's largest task ({})",
                cpu.vcpu(),
                fargate::MAX_DESCRIPTION
            ),
        ),
        _ => {}
    }
}

//! Lambda + API Gateway + EventBridge as a `cdk synth`-style cloud
//! assembly: `manifest.json`, `cdk.out`, and one `<Stack>.template.json`
//! per environment and platform copy (the shared tenants, or the single
//! tenant, and each dedicated tenant), split into several stacks when one
//! is over CloudFormation's quotas (`place.rs`), and `deploy.sh`, the
//! commands that deploy them (`deploy.rs`). See docs/lambda.md.

mod copy;
mod deploy;
mod emit;
mod ids;
mod notes;
mod place;
mod refs;
#[cfg(test)]
mod tests;

use super::Output;
use crate::aws::names::lambda as names;
use crate::doc::{Deferred, Document};
use crate::model::{Environment, Model, Name, Platform, PlatformKind, Queue, Quota, Workloads};
use copy::{Copy, View};
use notes::Notes;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The cloud assembly schema version `cdk synth` writes (aws-cdk-lib 2.x).
pub const ASSEMBLY_VERSION: &str = "36.0.0";
/// Timeout of every service's function: API Gateway HTTP APIs wait at
/// most 30 s for an integration, and workers get the same.
pub const SERVICE_TIMEOUT_SECS: u64 = 30;
/// AWS recommends a queue visibility timeout of at least six times the
/// timeout of the function that consumes it.
pub const VISIBILITY_FACTOR: u64 = 6;
/// Messages per batch handed to a worker (SQS's default for Lambda).
pub const BATCH_SIZE: u32 = 10;
/// CloudFormation's quotas per template ("Understand CloudFormation
/// quotas",
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
/// resources declared in one template.
pub const MAX_RESOURCES: usize = 500;
/// Parameters declared in one template (same page).
pub const MAX_PARAMETERS: usize = 200;
/// Outputs declared in one template (same page, and the Outputs section
/// reference: "a maximum of 200 outputs in a template").
pub const MAX_OUTPUTS: usize = 200;
/// Template body size in an Amazon S3 object (1 MB; `aws cloudformation
/// deploy --s3-bucket` and CDK upload big templates there). Counted as
/// 1,000,000 bytes, as cfn-lint does.
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;
/// Lambda retries a failed asynchronous invocation at most twice.
pub const ASYNC_RETRY_MAX: u32 = 2;

/// The cloud assembly of `model`. Each platform copy of each environment
/// is measured and placed into stacks here, on every core; the templates
/// themselves are written when they are rendered (`Document::Deferred`),
/// one at a time, so that no more than a few are ever in memory. With them
/// `deploy.sh`, which deploys the stacks as they are placed.
pub fn lower(model: &Arc<Model>) -> Output {
    let copies: Vec<(usize, usize)> = model
        .environments
        .iter()
        .enumerate()
        .flat_map(|(e, env)| (0..env.platforms.len()).map(move |p| (e, p)))
        .collect();
    let placed = crate::parallel::map(copies, |(e, p)| {
        let copy = Copy::new(model, e, p);
        let mut notes = Notes::default();
        let layout = place::layout(View::new(model, &copy), &mut notes);
        (Arc::new(copy), Arc::new(layout), notes)
    });

    let mut out = Output::default();
    let mut notes = Notes::default();
    let mut artifacts = Map::new();
    let mut envs: Vec<deploy::Environment> = model
        .environments
        .iter()
        .map(|env| deploy::Environment {
            name: env.name.to_string(),
            stacks: Vec::new(),
            reserved: 0,
            cached: BTreeSet::new(),
        })
        .collect();
    for (copy, layout, copy_notes) in placed {
        notes.extend(copy_notes);
        let env = &mut envs[copy.env];
        env.reserved += copy.reserved();
        env.cached
            .extend(copy.cached_images().map(|(r, p)| (r, p.to_string())));
        for (s, st) in layout.stacks.iter().enumerate() {
            let file = format!("{}.template.json", st.name);
            env.stacks.push(deploy::Stack {
                name: st.name.clone(),
                file: file.clone(),
                s3: st.max_bytes > names::TEMPLATE_BODY_MAX_BYTES,
                params: st.params,
            });
            let mut artifact = Map::new();
            artifact.insert("type".into(), json!("aws:cloudformation:stack"));
            artifact.insert(
                "environment".into(),
                json!(format!("aws://unknown-account/{}", model.app.region)),
            );
            artifact.insert("properties".into(), json!({"templateFile": file}));
            if !st.dependencies.is_empty() {
                artifact.insert("dependencies".into(), json!(st.dependencies));
            }
            artifact.insert("displayName".into(), json!(st.name));
            artifacts.insert(st.name.clone(), Value::Object(artifact));
            let (model, copy, layout) = (Arc::clone(model), Arc::clone(&copy), Arc::clone(&layout));
            let types = st.types.iter().map(|(t, n)| (t.to_string(), *n)).collect();
            out.files.insert(
                file,
                Document::Deferred(Deferred::new(types, move || {
                    place::write_stack(&model, &copy, &layout, s)
                })),
            );
        }
    }
    for env in &envs {
        if env.reserved > 0 {
            notes.add(reserved_note(env.reserved), &env.name);
        }
    }
    out.files.insert(
        "manifest.json".into(),
        Document::Json(json!({"version": ASSEMBLY_VERSION, "artifacts": Value::Object(artifacts)})),
    );
    out.files.insert(
        "cdk.out".into(),
        Document::Json(json!({"version": ASSEMBLY_VERSION})),
    );
    out.files.insert(
        deploy::PATH.into(),
        Document::Text(deploy::script(model, &envs)),
    );
    out.notes = notes.into_lines();
    out
}

/// What `render` says about the executions an environment reserves.
fn reserved_note(reserved: u64) -> String {
    let need = reserved + names::UNRESERVED_CONCURRENCY_MIN;
    let default = deploy::thousands(names::DEFAULT_ACCOUNT_CONCURRENCY);
    let fits = if need <= names::DEFAULT_ACCOUNT_CONCURRENCY {
        format!("the default quota of {default} covers it, but new accounts start lower")
    } else {
        format!("more than the default {default}: request it in Service Quotas before deploying")
    };
    format!(
        "functions reserve {} concurrent executions in all (scale.max each, a job one; the tenants' quotas hold them) and Lambda keeps {} of an account unreserved, so the account needs a concurrency quota of at least {} ({fits}; deploy.sh checks it first)",
        deploy::thousands(reserved),
        names::UNRESERVED_CONCURRENCY_MIN,
        deploy::thousands(need)
    )
}

/// The description of a copy's stack when it is one stack.
fn description(model: &Model, env: &Environment, platform: &Platform) -> String {
    let base = format!(
        "{}, environment {}: Lambda functions, queues and APIs generated by blueprint",
        model.app.name, env.name
    );
    match &platform.kind {
        PlatformKind::Single => base,
        PlatformKind::Shared => {
            let tenants: Vec<&str> = platform
                .tenants
                .iter()
                .filter_map(|w| w.tenant.as_ref().map(Name::as_str))
                .collect();
            format!("{base} (shared tenants: {})", tenants.join(", "))
        }
        PlatformKind::Dedicated(t) => format!("{base} (dedicated tenant {t})"),
    }
}

/// `Commerce-Prod` for the shared tenants (or the single tenant),
/// `Commerce-Prod-Acme` for a dedicated tenant (`aws::names::lambda`).
pub fn stack_name(model: &Model, env: &Environment, platform: &Platform) -> String {
    crate::aws::names::lambda::stack(&model.app.name, &env.name, &platform.kind)
}

/// The visibility timeout a tenant's copy of `q` gets: as declared, raised
/// to six times the service timeout when one of the tenant's services
/// consumes it through an event source mapping.
pub fn consumer_visibility(q: &Queue, w: &Workloads) -> u64 {
    let declared = q.visibility_timeout.secs();
    let consumed = w.services.iter().any(|s| s.consumes.contains(&q.name));
    if consumed {
        declared.max(VISIBILITY_FACTOR * SERVICE_TIMEOUT_SECS)
    } else {
        declared
    }
}

/// `scale.max` as an SQS event source mapping's maximum concurrency
/// (Lambda accepts 2..=1000), and whether it had to move.
pub fn esm_concurrency(max: u32) -> (u32, bool) {
    let c = max.clamp(2, 1000);
    (c, c != max)
}

/// The reserved concurrency of a tenant's services and jobs (in the
/// model's order), and whether the quota lowered it.
pub struct Reserved {
    pub services: Vec<copy::Concurrency>,
    pub jobs: Vec<copy::Concurrency>,
    pub scaled: bool,
}

/// What each of a tenant's functions reserves: a service `scale.max`
/// concurrent executions (its replicas), a job one (a run at a time).
/// When the tenant has a `quota` that these, at their sizes, add up to
/// more than, every reservation is scaled down by the same factor (never
/// below one, or a service's `scale.min`), so that Lambda holds the tenant
/// to its quota the way ECS and EKS do.
pub fn reserved_concurrency(w: &Workloads, quota: Option<&Quota>) -> Reserved {
    /// One function: what it wants, its floor, and its size.
    struct Want {
        max: u32,
        min: u32,
        cpu_millis: u64,
        memory_mib: u64,
    }
    let wanted: Vec<Want> = w
        .services
        .iter()
        .map(|s| Want {
            max: s.scale.max.max(1),
            min: s.scale.min.max(1),
            cpu_millis: u64::from(s.cpu.millis()),
            memory_mib: u64::from(s.memory.mib()),
        })
        .chain(w.jobs.iter().map(|j| Want {
            max: 1,
            min: 1,
            cpu_millis: u64::from(j.cpu.millis()),
            memory_mib: u64::from(j.memory.mib()),
        }))
        .collect();
    // The largest share of what they want that the quota allows.
    let mut factor = 1.0_f64;
    if let Some(q) = quota {
        let need = |size: fn(&Want) -> u64| -> u64 {
            wanted.iter().map(|x| u64::from(x.max) * size(x)).sum()
        };
        let limits = [
            (q.cpu.map(|c| u64::from(c.millis())), need(|x| x.cpu_millis)),
            (q.memory.map(|m| u64::from(m.mib())), need(|x| x.memory_mib)),
            (q.pods.map(u64::from), need(|_| 1)),
        ];
        for (limit, need) in limits {
            if let Some(limit) = limit.filter(|l| need > *l) {
                factor = factor.min(limit as f64 / need as f64);
            }
        }
    }
    let scaled = factor < 1.0;
    let mut all = wanted.iter().map(|x| {
        let reserved = if scaled {
            ((f64::from(x.max) * factor).floor() as u32)
                .max(x.min)
                .min(x.max)
        } else {
            x.max
        };
        copy::Concurrency {
            reserved,
            wanted: x.max,
        }
    });
    let services = all.by_ref().take(w.services.len()).collect();
    Reserved {
        services,
        jobs: all.collect(),
        scaled,
    }
}

/// A quota in words: `cpu 6, memory 12Gi, pods 20`.
pub fn quota_words(q: &Quota) -> String {
    let mut parts = Vec::new();
    if let Some(c) = q.cpu {
        parts.push(format!("cpu {c}"));
    }
    if let Some(m) = q.memory {
        parts.push(format!("memory {m}"));
    }
    if let Some(p) = q.pods {
        parts.push(format!("pods {p}"));
    }
    parts.join(", ")
}

/// The default route throttling of a tenant's HTTP API stage: as many
/// requests at once as its public functions reserve executions, and per
/// second what they serve at `scale.requests` a minute each (or
/// [`names::REQUESTS_PER_SECOND_PER_EXECUTION`]).
pub fn stage_throttle(w: &Workloads, reserved: &[copy::Concurrency]) -> copy::Throttle {
    let mut t = copy::Throttle { rate: 0, burst: 0 };
    for (s, c) in w.services.iter().zip(reserved) {
        if copy::is_public(s) {
            let per_second = s
                .scale
                .requests
                .map_or(names::REQUESTS_PER_SECOND_PER_EXECUTION, |r| {
                    u64::from(r).div_ceil(60).max(1)
                });
            t.rate += u64::from(c.reserved) * per_second;
            t.burst += u64::from(c.reserved);
        }
    }
    t
}

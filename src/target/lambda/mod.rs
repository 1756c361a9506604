//! Lambda + API Gateway + EventBridge as a `cdk synth`-style cloud
//! assembly: `manifest.json`, `cdk.out`, and one `<Stack>.template.json`
//! per environment and platform copy (the shared tenants, or the single
//! tenant, and each dedicated tenant). See docs/lambda.md.

mod ids;
mod notes;
mod stack;
mod template;
#[cfg(test)]
mod tests;

use super::Output;
use crate::doc::Document;
use crate::model::{Environment, Image, Model, Platform, PlatformKind, Queue, Workloads};
use ids::pascal;
use notes::Notes;
use serde_json::{json, Map, Value};

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
/// CloudFormation's limit of resources per stack.
pub const MAX_RESOURCES: usize = 500;
/// Lambda retries a failed asynchronous invocation at most twice.
pub const ASYNC_RETRY_MAX: u32 = 2;

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    let mut notes = Notes::default();
    let mut artifacts = Map::new();
    for env in &model.environments {
        for platform in &env.platforms {
            let s = stack::build(model, env, platform, &mut notes);
            let count = s.template["Resources"].as_object().map_or(0, Map::len);
            if count > MAX_RESOURCES {
                notes.add(
                    format!(
                        "stack {}: {count} resources, more than CloudFormation's {MAX_RESOURCES}; make some tenants dedicated to split it",
                        s.name
                    ),
                    env.name.as_str(),
                );
            }
            let file = format!("{}.template.json", s.name);
            artifacts.insert(
                s.name.clone(),
                json!({
                    "type": "aws:cloudformation:stack",
                    "environment": format!("aws://unknown-account/{}", model.app.region),
                    "properties": {"templateFile": file},
                    "displayName": s.name
                }),
            );
            out.files.insert(file, Document::Json(s.template));
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
    out.notes = notes.into_lines();
    out
}

/// `Commerce-Prod` for the shared tenants (or the single tenant),
/// `Commerce-Prod-Acme` for a dedicated tenant.
pub fn stack_name(model: &Model, env: &Environment, platform: &Platform) -> String {
    let base = format!(
        "{}-{}",
        pascal(model.app.name.as_str()),
        pascal(env.name.as_str())
    );
    match &platform.kind {
        PlatformKind::Single | PlatformKind::Shared => base,
        PlatformKind::Dedicated(t) => format!("{base}-{}", pascal(t.as_str())),
    }
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

/// Whether Lambda can pull `image`: only Amazon ECR repositories.
pub fn is_ecr(image: &Image) -> bool {
    let host = image.repository.split('/').next().unwrap_or_default();
    image.repository.contains('/')
        && host.contains(".dkr.ecr.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
}

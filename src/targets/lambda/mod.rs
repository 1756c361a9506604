//! Lambda + API Gateway + EventBridge as a `cdk synth`-style cloud
//! assembly: `manifest.json`, `cdk.out`, and one `<Stack>.template.json`
//! per environment and platform copy (the shared tenants, or the single
//! tenant, and each dedicated tenant), split into several stacks when one
//! is over CloudFormation's quotas (`place.rs`). See docs/lambda.md.

mod copy;
mod emit;
mod ids;
mod notes;
mod place;
mod refs;
#[cfg(test)]
mod tests;

use super::Output;
use crate::doc::{Deferred, Document};
use crate::model::{Environment, Image, Model, Name, Platform, PlatformKind, Queue, Workloads};
use copy::{Copy, View};
use notes::Notes;
use serde_json::{json, Map, Value};
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
/// one at a time, so that no more than a few are ever in memory.
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
    for (copy, layout, copy_notes) in placed {
        notes.extend(copy_notes);
        for (s, st) in layout.stacks.iter().enumerate() {
            let file = format!("{}.template.json", st.name);
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
    out.files.insert(
        "manifest.json".into(),
        Document::Json(json!({"version": ASSEMBLY_VERSION, "artifacts": Value::Object(artifacts)})),
    );
    out.files.insert(
        "cdk.out".into(),
        Document::Json(json!({"version": ASSEMBLY_VERSION})),
    );
    out.notes = notes.into_lines();
    out.notes.extend(
        crate::normalize::quota::over_at_maximum(model)
            .into_iter()
            .map(|o| format!("{o}: Lambda scales each function on its own, so lower the services' `scale.max` to hold the tenant to it")),
    );
    out
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

/// Whether Lambda can pull `image`: only Amazon ECR repositories.
pub fn is_ecr(image: &Image) -> bool {
    let host = image.repository.split('/').next().unwrap_or_default();
    image.repository.contains('/')
        && host.contains(".dkr.ecr.")
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
}

//! Lambda + API Gateway + EventBridge as a `cdk synth`-style cloud
//! assembly: `manifest.json`, `cdk.out`, and one `<Stack>.template.json`
//! per environment and platform copy (the shared tenants, or the single
//! tenant, and each dedicated tenant), split into several stacks when one
//! is over CloudFormation's quotas (`split.rs`). See docs/lambda.md.

mod ids;
mod notes;
mod split;
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

pub fn lower(model: &Model) -> Output {
    let mut out = Output::default();
    let mut notes = Notes::default();
    let mut artifacts = Map::new();
    // Each platform copy of each environment is built and split on its own.
    // Not in parallel: at 1,000 services the copies' stacks take 2 GB, and
    // two threads faulting that in at once spent 6 s in the kernel for a
    // 12% gain (docs/performance.md). The cure is less memory, not threads.
    let copies: Vec<(&Environment, &Platform)> = model
        .environments
        .iter()
        .flat_map(|env| env.platforms.iter().map(move |p| (env, p)))
        .collect();
    for &(env, platform) in &copies {
        for st in platform_stacks(model, env, platform, &mut notes) {
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
            out.files.insert(file, Document::Json(st.template));
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

/// What `render` says when a stack had to be split.
fn split_note(
    name: &str,
    whole: &split::Size,
    stacks: &[split::Stack],
    platform: &Platform,
) -> String {
    let over = if whole.resources > MAX_RESOURCES {
        format!(
            "{} resources (CloudFormation allows {MAX_RESOURCES})",
            whole.resources
        )
    } else if whole.parameters > MAX_PARAMETERS {
        format!(
            "{} parameters (CloudFormation allows {MAX_PARAMETERS})",
            whole.parameters
        )
    } else if whole.outputs > MAX_OUTPUTS {
        format!(
            "{} outputs (CloudFormation allows {MAX_OUTPUTS})",
            whole.outputs
        )
    } else {
        format!(
            "{} bytes (CloudFormation allows {MAX_TEMPLATE_BYTES})",
            whole.bytes
        )
    };
    let how = if platform.kind == PlatformKind::Shared {
        "a stack for the shared key and parameters, then one stack per shared tenant instead of one for all (blueprint-v1 asks for one; it cannot be deployed), each continued in -PartN stacks while still too big"
    } else {
        "-PartN stacks"
    };
    format!(
        "stack {name}: {over}; split into {} stacks ({how}) that share resources through exports; deploy them in the order of the dependencies in manifest.json",
        stacks.len()
    )
}

/// The stacks of one platform copy in one environment: one, or several
/// when CloudFormation's quotas require a split (see `split`).
fn platform_stacks(
    model: &Model,
    env: &Environment,
    platform: &Platform,
    notes: &mut Notes,
) -> Vec<split::Stack> {
    let s = stack::build(model, env, platform, notes);
    let describe = split::Describe {
        head: format!("{}, environment {}", model.app.name, env.name),
        whole: stack::description(model, env, platform),
        platform,
    };
    let whole = split::Size::of(&s.template);
    let stacks = split::fit(model, &s.name, s.template, &whole, &describe);
    let split = stacks.len() > 1;
    if split {
        notes.add(
            split_note(&s.name, &whole, &stacks, platform),
            env.name.as_str(),
        );
    }
    for st in &stacks {
        let size = if split {
            split::Size::of(&st.template)
        } else {
            whole
        };
        if !size.fits() {
            notes.add(
                format!(
                    "stack {}: still over CloudFormation's quotas ({} resources, {} parameters, {} outputs); one workload alone is too big for a stack",
                    st.name, size.resources, size.parameters, size.outputs
                ),
                env.name.as_str(),
            );
        }
    }
    stacks
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

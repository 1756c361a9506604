//! The resources a target would create, counted by type over every
//! environment and tenant.
//!
//! ECS: the platform module creates its resources with `for_each`, so they
//! are counted from the roots' module arguments with the module's one
//! description (`review/ecs.rs`, which `diff` uses too). Other targets
//! write explicit documents:
//! `resource` blocks in Terraform bodies, `kind`s in Kubernetes YAML,
//! `Resources.*.Type` in CloudFormation JSON.

use crate::doc::Document;
use crate::model::Target;
use crate::targets::Output;
use std::collections::BTreeMap;

pub type Counts = BTreeMap<String, u64>;

/// ECS: the platform module creates its resources with `for_each`, so they
/// are counted from the roots' module blocks as `diff` expands them
/// (`review::terraform_root_resources`, the one description of the
/// module); the module's own files are not counted.
pub fn ecs(output: &Output) -> Counts {
    // One root per folder, read whole: the module arguments that name a
    // variable are counted at its default.
    let mut roots: BTreeMap<&str, Vec<&hcl::Body>> = BTreeMap::new();
    for (path, doc) in &output.files {
        let Document::Hcl(body) = doc else { continue };
        if path.starts_with("modules/") {
            continue;
        }
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        roots.entry(dir).or_default().push(body);
    }
    let mut c = Counts::new();
    for bodies in roots.values() {
        for address in crate::review::terraform_root_resources(bodies) {
            *c.entry(resource_type(&address).to_string()).or_default() += 1;
        }
    }
    c
}

/// `aws_ecs_service` of `module.shared.aws_ecs_service.this["globex/api"]`.
fn resource_type(address: &str) -> &str {
    let mut parts = address.split('.');
    let mut first = parts.next().unwrap_or_default();
    while first == "module" {
        parts.next();
        first = parts.next().unwrap_or_default();
    }
    first
}

/// Explicit documents: Terraform `resource` blocks (a block with `count`
/// or `for_each` counts once), Kubernetes `kind`s, CloudFormation types.
///
/// Kubernetes objects are counted as the overlays build them: the shared
/// `kubernetes/workloads/` once per kustomization that lists it, less the
/// objects a kustomization deletes with a `$patch: delete` patch.
pub fn explicit(output: &Output) -> Counts {
    let mut c = Counts::new();
    let kustomizations = || {
        output
            .files
            .values()
            .filter_map(|d| match d {
                Document::Yaml(docs) => Some(docs),
                _ => None,
            })
            .flatten()
            .filter(|d| d.get("kind").and_then(|k| k.as_str()) == Some("Kustomization"))
    };
    let workload_copies = kustomizations()
        .filter(|k| {
            k["resources"].as_array().is_some_and(|r| {
                r.iter()
                    .any(|r| r.as_str().is_some_and(|r| r.ends_with("/workloads")))
            })
        })
        .count();
    for (path, doc) in &output.files {
        match doc {
            Document::Hcl(body) => hcl_resources(body, &mut c),
            Document::HclSource(src) => {
                if let Ok(body) = hcl::parse(src) {
                    hcl_resources(&body, &mut c);
                }
            }
            Document::Yaml(docs) => {
                let shared = path.starts_with("kubernetes/workloads/")
                    && !path.ends_with("/kustomization.yaml");
                let times = if shared { workload_copies as u64 } else { 1 };
                for d in docs {
                    if let Some(kind) = d.get("kind").and_then(|k| k.as_str()) {
                        *c.entry(kind.to_string()).or_default() += times;
                    }
                }
            }
            Document::Json(v) => {
                if let Some(res) = v.get("Resources").and_then(|r| r.as_object()) {
                    for r in res.values() {
                        if let Some(t) = r.get("Type").and_then(|t| t.as_str()) {
                            *c.entry(t.to_string()).or_default() += 1;
                        }
                    }
                }
            }
            Document::Deferred(d) => {
                for (t, n) in &d.resource_types {
                    *c.entry(t.clone()).or_default() += *n as u64;
                }
            }
            Document::Text(_) => {}
        }
    }
    for k in kustomizations() {
        for p in k["patches"].as_array().into_iter().flatten() {
            let Some(text) = p["patch"].as_str() else {
                continue;
            };
            let Ok(patch) = serde_yaml::from_str::<serde_json::Value>(text) else {
                continue;
            };
            if patch.get("$patch").and_then(|v| v.as_str()) == Some("delete") {
                if let Some(n) = patch["kind"].as_str().and_then(|kind| c.get_mut(kind)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }
    c
}

fn hcl_resources(body: &hcl::Body, c: &mut Counts) {
    for block in body.blocks() {
        if block.identifier() == "resource" {
            if let Some(label) = block.labels().first() {
                *c.entry(label.as_str().to_string()).or_default() += 1;
            }
        }
    }
}

/// The counts for `target`, or `None` when its emitter does not exist yet.
/// `output` is the lowered output when the blueprint fits the target.
pub fn count(target: Target, output: Option<&Output>) -> Option<Counts> {
    let output = output?;
    Some(match target {
        Target::Ecs => ecs(output),
        _ => explicit(output),
    })
}

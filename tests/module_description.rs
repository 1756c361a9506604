//! `diff` and `plan` read the ECS platform module through one description
//! (`review/ecs.rs`): which module resources each argument entry creates.
//! This test holds that description to the module itself: for blueprints
//! that use every feature, the resources the description lists are exactly
//! the module's `resource` blocks, so a resource added to the module
//! without being described (or described but gone) fails here.

use crate::support::repo;
use blueprint::{normalize, targets};
use std::collections::BTreeSet;

/// `type.name` of every `resource` block in templates/ecs/platform and the
/// shared queue definition.
fn module_resources() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let dirs = [
        repo().join("templates/ecs/platform"),
        repo().join("templates/shared"),
    ];
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "tf") {
                continue;
            }
            let body: hcl::Body = hcl::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for b in body.blocks().filter(|b| b.identifier() == "resource") {
                let labels: Vec<&str> = b.labels().iter().map(|l| l.as_str()).collect();
                out.insert(labels.join("."));
            }
        }
    }
    out
}

/// `aws_ecs_service.this` of `module.shared.aws_ecs_service.this["globex/api"]`.
fn described(address: &str) -> String {
    let rest = address
        .strip_prefix("module.")
        .and_then(|r| r.split_once('.'))
        .map_or(address, |(_, r)| r);
    rest.split('[').next().unwrap().to_string()
}

#[test]
fn the_ecs_module_description_lists_exactly_the_modules_resources() {
    let mut seen = BTreeSet::new();
    // The bundled examples (saas has a stateful service, so EFS), and
    // tests/blueprints/stateful.yaml (a single-task stateful service too).
    for bp in [
        "blueprints/commerce.yaml",
        "blueprints/saas.yaml",
        "blueprints/minimal.yaml",
        "tests/blueprints/stateful.yaml",
    ] {
        let src = std::fs::read_to_string(repo().join(bp)).unwrap();
        let model = normalize::load(&src).unwrap();
        let out = targets::ecs::lower(&model);
        for (path, doc) in &out.files {
            if path.starts_with("modules/") {
                continue;
            }
            if let blueprint::doc::Document::Hcl(body) = doc {
                for a in blueprint::review::terraform_resources(body) {
                    seen.insert(described(&a));
                }
            }
        }
    }
    let module = module_resources();
    let undescribed: Vec<&String> = module.difference(&seen).collect();
    let unknown: Vec<&String> = seen.difference(&module).collect();
    assert!(
        undescribed.is_empty() && unknown.is_empty(),
        "module resources review/ecs.rs does not describe (or the bundled blueprints never create): {undescribed:?}\ndescribed but not in the module: {unknown:?}"
    );
}

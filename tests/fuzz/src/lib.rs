//! What every fuzz target checks on one blueprint text: the oracles.
//!
//! For each target, [`blueprint::pipeline::render_to_bytes`] must not
//! panic; when it renders, every path must pass the writer's rules
//! (`write::check_paths`) and every file must parse in its own format:
//! HCL (hcl-rs), JSON (serde_json), YAML (serde_yaml, every document),
//! Markdown as UTF-8. `plan` (text and JSON) and `graph` (Mermaid and
//! DOT) run on every valid blueprint too, and must not panic.

pub mod mutate;

use blueprint::model::Target;
use serde::Deserialize;

/// Runs `source` through every target and checks the output. Panics (a
/// crash for libFuzzer) when an oracle fails.
pub fn check(source: &str) {
    let Ok(model) = blueprint::normalize::load(source) else {
        return;
    };
    let plan = blueprint::plan::build(&model, &blueprint::plan::Assumptions::default());
    let text = blueprint::plan::text(&plan);
    let json = serde_json::to_string(&blueprint::plan::json(&plan)).expect("a JSON value");
    assert!(!text.is_empty() && !json.is_empty());
    for format in [
        blueprint::graph::Format::Mermaid,
        blueprint::graph::Format::Dot,
    ] {
        blueprint::graph::render(&model, format);
    }
    for target in Target::ALL {
        let Ok(rendered) = blueprint::pipeline::render_to_bytes(source, target) else {
            continue;
        };
        let paths = rendered.files.iter().map(|(p, _)| p.clone()).collect();
        if let Err(e) = blueprint::write::check_paths(&paths) {
            panic!("{}: {e}", target.as_str());
        }
        for (path, bytes) in &rendered.files {
            check_file(target, path, bytes);
        }
    }
}

fn check_file(target: Target, path: &str, bytes: &[u8]) {
    let t = target.as_str();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => panic!("{t} {path}: not UTF-8: {e}"),
    };
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "tf" => {
            if let Err(e) = hcl::parse(text) {
                panic!("{t} {path}: not HCL: {e}\n{text}");
            }
        }
        "json" | "out" => {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
                panic!("{t} {path}: not JSON: {e}");
            }
        }
        "yaml" | "yml" => {
            for doc in serde_yaml::Deserializer::from_str(text) {
                if let Err(e) = serde_yaml::Value::deserialize(doc) {
                    panic!("{t} {path}: not YAML: {e}\n{text}");
                }
            }
        }
        "md" => {}
        // deploy.sh (Lambda): a script the user runs; it must say which
        // shell runs it.
        "sh" => {
            if !text.starts_with("#!/usr/bin/env bash\n") && !text.starts_with("#!/bin/") {
                panic!("{t} {path}: a script without a shebang");
            }
        }
        _ => panic!("{t} {path}: a file of a kind the oracles do not know"),
    }
}

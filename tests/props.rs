//! Invariants over generated blueprints: same input, same bytes (whatever the
//! key order); any string arrives literally; no input panics.

use blueprint::model::Target;
use blueprint::{normalize, render, targets};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Renders a blueprint for ECS into path -> text.
fn render_ecs(yaml: &str) -> BTreeMap<String, String> {
    let model = normalize::load(yaml).unwrap_or_else(|d| panic!("{d:#?}\n{yaml}"));
    assert!(normalize::fit(&model, Target::Ecs).is_empty());
    targets::ecs::lower(&model)
        .files
        .iter()
        .map(|(p, d)| (p.clone(), String::from_utf8(render::render(d)).unwrap()))
        .collect()
}

/// A small valid blueprint whose maps are written in the order `order` picks.
fn blueprint(env: &BTreeMap<String, String>, tag: &str, reverse: bool) -> String {
    let mut services = vec![
        (
            "api",
            json!({"image": "repo/api:1", "port": 8080, "expose": "public", "env": env, "publishes": ["orders"], "calls": ["payments"]}),
        ),
        (
            "payments",
            json!({"image": "repo/payments:2", "port": 9000}),
        ),
        (
            "worker",
            json!({"image": "repo/worker:3", "consumes": ["orders"], "scale": {"min": 0, "max": 5, "queue_depth": 10}}),
        ),
    ];
    let mut top = vec![
        ("version", json!(1)),
        ("name", json!("shop")),
        ("region", json!("eu-west-1")),
        ("tags", json!({"team": tag, "owner": "platform"})),
        ("queues", json!({"orders": {}, "audit": {"fifo": true}})),
        (
            "jobs",
            json!({"nightly": {"schedule": "0 2 * * *", "image": "repo/job:1", "env": env}}),
        ),
        (
            "tenants",
            json!({"globex": {}, "acme": {"tier": "dedicated"}}),
        ),
        (
            "environments",
            json!({"dev": {}, "prod": {"overrides": {"services": {"api": {"cpu": 1}}}}}),
        ),
    ];
    if reverse {
        services.reverse();
        top.reverse();
    }
    let mut svc = Map::new();
    for (k, v) in services {
        svc.insert(k.into(), v);
    }
    let mut doc = Map::new();
    for (k, v) in top {
        doc.insert(k.into(), v);
    }
    doc.insert("services".into(), Value::Object(svc));
    // JSON is YAML 1.2, which is what blueprint reads. (serde_yaml writes
    // YAML 1.1, where U+2028 is a line break it folds with indentation, so
    // its output does not always read back the same in 1.2.)
    serde_json::to_string_pretty(&Value::Object(doc)).unwrap()
}

fn env_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map("[A-Z_][A-Z0-9_]{0,8}", any::<String>(), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn same_input_any_key_order_same_bytes(env in env_map(), tag in "[a-z]{1,8}") {
        let a = render_ecs(&blueprint(&env, &tag, false));
        let b = render_ecs(&blueprint(&env, &tag, true));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &render_ecs(&blueprint(&env, &tag, false)));
    }

    #[test]
    fn any_string_arrives_literally_in_hcl(env in env_map(), tag in "[\\p{L}\\p{N}\\p{Z}_.:/=+@-]{0,16}") {
        let files = render_ecs(&blueprint(&env, &tag, false));
        let main: hcl::Value = hcl::from_str(&files["prod/main.tf"]).unwrap();
        let main = serde_json::to_value(&main).unwrap();
        for (k, v) in &env {
            prop_assert_eq!(&main["module"]["shared"]["services"]["globex/api"]["environment"][k], &json!(v));
            prop_assert_eq!(&main["module"]["tenant_acme"]["jobs"]["nightly"]["environment"][k], &json!(v));
        }
        let providers: hcl::Value = hcl::from_str(&files["prod/providers.tf"]).unwrap();
        let providers = serde_json::to_value(&providers).unwrap();
        prop_assert_eq!(&providers["provider"]["aws"]["default_tags"]["tags"]["team"], &json!(tag));
    }

    #[test]
    fn tag_values_aws_refuses_are_refused(tag in any::<String>()) {
        let aws_accepts = tag.chars().count() <= 256
            && tag.chars().all(|c| c.is_alphanumeric() || " _.:/=+@-".contains(c) || c.is_whitespace() && !c.is_control());
        let loaded = normalize::load(&blueprint(&BTreeMap::new(), &tag, false));
        // Letters, digits and separators in Unicode's sense; the exact
        // classes are checked in `aws::tags`. Anything plainly outside
        // them must not load.
        if !aws_accepts && tag.chars().any(|c| c.is_control() || "%${}\"'`<>;,!?#&*()[]|\\^~".contains(c)) {
            prop_assert!(loaded.is_err());
        }
    }

    #[test]
    fn no_input_panics(src in any::<String>()) {
        let _ = normalize::load(&src);
    }

    #[test]
    fn no_yaml_shaped_input_panics(src in "(version: 1\n|name: [a-z]{1,5}\n|services:\n|  [a-z]{1,3}:\n|    image: [a-z:0-9]{0,5}\n|    port: [0-9-]{1,6}\n|    [a-z_]{1,8}: [^\n]{0,8}\n|  - x\n|&a |\\*a\n|<<: \\*a\n){0,24}") {
        let _ = normalize::load(&src);
    }
}

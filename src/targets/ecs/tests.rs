//! Rules of the ECS emitter, on models built in code.

use super::lower;
use crate::model::fixtures::*;
use crate::model::{Expose, Scale};
use crate::render::render;

fn text(out: &crate::targets::Output, path: &str) -> String {
    let doc = out.files.get(path).unwrap_or_else(|| {
        panic!(
            "{path} missing; files: {:?}",
            out.files.keys().collect::<Vec<_>>()
        )
    });
    // Alignment padding varies with neighbours; the tests read single spaces.
    let text = String::from_utf8(render(doc)).unwrap();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        out.push_str(&line[..indent]);
        let mut prev_space = false;
        for c in line.trim_start().chars() {
            if !(c == ' ' && prev_space) {
                out.push(c);
            }
            prev_space = c == ' ';
        }
        out.push('\n');
    }
    out
}

#[test]
fn single_tenant_gets_one_platform_module_and_the_shared_module_files() {
    let m = model(
        &["prod"],
        &[],
        &[],
        vec![http("api", "nginx:1.27", 80)],
        vec![],
        vec![],
    );
    let out = lower(&m);
    let main = text(&out, "prod/main.tf");
    assert!(main.contains("module \"platform\""), "{main}");
    assert!(main.contains("source = \"../modules/platform\""), "{main}");
    assert!(main.contains("cluster = \"shop-prod\""), "{main}");
    assert!(out.files.contains_key("modules/platform/tasks.tf"));
    for f in ["versions.tf", "providers.tf", "variables.tf", "outputs.tf"] {
        assert!(out.files.contains_key(&format!("prod/{f}")), "{f}");
    }
}

#[test]
fn shared_tenants_share_one_module_and_dedicated_tenants_get_their_own() {
    let mut api = http("api", "nginx:1.27", 80);
    api.publishes = vec![name("orders")];
    let m = model(
        &["prod", "dev"],
        &["globex", "initech"],
        &["acme"],
        vec![api],
        vec![],
        vec![queue("orders")],
    );
    let out = lower(&m);
    let main = text(&out, "prod/main.tf");
    assert_eq!(main.matches("module \"shared\"").count(), 1, "{main}");
    assert_eq!(main.matches("module \"tenant_acme\"").count(), 1, "{main}");
    // Inside the shared platform, everything is scoped to its tenant.
    // Keys are `<tenant>/<name>`: `/` never appears in a name.
    assert!(main.contains("\"globex/api\" = {"), "{main}");
    assert!(main.contains("\"initech/orders\" = {"), "{main}");
    assert!(main.contains("publishes = [\"globex/orders\"]"), "{main}");
    assert!(
        main.contains("name = \"shop-prod-globex-orders\""),
        "{main}"
    );
    // The dedicated copy has its own prefix and unscoped keys.
    assert!(main.contains("= \"shop-prod-acme\""), "{main}");
    assert!(main.contains("publishes = [\"orders\"]"), "{main}");
    assert!(out.files.contains_key("dev/main.tf"));
}

#[test]
fn long_names_fit_aws_limits() {
    let mut svc = http("reconciliation-engine-primary", "nginx:1", 80);
    svc.expose = Expose::Public;
    let m = model(
        &["production-eu"],
        &["northwind-traders"],
        &[],
        vec![svc],
        vec![],
        vec![],
    );
    let out = lower(&m);
    let main = text(&out, "production-eu/main.tf");
    let tg = main
        .lines()
        .find(|l| l.trim_start().starts_with("target_group "))
        .expect("a target group name");
    let value = tg.split('"').nth(1).unwrap();
    assert!(value.len() <= 32, "{value}");
    assert!(value.starts_with("shop-production-eu"), "{value}");
}

#[test]
fn listener_rule_priorities_do_not_move_when_a_service_is_added() {
    let public = |n: &str| {
        let mut s = http(n, "nginx:1", 80);
        s.expose = Expose::Public;
        s.routes = vec![format!("/{n}")];
        s
    };
    let priority = |out: &crate::targets::Output, key: &str| -> String {
        let main = text(out, "prod/main.tf");
        let start = main.find(&format!("\"{key}\" = {{")).unwrap();
        let line = main[start..]
            .lines()
            .find(|l| l.contains("rule_priorities"))
            .unwrap()
            .to_string();
        line.split('=').nth(1).unwrap().trim().to_string()
    };
    let before = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![public("a"), public("c")],
        vec![],
        vec![],
    ));
    let after = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![public("a"), public("b"), public("c")],
        vec![],
        vec![],
    ));
    assert_eq!(priority(&before, "a"), priority(&after, "a"));
    assert_eq!(priority(&before, "c"), priority(&after, "c"));
    assert_ne!(priority(&after, "a"), priority(&after, "b"));
}

#[test]
fn image_tags_are_variables_and_a_pinned_tenant_gets_its_own() {
    let mut m = model(
        &["prod"],
        &["a", "b", "c"],
        &[],
        vec![http("api", "repo/api:2.0", 80)],
        vec![],
        vec![],
    );
    // Tenant c pins an older build.
    m.environments[0].platforms[0].tenants[2].services[0].image =
        crate::model::Image::parse("repo/api:1.9").unwrap();
    let out = lower(&m);
    let vars = text(&out, "prod/variables.tf");
    assert!(vars.contains("variable \"api_image_tag\""), "{vars}");
    assert!(vars.contains("default = \"2.0\""), "{vars}");
    assert!(vars.contains("variable \"api_image_tag_c\""), "{vars}");
    assert!(vars.contains("default = \"1.9\""), "{vars}");
    let main = text(&out, "prod/main.tf");
    assert_eq!(main.matches("var.api_image_tag_c").count(), 1, "{main}");
    assert_eq!(main.matches("var.api_image_tag\n").count(), 2, "{main}");
}

#[test]
fn autoscaling_defaults_to_cpu_only_when_it_scales_without_a_target() {
    let mut s = http("api", "nginx:1", 80);
    s.scale = Scale {
        min: 1,
        max: 4,
        cpu: None,
        memory: None,
        requests: None,
        queue_depth: None,
    };
    let out = lower(&model(&["prod"], &[], &[], vec![s], vec![], vec![]));
    assert!(text(&out, "prod/main.tf").contains("cpu_target = 70"));
    let fixed = http("api", "nginx:1", 80);
    let out = lower(&model(&["prod"], &[], &[], vec![fixed], vec![], vec![]));
    assert!(!text(&out, "prod/main.tf").contains("cpu_target"));
}

#[test]
fn queue_workers_scale_on_their_queue_and_can_start_from_zero() {
    let mut w = service("worker", "repo/worker:1");
    w.consumes = vec![name("orders")];
    w.scale = Scale {
        min: 0,
        max: 20,
        cpu: None,
        memory: None,
        requests: None,
        queue_depth: Some(100),
    };
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![w],
        vec![],
        vec![queue("orders")],
    ));
    let main = text(&out, "prod/main.tf");
    assert!(main.contains("queue_depth = 100"), "{main}");
    assert!(main.contains("queue_depth_from = \"orders\""), "{main}");
    assert!(main.contains("min_count = 0"), "{main}");
}

#[test]
fn jobs_get_eventbridge_schedules() {
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![],
        vec![
            job("nightly", "repo/r:1", "0 2 * * *"),
            job("weekdays", "repo/c:1", "0 3 * * 1-5"),
        ],
        vec![],
    ));
    let main = text(&out, "prod/main.tf");
    assert!(
        main.contains("expression = \"cron(0 2 * * ? *)\""),
        "{main}"
    );
    assert!(
        main.contains("expression = \"cron(0 3 ? * MON-FRI *)\""),
        "{main}"
    );
    assert!(main.contains("name = \"shop-prod-weekdays\""), "{main}");
    assert!(main.contains("timeout_seconds = 900"), "{main}");
    // Both day fields would need two schedules that both fire on a day
    // matching both: such a cron does not fit ECS (normalize::fit).
    let m = model(
        &["prod"],
        &[],
        &[],
        vec![],
        vec![job("close", "repo/c:1", "0 3 1 * 1-5")],
        vec![],
    );
    let d = crate::normalize::fit(&m, crate::model::Target::Ecs);
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn fargate_rounding_is_applied_and_reported() {
    let mut s = http("api", "nginx:1", 80);
    s.cpu = crate::model::Cpu::from_millis(300);
    s.memory = crate::model::Memory::from_mib(600);
    let out = lower(&model(&["prod"], &["a"], &[], vec![s], vec![], vec![]));
    let main = text(&out, "prod/main.tf");
    assert!(main.contains("cpu = 512"), "{main}");
    assert!(main.contains("memory = 1024"), "{main}");
    assert_eq!(
        out.notes,
        vec![
            "api: 0.3 vCPU / 600Mi rounds up to the Fargate size 0.5 vCPU / 1Gi (prod/a)"
                .to_string()
        ]
    );
}

#[test]
fn user_strings_arrive_literally() {
    let mut s = http("api", "nginx:1", 80);
    s.env.insert(
        "GREETING".into(),
        "Hello ${USER} %{if x}\"quoted\"\\".into(),
    );
    s.command = Some(vec!["sh".into(), "-c".into(), "echo ${HOME}".into()]);
    let out = lower(&model(&["prod"], &[], &[], vec![s], vec![], vec![]));
    let main = text(&out, "prod/main.tf");
    // Escaped in the file, literal once parsed.
    assert!(
        main.contains("$${USER}") && main.contains("%%{if x}"),
        "{main}"
    );
    let parsed: hcl::Value = hcl::from_str(&main).unwrap();
    let json = serde_json::to_value(&parsed).unwrap();
    let api = &json["module"]["platform"]["services"]["api"];
    assert_eq!(
        api["environment"]["GREETING"], "Hello ${USER} %{if x}\"quoted\"\\",
        "{json}"
    );
    assert_eq!(api["command"][2], "echo ${HOME}", "{json}");
}

//! Facts a plan of the rendered Terraform would show, read from the
//! rendered roots and the platform module's own text: the runtime
//! contract in every task definition (the values of that environment,
//! tenant and copy), the job runner's statements, lifecycle blocks and
//! update behaviour.

use super::lower;
use crate::render::render;
use hcl::{Block, Body, Expression};
use serde_json::Value;

const SHOP: &str = r#"
version: 1
name: shop
region: eu-west-1
services:
  api:
    image: repo/api:1.0
    port: 8080
    expose: public
    routes: ["/api"]
    health: { path: /healthz }
    publishes: [orders]
    calls: [payments]
    secrets: { DB_PASSWORD: prod/db, TOKEN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:token-AbCdEf" }
    writable_paths: [/var/cache/app, /tmp]
    scale: { min: 2, max: 6 }
  payments:
    image: ghcr.io/acme/payments:2.0
    port: 9000
    health: { path: /health }
  worker:
    image: repo/worker:1.0
    consumes: [orders]
jobs:
  report:
    image: repo/report:1.0
    schedule: "0 2 * * *"
    publishes: [orders]
queues:
  orders: {}
tenants:
  globex: {}
  initech: {}
  acme: { tier: dedicated }
environments:
  prod: { account: "012345678901" }
  dev: {}
"#;

fn output() -> crate::targets::Output {
    let m = crate::normalize::load(SHOP).unwrap();
    lower(&std::sync::Arc::new(m))
}

pub(super) fn text(out: &crate::targets::Output, path: &str) -> String {
    String::from_utf8(render(&out.files[path])).unwrap()
}

/// A root file as JSON (references such as `var.x` as `${var.x}` text).
fn json(out: &crate::targets::Output, path: &str) -> Value {
    let v: hcl::Value = hcl::from_str(&text(out, path)).unwrap();
    serde_json::to_value(v).unwrap()
}

pub(super) fn module_body(out: &crate::targets::Output, file: &str) -> Body {
    hcl::parse(&text(out, &format!("modules/platform/{file}"))).unwrap()
}

pub(super) fn resource<'b>(body: &'b Body, ty: &str, name: &str) -> &'b Block {
    body.blocks()
        .find(|b| {
            b.identifier() == "resource"
                && b.labels().len() == 2
                && b.labels()[0].as_str() == ty
                && b.labels()[1].as_str() == name
        })
        .unwrap_or_else(|| panic!("resource {ty}.{name}"))
}

pub(super) fn attr<'b>(b: &'b Body, key: &str) -> Option<&'b Expression> {
    b.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

pub(super) fn one_line(e: &Expression) -> String {
    hcl::format::to_string(e)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn env_of(task: &Value) -> &serde_json::Map<String, Value> {
    task["environment"].as_object().expect("an environment")
}

#[test]
fn every_task_is_told_its_own_environment_tenant_and_copy() {
    let out = output();
    for env in ["dev", "prod"] {
        let main = json(&out, &format!("{env}/main.tf"));
        for (module, tenant, prefix) in [
            ("shared", "globex", "globex/"),
            ("shared", "initech", "initech/"),
            ("tenant_acme", "acme", ""),
        ] {
            let m = &main["module"][module];
            let namespace = m["names"]["dns_namespace"].as_str().unwrap();
            let key = |n: &str| format!("{prefix}{n}");
            let api = &m["services"][key("api")];
            let e = env_of(api);
            assert_eq!(e["BLUEPRINT_APP"], "shop");
            assert_eq!(e["BLUEPRINT_ENVIRONMENT"], env);
            assert_eq!(e["BLUEPRINT_TENANT"], tenant);
            assert_eq!(e["AWS_REGION"], "eu-west-1");
            // The caller reaches its own tenant's callee, by the Cloud Map
            // service and namespace this copy creates.
            let payments = &m["services"][key("payments")];
            let discovery = payments["discovery"].as_str().unwrap();
            assert_eq!(
                e["PAYMENTS_URL"],
                format!("http://{discovery}.{namespace}:9000"),
                "{env}/{module}/{tenant}"
            );
            let expected_ns = match module {
                "shared" => format!("shop-{env}.internal"),
                _ => format!("shop-{env}-acme.internal"),
            };
            assert_eq!(namespace, expected_ns);
            if module == "shared" {
                assert_eq!(discovery, format!("{tenant}-payments"));
            }
            // The queue URL is resolved by the module from this tenant's
            // queue key, which names the queue of this environment.
            for (w, kind) in [
                ("api", "services"),
                ("worker", "services"),
                ("report", "jobs"),
            ] {
                let task = &m[kind][key(w)];
                assert_eq!(task["queue_urls"]["ORDERS_QUEUE_URL"], key("orders"), "{w}");
                assert!(env_of(task).get("ORDERS_QUEUE_URL").is_none());
                assert_eq!(env_of(task)["BLUEPRINT_TENANT"], tenant);
            }
            let queue = &m["queues"][key("orders")];
            let expected = match module {
                "shared" => format!("shop-{env}-{tenant}-orders"),
                _ => format!("shop-{env}-acme-orders"),
            };
            assert_eq!(queue["name"], expected);
            // Secrets: values by valueFrom; names are looked up, complete
            // ARNs are not; grants follow aws::iam's patterns.
            assert_eq!(api["secrets"]["DB_PASSWORD"], "prod/db");
            assert_eq!(api["secret_lookups"], serde_json::json!(["prod/db"]));
            assert_eq!(
                api["secret_grants"],
                serde_json::json!([
                    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:token-AbCdEf",
                    "prod/db-??????"
                ])
            );
            // Scratch space: the workload's paths (not /tmp, always
            // there) and the ECS Exec agent's, on services only.
            assert_eq!(
                api["scratch_paths"],
                serde_json::json!(["/var/cache/app", "/var/lib/amazon", "/var/log/amazon"])
            );
            assert!(m["jobs"][key("report")].get("scratch_paths").is_none());
        }
    }
    // The module puts each queue key's URL into the container's
    // environment, next to the text variables, and injects secrets by
    // their full ARN.
    let tasks = text(&out, "modules/platform/tasks.tf");
    assert!(
        tasks.contains(
            "{ for name, q in each.value.queue_urls : name => aws_sqs_queue.this[q].url }"
        ),
        "{tasks}"
    );
    assert!(tasks.contains("valueFrom = local.value_from[each.value.secrets[k]]"));
    let main = text(&out, "modules/platform/main.tf");
    assert!(main.contains("data \"aws_secretsmanager_secret\" \"lookup\""));
    // The Cloud Map service of a callee is named by its `discovery` in the
    // namespace named `dns_namespace`: the host its callers are given.
    let network = module_body(&out, "services.tf");
    let sd = resource(&network, "aws_service_discovery_service", "this");
    assert_eq!(
        one_line(attr(sd.body(), "name").unwrap()),
        "each.value.discovery"
    );
    let ns = resource(
        &network,
        "aws_service_discovery_private_dns_namespace",
        "this",
    );
    assert_eq!(
        one_line(attr(ns.body(), "name").unwrap()),
        "var.names.dns_namespace"
    );
    assert_eq!(one_line(attr(ns.body(), "vpc").unwrap()), "var.vpc_id");
}

#[test]
fn workloads_get_urls_so_no_role_may_look_a_queue_up() {
    let out = output();
    let main = text(&out, "prod/main.tf");
    assert!(!main.contains("sqs:GetQueueUrl"), "{main}");
    assert!(main.contains("queue_publish = [\"sqs:GetQueueAttributes\", \"sqs:SendMessage\"]"));
}

#[test]
fn the_environments_account_is_the_only_one_terraform_accepts() {
    let out = output();
    let prod = text(&out, "prod/providers.tf");
    assert!(
        prod.contains("allowed_account_ids = [\"012345678901\"]"),
        "{prod}"
    );
    let dev = text(&out, "dev/providers.tf");
    assert!(!dev.contains("allowed_account_ids"), "{dev}");
}

#[test]
fn no_health_check_runs_a_command_in_the_image() {
    let out = output();
    let tasks = module_body(&out, "tasks.tf");
    let td = resource(&tasks, "aws_ecs_task_definition", "workload");
    let defs = one_line(attr(td.body(), "container_definitions").unwrap());
    for never in ["healthCheck", "curl", "wget", "CMD-SHELL"] {
        assert!(!defs.contains(never), "{never} in {defs}");
    }
    // Public services keep the target group's HTTP check; an internal
    // service's health block is not passed, and render says so.
    let main = json(&out, "prod/main.tf");
    let shared = &main["module"]["shared"]["services"];
    assert_eq!(shared["globex/api"]["health"]["path"], "/healthz");
    assert!(shared["globex/payments"].get("health").is_none());
    assert!(
        out.notes
            .iter()
            .any(|n| n
                .starts_with("payments: `health` is not checked on ECS for an internal service")),
        "{:?}",
        out.notes
    );
}

#[test]
fn scratch_volumes_are_mounted_and_opened_before_the_app_starts() {
    let out = output();
    let tasks = module_body(&out, "tasks.tf");
    let td = resource(&tasks, "aws_ecs_task_definition", "workload");
    let volumes: Vec<String> = td
        .body()
        .blocks()
        .map(|b| match b.identifier() {
            "dynamic" => format!("dynamic {}", b.labels()[0].as_str()),
            other => other.to_string(),
        })
        .collect();
    assert!(volumes.contains(&"volume".to_string()), "{volumes:?}");
    assert!(
        volumes.contains(&"dynamic volume".to_string()),
        "{volumes:?}"
    );
    let defs = one_line(attr(td.body(), "container_definitions").unwrap());
    for needle in [
        "name = \"scratch\"",
        "essential = false",
        "command = concat([\"chmod\", \"1777\", \"/tmp\"], each.value.scratch_paths)",
        "dependsOn = [{ containerName = \"scratch\", condition = \"SUCCESS\" }]",
        "readonlyRootFilesystem = true",
    ] {
        assert!(defs.contains(needle), "{needle} in {defs}");
    }
    assert_eq!(defs.matches("readonlyRootFilesystem = true").count(), 2);
    // Both containers mount /tmp and one volume per scratch path there;
    // the app also mounts a stateful service's file system.
    assert_eq!(
        defs.matches("mountPoints = local.scratch_mounts[each.key]")
            .count(),
        1
    );
    assert_eq!(
        defs.matches(
            "mountPoints = concat(local.scratch_mounts[each.key], local.storage_mounts[each.key])"
        )
        .count(),
        1
    );
    let mounts = tasks
        .blocks()
        .filter(|b| b.identifier() == "locals")
        .find_map(|b| attr(b.body(), "scratch_mounts"))
        .map(one_line)
        .expect("local.scratch_mounts");
    for needle in [
        "{ sourceVolume = \"tmp\", containerPath = \"/tmp\", readOnly = false }",
        "{ sourceVolume = \"scratch-${i}\", containerPath = p, readOnly = false }",
    ] {
        assert!(mounts.contains(needle), "{needle} in {mounts}");
    }
}

#[test]
fn the_job_runner_may_tag_the_task_it_starts_only_through_run_task() {
    let out = output();
    let jobs = module_body(&out, "jobs.tf");
    let policy = one_line(
        attr(
            resource(&jobs, "aws_iam_role_policy", "job_runner").body(),
            "policy",
        )
        .unwrap(),
    );
    let tag = policy
        .split("Sid = ")
        .find(|s| s.starts_with("\"TagOwnTask\""))
        .expect("a TagOwnTask statement");
    assert!(tag.contains("Action = var.iam_actions.tag_task"), "{tag}");
    assert!(
        tag.contains("Condition = { StringEquals = { \"ecs:CreateAction\" = \"RunTask\" } }"),
        "{tag}"
    );
    assert!(
        tag.contains(":task/${aws_ecs_cluster.this.name}/*"),
        "{tag}"
    );
    // The state machine starts the task with PropagateTags, which needs it.
    let sm = one_line(
        attr(
            resource(&jobs, "aws_sfn_state_machine", "job").body(),
            "definition",
        )
        .unwrap(),
    );
    assert!(sm.contains("PropagateTags = \"TASK_DEFINITION\""), "{sm}");
    // The root hands the module the action.
    let main = text(&out, "prod/main.tf");
    assert!(
        main.contains("tag_task         = [\"ecs:TagResource\"]"),
        "{main}"
    );
    // Starts the scheduler gave up on go to a dead-letter queue its role
    // may write to.
    let schedule = resource(&jobs, "aws_scheduler_schedule", "job");
    let target = schedule
        .body()
        .blocks()
        .find(|b| b.identifier() == "target")
        .unwrap();
    assert!(target
        .body()
        .blocks()
        .any(|b| b.identifier() == "dynamic" && b.labels()[0].as_str() == "dead_letter_config"));
    assert!(main.contains("scheduler_dead_letter        = \"shop-prod-schedule-starts-dlq\""));
}

fn lifecycle(b: &Block) -> Option<&Body> {
    b.body()
        .blocks()
        .find(|l| l.identifier() == "lifecycle")
        .map(|l| l.body())
}

#[test]
fn services_update_in_place_and_count_as_the_blueprint_says() {
    let out = output();
    let services = module_body(&out, "services.tf");
    let fixed = resource(&services, "aws_ecs_service", "this");
    let scaled = resource(&services, "aws_ecs_service", "scaled");
    for s in [fixed, scaled] {
        assert_eq!(
            one_line(attr(s.body(), "force_new_deployment").unwrap()),
            "true"
        );
        assert_eq!(
            one_line(attr(s.body(), "wait_for_steady_state").unwrap()),
            "var.wait_for_steady_state"
        );
        let deps = one_line(attr(s.body(), "depends_on").unwrap());
        assert!(
            deps.contains("aws_ecs_cluster_capacity_providers.this"),
            "{deps}"
        );
    }
    assert_eq!(
        one_line(attr(fixed.body(), "for_each").unwrap()),
        "local.fixed"
    );
    assert_eq!(
        one_line(attr(scaled.body(), "for_each").unwrap()),
        "local.scaled"
    );
    // Only a service with an autoscaling target leaves its count alone.
    assert!(lifecycle(fixed).is_none());
    assert_eq!(
        one_line(attr(lifecycle(scaled).unwrap(), "ignore_changes").unwrap()),
        "[ desired_count ]"
    );
    // Target groups: replaced before destroyed, under a name with the port.
    let lb = module_body(&out, "load_balancer.tf");
    let tg = resource(&lb, "aws_lb_target_group", "service");
    assert_eq!(
        one_line(attr(lifecycle(tg).unwrap(), "create_before_destroy").unwrap()),
        "true"
    );
    let main = json(&out, "prod/main.tf");
    assert_eq!(
        main["module"]["shared"]["services"]["globex/api"]["target_group"],
        "shop-prod-globex-api-8080"
    );
    // Each service has a moved block from the other resource, so that
    // starting or stopping autoscaling moves it instead of replacing it.
    let moved = text(&out, "prod/moved.tf");
    assert!(moved.contains(
        "from = module.shared.aws_ecs_service.this[\"globex/api\"]\n  to   = module.shared.aws_ecs_service.scaled[\"globex/api\"]"
    ), "{moved}");
    assert!(moved.contains(
        "from = module.tenant_acme.aws_ecs_service.scaled[\"payments\"]\n  to   = module.tenant_acme.aws_ecs_service.this[\"payments\"]"
    ), "{moved}");
    assert_eq!(
        moved.matches("moved {").count(),
        9,
        "3 services x 3 tenants"
    );
}

#[test]
fn a_port_change_gives_a_new_target_group_name() {
    let m = crate::normalize::load(SHOP).unwrap();
    let moved = crate::normalize::load(&SHOP.replace("port: 8080", "port: 8081")).unwrap();
    let name = |m: crate::model::Model| {
        let out = lower(&std::sync::Arc::new(m));
        json(&out, "prod/main.tf")["module"]["tenant_acme"]["services"]["api"]["target_group"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(name(m), "shop-prod-acme-api-8080");
    assert_eq!(name(moved), "shop-prod-acme-api-8081");
}

#[test]
fn alarms_and_their_names_reach_the_module() {
    let out = output();
    let main = json(&out, "prod/main.tf");
    let alarms = &main["module"]["shared"]["alarms"];
    assert_eq!(alarms["load_balancer_5xx"], "shop-prod-alb-5xx");
    assert_eq!(
        alarms["dead_letters"]["globex/orders"],
        "shop-prod-globex-orders-dlq-depth"
    );
    assert_eq!(
        alarms["target_5xx"]["initech/api"],
        "shop-prod-initech-api-5xx"
    );
    assert_eq!(
        alarms["unhealthy_hosts"]["globex/api"],
        "shop-prod-globex-api-unhealthy"
    );
    assert_eq!(
        alarms["job_failed"]["globex/report"],
        "shop-prod-globex-report-failed"
    );
    assert_eq!(alarms["job_timed_out"]["acme/report"], Value::Null);
    assert_eq!(
        main["module"]["tenant_acme"]["alarms"]["job_timed_out"]["report"],
        "shop-prod-acme-report-timed-out"
    );
    assert_eq!(
        alarms["scheduler_dead_letter"],
        "shop-prod-schedule-starts-dlq"
    );
    // Every alarm notifies the optional topic.
    let alarms_tf = module_body(&out, "alarms.tf");
    let alarm = resource(&alarms_tf, "aws_cloudwatch_metric_alarm", "this");
    assert_eq!(
        one_line(attr(alarm.body(), "alarm_actions").unwrap()),
        "local.alarm_actions"
    );
    assert_eq!(
        one_line(attr(alarm.body(), "ok_actions").unwrap()),
        "local.alarm_actions"
    );
    // Inputs for what the platform team owns, off until given.
    let vars = self::text(&out, "prod/variables.tf");
    for v in [
        "alarm_topic_arn",
        "access_logs_bucket",
        "waf_web_acl_arn",
        "route53_zone_id",
        "domain_name_acme",
        "certificate_arn_acme",
        "wait_for_steady_state",
        "secrets_kms_key_arns",
        "registry_credentials",
    ] {
        assert!(vars.contains(&format!("variable \"{v}\"")), "{v}");
    }
    let outputs = self::text(&out, "prod/outputs.tf");
    assert!(outputs.contains("output \"load_balancer_zone_ids\""));
    assert!(outputs.contains("output \"load_balancer_dns_names\""));
}

#[test]
fn a_dedicated_tenant_is_served_on_its_own_host() {
    let out = output();
    let main = text(&out, "prod/main.tf");
    let acme = &main[main.find("module \"tenant_acme\"").unwrap()..];
    assert!(
        acme.contains(
            "certificate_arn       = coalesce(var.certificate_arn_acme, var.certificate_arn)"
        ),
        "{acme}"
    );
    assert!(acme.contains(
        "domain_name           = coalesce(var.domain_name_acme, join(\".\", [\"acme\", var.domain_name]))"
    ), "{acme}");
    // Private registries: the host of each image, for its credentials.
    let j = json(&out, "prod/main.tf");
    assert_eq!(
        j["module"]["tenant_acme"]["services"]["payments"]["registry"],
        "ghcr.io"
    );
    assert_eq!(
        j["module"]["tenant_acme"]["services"]["api"]["registry"],
        "docker.io"
    );
}

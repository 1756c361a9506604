//! Rules of the Lambda emitter, on models built in code.

use super::ids::make_unique_id;
use crate::model::fixtures::*;
use crate::model::{Duration, Expose, Model, SecretRef};
use crate::render::render;
use crate::targets::Output;
use serde_json::Value;

fn lower(m: &Model) -> Output {
    super::lower(&std::sync::Arc::new(m.clone()))
}

fn template(out: &Output, stack: &str) -> Value {
    let path = format!("{stack}.template.json");
    let doc = out.files.get(&path).unwrap_or_else(|| {
        panic!(
            "{path} missing; files: {:?}",
            out.files.keys().collect::<Vec<_>>()
        )
    });
    serde_json::from_slice(&render(doc)).unwrap()
}

/// `(logical id, resource)` of every resource of type `ty`.
fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

fn function<'a>(t: &'a Value, name: &str) -> &'a Value {
    of_type(t, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, r)| r["Properties"]["FunctionName"] == name)
        .unwrap_or_else(|| panic!("no function {name}"))
        .1
}

fn id_of(t: &Value, ty: &str, physical_key: &str, physical: &str) -> String {
    of_type(t, ty)
        .into_iter()
        .find(|(_, r)| r["Properties"][physical_key] == physical)
        .unwrap_or_else(|| panic!("no {ty} {physical}"))
        .0
        .to_string()
}

fn role_statements<'a>(t: &'a Value, role_name: &str) -> &'a Vec<Value> {
    let role = of_type(t, "AWS::IAM::Role")
        .into_iter()
        .find(|(_, r)| r["Properties"]["RoleName"] == role_name)
        .unwrap()
        .1;
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
}

fn all_text(out: &Output) -> String {
    out.files
        .values()
        .map(|d| String::from_utf8(render(d)).unwrap())
        .collect()
}

fn commerce() -> Model {
    let mut api = http("api", "1.dkr.ecr.eu-west-1.amazonaws.com/api:1.0", 8080);
    api.expose = Expose::Public;
    api.routes = vec!["/api".into()];
    api.publishes = vec![name("orders")];
    api.calls = vec![name("payments")];
    api.env.insert("LOG_LEVEL".into(), "info".into());
    api.secrets.insert(
        "DB_PASSWORD".into(),
        SecretRef::Name("prod/db/password".into()),
    );
    let payments = http("payments", "1.dkr.ecr.eu-west-1.amazonaws.com/pay:2", 9000);
    let mut worker = service("worker", "1.dkr.ecr.eu-west-1.amazonaws.com/worker:1");
    worker.consumes = vec![name("orders")];
    worker.scale.max = 20;
    let mut report = job(
        "nightly-report",
        "1.dkr.ecr.eu-west-1.amazonaws.com/report:1",
        "0 2 * * *",
    );
    report.timeout = Duration::from_secs(600);
    report.retries = 1;
    report.publishes = vec![name("orders")];
    let mut orders = queue("orders");
    orders.visibility_timeout = Duration::from_secs(60);
    model(
        &["dev", "prod"],
        &["globex"],
        &["acme"],
        vec![api, payments, worker],
        vec![report],
        vec![orders],
    )
}

#[test]
fn one_stack_per_environment_and_per_dedicated_tenant() {
    let out = lower(&commerce());
    let stacks: Vec<&String> = out
        .files
        .keys()
        .filter(|f| f.ends_with(".template.json"))
        .collect();
    assert_eq!(
        stacks,
        [
            "Shop-Dev-Acme.template.json",
            "Shop-Dev.template.json",
            "Shop-Prod-Acme.template.json",
            "Shop-Prod.template.json"
        ]
    );
    let manifest: Value =
        serde_json::from_slice(&render(out.files.get("manifest.json").unwrap())).unwrap();
    let acme = &manifest["artifacts"]["Shop-Prod-Acme"];
    assert_eq!(acme["type"], "aws:cloudformation:stack");
    assert_eq!(acme["environment"], "aws://unknown-account/eu-west-1");
    assert_eq!(
        acme["properties"]["templateFile"],
        "Shop-Prod-Acme.template.json"
    );
    assert_eq!(acme["displayName"], "Shop-Prod-Acme");
    // The dedicated tenant's resources are in its own stack only.
    let shared = template(&out, "Shop-Prod");
    let dedicated = template(&out, "Shop-Prod-Acme");
    function(&shared, "shop-prod-globex-api");
    function(&dedicated, "shop-prod-acme-api");
    assert!(!all_text(&out).contains("shop-prod-globex-acme"));
    assert!(of_type(&shared, "AWS::Lambda::Function")
        .iter()
        .all(|(_, f)| f["Properties"]["FunctionName"]
            .as_str()
            .unwrap()
            .starts_with("shop-prod-globex-")));
}

#[test]
fn single_tenant_gets_one_stack_without_tenant_scope() {
    let m = model(
        &["prod"],
        &[],
        &[],
        vec![http("web", "1.dkr.ecr.us-east-1.amazonaws.com/web:1", 80)],
        vec![],
        vec![],
    );
    let out = lower(&m);
    let t = template(&out, "Shop-Prod");
    let (id, f) = of_type(&t, "AWS::Lambda::Function")[0];
    assert_eq!(f["Metadata"]["aws:cdk:path"], "Shop-Prod/Web/Resource");
    assert_eq!(id, make_unique_id(&["Web", "Resource"]));
    assert_eq!(f["Properties"]["Timeout"], 30);
    assert_eq!(f["Properties"]["MemorySize"], 512);
    assert_eq!(f["Properties"]["PackageType"], "Image");
    assert_eq!(f["Properties"]["TracingConfig"]["Mode"], "Active");
    // Internal: no API at all.
    assert!(of_type(&t, "AWS::ApiGatewayV2::Api").is_empty());
    // The image is written in: a new image is a new template.
    assert_eq!(
        f["Properties"]["Code"]["ImageUri"],
        "1.dkr.ecr.us-east-1.amazonaws.com/web:1"
    );
    for (_, p) in t["Parameters"].as_object().unwrap() {
        assert!(p["Description"].is_string(), "{p}");
    }
    // Port 80 cannot be bound by Lambda's unprivileged user.
    assert!(out.notes.iter().any(|n| n
        .starts_with("HTTP services web (port 80): Lambda runs an image as an unprivileged user")));
}

#[test]
fn one_function_per_service_and_job_per_tenant() {
    let out = lower(&commerce());
    for stack in ["Shop-Dev", "Shop-Prod-Acme"] {
        let t = template(&out, stack);
        assert_eq!(of_type(&t, "AWS::Lambda::Function").len(), 4, "{stack}");
        assert_eq!(of_type(&t, "AWS::IAM::Role").len(), 4, "{stack}");
        assert_eq!(of_type(&t, "AWS::Logs::LogGroup").len(), 5, "{stack}");
    }
    let t = template(&out, "Shop-Prod");
    let report = function(&t, "shop-prod-globex-nightly-report");
    assert_eq!(report["Properties"]["Timeout"], 600);
}

#[test]
fn workers_get_an_event_source_mapping_per_consumed_queue() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod");
    let esms = of_type(&t, "AWS::Lambda::EventSourceMapping");
    assert_eq!(esms.len(), 1);
    let p = &esms[0].1["Properties"];
    let worker = id_of(
        &t,
        "AWS::Lambda::Function",
        "FunctionName",
        "shop-prod-globex-worker",
    );
    let orders = id_of(
        &t,
        "AWS::SQS::Queue",
        "QueueName",
        "shop-prod-globex-orders",
    );
    assert_eq!(p["FunctionName"]["Ref"], worker.as_str());
    assert_eq!(p["EventSourceArn"]["Fn::GetAtt"][0], orders.as_str());
    assert_eq!(p["BatchSize"], 10);
    assert_eq!(p["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert_eq!(p["ScalingConfig"]["MaximumConcurrency"], 20);
    let actions = &role_statements(&t, "shop-prod-globex-worker")[0];
    assert_eq!(
        actions["Action"],
        serde_json::json!(crate::aws::iam::QUEUE_CONSUME)
    );
    assert_eq!(actions["Resource"]["Fn::GetAtt"][0], orders.as_str());
}

#[test]
fn maximum_concurrency_is_clamped_to_lambdas_minimum_with_a_note() {
    let mut w = service("worker", "1.dkr.ecr.eu-west-1.amazonaws.com/w:1");
    w.consumes = vec![name("orders")];
    w.scale.max = 1;
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![w],
        vec![],
        vec![queue("orders")],
    ));
    let t = template(&out, "Shop-Prod");
    let esm = of_type(&t, "AWS::Lambda::EventSourceMapping")[0].1;
    assert_eq!(esm["Properties"]["ScalingConfig"]["MaximumConcurrency"], 2);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("scale.max 1") && n.contains("concurrency 2")),
        "{:?}",
        out.notes
    );
}

#[test]
fn visibility_timeout_is_raised_to_six_times_the_consumer_timeout_with_a_note() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod");
    let (_, q) = of_type(&t, "AWS::SQS::Queue")
        .into_iter()
        .find(|(_, q)| q["Properties"]["QueueName"] == "shop-prod-globex-orders")
        .unwrap();
    assert_eq!(q["Properties"]["VisibilityTimeout"], 180);
    let note = out
        .notes
        .iter()
        .find(|n| n.starts_with("queue orders: visibility timeout raised from 1m to 3m"))
        .unwrap_or_else(|| panic!("{:?}", out.notes));
    assert!(
        note.ends_with("(dev/globex, dev/acme, prod/globex, prod/acme)"),
        "{note}"
    );

    // Enough already, or nobody consumes it: kept as declared, no note.
    let mut long = queue("orders");
    long.visibility_timeout = Duration::from_secs(300);
    let mut w = service("worker", "1.dkr.ecr.eu-west-1.amazonaws.com/w:1");
    w.consumes = vec![name("orders")];
    let mut idle = queue("idle");
    idle.visibility_timeout = Duration::from_secs(20);
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![w],
        vec![],
        vec![long, idle],
    ));
    let t = template(&out, "Shop-Prod");
    let vis = |name: &str| {
        of_type(&t, "AWS::SQS::Queue")
            .into_iter()
            .find(|(_, q)| q["Properties"]["QueueName"] == name)
            .unwrap()
            .1["Properties"]["VisibilityTimeout"]
            .clone()
    };
    assert_eq!(vis("shop-prod-orders"), 300);
    assert_eq!(vis("shop-prod-idle"), 20);
    assert!(
        out.notes.iter().all(|n| !n.contains("visibility")),
        "{:?}",
        out.notes
    );
}

#[test]
fn queues_have_encryption_a_dead_letter_queue_and_fifo_names() {
    let mut q = queue("settlements");
    q.fifo = true;
    q.dead_letter = Some(crate::model::DeadLetter { max_receives: 3 });
    let mut plain = queue("audit");
    plain.dead_letter = None;
    let out = lower(&model(&["prod"], &[], &[], vec![], vec![], vec![q, plain]));
    let t = template(&out, "Shop-Prod");
    let queues = of_type(&t, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 3);
    let find = |n: &str| {
        queues
            .iter()
            .find(|(_, q)| q["Properties"]["QueueName"] == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let (dlq_id, dlq) = find("shop-prod-settlements-dlq.fifo");
    let (_, main) = find("shop-prod-settlements.fifo");
    assert_eq!(dlq["Properties"]["FifoQueue"], true);
    assert_eq!(main["Properties"]["FifoQueue"], true);
    assert_eq!(main["Properties"]["ContentBasedDeduplication"], true);
    assert_eq!(main["Properties"]["SqsManagedSseEnabled"], true);
    assert_eq!(main["Properties"]["MessageRetentionPeriod"], 345_600);
    let redrive = &main["Properties"]["RedrivePolicy"];
    assert_eq!(redrive["maxReceiveCount"], 3);
    assert_eq!(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0], *dlq_id);
    let (_, audit) = find("shop-prod-audit");
    assert!(audit["Properties"].get("RedrivePolicy").is_none());
    assert!(audit["Properties"].get("FifoQueue").is_none());
}

#[test]
fn jobs_get_a_rule_per_eventbridge_expression_with_permission_and_retries() {
    let weekdays = job(
        "weekdays",
        "1.dkr.ecr.eu-west-1.amazonaws.com/j:1",
        "30 6 * * 1-5",
    );
    let every = job(
        "every",
        "1.dkr.ecr.eu-west-1.amazonaws.com/j:1",
        "rate(15 minutes)",
    );
    let mut both = job("both", "1.dkr.ecr.eu-west-1.amazonaws.com/j:1", "0 9 1 * 1");
    both.retries = 5;
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![],
        vec![both, every, weekdays],
        vec![],
    ));
    let t = template(&out, "Shop-Prod");
    let rules = of_type(&t, "AWS::Events::Rule");
    let expr = |name: &str| -> Vec<String> {
        rules
            .iter()
            .filter(|(_, r)| {
                r["Properties"]["Name"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("shop-prod-{name}"))
            })
            .map(|(_, r)| {
                r["Properties"]["ScheduleExpression"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(expr("weekdays"), ["cron(30 6 ? * MON-FRI *)"]);
    assert_eq!(expr("every"), ["rate(15 minutes)"]);
    assert_eq!(expr("both"), ["cron(0 9 1 * ? *)", "cron(0 9 ? * MON *)"]);
    assert_eq!(rules.len(), 4);
    // One permission per rule, scoped to that rule.
    let perms = of_type(&t, "AWS::Lambda::Permission");
    assert_eq!(perms.len(), 4);
    for (rule_id, rule) in &rules {
        let target = &rule["Properties"]["Targets"][0];
        let fn_id = target["Arn"]["Fn::GetAtt"][0].as_str().unwrap();
        assert!(perms.iter().any(|(_, p)| {
            p["Properties"]["Principal"] == "events.amazonaws.com"
                && p["Properties"]["SourceArn"]["Fn::GetAtt"][0] == *rule_id
                && p["Properties"]["FunctionName"]["Fn::GetAtt"][0] == fn_id
        }));
        assert!(target["DeadLetterConfig"]["Arn"].is_object());
    }
    let both_rule = rules
        .iter()
        .find(|(_, r)| r["Properties"]["Name"] == "shop-prod-both-1")
        .unwrap()
        .1;
    assert_eq!(
        both_rule["Properties"]["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"],
        5
    );
    let invoke = of_type(&t, "AWS::Lambda::EventInvokeConfig");
    assert!(invoke
        .iter()
        .any(|(_, c)| c["Properties"]["MaximumRetryAttempts"] == 2));
    assert!(out
        .notes
        .iter()
        .any(|n| n.starts_with("job both: Lambda retries")));
}

#[test]
fn public_services_get_an_http_api_with_their_routes() {
    let mut api = http("api", "1.dkr.ecr.eu-west-1.amazonaws.com/api:1", 8080);
    api.expose = Expose::Public;
    api.routes = vec!["/api".into(), "/v2/".into()];
    let mut web = http("web", "1.dkr.ecr.eu-west-1.amazonaws.com/web:1", 80);
    web.expose = Expose::Public;
    let internal = http("internal", "1.dkr.ecr.eu-west-1.amazonaws.com/i:1", 80);
    let out = lower(&model(
        &["prod"],
        &[],
        &[],
        vec![api, internal, web],
        vec![],
        vec![],
    ));
    let t = template(&out, "Shop-Prod");
    assert_eq!(of_type(&t, "AWS::ApiGatewayV2::Api").len(), 1);
    let (_, api_res) = of_type(&t, "AWS::ApiGatewayV2::Api")[0];
    assert_eq!(api_res["Properties"]["ProtocolType"], "HTTP");
    let stage = of_type(&t, "AWS::ApiGatewayV2::Stage")[0].1;
    assert_eq!(stage["Properties"]["StageName"], "$default");
    assert_eq!(stage["Properties"]["AutoDeploy"], true);
    assert!(stage["Properties"]["AccessLogSettings"]["DestinationArn"].is_object());
    let mut keys: Vec<&str> = of_type(&t, "AWS::ApiGatewayV2::Route")
        .iter()
        .map(|(_, r)| r["Properties"]["RouteKey"].as_str().unwrap())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "$default",
            "ANY /api",
            "ANY /api/{proxy+}",
            "ANY /v2",
            "ANY /v2/{proxy+}"
        ]
    );
    let integrations = of_type(&t, "AWS::ApiGatewayV2::Integration");
    assert_eq!(integrations.len(), 2, "internal services get none");
    for (_, i) in &integrations {
        assert_eq!(i["Properties"]["IntegrationType"], "AWS_PROXY");
        assert_eq!(i["Properties"]["PayloadFormatVersion"], "2.0");
    }
    let perms = of_type(&t, "AWS::Lambda::Permission");
    assert_eq!(perms.len(), 2);
    assert!(perms
        .iter()
        .all(|(_, p)| p["Properties"]["Principal"] == "apigateway.amazonaws.com"));
    assert!(t["Outputs"]
        .as_object()
        .unwrap()
        .values()
        .any(|o| o["Value"]["Fn::GetAtt"][1] == "ApiEndpoint"));
}

/// `arn:${Partition}:<service>:${Region}:${AccountId}:<rest>` as
/// `refs::arn` writes it, for comparing.
fn arn_of(service: &str, rest: &[&str]) -> Value {
    let mut parts = vec![
        serde_json::json!("arn:"),
        serde_json::json!({"Ref": "AWS::Partition"}),
        serde_json::json!(format!(":{service}:")),
        serde_json::json!({"Ref": "AWS::Region"}),
        serde_json::json!(":"),
        serde_json::json!({"Ref": "AWS::AccountId"}),
        serde_json::json!(":"),
    ];
    parts.extend(rest.iter().map(|r| serde_json::json!(r)));
    serde_json::json!({"Fn::Join": ["", parts]})
}

#[test]
fn callers_may_invoke_exactly_their_callees_and_know_their_names() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod-Acme");
    let api = function(&t, "shop-prod-acme-api");
    // The callee's own name, not a reference to it: callers never depend
    // on their callees.
    assert_eq!(
        api["Properties"]["Environment"]["Variables"]["PAYMENTS_FUNCTION_NAME"],
        "shop-prod-acme-payments"
    );
    let statements = role_statements(&t, "shop-prod-acme-api");
    let invoke: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"] == "lambda:InvokeFunction")
        .collect();
    assert_eq!(invoke.len(), 1);
    assert_eq!(
        invoke[0]["Resource"],
        arn_of("lambda", &["function:", "shop-prod-acme-payments"])
    );
    // The shared copy's caller names its own tenant's callee.
    let shared = template(&out, "Shop-Prod");
    let globex = function(&shared, "shop-prod-globex-api");
    assert_eq!(
        globex["Properties"]["Environment"]["Variables"]["PAYMENTS_FUNCTION_NAME"],
        "shop-prod-globex-payments"
    );
    function(&shared, "shop-prod-globex-payments");
    // Nobody else may invoke anything.
    for role in ["shop-prod-acme-worker", "shop-prod-acme-nightly-report"] {
        assert!(role_statements(&t, role)
            .iter()
            .all(|s| s["Action"] != "lambda:InvokeFunction"));
    }
}

#[test]
fn secrets_are_readable_by_exact_arn_and_the_env_holds_the_arn() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod");
    let statements = role_statements(&t, "shop-prod-globex-api");
    let secret = statements
        .iter()
        .find(|s| s["Action"] == "secretsmanager:GetSecretValue")
        .unwrap();
    let parts = secret["Resource"]["Fn::Join"][1].as_array().unwrap();
    assert!(parts.contains(&Value::from("prod/db/password")));
    assert_eq!(parts.last().unwrap(), "-??????");
    let api = function(&t, "shop-prod-globex-api");
    // `<KEY>_SECRET_ARN` holds the secret's ARN (without the random
    // suffix); the name stays a literal item of the join. `<KEY>` holds
    // nothing: never an ARN where code expects the value.
    let vars = &api["Properties"]["Environment"]["Variables"];
    assert!(vars.get("DB_PASSWORD").is_none(), "{vars}");
    let env = &vars["DB_PASSWORD_SECRET_ARN"]["Fn::Join"][1];
    let env = env.as_array().unwrap();
    assert_eq!(env[0], "arn:");
    assert_eq!(env.last().unwrap(), "prod/db/password");
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("`<KEY>_SECRET_ARN`, never its value")
            && n.contains("HTTP service api (DB_PASSWORD_SECRET_ARN)")));

    let mut s = service("svc", "1.dkr.ecr.eu-west-1.amazonaws.com/s:1");
    let arn = "arn:aws:secretsmanager:eu-west-1:1:secret:x-AbCdEf";
    s.secrets.insert("KEY".into(), SecretRef::Arn(arn.into()));
    let out = lower(&model(&["prod"], &[], &[], vec![s], vec![], vec![]));
    let t = template(&out, "Shop-Prod");
    let statements = role_statements(&t, "shop-prod-svc");
    assert!(statements
        .iter()
        .any(|s| s["Action"] == "secretsmanager:GetSecretValue" && s["Resource"] == arn));
}

#[test]
fn interpolation_in_env_values_stays_literal() {
    let mut s = http("api", "1.dkr.ecr.eu-west-1.amazonaws.com/api:1", 80);
    let tricky = "Hello ${USER}, 100%{done} ${AWS::Region} $${x}";
    s.env.insert("GREETING".into(), tricky.into());
    s.secrets
        .insert("S".into(), SecretRef::Name("a/${b}".into()));
    let out = lower(&model(&["prod"], &["t"], &[], vec![s], vec![], vec![]));
    let text = all_text(&out);
    assert!(!text.contains("Fn::Sub"), "no Fn::Sub anywhere");
    let t = template(&out, "Shop-Prod");
    let f = function(&t, "shop-prod-t-api");
    assert_eq!(
        f["Properties"]["Environment"]["Variables"]["GREETING"],
        tricky
    );
}

#[test]
fn logical_ids_are_cdk_shaped_unique_and_stable() {
    let m = commerce();
    let out = lower(&m);
    for (file, _) in out
        .files
        .iter()
        .filter(|(f, _)| f.ends_with(".template.json"))
    {
        let stack = file.trim_end_matches(".template.json");
        let t = template(&out, stack);
        for (id, r) in t["Resources"].as_object().unwrap() {
            let path = r["Metadata"]["aws:cdk:path"].as_str().unwrap();
            let rest = path
                .strip_prefix(&format!("{stack}/"))
                .unwrap_or_else(|| panic!("{path} not under {stack}"));
            assert!(rest.ends_with("/Resource"), "{path}");
            let components: Vec<&str> = rest.split('/').collect();
            assert_eq!(*id, make_unique_id(&components), "{path}");
            let (human, hash) = id.split_at(id.len() - 8);
            assert!(human.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
            assert!(human.starts_with(|c: char| c.is_ascii_uppercase()), "{id}");
            assert!(
                hash.chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
                "{id}"
            );
            assert!(id.len() <= 255);
        }
    }
    // A known value: a change here renames (so replaces) deployed resources.
    let t = template(&out, "Shop-Prod");
    assert_eq!(
        make_unique_id(&["Globex", "Api", "Resource"]),
        "GlobexApi279EE4CB"
    );
    assert!(t["Resources"].get("GlobexApi279EE4CB").is_some());
    // Same model, same IDs.
    let again = template(&lower(&m), "Shop-Prod");
    let keys = |t: &Value| {
        t["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&t), keys(&again));
}

/// Every file's path and bytes.
fn rendered(m: &Model) -> Vec<(String, Vec<u8>)> {
    lower(m)
        .files
        .iter()
        .map(|(p, d)| (p.clone(), render(d)))
        .collect()
}

#[test]
fn output_is_deterministic() {
    let bytes = rendered;
    let m = commerce();
    assert_eq!(bytes(&m), bytes(&m));
    assert_eq!(lower(&m).notes, lower(&m).notes);
}

/// Whether CloudFormation can tag a resource type, as the resource
/// schemas cfn-lint 1.58 ships say (`tagging.taggable`), for every type
/// the Lambda target writes; and whether its `Tags` is a map.
const TAGGING: &[(&str, Option<bool>)] = &[
    ("AWS::ApiGatewayV2::Api", Some(true)),
    ("AWS::ApiGatewayV2::Integration", None),
    ("AWS::ApiGatewayV2::Route", None),
    ("AWS::ApiGatewayV2::Stage", Some(true)),
    ("AWS::CloudWatch::Alarm", Some(false)),
    ("AWS::EC2::SecurityGroup", Some(false)),
    ("AWS::Events::Rule", Some(false)),
    ("AWS::IAM::Role", Some(false)),
    ("AWS::KMS::Key", Some(false)),
    ("AWS::Lambda::EventInvokeConfig", None),
    ("AWS::Lambda::EventSourceMapping", Some(false)),
    ("AWS::Lambda::Function", Some(false)),
    ("AWS::Lambda::Permission", None),
    ("AWS::Logs::LogGroup", Some(false)),
    ("AWS::SQS::Queue", Some(false)),
    ("AWS::SQS::QueuePolicy", None),
];

#[test]
fn every_taggable_resource_carries_the_tenant_and_app_tags() {
    let mut m = commerce();
    m.app.tags.insert("team".into(), "platform".into());
    let out = lower(&m);
    let mut seen = BTreeSet::new();
    for stack in ["Shop-Prod", "Shop-Prod-Acme"] {
        let t = template(&out, stack);
        let tenant = if stack == "Shop-Prod" {
            "globex"
        } else {
            "acme"
        };
        for (id, r) in t["Resources"].as_object().unwrap() {
            let ty = r["Type"].as_str().unwrap();
            seen.insert(ty.to_string());
            let tagging = TAGGING
                .iter()
                .find(|(t, _)| *t == ty)
                .unwrap_or_else(|| panic!("{ty} is not in the table: look it up in the schemas"))
                .1;
            let tags = &r["Properties"]["Tags"];
            let expected = [
                ("tenant", tenant),
                ("team", "platform"),
                ("environment", "prod"),
                ("app", "shop"),
                ("managed-by", "blueprint"),
            ];
            match tagging {
                Some(true) => {
                    for (k, v) in expected {
                        assert_eq!(tags[k], v, "{id} lacks {k}");
                    }
                }
                Some(false) => {
                    let tags = tags.as_array().unwrap_or_else(|| panic!("{id} untagged"));
                    for (k, v) in expected {
                        // The key is the copy's: no tenant tag on a shared key.
                        if k == "tenant" && ty == "AWS::KMS::Key" && stack == "Shop-Prod" {
                            continue;
                        }
                        assert!(
                            tags.iter().any(|t| t["Key"] == k && t["Value"] == v),
                            "{id} lacks {k}"
                        );
                    }
                }
                None => assert!(tags.is_null(), "{id} ({ty}) cannot be tagged"),
            }
        }
    }
    // The blueprint exercises every type in the table.
    let table: BTreeSet<String> = TAGGING.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(seen, table);
}

#[test]
fn images_outside_ecr_and_background_services_are_noted() {
    let bg = service("cron-like", "ghcr.io/acme/bg:1");
    let out = lower(&model(&["prod"], &[], &[], vec![bg], vec![], vec![]));
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("only from Amazon ECR") && n.contains("ghcr.io/acme/bg:1")));
    assert!(out.notes.iter().any(|n| n.contains("background service")));
}

// --- Splitting a platform copy that is over CloudFormation's quotas ---

use super::{MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
use std::collections::{BTreeMap, BTreeSet};

/// 120 services x 5 tenants: the shared stack (four tenants) and the
/// dedicated tenant's stack are both far over 500 resources.
fn big() -> Model {
    let src = crate::generate::blueprint(&crate::generate::Shape {
        services: 120,
        tenants: 5,
    });
    crate::normalize::load(&src).unwrap()
}

/// `(stack, dependencies, template)` of every artifact in the manifest.
fn assembly(out: &Output) -> Vec<(String, Vec<String>, Value)> {
    let manifest: Value =
        serde_json::from_slice(&render(out.files.get("manifest.json").unwrap())).unwrap();
    let artifacts = manifest["artifacts"].as_object().unwrap();
    assert_eq!(
        artifacts.len(),
        out.files
            .keys()
            .filter(|f| f.ends_with(".template.json"))
            .count(),
        "one artifact per template"
    );
    artifacts
        .iter()
        .map(|(name, a)| {
            assert_eq!(a["displayName"], name.as_str());
            assert_eq!(
                a["properties"]["templateFile"],
                format!("{name}.template.json").as_str()
            );
            let deps = a["dependencies"]
                .as_array()
                .map(|d| d.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (name.clone(), deps, template(out, name))
        })
        .collect()
}

/// Calls `f` on every `Ref`, `Fn::GetAtt` and `Fn::ImportValue` object.
fn intrinsics<'a>(v: &'a Value, f: &mut impl FnMut(&'a str, &'a Value)) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                let (k, x) = m.iter().next().unwrap();
                if ["Ref", "Fn::GetAtt", "Fn::ImportValue"].contains(&k.as_str()) {
                    f(k, x);
                    return;
                }
            }
            m.values().for_each(|x| intrinsics(x, f));
        }
        Value::Array(a) => a.iter().for_each(|x| intrinsics(x, f)),
        _ => {}
    }
}

fn count(t: &Value, key: &str) -> usize {
    t[key].as_object().map_or(0, |m| m.len())
}

#[test]
fn stacks_over_the_quotas_are_split_into_stacks_within_every_quota() {
    let m = big();
    let out = lower(&m);
    let stacks = assembly(&out);
    for (name, _, t) in &stacks {
        let bytes = render(out.files.get(&format!("{name}.template.json")).unwrap()).len();
        assert!(count(t, "Resources") <= MAX_RESOURCES, "{name}");
        assert!(count(t, "Parameters") <= MAX_PARAMETERS, "{name}");
        assert!(count(t, "Outputs") <= MAX_OUTPUTS, "{name}");
        assert!(bytes <= MAX_TEMPLATE_BYTES, "{name}");

        // Valid, unique CloudFormation stack names.
        assert!(name.len() <= 128, "{name}");
        assert!(
            name.starts_with(|c: char| c.is_ascii_alphabetic()),
            "{name}"
        );
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{name}"
        );
    }
    let names: Vec<&str> = stacks.iter().map(|(n, _, _)| n.as_str()).collect();
    // A stack for the shared key and parameters, one per shared tenant
    // (with parts), parts for the dedicated tenant.
    for expected in [
        "Bench-Prod",
        "Bench-Prod-Tenant00",
        "Bench-Prod-Tenant00-Part2",
        "Bench-Prod-Tenant03",
        "Bench-Prod-Tenant04",
        "Bench-Prod-Tenant04-Part2",
    ] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    let shared_core = &stacks.iter().find(|(n, _, _)| n == "Bench-Prod").unwrap().2;
    assert_eq!(
        of_type(shared_core, "AWS::KMS::Key").len(),
        count(shared_core, "Resources"),
        "the shared stack holds the key only"
    );
    assert!(out.notes.iter().any(|n| n.starts_with("stack Bench-Prod: ")
        && n.contains("one stack per shared tenant")
        && n.contains("blueprint-v1")));
    assert!(out
        .notes
        .iter()
        .any(|n| n.starts_with("stack Bench-Prod-Tenant04: ") && n.contains("-PartN")));
    assert!(!out
        .notes
        .iter()
        .any(|n| n.contains("make some tenants dedicated")));

    // Nothing is lost or duplicated: the split stacks hold exactly the
    // resources of the unsplit ones.
    let mut whole = BTreeSet::new();
    for (e, env) in m.environments.iter().enumerate() {
        for (p, platform) in env.platforms.iter().enumerate() {
            let copy = super::copy::Copy::new(&m, e, p);
            let one = super::place::one_stack(super::copy::View::new(&m, &copy));
            let bytes = super::place::write_stack(&m, &copy, &one, 0);
            let t: Value = serde_json::from_slice(&bytes).unwrap();
            for id in t["Resources"].as_object().unwrap().keys() {
                let kind = format!("{:?}", platform.kind);
                assert!(whole.insert((env.name.to_string(), kind, id.clone())));
            }
        }
    }
    let split: usize = stacks.iter().map(|(_, _, t)| count(t, "Resources")).sum();
    assert_eq!(split, whole.len());
}

#[test]
fn split_stacks_reference_each_other_only_through_exports_they_depend_on() {
    let out = lower(&big());
    let stacks = assembly(&out);
    // Export name -> stack; unique across the assembly (one region).
    let mut exports: BTreeMap<String, String> = BTreeMap::new();
    for (name, _, t) in &stacks {
        for o in t["Outputs"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if let Some(e) = o["Export"]["Name"].as_str() {
                assert!(e.len() <= 255, "{e}");
                let previous = exports.insert(e.to_string(), name.clone());
                assert!(previous.is_none(), "export {e} declared twice");
            }
        }
    }
    assert!(!exports.is_empty());
    let mut imports = 0;
    for (name, deps, t) in &stacks {
        // Only resource attributes are exported: never a parameter, which
        // could then not be changed while another stack imports it.
        let params = t["Parameters"].as_object();
        for o in t["Outputs"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if o.get("Export").is_some() {
                let value = &o["Value"];
                let id = value["Ref"]
                    .as_str()
                    .or_else(|| value["Fn::GetAtt"][0].as_str())
                    .unwrap_or_else(|| panic!("{name} exports {value}"));
                assert!(t["Resources"].get(id).is_some(), "{name} exports {id}");
                assert!(params.is_none_or(|p| !p.contains_key(id)));
            }
        }
        let mut local: BTreeSet<&str> = BTreeSet::new();
        local.extend(
            t["Resources"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str),
        );
        local.extend(
            t["Parameters"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str)),
        );
        let mut check = |kind: &str, x: &Value| match kind {
            "Ref" => {
                let id = x.as_str().unwrap();
                assert!(
                    id.starts_with("AWS::") || local.contains(id),
                    "{name}: Ref {id} is not in the template"
                );
            }
            "Fn::GetAtt" => {
                let id = x[0].as_str().unwrap();
                assert!(
                    local.contains(id),
                    "{name}: GetAtt {id} is not in the template"
                );
            }
            _ => {
                let e = x.as_str().unwrap();
                let owner = exports
                    .get(e)
                    .unwrap_or_else(|| panic!("{name}: nothing exports {e}"));
                assert_ne!(owner, name, "{name} imports its own export {e}");
                assert!(
                    deps.contains(owner),
                    "{name} imports from {owner} without depending on it"
                );
                imports += 1;
            }
        };
        intrinsics(&t["Resources"], &mut check);
        intrinsics(&t["Outputs"], &mut check);
        for (_, f) in of_type(t, "AWS::Lambda::Function") {
            // The network is the stack's own parameters.
            let subnets = &f["Properties"]["VpcConfig"]["SubnetIds"];
            assert_eq!(subnets["Ref"], "PrivateSubnetIds", "{name}");
            // A function's own resources are never split from it.
            let p = &f["Properties"];
            assert!(p["Role"].get("Fn::GetAtt").is_some());
            assert!(p["LoggingConfig"]["LogGroup"].get("Ref").is_some());
            // The tenant's security group, in this stack or imported.
            let sg = &p["VpcConfig"]["SecurityGroupIds"][0];
            assert!(sg.get("Fn::GetAtt").is_some() || sg.get("Fn::ImportValue").is_some());
        }
        // Least privilege survives: every statement names its resources.
        for (_, r) in of_type(t, "AWS::IAM::Role") {
            for policy in r["Properties"]["Policies"].as_array().into_iter().flatten() {
                for s in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                    assert_ne!(s["Resource"], "*", "{name}");
                }
            }
        }
    }
    assert!(imports > 0);

    // Dependencies name stacks of the assembly and never form a cycle.
    let deps: BTreeMap<&str, &Vec<String>> =
        stacks.iter().map(|(n, d, _)| (n.as_str(), d)).collect();
    fn visit<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, &'a Vec<String>>,
        state: &mut BTreeMap<&'a str, bool>,
    ) {
        match state.get(n) {
            Some(true) => return,
            Some(false) => panic!("dependency cycle through {n}"),
            None => {}
        }
        state.insert(n, false);
        for d in deps[n].iter() {
            assert!(deps.contains_key(d.as_str()), "unknown dependency {d}");
            visit(d, deps, state);
        }
        state.insert(n, true);
    }
    let mut state = BTreeMap::new();
    for n in deps.keys() {
        visit(n, &deps, &mut state);
    }
}

#[test]
fn splitting_is_deterministic() {
    let m = big();
    let bytes = rendered;
    assert_eq!(bytes(&m), bytes(&m));
}

#[test]
fn stacks_within_the_quotas_are_not_split() {
    let out = lower(&commerce());
    let text = all_text(&out);
    assert!(!text.contains("Fn::ImportValue"));
    assert!(!text.contains("\"dependencies\""));
    assert!(!text.contains("-Part2"));
    assert!(!out.notes.iter().any(|n| n.contains("split")));
    // And a small generated blueprint keeps one stack per platform copy.
    let src = crate::generate::blueprint(&crate::generate::Shape {
        services: 8,
        tenants: 2,
    });
    let out = lower(&crate::normalize::load(&src).unwrap());
    assert_eq!(assembly(&out).len(), 3);
    assert!(!all_text(&out).contains("Fn::ImportValue"));
}

#[test]
fn measuring_counts_exactly_the_bytes_a_stack_is_written_with() {
    let m = big();
    for (e, env) in m.environments.iter().enumerate() {
        for p in 0..env.platforms.len() {
            let copy = super::copy::Copy::new(&m, e, p);
            let counted = super::place::counted_bytes(super::copy::View::new(&m, &copy));
            let one = super::place::one_stack(super::copy::View::new(&m, &copy));
            let written = super::place::write_stack(&m, &copy, &one, 0).len();
            // The template around the entries: braces, section names, an
            // empty description, the final newline; minus the three
            // sections' first commas.
            let frame = "{\n \"Description\": \"\",\n \"Parameters\": {\n },\n \"Conditions\": {\n },\n \"Resources\": {\n },\n \"Outputs\": {\n }\n}\n".len() - 4;
            assert_eq!(counted + frame, written, "{}", copy.name);
        }
    }
}

#[test]
fn declared_resource_types_are_what_the_templates_hold() {
    // `plan` and the README count resources from what each deferred
    // template declares, without writing it.
    let out = lower(&big());
    let mut declared: BTreeMap<String, usize> = BTreeMap::new();
    let mut written: BTreeMap<String, usize> = BTreeMap::new();
    for doc in out.files.values() {
        let crate::doc::Document::Deferred(d) = doc else {
            continue;
        };
        for (t, n) in &d.resource_types {
            *declared.entry(t.clone()).or_default() += n;
        }
        let t: Value = serde_json::from_slice(&d.bytes()).unwrap();
        for r in t["Resources"].as_object().unwrap().values() {
            *written
                .entry(r["Type"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert!(declared.len() > 5, "{declared:?}");
    assert_eq!(declared, written);
}

// --- The runtime contract (issue #12) on the rendered templates ---

/// The `Environment.Variables` of the function named `name`.
fn variables<'a>(t: &'a Value, name: &str) -> &'a serde_json::Map<String, Value> {
    function(t, name)["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap_or_else(|| panic!("{name} has no environment"))
}

#[test]
fn every_function_is_told_its_own_environments_and_tenants_resources() {
    let out = lower(&commerce());
    for (stack, env, tenant, prefix) in [
        ("Shop-Prod", "prod", "globex", "shop-prod-globex"),
        ("Shop-Prod-Acme", "prod", "acme", "shop-prod-acme"),
        ("Shop-Dev", "dev", "globex", "shop-dev-globex"),
        ("Shop-Dev-Acme", "dev", "acme", "shop-dev-acme"),
    ] {
        let t = template(&out, stack);
        let orders = id_of(
            &t,
            "AWS::SQS::Queue",
            "QueueName",
            &format!("{prefix}-orders"),
        );
        let api = variables(&t, &format!("{prefix}-api"));
        assert_eq!(api["BLUEPRINT_APP"], "shop", "{stack}");
        assert_eq!(api["BLUEPRINT_ENVIRONMENT"], env, "{stack}");
        assert_eq!(api["BLUEPRINT_TENANT"], tenant, "{stack}");
        // Lambda sets AWS_REGION itself, and refuses it as a variable.
        assert!(api.get("AWS_REGION").is_none(), "{stack}");
        // This tenant's own queue, by reference (its URL).
        assert_eq!(api["ORDERS_QUEUE_URL"]["Ref"], orders.as_str(), "{stack}");
        // This tenant's own callee, by name.
        assert_eq!(
            api["PAYMENTS_FUNCTION_NAME"],
            format!("{prefix}-payments"),
            "{stack}"
        );
        function(&t, &format!("{prefix}-payments"));
        // The secret's ARN under <KEY>_SECRET_ARN, nothing under <KEY>.
        assert!(api.get("DB_PASSWORD").is_none(), "{stack}");
        assert!(api["DB_PASSWORD_SECRET_ARN"]["Fn::Join"].is_array());
        // The user's own values stay.
        assert_eq!(api["LOG_LEVEL"], "info");
        // The Web Adapter: the service's port and readiness path.
        assert_eq!(api["AWS_LWA_PORT"], "8080");
        assert_eq!(api["AWS_LWA_READINESS_CHECK_PATH"], "/");
        let worker = variables(&t, &format!("{prefix}-worker"));
        assert_eq!(worker["ORDERS_QUEUE_URL"]["Ref"], orders.as_str());
        assert!(worker.get("AWS_LWA_PORT").is_none(), "not an HTTP service");
        let job = variables(&t, &format!("{prefix}-nightly-report"));
        assert_eq!(job["ORDERS_QUEUE_URL"]["Ref"], orders.as_str());
        assert_eq!(job["BLUEPRINT_TENANT"], tenant);

        // Least privilege: exactly what it is told about.
        let statements = role_statements(&t, &format!("{prefix}-api"));
        let actions: Vec<&Value> = statements.iter().map(|s| &s["Action"]).collect();
        assert_eq!(
            actions,
            [
                &serde_json::json!(crate::aws::iam::QUEUE_PUBLISH),
                &Value::from("secretsmanager:GetSecretValue"),
                &Value::from("lambda:InvokeFunction"),
                &Value::from("kms:Decrypt"),
            ],
            "{stack}"
        );
        assert_eq!(statements[0]["Resource"]["Fn::GetAtt"][0], orders.as_str());
    }
}

#[test]
fn no_arn_is_ever_in_a_variable_named_like_a_secret() {
    let mut m = commerce();
    each_service(&mut m, |s| {
        s.secrets.insert(
            "API_KEY".into(),
            SecretRef::Arn("arn:aws:secretsmanager:eu-west-1:1:secret:k-AbCdEf".into()),
        );
    });
    let out = lower(&m);
    let mut arns = 0;
    for (_, _, t) in assembly(&out) {
        for (_, f) in of_type(&t, "AWS::Lambda::Function") {
            let vars = f["Properties"]["Environment"]["Variables"]
                .as_object()
                .unwrap();
            for (k, v) in vars {
                let text = v.to_string();
                if text.contains("arn:") || text.contains("secretsmanager") {
                    assert!(k.ends_with("_SECRET_ARN"), "{k} = {v}");
                    arns += 1;
                }
            }
            assert!(vars.get("API_KEY").is_none() && vars.get("DB_PASSWORD").is_none());
        }
    }
    assert!(arns > 0);
}

// --- Deploying, re-deploying and rolling out (issue #18) ---

#[test]
fn log_groups_and_keys_never_keep_a_failed_creates_resources_or_names() {
    let out = lower(&commerce());
    for (name, _, t) in assembly(&out) {
        for (id, r) in t["Resources"].as_object().unwrap() {
            if r["DeletionPolicy"] == "Retain" {
                panic!("{name}/{id} keeps Retain on create");
            }
            if r["Type"] == "AWS::Logs::LogGroup" || r["Type"] == "AWS::KMS::Key" {
                assert_eq!(r["DeletionPolicy"], "RetainExceptOnCreate", "{name}/{id}");
                assert_eq!(r["UpdateReplacePolicy"], "Retain", "{name}/{id}");
                // CloudFormation names them: a retained one never blocks a
                // new one.
                assert!(r["Properties"].get("LogGroupName").is_none(), "{id}");
            }
        }
    }
}

#[test]
fn no_output_exports_a_parameter_and_every_stack_declares_its_own() {
    // A split copy: parameters are declared where they are used.
    let out = lower(&big());
    for (name, _, t) in assembly(&out) {
        let params = t["Parameters"].as_object().cloned().unwrap_or_default();
        for o in t["Outputs"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            let r = o["Value"]["Ref"].as_str();
            assert!(
                r.is_none_or(|id| !params.contains_key(id)),
                "{name} outputs parameter {r:?}"
            );
        }
        let text = t.to_string();
        for p in super::copy::Param::ALL {
            let used = text.contains(&format!("{{\"Ref\":\"{}\"}}", p.id()));
            assert_eq!(used, params.contains_key(p.id()), "{name}: {}", p.id());
        }
        assert!(!text.contains("Fn::Split"), "{name}");
    }
}

/// Calls `f` on every service of every tenant in every environment.
fn each_service(m: &mut Model, mut f: impl FnMut(&mut crate::model::Service)) {
    for env in &mut m.environments {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                w.services.iter_mut().for_each(&mut f);
            }
        }
    }
}

/// A copy of `m` whose service `svc` runs `image` everywhere.
fn with_image(m: &Model, svc: &str, image: &str) -> Model {
    let mut m = m.clone();
    each_service(&mut m, |s| {
        if s.name.as_str() == svc {
            s.image = crate::model::Image::parse(image).unwrap();
        }
    });
    m
}

#[test]
fn an_image_bump_changes_the_template_and_so_rolls_out() {
    let m = commerce();
    let bumped = with_image(&m, "api", "1.dkr.ecr.eu-west-1.amazonaws.com/api:1.1");
    let (before, after) = (lower(&m), lower(&bumped));
    let t = template(&after, "Shop-Prod");
    assert_eq!(
        function(&t, "shop-prod-globex-api")["Properties"]["Code"]["ImageUri"],
        "1.dkr.ecr.eu-west-1.amazonaws.com/api:1.1"
    );
    for stack in ["Shop-Prod", "Shop-Prod-Acme", "Shop-Dev", "Shop-Dev-Acme"] {
        assert_ne!(template(&before, stack), template(&after, stack), "{stack}");
    }
    // No parameter could hold the old image back.
    assert!(t["Parameters"]
        .as_object()
        .unwrap()
        .keys()
        .all(|k| !k.ends_with("ImageUri")));
}

#[test]
fn images_from_other_registries_come_through_a_pull_through_cache() {
    let m = with_image(&commerce(), "payments", "public.ecr.aws/acme/pay:2");
    let out = lower(&m);
    let t = template(&out, "Shop-Prod");
    let uri = &function(&t, "shop-prod-globex-payments")["Properties"]["Code"]["ImageUri"];
    let parts = uri["Fn::Join"][1].as_array().unwrap();
    assert_eq!(parts[0]["Ref"], "AWS::AccountId");
    assert_eq!(parts.last().unwrap(), "/ecr-public/acme/pay:2");
    let Some(crate::doc::Document::Text(script)) = out.files.get("deploy.sh") else {
        panic!("no deploy.sh");
    };
    assert!(
        script.contains("    cache ecr-public public.ecr.aws\n"),
        "{script}"
    );
    assert!(
        script.contains("    pull ecr-public/acme/pay:2\n"),
        "{script}"
    );
}

#[test]
fn lambda_refuses_images_it_cannot_pull_and_says_what_to_set() {
    let src = |image: &str| {
        format!(
            "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: {{ image: \"{image}\", port: 80 }}\n"
        )
    };
    let fit = |image: &str| {
        let m = crate::normalize::load(&src(image)).unwrap();
        crate::normalize::fit(&m, crate::model::Target::Lambda)
    };
    for ok in [
        "1.dkr.ecr.eu-west-1.amazonaws.com/api:1",
        "public.ecr.aws/nginx/nginx:1.27",
        "ghcr.io/acme/api:1",
        "nginx:1.27",
        "quay.io/org/api@sha256:abc",
    ] {
        assert!(fit(ok).is_empty(), "{ok}: {:?}", fit(ok));
    }
    let other = fit("1.dkr.ecr.us-east-1.amazonaws.com/api:1");
    assert_eq!(other.len(), 1);
    assert!(
        other[0].message.contains("ECR in us-east-1"),
        "{}",
        other[0].message
    );
    assert!(other[0].message.contains("dkr.ecr.eu-west-1.amazonaws.com"));
    let unknown = fit("registry.example.com/api:1");
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].message.contains("registry.example.com"));
    assert!(unknown[0].message.contains("set `image`"));
    // ECS and EKS pull from anywhere.
    let m = crate::normalize::load(&src("registry.example.com/api:1")).unwrap();
    assert!(crate::normalize::fit(&m, crate::model::Target::Ecs).is_empty());
}

/// Resources of `t` that depend on each other through `Ref`, `Fn::GetAtt`
/// and `DependsOn`, and whether that graph has a cycle (cfn-lint E3004).
fn has_cycle(t: &Value) -> Option<String> {
    let resources = t["Resources"].as_object().unwrap();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, r) in resources {
        let mut to = BTreeSet::new();
        intrinsics(&r["Properties"], &mut |kind, x| {
            let target = match kind {
                "Ref" => x.as_str(),
                "Fn::GetAtt" => x[0].as_str(),
                _ => None,
            };
            if let Some(target) = target.filter(|t| resources.contains_key(*t)) {
                to.insert(target);
            }
        });
        for d in r["DependsOn"].as_array().into_iter().flatten() {
            to.insert(d.as_str().unwrap());
        }
        edges.insert(id, to);
    }
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        state: &mut BTreeMap<&'a str, bool>,
    ) -> Option<String> {
        match state.get(n) {
            Some(true) => return None,
            Some(false) => return Some(n.to_string()),
            None => {}
        }
        state.insert(n, false);
        for d in &edges[n] {
            if let Some(c) = visit(d, edges, state) {
                return Some(c);
            }
        }
        state.insert(n, true);
        None
    }
    let mut state = BTreeMap::new();
    edges.keys().find_map(|n| visit(n, &edges, &mut state))
}

#[test]
fn calls_in_a_ring_make_no_dependency_cycle() {
    let m = crate::normalize::load(include_str!("testdata/ring.yaml")).unwrap();
    let out = lower(&m);
    let stacks = assembly(&out);
    assert_eq!(stacks.len(), 2);
    for (name, _, t) in &stacks {
        assert_eq!(has_cycle(t), None, "{name}");
    }
    let t = template(&out, "Ring-Prod");
    // api -> orders -> billing -> api, each by name.
    for (caller, callee) in [("api", "orders"), ("orders", "billing"), ("billing", "api")] {
        let vars = variables(&t, &format!("ring-prod-globex-{caller}"));
        assert_eq!(
            vars[&format!("{}_FUNCTION_NAME", callee.to_uppercase())],
            format!("ring-prod-globex-{callee}")
        );
    }
    // The checker can fail: the same ring written with references is a
    // cycle.
    let mut cyclic = t.clone();
    let ids: Vec<String> = ["api", "orders", "billing"]
        .iter()
        .map(|n| {
            id_of(
                &t,
                "AWS::Lambda::Function",
                "FunctionName",
                &format!("ring-prod-globex-{n}"),
            )
        })
        .collect();
    for i in 0..3 {
        cyclic["Resources"][&ids[i]]["Properties"]["Environment"]["Variables"]["CALLEE"] =
            serde_json::json!({"Ref": ids[(i + 1) % 3]});
    }
    assert!(has_cycle(&cyclic).is_some());
}

#[test]
fn a_ring_of_calls_across_tenants_and_split_stacks_makes_no_cycle() {
    let m = crate::normalize::load(include_str!("testdata/calls33.yaml")).unwrap();
    let out = lower(&m);
    let stacks = assembly(&out);
    let names: Vec<&str> = stacks.iter().map(|(n, _, _)| n.as_str()).collect();
    for part in [
        "Calls33-Prod-Globex-Part2",
        "Calls33-Prod-Initech-Part2",
        "Calls33-Prod-Acme-Part2",
    ] {
        assert!(names.contains(&part), "{names:?}");
    }
    // Where each function is.
    let mut home: BTreeMap<String, String> = BTreeMap::new();
    for (name, _, t) in &stacks {
        assert_eq!(has_cycle(t), None, "{name}");
        for (_, f) in of_type(t, "AWS::Lambda::Function") {
            home.insert(
                f["Properties"]["FunctionName"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                name.clone(),
            );
        }
    }
    let mut across = 0;
    for (name, deps, t) in &stacks {
        for (_, f) in of_type(t, "AWS::Lambda::Function") {
            let vars = f["Properties"]["Environment"]["Variables"]
                .as_object()
                .unwrap();
            let tenant = vars["BLUEPRINT_TENANT"].as_str().unwrap();
            for (k, v) in vars.iter().filter(|(k, _)| k.ends_with("_FUNCTION_NAME")) {
                let callee = v.as_str().unwrap_or_else(|| panic!("{k} is {v}"));
                // The caller's own tenant's callee.
                assert!(
                    callee.starts_with(&format!("calls33-prod-{tenant}-")),
                    "{callee}"
                );
                if &home[callee] != name {
                    across += 1;
                }
            }
        }
        // Invoking is granted by the callee's ARN, built from its name:
        // nothing imports a function, so calls add no dependency.
        for (_, r) in of_type(t, "AWS::IAM::Role") {
            let statements = &r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
            for s in statements.as_array().into_iter().flatten() {
                if s["Action"] == "lambda:InvokeFunction" {
                    let text = s["Resource"].to_string();
                    assert!(text.contains("function:"), "{text}");
                    assert!(!text.contains("Fn::ImportValue"), "{name}: {text}");
                }
            }
        }
        assert!(deps.iter().all(|d| names.contains(&d.as_str())));
    }
    assert!(across > 0, "the ring crosses a split");
}

// --- Guard rails: concurrency, throttling, alarms ---

#[test]
fn functions_reserve_their_concurrency_and_stages_are_throttled_to_it() {
    let out = lower(&commerce());
    for (name, _, t) in assembly(&out) {
        let functions = of_type(&t, "AWS::Lambda::Function");
        for (id, f) in &functions {
            let reserved = f["Properties"]["ReservedConcurrentExecutions"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}/{id} has no reserved concurrency"));
            assert!(reserved >= 1);
        }
        for (_, stage) in of_type(&t, "AWS::ApiGatewayV2::Stage") {
            let s = &stage["Properties"]["DefaultRouteSettings"];
            // The one public service, api (scale.max 1, no requests given).
            assert_eq!(s["ThrottlingBurstLimit"], 1, "{name}");
            assert_eq!(s["ThrottlingRateLimit"], 10, "{name}");
        }
    }
    let t = template(&out, "Shop-Prod");
    let worker = function(&t, "shop-prod-globex-worker");
    assert_eq!(worker["Properties"]["ReservedConcurrentExecutions"], 20);
    let job = function(&t, "shop-prod-globex-nightly-report");
    assert_eq!(job["Properties"]["ReservedConcurrentExecutions"], 1);
    // What the environment reserves, and what the account must then hold.
    assert!(
        out.notes.iter().any(|n| n
            .starts_with("functions reserve 46 concurrent executions in all")
            && n.contains("at least 146")),
        "{:?}",
        out.notes
    );
}

#[test]
fn a_tenants_quota_holds_its_reserved_concurrency_and_its_stage() {
    let mut m = commerce();
    each_service(&mut m, |s| {
        s.scale.max = 20;
        s.scale.requests = Some(600);
    });
    // acme may run 10 replicas at a time, globex has no quota.
    let acme = m
        .tenants
        .iter_mut()
        .find(|t| t.name.as_str() == "acme")
        .unwrap();
    acme.quota.pods = Some(10);
    let out = lower(&m);
    let reserved = |t: &Value| -> u64 {
        of_type(t, "AWS::Lambda::Function")
            .iter()
            .map(|(_, f)| {
                f["Properties"]["ReservedConcurrentExecutions"]
                    .as_u64()
                    .unwrap()
            })
            .sum()
    };
    let acme = template(&out, "Shop-Prod-Acme");
    assert!(reserved(&acme) <= 10, "{}", reserved(&acme));
    let api = function(&acme, "shop-prod-acme-api");
    let api_reserved = api["Properties"]["ReservedConcurrentExecutions"]
        .as_u64()
        .unwrap();
    assert!((1..20).contains(&api_reserved));
    let stage = of_type(&acme, "AWS::ApiGatewayV2::Stage")[0].1;
    let s = &stage["Properties"]["DefaultRouteSettings"];
    assert_eq!(s["ThrottlingBurstLimit"], api_reserved);
    // 600 requests a minute per execution: 10 a second each.
    assert_eq!(s["ThrottlingRateLimit"], api_reserved * 10);
    // A worker polls no faster than it may run.
    let esm = of_type(&acme, "AWS::Lambda::EventSourceMapping")[0].1;
    let worker = function(&acme, "shop-prod-acme-worker");
    assert!(
        esm["Properties"]["ScalingConfig"]["MaximumConcurrency"]
            .as_u64()
            .unwrap()
            <= worker["Properties"]["ReservedConcurrentExecutions"]
                .as_u64()
                .unwrap()
                .max(2)
    );
    assert!(out
        .notes
        .iter()
        .any(|n| n.contains("instead of 20") && n.contains("quota (pods 10)")));
    // Without a quota: scale.max each.
    let globex = template(&out, "Shop-Prod");
    assert_eq!(
        function(&globex, "shop-prod-globex-api")["Properties"]["ReservedConcurrentExecutions"],
        20
    );
}

#[test]
fn failures_throttles_dead_letters_and_server_errors_raise_alarms() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod");
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let watching = |metric: &str, value: &Value| {
        alarms.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["MetricName"] == metric && p["Dimensions"][0]["Value"] == *value
        })
    };
    for (_, f) in of_type(&t, "AWS::Lambda::Function") {
        let name = &f["Properties"]["FunctionName"];
        assert!(watching("Errors", name), "{name}");
        assert!(watching("Throttles", name), "{name}");
    }
    for dlq in [
        "shop-prod-globex-orders-dlq",
        "shop-prod-globex-nightly-report-dlq",
    ] {
        assert!(watching(
            "ApproximateNumberOfMessagesVisible",
            &Value::from(dlq)
        ));
    }
    let (api, _) = of_type(&t, "AWS::ApiGatewayV2::Api")[0];
    assert!(watching("5xx", &serde_json::json!({"Ref": api})));
    // Each notifies the topic the stack is given, if any.
    assert_eq!(t["Parameters"]["AlarmTopicArn"]["Default"], "");
    assert!(t["Conditions"]["AlarmTopicGiven"]["Fn::Not"].is_array());
    for (id, a) in &alarms {
        let actions = &a["Properties"]["AlarmActions"]["Fn::If"];
        assert_eq!(actions[0], "AlarmTopicGiven", "{id}");
        assert_eq!(actions[1][0]["Ref"], "AlarmTopicArn", "{id}");
        assert_eq!(actions[2]["Ref"], "AWS::NoValue", "{id}");
    }
}

// --- deploy.sh, run against a stand-in AWS CLI ---

/// Runs the assembly's `deploy.sh` with stand-ins for `aws` and `docker`
/// that log their arguments; returns the exit status, the log (one
/// invocation a line) and stderr.
fn run_deploy(out: &Output, env: &[(&str, &str)], args: &[&str]) -> (i32, Vec<String>, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (path, doc) in &out.files {
        std::fs::write(dir.path().join(path), render(doc)).unwrap();
    }
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("calls.log");
    let stub = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\necho \"{name} $*\" >> {}\n{body}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    stub(
        "aws",
        "case \"$*\" in\n  *get-account-settings*) echo \"${STUB_QUOTA:-100000}\" ;;\n  *get-caller-identity*) echo 123456789012 ;;\n  *describe-pull-through-cache-rules*) exit 254 ;;\nesac\nexit 0",
    );
    stub("docker", "exit 0");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let output = std::process::Command::new("sh")
        .arg(dir.path().join("deploy.sh"))
        .args(args)
        .env_clear()
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (
        output.status.code().unwrap_or(-1),
        calls.lines().map(String::from).collect(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn deploy_sh_deploys_every_stack_after_its_dependencies_with_what_it_needs() {
    let out = lower(&big());
    let env = [
        ("BUCKET", "templates"),
        ("VPC_ID", "vpc-1"),
        ("PRIVATE_SUBNET_IDS", "subnet-1,subnet-2"),
    ];
    let (status, calls, stderr) = run_deploy(&out, &env, &[]);
    assert_eq!(status, 0, "{stderr}");
    let deploys: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("aws cloudformation deploy"))
        .collect();
    let stacks = assembly(&out);
    assert_eq!(deploys.len(), stacks.len(), "every stack once");
    let arg = |c: &str, flag: &str| -> Option<String> {
        let words: Vec<&str> = c.split(' ').collect();
        let i = words.iter().position(|w| *w == flag)?;
        Some(words[i + 1].to_string())
    };
    let order: Vec<String> = deploys
        .iter()
        .map(|c| arg(c, "--stack-name").unwrap())
        .collect();
    for (name, deps, t) in &stacks {
        let at = order.iter().position(|n| n == name).unwrap();
        for d in deps {
            assert!(
                order.iter().position(|n| n == d).unwrap() < at,
                "{name} before its dependency {d}"
            );
        }
        let call = deploys[at];
        let bytes = render(&out.files[&format!("{name}.template.json")]).len();
        // Through S3 when over the inline limit.
        if bytes > crate::aws::names::lambda::TEMPLATE_BODY_MAX_BYTES {
            assert_eq!(
                arg(call, "--s3-bucket").as_deref(),
                Some("templates"),
                "{name}"
            );
        }
        // Every parameter without a default, with its value.
        for (p, spec) in t["Parameters"].as_object().into_iter().flatten() {
            if spec.get("Default").is_none() {
                let given = call
                    .split(' ')
                    .any(|w| w.starts_with(&format!("{p}=")) && w.len() > p.len() + 1);
                assert!(given, "{name}: {p} not passed: {call}");
            }
        }
        assert!(call.contains("--capabilities CAPABILITY_NAMED_IAM"));
    }
    // It checks the account's concurrency first, per environment.
    assert!(
        calls[0].starts_with("aws lambda get-account-settings"),
        "{calls:?}"
    );

    // Without the bucket it stops before deploying anything, and says why.
    let (status, calls, stderr) = run_deploy(&out, &env[1..], &["prod"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("set BUCKET"), "{stderr}");
    assert!(calls.iter().all(|c| !c.contains("cloudformation")));
    // An unknown environment is refused.
    let (status, _, stderr) = run_deploy(&out, &env, &["qa"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no environment qa"), "{stderr}");
    // So is an account whose concurrency quota cannot hold the
    // reservations, before anything is deployed.
    let small = [env.as_slice(), &[("STUB_QUOTA", "1000")]].concat();
    let (status, calls, stderr) = run_deploy(&out, &small, &["prod"]);
    assert_eq!(status, 1);
    assert!(stderr.contains("Service Quotas"), "{stderr}");
    assert!(calls.iter().all(|c| !c.contains("cloudformation")));
}

#[test]
fn deploy_sh_sets_up_the_pull_through_cache_before_the_stacks() {
    let m = with_image(&commerce(), "payments", "ghcr.io/acme/pay:2");
    let out = lower(&m);
    let env = [
        ("BUCKET", "b"),
        ("VPC_ID", "vpc-1"),
        ("PRIVATE_SUBNET_IDS", "subnet-1"),
    ];
    // ghcr.io needs credentials the first time.
    let (status, _, stderr) = run_deploy(&out, &env, &["prod"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("set GHCR_CREDENTIAL_ARN"), "{stderr}");
    let env = [
        env.as_slice(),
        &[(
            "GHCR_CREDENTIAL_ARN",
            "arn:aws:secretsmanager:eu-west-1:1:secret:ecr-pullthroughcache/ghcr-AbCdEf",
        )],
    ]
    .concat();
    let (status, calls, stderr) = run_deploy(&out, &env, &["prod"]);
    assert_eq!(status, 0, "{stderr}");
    let rule = calls
        .iter()
        .position(|c| c.starts_with("aws ecr create-pull-through-cache-rule") && c.contains("--ecr-repository-prefix github --upstream-registry-url ghcr.io --credential-arn arn:"))
        .unwrap_or_else(|| panic!("{calls:?}"));
    let pull = calls
        .iter()
        .position(|c| c == "docker pull --quiet 123456789012.dkr.ecr.eu-west-1.amazonaws.com/github/acme/pay:2")
        .unwrap_or_else(|| panic!("{calls:?}"));
    let first_stack = calls
        .iter()
        .position(|c| c.starts_with("aws cloudformation deploy"))
        .unwrap();
    assert!(rule < pull && pull < first_stack, "{calls:?}");
}

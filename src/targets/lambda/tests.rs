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
    // The image is a parameter CI can bump, defaulting to the blueprint's.
    assert_eq!(f["Properties"]["Code"]["ImageUri"]["Ref"], "WebImageUri");
    assert_eq!(
        t["Parameters"]["WebImageUri"]["Default"],
        "1.dkr.ecr.us-east-1.amazonaws.com/web:1"
    );
    for (_, p) in t["Parameters"].as_object().unwrap() {
        assert!(p["Description"].is_string(), "{p}");
    }
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

#[test]
fn callers_may_invoke_exactly_their_callees_and_know_their_names() {
    let out = lower(&commerce());
    let t = template(&out, "Shop-Prod-Acme");
    let payments = id_of(
        &t,
        "AWS::Lambda::Function",
        "FunctionName",
        "shop-prod-acme-payments",
    );
    let api = function(&t, "shop-prod-acme-api");
    assert_eq!(
        api["Properties"]["Environment"]["Variables"]["PAYMENTS_FUNCTION_NAME"]["Ref"],
        payments.as_str()
    );
    let statements = role_statements(&t, "shop-prod-acme-api");
    let invoke: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Action"] == "lambda:InvokeFunction")
        .collect();
    assert_eq!(invoke.len(), 1);
    assert_eq!(invoke[0]["Resource"]["Fn::GetAtt"][0], payments.as_str());
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
    // The variable holds the secret's ARN (without the random suffix); the
    // name stays a literal item of the join.
    let env = &api["Properties"]["Environment"]["Variables"]["DB_PASSWORD"]["Fn::Join"][1];
    let env = env.as_array().unwrap();
    assert_eq!(env[0], "arn:");
    assert_eq!(env.last().unwrap(), "prod/db/password");

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

#[test]
fn every_taggable_resource_carries_the_tenant_and_app_tags() {
    let mut m = commerce();
    m.app.tags.insert("team".into(), "platform".into());
    let out = lower(&m);
    let t = template(&out, "Shop-Prod");
    for (id, r) in t["Resources"].as_object().unwrap() {
        let ty = r["Type"].as_str().unwrap();
        let tags = &r["Properties"]["Tags"];
        match ty {
            "AWS::ApiGatewayV2::Api" | "AWS::ApiGatewayV2::Stage" => {
                assert_eq!(tags["tenant"], "globex", "{id}");
                assert_eq!(tags["team"], "platform", "{id}");
            }
            "AWS::KMS::Key" => assert!(tags.is_array(), "{id}"),
            "AWS::Lambda::Function"
            | "AWS::IAM::Role"
            | "AWS::SQS::Queue"
            | "AWS::Logs::LogGroup"
            | "AWS::EC2::SecurityGroup"
            | "AWS::Lambda::EventSourceMapping" => {
                let tags = tags.as_array().unwrap_or_else(|| panic!("{id} untagged"));
                for (k, v) in [
                    ("tenant", "globex"),
                    ("team", "platform"),
                    ("environment", "prod"),
                ] {
                    assert!(
                        tags.iter().any(|t| t["Key"] == k && t["Value"] == v),
                        "{id} lacks {k}"
                    );
                }
            }
            _ => assert!(
                tags.is_null(),
                "{id} ({ty}) has tags the test does not check"
            ),
        }
    }
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
            let one = super::place::one_stack(&copy);
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
    let mut list_imports = 0;
    for (name, deps, t) in &stacks {
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
        // Lists cross as joined strings.
        for (_, f) in of_type(t, "AWS::Lambda::Function") {
            let subnets = &f["Properties"]["VpcConfig"]["SubnetIds"];
            if subnets.get("Fn::Split").is_some() {
                assert_eq!(subnets["Fn::Split"][0], ",");
                list_imports += 1;
            }
            // A function's own resources are never split from it.
            let p = &f["Properties"];
            assert!(p["Role"].get("Fn::GetAtt").is_some());
            assert!(p["LoggingConfig"]["LogGroup"].get("Ref").is_some());
            assert!(p["VpcConfig"]["SecurityGroupIds"][0]
                .get("Fn::GetAtt")
                .is_some());
            assert!(p["Code"]["ImageUri"].get("Ref").is_some());
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
    assert!(imports > 0 && list_imports > 0);

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
            let one = super::place::one_stack(&copy);
            let written = super::place::write_stack(&m, &copy, &one, 0).len();
            // The template around the entries: braces, section names, an
            // empty description, the final newline; minus the three
            // sections' first commas.
            let frame = "{\n \"Description\": \"\",\n \"Parameters\": {\n },\n \"Resources\": {\n },\n \"Outputs\": {\n }\n}\n".len() - 3;
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

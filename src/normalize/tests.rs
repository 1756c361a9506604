//! One small blueprint per rule; each asserts the message, path and line.

use super::*;
use crate::model::*;

const CONTRACT: &str = include_str!("testdata/contract.yaml");
/// Lines 1-3.
const HEAD: &str = "version: 1\nname: shop\nregion: eu-central-1\n";

fn ok(src: &str) -> Model {
    load(src).unwrap_or_else(|d| panic!("{d:#?}"))
}

fn errs(src: &str) -> Vec<Diagnostic> {
    match load(src) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(d) => d,
    }
}

/// Exactly one diagnostic.
fn one(src: &str) -> Diagnostic {
    let d = errs(src);
    assert_eq!(d.len(), 1, "{d:#?}");
    d.into_iter().next().unwrap()
}

/// HEAD plus one service `api` with `body` (lines from 6, indented 4).
fn svc(body: &str) -> String {
    format!("{HEAD}services:\n  api:\n    image: nginx:1\n{body}")
}

fn assert_diag(d: &Diagnostic, path: &str, line: usize, msg: &str) {
    assert_eq!(d.yaml_path, path, "{d:#?}");
    assert_eq!(d.line, Some(line), "{d:#?}");
    assert!(
        d.message.contains(msg),
        "`{}` does not contain `{msg}`",
        d.message
    );
}

fn single(m: &Model) -> &Workloads {
    &m.environments[0].platforms[0].tenants[0]
}

fn service<'a>(w: &'a Workloads, name: &str) -> &'a Service {
    w.services.iter().find(|s| s.name.as_str() == name).unwrap()
}

fn tenant_workloads<'a>(m: &'a Model, env: &str, tenant: &str) -> &'a Workloads {
    let e = m
        .environments
        .iter()
        .find(|e| e.name.as_str() == env)
        .unwrap();
    e.all_workloads()
        .map(|(_, w)| w)
        .find(|w| w.tenant.as_ref().map(Name::as_str) == Some(tenant))
        .unwrap()
}

// ---- the contract example ----

#[test]
fn contract_example_loads_without_diagnostics() {
    let m = ok(CONTRACT);
    assert_eq!(m.app.name.as_str(), "commerce");
    assert_eq!(
        m.app.tags.get("cost-center").map(String::as_str),
        Some("4242")
    );
    let envs: Vec<_> = m.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["dev", "prod"]);
    let tenants: Vec<_> = m
        .tenants
        .iter()
        .map(|t| (t.name.as_str(), t.tier))
        .collect();
    assert_eq!(
        tenants,
        [("acme", Tier::Dedicated), ("globex", Tier::Shared)]
    );
    let prod = &m.environments[1];
    let kinds: Vec<_> = prod.platforms.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            PlatformKind::Shared,
            PlatformKind::Dedicated(Name::new_unchecked("acme"))
        ]
    );
    assert_eq!(m.queues.len(), 1);
    assert_eq!(
        m.queues[0].dead_letter,
        Some(DeadLetter { max_receives: 5 })
    );
    assert_eq!(m.queues[0].visibility_timeout.secs(), 60);
}

#[test]
fn contract_overrides_environment_then_tenant() {
    let m = ok(CONTRACT);
    let prod_globex = service(tenant_workloads(&m, "prod", "globex"), "api");
    let prod_acme = service(tenant_workloads(&m, "prod", "acme"), "api");
    assert_eq!(prod_globex.image.reference, "1.3.9");
    assert_eq!(prod_acme.image.reference, "1.4.2");
    for api in [prod_globex, prod_acme] {
        assert_eq!(api.cpu, Cpu::from_millis(1000));
        assert_eq!(api.memory, Memory::from_mib(2048));
        assert_eq!((api.scale.min, api.scale.max), (3, 20));
        // Maps merge: the base's other scale targets stay.
        assert_eq!(api.scale.cpu, Some(70));
        assert_eq!(api.scale.requests, Some(1000));
        assert_eq!(api.routes, ["/api"]);
    }
    let dev_acme = service(tenant_workloads(&m, "dev", "acme"), "api");
    assert_eq!((dev_acme.scale.min, dev_acme.scale.max), (1, 2));
    assert_eq!(dev_acme.cpu, Cpu::from_millis(500));
    let dev_globex = service(tenant_workloads(&m, "dev", "globex"), "api");
    assert_eq!(dev_globex.image.reference, "1.3.9");
    assert_eq!((dev_globex.scale.min, dev_globex.scale.max), (1, 2));
    // Untouched services are the base.
    assert_eq!(
        service(tenant_workloads(&m, "dev", "acme"), "worker")
            .scale
            .max,
        20
    );
}

#[test]
fn lists_replace_and_tenant_applies_after_environment() {
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a:1\n    command: [a, b]\n    env: {{ A: '1', B: '2' }}\n\
tenants:\n  t1:\n    overrides: {{ services: {{ api: {{ image: a:3, env: {{ B: '4' }} }} }} }}\n\
environments:\n  dev:\n    overrides: {{ services: {{ api: {{ image: a:2, command: [c] }} }} }}\n"
    );
    let m = ok(&src);
    let api = service(tenant_workloads(&m, "dev", "t1"), "api");
    assert_eq!(api.image.reference, "a:3".split(':').nth(1).unwrap());
    assert_eq!(api.command.as_deref(), Some(&["c".to_string()][..]));
    assert_eq!(api.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(api.env.get("B").map(String::as_str), Some("4"));
}

#[test]
fn override_errors_point_at_the_override() {
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a:1\nenvironments:\n  dev:\n    overrides:\n      services:\n        api:\n          cpu: lots\n"
    );
    let d = one(&src);
    assert_diag(
        &d,
        "environments.dev.overrides.services.api.cpu",
        12,
        "not a CPU amount",
    );
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a:1\nenvironments:\n  dev:\n    overrides:\n      services:\n        api:\n          imgae: x\n"
    );
    let d = one(&src);
    assert_diag(
        &d,
        "environments.dev.overrides.services.api.imgae",
        12,
        "unknown key `imgae`",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `image`?"));
}

#[test]
fn override_keys_must_name_existing_workloads() {
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a:1\ntenants:\n  t1:\n    overrides:\n      services:\n        apx: {{ cpu: 1 }}\n      jobs:\n        api: {{ cpu: 1 }}\n"
    );
    let d = errs(&src);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_diag(
        &d[0],
        "tenants.t1.overrides.services.apx",
        11,
        "service `apx`, which is not declared",
    );
    assert_eq!(d[0].help.as_deref(), Some("did you mean `api`?"));
    assert_diag(&d[1], "tenants.t1.overrides.jobs.api", 13, "job `api`");
}

// ---- model shape ----

#[test]
fn default_prod_environment_and_single_tenant_platform() {
    let m = ok(&svc(""));
    assert_eq!(m.environments.len(), 1);
    assert_eq!(m.environments[0].name.as_str(), "prod");
    let p = &m.environments[0].platforms;
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].kind, PlatformKind::Single);
    assert_eq!(p[0].tenants.len(), 1);
    assert_eq!(p[0].tenants[0].tenant, None);
    assert!(m.tenants.is_empty());
}

#[test]
fn defaults() {
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a:1\n    port: 80\n    expose: public\n    health: {{}}\n\
jobs:\n  j:\n    schedule: rate(1 hour)\n    image: b\nqueues:\n  q: {{}}\n"
    );
    let m = ok(&src);
    let w = single(&m);
    let api = &w.services[0];
    assert_eq!(api.cpu, Cpu::from_millis(250));
    assert_eq!(api.memory, Memory::from_mib(512));
    assert_eq!(api.routes, ["/"]);
    assert_eq!((api.scale.min, api.scale.max), (1, 1));
    assert_eq!((api.spot, api.stateful), (0, false));
    assert_eq!(api.kind(), ServiceKind::Http);
    let h = api.health.as_ref().unwrap();
    assert_eq!(
        (
            h.path.as_str(),
            h.interval.secs(),
            h.timeout.secs(),
            h.retries,
            h.grace.secs()
        ),
        ("/", 30, 5, 3, 0)
    );
    let j = &w.jobs[0];
    assert_eq!((j.timeout.secs(), j.retries, j.spot), (900, 0, 0));
    let q = &m.queues[0];
    assert_eq!(
        (q.visibility_timeout.secs(), q.retention.secs(), q.fifo),
        (30, 4 * 86400, false)
    );
    assert_eq!(q.dead_letter, Some(DeadLetter { max_receives: 5 }));
    // Internal services get no routes; scale max follows min.
    let m = ok(&svc("    scale: { min: 4 }\n"));
    let api = &single(&m).services[0];
    assert!(api.routes.is_empty());
    assert_eq!((api.scale.min, api.scale.max), (4, 4));
    assert_eq!(api.kind(), ServiceKind::Background);
}

#[test]
fn scalars_keep_their_text() {
    let m = ok(&svc(
        "    env: { A: 0123, B: yes, C: 1.10, D: null, E: ~, F: , G: '${x}' }\n",
    ));
    let env = &single(&m).services[0].env;
    let got: Vec<_> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        got,
        ["A=0123", "B=yes", "C=1.10", "D=null", "E=~", "F=", "G=${x}"]
    );
}

#[test]
fn sorted_and_deduplicated() {
    let src = format!(
        "{HEAD}services:\n  zed:\n    image: a\n    publishes: [b, a, b]\n  api:\n    image: a\n    port: 1\n\
queues:\n  b: {{}}\n  a: {{}}\ntenants:\n  zz: {{}}\n  aa: {{}}\nenvironments:\n  stage:\n  dev:\n"
    );
    let m = ok(&src);
    let names: Vec<_> = m.environments[0].platforms[0].tenants[0]
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["api", "zed"]);
    let zed = &m.environments[0].platforms[0].tenants[0].services[1];
    assert_eq!(
        zed.publishes,
        [Name::new_unchecked("a"), Name::new_unchecked("b")]
    );
    let q: Vec<_> = m.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(q, ["a", "b"]);
    let t: Vec<_> = m.tenants.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(t, ["aa", "zz"]);
    let e: Vec<_> = m.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(e, ["dev", "stage"]);
    let ts: Vec<_> = m.environments[0].platforms[0]
        .tenants
        .iter()
        .map(|w| w.tenant.clone().unwrap())
        .collect();
    assert_eq!(ts, [Name::new_unchecked("aa"), Name::new_unchecked("zz")]);
}

#[test]
fn shuffled_key_order_gives_an_equal_model() {
    let a = ok(CONTRACT);
    let shuffled = "\
environments:
  prod:  { overrides: { services: { api: { scale: { max: 20, min: 3 }, memory: 2Gi, cpu: 1 } } } }
  dev:   { overrides: { services: { api: { scale: { max: 2, min: 1 } } } } }
tenants:
  globex:
    overrides:
      services: { api: { image: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:1.3.9 } }
    quota: { pods: 20, memory: 12Gi, cpu: 6 }
    tier: shared
  acme:   { quota: { pods: 40, cpu: 8, memory: 16Gi }, tier: dedicated }
jobs:
  nightly-report:
    publishes: [orders]
    retries: 1
    timeout: 10m
    memory: 2Gi
    cpu: 1
    command: [\"report\", \"--daily\"]
    image: ghcr.io/acme/reports:1.0.0
    schedule: \"0 2 * * *\"
queues:
  orders:
    dead_letter: { max_receives: 5 }
    fifo: false
    retention: 4d
    visibility_timeout: 60s
services:
  worker:
    spot: 100
    scale: { queue_depth: 100, max: 20, min: 0 }
    consumes: [orders]
    image: ghcr.io/acme/worker:1.4.2
  payments:
    port: 9000
    image: ghcr.io/acme/payments:2.0.1
  api:
    calls: [payments]
    publishes: [orders]
    spot: 80
    scale: { requests: 1000, memory: 80, cpu: 70, max: 10, min: 2 }
    routes: [\"/api\"]
    expose: public
    health: { grace: 60s, retries: 3, timeout: 5s, interval: 30s, path: /health }
    secrets: { DB_PASSWORD: prod/db/password }
    env: { LOG_LEVEL: info }
    command: [\"node\", \"server.js\"]
    memory: 1Gi
    cpu: 0.5
    port: 8080
    image: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:1.4.2
network:
  public_subnets: [subnet-0ccc3333, subnet-0ddd4444]
  private_subnets: [subnet-0aaa1111, subnet-0bbb2222]
  vpc_id: vpc-0a1b2c3d4e5f60718
tags: { cost-center: \"4242\", team: platform }
region: eu-central-1
name: commerce
version: 1
";
    assert_eq!(a, ok(shuffled));
}

// ---- all errors at once, unknown keys ----

#[test]
fn three_unrelated_errors_give_three_diagnostics() {
    let src = format!("{HEAD}services:\n  api:\n    image: a\n    port: 99999\n    spot: 101\n    stateful: yes\n");
    let d = errs(&src);
    assert_eq!(d.len(), 3, "{d:#?}");
    assert_diag(&d[0], "services.api.port", 7, "out of range");
    assert_diag(&d[1], "services.api.spot", 8, "out of range");
    assert_diag(&d[2], "services.api.stateful", 9, "not a boolean");
    assert_eq!(d[2].help.as_deref(), Some("write `true`"));
}

#[test]
fn unknown_keys_everywhere_with_suggestions_and_lines() {
    let src = "version: 1\nname: shop\nregion: eu-central-1\nregoin: x\nservices:\n  api:\n    imagee: a\n    image: a\n    port: 80\n    health: { pth: /x }\n    scale: { mni: 1 }\n\
queues:\n  q: { dead_letter: { max_recieves: 3 }, fifoo: true }\nnetwork: { vpc: x, vpc_id: vpc-1, private_subnets: [subnet-1] }\n\
tenants:\n  t: { quota: { pod: 1 }, overide: {} }\nenvironments:\n  dev: { overrides: { service: {} } }\n";
    let d = errs(src);
    let got: Vec<_> = d
        .iter()
        .map(|d| {
            (
                d.line.unwrap(),
                d.yaml_path.as_str(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect();
    let want = [
        (4, "regoin", "did you mean `region`?"),
        (7, "services.api.imagee", "did you mean `image`?"),
        (10, "services.api.health.pth", "did you mean `path`?"),
        (11, "services.api.scale.mni", "did you mean `min`?"),
        (
            13,
            "queues.q.dead_letter.max_recieves",
            "did you mean `max_receives`?",
        ),
        (13, "queues.q.fifoo", "did you mean `fifo`?"),
        (14, "network.vpc", "did you mean `vpc_id`?"),
        (16, "tenants.t.quota.pod", "did you mean `pods`?"),
        (16, "tenants.t.overide", "did you mean `overrides`?"),
        (
            18,
            "environments.dev.overrides.service",
            "did you mean `services`?",
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(l, p, h)| (*l, *p, h.to_string()))
        .collect();
    assert_eq!(got, want, "{d:#?}");
    let far = one(&svc("    zzzzzzz: 1\n"));
    assert_diag(
        &far,
        "services.api.zzzzzzz",
        7,
        "unknown key `zzzzzzz` in service `api`",
    );
    assert!(far.help.unwrap().starts_with("known keys: `image`, `port`"));
}

// ---- top level ----

#[test]
fn top_level_rules() {
    let d = errs("services:\n  api: { image: a }\n");
    let msgs: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs.len(), 3, "{d:#?}");
    assert!(msgs.iter().all(|m| m.contains("missing the required key")));
    assert_diag(
        &one("version: 2\nname: shop\nregion: eu-central-1\njobs: {}\nservices: {a: {image: x}}\n"),
        "version",
        1,
        "unsupported blueprint version `2`",
    );
    assert_diag(
        &one("version: 1\nname: Shop\nregion: eu-central-1\nservices: {a: {image: x}}\n"),
        "name",
        2,
        "invalid application name",
    );
    assert_diag(
        &one(&format!(
            "version: 1\nname: {}\nregion: eu-central-1\nservices: {{a: {{image: x}}}}\n",
            "a".repeat(29)
        )),
        "name",
        2,
        "at most 28",
    );
    for bad in [
        "eu",
        "eu-central",
        "EU-central-1",
        "eu-central-x",
        "europe-central-1",
        "eu--1",
    ] {
        let d = one(&format!(
            "version: 1\nname: shop\nregion: {bad}\nservices: {{a: {{image: x}}}}\n"
        ));
        assert_diag(&d, "region", 3, "not an AWS region");
    }
    for good in ["us-gov-west-1", "ap-southeast-2", "eu-central-1"] {
        ok(&format!(
            "version: 1\nname: shop\nregion: {good}\nservices: {{a: {{image: x}}}}\n"
        ));
    }
    assert_diag(
        &one(&format!("{HEAD}services: {{}}\n")),
        "services",
        4,
        "no services and no jobs",
    );
    assert_diag(&one(HEAD), "", 1, "no services and no jobs");
    assert_eq!(one("").message, "the blueprint is empty");
    assert!(one("[1, 2]\n").message.contains("must be a map"));
    assert!(one("a: 1\n---\nb: 2\n")
        .message
        .contains("more than one YAML document"));
    let d =
        one("version: 1\nname: shop\nname: x\nregion: eu-central-1\nservices: {a: {image: x}}\n");
    assert_diag(&d, "name", 3, "duplicate key `name`");
    let d = one("version: 1\nname: [shop\n");
    assert!(d.message.starts_with("YAML syntax error"), "{d:?}");
}

#[test]
fn tags_rules() {
    let m = ok(&svc("").replace(
        "region: eu-central-1\n",
        "region: eu-central-1\ntags: { team: a, n: 1 }\n",
    ));
    assert_eq!(m.app.tags.get("n").map(String::as_str), Some("1"));
    let with_tags = |t: &str| {
        svc("").replace(
            "region: eu-central-1\n",
            &format!("region: eu-central-1\ntags: {t}\n"),
        )
    };
    assert_diag(
        &one(&with_tags("{ 'aws:x': a }")),
        "tags.aws:x",
        4,
        "reserves",
    );
    assert_diag(
        &one(&with_tags(&format!("{{ {}: a }}", "k".repeat(129)))),
        &format!("tags.{}", "k".repeat(129)),
        4,
        "1 to 128",
    );
    assert_diag(
        &one(&with_tags(&format!("{{ k: {} }}", "v".repeat(257)))),
        "tags.k",
        4,
        "longer than 256",
    );
    assert_diag(&one(&with_tags("[a]")), "tags", 4, "must be a map");
}

#[test]
fn network_rules() {
    let net = |n: &str, body: &str| {
        svc(body).replace(
            "region: eu-central-1\n",
            &format!("region: eu-central-1\nnetwork: {n}\n"),
        )
    };
    let m = ok(&net(
        "{ vpc_id: vpc-0a1b, private_subnets: [subnet-01] }",
        "",
    ));
    assert_eq!(m.app.network.unwrap().private_subnets, ["subnet-01"]);
    assert_diag(
        &one(&net("{ private_subnets: [subnet-01] }", "")),
        "network",
        4,
        "missing the required key `vpc_id`",
    );
    assert_diag(
        &one(&net(
            "{ vpc_id: vpc-xyz, private_subnets: [subnet-01] }",
            "",
        )),
        "network.vpc_id",
        4,
        "not a VPC id",
    );
    assert_diag(
        &one(&net("{ vpc_id: vpc-01, private_subnets: [] }", "")),
        "network.private_subnets",
        4,
        "at least one subnet",
    );
    assert_diag(
        &one(&net("{ vpc_id: vpc-01, private_subnets: [sub-1] }", "")),
        "network.private_subnets[0]",
        4,
        "not a subnet id",
    );
    assert_diag(
        &one(&net("{ vpc_id: vpc-01 }", "")),
        "network",
        4,
        "missing the required key `private_subnets`",
    );
    // A public service needs two public subnets when the network is given.
    let public = "    port: 80\n    expose: public\n";
    let d = one(&net(
        "{ vpc_id: vpc-01, private_subnets: [subnet-01], public_subnets: [subnet-02] }",
        public,
    ));
    assert_diag(
        &d,
        "network.public_subnets",
        4,
        "at least 2 `public_subnets`",
    );
    ok(&net(
        "{ vpc_id: vpc-01, private_subnets: [subnet-01], public_subnets: [subnet-02, subnet-03] }",
        public,
    ));
    ok(&svc(public));
}

// ---- names ----

#[test]
fn name_rules() {
    let d = one(&format!(
        "{HEAD}services:\n  Api:\n    image: a\n  b:\n    image: a\n"
    ));
    assert_diag(&d, "services.Api", 5, "invalid service name");
    let long = "a".repeat(33);
    assert_diag(
        &one(&format!("{HEAD}services:\n  {long}:\n    image: a\n")),
        &format!("services.{long}"),
        5,
        "at most 32",
    );
    ok(&format!(
        "{HEAD}services:\n  {}:\n    image: a\n",
        "a".repeat(32)
    ));
    let d = one(&format!("{HEAD}services:\n  a:\n    image: a\njobs:\n  a:\n    image: a\n    schedule: rate(1 hour)\n"));
    assert_diag(&d, "jobs.a", 8, "both a service and a job");
    let d = one(&format!(
        "{}tenants:\n  {}: {{}}\n",
        svc(""),
        "t".repeat(17)
    ));
    assert_diag(&d, &format!("tenants.{}", "t".repeat(17)), 8, "at most 16");
    let d = one(&format!("{}environments:\n  Dev:\n", svc("")));
    assert_diag(&d, "environments.Dev", 8, "invalid environment name");
    let d = one(&format!("{}queues:\n  q_1: {{}}\n", svc("")));
    assert_diag(&d, "queues.q_1", 8, "invalid queue name");
}

// ---- services ----

#[test]
fn service_value_rules() {
    assert_diag(
        &one(&format!("{HEAD}services:\n  api:\n    port: 80\n")),
        "services.api",
        5,
        "missing the required key `image`",
    );
    assert_diag(
        &one(&svc("    port: 0\n")),
        "services.api.port",
        7,
        "from 1 to 65535",
    );
    assert_diag(
        &one(&svc("    port: http\n")),
        "services.api.port",
        7,
        "not a whole number",
    );
    assert_diag(
        &one(&svc("    cpu: 0\n")),
        "services.api.cpu",
        7,
        "more than 0",
    );
    assert_diag(
        &one(&svc("    memory: 2G\n")),
        "services.api.memory",
        7,
        "not a memory size",
    );
    assert_diag(
        &one(&format!("{HEAD}services:\n  api:\n    image: 'a b'\n")),
        "services.api.image",
        6,
        "not an image reference",
    );
    assert_diag(
        &one(&svc("    command: node\n")),
        "services.api.command",
        7,
        "must be a list",
    );
    assert_diag(
        &one(&svc("    command: []\n")),
        "services.api.command",
        7,
        "`command` is empty",
    );
    assert_diag(
        &one(&svc("    command: [a, [b]]\n")),
        "services.api.command[1]",
        7,
        "expected a single value",
    );
    assert_diag(
        &one(&svc("    env: { 1A: x }\n")),
        "services.api.env.1A",
        7,
        "not a valid environment variable name",
    );
    assert_diag(
        &one(&svc("    env: { A: [x] }\n")),
        "services.api.env.A",
        7,
        "expected a single value",
    );
    assert_diag(
        &one(&svc("    secrets: { A-B: x }\n")),
        "services.api.secrets.A-B",
        7,
        "not a valid environment variable name",
    );
    assert_diag(
        &one(&svc("    env: { A: x }\n    secrets: { A: s }\n")),
        "services.api.secrets.A",
        8,
        "in both `env` and `secrets`",
    );
    assert_diag(
        &one(&svc("    secrets: { A: 'a b' }\n")),
        "services.api.secrets.A",
        7,
        "not a Secrets Manager name",
    );
    assert_diag(
        &one(&svc("    secrets: { A: 'arn:aws:s3:::x' }\n")),
        "services.api.secrets.A",
        7,
        "not a Secrets Manager ARN",
    );
    let m = ok(&svc("    secrets: { A: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf', B: prod/db }\n"));
    let s = &single(&m).services[0].secrets;
    assert!(matches!(s.get("A"), Some(SecretRef::Arn(_))));
    assert!(matches!(s.get("B"), Some(SecretRef::Name(_))));
    assert_diag(
        &one(&svc("    spot: 101\n")),
        "services.api.spot",
        7,
        "from 0 to 100",
    );
    assert_diag(
        &one(&svc("    stateful: 1\n")),
        "services.api.stateful",
        7,
        "not a boolean",
    );
    let d = one(&svc("    stateful: no\n"));
    assert_eq!(d.help.as_deref(), Some("write `false`"));
}

#[test]
fn health_rules() {
    let p = "    port: 80\n";
    assert_diag(
        &one(&svc("    health: { path: /x }\n")),
        "services.api.health",
        7,
        "`health` needs a `port`",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ path: x }}\n"))),
        "services.api.health.path",
        8,
        "must start with `/`",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ path: '/a b' }}\n"))),
        "services.api.health.path",
        8,
        "contains ' '",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ path: '/a\"' }}\n"))),
        "services.api.health.path",
        8,
        "contains",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ path: '/a\\' }}\n"))),
        "services.api.health.path",
        8,
        "contains",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ timeout: 30s }}\n"))),
        "services.api.health.timeout",
        8,
        "must be shorter than",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ interval: 5s }}\n"))),
        "services.api.health.interval",
        8,
        "must be shorter than",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ retries: 0 }}\n"))),
        "services.api.health.retries",
        8,
        "from 1 to 10",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ retries: 11 }}\n"))),
        "services.api.health.retries",
        8,
        "from 1 to 10",
    );
    assert_diag(
        &one(&svc(&format!("{p}    health: {{ grace: soon }}\n"))),
        "services.api.health.grace",
        8,
        "not a duration",
    );
}

#[test]
fn expose_and_routes_rules() {
    assert_diag(
        &one(&svc("    expose: public\n")),
        "services.api.expose",
        7,
        "`expose: public` needs a `port`",
    );
    let d = one(&svc("    port: 80\n    expose: publik\n"));
    assert_diag(&d, "services.api.expose", 8, "not a way to expose");
    assert_eq!(d.help.as_deref(), Some("did you mean `public`?"));
    assert_diag(
        &one(&svc("    port: 80\n    routes: [/a]\n")),
        "services.api.routes",
        8,
        "only to public services",
    );
    let pub_ = "    port: 80\n    expose: public\n";
    assert_diag(
        &one(&svc(&format!("{pub_}    routes: [a]\n"))),
        "services.api.routes[0]",
        9,
        "must start with `/`",
    );
    assert_diag(
        &one(&svc(&format!("{pub_}    routes: ['/a b']\n"))),
        "services.api.routes[0]",
        9,
        "contains ' '",
    );
    assert_diag(
        &one(&svc(&format!("{pub_}    routes: []\n"))),
        "services.api.routes",
        9,
        "`routes` is empty",
    );
    let m = ok(&svc(&format!("{pub_}    routes: [/b, /a, /b]\n")));
    assert_eq!(single(&m).services[0].routes, ["/a", "/b"]);
}

fn two_public(a: &str, b: &str) -> String {
    format!(
        "{HEAD}services:\n  aa:\n    image: x\n    port: 80\n    expose: public\n    routes: {a}\n  bb:\n    image: x\n    port: 80\n    expose: public\n    routes: {b}\n"
    )
}

#[test]
fn public_routes_may_nest_but_not_repeat() {
    // The same route on two services (a trailing `/` does not count).
    for (a, b) in [
        ("[/api]", "[/api/]"),
        ("[/api]", "[/api]"),
        ("[/x, /y]", "[/y]"),
    ] {
        let d = one(&two_public(a, b));
        assert!(
            d.message.contains("is also a route of service `aa`"),
            "{a} {b}: {d:?}"
        );
        assert!(d.yaml_path.starts_with("services.bb.routes"), "{d:?}");
    }
    // Two services both on the default `/`.
    let src = format!(
        "{HEAD}services:\n  aa:\n    image: x\n    port: 80\n    expose: public\n  bb:\n    image: x\n    port: 80\n    expose: public\n"
    );
    let d = one(&src);
    assert_eq!(
        d.message,
        "route `/` of service `bb` is also a route of service `aa`"
    );
    // Nested prefixes across services: the most specific wins.
    for (a, b) in [
        ("[/api]", "[/apiv2]"),
        ("[/a/b]", "[/a/c]"),
        ("[/a]", "[/b, /c/d]"),
        ("[/api]", "[/api/v2]"),
        ("[/]", "[/x]"),
        ("[/x, /y]", "[/y/z]"),
    ] {
        ok(&two_public(a, b));
    }
    // `/` by default beside `/b`.
    ok(&format!(
        "{HEAD}services:\n  aa:\n    image: x\n    port: 80\n    expose: public\n  bb:\n    image: x\n    port: 80\n    expose: public\n    routes: [/b]\n"
    ));
    // A trailing `/` is dropped, so a service's `/a` and `/a/` are one route.
    let m = ok(&two_public("[/a/, /a]", "[/c]"));
    let aa = &m.environments[0].base.services[0];
    assert_eq!(aa.routes, vec!["/a".to_string()]);
    // Empty segments and route patterns are refused.
    for bad in ["[/a//b]", "[\"/a/{id}\"]", "[/a$]"] {
        let d = one(&two_public(bad, "[/c]"));
        assert!(
            d.yaml_path.starts_with("services.aa.routes"),
            "{bad}: {d:?}"
        );
    }
}

#[test]
fn scale_rules() {
    let p = "    port: 80\n";
    assert_diag(
        &one(&svc("    scale: { min: 5, max: 2 }\n")),
        "services.api.scale.max",
        7,
        "less than `scale.min` (5)",
    );
    assert_diag(
        &one(&svc("    scale: { min: 0, max: 0 }\n")),
        "services.api.scale.max",
        7,
        "at least 1",
    );
    assert_diag(
        &one(&svc("    scale: { min: -1 }\n")),
        "services.api.scale.min",
        7,
        "not a whole number",
    );
    assert_diag(
        &one(&svc("    scale: { cpu: 0 }\n")),
        "services.api.scale.cpu",
        7,
        "from 1 to 100",
    );
    assert_diag(
        &one(&svc("    scale: { memory: 101 }\n")),
        "services.api.scale.memory",
        7,
        "from 1 to 100",
    );
    assert_diag(
        &one(&svc(&format!("{p}    scale: {{ requests: 0 }}\n"))),
        "services.api.scale.requests",
        8,
        "from 1 to",
    );
    assert_diag(
        &one(&svc("    scale: { requests: 10 }\n")),
        "services.api.scale.requests",
        7,
        "needs a `port`",
    );
    assert_diag(
        &one(&svc("    scale: { queue_depth: 10 }\n")),
        "services.api.scale.queue_depth",
        7,
        "exactly one queue; it consumes 0",
    );
    let two = format!(
        "{}queues:\n  a: {{}}\n  b: {{}}\n",
        svc("    consumes: [a, b]\n    scale: { queue_depth: 10 }\n")
    );
    assert_diag(
        &one(&two),
        "services.api.scale.queue_depth",
        8,
        "it consumes 2",
    );
    let m = ok(&format!(
        "{}queues:\n  a: {{}}\n",
        svc("    consumes: [a]\n    scale: { min: 0, max: 3, queue_depth: 10 }\n")
    ));
    let s = &single(&m).services[0];
    assert_eq!(
        (s.scale.min, s.scale.max, s.scale.queue_depth),
        (0, 3, Some(10))
    );
    assert_eq!(s.kind(), ServiceKind::Worker);
}

#[test]
fn reference_rules() {
    let base = |body: &str| {
        format!(
            "{}  pay:\n    image: p\n  bg:\n    image: b\nqueues:\n  orders: {{}}\n",
            svc(body)
        )
    };
    let d = one(&base("    publishes: [ordres]\n"));
    assert_diag(
        &d,
        "services.api.publishes[0]",
        7,
        "names queue `ordres`, which is not declared",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `orders`?"));
    assert_diag(
        &one(&base("    consumes: [nope]\n")),
        "services.api.consumes[0]",
        7,
        "queue `nope`",
    );
    let d = one(&base("    calls: [pya]\n"));
    assert_diag(&d, "services.api.calls[0]", 7, "service `pya`");
    assert_eq!(d.help.as_deref(), Some("did you mean `pay`?"));
    assert_diag(
        &one(&base("    port: 80\n    calls: [api]\n")),
        "services.api.calls[0]",
        8,
        "calls itself",
    );
    assert_diag(
        &one(&base("    calls: [bg]\n")),
        "services.api.calls[0]",
        7,
        "calls service `bg`, which has no `port`",
    );
    // A port added by an override makes the call valid there only.
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a\n    calls: [pay]\n  pay:\n    image: p\nenvironments:\n  dev:\n    overrides: {{ services: {{ pay: {{ port: 80 }} }} }}\n  prod:\n"
    );
    let d = one(&src);
    assert_diag(&d, "services.api.calls[0]", 7, "has no `port`");
    let job_call = format!("{HEAD}services:\n  pay:\n    image: p\njobs:\n  j:\n    image: a\n    schedule: rate(1 hour)\n    calls: [pay]\n");
    assert_diag(
        &one(&job_call),
        "jobs.j.calls[0]",
        11,
        "job `j` calls service `pay`, which has no `port`",
    );
}

// ---- jobs ----

fn job(body: &str) -> String {
    format!("{HEAD}jobs:\n  j:\n    image: a\n    schedule: '0 2 * * *'\n{body}")
}

#[test]
fn job_rules() {
    assert_diag(
        &one(&format!("{HEAD}jobs:\n  j:\n    image: a\n")),
        "jobs.j",
        5,
        "missing the required key `schedule`",
    );
    assert_diag(
        &one(&format!("{HEAD}jobs:\n  j:\n    schedule: rate(1 hour)\n")),
        "jobs.j",
        5,
        "missing the required key `image`",
    );
    assert_diag(
        &one(&format!(
            "{HEAD}jobs:\n  j:\n    image: a\n    schedule: '0 25 * * *'\n"
        )),
        "jobs.j.schedule",
        7,
        "field 2 (hour)",
    );
    assert_diag(
        &one(&job("    timeout: 0s\n")),
        "jobs.j.timeout",
        8,
        "at least 1s",
    );
    assert_diag(
        &one(&job("    retries: 11\n")),
        "jobs.j.retries",
        8,
        "from 0 to 10",
    );
    assert_diag(
        &one(&job("    spot: 200\n")),
        "jobs.j.spot",
        8,
        "from 0 to 100",
    );
    assert_diag(
        &one(&job("    port: 80\n")),
        "jobs.j.port",
        8,
        "unknown key `port` in job `j`",
    );
    let m = ok(&job(
        "    timeout: 2h\n    retries: 2\n    env: { A: b }\n    command: [x]\n",
    ));
    let j = &single(&m).jobs[0];
    assert_eq!((j.timeout.secs(), j.retries), (7200, 2));
    assert!(m.environments[0].platforms[0].tenants[0]
        .services
        .is_empty());
}

// ---- queues ----

fn queue(q: &str) -> String {
    format!("{}queues:\n  q: {q}\n", svc(""))
}

#[test]
fn queue_rules() {
    assert_diag(
        &one(&queue("{ visibility_timeout: 13h }")),
        "queues.q.visibility_timeout",
        8,
        "at most 12h",
    );
    assert_diag(
        &one(&queue("{ retention: 59s }")),
        "queues.q.retention",
        8,
        "60s to 14d",
    );
    assert_diag(
        &one(&queue("{ retention: 15d }")),
        "queues.q.retention",
        8,
        "60s to 14d",
    );
    assert_diag(
        &one(&queue("{ fifo: yes }")),
        "queues.q.fifo",
        8,
        "not a boolean",
    );
    assert_diag(
        &one(&queue("{ dead_letter: { max_receives: 0 } }")),
        "queues.q.dead_letter.max_receives",
        8,
        "from 1 to 1000",
    );
    assert_diag(
        &one(&queue("{ dead_letter: maybe }")),
        "queues.q.dead_letter",
        8,
        "not a boolean",
    );
    let dl = |q: &str| ok(&queue(q)).queues[0].dead_letter.clone();
    assert_eq!(dl("{ dead_letter: false }"), None);
    assert_eq!(
        dl("{ dead_letter: true }"),
        Some(DeadLetter { max_receives: 5 })
    );
    assert_eq!(
        dl("{ dead_letter: { max_receives: 9 } }"),
        Some(DeadLetter { max_receives: 9 })
    );
    assert_eq!(
        dl("{ dead_letter: {} }"),
        Some(DeadLetter { max_receives: 5 })
    );
    let q = ok(&queue(
        "{ fifo: true, retention: 14d, visibility_timeout: 12h }",
    ))
    .queues[0]
        .clone();
    assert!(q.fifo);
}

// ---- tenants and environments ----

#[test]
fn tenant_and_environment_rules() {
    let t = |body: &str| format!("{}tenants:\n  t: {body}\n", svc(""));
    let d = one(&t("{ tier: dedicatd }"));
    assert_diag(&d, "tenants.t.tier", 8, "not a tenant tier");
    assert_eq!(d.help.as_deref(), Some("did you mean `dedicated`?"));
    assert_diag(
        &one(&t("{ quota: { cpu: x } }")),
        "tenants.t.quota.cpu",
        8,
        "not a CPU amount",
    );
    assert_diag(
        &one(&t("{ quota: { memory: 1G } }")),
        "tenants.t.quota.memory",
        8,
        "not a memory size",
    );
    assert_diag(
        &one(&t("{ quota: { pods: 0 } }")),
        "tenants.t.quota.pods",
        8,
        "from 1 to",
    );
    assert_diag(
        &one(&t("{ overrides: { services: { api: 3 } } }")),
        "tenants.t.overrides.services.api",
        8,
        "must be a map",
    );
    let m = ok(&t("{ quota: { cpu: 2, memory: 4Gi, pods: 10 } }"));
    assert_eq!(
        m.tenants[0].quota,
        Quota {
            cpu: Some(Cpu::from_millis(2000)),
            memory: Some(Memory::from_mib(4096)),
            pods: Some(10)
        }
    );
    assert_eq!(m.tenants[0].tier, Tier::Shared);
    let d = one(&format!(
        "{}environments:\n  dev: {{ overides: {{}} }}\n",
        svc("")
    ));
    assert_diag(&d, "environments.dev.overides", 8, "unknown key");
    // Only dedicated tenants: no shared platform.
    let m = ok(&t("{ tier: dedicated }"));
    assert_eq!(m.environments[0].platforms.len(), 1);
    assert_eq!(
        m.environments[0].platforms[0].kind,
        PlatformKind::Dedicated(Name::new_unchecked("t"))
    );
}

#[test]
fn repeated_errors_are_reported_once() {
    // A base error lands in every environment x tenant: one diagnostic.
    let src = format!(
        "{HEAD}services:\n  api:\n    image: a\n    spot: 500\ntenants:\n  a: {{ overrides: {{ services: {{ api: {{ cpu: 1 }} }} }} }}\n  b: {{}}\nenvironments:\n  dev: {{ overrides: {{ services: {{ api: {{ memory: 1Gi }} }} }} }}\n  prod:\n"
    );
    let d = one(&src);
    assert_diag(&d, "services.api.spot", 7, "out of range");
}

#[test]
fn anchors_and_merge_keys_work_in_blueprints() {
    let src = format!(
        "{HEAD}x-defaults: &d\n  image: a:1\n  cpu: 1\nservices:\n  api:\n    <<: *d\n    cpu: 2\n"
    );
    // `x-defaults` is not a known key: error, but the merge itself works.
    let d = one(&src);
    assert_diag(&d, "x-defaults", 4, "unknown key");
    let src = format!(
        "{HEAD}services:\n  api: &d\n    image: a:1\n    cpu: 1\n  web:\n    <<: *d\n    cpu: 2\n"
    );
    let m = ok(&src);
    let w = single(&m);
    assert_eq!(service(w, "web").cpu, Cpu::from_millis(2000));
    assert_eq!(service(w, "web").image.reference, "1");
}

// ---- fit ----

#[test]
fn fit_lambda() {
    let m = ok(&format!(
        "{HEAD}services:\n  db:\n    image: a\n    stateful: true\n    storage: {{ path: /data, size: 10Gi }}\n    memory: 12Gi\njobs:\n  backfill:\n    image: a\n    schedule: rate(1 day)\n    timeout: 2h\n"
    ));
    let d = fit(&m, Target::Lambda);
    let msgs: Vec<_> = d
        .iter()
        .map(|d| (d.yaml_path.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        msgs,
        [
            (
                "jobs.backfill.timeout",
                "job `backfill` runs up to 2h but Lambda stops a function after 15m"
            ),
            (
                "services.db.memory",
                "service `db` needs 12Gi of memory, but a Lambda function has 128Mi to 10Gi"
            ),
            (
                "services.db.stateful",
                "service `db` is stateful, but Lambda functions keep no local state"
            ),
        ]
    );
    assert!(d
        .iter()
        .all(|d| d.help.as_deref() == Some("targets that fit: ecs, eks")));
    assert!(fit(&m, Target::Ecs).is_empty());
    assert!(fit(&m, Target::Eks).is_empty());
    let small = ok(&svc("    memory: 64Mi\n"));
    assert_eq!(fit(&small, Target::Lambda).len(), 1);
}

#[test]
fn fit_ecs_and_place_qualifiers() {
    let src = format!(
        "{HEAD}services:\n  big:\n    image: a\ntenants:\n  a: {{ overrides: {{ services: {{ big: {{ cpu: 32 }} }} }} }}\n  b: {{}}\n"
    );
    let m = ok(&src);
    let d = fit(&m, Target::Ecs);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        d[0].message,
        "service `big` needs 32 vCPU and 512Mi, more than Fargate's largest task (16 vCPU and 120Gi) (in tenant `a`)"
    );
    assert_eq!(d[0].help.as_deref(), Some("targets that fit: eks, lambda"));
    assert!(fit(&ok(CONTRACT), Target::Ecs).is_empty());
    assert!(fit(&ok(CONTRACT), Target::Lambda).is_empty());
}

#[test]
fn fit_refuses_a_cron_with_both_day_fields_where_eventbridge_schedules_it() {
    let m = ok(&format!(
        "{HEAD}jobs:\n  close:\n    image: a\n    schedule: \"0 3 1 * 1-5\"\n  daily:\n    image: a\n    schedule: \"0 3 * * 1-5\"\n"
    ));
    for target in [Target::Ecs, Target::Lambda] {
        let d = fit(&m, target);
        assert_eq!(d.len(), 1, "{target:?}: {d:#?}");
        assert_eq!(d[0].yaml_path, "jobs.close.schedule");
        assert!(
            d[0].message.starts_with(
                "job `close` runs on `0 3 1 * 1-5`, which restricts both day-of-month and day-of-week; cron runs it when either matches (it ORs the two fields)"
            ),
            "{}",
            d[0].message
        );
        assert!(d[0].message.contains("restrict only one of the two fields"));
        assert_eq!(d[0].help.as_deref(), Some("targets that fit: eks"));
    }
    // Kubernetes CronJobs take the cron as written, with cron's meaning.
    assert!(fit(&m, Target::Eks).is_empty());
}

// ---- robustness ----

#[test]
fn large_blueprints_normalize_quickly() {
    let mut src = format!("{HEAD}services:\n");
    for i in 0..1000 {
        src.push_str(&format!(
            "  s{i}:\n    image: a:1\n    port: 80\n    env: {{ A: b }}\n    calls: [s{}]\n",
            (i + 1) % 1000
        ));
    }
    src.push_str("tenants:\n");
    for t in 0..10 {
        src.push_str(&format!(
            "  t{t}: {{ overrides: {{ services: {{ s{t}: {{ cpu: 1 }} }} }} }}\n"
        ));
    }
    src.push_str("environments:\n  dev: { overrides: { services: { s5: { memory: 1Gi } } } }\n  stage:\n  prod:\n");
    let start = std::time::Instant::now();
    let m = ok(&src);
    let took = start.elapsed();
    assert_eq!(m.environments.len(), 3);
    assert_eq!(m.environments[0].platforms[0].tenants.len(), 10);
    assert_eq!(
        m.environments[0].platforms[0].tenants[0].services.len(),
        1000
    );
    eprintln!("1000 services x 10 tenants x 3 environments: {took:?}");
    // Generous for debug builds; release takes a fraction of this.
    assert!(took.as_millis() < 5000, "took {took:?}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "version: 1\n",
            "name: shop\n",
            "region: eu-central-1\n",
            "services:\n",
            "  api:\n",
            "    image: a:1\n",
            "    port: 80\n",
            "    expose: public\n",
            "    routes: [/, /a]\n",
            "    scale: { min: 3, max: 1, queue_depth: 2 }\n",
            "    calls: [api, web]\n",
            "    health: { timeout: 40s }\n",
            "  web: &w\n",
            "    <<: *w\n",
            "  - x\n",
            "jobs:\n",
            "  j: { schedule: '* * * * *', image: b }\n",
            "queues: { q: { dead_letter: 7 } }\n",
            "tenants: { t: { overrides: { services: { api: { port: x } } } } }\n",
            "environments: { dev: { overrides: { jobs: { j: [1] } } } }\n",
            "x: *nope\n",
            "---\n",
            "  : \n",
            "{[\n",
            "'\n",
            "\t\n",
            "? a\n",
            "!!binary x\n",
            "- - - a\n",
            "😀: é\n",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
            let _ = load(&s);
        }

        #[test]
        fn yaml_ish_documents_never_panic(parts in prop::collection::vec(fragment(), 0..30)) {
            let doc = parts.concat();
            if let Ok(m) = load(&doc) {
                for t in Target::ALL {
                    let _ = fit(&m, t);
                }
            }
        }

        #[test]
        fn mutated_contract_never_panics(pos in 0usize..3000, ins in "[ -~\n]{0,8}") {
            let mut s = CONTRACT.to_string();
            let p = pos.min(s.len());
            if s.is_char_boundary(p) {
                s.insert_str(p, &ins);
            }
            let _ = load(&s);
        }
    }
}

#[test]
fn tag_characters_aws_refuses_are_errors() {
    let d = one(&format!(
        "{HEAD}tags: {{ owner: \"50%\" }}\nservices:\n  api: {{ image: x }}\n"
    ));
    assert_diag(&d, "tags.owner", 4, "contains '%'");
    let d = one(&format!(
        "{HEAD}tags: {{ \"a{{b\": x }}\nservices:\n  api: {{ image: x }}\n"
    ));
    assert!(d.message.contains("tag key"), "{d:?}");
}

#[test]
fn calls_naming_a_job_says_it_is_a_job() {
    let d = one(&format!(
        "{HEAD}services:\n  api:\n    image: x\n    calls: [nightly]\njobs:\n  nightly: {{ image: x, schedule: \"0 1 * * *\" }}\n"
    ));
    assert_diag(
        &d,
        "services.api.calls[0]",
        7,
        "`calls` names `nightly`, which is a job, not a service",
    );
}

#[test]
fn a_tenant_whose_minimum_exceeds_its_quota_is_refused_with_the_numbers() {
    let d = errs(&format!(
        "{HEAD}services:\n  api: {{ image: x, cpu: 1, memory: 1Gi, scale: {{ min: 3, max: 6 }} }}\njobs:\n  batch: {{ image: x, schedule: \"0 1 * * *\", cpu: 2 }}\ntenants:\n  acme: {{ quota: {{ cpu: 4, memory: 8Gi, pods: 3 }} }}\n"
    ));
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_diag(
        &d[0],
        "tenants.acme.quota.cpu",
        9,
        "tenant `acme` needs at least 5 vCPU (api 3 x 1 + the largest job, batch, 2), but its quota allows 4",
    );
    assert_diag(&d[1], "tenants.acme.quota.pods", 9, "needs at least 4 pods");
    // Maximums above the quota are fine: each target enforces or reports it.
    ok(&format!(
        "{HEAD}services:\n  api: {{ image: x, cpu: 1, scale: {{ min: 1, max: 60 }} }}\ntenants:\n  acme: {{ quota: {{ cpu: 4 }} }}\n"
    ));
}

#[test]
fn target_fit_errors_point_at_the_workload() {
    let m = ok(&format!(
        "{HEAD}services:\n  api:\n    image: x\n    stateful: true\n    storage: {{ path: /data, size: 10Gi }}\n"
    ));
    let d = fit(&m, Target::Lambda);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].col), (Some(7), Some(5)), "{d:?}");
}

#[test]
fn user_variables_may_not_take_a_contract_name() {
    let d = one(&format!(
        "{HEAD}services:\n  api:\n    image: x\n    publishes: [orders]\n    env: {{ ORDERS_QUEUE_URL: x }}\nqueues:\n  orders: {{}}\n"
    ));
    assert_diag(
        &d,
        "services.api.env.ORDERS_QUEUE_URL",
        8,
        "`ORDERS_QUEUE_URL` is set by blueprint's runtime contract (the URL of queue `orders`)",
    );
    let d = one(&format!(
        "{HEAD}services:\n  api:\n    image: x\n    secrets: {{ BLUEPRINT_TENANT: s }}\n"
    ));
    assert!(d.message.contains("runtime contract"), "{d:?}");
    // Two contract variables on one name.
    let d = one(&format!(
        "{HEAD}services:\n  api:\n    image: x\n    publishes: [orders]\n    calls: [orders-queue]\n  orders-queue: {{ image: x, port: 80 }}\nqueues:\n  orders: {{}}\n"
    ));
    assert!(d.message.contains("`ORDERS_QUEUE_URL`"), "{d:?}");
}

#[test]
fn writable_paths_and_account() {
    let m = ok(&format!(
        "{HEAD}services:\n  web:\n    image: x\n    writable_paths: [/var/run, /var/cache/nginx/, /var/run]\nenvironments:\n  prod: {{ account: \"012345678901\" }}\n"
    ));
    let env = &m.environments[0];
    assert_eq!(env.account.as_deref(), Some("012345678901"));
    assert_eq!(
        env.base.services[0].writable_paths,
        vec!["/var/cache/nginx".to_string(), "/var/run".to_string()]
    );
    for bad in ["[var/run]", "[/]", "[/a/../b]", "[\"/a b\"]"] {
        let d = one(&format!(
            "{HEAD}services:\n  web:\n    image: x\n    writable_paths: {bad}\n"
        ));
        assert!(
            d.yaml_path.starts_with("services.web.writable_paths"),
            "{bad}: {d:?}"
        );
    }
    let d = one(&format!(
        "{HEAD}services:\n  web: {{ image: x }}\nenvironments:\n  prod: {{ account: \"1234\" }}\n"
    ));
    assert_diag(
        &d,
        "environments.prod.account",
        7,
        "is not an AWS account id",
    );
    // Lambda writes only under /tmp.
    let m = ok(&format!(
        "{HEAD}services:\n  web:\n    image: x\n    writable_paths: [/tmp/cache, /var/run]\n"
    ));
    let d = fit(&m, Target::Lambda);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.contains("`/var/run`"), "{d:?}");
}

#[test]
fn stateful_services_need_storage_and_a_statefulset_shape() {
    let m = ok(&format!(
        "{HEAD}services:\n  search:\n    image: x\n    port: 9200\n    stateful: true\n    storage: {{ path: /usr/share/data/, size: 20Gi }}\nenvironments:\n  prod: {{ overrides: {{ services: {{ search: {{ storage: {{ size: 200Gi }} }} }} }} }}\n  dev: {{}}\n"
    ));
    let size = |e: usize| {
        m.environments[e].base.services[0]
            .storage
            .as_ref()
            .unwrap()
            .size_gib
    };
    assert_eq!((size(0), size(1)), (20, 200), "dev, prod");
    assert_eq!(
        m.environments[0].base.services[0]
            .storage
            .as_ref()
            .unwrap()
            .path,
        "/usr/share/data"
    );
    let d = one(&format!(
        "{HEAD}services:\n  s:\n    image: x\n    stateful: true\n"
    ));
    assert_diag(&d, "services.s.stateful", 7, "needs `storage`");
    let d = one(&format!(
        "{HEAD}services:\n  s:\n    image: x\n    storage: {{ path: /d, size: 1Gi }}\n"
    ));
    assert_diag(&d, "services.s.storage", 7, "only for a stateful service");
    for (extra, msg) in [
        (
            "    port: 80\n    expose: public\n",
            "cannot be `expose: public`",
        ),
        ("    scale: { min: 0, max: 2 }\n", "at least one replica"),
        (
            "    consumes: [q]\n    scale: { min: 1, max: 3, queue_depth: 5 }\n",
            "does not scale on `queue_depth`",
        ),
        (
            "    storage: { path: data, size: 1Gi }\n",
            "not a storage path",
        ),
        (
            "    storage: { path: /d, size: 1.5Gi }\n",
            "not a storage size",
        ),
        (
            "    storage: { path: /d, size: 20000Gi }\n",
            "not a storage size",
        ),
    ] {
        let storage = if extra.contains("storage") {
            ""
        } else {
            "    storage: { path: /d, size: 1Gi }\n"
        };
        let src = format!(
            "{HEAD}services:\n  s:\n    image: x\n    stateful: true\n{storage}{extra}queues:\n  q: {{}}\n"
        );
        let d = one(&src);
        assert!(d.message.contains(msg), "{extra}: {d:?}");
    }
}

#[test]
fn a_quota_may_hold_more_cpu_than_one_workload() {
    let m = ok(&format!(
        "{HEAD}services:\n  api: {{ image: x }}\ntenants:\n  big: {{ quota: {{ cpu: 564, memory: 1128Gi }} }}\n"
    ));
    assert_eq!(m.tenants[0].quota.cpu.map(|c| c.millis()), Some(564_000));
    let d = one(&format!(
        "{HEAD}services:\n  api: {{ image: x, cpu: 200 }}\n"
    ));
    assert!(d.message.contains("192 vCPU"), "{d:?}");
}

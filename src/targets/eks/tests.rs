//! Rules of the EKS target, on models built in code.

use super::lower;
use crate::doc::Document;
use crate::model::fixtures::*;
use crate::model::{Cpu, Expose, Health, Memory, Model, Quota};
use crate::model::{Duration, Schedule};
use crate::render;
use serde_json::Value;

fn yaml_docs(model: &Model, path: &str) -> Vec<Value> {
    let out = lower(model);
    match out.files.get(path) {
        Some(Document::Yaml(docs)) => docs.clone(),
        other => panic!(
            "{path}: {other:?}\nfiles: {:?}",
            out.files.keys().collect::<Vec<_>>()
        ),
    }
}

/// A workload's objects as the tenant's overlay builds them.
fn workload(model: &Model, env: &str, ns: &str, name: &str) -> Vec<Value> {
    let out = lower(model);
    super::build::build(&out.files, &format!("kubernetes/overlays/{env}/{ns}"))
        .into_iter()
        .filter(|o| o["metadata"]["name"] == name)
        .collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn one<'a>(docs: &'a [Value], k: &str) -> &'a Value {
    let found = kind(docs, k);
    assert_eq!(found.len(), 1, "one {k} in {docs:#?}");
    found[0]
}

fn shop() -> Model {
    let mut api = http("api", "ghcr.io/acme/api:1.0", 8080);
    api.calls = vec![name("payments")];
    api.publishes = vec![name("orders")];
    api.expose = Expose::Public;
    api.routes = vec!["/api".into(), "/v2".into()];
    api.scale.min = 2;
    api.scale.max = 6;
    api.health = Some(Health {
        path: "/health".into(),
        interval: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
        retries: 3,
        grace: Duration::from_secs(60),
    });
    let payments = http("payments", "ghcr.io/acme/payments:2.0", 9000);
    let mut worker = service("worker", "ghcr.io/acme/worker:1.0");
    worker.consumes = vec![name("orders")];
    worker.scale.min = 0;
    worker.scale.max = 20;
    worker.scale.queue_depth = Some(100);
    worker.spot = 100;
    let mut report = job("report", "ghcr.io/acme/report:1.0", "rate(15 minutes)");
    report.retries = 2;
    report.timeout = Duration::from_secs(600);
    model(
        &["dev", "prod"],
        &["globex", "umbrella"],
        &["acme"],
        vec![api, payments, worker],
        vec![report],
        vec![queue("orders")],
    )
}

#[test]
fn every_tenant_gets_a_restricted_namespace_with_quota_and_default_deny() {
    let mut m = shop();
    m.tenants[1].quota = Quota {
        cpu: Some(Cpu::from_millis(4000)),
        memory: Some(Memory::from_mib(8192)),
        pods: Some(20),
    };
    let base = lower(&m);
    for t in ["acme", "globex", "umbrella"] {
        assert!(base
            .files
            .contains_key(&format!("kubernetes/base/shop-{t}/namespace.yaml")));
    }
    let docs = yaml_docs(&m, "kubernetes/base/shop-globex/namespace.yaml");
    let ns = one(&docs, "Namespace");
    assert_eq!(ns["metadata"]["name"], "shop-globex");
    assert_eq!(ns["metadata"]["labels"]["tenant"], "globex");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let quota = one(&docs, "ResourceQuota");
    assert_eq!(quota["spec"]["hard"]["requests.cpu"], "4");
    assert_eq!(quota["spec"]["hard"]["limits.memory"], "8Gi");
    assert_eq!(quota["spec"]["hard"]["pods"], "20");
    one(&docs, "LimitRange");
    let policies = kind(&docs, "NetworkPolicy");
    let deny = policies
        .iter()
        .find(|p| p["metadata"]["name"] == "default-deny")
        .unwrap();
    assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
    assert_eq!(
        deny["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    let dns = policies
        .iter()
        .find(|p| p["metadata"]["name"] == "allow-dns")
        .unwrap();
    assert_eq!(dns["spec"]["egress"][0]["ports"][0]["port"], 53);
    // Without a quota, no ResourceQuota.
    let docs = yaml_docs(&m, "kubernetes/base/shop-umbrella/namespace.yaml");
    assert!(kind(&docs, "ResourceQuota").is_empty());
}

#[test]
fn a_single_tenant_app_gets_its_own_namespace() {
    let m = model(
        &["prod"],
        &[],
        &[],
        vec![http("web", "nginx:1.27", 80)],
        vec![],
        vec![],
    );
    let docs = yaml_docs(&m, "kubernetes/base/shop/namespace.yaml");
    assert_eq!(one(&docs, "Namespace")["metadata"]["name"], "shop");
    let docs = workload(&m, "prod", "shop", "web");
    assert_eq!(one(&docs, "Deployment")["metadata"]["namespace"], "shop");
}

#[test]
fn network_policies_follow_calls_inside_the_tenant() {
    let m = shop();
    let api = workload(&m, "prod", "shop-globex", "api");
    let np = one(&api, "NetworkPolicy");
    let egress = &np["spec"]["egress"][0];
    assert_eq!(
        egress["to"][0]["podSelector"]["matchExpressions"][0]["values"],
        serde_json::json!(["payments"])
    );
    assert_eq!(egress["ports"][0]["port"], 9000);
    // The public api accepts its port from the load balancer.
    assert_eq!(np["spec"]["ingress"][0]["ports"][0]["port"], 8080);
    assert!(np["spec"]["ingress"][0].get("from").is_none());

    let payments = workload(&m, "prod", "shop-globex", "payments");
    let np = one(&payments, "NetworkPolicy");
    let from = &np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0];
    assert_eq!(from["values"], serde_json::json!(["api"]));
    assert_eq!(np["spec"]["ingress"][0]["ports"][0]["port"], 9000);
    assert_eq!(np["metadata"]["namespace"], "shop-globex");
}

#[test]
fn queue_workers_scale_with_keda_on_their_tenants_queue() {
    let m = shop();
    let docs = workload(&m, "dev", "shop-globex", "worker");
    assert!(kind(&docs, "HorizontalPodAutoscaler").is_empty());
    let so = one(&docs, "ScaledObject");
    assert_eq!(so["apiVersion"], "keda.sh/v1alpha1");
    assert_eq!(so["spec"]["minReplicaCount"], 0);
    assert_eq!(so["spec"]["maxReplicaCount"], 20);
    let t = &so["spec"]["triggers"][0];
    assert_eq!(t["type"], "aws-sqs-queue");
    // KEDA reads the worker's own variable, which the tenant's ConfigMap
    // fills with the tenant's queue (its name: `dev` has no account).
    assert_eq!(t["metadata"]["queueURLFromEnv"], "ORDERS_QUEUE_NAME");
    let unit = super::build::build(&lower(&m).files, "kubernetes/overlays/dev/shop-globex");
    let env = container_env(&unit, "Deployment", "worker");
    assert_eq!(env["ORDERS_QUEUE_NAME"], "shop-dev-globex-orders");
    assert_eq!(t["metadata"]["queueLength"], "100");
    assert_eq!(t["authenticationRef"]["name"], "aws-pod-identity");
    // KEDA owns the replica count.
    assert!(one(&docs, "Deployment")["spec"].get("replicas").is_none());
    let base = yaml_docs(&m, "kubernetes/base/shop-globex/namespace.yaml");
    let ta = one(&base, "TriggerAuthentication");
    assert_eq!(ta["spec"]["podIdentity"]["provider"], "aws");
}

#[test]
fn hpa_min_and_max_come_from_each_environment() {
    let mut m = shop();
    for (env, (min, max)) in m.environments.iter_mut().zip([(1, 2), (3, 20)]) {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                let api = w
                    .services
                    .iter_mut()
                    .find(|s| s.name == name("api"))
                    .unwrap();
                api.scale.min = min;
                api.scale.max = max;
            }
        }
    }
    for (env, min, max) in [("dev", 1, 2), ("prod", 3, 20)] {
        let docs = workload(&m, env, "shop-acme", "api");
        let hpa = one(&docs, "HorizontalPodAutoscaler");
        assert_eq!(hpa["apiVersion"], "autoscaling/v2");
        assert_eq!(hpa["spec"]["minReplicas"], min, "{env}");
        assert_eq!(hpa["spec"]["maxReplicas"], max, "{env}");
        assert_eq!(
            hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            300
        );
    }
    // A fixed-size service has replicas and no HPA.
    let docs = workload(&m, "dev", "shop-acme", "payments");
    assert!(kind(&docs, "HorizontalPodAutoscaler").is_empty());
    assert_eq!(one(&docs, "Deployment")["spec"]["replicas"], 1);
    one(&docs, "PodDisruptionBudget");
}

#[test]
fn jobs_are_cronjobs_with_rate_converted() {
    let m = shop();
    let docs = workload(&m, "prod", "shop-acme", "report");
    let cj = one(&docs, "CronJob");
    assert_eq!(cj["spec"]["schedule"], "*/15 * * * *");
    assert_eq!(cj["spec"]["timeZone"], "Etc/UTC");
    assert_eq!(cj["spec"]["concurrencyPolicy"], "Forbid");
    let job = &cj["spec"]["jobTemplate"]["spec"];
    assert_eq!(job["backoffLimit"], 2);
    assert_eq!(job["activeDeadlineSeconds"], 600);
    assert_eq!(job["template"]["spec"]["restartPolicy"], "Never");

    let mut m = shop();
    let cron = Schedule::parse("30 6 * * 0,6").unwrap();
    let odd = Schedule::parse("rate(7 minutes)").unwrap();
    for env in &mut m.environments {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                w.jobs[0].schedule = cron.clone();
                let mut other = w.jobs[0].clone();
                other.name = name("odd");
                other.schedule = odd.clone();
                w.jobs.push(other);
            }
        }
    }
    let out = lower(&m);
    let docs = workload(&m, "prod", "shop-acme", "report");
    assert_eq!(one(&docs, "CronJob")["spec"]["schedule"], "30 6 * * 0,6");
    // The contract says every blueprint fits EKS: a rate with no exact cron
    // runs on the nearest step cron, and render says so.
    let docs = workload(&m, "prod", "shop-acme", "odd");
    assert_eq!(one(&docs, "CronJob")["spec"]["schedule"], "*/7 * * * *");
    assert!(
        out.notes
            .iter()
            .any(|n| n.starts_with("odd: `rate(7 minutes)` has no exact cron")),
        "{:?}",
        out.notes
    );
}

#[test]
fn dedicated_tenants_get_a_tainted_node_pool_only_their_pods_tolerate() {
    let m = shop();
    let pools = yaml_docs(&m, "kubernetes/overlays/prod/karpenter.yaml");
    let nodepools = kind(&pools, "NodePool");
    assert_eq!(nodepools.len(), 2);
    let default = nodepools
        .iter()
        .find(|p| p["metadata"]["name"] == "default")
        .unwrap();
    assert!(default["spec"]["template"]["spec"].get("taints").is_none());
    assert_eq!(
        default["spec"]["disruption"]["consolidationPolicy"],
        "WhenEmptyOrUnderutilized"
    );
    let acme = nodepools
        .iter()
        .find(|p| p["metadata"]["name"] == "tenant-acme")
        .unwrap();
    let taint = &acme["spec"]["template"]["spec"]["taints"][0];
    assert_eq!(taint["key"], "blueprint.dev/tenant");
    assert_eq!(taint["value"], "acme");
    assert_eq!(taint["effect"], "NoSchedule");
    assert_eq!(
        acme["spec"]["template"]["metadata"]["labels"]["blueprint.dev/tenant"],
        "acme"
    );
    let nc = one(&pools, "EC2NodeClass");
    assert_eq!(nc["spec"]["role"], "shop-prod-karpenter-node");
    assert_eq!(
        nc["spec"]["subnetSelectorTerms"][0]["tags"]["karpenter.sh/discovery"],
        "shop-prod"
    );

    let pod = |tenant: &str| {
        let docs = workload(&m, "prod", &format!("shop-{tenant}"), "api");
        one(&docs, "Deployment")["spec"]["template"]["spec"].clone()
    };
    let acme_pod = pod("acme");
    assert_eq!(acme_pod["nodeSelector"]["blueprint.dev/tenant"], "acme");
    assert_eq!(acme_pod["tolerations"][0]["value"], "acme");
    let globex_pod = pod("globex");
    assert!(globex_pod.get("tolerations").is_none());
    assert!(globex_pod["nodeSelector"]
        .get("blueprint.dev/tenant")
        .is_none());
}

#[test]
fn env_values_that_look_like_other_types_arrive_as_strings() {
    let mut m = shop();
    let values = [
        "yes", "0123", "null", "on", "1e3", "12:30", "~", "", "${HOME}", "$(PATH)",
    ];
    for env in &mut m.environments {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                for (i, v) in values.iter().enumerate() {
                    w.services[0].env.insert(format!("V{i}"), v.to_string());
                }
            }
        }
    }
    let out = lower(&m);
    // Every tenant changed the shared workload the same way: each tenant's
    // kustomization carries the change as a patch; read it back as YAML.
    let Some(doc) = out
        .files
        .get("kubernetes/overlays/dev/shop-acme/kustomization.yaml")
    else {
        panic!("kustomization.yaml rendered");
    };
    let text = String::from_utf8(render::render(doc)).unwrap();
    let mut files = out.files.clone();
    let parsed: Value = serde_yaml::from_str(&text).unwrap();
    files.insert(
        "kubernetes/overlays/dev/shop-acme/kustomization.yaml".into(),
        Document::Yaml(vec![parsed]),
    );
    let built = super::build::build(&files, "kubernetes/overlays/dev/shop-acme");
    let first = built
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "api")
        .unwrap();
    let env = first["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .clone();
    for (i, v) in values.iter().enumerate() {
        let e = env.iter().find(|e| e["name"] == format!("V{i}")).unwrap();
        // `$` is doubled: Kubernetes reads `$$` as a literal `$`.
        assert_eq!(e["value"], Value::String(v.replace('$', "$$")), "{v:?}");
    }
    // The YAML 1.1 lookalikes are quoted in the bytes themselves.
    for v in [
        "\"yes\"",
        "\"0123\"",
        "\"null\"",
        "\"on\"",
        "\"1e3\"",
        "\"12:30\"",
        "\"~\"",
    ] {
        assert!(text.contains(&format!("value: {v}")), "{v} in\n{text}");
    }
}

#[test]
fn terraform_roots_hold_queues_and_identities_per_tenant() {
    let m = shop();
    let out = lower(&m);
    let text = String::from_utf8(render::render(&out.files["terraform/prod/main.tf"])).unwrap();
    assert!(text.contains("\"globex/orders\" = {"), "{text}");
    assert!(text.contains("name                       = \"shop-prod-globex-orders\""));
    assert!(text.contains("\"acme/worker\" = {"));
    assert!(text.contains("namespace       = \"shop-acme\""));
    assert!(text.contains("consumes        = [\"acme/orders\"]"));
    assert!(text.contains("source                     = \"../modules/eks\""));
    for f in [
        "cluster.tf",
        "karpenter.tf",
        "addons.tf",
        "workloads.tf",
        "queues.tf",
    ] {
        assert!(out
            .files
            .contains_key(&format!("terraform/modules/eks/{f}")));
    }
}

#[test]
fn tenants_share_the_workload_objects_and_patch_only_their_differences() {
    let m = shop();
    let out = lower(&m);
    let workloads = yaml_docs(&m, "kubernetes/workloads/kustomization.yaml");
    let mut listed: Vec<&str> = workloads[0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    listed.sort();
    let mut files: Vec<&str> = out
        .files
        .keys()
        .filter_map(|k| k.strip_prefix("kubernetes/workloads/"))
        .filter(|k| *k != "kustomization.yaml")
        .collect();
    files.sort();
    assert_eq!(listed, files);
    // The shared objects name no tenant: they are in the application's
    // namespace until a tenant's kustomization moves them.
    for f in &files {
        for d in yaml_docs(&m, &format!("kubernetes/workloads/{f}")) {
            assert_eq!(d["metadata"]["namespace"], "shop", "{d}");
            assert!(d["metadata"]["labels"].get("tenant").is_none(), "{d}");
        }
    }
    for env in ["dev", "prod"] {
        let docs = yaml_docs(&m, &format!("kubernetes/overlays/{env}/kustomization.yaml"));
        assert_eq!(
            docs[0]["resources"],
            serde_json::json!([
                "../../base",
                "karpenter.yaml",
                "shop-globex",
                "shop-umbrella",
                "shop-acme"
            ])
        );
        for ns in ["shop-acme", "shop-globex", "shop-umbrella"] {
            let k = &yaml_docs(
                &m,
                &format!("kubernetes/overlays/{env}/{ns}/kustomization.yaml"),
            )[0];
            assert_eq!(k["namespace"], ns);
            assert_eq!(k["resources"][0], "../../../workloads");
            // Every object of the tenant is in its namespace, labelled.
            let tenant = ns.strip_prefix("shop-").unwrap();
            for o in super::build::build(&out.files, &format!("kubernetes/overlays/{env}/{ns}")) {
                assert_eq!(o["metadata"]["namespace"], ns);
                assert_eq!(o["metadata"]["labels"]["tenant"], tenant);
            }
        }
    }
    // The first environment's values are the shared ones: a tenant with no
    // overrides and no dedicated NodePool patches nothing there but the
    // names of its own queues and ALB group.
    let k = &yaml_docs(&m, "kubernetes/overlays/dev/shop-globex/kustomization.yaml")[0];
    let targets: Vec<&Value> = k["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["target"])
        .collect();
    assert_eq!(targets, [&serde_json::json!({"kind": "Ingress"})]);
}

#[test]
fn rendering_is_deterministic() {
    let a = lower(&shop());
    let b = lower(&shop());
    let bytes = |o: &super::Output| {
        o.files
            .iter()
            .map(|(k, d)| (k.clone(), render::render(d)))
            .collect::<Vec<_>>()
    };
    assert_eq!(bytes(&a), bytes(&b));
    assert_eq!(a.notes, b.notes);
}

#[test]
fn plan_counts_the_objects_the_overlays_build() {
    let mut m = shop();
    // prod drops one workload's HPA: a delete patch in each tenant's overlay.
    for env in m
        .environments
        .iter_mut()
        .filter(|e| e.name.as_str() == "prod")
    {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                let api = w
                    .services
                    .iter_mut()
                    .find(|s| s.name.as_str() == "api")
                    .unwrap();
                api.scale.max = api.scale.min;
            }
        }
    }
    let out = lower(&m);
    let mut built: std::collections::BTreeMap<String, u64> = Default::default();
    for env in ["dev", "prod"] {
        for o in super::build::build(&out.files, &format!("kubernetes/overlays/{env}")) {
            *built
                .entry(o["kind"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let counted = crate::plan::resources::explicit(&out);
    // (`base` is one set of objects that every environment applies, and
    // is counted once, like every other file.)
    for kind in [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Service",
        "CronJob",
        "ScaledObject",
    ] {
        assert_eq!(counted.get(kind), built.get(kind), "{kind}");
    }
    assert!(built["HorizontalPodAutoscaler"] > 0);
}

/// The variables a container of `kind`/`name` in a built unit sees: every
/// `configMapKeyRef` resolved against the ConfigMaps of the unit (a key
/// that is missing fails the test, as it would fail the pod), every
/// `secretKeyRef` checked against the ExternalSecrets of the unit (shown
/// as `secret:<name>/<key> <- <Secrets Manager key>`).
fn container_env(
    unit: &[Value],
    kind: &str,
    name: &str,
) -> std::collections::BTreeMap<String, String> {
    let o = unit
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} in the unit"));
    let pod = if kind == "CronJob" {
        &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &o["spec"]["template"]["spec"]
    };
    let ns = &o["metadata"]["namespace"];
    let mut out = std::collections::BTreeMap::new();
    for e in pod["containers"][0]["env"].as_array().into_iter().flatten() {
        let var = e["name"].as_str().unwrap().to_string();
        let value = if let Some(v) = e["value"].as_str() {
            v.to_string()
        } else if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
            let cm = unit
                .iter()
                .find(|c| c["kind"] == "ConfigMap" && c["metadata"]["name"] == r["name"])
                .unwrap_or_else(|| panic!("ConfigMap {} for {var}", r["name"]));
            assert_eq!(
                &cm["metadata"]["namespace"], ns,
                "ConfigMap in the pod's namespace"
            );
            cm["data"][r["key"].as_str().unwrap()]
                .as_str()
                .unwrap_or_else(|| panic!("key {} in ConfigMap {}", r["key"], r["name"]))
                .to_string()
        } else if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
            let es = unit
                .iter()
                .find(|x| x["kind"] == "ExternalSecret" && x["spec"]["target"]["name"] == r["name"])
                .unwrap_or_else(|| {
                    panic!("an ExternalSecret makes Secret {} for {var}", r["name"])
                });
            assert_eq!(
                &es["metadata"]["namespace"], ns,
                "ExternalSecret in the pod's namespace"
            );
            let store = &es["spec"]["secretStoreRef"];
            assert_eq!(store["kind"], "SecretStore");
            assert!(
                unit.iter().any(|s| s["kind"] == "SecretStore"
                    && s["metadata"]["name"] == store["name"]
                    && &s["metadata"]["namespace"] == ns),
                "SecretStore {} in {ns}",
                store["name"]
            );
            let d = es["spec"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["secretKey"] == r["key"])
                .unwrap_or_else(|| panic!("ExternalSecret {} has key {}", r["name"], r["key"]));
            format!(
                "secret:{}/{} <- {}",
                r["name"].as_str().unwrap(),
                r["key"].as_str().unwrap(),
                d["remoteRef"]["key"].as_str().unwrap()
            )
        } else {
            panic!("{var}: {e}")
        };
        out.insert(var, value);
    }
    out
}

/// `shop` with an account for `prod`, a secret on `api` and on `report`,
/// and a tenant override of the secret.
fn shop_with_contract() -> Model {
    let mut m = shop();
    for env in &mut m.environments {
        if env.name.as_str() == "prod" {
            env.account = Some("012345678901".into());
        }
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                let t = w.tenant.as_ref().map(|t| t.to_string()).unwrap_or_default();
                let secret = if t == "acme" { "acme/db" } else { "prod/db" };
                w.services[0]
                    .secrets
                    .insert("DB_PASSWORD".into(), crate::model::SecretRef::parse(secret));
                w.jobs[0].publishes = vec![name("orders")];
                w.jobs[0].secrets.insert(
                    "REPORT_TOKEN".into(),
                    crate::model::SecretRef::parse(
                        "arn:aws:secretsmanager:eu-west-1:012345678901:secret:report-AbCdEf",
                    ),
                );
            }
        }
    }
    m
}

#[test]
fn every_workload_is_told_its_tenants_queues_callees_and_secrets() {
    let m = shop_with_contract();
    let out = lower(&m);
    for env in ["dev", "prod"] {
        for t in ["acme", "globex", "umbrella"] {
            let unit =
                super::build::build(&out.files, &format!("kubernetes/overlays/{env}/shop-{t}"));
            let api = container_env(&unit, "Deployment", "api");
            assert_eq!(api["BLUEPRINT_APP"], "shop");
            assert_eq!(api["BLUEPRINT_ENVIRONMENT"], env);
            assert_eq!(api["BLUEPRINT_TENANT"], t);
            assert_eq!(api["AWS_REGION"], "eu-west-1");
            // The callee in the tenant's own namespace.
            assert_eq!(api["PAYMENTS_URL"], "http://payments:9000");
            let queue = format!("shop-{env}-{t}-orders");
            if env == "prod" {
                assert_eq!(
                    api["ORDERS_QUEUE_URL"],
                    format!("https://sqs.eu-west-1.amazonaws.com/012345678901/{queue}")
                );
                assert!(!api.contains_key("ORDERS_QUEUE_NAME"));
            } else {
                assert_eq!(api["ORDERS_QUEUE_NAME"], queue);
                assert!(!api.contains_key("ORDERS_QUEUE_URL"));
            }
            let secret = if t == "acme" { "acme/db" } else { "prod/db" };
            assert_eq!(
                api["DB_PASSWORD"],
                format!("secret:api/DB_PASSWORD <- {secret}")
            );
            // Only what it uses: api publishes to orders and calls payments.
            let names: Vec<&String> = api.keys().collect();
            assert_eq!(
                names,
                [
                    "AWS_REGION",
                    "BLUEPRINT_APP",
                    "BLUEPRINT_ENVIRONMENT",
                    "BLUEPRINT_TENANT",
                    "DB_PASSWORD",
                    if env == "prod" {
                        "ORDERS_QUEUE_URL"
                    } else {
                        "ORDERS_QUEUE_NAME"
                    },
                    "PAYMENTS_URL",
                ]
            );
            let report = container_env(&unit, "CronJob", "report");
            assert_eq!(report["BLUEPRINT_TENANT"], t);
            assert!(report["REPORT_TOKEN"].ends_with(":secret:report-AbCdEf"));
            let worker = container_env(&unit, "Deployment", "worker");
            assert!(!worker.contains_key("PAYMENTS_URL"));
            // The tenant's SecretStore assumes the tenant's own role.
            let store = unit.iter().find(|o| o["kind"] == "SecretStore").unwrap();
            let account = if env == "prod" {
                "012345678901"
            } else {
                "${aws_account_id}"
            };
            assert_eq!(
                store["spec"]["provider"]["aws"]["role"],
                format!("arn:aws:iam::{account}:role/shop-{env}-{t}-secrets")
            );
        }
    }
}

#[test]
fn tenant_secrets_roles_read_only_their_tenants_secrets() {
    let m = shop_with_contract();
    let out = lower(&m);
    let text = String::from_utf8(render::render(&out.files["terraform/prod/main.tf"])).unwrap();
    let main: hcl::Value = hcl::from_str(&text).unwrap();
    let main = serde_json::to_value(main).unwrap();
    let module = &main["module"]["cluster"];
    let stores = module["secret_stores"].as_object().unwrap();
    assert_eq!(stores.len(), 3);
    let acme = &stores["shop-acme"];
    assert_eq!(acme["role_name"], "shop-prod-acme-secrets");
    assert_eq!(acme["namespace"], "shop-acme");
    assert_eq!(
        acme["secrets"],
        serde_json::json!([
            "acme/db-??????",
            "arn:aws:secretsmanager:eu-west-1:012345678901:secret:report-AbCdEf"
        ])
    );
    assert_eq!(stores["shop-globex"]["secrets"][1], "prod/db-??????");
    // Workload roles no longer read secrets: the pod gets the value.
    for (_, w) in module["workloads"].as_object().unwrap() {
        assert!(w.get("secrets").is_none(), "{w}");
    }
    // `prod` names its account: workloads get URLs, so no GetQueueUrl.
    assert!(!module["iam_actions"]
        .to_string()
        .contains("sqs:GetQueueUrl"));
    let dev = String::from_utf8(render::render(&out.files["terraform/dev/main.tf"])).unwrap();
    assert!(
        dev.contains("sqs:GetQueueUrl"),
        "dev looks queue URLs up by name"
    );
}

#[test]
fn writable_paths_are_empty_dir_volumes() {
    let mut m = shop();
    for env in &mut m.environments {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                w.services[1].writable_paths = vec![
                    "/tmp/x".into(),
                    "/var/cache/nginx".into(),
                    "/var/run".into(),
                ];
            }
        }
        env.base.services[1].writable_paths = vec![
            "/tmp/x".into(),
            "/var/cache/nginx".into(),
            "/var/run".into(),
        ];
    }
    let docs = workload(&m, "prod", "shop-globex", "payments");
    let pod = &one(&docs, "Deployment")["spec"]["template"]["spec"];
    let mounts: Vec<(&str, &str)> = pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["mountPath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        [
            ("tmp", "/tmp"),
            ("writable-1", "/var/cache/nginx"),
            ("writable-2", "/var/run")
        ]
    );
    for (name, _) in mounts {
        let v = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap();
        assert!(v["emptyDir"].is_object(), "{v}");
    }
    assert_eq!(
        pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
}

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

/// A workload's objects as the tenant's unit builds them.
fn workload(model: &Model, env: &str, ns: &str, name: &str) -> Vec<Value> {
    let out = lower(model);
    unit(&out.files, env, ns)
        .into_iter()
        .filter(|o| o["metadata"]["name"] == name)
        .collect()
}

/// A tenant's unit as Flux builds and substitutes it, with the values its
/// Flux Kustomization substitutes itself (the namespace) and test values
/// for Terraform's inputs.
fn unit(files: &crate::doc::FileSet, env: &str, ns: &str) -> Vec<Value> {
    let inputs = terraform_inputs("shop", &format!("{ns}.example.com"));
    let mut vars: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    vars.push(("namespace", ns));
    flux_build(files, &format!("kubernetes/overlays/{env}/{ns}"), &vars)
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
    // The public api accepts its port from the load balancer's subnets
    // only (their CIDRs are inputs: the blueprint has no network block, so
    // room for six).
    assert_eq!(np["spec"]["ingress"][0]["ports"][0]["port"], 8080);
    let from: Vec<&Value> = np["spec"]["ingress"][0]["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["ipBlock"]["cidr"])
        .collect();
    assert_eq!(from.len(), 6);
    assert_eq!(from[0], "10.0.0.0/24");
    assert_eq!(from[5], "10.0.5.0/24");
    let shared = yaml_docs(&m, "kubernetes/workloads/api.yaml");
    let np = one(&shared, "NetworkPolicy");
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "${lb_subnet_cidr_0}"
    );

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
    let unit = unit(&lower(&m).files, "dev", "shop-globex");
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
    let pools = yaml_docs(&m, "kubernetes/overlays/prod/nodepools/karpenter.yaml");
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
    // Node classes: the default one, and one per dedicated tenant, whose
    // nodes and volumes carry the tenant's tag with the blueprint's.
    let classes = kind(&pools, "EC2NodeClass");
    assert_eq!(classes.len(), 2);
    let nc = classes
        .iter()
        .find(|c| c["metadata"]["name"] == "default")
        .unwrap();
    assert_eq!(nc["spec"]["role"], "shop-prod-karpenter-node");
    assert_eq!(
        nc["spec"]["subnetSelectorTerms"][0]["tags"]["karpenter.sh/discovery"],
        "shop-prod"
    );
    assert_eq!(nc["spec"]["tags"]["environment"], "prod");
    assert!(nc["spec"]["tags"].get("tenant").is_none());
    let acme_class = classes
        .iter()
        .find(|c| c["metadata"]["name"] == "tenant-acme")
        .unwrap();
    assert_eq!(acme_class["spec"]["tags"]["tenant"], "acme");
    assert_eq!(acme_class["spec"]["tags"]["app"], "shop");
    assert_eq!(
        acme["spec"]["template"]["spec"]["nodeClassRef"]["name"],
        "tenant-acme"
    );
    assert_eq!(
        default["spec"]["template"]["spec"]["nodeClassRef"]["name"],
        "default"
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
    // As Flux builds it: Flux's substitution also reads `$$` as `$`.
    let built = flux_build(
        &files,
        "kubernetes/overlays/dev/shop-acme",
        &[("namespace", "shop-acme")],
    );
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
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("\"globex/orders\" = {"), "{text}");
    assert!(text.contains("name = \"shop-prod-globex-orders\""));
    assert!(text.contains("\"acme/worker\" = {"));
    assert!(text.contains("namespace = \"shop-acme\""));
    assert!(text.contains("consumes = [\"acme/orders\"]"));
    assert!(text.contains("source = \"../modules/eks\""));
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
    // The shared objects name no tenant: their namespace is the unit's,
    // which Flux substitutes.
    for f in &files {
        for d in yaml_docs(&m, &format!("kubernetes/workloads/{f}")) {
            assert_eq!(d["metadata"]["namespace"], "${namespace}", "{d}");
            assert!(d["metadata"]["labels"].get("tenant").is_none(), "{d}");
        }
    }
    for env in ["dev", "prod"] {
        // No kustomization of a whole environment: each tenant's unit
        // names the same shared objects, in its own namespace.
        assert!(!out
            .files
            .contains_key(&format!("kubernetes/overlays/{env}/kustomization.yaml")));
        for ns in ["shop-acme", "shop-globex", "shop-umbrella"] {
            let k = &yaml_docs(
                &m,
                &format!("kubernetes/overlays/{env}/{ns}/kustomization.yaml"),
            )[0];
            // No namespace transformer: it compares every object with
            // every other and dominated the build.
            assert!(k.get("namespace").is_none());
            assert_eq!(k["resources"][0], format!("../../../base/{ns}"));
            assert_eq!(k["resources"][1], "../../../workloads");
            // Every object of the tenant is in its namespace, labelled.
            let tenant = ns.strip_prefix("shop-").unwrap();
            for o in unit(&out.files, env, ns) {
                if o["kind"] == "Namespace" {
                    assert_eq!(o["metadata"]["name"], ns);
                } else {
                    assert_eq!(o["metadata"]["namespace"], ns, "{o}");
                }
                assert_eq!(o["metadata"]["labels"]["tenant"], tenant);
            }
        }
    }
    // The first environment's values are the shared ones: a tenant with no
    // overrides and no dedicated NodePool patches nothing at all (its
    // queues, ALB group and namespace come from its own objects and its
    // unit's substitution).
    let k = &yaml_docs(&m, "kubernetes/overlays/dev/shop-globex/kustomization.yaml")[0];
    assert!(k.get("patches").is_none(), "{k}");
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
        for ns in ["shop-acme", "shop-globex", "shop-umbrella"] {
            for o in unit(&out.files, env, ns) {
                *built
                    .entry(o["kind"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
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
            let unit = unit(&out.files, env, &format!("shop-{t}"));
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
            // Every reference of every workload resolves in its namespace:
            // a ConfigMap key, or a Secret an ExternalSecret makes through
            // the namespace's SecretStore (`container_env` fails if not).
            for o in unit
                .iter()
                .filter(|o| o["kind"] == "Deployment" || o["kind"] == "CronJob")
            {
                container_env(
                    &unit,
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap(),
                );
            }
            // The tenant's SecretStore assumes the tenant's own role.
            let store = unit.iter().find(|o| o["kind"] == "SecretStore").unwrap();
            // The environment's account, or Terraform's input (test value
            // 111122223333) where the blueprint names none.
            let account = if env == "prod" {
                "012345678901"
            } else {
                "111122223333"
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
    let mounts = volume_mounts(pod);
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

/// A statement as IAM compares it: Sid, Effect, the sets of actions and
/// resources, and per condition operator and key the set of values.
type Statement = (
    String,
    String,
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
    std::collections::BTreeMap<(String, String), std::collections::BTreeSet<String>>,
);

fn set(v: &Value) -> std::collections::BTreeSet<String> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
        Value::String(s) => std::iter::once(s.clone()).collect(),
        Value::Null => Default::default(),
        other => panic!("{other}"),
    }
}

#[test]
fn karpenter_controller_policy_equals_the_published_reference() {
    // The reference: the six managed policies of Karpenter's v1.14.1
    // CloudFormation template, CloudFormation placeholders kept.
    let reference: Value = serde_json::from_str(include_str!(
        "testdata/karpenter-v1.14.1-controller-policy.json"
    ))
    .unwrap();
    let mut want: Vec<Statement> = Vec::new();
    for (_, policy) in reference["policies"].as_object().unwrap() {
        for s in policy["Statement"].as_array().unwrap() {
            let mut conditions = std::collections::BTreeMap::new();
            for (op, keys) in s["Condition"].as_object().into_iter().flatten() {
                for (k, v) in keys.as_object().unwrap() {
                    conditions.insert((op.clone(), k.clone()), set(v));
                }
            }
            want.push((
                s["Sid"].as_str().unwrap().into(),
                s["Effect"].as_str().unwrap().into(),
                set(&s["Action"]),
                set(&s["Resource"]),
                conditions,
            ));
        }
    }
    // The module's policy document, with its references spelled as the
    // template's placeholders.
    let tf: Value =
        hcl::from_str(include_str!("../../../templates/eks/cluster/karpenter.tf")).unwrap();
    let doc = &tf["data"]["aws_iam_policy_document"]["karpenter_controller"];
    let spell =
        |s: &str| {
            [
            ("${local.ec2_arn}", "arn:${AWS::Partition}:ec2:${AWS::Region}"),
            (
                "${local.instance_profile_arn}",
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/*",
            ),
            (
                "${aws_eks_cluster.this.arn}",
                "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:cluster/${ClusterName}",
            ),
            ("${aws_iam_role.karpenter_node.arn}", "${KarpenterNodeRole.Arn}"),
            (
                "${aws_sqs_queue.karpenter_interruption.arn}",
                "${KarpenterInterruptionQueue.Arn}",
            ),
            ("${local.partition}", "${AWS::Partition}"),
            ("${local.region}", "${AWS::Region}"),
            ("${local.account_id}", "${AWS::AccountId}"),
            ("${var.name}", "${ClusterName}"),
        ]
        .iter()
        .fold(s.to_string(), |s, (from, to)| s.replace(from, to))
        };
    let spelled = |v: &Value| set(v).iter().map(|s| spell(s)).collect();
    let statements = match &doc["statement"] {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    let mut got: Vec<Statement> = Vec::new();
    for s in &statements {
        let mut conditions: std::collections::BTreeMap<_, std::collections::BTreeSet<String>> =
            Default::default();
        let list = match &s["condition"] {
            Value::Array(a) => a.clone(),
            Value::Null => vec![],
            one => vec![one.clone()],
        };
        for c in list {
            let key = (
                c["test"].as_str().unwrap().to_string(),
                spell(c["variable"].as_str().unwrap()),
            );
            assert!(
                conditions
                    .insert(key.clone(), spelled(&c["values"]))
                    .is_none(),
                "{key:?} twice"
            );
        }
        got.push((
            s["sid"].as_str().unwrap().into(),
            s.get("effect")
                .and_then(Value::as_str)
                .unwrap_or("Allow")
                .into(),
            spelled(&s["actions"]),
            spelled(&s["resources"]),
            conditions,
        ));
    }
    want.sort();
    got.sort();
    assert_eq!(got.len(), 18, "the reference has 18 statements");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "statement {}", w.0);
    }
    assert_eq!(got, want);
}

#[test]
fn the_load_balancer_controllers_policy_is_awss_published_file() {
    use sha2::{Digest, Sha256};
    let policy =
        include_bytes!("../../../templates/eks/cluster/aws-load-balancer-controller-policy.json");
    // kubernetes-sigs/aws-load-balancer-controller v3.5.0
    // (11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4), docs/install/iam_policy.json.
    let hex: String = Sha256::digest(policy)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex,
        "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a"
    );
    let v: Value = serde_json::from_slice(policy).unwrap();
    assert_eq!(v["Statement"].as_array().unwrap().len(), 16);
}

/// A unit built as Flux builds it: kustomize, then post-build substitution
/// of `${name}` from `vars` in every object not marked
/// `kustomize.toolkit.fluxcd.io/substitute: disabled`, where `$$` turns
/// into `$` (Flux's envsubst). Variables it does not know are left.
fn flux_build(files: &crate::doc::FileSet, dir: &str, vars: &[(&str, &str)]) -> Vec<Value> {
    let subst = |s: &str| -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(t) = tail.strip_prefix("$$") {
                out.push('$');
                rest = t;
            } else if let (Some(t), Some(end)) = (tail.strip_prefix("${"), tail.find('}')) {
                let name = &t[..end - 2];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&tail[..=end]),
                }
                rest = &tail[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    };
    fn walk(v: &mut Value, f: &dyn Fn(&str) -> String) {
        match v {
            Value::String(s) => *s = f(s),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
            Value::Object(m) => m.values_mut().for_each(|x| walk(x, f)),
            _ => {}
        }
    }
    let mut objects = super::build::build(files, dir);
    for o in &mut objects {
        let disabled =
            o["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"] == "disabled";
        if !disabled {
            walk(o, &subst);
        }
    }
    objects
}

/// Every `${name}` left in `objects`.
fn placeholders(objects: &[Value]) -> Vec<String> {
    let text = serde_json::to_string(objects).unwrap();
    let mut out: Vec<String> = text
        .match_indices("${")
        .map(|(i, _)| {
            let end = text[i..].find('}').unwrap();
            text[i + 2..i + end].to_string()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The inputs Terraform's `kubernetes_inputs` output holds, with values
/// for a test: the environment's, and per unit with a public service its
/// host and certificate.
fn terraform_inputs(app: &str, host: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("aws_account_id".into(), "111122223333".into()),
        (
            "cluster_endpoint".into(),
            "https://ABC.gr7.eu-west-1.eks.amazonaws.com".into(),
        ),
        ("vpc_id".into(), "vpc-0123".into()),
        ("host".into(), host.into()),
        (
            "certificate_arn".into(),
            format!("arn:aws:acm:eu-west-1:111122223333:certificate/{app}"),
        ),
    ];
    for i in 0..6 {
        v.push((format!("lb_subnet_cidr_{i}"), format!("10.0.{i}.0/24")));
    }
    v
}

#[test]
fn flux_substitutes_the_inputs_and_leaves_the_users_text_alone() {
    let mut m = shop();
    let tricky = "a$(PATH) $$ ${HOME} $x";
    for env in &mut m.environments {
        env.base.services[0]
            .env
            .insert("TRICKY".into(), tricky.into());
        env.base.services[0].command = Some(vec!["run".into(), "${NOT_FLUX}".into()]);
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                w.services[0].env.insert("TRICKY".into(), tricky.into());
                w.services[0].command = Some(vec!["run".into(), "${NOT_FLUX}".into()]);
                if let Some(h) = &mut w.services[0].health {
                    h.path = "/h$$".into();
                }
            }
        }
        if let Some(h) = &mut env.base.services[0].health {
            h.path = "/h$$".into();
        }
    }
    let out = lower(&m);
    let owned = terraform_inputs("shop", "globex.example.com");
    let vars: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut vars = vars;
    vars.push(("namespace", "shop-globex"));
    let unit = flux_build(&out.files, "kubernetes/overlays/prod/shop-globex", &vars);
    // Every input is known to Terraform's output: nothing is left unset.
    assert!(
        placeholders(&unit)
            .iter()
            .all(|p| p == "HOME" || p == "NOT_FLUX"),
        "{:?}",
        placeholders(&unit)
    );
    let api = container_env(&unit, "Deployment", "api");
    // Kubernetes reads `$$` as `$`: the doubled text is the literal value.
    assert_eq!(api["TRICKY"], tricky.replace('$', "$$"));
    let d = unit
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "api")
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["args"][1],
        "$${NOT_FLUX}"
    );
    let svc = unit
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "api")
        .unwrap();
    assert_eq!(
        svc["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"],
        "/h$$"
    );
    // The Ingress got the tenant's host and certificate.
    for ing in unit.iter().filter(|o| o["kind"] == "Ingress") {
        assert_eq!(ing["spec"]["rules"][0]["host"], "globex.example.com");
        assert_eq!(
            ing["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"],
            "arn:aws:acm:eu-west-1:111122223333:certificate/shop"
        );
        assert_eq!(
            ing["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"],
            "shop-globex"
        );
    }
    let np = unit
        .iter()
        .find(|o| o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "api")
        .unwrap();
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "10.0.0.0/24"
    );
    // Every object lands in the tenant's namespace, and none is kept from
    // substitution: the user's text is escaped for it instead.
    for o in &unit {
        assert!(
            o["metadata"]["namespace"] == "shop-globex"
                || (o["kind"] == "Namespace" && o["metadata"]["name"] == "shop-globex"),
            "{o}"
        );
        assert!(o["metadata"]["annotations"]
            .get("kustomize.toolkit.fluxcd.io/substitute")
            .is_none());
    }
}

#[test]
fn public_services_drain_before_they_stop_and_jobs_are_not_disrupted() {
    let m = shop();
    let api = workload(&m, "prod", "shop-globex", "api");
    let pod = &one(&api, "Deployment")["spec"]["template"]["spec"];
    let dereg = crate::aws::defaults::DEREGISTRATION_DELAY_SECS;
    let sleep = pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap();
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(sleep > dereg && grace > sleep, "{sleep} {grace} {dereg}");
    let svc = one(&api, "Service");
    assert_eq!(
        svc["metadata"]["annotations"]["alb.ingress.kubernetes.io/target-group-attributes"],
        format!("deregistration_delay.timeout_seconds={dereg}")
    );
    // An internal service has neither.
    let payments = workload(&m, "prod", "shop-globex", "payments");
    let pod = &one(&payments, "Deployment")["spec"]["template"]["spec"];
    assert!(pod.get("terminationGracePeriodSeconds").is_none());
    // Job pods: Karpenter does not consolidate a node under a running job.
    let report = workload(&m, "prod", "shop-globex", "report");
    let cj = one(&report, "CronJob");
    assert_eq!(
        cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"]
            ["karpenter.sh/do-not-disrupt"],
        "true"
    );
    // The namespace of a tenant with a public service gets readiness gates.
    let base = yaml_docs(&m, "kubernetes/base/shop-globex/namespace.yaml");
    assert_eq!(
        one(&base, "Namespace")["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"],
        "enabled"
    );
}

#[test]
fn the_platform_unit_installs_every_controller_the_objects_use_pinned() {
    let m = shop_with_contract();
    let out = lower(&m);
    let releases = yaml_docs(&m, "kubernetes/platform/prod/releases.yaml");
    let sources = yaml_docs(&m, "kubernetes/platform/prod/sources.yaml");
    let installed: Vec<&str> = releases
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        installed,
        [
            "karpenter-crd",
            "karpenter",
            "aws-load-balancer-controller",
            "keda",
            "external-secrets",
            "metrics-server"
        ]
    );
    for r in &releases {
        let name = r["metadata"]["name"].as_str().unwrap();
        let chart = super::platform::CHARTS
            .iter()
            .find(|c| c.release == name)
            .unwrap();
        assert_eq!(r["spec"]["targetNamespace"], chart.namespace);
        assert_eq!(r["spec"]["releaseName"], name);
        // The version: on the chart template, or on the OCI source.
        let version = match r["spec"]["chart"]["spec"]["version"].as_str() {
            Some(v) => v.to_string(),
            None => {
                let src = sources
                    .iter()
                    .find(|s| {
                        s["kind"] == r["spec"]["chartRef"]["kind"]
                            && s["metadata"]["name"] == r["spec"]["chartRef"]["name"]
                    })
                    .unwrap();
                src["spec"]["ref"]["tag"].as_str().unwrap().to_string()
            }
        };
        assert_eq!(version, chart.version, "{name}");
        if let Some(repo) = r["spec"]["chart"]["spec"]["sourceRef"]["name"].as_str() {
            assert!(sources
                .iter()
                .any(|s| s["kind"] == "HelmRepository" && s["metadata"]["name"] == repo));
        }
    }
    // CRDs before the controller that needs them.
    let karpenter = &releases[1];
    assert_eq!(karpenter["spec"]["dependsOn"][0]["name"], "karpenter-crd");
    assert_eq!(karpenter["spec"]["install"]["crds"], "Skip");
    // Identities: the service accounts the Terraform module binds.
    let module: String = ["karpenter.tf", "lb_controller.tf", "keda.tf", "secrets.tf"]
        .iter()
        .map(
            |f| match &out.files[&format!("terraform/modules/eks/{f}")] {
                Document::HclSource(s) => s.to_string(),
                other => panic!("{other:?}"),
            },
        )
        .collect();
    let flat = module.split_whitespace().collect::<Vec<_>>().join(" ");
    for (ns, sa) in [
        crate::aws::names::eks::KARPENTER_SERVICE_ACCOUNT,
        crate::aws::names::eks::LB_CONTROLLER_SERVICE_ACCOUNT,
        crate::aws::names::eks::KEDA_SERVICE_ACCOUNT,
        crate::aws::names::eks::EXTERNAL_SECRETS_SERVICE_ACCOUNT,
    ] {
        assert!(
            flat.contains(&format!("namespace = \"{ns}\" service_account = \"{sa}\"")),
            "{ns}/{sa}"
        );
    }
    let value = |name: &str, path: &str| {
        releases
            .iter()
            .find(|r| r["metadata"]["name"] == name)
            .unwrap()["spec"]["values"]
            .pointer(path)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(value("karpenter", "/serviceAccount/name"), "karpenter");
    assert_eq!(
        value("karpenter", "/settings/interruptionQueue"),
        "shop-prod-karpenter"
    );
    assert_eq!(
        value("aws-load-balancer-controller", "/serviceAccount/name"),
        "aws-load-balancer-controller"
    );
    assert_eq!(
        value("aws-load-balancer-controller", "/region"),
        "eu-west-1"
    );
    assert_eq!(value("aws-load-balancer-controller", "/vpcId"), "${vpc_id}");
    assert_eq!(
        value("external-secrets", "/serviceAccount/name"),
        "external-secrets"
    );
    assert_eq!(
        value("keda", "/serviceAccount/operator/name"),
        "keda-operator"
    );
    // The controllers may run on the tainted system nodes.
    for r in [
        "aws-load-balancer-controller",
        "keda",
        "external-secrets",
        "metrics-server",
    ] {
        assert_eq!(value(r, "/tolerations/0/key"), "CriticalAddonsOnly", "{r}");
    }
    // The versions are the ones docs/eks.md lists.
    let docs = include_str!("../../../docs/eks.md");
    for c in super::platform::CHARTS {
        assert!(
            docs.contains(&format!("| `{}` | {} |", c.chart, c.version)),
            "docs/eks.md lists {} {}",
            c.chart,
            c.version
        );
    }
    // Without public services, secrets or queue workers: Karpenter and
    // metrics-server only.
    let plain = model(
        &["prod"],
        &[],
        &[],
        vec![http("web", "nginx:1", 8080)],
        vec![],
        vec![],
    );
    let releases = yaml_docs(&plain, "kubernetes/platform/prod/releases.yaml");
    let installed: Vec<&str> = releases
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(installed, ["karpenter-crd", "karpenter", "metrics-server"]);
}

#[test]
fn gitops_units_point_at_folders_of_the_output_in_order() {
    let m = shop();
    let out = lower(&m);
    for env in ["dev", "prod"] {
        let units = yaml_docs(&m, &format!("kubernetes/clusters/{env}/shop.yaml"));
        let names: Vec<&str> = units
            .iter()
            .map(|u| u["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "shop-platform",
                "shop-nodepools",
                "shop-tenant-globex",
                "shop-tenant-umbrella",
                "shop-tenant-acme"
            ]
        );
        for (i, u) in units.iter().enumerate() {
            assert_eq!(u["metadata"]["namespace"], "flux-system");
            assert_eq!(u["spec"]["prune"], true);
            assert_eq!(u["spec"]["wait"], true);
            assert_eq!(u["spec"]["sourceRef"]["name"], "flux-system");
            let path = u["spec"]["path"].as_str().unwrap();
            let dir = path
                .strip_prefix(&format!("./{}/", super::gitops::REPOSITORY_PATH))
                .unwrap();
            assert!(
                out.files.contains_key(&format!("{dir}/kustomization.yaml")),
                "{path} is a kustomization of the output"
            );
            // Dependencies come earlier in the file.
            for d in u["spec"]["dependsOn"].as_array().into_iter().flatten() {
                assert!(names[..i].contains(&d["name"].as_str().unwrap()), "{d}");
            }
        }
        // A tenant unit builds one tenant: only its namespace.
        let acme = &units[4];
        assert_eq!(
            acme["spec"]["dependsOn"],
            serde_json::json!([{"name": "shop-platform"}, {"name": "shop-nodepools"}])
        );
        let from: Vec<&str> = acme["spec"]["postBuild"]["substituteFrom"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(from, ["shop-inputs", "shop-tenant-acme-inputs"]);
        // It holds all of that tenant, and nothing else.
        let built = unit(&out.files, env, "shop-acme");
        assert!(built
            .iter()
            .all(|o| o["metadata"]["namespace"] == "shop-acme"
                || (o["kind"] == "Namespace" && o["metadata"]["name"] == "shop-acme")));
        for k in [
            "Namespace",
            "NetworkPolicy",
            "ServiceAccount",
            "Deployment",
            "ConfigMap",
        ] {
            assert!(built.iter().any(|o| o["kind"] == k), "{k}");
        }
    }
    // Terraform writes the inputs those units read: the module gets the
    // unit ConfigMaps' names, and its output names the environment's.
    let text = String::from_utf8(render::render(&out.files["terraform/prod/main.tf"])).unwrap();
    let main: hcl::Value = hcl::from_str(&text).unwrap();
    let main = serde_json::to_value(main).unwrap();
    let module = &main["module"]["cluster"];
    let units: Vec<&String> = module["ingress_units"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        units,
        [
            "shop-tenant-globex-inputs",
            "shop-tenant-umbrella-inputs",
            "shop-tenant-acme-inputs"
        ]
    );
    assert_eq!(module["names"]["inputs_config_map"], "shop-inputs");
    assert_eq!(module["lb_subnet_cidr_count"], 6);
}

#[test]
fn system_nodes_are_tainted_and_network_policies_strict() {
    let module = |f: &str| -> Value {
        let out = lower(&shop());
        let text = match &out.files[&format!("terraform/modules/eks/{f}")] {
            Document::HclSource(s) => s.to_string(),
            other => panic!("{other:?}"),
        };
        serde_json::to_value(hcl::from_str::<hcl::Value>(&text).unwrap()).unwrap()
    };
    let cluster = module("cluster.tf");
    let group = &cluster["resource"]["aws_eks_node_group"]["system"];
    assert_eq!(group["taint"]["key"], "CriticalAddonsOnly");
    assert_eq!(group["taint"]["effect"], "NO_SCHEDULE");
    assert_eq!(group["labels"]["blueprint.dev/pool"], "system");
    let addons = module("addons.tf");
    let cni = addons["resource"]["aws_eks_addon"]["vpc_cni"]["configuration_values"].to_string();
    assert!(cni.contains("NETWORK_POLICY_ENFORCING_MODE"), "{cni}");
    assert!(cni.contains("var.network_policy_enforcing_mode"), "{cni}");
    let coredns =
        addons["resource"]["aws_eks_addon"]["coredns"]["configuration_values"].to_string();
    assert!(coredns.contains("CriticalAddonsOnly"), "{coredns}");
    // The roots pass strict unless told otherwise (the first apply).
    let out = lower(&shop());
    let vars =
        String::from_utf8(render::render(&out.files["terraform/prod/variables.tf"])).unwrap();
    let vars: Value = serde_json::to_value(hcl::from_str::<hcl::Value>(&vars).unwrap()).unwrap();
    assert_eq!(
        vars["variable"]["network_policy_enforcing_mode"]["default"],
        "strict"
    );
    for v in ["certificate_arn", "domain_name", "tenant_domains"] {
        assert!(vars["variable"].get(v).is_some(), "{v}");
    }
    // The system namespaces' pods may talk (strict mode denies a pod with
    // no policy everything), tenants stay default-deny.
    let system = yaml_docs(&shop(), "kubernetes/platform/prod/system.yaml");
    let allowed: Vec<&str> = kind(&system, "NetworkPolicy")
        .iter()
        .map(|p| p["metadata"]["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, ["kube-system", "keda"]);
    for p in kind(&system, "NetworkPolicy") {
        assert_eq!(p["spec"]["ingress"], serde_json::json!([{}]));
        assert_eq!(p["spec"]["egress"], serde_json::json!([{}]));
    }
}

/// The stateful blueprint of `testdata/stateful.yaml`: `search` (port,
/// HPA, a larger volume in prod and for tenant acme), `indexer` (no
/// port, one replica, its volume also a writable path), environments
/// prod and staging, a shared and a dedicated tenant.
fn finder() -> Model {
    crate::normalize::load(include_str!("testdata/stateful.yaml"))
        .unwrap_or_else(|d| panic!("{d:#?}"))
}

fn finder_unit(files: &crate::doc::FileSet, env: &str, tenant: &str) -> Vec<Value> {
    unit(files, env, &format!("finder-{tenant}"))
}

fn find<'a>(docs: &'a [Value], k: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == k && d["metadata"]["name"] == name)
}

#[test]
fn stateful_services_are_statefulsets_with_a_volume_claim_per_replica() {
    use crate::aws::names::eks::STORAGE_CLASS;
    let m = finder();
    let out = lower(&m);
    for (env, tenant, size) in [
        ("prod", "acme", "50Gi"),
        ("prod", "initech", "100Gi"),
        ("staging", "acme", "50Gi"),
        ("staging", "initech", "20Gi"),
    ] {
        let unit = finder_unit(&out.files, env, tenant);
        let at = format!("{env}/{tenant}");
        // A StatefulSet, and no Deployment, for each stateful service.
        for name in ["search", "indexer"] {
            assert!(find(&unit, "Deployment", name).is_none(), "{at}: {name}");
            assert!(find(&unit, "StatefulSet", name).is_some(), "{at}: {name}");
        }
        assert!(find(&unit, "Deployment", "api").is_some());
        let sts = find(&unit, "StatefulSet", "search").unwrap();
        let spec = &sts["spec"];
        assert_eq!(sts["metadata"]["namespace"], format!("finder-{tenant}"));
        // One ReadWriteOnce claim of the environment's (then tenant's)
        // size on the cluster's StorageClass, mounted at storage.path.
        let claims = spec["volumeClaimTemplates"].as_array().unwrap();
        assert_eq!(claims.len(), 1, "{at}");
        let claim = &claims[0];
        assert_eq!(claim["metadata"]["name"], "data");
        assert_eq!(claim["spec"]["storageClassName"], STORAGE_CLASS);
        assert_eq!(
            claim["spec"]["accessModes"],
            serde_json::json!(["ReadWriteOnce"])
        );
        assert_eq!(
            claim["spec"]["resources"]["requests"]["storage"], size,
            "{at}"
        );
        let pod = &spec["template"]["spec"];
        let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
        let data = mounts.iter().find(|v| v["name"] == "data").unwrap();
        assert_eq!(data["mountPath"], "/usr/share/opensearch/data");
        // The non-root user owns the volume (the driver applies fsGroup),
        // checked at its root only.
        assert_eq!(pod["securityContext"]["fsGroup"], 10001);
        assert_eq!(
            pod["securityContext"]["fsGroupChangePolicy"],
            "OnRootMismatch"
        );
        let api_pod = &find(&unit, "Deployment", "api").unwrap()["spec"]["template"]["spec"];
        assert!(api_pod["securityContext"]
            .get("fsGroupChangePolicy")
            .is_none());
        // The claim is the pod's volume: no pod volume of that name.
        assert!(pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["name"] != "data"));
        // Pods are named through the headless Service, which exists,
        // selects the same pods and has no cluster IP.
        let headless_name = spec["serviceName"].as_str().unwrap();
        assert_eq!(headless_name, "search-headless");
        let headless = find(&unit, "Service", headless_name)
            .unwrap_or_else(|| panic!("{at}: the headless Service {headless_name}"));
        assert_eq!(headless["spec"]["clusterIP"], "None");
        assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
        assert_eq!(
            headless["spec"]["selector"],
            spec["selector"]["matchLabels"]
        );
        assert_eq!(headless["spec"]["ports"][0]["port"], 9200);
        // Callers keep the service's own Service, with a cluster IP.
        let svc = find(&unit, "Service", "search").unwrap();
        assert!(svc["spec"].get("clusterIP").is_none());
        assert_eq!(svc["spec"]["selector"], spec["selector"]["matchLabels"]);
        // Every template label is on the pods, so the selector matches.
        for (k, v) in spec["selector"]["matchLabels"].as_object().unwrap() {
            assert_eq!(&spec["template"]["metadata"]["labels"][k], v);
        }
        assert_eq!(spec["podManagementPolicy"], "Parallel");
        assert_eq!(spec["updateStrategy"]["type"], "RollingUpdate");
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            serde_json::json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        // Nodes still drain: one pod at a time.
        let pdb = find(&unit, "PodDisruptionBudget", "search").unwrap();
        assert_eq!(pdb["spec"]["maxUnavailable"], 1);
        assert_eq!(pdb["spec"]["selector"], spec["selector"]);
        // The HPA owns the count of the StatefulSet; never below one.
        assert!(spec.get("replicas").is_none(), "{at}");
        let hpa = find(&unit, "HorizontalPodAutoscaler", "search").unwrap();
        assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "StatefulSet");
        assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "search");
        assert!(hpa["spec"]["minReplicas"].as_u64().unwrap() >= 1);
        assert!(kind(&unit, "ScaledObject").is_empty());
        // The runtime contract as for a Deployment: every reference
        // resolves in the unit (`container_env` fails otherwise).
        let search = container_env(&unit, "StatefulSet", "search");
        assert_eq!(search["BLUEPRINT_TENANT"], tenant);
        assert_eq!(search["BLUEPRINT_ENVIRONMENT"], env);
        assert_eq!(search["DISCOVERY_SEED_HOSTS"], "search-headless");
        let indexer = container_env(&unit, "StatefulSet", "indexer");
        assert_eq!(
            indexer["REINDEX_QUEUE_NAME"],
            format!("finder-{env}-{tenant}-reindex")
        );
        let api = container_env(&unit, "Deployment", "api");
        assert_eq!(api["SEARCH_URL"], "http://search:9200");
        assert!(api["API_TOKEN"].starts_with("secret:api/API_TOKEN"));
        // The dedicated tenant's StatefulSets run on its own NodePool.
        let placed = pod["nodeSelector"].get("blueprint.dev/tenant");
        if tenant == "initech" {
            assert_eq!(placed, Some(&Value::from("initech")));
            assert_eq!(pod["tolerations"][0]["value"], "initech");
        } else {
            assert!(placed.is_none());
        }
    }
}

#[test]
fn a_stateful_service_without_a_port_keeps_one_replica_and_its_paths() {
    let m = finder();
    let out = lower(&m);
    let unit = finder_unit(&out.files, "prod", "acme");
    let sts = find(&unit, "StatefulSet", "indexer").unwrap();
    // No autoscaler: a fixed count.
    assert_eq!(sts["spec"]["replicas"], 1);
    assert!(find(&unit, "HorizontalPodAutoscaler", "indexer").is_none());
    // Its headless Service names the pods; there is no other Service.
    let headless = find(&unit, "Service", "indexer-headless").unwrap();
    assert_eq!(sts["spec"]["serviceName"], "indexer-headless");
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert!(headless["spec"].get("ports").is_none());
    assert!(find(&unit, "Service", "indexer").is_none());
    // The volume's path is also a writable path: one mount there, the
    // volume's; the other writable path is an emptyDir.
    let pod = &sts["spec"]["template"]["spec"];
    let mounts = volume_mounts(pod);
    assert_eq!(
        mounts,
        [
            ("tmp", "/tmp"),
            ("writable-1", "/var/cache/indexer"),
            ("data", "/var/lib/indexer")
        ]
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "5Gi"
    );
}

#[test]
fn stateful_replicas_reach_each_other_and_their_callers_only() {
    let m = finder();
    let out = lower(&m);
    let unit = finder_unit(&out.files, "prod", "acme");
    let np = find(&unit, "NetworkPolicy", "search").unwrap();
    let names = |rule: &Value, side: &str| -> Vec<String> {
        rule[side][0]["podSelector"]["matchExpressions"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let ingress = np["spec"]["ingress"].as_array().unwrap();
    assert_eq!(ingress.len(), 1, "only callers and peers, no load balancer");
    assert_eq!(names(&ingress[0], "from"), ["api", "search"]);
    assert_eq!(ingress[0]["ports"][0]["port"], 9200);
    let egress = np["spec"]["egress"].as_array().unwrap();
    assert_eq!(names(&egress[0], "to"), ["search"]);
    assert_eq!(egress[0]["ports"][0]["port"], 9200);
    // A stateless service gets no peer rule.
    let api = find(&unit, "NetworkPolicy", "api").unwrap();
    assert!(api["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["from"][0].get("ipBlock").is_some()));
}

#[test]
fn the_platform_unit_holds_an_encrypted_gp3_storage_class_retained_in_production() {
    use crate::aws::names::eks::STORAGE_CLASS;
    let m = finder();
    let out = lower(&m);
    for (env, reclaim) in [("prod", "Retain"), ("staging", "Delete")] {
        let dir = format!("kubernetes/platform/{env}");
        let objects = super::build::build(&out.files, &dir);
        let sc = one(&objects, "StorageClass");
        assert_eq!(sc["apiVersion"], "storage.k8s.io/v1");
        assert_eq!(sc["metadata"]["name"], STORAGE_CLASS);
        assert!(sc["metadata"].get("namespace").is_none());
        assert_eq!(sc["provisioner"], "ebs.csi.aws.com");
        assert_eq!(sc["parameters"]["type"], "gp3");
        assert_eq!(sc["parameters"]["encrypted"], "true");
        assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
        assert_eq!(sc["allowVolumeExpansion"], true);
        assert_eq!(sc["reclaimPolicy"], reclaim, "{env}");
    }
    // Tenants' units apply after the platform's, which holds the class.
    let clusters = yaml_docs(&m, "kubernetes/clusters/prod/finder.yaml");
    let tenant = clusters
        .iter()
        .find(|u| u["metadata"]["name"] == "finder-tenant-acme")
        .unwrap();
    assert!(tenant["spec"]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "finder-platform"));
    // Karpenter keeps a pod in its volume's zone by itself: no NodePool
    // narrows the zones it may launch in.
    let pools = yaml_docs(&m, "kubernetes/overlays/prod/nodepools/karpenter.yaml");
    for pool in kind(&pools, "NodePool") {
        for r in pool["spec"]["template"]["spec"]["requirements"]
            .as_array()
            .unwrap()
        {
            assert!(!r["key"].as_str().unwrap().contains("zone"), "{r}");
        }
    }
    // An application without stateful services has no StorageClass.
    let shop = lower(&shop());
    assert!(!shop
        .files
        .contains_key("kubernetes/platform/prod/storage.yaml"));
    assert!(super::build::build(&shop.files, "kubernetes/platform/prod")
        .iter()
        .all(|o| o["kind"] != "StorageClass"));
}

#[test]
fn the_ebs_csi_driver_has_its_own_pod_identity_role_with_the_v2_policy() {
    let out = lower(&finder());
    let addons = match &out.files["terraform/modules/eks/addons.tf"] {
        Document::HclSource(s) => *s,
        other => panic!("{other:?}"),
    };
    let body: hcl::Body = hcl::from_str(addons).unwrap();
    let v = serde_json::to_value(hcl::from_body::<hcl::Value>(body).unwrap()).unwrap();
    let addon = &v["resource"]["aws_eks_addon"]["ebs_csi"];
    assert_eq!(addon["addon_name"], "aws-ebs-csi-driver");
    assert_eq!(
        addon["pod_identity_association"]["service_account"],
        "ebs-csi-controller-sa"
    );
    assert!(addon["pod_identity_association"]["role_arn"]
        .as_str()
        .unwrap()
        .contains("aws_iam_role.ebs_csi.arn"));
    let attach = &v["resource"]["aws_iam_role_policy_attachment"]["ebs_csi"];
    assert_eq!(
        attach["policy_arn"],
        "arn:${local.partition}:iam::aws:policy/AmazonEBSCSIDriverPolicyV2"
    );
    assert_eq!(attach["lifecycle"]["create_before_destroy"], true);
    // The add-on waits for its role's policy (tests/ordering.rs too).
    assert!(addon["depends_on"]
        .to_string()
        .contains("aws_iam_role_policy_attachment.ebs_csi"));
}

#[test]
fn a_service_stateful_in_one_environment_only_is_a_statefulset_there() {
    // payments is stateful in prod only: the shared objects (dev) hold
    // its Deployment; prod's units delete it and add the StatefulSet.
    let mut m = shop();
    for env in m
        .environments
        .iter_mut()
        .filter(|e| e.name.as_str() == "prod")
    {
        for p in &mut env.platforms {
            for w in &mut p.tenants {
                let s = &mut w.services[1];
                assert_eq!(s.name.as_str(), "payments");
                s.stateful = true;
                s.storage = Some(crate::model::Storage {
                    path: "/data".into(),
                    size_gib: 10,
                });
            }
        }
    }
    let out = lower(&m);
    let dev = unit(&out.files, "dev", "shop-globex");
    assert!(find(&dev, "Deployment", "payments").is_some());
    assert!(find(&dev, "StatefulSet", "payments").is_none());
    assert!(!out
        .files
        .contains_key("kubernetes/platform/dev/storage.yaml"));
    for ns in ["shop-globex", "shop-acme"] {
        let prod = unit(&out.files, "prod", ns);
        assert!(find(&prod, "Deployment", "payments").is_none(), "{ns}");
        assert!(find(&prod, "StatefulSet", "payments").is_some(), "{ns}");
        assert!(
            find(&prod, "Service", "payments-headless").is_some(),
            "{ns}"
        );
    }
    assert!(out
        .files
        .contains_key("kubernetes/platform/prod/storage.yaml"));
}

#[test]
fn a_service_named_like_a_headless_service_is_refused() {
    let src = "version: 1\nname: finder\nregion: eu-west-1\nservices:\n  search:\n    image: x\n    port: 9200\n    stateful: true\n    storage: { path: /data, size: 10Gi }\n  search-headless:\n    image: x\n    port: 80\n";
    let m = crate::normalize::load(src).unwrap();
    let d = crate::aws::registry::check(&m, crate::model::Target::Eks);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(
        d[0].message.starts_with("the headless Service of service `search` and service `search-headless` would both be named `search-headless` (Kubernetes Service)"),
        "{}",
        d[0].message
    );
    assert_eq!(d[0].yaml_path, "services.search-headless");
    // The same names in different namespaces (tenants) do not collide,
    // and without a stateful service nothing is refused.
    let fine = src.replace(
        "    stateful: true\n    storage: { path: /data, size: 10Gi }\n",
        "",
    );
    let m = crate::normalize::load(&fine).unwrap();
    assert!(crate::aws::registry::check(&m, crate::model::Target::Eks).is_empty());
}

/// The (name, mountPath) of the first container's volume mounts.
fn volume_mounts(pod: &Value) -> Vec<(&str, &str)> {
    pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["mountPath"].as_str().unwrap(),
            )
        })
        .collect()
}

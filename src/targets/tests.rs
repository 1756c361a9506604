//! Rules every target keeps alike, checked on what each one emits.

use crate::model::{Model, Target};
use crate::render::render;
use serde_json::Value;
use std::sync::Arc;

fn load(src: &str) -> Arc<Model> {
    Arc::new(crate::normalize::load(src).unwrap_or_else(|d| panic!("{d:#?}")))
}

const NESTED: &str = "\
version: 1
name: shop
region: eu-west-1
services:
  web: { image: web:1, port: 8080, expose: public }
  api: { image: api:1, port: 8080, expose: public, routes: [/api, /admin/api] }
  v2: { image: v2:1, port: 8080, expose: public, routes: [/api/v2] }
";

/// `/` + `/api` + `/api/v2` on three services: the most specific prefix
/// wins on ECS (listener-rule priorities, lowest first).
#[test]
fn nested_routes_ecs_priorities_put_deeper_prefixes_first() {
    let out = super::lower(&load(NESTED), Target::Ecs);
    let main = String::from_utf8(render(&out.files["prod/main.tf"])).unwrap();
    let main: hcl::Value = hcl::from_str(&main).unwrap();
    let main = serde_json::to_value(main).unwrap();
    let services = &main["module"]["platform"]["services"];
    let mut rules: Vec<(u64, String, String)> = Vec::new();
    for (svc, s) in services.as_object().unwrap() {
        for (route, p) in s["routes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(s["rule_priorities"].as_array().unwrap())
        {
            rules.push((
                p.as_u64().unwrap(),
                route.as_str().unwrap().into(),
                svc.clone(),
            ));
        }
    }
    rules.sort();
    // The first rule (lowest priority) that matches a path serves it,
    // as the ALB evaluates them.
    let serve = |path: &str| {
        rules
            .iter()
            .find(|(_, r, _)| crate::aws::routes::matches(r, path))
            .map(|(_, _, s)| s.as_str())
    };
    assert_eq!(serve("/"), Some("web"));
    assert_eq!(serve("/about"), Some("web"));
    assert_eq!(serve("/api"), Some("api"));
    assert_eq!(serve("/api/v1/orders"), Some("api"));
    assert_eq!(serve("/api/v2"), Some("v2"));
    assert_eq!(serve("/api/v2/orders"), Some("v2"));
    assert_eq!(serve("/apiv2"), Some("web"));
    assert_eq!(serve("/admin/api/x"), Some("api"));
    assert_eq!(serve("/admin"), Some("web"));
}

/// The same on EKS: the built Ingresses of the tenant's ALB group, in the
/// order the load balancer controller evaluates them (`group.order`, then
/// namespace/name; paths of one Ingress longest first).
#[test]
fn nested_routes_eks_ingress_order_puts_deeper_prefixes_first() {
    let out = super::lower(&load(NESTED), Target::Eks);
    let objects = super::eks::build::build(&out.files, "kubernetes/overlays/prod/shop");
    let mut rules: Vec<(i64, String, usize, String, String)> = Vec::new();
    for o in objects.iter().filter(|o| o["kind"] == "Ingress") {
        let order: i64 = o["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.order"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let name = o["metadata"]["name"].as_str().unwrap().to_string();
        for p in o["spec"]["rules"][0]["http"]["paths"].as_array().unwrap() {
            assert_eq!(p["pathType"], "Prefix");
            let path = p["path"].as_str().unwrap().to_string();
            let svc = p["backend"]["service"]["name"]
                .as_str()
                .unwrap()
                .to_string();
            // Within one Ingress the longest path comes first.
            rules.push((order, name.clone(), usize::MAX - path.len(), path, svc));
        }
    }
    rules.sort();
    let serve = |path: &str| {
        rules
            .iter()
            .find(|r| crate::aws::routes::matches(&r.3, path))
            .map(|r| r.4.as_str())
    };
    assert_eq!(serve("/about"), Some("web"));
    assert_eq!(serve("/api/v1"), Some("api"));
    assert_eq!(serve("/api/v2/orders"), Some("v2"));
    assert_eq!(serve("/admin/api"), Some("api"));
    // api's two depths are two Ingresses, so neither shadows v2.
    let names: Vec<&str> = rules.iter().map(|r| r.1.as_str()).collect();
    assert!(
        names.contains(&"api.depth-1") && names.contains(&"api.depth-2"),
        "{names:?}"
    );
}

/// The same on Lambda: HTTP API route keys (API Gateway picks the most
/// specific route; `$default` takes what no other route does).
#[test]
fn nested_routes_lambda_route_keys() {
    let out = super::lower(&load(NESTED), Target::Lambda);
    let t: Value = serde_json::from_slice(&render(&out.files["Shop-Prod.template.json"])).unwrap();
    let mut keys: Vec<(String, String)> = Vec::new();
    let resources = t["Resources"].as_object().unwrap();
    for r in resources
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Route")
    {
        let target = r["Properties"]["Target"].to_string();
        let svc = ["Web", "Api", "V2"]
            .into_iter()
            .find(|s| target.contains(&format!("\"{s}HttpIntegration")))
            .unwrap_or("?");
        keys.push((
            r["Properties"]["RouteKey"].as_str().unwrap().into(),
            svc.into(),
        ));
    }
    keys.sort();
    let expect: Vec<(String, String)> = [
        ("$default", "Web"),
        ("ANY /admin/api", "Api"),
        ("ANY /admin/api/{proxy+}", "Api"),
        ("ANY /api", "Api"),
        ("ANY /api/v2", "V2"),
        ("ANY /api/v2/{proxy+}", "V2"),
        ("ANY /api/{proxy+}", "Api"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(keys, expect);
}

mod adversarial_names {
    //! Names that are prefixes of each other (`a`, `a-b`, `a-b-c`) as the
    //! application, environments, tenants, services, jobs and queues:
    //! every target either refuses the blueprint, naming the collision,
    //! or renders a tree in which no two resources share a name.

    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const POOL: [&str; 6] = ["a", "a-b", "b", "b-c", "a-b-c", "c"];

    #[derive(Debug, Clone)]
    struct Shape {
        app: usize,
        envs: Vec<usize>,
        tenants: Vec<(usize, bool)>,
        services: Vec<(usize, u8)>,
        jobs: Vec<usize>,
        queues: Vec<usize>,
    }

    fn shape() -> impl Strategy<Value = Shape> {
        let idx = || 0..POOL.len();
        (
            0..2usize,
            prop::collection::vec(idx(), 1..3),
            prop::collection::vec((idx(), any::<bool>()), 0..4),
            prop::collection::vec((idx(), 0..3u8), 1..4),
            prop::collection::vec(idx(), 0..2),
            prop::collection::vec(idx(), 0..3),
        )
            .prop_map(|(app, envs, tenants, services, jobs, queues)| Shape {
                app,
                envs,
                tenants,
                services,
                jobs,
                queues,
            })
    }

    fn yaml(s: &Shape) -> String {
        let mut services = BTreeMap::new();
        for (i, kind) in &s.services {
            let name = POOL[*i];
            let body = match kind {
                0 => format!(
                    "{{ image: r/{name}:1, port: 8080, expose: public, routes: [/{name}] }}"
                ),
                1 => format!("{{ image: r/{name}:1, port: 9000 }}"),
                _ => format!("{{ image: r/{name}:1 }}"),
            };
            services.insert(name, body);
        }
        let mut jobs = BTreeMap::new();
        for i in &s.jobs {
            if !services.contains_key(POOL[*i]) {
                jobs.insert(
                    POOL[*i],
                    "{ image: r/j:1, schedule: \"0 1 * * *\" }".to_string(),
                );
            }
        }
        let queues: std::collections::BTreeSet<&str> = s.queues.iter().map(|i| POOL[*i]).collect();
        let tenants: BTreeMap<&str, bool> = s.tenants.iter().map(|(i, d)| (POOL[*i], *d)).collect();
        let envs: std::collections::BTreeSet<&str> = s.envs.iter().map(|i| POOL[*i]).collect();
        let mut y = format!("version: 1\nname: {}\nregion: eu-west-1\n", POOL[s.app]);
        y.push_str("services:\n");
        for (n, b) in &services {
            y.push_str(&format!("  {n}: {b}\n"));
        }
        if !jobs.is_empty() {
            y.push_str("jobs:\n");
            for (n, b) in &jobs {
                y.push_str(&format!("  {n}: {b}\n"));
            }
        }
        if !queues.is_empty() {
            y.push_str("queues:\n");
            for q in &queues {
                y.push_str(&format!("  {q}: {{}}\n"));
            }
        }
        if !tenants.is_empty() {
            y.push_str("tenants:\n");
            for (t, dedicated) in &tenants {
                let tier = if *dedicated { "dedicated" } else { "shared" };
                y.push_str(&format!("  {t}: {{ tier: {tier} }}\n"));
            }
        }
        y.push_str("environments:\n");
        for e in &envs {
            y.push_str(&format!("  {e}: {{}}\n"));
        }
        y
    }

    /// (kind, scope, name) of every named resource in `out`.
    fn names(target: Target, out: &super::super::Output) -> Vec<(String, String, String)> {
        let mut found = Vec::new();
        let mut add = |kind: &str, scope: &str, name: &str| {
            found.push((kind.to_string(), scope.to_string(), name.to_string()));
        };
        for (path, doc) in &out.files {
            let bytes = render(doc);
            match target {
                Target::Ecs | Target::Eks
                    if path.ends_with("main.tf") && !path.contains("modules/") =>
                {
                    let v: hcl::Value =
                        hcl::from_str(std::str::from_utf8(&bytes).unwrap()).unwrap();
                    let v = serde_json::to_value(v).unwrap();
                    for (_, m) in v["module"].as_object().into_iter().flatten() {
                        hcl_names(m, &mut add);
                    }
                }
                Target::Eks
                    if path.starts_with("kubernetes/overlays/")
                        && path.ends_with("/kustomization.yaml") =>
                {
                    let dir = path.trim_end_matches("/kustomization.yaml");
                    // Tenant overlays: every object (kind, namespace, name) once.
                    if dir.matches('/').count() == 3 {
                        for o in super::super::eks::build::build(&out.files, dir) {
                            // A unit's shared objects name `${namespace}`,
                            // which Flux fills with the unit's namespace.
                            let ns = match o["metadata"]["namespace"].as_str() {
                                Some("${namespace}") => dir.rsplit('/').next().unwrap(),
                                other => other.unwrap_or(""),
                            }
                            .to_string();
                            let env = dir.split('/').nth(2).unwrap();
                            add(
                                &format!("k8s {}", o["kind"].as_str().unwrap()),
                                &format!("{env}/{ns}"),
                                o["metadata"]["name"].as_str().unwrap(),
                            );
                        }
                    }
                }
                Target::Lambda if path.ends_with(".template.json") => {
                    let t: Value = serde_json::from_slice(&bytes).unwrap();
                    let declared: usize = match doc {
                        crate::doc::Document::Deferred(d) => d.resource_types.values().sum(),
                        _ => 0,
                    };
                    let resources = t["Resources"].as_object().unwrap();
                    // A logical ID written twice would parse as one.
                    assert_eq!(resources.len(), declared, "{path}: duplicate logical IDs");
                    for r in resources.values() {
                        let p = &r["Properties"];
                        for key in [
                            "FunctionName",
                            "RoleName",
                            "QueueName",
                            "LogGroupName",
                            "Name",
                        ] {
                            if let Some(n) = p[key].as_str() {
                                let kind = format!("{} {key}", r["Type"].as_str().unwrap());
                                add(&kind, "", n);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// Names in module arguments, by the AWS namespace they live in: roles
    /// are one kind whatever their key, log groups too; a `name` is a task
    /// family (services and jobs share it), a queue's, or a schedule's.
    fn hcl_names(v: &Value, add: &mut impl FnMut(&str, &str, &str)) {
        walk(v, "", add);
    }

    fn walk(v: &Value, parent: &str, add: &mut impl FnMut(&str, &str, &str)) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                let Some(s) = x.as_str() else {
                    // Map entries (keys of services, jobs, queues) keep
                    // the map's name as their parent.
                    let next = if [
                        "services",
                        "jobs",
                        "queues",
                        "workloads",
                        "schedules",
                        "dead_letter",
                        "names",
                    ]
                    .contains(&k.as_str())
                    {
                        k.as_str()
                    } else if parent.is_empty() {
                        ""
                    } else {
                        parent
                    };
                    walk(x, next, add);
                    continue;
                };
                let kind = match (parent, k.as_str()) {
                    (_, k) if k.ends_with("_role") || k == "role_name" => "iam role",
                    (_, "log_group" | "runs_log_group" | "exec_log_group") => "log group",
                    (_, "security_group" | "load_balancer_security_group") => "security group",
                    ("services" | "jobs", "name") => "task family",
                    ("queues" | "dead_letter", "name") | (_, "karpenter_queue") => "sqs queue",
                    ("schedules", "name") => "schedule",
                    (
                        _,
                        k @ ("target_group" | "wake_alarm" | "cluster" | "load_balancer"
                        | "dns_namespace" | "kms_alias"),
                    ) => k,
                    _ => continue,
                };
                add(kind, "", s);
            }
        } else if let Some(a) = v.as_array() {
            for x in a {
                walk(x, parent, add);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn no_two_resources_share_a_name(s in shape()) {
            let src = yaml(&s);
            let Ok(model) = crate::normalize::load(&src) else { return Ok(()); };
            let model = Arc::new(model);
            for target in Target::ALL {
                if !crate::normalize::fit(&model, target).is_empty() {
                    continue;
                }
                let refused = crate::aws::registry::check(&model, target);
                if !refused.is_empty() {
                    for d in &refused {
                        prop_assert!(
                            d.message.contains("would both be named") || d.message.contains("refuses") || d.message.contains("DNS label"),
                            "{d:?}"
                        );
                    }
                    continue;
                }
                let out = super::super::lower(&model, target);
                let mut seen = std::collections::BTreeSet::new();
                for (kind, scope, name) in names(target, &out) {
                    // `name` in module arguments is one kind per map: queue
                    // names and workload names share the key but not the
                    // AWS namespace, so SQS names carry their `.fifo`/`-dlq`
                    // or differ anyway; compare them within their kind.
                    let key = (kind.clone(), scope.clone(), name.to_ascii_lowercase());
                    prop_assert!(seen.insert(key), "{} {kind} `{name}` twice in {scope}\n{src}", target.as_str());
                }
            }
        }
    }
}

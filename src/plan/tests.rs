//! Plan tests: figures against hand-computed examples (the arithmetic is in
//! the comments), the recommendation rules, and the JSON shape.

use super::*;
use crate::model::Target;
use crate::normalize;

fn load(src: &str) -> Model {
    normalize::load(src).unwrap_or_else(|d| panic!("{d:?}"))
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "{what}: {actual} != {expected}"
    );
}

fn tp(p: &Plan, t: Target) -> &TargetPlan {
    p.targets.iter().find(|x| x.target == t).unwrap()
}

/// Two services, one environment (`prod`), single tenant, two private
/// subnets (two NAT gateways).
const TWO_SERVICES: &str = r#"
version: 1
name: shop
region: us-east-1
network:
  vpc_id: vpc-0a1b2c3d
  private_subnets: [subnet-0aaa1111, subnet-0bbb2222]
  public_subnets: [subnet-0ccc3333, subnet-0ddd4444]
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    port: 8080
    cpu: 0.5
    memory: 1Gi
    expose: public
    scale: { min: 2, max: 4 }
    spot: 50
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 9000
    cpu: 0.3
    memory: 600Mi
"#;

#[test]
fn two_services_by_hand() {
    let m = load(TWO_SERVICES);
    let p = build(&m, &Assumptions::default());

    // ECS
    // web: 0.5 vCPU / 1 GB is a Fargate size: 0.5 × 0.04048 + 1 × 0.004445
    //      = 0.024685 $/h. min 2, spot 50: the first task on-demand (base
    //      1), the other split 50/50: 1.5 on-demand + 0.5 spot at 30%.
    //      730 × 0.024685 × (1.5 + 0.5 × 0.3) = 29.7330825
    // api: 0.3 vCPU / 600Mi rounds up to 0.5 vCPU / 1 GB: 0.024685 $/h,
    //      min 1 (default): 730 × 0.024685 = 18.02005
    // compute = 47.7531325
    // ALB (web is public): 730 × (0.0225 + 1 LCU × 0.008) = 22.265
    // NAT: 2 × 0.045 × 730 + 100 GB × 0.045 = 65.7 + 4.5 = 70.2
    // total = 140.2181325 -> 140.22
    let ecs = tp(&p, Target::Ecs);
    let c = ecs.environments[0].1;
    close(c.compute, 47.7531325, "ecs compute");
    close(c.control_plane, 0.0, "ecs control plane");
    close(c.load_balancing, 22.265, "ecs alb");
    close(c.nat, 70.2, "ecs nat");
    close(c.requests, 0.0, "ecs requests");
    assert_eq!(cents(ecs.total.total()), 140.22);
    assert!(
        ecs.notes
            .iter()
            .any(|n| n
                .contains("api: 0.3 vCPU / 600Mi rounds up to the Fargate size 0.5 vCPU / 1Gi")),
        "{:?}",
        ecs.notes
    );

    // EKS
    // control plane: 0.10 × 730 = 73
    // system nodes: 2 × m7i.large 0.1008 × 730 = 147.168
    // pods: web 2 replicas, floor(2 × 50%) = 1 on spot; api 1 on-demand.
    //   on-demand pool: web (0.5, 1Gi) + api (0.3, 0.59Gi) fit one c5.large
    //   (1.9 vCPU / 3 GiB allocatable), the cheapest type: 0.085 × 730 = 62.05
    //   spot pool: web (0.5, 1Gi) on one c5.large at 30%: 18.615
    // compute = 147.168 + 62.05 + 18.615 = 227.833
    // total = 73 + 227.833 + 22.265 + 70.2 = 393.298 -> 393.30
    let eks = tp(&p, Target::Eks);
    let c = eks.environments[0].1;
    close(c.control_plane, 73.0, "eks control plane");
    close(c.compute, 227.833, "eks compute");
    assert_eq!(cents(eks.total.total()), 393.30);
    let nodes: Vec<(&str, u64, bool)> = eks
        .nodes
        .iter()
        .map(|n| (n.instance, n.count, n.spot))
        .collect();
    assert_eq!(nodes, [("c5.large", 1, false), ("c5.large", 1, true)]);

    // Lambda
    // 1M requests split over 2 HTTP services: 500k each, 200 ms.
    // web: 500k × 0.2 s × 1 GB × 0.0000166667 = 1.66667
    // api: 500k × 0.2 s × 0.5859375 GB × 0.0000166667 = 0.9765644...
    // compute = 2.6432344
    // requests: 1M × (0.20 + 1.00 HTTP API) / 1M = 1.2
    // total = 2.6432344 + 1.2 + 70.2 = 74.0432344 -> 74.04
    let lambda = tp(&p, Target::Lambda);
    let c = lambda.environments[0].1;
    close(
        c.compute,
        100_000.0 * 0.000_016_666_7 + 58_593.75 * 0.000_016_666_7,
        "lambda compute",
    );
    close(c.requests, 1.2, "lambda requests");
    close(c.load_balancing, 0.0, "lambda alb");
    assert_eq!(cents(lambda.total.total()), 74.04);

    // Two steady services, nothing event-driven: ECS; but both serve little
    // traffic at these assumptions, so Lambda is suggested for each.
    let r = &p.recommendation;
    assert_eq!(r.target, Target::Ecs, "{r:?}");
    let moved: Vec<&str> = r.placement.iter().map(|x| x.workload.as_str()).collect();
    assert_eq!(moved, ["api", "web"]);
    // web: 29.7330825 - (1.66667 + 0.6) = 27.4664...
    close(
        r.placement[1].monthly_saving,
        29.7330825 - (500_000.0 * 0.2 * 0.000_016_666_7 + 0.6),
        "web saving",
    );
}

#[test]
fn job_runs_and_durations_by_hand() {
    let m = load(
        r#"
version: 1
name: batch
region: us-east-1
jobs:
  nightly:
    image: ghcr.io/acme/report:1.0.0
    schedule: "0 2 * * *"
    cpu: 1
    memory: 2Gi
    timeout: 10m
"#,
    );
    let w = cost::workloads(&m, &Assumptions::default());
    assert_eq!(w.len(), 1);
    // 365 runs a year / 12 = 30.41667 runs a month; each lasts half its
    // 10m timeout = 300 s.
    let runs = 365.0 / 12.0;
    // ECS: billed 300 s + 30 s start-up = 330 s at 1 vCPU / 2 GB =
    // 0.04048 + 2 × 0.004445 = 0.04937 $/h.
    close(w[0].ecs, runs * 330.0 / 3600.0 * 0.04937, "ecs job");
    // EKS: 300 s × max(1 vCPU, 2 GiB / 4) × 0.048 $/vCPU-h.
    close(w[0].eks, runs * 300.0 / 3600.0 * 0.048, "eks job");
    // Lambda: 300 s × 2 GB × 0.0000166667 + one request each.
    close(
        w[0].lambda,
        runs * (600.0 * 0.000_016_666_7 + 0.2e-6),
        "lambda job",
    );
}

#[test]
fn sqs_and_workers_by_hand() {
    let m = load(
        r#"
version: 1
name: events
region: us-east-1
services:
  worker:
    image: ghcr.io/acme/worker:1.0.0
    consumes: [orders]
    scale: { min: 0, max: 10, queue_depth: 50 }
queues:
  orders: {}
"#,
    );
    let a = Assumptions {
        messages_per_month: 2_000_000,
        ..Assumptions::default()
    };
    let p = build(&m, &a);
    // SQS: 2M messages × 3 requests × 0.40 / 1M = 2.40 on every target.
    for t in Target::ALL {
        let c = tp(&p, t).environments[0].1;
        if t == Target::Lambda {
            // plus 2M / 10 per batch = 200k invocations × 0.20 / 1M = 0.04
            close(c.requests, 2.4 + 0.04, "lambda requests");
            // 2M × 0.2 s × 0.5 GB × 0.0000166667 = 3.33334
            close(c.compute, 200_000.0 * 0.000_016_666_7, "lambda compute");
        } else {
            close(c.requests, 2.4, "sqs requests");
        }
    }
    // ECS: min 0, busy 2M × 0.2 s = 111.11 h at 0.25 vCPU / 0.5 GB =
    // 0.01012 + 0.0022225 = 0.0123425 $/h.
    let c = tp(&p, Target::Ecs).environments[0].1;
    close(
        c.compute,
        2_000_000.0 * 0.2 / 3600.0 * 0.0123425,
        "ecs worker",
    );
    // Busy Fargate hours (1.37) cost less than the same work in Lambda
    // GB-seconds (3.33 + 0.04), so even this event-driven app stays on ECS:
    // Lambda is chosen only where it is also the cheapest.
    assert_eq!(
        p.recommendation.target,
        Target::Ecs,
        "{:?}",
        p.recommendation
    );
}

#[test]
fn stateful_service_is_never_lambda() {
    let m = load(
        r#"
version: 1
name: store
region: us-east-1
services:
  db:
    image: ghcr.io/acme/db:1.0.0
    port: 5432
    stateful: true
    storage: { path: /var/lib/db, size: 100Gi }
"#,
    );
    let p = build(&m, &Assumptions::default());
    // Storage is priced: one 100 GiB gp3 volume on EKS, 100 GiB on EFS.
    let cost = |t: Target| tp(&p, t).environments[0].1.storage;
    assert_eq!(cost(Target::Eks), 8.0);
    assert_eq!(cost(Target::Ecs), 30.0);
    assert!(!tp(&p, Target::Lambda).fits);
    assert!(tp(&p, Target::Lambda).reasons[0]
        .yaml_path
        .ends_with("stateful"));
    assert_eq!(p.recommendation.target, Target::Eks);
    assert!(
        p.recommendation.reasons[0].contains("stateful"),
        "{:?}",
        p.recommendation
    );
    assert!(p.recommendation.placement.is_empty());
}

#[test]
fn two_hour_job_is_not_lambda() {
    let m = load(
        r#"
version: 1
name: close
region: us-east-1
services:
  api:
    image: ghcr.io/acme/api:1.0.0
    port: 8080
    scale: { min: 0, max: 10 }
jobs:
  month-end:
    image: ghcr.io/acme/close:1.0.0
    schedule: "0 3 1 * *"
    timeout: 2h
"#,
    );
    let p = build(&m, &Assumptions::default());
    let lambda = tp(&p, Target::Lambda);
    assert!(!lambda.fits);
    assert!(lambda.reasons.iter().any(|d| d.message.contains("15m")));
    assert_ne!(p.recommendation.target, Target::Lambda);
    assert!(
        p.recommendation
            .reasons
            .iter()
            .any(|r| r.contains("long jobs")),
        "{:?}",
        p.recommendation
    );
    assert!(p
        .recommendation
        .placement
        .iter()
        .all(|x| x.workload != "month-end"));
}

#[test]
fn thirty_services_with_dedicated_tenants_is_eks() {
    let src = crate::generate::blueprint(&crate::generate::Shape {
        services: 30,
        tenants: 10,
    });
    let m = load(&src);
    let p = build(&m, &Assumptions::default());
    assert_eq!(
        p.recommendation.target,
        Target::Eks,
        "{:?}",
        p.recommendation
    );
    assert!(p.recommendation.reasons[0].contains("30 services"));
}

#[test]
fn several_dedicated_tenants_from_ten_services_is_eks() {
    let src = crate::generate::blueprint(&crate::generate::Shape {
        services: 12,
        tenants: 10,
    });
    let m = load(&src);
    assert!(
        m.tenants
            .iter()
            .filter(|t| t.tier == crate::model::Tier::Dedicated)
            .count()
            >= 2
    );
    let p = build(&m, &Assumptions::default());
    assert_eq!(
        p.recommendation.target,
        Target::Eks,
        "{:?}",
        p.recommendation
    );
    assert!(p.recommendation.reasons[0].contains("dedicated tenants"));
}

#[test]
fn small_spiky_event_driven_app_is_lambda() {
    let m = load(
        r#"
version: 1
name: hooks
region: us-east-1
services:
  webhook:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/hook:1.0.0
    port: 8080
    expose: internal
    scale: { min: 1, max: 20 }
    publishes: [events]
  indexer:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/index:1.0.0
    consumes: [events]
    scale: { min: 0, max: 30 }
queues:
  events: {}
"#,
    );
    let a = Assumptions {
        requests_per_month: 200_000,
        messages_per_month: 200_000,
        ..Assumptions::default()
    };
    let p = build(&m, &a);
    assert_eq!(
        p.recommendation.target,
        Target::Lambda,
        "{:?}",
        p.recommendation
    );
    assert!(p.recommendation.reasons[0].contains("event-driven"));
}

#[test]
fn heavy_steady_traffic_keeps_containers() {
    // The same small event-driven app at 3 billion requests a month: Lambda
    // is no longer the cheapest, so ECS (fewer than 10 services).
    let m = load(TWO_SERVICES);
    let a = Assumptions {
        requests_per_month: 3_000_000_000,
        ..Assumptions::default()
    };
    let p = build(&m, &a);
    assert_eq!(p.recommendation.target, Target::Ecs);
    assert!(
        p.recommendation.placement.is_empty(),
        "{:?}",
        p.recommendation.placement
    );
}

#[test]
fn json_shape_is_stable() {
    let m = load(include_str!("../../blueprints/commerce.yaml"));
    let v = json(&build(&m, &Assumptions::default()));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&v),
        [
            "version",
            "blueprint",
            "region",
            "price_region",
            "currency",
            "environments",
            "tenants",
            "assumptions",
            "targets",
            "recommendation"
        ]
    );
    assert_eq!(v["version"], 1);
    assert_eq!(v["environments"], json!(["dev", "prod"]));
    assert_eq!(
        v["tenants"][0],
        json!({"name": "acme", "tier": "dedicated"})
    );
    assert_eq!(
        keys(&v["assumptions"][0]),
        ["name", "value", "flag", "meaning"]
    );
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 3);
    for (t, name) in targets.iter().zip(["ecs", "eks", "lambda"]) {
        assert_eq!(t["target"], name);
        assert_eq!(
            keys(t),
            [
                "target",
                "fits",
                "reasons",
                "implemented",
                "resources",
                "notes",
                "nodes",
                "cost"
            ]
        );
        assert!(t["fits"].is_boolean());
        assert_eq!(keys(&t["cost"]), ["environments", "total"]);
        assert_eq!(
            keys(&t["cost"]["environments"][0]),
            [
                "environment",
                "compute",
                "control_plane",
                "load_balancing",
                "nat",
                "requests",
                "storage",
                "total"
            ]
        );
        for e in t["cost"]["environments"]
            .as_array()
            .unwrap()
            .iter()
            .chain([&t["cost"]["total"]])
        {
            for (k, x) in e.as_object().unwrap() {
                if k == "environment" {
                    continue;
                }
                let x = x.as_f64().unwrap();
                assert_eq!(cents(x), x, "{k} is rounded to cents");
            }
        }
    }
    let ecs = &targets[0]["resources"];
    assert_eq!(keys(ecs), ["total", "by_type"]);
    assert_eq!(
        ecs["by_type"]["aws_ecs_cluster"], 4,
        "2 environments × (shared + acme)"
    );
    assert_eq!(ecs["by_type"]["aws_ecs_service"], 12);
    assert_eq!(
        ecs["total"].as_u64().unwrap(),
        ecs["by_type"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_u64().unwrap())
            .sum::<u64>()
    );
    assert_eq!(
        keys(&v["recommendation"]),
        ["target", "reasons", "placement", "mix_total"]
    );
    assert_eq!(
        json(&build(&m, &Assumptions::default())),
        v,
        "deterministic"
    );
}

#[test]
fn ecs_resource_counts_follow_the_module() {
    // minimal: one internal HTTP service, min 1 = max 1, no secrets/queues.
    let m = load(include_str!("../../blueprints/minimal.yaml"));
    let c = resources::ecs(&crate::targets::ecs::lower(&m));
    let expected: &[(&str, u64)] = &[
        ("aws_cloudwatch_log_group", 2), // exec + workload
        ("aws_ecs_cluster", 1),
        ("aws_ecs_cluster_capacity_providers", 1),
        ("aws_ecs_service", 1),
        ("aws_ecs_task_definition", 1),
        ("aws_iam_role", 2),
        ("aws_iam_role_policy", 1), // task_exec
        ("aws_iam_role_policy_attachment", 1),
        ("aws_kms_alias", 1),
        ("aws_kms_key", 1),
        ("aws_security_group", 1),
        ("aws_service_discovery_private_dns_namespace", 1),
        ("aws_service_discovery_service", 1),
        ("aws_vpc_security_group_egress_rule", 1),
    ];
    let got: Vec<(&str, u64)> = c.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, expected);
}

#[test]
fn text_prints_every_assumption_and_target() {
    let m = load(include_str!("../../blueprints/saas.yaml"));
    let p = build(&m, &Assumptions::default());
    let t = text(&p);
    for flag in [
        "--requests-per-month",
        "--avg-duration-ms",
        "--messages-per-month",
        "--job-duration-fraction",
        "--lcu",
        "--nat-gb-per-month",
        "--nat-gateways",
    ] {
        assert!(t.contains(flag), "{flag} in\n{t}");
    }
    // saas has a 2h job: Lambda does not fit, with the reason.
    assert!(t.contains("lambda does not fit:"), "{t}");
    assert!(t.contains("ecs Fargate rounding:"), "{t}");
    assert!(t.contains("recommendation: "), "{t}");
    assert_eq!(t, text(&build(&m, &Assumptions::default())));
}

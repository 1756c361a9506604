//! Which target to use, and why, following the decision framework of the
//! seeds (docs/plan.md, "Recommendation"): stateful workloads and many
//! services or several dedicated tenants point to EKS; a small event-driven
//! or spiky application that Lambda can run, and runs cheaper, points to
//! Lambda; everything else runs simplest on ECS Fargate.

use super::cost::WorkloadCost;
use super::TargetPlan;
use crate::model::{Model, ServiceKind, Target, Tier};

/// Services at which EKS + Karpenter wins outright (seed: "25+ services").
pub const EKS_SERVICES: usize = 25;
/// Services from which the choice is a toss-up (seed: "10-25 services").
pub const TOSS_UP_SERVICES: usize = 10;
/// Dedicated tenants that, from `TOSS_UP_SERVICES` services, need hard
/// isolation as NodePools with taints and namespaces.
pub const DEDICATED_TENANTS: usize = 2;
/// A service scales "spiky" when its maximum is this many times its minimum.
pub const SPIKY_RATIO: u32 = 5;
/// A placement moves a workload only when it saves at least this a month.
pub const MIN_SAVING: f64 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub target: Target,
    pub reasons: Vec<String>,
    pub placement: Vec<Placement>,
    /// Monthly total with the placement applied, when any workload moves.
    pub mix_total: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub workload: String,
    /// `service` or `job`.
    pub kind: &'static str,
    pub target: Target,
    pub reason: String,
    pub monthly_saving: f64,
}

fn list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

pub fn recommend(
    model: &Model,
    targets: &[TargetPlan],
    workloads: &[WorkloadCost],
) -> Recommendation {
    let base = model
        .environments
        .first()
        .map(|e| &e.base)
        .expect("a model has at least one environment");
    let services = base.services.len();
    let stateful: Vec<String> = base
        .services
        .iter()
        .filter(|s| s.stateful)
        .map(|s| s.name.to_string())
        .collect();
    let dedicated: Vec<String> = model
        .tenants
        .iter()
        .filter(|t| t.tier == Tier::Dedicated)
        .map(|t| t.name.to_string())
        .collect();
    let long_jobs: Vec<String> = base
        .jobs
        .iter()
        .filter(|j| j.timeout.secs() > 15 * 60)
        .map(|j| format!("{} ({})", j.name, j.timeout))
        .collect();
    let background: Vec<String> = base
        .services
        .iter()
        .filter(|s| s.kind() == ServiceKind::Background)
        .map(|s| s.name.to_string())
        .collect();
    let event_driven = !model.queues.is_empty()
        || !base.jobs.is_empty()
        || base
            .services
            .iter()
            .any(|s| s.kind() == ServiceKind::Worker);
    let spiky: Vec<String> = base
        .services
        .iter()
        .filter(|s| {
            // In u64: `max` and `min` may be as large as u32 allows.
            s.scale.min == 0
                || u64::from(s.scale.max) >= u64::from(SPIKY_RATIO) * u64::from(s.scale.min)
        })
        .map(|s| s.name.to_string())
        .collect();
    let plan = |t: Target| {
        targets
            .iter()
            .find(|p| p.target == t)
            .expect("every target is planned")
    };
    let total = |t: Target| plan(t).total.total();
    let fits = |t: Target| plan(t).fits;

    let mut reasons = Vec::new();
    let s_word = if services == 1 { "service" } else { "services" };
    let mut choice = if !stateful.is_empty() {
        reasons.push(format!(
            "stateful {}: {}; EKS runs them as StatefulSets with EBS volumes, ECS has only EFS and Lambda keeps no state",
            if stateful.len() == 1 { "service" } else { "services" },
            list(&stateful)
        ));
        Target::Eks
    } else if services >= EKS_SERVICES {
        reasons.push(format!(
            "{services} services (25 or more): Karpenter's bin-packing and Spot outweigh the EKS control plane, and namespaces isolate teams and tenants"
        ));
        Target::Eks
    } else if services >= TOSS_UP_SERVICES && dedicated.len() >= DEDICATED_TENANTS {
        reasons.push(format!(
            "{services} services and {} dedicated tenants ({}) that need hard isolation: a NodePool with taints and a namespace each on one cluster, instead of a full platform copy per tenant",
            dedicated.len(),
            list(&dedicated)
        ));
        Target::Eks
    } else if fits(Target::Lambda)
        && background.is_empty()
        && services <= TOSS_UP_SERVICES
        && (event_driven || !spiky.is_empty())
        && total(Target::Lambda) <= total(Target::Ecs).min(total(Target::Eks))
    {
        let mut why = Vec::new();
        if event_driven {
            why.push("event-driven (queues, workers or scheduled jobs)".to_string());
        }
        if !spiky.is_empty() {
            why.push(format!(
                "spiky ({} scale from zero or by {SPIKY_RATIO}× and more)",
                list(&spiky)
            ));
        }
        reasons.push(format!(
            "a small application ({services} {s_word}) that is {}: Lambda costs nothing at idle and scales per request",
            why.join(" and ")
        ));
        Target::Lambda
    } else if services >= TOSS_UP_SERVICES {
        let (ecs, eks) = (total(Target::Ecs), total(Target::Eks));
        let pick = if fits(Target::Ecs) && ecs <= eks {
            Target::Ecs
        } else {
            Target::Eks
        };
        reasons.push(format!(
            "{services} services is the 10-25 toss-up; {} is cheaper at these assumptions (ECS ${ecs:.2} vs EKS ${eks:.2} a month)",
            pick.as_str().to_uppercase()
        ));
        pick
    } else {
        reasons.push(format!(
            "{services} {s_word} (fewer than 10): ECS Fargate needs no control plane or nodes and is the simplest to run"
        ));
        Target::Ecs
    };
    if !fits(choice) {
        // Only ECS can miss here (a task larger than Fargate's largest).
        reasons.push(format!(
            "{} does not fit this blueprint; EKS runs every size",
            choice.as_str()
        ));
        choice = Target::Eks;
    }
    if !long_jobs.is_empty() {
        reasons.push(format!(
            "long jobs {}: Lambda stops a function after 15m; they run as Fargate tasks or Kubernetes CronJobs",
            list(&long_jobs)
        ));
    }
    if !background.is_empty() && choice != Target::Lambda {
        reasons.push(format!(
            "background {} {}: always running, which Lambda cannot do (a function runs only when invoked)",
            if background.len() == 1 { "service" } else { "services" },
            list(&background)
        ));
    }
    if !fits(Target::Lambda) && stateful.is_empty() && long_jobs.is_empty() {
        reasons.push("Lambda does not fit this blueprint (see its fit reasons)".to_string());
    }
    let costs: Vec<String> = targets
        .iter()
        .filter(|p| p.fits)
        .map(|p| format!("{} ${:.2}", p.target.as_str(), p.total.total()))
        .collect();
    reasons.push(format!("estimated monthly cost: {}", costs.join(", ")));

    let (placement, mix_total) = place(model, choice, total(choice), workloads);
    Recommendation {
        target: choice,
        reasons,
        placement,
        mix_total,
    }
}

/// Workloads that run cheaper on Lambda than on the recommended container
/// target, and that Lambda can run (not stateful, no background service,
/// memory 128Mi..10Gi, jobs within 15m) in every environment and tenant.
fn place(
    model: &Model,
    choice: Target,
    total: f64,
    workloads: &[WorkloadCost],
) -> (Vec<Placement>, Option<f64>) {
    if choice == Target::Lambda {
        return (Vec::new(), None);
    }
    let mut out = Vec::new();
    for w in workloads {
        let container = if choice == Target::Ecs { w.ecs } else { w.eks };
        let saving = container - w.lambda;
        if saving < MIN_SAVING || !lambda_can_run(model, &w.name, w.is_job) {
            continue;
        }
        let reason = if w.is_job {
            "scheduled and short: pay per run instead of a task start-up each time".to_string()
        } else {
            let kind = model
                .environments
                .iter()
                .flat_map(|e| e.all_workloads())
                .flat_map(|(_, ws)| ws.services.iter())
                .find(|s| s.name.as_str() == w.name)
                .map(|s| s.kind());
            match kind {
                Some(ServiceKind::Worker) => {
                    "event-driven: a function per batch of messages instead of always-on tasks".to_string()
                }
                _ => "little traffic at these assumptions: pay per request instead of always-on replicas"
                    .to_string(),
            }
        };
        out.push(Placement {
            workload: w.name.clone(),
            kind: if w.is_job { "job" } else { "service" },
            target: Target::Lambda,
            reason: format!(
                "{reason} (${:.2} on {} vs ${:.2} on Lambda a month)",
                container,
                choice.as_str(),
                w.lambda
            ),
            monthly_saving: saving,
        });
    }
    if out.is_empty() {
        return (out, None);
    }
    let saved: f64 = out.iter().map(|p| p.monthly_saving).sum();
    (out, Some(total - saved))
}

fn lambda_can_run(model: &Model, name: &str, is_job: bool) -> bool {
    let memory_ok = |mib: u32| (128..=10 * 1024).contains(&mib);
    model
        .environments
        .iter()
        .flat_map(|e| e.all_workloads())
        .all(|(_, w)| {
            if is_job {
                w.jobs
                    .iter()
                    .filter(|j| j.name.as_str() == name)
                    .all(|j| j.timeout.secs() <= 15 * 60 && memory_ok(j.memory.mib()))
            } else {
                w.services
                    .iter()
                    .filter(|s| s.name.as_str() == name)
                    .all(|s| {
                        !s.stateful
                            && s.kind() != ServiceKind::Background
                            && memory_ok(s.memory.mib())
                    })
            }
        })
}

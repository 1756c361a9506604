//! `blueprint plan`: for each target, whether the blueprint fits, what it
//! would create, what it would cost a month per environment, and which
//! target to use. Pure: model and assumptions in, a `Plan` out; `json` and
//! `text` print it. The cost model and the JSON shape are in docs/plan.md.

pub mod cost;
pub mod prices;
pub mod recommend;
pub mod resources;

use crate::diag::Diagnostic;
use crate::model::{Model, Target};
use crate::{normalize, targets};
pub use cost::Cost;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::Arc;

/// What the blueprint does not say about traffic; every value is printed
/// with the plan. Per environment unless stated.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumptions {
    /// HTTP requests a month, split evenly over every HTTP service copy.
    pub requests_per_month: u64,
    /// Average handling time of a request or a message, in milliseconds.
    pub avg_duration_ms: u64,
    /// Queue messages a month, split evenly over every queue copy.
    pub messages_per_month: u64,
    /// How much of its timeout a job run lasts (0..=1).
    pub job_duration_fraction: f64,
    /// Average load balancer capacity units per ALB.
    pub lcu: f64,
    /// GB a month through the NAT gateways.
    pub nat_gb_per_month: f64,
    /// NAT gateways (one per AZ); `None`: one per private subnet of the
    /// blueprint's network, or 2 when the network is an input.
    pub nat_gateways: Option<u32>,
}

impl Default for Assumptions {
    fn default() -> Assumptions {
        Assumptions {
            requests_per_month: 1_000_000,
            avg_duration_ms: 200,
            messages_per_month: 1_000_000,
            job_duration_fraction: 0.5,
            lcu: 1.0,
            nat_gb_per_month: 100.0,
            nat_gateways: None,
        }
    }
}

impl Assumptions {
    pub fn nat_gateways(&self, model: &Model) -> u32 {
        let from_network = match &model.app.network {
            Some(n) if !n.private_subnets.is_empty() => n.private_subnets.len() as u32,
            _ => 2,
        };
        self.nat_gateways.unwrap_or(from_network)
    }

    /// (key, value, flag, meaning), in a fixed order.
    pub fn list(&self, model: &Model) -> Vec<(&'static str, f64, &'static str, &'static str)> {
        vec![
            ("requests_per_month", self.requests_per_month as f64, "--requests-per-month", "HTTP requests a month per environment, split evenly over HTTP services and tenants"),
            ("avg_duration_ms", self.avg_duration_ms as f64, "--avg-duration-ms", "average time to handle one request or message (Lambda duration; worker busy time)"),
            ("messages_per_month", self.messages_per_month as f64, "--messages-per-month", "queue messages a month per environment, split evenly over queues and tenants"),
            ("job_duration_fraction", self.job_duration_fraction, "--job-duration-fraction", "share of its timeout a job run lasts"),
            ("lcu", self.lcu, "--lcu", "average load balancer capacity units per ALB"),
            ("nat_gb_per_month", self.nat_gb_per_month, "--nat-gb-per-month", "GB a month through NAT per environment"),
            ("nat_gateways", f64::from(self.nat_gateways(model)), "--nat-gateways", "NAT gateways per environment (one per AZ; default: one per private subnet, else 2)"),
        ]
    }
}

/// One target's part of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPlan {
    pub target: Target,
    pub fits: bool,
    /// Why it does not fit (empty when it does).
    pub reasons: Vec<Diagnostic>,
    pub implemented: bool,
    /// Resources by type; `None` when the emitter does not exist yet.
    pub resources: Option<resources::Counts>,
    /// The emitter's notes (Fargate rounding on ECS).
    pub notes: Vec<String>,
    /// Monthly cost per environment, in environment order.
    pub environments: Vec<(String, Cost)>,
    pub total: Cost,
    /// EKS: the nodes Karpenter would launch at the baseline.
    pub nodes: Vec<cost::NodeGroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub app: String,
    pub region: String,
    pub environments: Vec<String>,
    pub tenants: Vec<(String, &'static str)>,
    pub assumptions: Vec<(&'static str, f64, &'static str, &'static str)>,
    pub targets: Vec<TargetPlan>,
    pub recommendation: recommend::Recommendation,
}

/// The cost of `model` on `target` per environment (and the total), with
/// no lowering: what a README's cost table shows.
pub fn target_cost(
    model: &Model,
    target: Target,
    a: &Assumptions,
) -> (Vec<(String, Cost)>, Cost, Vec<cost::NodeGroup>) {
    let mut envs = Vec::new();
    let mut total = Cost::default();
    let mut nodes = Vec::new();
    for env in &model.environments {
        let (c, n) = cost::environment(model, env, target, a);
        total.add(&c);
        nodes.extend(n);
        envs.push((env.name.to_string(), c));
    }
    (envs, total, nodes)
}

pub fn build(model: &Model, a: &Assumptions) -> Plan {
    // Lowering wants the model shared; plan is not on the hot path.
    let shared = Arc::new(model.clone());
    let targets: Vec<TargetPlan> = Target::ALL
        .into_iter()
        .map(|t| {
            let reasons = normalize::fit(model, t);
            let fits = reasons.is_empty();
            let implemented = targets::is_implemented(t);
            let output = (fits && implemented).then(|| targets::lower(&shared, t));
            let resources = if fits {
                resources::count(t, output.as_ref())
            } else {
                None
            };
            let (environments, total, nodes) = target_cost(model, t, a);
            TargetPlan {
                target: t,
                fits,
                reasons,
                implemented,
                resources,
                notes: output.map(|o| o.notes).unwrap_or_default(),
                environments,
                total,
                nodes,
            }
        })
        .collect();
    let workloads = cost::workloads(model, a);
    let recommendation = recommend::recommend(model, &targets, &workloads);
    Plan {
        app: model.app.name.to_string(),
        region: model.app.region.clone(),
        environments: model
            .environments
            .iter()
            .map(|e| e.name.to_string())
            .collect(),
        tenants: model
            .tenants
            .iter()
            .map(|t| {
                let tier = match t.tier {
                    crate::model::Tier::Shared => "shared",
                    crate::model::Tier::Dedicated => "dedicated",
                };
                (t.name.to_string(), tier)
            })
            .collect(),
        assumptions: a.list(model),
        targets,
        recommendation,
    }
}

/// Rounded to cents, as every money figure in the output.
pub fn cents(x: f64) -> f64 {
    // `+ 0.0` turns a negative zero (a rounded -0.001) into 0, so no
    // figure prints as `-0.00`.
    (x * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
#[test]
fn cents_never_prints_negative_zero() {
    assert_eq!(format!("{:.2}", cents(-0.001)), "0.00");
    assert_eq!(format!("{:.2}", cents(1.005)), "1.00");
    assert_eq!(format!("{:.2}", cents(2.499)), "2.50");
}

fn cost_json(c: &Cost) -> Value {
    json!({
        "compute": cents(c.compute),
        "control_plane": cents(c.control_plane),
        "load_balancing": cents(c.load_balancing),
        "nat": cents(c.nat),
        "requests": cents(c.requests),
        "storage": cents(c.storage),
        "total": cents(c.total()),
    })
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// The stable JSON shape documented in docs/plan.md (keys in this order).
pub fn json(plan: &Plan) -> Value {
    let targets: Vec<Value> = plan
        .targets
        .iter()
        .map(|t| {
            let resources = t.resources.as_ref().map(|r| {
                json!({
                    "total": r.values().sum::<u64>(),
                    "by_type": r.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                })
            });
            json!({
                "target": t.target.as_str(),
                "fits": t.fits,
                "reasons": t.reasons.iter().map(|d| json!({"path": d.yaml_path, "message": d.message})).collect::<Vec<_>>(),
                "implemented": t.implemented,
                "resources": resources,
                "notes": t.notes,
                "nodes": t.nodes.iter().map(|n| json!({
                    "environment": n.environment,
                    "platform": n.platform,
                    "instance": n.instance,
                    "count": n.count,
                    "capacity": if n.spot { "spot" } else { "on-demand" },
                })).collect::<Vec<_>>(),
                "cost": {
                    "environments": t.environments.iter().map(|(e, c)| {
                        let mut v = json!({"environment": e});
                        if let (Value::Object(m), Value::Object(c)) = (&mut v, cost_json(c)) {
                            m.extend(c);
                        }
                        v
                    }).collect::<Vec<_>>(),
                    "total": cost_json(&t.total),
                },
            })
        })
        .collect();
    let r = &plan.recommendation;
    json!({
        "version": 1,
        "blueprint": plan.app,
        "region": plan.region,
        "price_region": prices::PRICE_REGION,
        "currency": "USD",
        "environments": plan.environments,
        "tenants": plan.tenants.iter().map(|(n, t)| json!({"name": n, "tier": t})).collect::<Vec<_>>(),
        "assumptions": plan.assumptions.iter().map(|(k, v, f, d)| json!({"name": k, "value": number(*v), "flag": f, "meaning": d})).collect::<Vec<_>>(),
        "targets": targets,
        "recommendation": {
            "target": r.target.as_str(),
            "reasons": r.reasons,
            "placement": r.placement.iter().map(|p| json!({
                "workload": p.workload,
                "kind": p.kind,
                "target": p.target.as_str(),
                "reason": p.reason,
                "monthly_saving": cents(p.monthly_saving),
            })).collect::<Vec<_>>(),
            "mix_total": r.mix_total.map(cents),
        },
    })
}

pub fn money(x: f64) -> String {
    format!("{:.2}", cents(x))
}

impl Cost {
    /// The seven columns of a cost row, in table order: compute, control
    /// plane, load balancing, NAT, requests, storage, total.
    pub fn columns(&self) -> [f64; 7] {
        [
            self.compute,
            self.control_plane,
            self.load_balancing,
            self.nat,
            self.requests,
            self.storage,
            self.total(),
        ]
    }
}

fn show(x: f64) -> String {
    if x.fract() == 0.0 {
        // Thousands separators for readability: 1,000,000.
        let s = format!("{}", x as i64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{x}")
    }
}

/// Pads every column to its widest cell; numbers right-aligned.
pub fn table(rows: &[Vec<String>], right_from: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = widths[c] - cell.chars().count();
            if c >= right_from {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Cost rows (header first) of one target: one per environment and a total.
pub fn cost_rows(t: &TargetPlan, with_target: bool) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut head = vec![];
    if with_target {
        head.push("target".to_string());
    }
    head.extend(
        [
            "environment",
            "compute",
            "control plane",
            "load balancing",
            "nat",
            "requests",
            "storage",
            "total",
        ]
        .map(String::from),
    );
    rows.push(head);
    let line = |name: &str, c: &Cost| {
        let mut r = vec![];
        if with_target {
            r.push(t.target.as_str().to_string());
        }
        r.push(name.to_string());
        r.extend(c.columns().map(money));
        r
    };
    for (e, c) in &t.environments {
        rows.push(line(e, c));
    }
    rows.push(line("total", &t.total));
    rows
}

/// The human report.
pub fn text(plan: &Plan) -> String {
    let mut o = String::new();
    let tenants = if plan.tenants.is_empty() {
        "single-tenant".to_string()
    } else {
        let t: Vec<String> = plan
            .tenants
            .iter()
            .map(|(n, t)| format!("{n} ({t})"))
            .collect();
        format!("tenants: {}", t.join(", "))
    };
    let _ = writeln!(
        o,
        "plan for `{}` ({}); environments: {}; {}",
        plan.app,
        plan.region,
        plan.environments.join(", "),
        tenants
    );
    let _ = writeln!(
        o,
        "prices: {} list prices in USD a month (730 h), free tiers ignored; see docs/plan.md\n",
        prices::PRICE_REGION
    );
    let _ = writeln!(o, "assumptions (change with the flags):");
    let rows: Vec<Vec<String>> = plan
        .assumptions
        .iter()
        .map(|(_, v, f, d)| vec![format!("  {f}"), show(*v), d.to_string()])
        .collect();
    o.push_str(&table(&rows, 99));
    let _ = writeln!(o, "\ntargets:");
    let mut rows = vec![vec!["  target", "fits", "resources", "monthly total"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()];
    for t in &plan.targets {
        let resources = match (&t.resources, t.fits, t.implemented) {
            (Some(r), _, _) => r.values().sum::<u64>().to_string(),
            (None, false, _) => "-".to_string(),
            (None, true, false) => "not implemented yet".to_string(),
            (None, true, true) => "-".to_string(),
        };
        rows.push(vec![
            format!("  {}", t.target.as_str()),
            if t.fits { "yes" } else { "no" }.to_string(),
            resources,
            if t.fits {
                money(t.total.total())
            } else {
                format!("({})", money(t.total.total()))
            },
        ]);
    }
    o.push_str(&table(&rows, 2));
    for t in plan.targets.iter().filter(|t| !t.fits) {
        let _ = writeln!(o, "\n{} does not fit:", t.target.as_str());
        for d in &t.reasons {
            let _ = writeln!(o, "  - {}: {}", d.yaml_path, d.message);
        }
    }
    let _ = writeln!(o, "\nmonthly cost (USD):");
    let mut rows = Vec::new();
    for (i, t) in plan.targets.iter().enumerate() {
        let mut r = cost_rows(t, true);
        if i > 0 {
            r.remove(0);
        }
        if !t.fits {
            for row in r.iter_mut() {
                row[0] = format!("{} (does not fit)", t.target.as_str());
            }
        }
        rows.extend(r);
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|mut r| {
            r[0] = format!("  {}", r[0]);
            r
        })
        .collect();
    o.push_str(&table(&rows, 2));
    for t in &plan.targets {
        if let Some(r) = &t.resources {
            let _ = writeln!(
                o,
                "\n{} resources ({}):",
                t.target.as_str(),
                r.values().sum::<u64>()
            );
            let rows: Vec<Vec<String>> = r
                .iter()
                .map(|(k, v)| vec![format!("  {k}"), v.to_string()])
                .collect();
            o.push_str(&table(&rows, 1));
        }
        if !t.nodes.is_empty() {
            let _ = writeln!(
                o,
                "\n{} nodes at the baseline (Karpenter, per environment and platform):",
                t.target.as_str()
            );
            for n in &t.nodes {
                let _ = writeln!(
                    o,
                    "  {}/{}: {} × {} {}",
                    n.environment,
                    n.platform,
                    n.count,
                    n.instance,
                    if n.spot { "spot" } else { "on-demand" }
                );
            }
            let _ = writeln!(
                o,
                "  plus {} × {} on-demand system nodes per cluster (Karpenter, CoreDNS)",
                prices::SYSTEM_NODES,
                prices::SYSTEM_NODE_TYPE
            );
        }
        if !t.notes.is_empty() {
            let label = if t.target == Target::Ecs {
                "Fargate rounding"
            } else {
                "notes"
            };
            let _ = writeln!(o, "\n{} {label}:", t.target.as_str());
            for n in &t.notes {
                let _ = writeln!(o, "  - {n}");
            }
        }
    }
    let r = &plan.recommendation;
    let _ = writeln!(o, "\nrecommendation: {}", r.target.as_str());
    for reason in &r.reasons {
        let _ = writeln!(o, "  - {reason}");
    }
    if !r.placement.is_empty() {
        let _ = writeln!(
            o,
            "\nplacement: a mix is cheaper; keep the rest on {} and move:",
            r.target.as_str()
        );
        for p in &r.placement {
            let _ = writeln!(
                o,
                "  - {} `{}` to {}: saves ${} a month; {}",
                p.kind,
                p.workload,
                p.target.as_str(),
                money(p.monthly_saving),
                p.reason
            );
        }
        if let Some(m) = r.mix_total {
            let _ = writeln!(o, "  mixed monthly total: ${}", money(m));
        }
    }
    o
}

#[cfg(test)]
mod tests;

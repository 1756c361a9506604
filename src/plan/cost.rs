//! Monthly cost per environment and target, split into compute, control
//! plane, load balancing, NAT and requests. The formulas are documented in
//! docs/plan.md; every price is in `prices.rs`.

use super::prices::*;
use super::Assumptions;
use crate::model::{
    fargate, Environment, Expose, Job, Model, Service, ServiceKind, Target, Workloads,
};
use crate::targets::ecs::fargate_size;
use std::collections::BTreeMap;

/// One environment's monthly cost on one target, in USD (unrounded).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub compute: f64,
    pub control_plane: f64,
    pub load_balancing: f64,
    pub nat: f64,
    pub requests: f64,
    /// Stateful services' volumes (EBS on EKS, EFS on ECS).
    pub storage: f64,
}

impl Cost {
    pub fn total(&self) -> f64 {
        self.compute
            + self.control_plane
            + self.load_balancing
            + self.nat
            + self.requests
            + self.storage
    }

    pub fn add(&mut self, o: &Cost) {
        self.compute += o.compute;
        self.control_plane += o.control_plane;
        self.load_balancing += o.load_balancing;
        self.nat += o.nat;
        self.requests += o.requests;
        self.storage += o.storage;
    }
}

/// Nodes an EKS NodePool launches for one platform copy.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroup {
    pub environment: String,
    pub platform: String,
    pub instance: &'static str,
    pub count: u64,
    pub spot: bool,
}

/// The cost of one workload copy (one tenant, one environment), compute and
/// its own per-request charges, on each target. Used for placement.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadCost {
    pub name: String,
    pub is_job: bool,
    pub ecs: f64,
    pub eks: f64,
    pub lambda: f64,
}

/// Traffic of one environment, split as the assumptions say.
struct Traffic {
    /// HTTP requests a month per HTTP service copy.
    per_http: f64,
    /// Messages a month per queue copy.
    per_queue: f64,
}

fn traffic(model: &Model, env: &Environment, a: &Assumptions) -> Traffic {
    let copies = env.all_workloads().count();
    let http = env
        .all_workloads()
        .flat_map(|(_, w)| w.services.iter())
        .filter(|s| s.kind() == ServiceKind::Http)
        .count();
    let queues = model.queues.len() * copies;
    Traffic {
        per_http: if http == 0 {
            0.0
        } else {
            a.requests_per_month as f64 / http as f64
        },
        per_queue: if queues == 0 {
            0.0
        } else {
            a.messages_per_month as f64 / queues as f64
        },
    }
}

/// Messages a month that service `s` of `w` handles: each consumed queue's
/// messages, shared evenly among that queue's consumers in the same tenant.
fn messages_for(w: &Workloads, s: &Service, t: &Traffic) -> f64 {
    s.consumes
        .iter()
        .map(|q| {
            let consumers = w.services.iter().filter(|o| o.consumes.contains(q)).count()
                + w.jobs.iter().filter(|j| j.consumes.contains(q)).count();
            t.per_queue / consumers.max(1) as f64
        })
        .sum()
}

fn runs_per_month(j: &Job) -> f64 {
    j.schedule.runs_per_year() / 12.0
}

/// Seconds one job run lasts, by the duration assumption.
fn job_seconds(j: &Job, a: &Assumptions) -> f64 {
    j.timeout.secs() as f64 * a.job_duration_fraction
}

/// `replicas` split into (on-demand, Spot) by a Spot percentage: floor of
/// the share on Spot. Computed in u64: `replicas * percent` overflows u32.
fn spot_split(replicas: u32, spot_percent: u8) -> (u64, u64) {
    let spot = u64::from(replicas) * u64::from(spot_percent.min(100)) / 100;
    (u64::from(replicas) - spot, spot)
}

fn spot_factor(spot_percent: u8) -> f64 {
    1.0 - f64::from(spot_percent) / 100.0 * SPOT_DISCOUNT
}

/// ECS: a service at `scale.min` tasks, 730 hours. The capacity provider
/// strategy puts the first task on on-demand Fargate (base 1) and splits
/// the rest by the spot weight. A worker at `min: 0` runs only while busy.
fn ecs_service(s: &Service, messages: f64, a: &Assumptions) -> f64 {
    let hourly = fargate::price(fargate_size(s.cpu, s.memory));
    if s.scale.min == 0 {
        if s.kind() == ServiceKind::Worker {
            return busy_hours(messages, a) * hourly;
        }
        return 0.0;
    }
    let rest = f64::from(s.scale.min - 1);
    let spot = rest * f64::from(s.spot) / 100.0;
    let on_demand = 1.0 + rest - spot;
    HOURS_PER_MONTH * hourly * (on_demand + spot * (1.0 - SPOT_DISCOUNT))
}

/// Hours a worker is busy: every message takes the average duration.
fn busy_hours(messages: f64, a: &Assumptions) -> f64 {
    messages * a.avg_duration_ms as f64 / 1000.0 / 3600.0
}

/// ECS: each run is one task, spread over Fargate and Fargate Spot by the
/// job's spot weight (no on-demand base for jobs), billed from image pull
/// (start-up time) with a one-minute minimum.
fn ecs_job(j: &Job, a: &Assumptions) -> f64 {
    let hourly = fargate::price(fargate_size(j.cpu, j.memory)) * spot_factor(j.spot);
    let billed = (job_seconds(j, a) + FARGATE_STARTUP_SECONDS).max(FARGATE_MIN_SECONDS);
    runs_per_month(j) * billed / 3600.0 * hourly
}

/// EKS capacity borrowed by a pod for some hours, at m5's rate per vCPU.
fn eks_pod_hours(cpu: f64, memory_gib: f64, hours: f64, spot: u8) -> f64 {
    hours * cpu.max(memory_gib / EKS_JOB_GIB_PER_VCPU) * EKS_JOB_VCPU_HOUR * spot_factor(spot)
}

fn eks_service_marginal(s: &Service, messages: f64, a: &Assumptions) -> f64 {
    let (cpu, mem) = (s.cpu.vcpu(), s.memory.gib());
    if s.scale.min == 0 {
        if s.kind() == ServiceKind::Worker {
            return eks_pod_hours(cpu, mem, busy_hours(messages, a), s.spot);
        }
        return 0.0;
    }
    eks_pod_hours(cpu, mem, HOURS_PER_MONTH * f64::from(s.scale.min), s.spot)
}

fn eks_job(j: &Job, a: &Assumptions) -> f64 {
    let hours = runs_per_month(j) * job_seconds(j, a) / 3600.0;
    eks_pod_hours(j.cpu.vcpu(), j.memory.gib(), hours, j.spot)
}

/// Lambda: (compute, request charges) of one service copy.
fn lambda_service(s: &Service, w: &Workloads, t: &Traffic, a: &Assumptions) -> (f64, f64) {
    let seconds = a.avg_duration_ms as f64 / 1000.0;
    let gb = s.memory.gib();
    match s.kind() {
        ServiceKind::Http => (
            t.per_http * seconds * gb * LAMBDA_GB_SECOND,
            t.per_http * (LAMBDA_PER_REQUEST + HTTP_API_PER_REQUEST),
        ),
        ServiceKind::Worker => {
            let m = messages_for(w, s, t);
            (
                m * seconds * gb * LAMBDA_GB_SECOND,
                m / LAMBDA_SQS_BATCH * LAMBDA_PER_REQUEST,
            )
        }
        // No trigger on Lambda: it runs only when something invokes it.
        ServiceKind::Background => (0.0, 0.0),
    }
}

fn lambda_job(j: &Job, a: &Assumptions) -> (f64, f64) {
    let runs = runs_per_month(j);
    (
        runs * job_seconds(j, a) * j.memory.gib() * LAMBDA_GB_SECOND,
        runs * LAMBDA_PER_REQUEST,
    )
}

fn alb(a: &Assumptions) -> f64 {
    HOURS_PER_MONTH * (ALB_HOUR + a.lcu * ALB_LCU_HOUR)
}

fn nat(model: &Model, a: &Assumptions) -> f64 {
    let gateways = a.nat_gateways(model);
    f64::from(gateways) * NAT_HOUR * HOURS_PER_MONTH + a.nat_gb_per_month * NAT_GB
}

fn sqs(model: &Model, env: &Environment, t: &Traffic) -> f64 {
    let copies = env.all_workloads().count() as f64;
    model
        .queues
        .iter()
        .map(|q| {
            let price = if q.fifo {
                SQS_FIFO_PER_REQUEST
            } else {
                SQS_PER_REQUEST
            };
            copies * t.per_queue * SQS_REQUESTS_PER_MESSAGE * price
        })
        .sum()
}

/// What stateful services' volumes cost a month in `env`: on EKS one EBS
/// gp3 volume of `storage.size` per replica (a StatefulSet's volume claim
/// template), at the minimum replica count; on ECS one EFS file system per
/// service copy, billed for what it holds (the size as the estimate);
/// Lambda runs no stateful service.
pub fn storage(env: &Environment, target: Target) -> f64 {
    let mut gib_months = 0.0;
    for (_, w) in env.all_workloads() {
        for s in &w.services {
            let Some(st) = &s.storage else { continue };
            let size = f64::from(st.size_gib);
            gib_months += match target {
                Target::Eks => size * f64::from(s.scale.min.max(1)),
                Target::Ecs => size,
                Target::Lambda => 0.0,
            };
        }
    }
    let price = match target {
        Target::Eks => EBS_GP3_GB_MONTH,
        Target::Ecs => EFS_STANDARD_GB_MONTH,
        Target::Lambda => 0.0,
    };
    gib_months * price
}

/// The cost of `env` on `target`, and (EKS) the nodes it launches.
pub fn environment(
    model: &Model,
    env: &Environment,
    target: Target,
    a: &Assumptions,
) -> (Cost, Vec<NodeGroup>) {
    let t = traffic(model, env, a);
    let mut c = Cost {
        nat: nat(model, a),
        requests: sqs(model, env, &t),
        storage: storage(env, target),
        ..Cost::default()
    };
    let mut nodes = Vec::new();
    let public_platforms = env
        .platforms
        .iter()
        .filter(|p| {
            p.tenants
                .iter()
                .any(|w| w.services.iter().any(|s| s.expose == Expose::Public))
        })
        .count() as f64;
    match target {
        Target::Ecs => {
            for (_, w) in env.all_workloads() {
                for s in &w.services {
                    c.compute += ecs_service(s, messages_for(w, s, &t), a);
                }
                for j in &w.jobs {
                    c.compute += ecs_job(j, a);
                }
            }
            c.load_balancing = public_platforms * alb(a);
        }
        Target::Eks => {
            c.control_plane = EKS_CONTROL_PLANE_HOUR * HOURS_PER_MONTH;
            c.compute = SYSTEM_NODES * SYSTEM_NODE_HOURLY * HOURS_PER_MONTH;
            for p in &env.platforms {
                // Groups of identical replicas, on-demand and Spot: never
                // one entry per replica (`scale.min` can be in the billions).
                let mut pods: [Vec<Pods>; 2] = [Vec::new(), Vec::new()];
                for w in &p.tenants {
                    for s in &w.services {
                        if s.scale.min == 0 {
                            c.compute += eks_service_marginal(s, messages_for(w, s, &t), a);
                            continue;
                        }
                        let (on_demand, spot) = spot_split(s.scale.min, s.spot);
                        let pod = (s.cpu.vcpu(), s.memory.gib());
                        pods[0].push((pod, on_demand));
                        pods[1].push((pod, spot));
                    }
                    for j in &w.jobs {
                        c.compute += eks_job(j, a);
                    }
                }
                for (spot, pods) in pods.iter().enumerate() {
                    let spot = spot == 1;
                    if let Some((instance, count)) = pack(pods) {
                        let factor = if spot { 1.0 - SPOT_DISCOUNT } else { 1.0 };
                        c.compute += count as f64 * instance.hourly * HOURS_PER_MONTH * factor;
                        nodes.push(NodeGroup {
                            environment: env.name.to_string(),
                            platform: p.id().to_string(),
                            instance: instance.name,
                            count,
                            spot,
                        });
                    }
                }
            }
            c.load_balancing = public_platforms * alb(a);
        }
        Target::Lambda => {
            for (_, w) in env.all_workloads() {
                for s in &w.services {
                    let (compute, requests) = lambda_service(s, w, &t, a);
                    c.compute += compute;
                    c.requests += requests;
                }
                for j in &w.jobs {
                    let (compute, requests) = lambda_job(j, a);
                    c.compute += compute;
                    c.requests += requests;
                }
            }
        }
    }
    (c, nodes)
}

/// Every workload copy's own cost on each target, summed by workload name
/// over environments and tenants (name order).
pub fn workloads(model: &Model, a: &Assumptions) -> Vec<WorkloadCost> {
    let mut by_name: BTreeMap<(bool, String), WorkloadCost> = BTreeMap::new();
    for env in &model.environments {
        let t = traffic(model, env, a);
        for (_, w) in env.all_workloads() {
            for s in &w.services {
                let m = messages_for(w, s, &t);
                let (lc, lr) = lambda_service(s, w, &t, a);
                let e = by_name
                    .entry((false, s.name.to_string()))
                    .or_insert_with(|| WorkloadCost {
                        name: s.name.to_string(),
                        is_job: false,
                        ecs: 0.0,
                        eks: 0.0,
                        lambda: 0.0,
                    });
                e.ecs += ecs_service(s, m, a);
                e.eks += eks_service_marginal(s, m, a);
                e.lambda += lc + lr;
            }
            for j in &w.jobs {
                let (lc, lr) = lambda_job(j, a);
                let e = by_name
                    .entry((true, j.name.to_string()))
                    .or_insert_with(|| WorkloadCost {
                        name: j.name.to_string(),
                        is_job: true,
                        ecs: 0.0,
                        eks: 0.0,
                        lambda: 0.0,
                    });
                e.ecs += ecs_job(j, a);
                e.eks += eks_job(j, a);
                e.lambda += lc + lr;
            }
        }
    }
    by_name.into_values().collect()
}

/// Identical pods: (vCPU, GiB) and how many replicas.
pub type Pods = ((f64, f64), u64);

/// First-fit decreasing onto one instance type, for each type in the
/// NodePool's list; the cheapest packing wins (ties: fewer nodes, then list
/// order). `None` when there are no pods. A pod larger than every type
/// gets a node of the largest type of its own.
///
/// Pods come as groups of identical replicas, and the work and memory
/// depend on the number of groups, not of replicas: `scale.min` may be
/// 4,294,967,295.
pub fn pack(pods: &[Pods]) -> Option<(&'static Instance, u64)> {
    let mut sorted: Vec<Pods> = pods.iter().copied().filter(|(_, n)| *n > 0).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|(a, _), (b, _)| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut best: Option<(&'static Instance, u64)> = None;
    for inst in INSTANCES.iter() {
        let Some(count) = ffd(&sorted, inst) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((b, n)) => {
                let (cost, best_cost) = (count as f64 * inst.hourly, n as f64 * b.hourly);
                cost < best_cost - 1e-9 || ((cost - best_cost).abs() <= 1e-9 && count < n)
            }
        };
        if better {
            best = Some((inst, count));
        }
    }
    best.or_else(|| {
        let largest = INSTANCES
            .iter()
            .max_by(|a, b| a.memory_gib.total_cmp(&b.memory_gib))
            .expect("the instance list is not empty");
        let replicas = sorted
            .iter()
            .fold(0u64, |sum, (_, n)| sum.saturating_add(*n));
        Some((largest, replicas))
    })
}

/// What is left on one node: vCPU, GiB, pod slots.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Left(f64, f64, u32);

impl Left {
    /// An empty node of `inst`: its allocatable capacity, and its pod
    /// slots after the DaemonSets.
    fn empty(inst: &Instance) -> Left {
        Left(
            inst.vcpu - NODE_RESERVED_VCPU,
            inst.memory_gib - NODE_RESERVED_GIB,
            inst.max_pods - DAEMONSET_PODS,
        )
    }

    fn fits(&self, (cpu, mem): (f64, f64)) -> bool {
        self.0 + 1e-9 >= cpu && self.1 + 1e-9 >= mem && self.2 > 0
    }

    /// Places up to `max` pods of one size, one at a time (the same float
    /// steps as placing them one by one): how many fit, and what is left.
    fn take(mut self, pod: (f64, f64), max: u64) -> (u64, Left) {
        let mut taken = 0;
        while taken < max && self.fits(pod) {
            self.0 -= pod.0;
            self.1 -= pod.1;
            self.2 -= 1;
            taken += 1;
        }
        (taken, self)
    }
}

/// `nodes` nodes in the same state, in placement order.
#[derive(Debug, Clone, Copy)]
struct Run {
    left: Left,
    nodes: u64,
}

/// Nodes of `inst` that hold `pods` (groups sorted largest first), or
/// `None` when a pod does not fit on an empty node.
///
/// The same result as placing each replica on the first node it fits
/// (first fit): a group's replicas fill the first node that takes one
/// until it is full, then the next. So nodes are kept as runs of nodes in
/// the same state, and a group splits a run into at most three.
fn ffd(pods: &[Pods], inst: &Instance) -> Option<u64> {
    let empty = Left::empty(inst);
    let mut runs: Vec<Run> = Vec::new();
    // The smallest pod in each dimension: a node that cannot take it is
    // full for good, and the search starts after the leading full runs.
    let least = pods.iter().fold((f64::MAX, f64::MAX), |(c, m), (p, _)| {
        (c.min(p.0), m.min(p.1))
    });
    let mut first_open = 0;
    for &(pod, count) in pods {
        if pod.0 > empty.0 + 1e-9 || pod.1 > empty.1 + 1e-9 {
            return None;
        }
        let mut remaining = count;
        let mut i = first_open;
        while remaining > 0 && i < runs.len() {
            let placed = place(&mut runs, i, pod, remaining);
            remaining -= placed.pods;
            i += placed.runs;
        }
        if remaining > 0 {
            runs.push(Run {
                left: empty,
                nodes: remaining,
            });
            let at = runs.len() - 1;
            let placed = place(&mut runs, at, pod, remaining);
            debug_assert_eq!(placed.pods, remaining, "a pod that fits an empty node");
            // The empty nodes nothing went on (at most `remaining` were added).
            if runs.last().is_some_and(|r| r.left == empty) {
                runs.pop();
            }
        }
        while runs.get(first_open).is_some_and(|r| !r.left.fits(least)) {
            first_open += 1;
        }
    }
    Some(runs.iter().fold(0u64, |sum, r| sum.saturating_add(r.nodes)))
}

/// What [`place`] did: replicas placed, runs the placed-on run became.
struct Placed {
    pods: u64,
    runs: usize,
}

/// Places up to `count` replicas of `pod` on the nodes of `runs[i]`, first
/// node first, each filled before the next: the run becomes its nodes
/// filled (the same state), the one partly filled, and the untouched.
fn place(runs: &mut Vec<Run>, i: usize, pod: (f64, f64), count: u64) -> Placed {
    let run = runs[i];
    let (per_node, filled) = run.left.take(pod, u64::MAX);
    if per_node == 0 {
        return Placed { pods: 0, runs: 1 };
    }
    let full = (count / per_node).min(run.nodes);
    let mut pods = full * per_node;
    let mut parts = Vec::with_capacity(3);
    if full > 0 {
        parts.push(Run {
            left: filled,
            nodes: full,
        });
    }
    let mut untouched = run.nodes - full;
    if untouched > 0 && pods < count {
        let (taken, left) = run.left.take(pod, count - pods);
        parts.push(Run { left, nodes: 1 });
        pods += taken;
        untouched -= 1;
    }
    if untouched > 0 {
        parts.push(Run {
            left: run.left,
            nodes: untouched,
        });
    }
    let n = parts.len();
    runs.splice(i..=i, parts);
    Placed { pods, runs: n }
}

#[cfg(test)]
mod job_spot_tests {
    use super::*;
    use crate::model::fixtures::job;

    #[test]
    fn a_jobs_spot_share_lowers_its_ecs_price() {
        // Jobs have no on-demand base: at spot 100 every run is on Fargate
        // Spot, at 70% off.
        let a = Assumptions::default();
        let on_demand = job("nightly", "repo/job:1", "0 2 * * *");
        let spot = Job {
            spot: 100,
            ..on_demand.clone()
        };
        let (d, s) = (ecs_job(&on_demand, &a), ecs_job(&spot, &a));
        assert!(d > 0.0);
        assert!((s - d * (1.0 - SPOT_DISCOUNT)).abs() < 1e-9, "{s} vs {d}");
    }
}

#[cfg(test)]
mod pack_tests {
    use super::*;

    /// First fit decreasing one replica at a time: what `ffd` must equal.
    fn ffd_one_by_one(pods: &[Pods], inst: &Instance) -> Option<u64> {
        let empty = Left::empty(inst);
        let mut nodes: Vec<Left> = Vec::new();
        for &(pod, count) in pods {
            if !empty.fits(pod) {
                return None;
            }
            for _ in 0..count {
                match nodes.iter_mut().find(|n| n.fits(pod)) {
                    Some(n) => *n = n.take(pod, 1).1,
                    None => nodes.push(empty.take(pod, 1).1),
                }
            }
        }
        Some(nodes.len() as u64)
    }

    #[test]
    fn groups_pack_as_replicas_one_by_one() {
        let sizes = [
            (0.25, 0.5),
            (0.5, 1.0),
            (1.0, 2.0),
            (2.0, 4.0),
            (0.3, 0.59),
            (4.0, 30.0),
        ];
        // A small linear congruential generator: deterministic cases.
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for case in 0..300 {
            let groups = 1 + next(5) as usize;
            let mut pods: Vec<Pods> = (0..groups)
                .map(|_| (sizes[next(sizes.len() as u64) as usize], next(40)))
                .collect();
            pods.sort_by(|(a, _), (b, _)| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
            for inst in INSTANCES.iter() {
                assert_eq!(
                    ffd(&pods, inst),
                    ffd_one_by_one(&pods, inst),
                    "case {case}: {pods:?} on {}",
                    inst.name
                );
            }
        }
    }

    #[test]
    fn billions_of_replicas_pack_at_once() {
        let started = std::time::Instant::now();
        let (inst, nodes) = pack(&[((0.25, 0.5), u64::from(u32::MAX)), ((1.0, 2.0), 3)]).unwrap();
        assert!(nodes > 10_000_000, "{} × {nodes}", inst.name);
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        assert_eq!(spot_split(u32::MAX, 100), (0, u64::from(u32::MAX)));
        assert_eq!(spot_split(u32::MAX, 50), (2_147_483_648, 2_147_483_647));
        assert_eq!(spot_split(3, 50), (2, 1));
    }
}

//! Located YAML tree -> validated [`Model`]: defaults, environment-then-tenant
//! overrides, references, and target fit. Reports every error at once.
//!
//! The pipeline: parse the tree (parse/), decode the application settings,
//! queues, and every service and job of the base once; then, for each
//! environment x tenant combination, deep-merge the environment's and then
//! the tenant's overrides over the services and jobs they touch and decode
//! those again (cached per distinct override pair). Untouched workloads reuse
//! the base decode, so the work is linear in services x combinations.
//! The rules and defaults are written down in docs/blueprint-reference.md.

mod decode;
mod fit;
mod merge;
pub mod quota;
mod suggest;
mod workload;

#[cfg(test)]
mod tests;

pub use fit::fit;

use crate::diag::{sorted_unique, Diagnostic};
use crate::model::{
    App, Environment, Expose, Locations, Model, Name, Network, Platform, PlatformKind, Queue,
    Quota, Tenant, Tier, Workloads,
};
use crate::parse::{self, Key, Node, Value};
use decode::{Cx, Loc};
use std::collections::{BTreeMap, BTreeSet};
use workload::{Catalog, JobInfo, SvcInfo};

/// Parses and validates a blueprint. On failure, every diagnostic found,
/// sorted by position.
pub fn load(source: &str) -> Result<Model, Vec<Diagnostic>> {
    let (root, mut diags) = parse::parse(source);
    if let Some(root) = root {
        let mut cx = Cx::default();
        let model = build(&mut cx, &root);
        diags.extend(cx.diags);
        if diags.is_empty() {
            match model {
                Some(m) => {
                    let over = quota::check(&m);
                    if over.is_empty() {
                        return Ok(m);
                    }
                    diags.extend(over);
                }
                None => diags.push(Diagnostic::new("", "the blueprint could not be read")),
            }
        }
    }
    Err(sorted_unique(diags))
}

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "region",
    "tags",
    "network",
    "services",
    "queues",
    "jobs",
    "tenants",
    "environments",
];
const NETWORK_KEYS: &[&str] = &["vpc_id", "private_subnets", "public_subnets"];
const TENANT_KEYS: &[&str] = &["tier", "quota", "overrides"];
const QUOTA_KEYS: &[&str] = &["cpu", "memory", "pods"];
const ENVIRONMENT_KEYS: &[&str] = &["account", "overrides"];
const OVERRIDE_KEYS: &[&str] = &["services", "jobs"];

/// A declared entry: its checked name, where the name was written, its node.
struct Entry<'a> {
    name: Name,
    node: &'a Node,
}

/// Partial service/job entries, by index into the sorted base entries.
#[derive(Default)]
struct Overrides<'a> {
    services: BTreeMap<usize, &'a Node>,
    jobs: BTreeMap<usize, &'a Node>,
}

struct TenantDef<'a> {
    tenant: Tenant,
    ov: Overrides<'a>,
}

struct EnvDef<'a> {
    name: Name,
    account: Option<String>,
    ov: Overrides<'a>,
}

/// Names as written (valid or not) and the index of each valid one.
struct Index {
    written: BTreeSet<String>,
    valid: BTreeMap<String, usize>,
}

fn build(cx: &mut Cx, root: &Node) -> Option<Model> {
    let f = cx.fields(root, TOP_KEYS, "the blueprint")?;
    if let Some(n) = cx.required(&f, "version", "the blueprint") {
        match cx.text(n) {
            Some("1") | None => {}
            Some(t) => cx.err_help(
                n,
                format!("unsupported blueprint version `{t}`"),
                "this tool reads `version: 1`",
            ),
        }
    }
    let name = cx.required(&f, "name", "the blueprint").and_then(|n| {
        cx.parse_with(n, |t| {
            Name::parse(t, 28).map_err(|e| format!("invalid application name: {e}"))
        })
    });
    let region = cx
        .required(&f, "region", "the blueprint")
        .and_then(|n| cx.parse_with(n, check_region));
    let tags = f.get("tags").map(|n| tags(cx, n)).unwrap_or_default();
    let network = f.get("network").and_then(|n| network(cx, n));

    let queue_entries = named(cx, f.get("queues"), "queue", 32);
    let service_entries = named(cx, f.get("services"), "service", 32);
    let job_entries = named(cx, f.get("jobs"), "job", 32);
    let written = |n: Option<&Node>| n.and_then(Node::entries).map_or(0, <[_]>::len);
    if written(f.get("services")) == 0 && written(f.get("jobs")) == 0 {
        let at = f.get("services").or(f.get("jobs")).unwrap_or(root);
        cx.err_help(
            at,
            "the blueprint declares no services and no jobs",
            "add at least one entry under `services:` or `jobs:`",
        );
    }
    let svc_index = index(f.get("services"), &service_entries);
    let job_index = index(f.get("jobs"), &job_entries);
    for j in &job_entries {
        if svc_index.valid.contains_key(j.name.as_str()) {
            cx.err_help(
                j.node,
                format!("`{}` is both a service and a job", j.name),
                "a service and a job may not share a name; rename one",
            );
        }
    }

    let mut queues: Vec<Queue> = Vec::new();
    for q in &queue_entries {
        if let Some(queue) = workload::decode_queue(cx, &q.name, q.node) {
            queues.push(queue);
        }
    }
    let cat = Catalog {
        queues: queue_entries.iter().map(|e| e.name.to_string()).collect(),
        services: service_entries.iter().map(|e| e.name.to_string()).collect(),
        jobs: job_entries.iter().map(|e| e.name.to_string()).collect(),
    };

    // The base, decoded once.
    let base_svcs: Vec<Option<SvcInfo>> = service_entries
        .iter()
        .map(|e| workload::decode_service(cx, &cat, &e.name, e.node))
        .collect();
    let base_jobs: Vec<Option<JobInfo>> = job_entries
        .iter()
        .map(|e| workload::decode_job(cx, &cat, &e.name, e.node))
        .collect();
    let svcs: Vec<&SvcInfo> = base_svcs.iter().flatten().collect();
    let jobs: Vec<&JobInfo> = base_jobs.iter().flatten().collect();
    let mut any_public = check_tenant(cx, &svcs, &jobs);

    let tenants = tenants(cx, f.get("tenants"), &svc_index, &job_index);
    let envs = environments(cx, f.get("environments"), &svc_index, &job_index);

    let mut svc_cache: BTreeMap<(usize, usize, usize), Option<SvcInfo>> = BTreeMap::new();
    let mut job_cache: BTreeMap<(usize, usize, usize), Option<JobInfo>> = BTreeMap::new();
    let none = Overrides::default();
    let mut environments = Vec::with_capacity(envs.len());
    for (ei, env) in envs.iter().enumerate() {
        let mut resolve =
            |cx: &mut Cx, ti: usize, tov: &Overrides| -> (Vec<SvcInfo>, Vec<JobInfo>) {
                let mut touched = false;
                let mut out_s = Vec::with_capacity(service_entries.len());
                for (i, e) in service_entries.iter().enumerate() {
                    let (eo, to) = (env.ov.services.get(&i), tov.services.get(&i));
                    if eo.is_none() && to.is_none() {
                        out_s.extend(base_svcs.get(i).and_then(Option::as_ref).cloned());
                        continue;
                    }
                    touched = true;
                    let key = (eo.map_or(0, |_| ei + 1), to.map_or(0, |_| ti), i);
                    let info = svc_cache.entry(key).or_insert_with(|| {
                        let merged = overlay(e.node, eo.copied(), to.copied());
                        workload::decode_service(cx, &cat, &e.name, &merged)
                    });
                    out_s.extend(info.clone());
                }
                let mut out_j = Vec::with_capacity(job_entries.len());
                for (i, e) in job_entries.iter().enumerate() {
                    let (eo, to) = (env.ov.jobs.get(&i), tov.jobs.get(&i));
                    if eo.is_none() && to.is_none() {
                        out_j.extend(base_jobs.get(i).and_then(Option::as_ref).cloned());
                        continue;
                    }
                    touched = true;
                    let key = (eo.map_or(0, |_| ei + 1), to.map_or(0, |_| ti), i);
                    let info = job_cache.entry(key).or_insert_with(|| {
                        let merged = overlay(e.node, eo.copied(), to.copied());
                        workload::decode_job(cx, &cat, &e.name, &merged)
                    });
                    out_j.extend(info.clone());
                }
                if touched {
                    let s: Vec<&SvcInfo> = out_s.iter().collect();
                    let j: Vec<&JobInfo> = out_j.iter().collect();
                    any_public |= check_tenant(cx, &s, &j);
                }
                (out_s, out_j)
            };
        let workloads = |tenant: Option<Name>, (s, j): (Vec<SvcInfo>, Vec<JobInfo>)| Workloads {
            tenant,
            services: s.into_iter().map(|i| i.svc).collect(),
            jobs: j.into_iter().map(|i| i.job).collect(),
        };
        // What every tenant starts from: the base with this environment's overrides.
        let base = workloads(None, resolve(cx, 0, &none));
        let mut platforms = Vec::new();
        if tenants.is_empty() {
            let w = base.clone();
            platforms.push(Platform {
                kind: PlatformKind::Single,
                tenants: vec![w],
            });
        } else {
            let mut shared = Vec::new();
            let mut dedicated = Vec::new();
            for (ti, t) in tenants.iter().enumerate() {
                let w = workloads(Some(t.tenant.name.clone()), resolve(cx, ti + 1, &t.ov));
                match t.tenant.tier {
                    Tier::Shared => shared.push(w),
                    Tier::Dedicated => dedicated.push(Platform {
                        kind: PlatformKind::Dedicated(t.tenant.name.clone()),
                        tenants: vec![w],
                    }),
                }
            }
            if !shared.is_empty() {
                platforms.push(Platform {
                    kind: PlatformKind::Shared,
                    tenants: shared,
                });
            }
            platforms.extend(dedicated);
        }
        environments.push(Environment {
            name: env.name.clone(),
            account: env.account.clone(),
            base,
            platforms,
        });
    }

    if let (Some(net), Some(n)) = (&network, f.get("network")) {
        if any_public && net.public_subnets.len() < 2 {
            let at = n.get("public_subnets").unwrap_or(n);
            cx.err_help(
                at,
                format!(
                    "a public service needs at least 2 `public_subnets` for its load balancer; {} given",
                    net.public_subnets.len()
                ),
                "list public subnets in two availability zones",
            );
        }
    }

    let app = App {
        name: name?,
        region: region?,
        tags,
        network,
    };
    Some(Model {
        app,
        queues,
        tenants: tenants.into_iter().map(|t| t.tenant).collect(),
        environments,
        locations: locations(root),
    })
}

/// Every key's position (and every list item's), by YAML path.
fn locations(root: &Node) -> Locations {
    fn walk(n: &Node, out: &mut Locations) {
        match &n.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    out.insert(v.path.clone(), k.line, k.col);
                    walk(v, out);
                }
            }
            Value::Seq(items) => {
                for v in items {
                    out.insert(v.path.clone(), v.line, v.col);
                    walk(v, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Locations::default();
    walk(root, &mut out);
    out
}

/// The base node with the environment's and then the tenant's override.
fn overlay(base: &Node, env: Option<&Node>, tenant: Option<&Node>) -> Node {
    let mut n = match env {
        Some(o) => merge::merge(base, o),
        None => base.clone(),
    };
    if let Some(o) = tenant {
        n = merge::merge(&n, o);
    }
    n
}

/// The entries of a `name: {...}` map with valid names, sorted by name.
fn named<'a>(cx: &mut Cx, n: Option<&'a Node>, kind: &str, max: usize) -> Vec<Entry<'a>> {
    let Some(n) = n else { return Vec::new() };
    let Some(entries) = cx.map(n, &format!("`{}`", n.path)) else {
        return Vec::new();
    };
    let mut out: Vec<Entry> = entries
        .iter()
        .filter_map(|(k, v)| check_name(cx, k, v, kind, max).map(|name| Entry { name, node: v }))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn check_name(cx: &mut Cx, k: &Key, v: &Node, kind: &str, max: usize) -> Option<Name> {
    match Name::parse(&k.text, max) {
        Ok(n) => Some(n),
        Err(e) => {
            cx.push(
                Diagnostic::new(v.path.clone(), format!("invalid {kind} name: {e}"))
                    .at(k.line, k.col)
                    .with_help(format!(
                        "{kind} names are a lowercase letter, then a-z, 0-9 or `-`, at most {max} characters"
                    )),
            );
            None
        }
    }
}

fn index(n: Option<&Node>, entries: &[Entry]) -> Index {
    Index {
        written: n
            .and_then(Node::entries)
            .map(|e| e.iter().map(|(k, _)| k.text.clone()).collect())
            .unwrap_or_default(),
        valid: entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.to_string(), i))
            .collect(),
    }
}

/// Checks that need every service of one tenant in one environment:
/// `calls` targets have a port, and no route belongs to two services.
/// Returns whether any service is public.
fn check_tenant(cx: &mut Cx, svcs: &[&SvcInfo], jobs: &[&JobInfo]) -> bool {
    let ports: BTreeMap<&str, bool> = svcs
        .iter()
        .map(|s| (s.svc.name.as_str(), s.svc.port.is_some()))
        .collect();
    let calls = svcs
        .iter()
        .map(|s| (format!("service `{}`", s.svc.name), &s.calls_at))
        .chain(
            jobs.iter()
                .map(|j| (format!("job `{}`", j.job.name), &j.calls_at)),
        );
    for (who, at) in calls {
        for (target, loc) in at {
            if ports.get(target.as_str()) == Some(&false) {
                cx.push(
                    loc.diag(format!(
                        "{who} calls service `{target}`, which has no `port`"
                    ))
                    .with_help(format!(
                        "give `{target}` a `port`, or remove it from `calls`"
                    )),
                );
            }
        }
    }

    // Routes of different services may nest (the most specific prefix wins
    // on every target); only the same route on two services is ambiguous.
    let mut owners: BTreeMap<&str, (&Name, &Loc)> = BTreeMap::new();
    let mut any_public = false;
    for s in svcs.iter().filter(|s| s.svc.expose == Expose::Public) {
        any_public = true;
        for (route, loc) in &s.routes_at {
            match owners.get(route.as_str()) {
                Some((other, _)) if *other != &s.svc.name => cx.push(
                    loc.diag(format!(
                        "route `{route}` of service `{}` is also a route of service `{other}`",
                        s.svc.name
                    ))
                    .with_help(
                        "each path prefix belongs to one service; nested prefixes such as `/` and `/api` are fine (the most specific wins)",
                    ),
                ),
                Some(_) => {}
                None => {
                    owners.insert(route, (&s.svc.name, loc));
                }
            }
        }
    }
    any_public
}

/// `eu-central-1`, `us-gov-west-1`, `ap-southeast-2`.
fn check_region(t: &str) -> Result<String, String> {
    let parts: Vec<&str> = t.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let ok = match parts.as_slice() {
        [geo, mid @ .., num] => {
            geo.len() == 2
                && lower(geo)
                && (1..=2).contains(&mid.len())
                && mid.iter().all(|m| lower(m))
                && (1..=2).contains(&num.len())
                && num.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if ok {
        Ok(t.to_string())
    } else {
        Err(format!(
            "`{t}` is not an AWS region like `eu-central-1` or `us-gov-west-1`"
        ))
    }
}

fn tags(cx: &mut Cx, n: &Node) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(entries) = cx.map(n, "`tags`") else {
        return out;
    };
    let help = "AWS tags hold letters, digits, spaces and `_ . : / = + - @`; keys 1 to 128 characters, values at most 256";
    for (k, v) in entries {
        if let Err(m) = crate::aws::tags::check_key(&k.text) {
            cx.push(
                Diagnostic::new(v.path.clone(), m)
                    .at(k.line, k.col)
                    .with_help(help),
            );
            continue;
        }
        let Some(t) = cx.text(v) else { continue };
        if let Err(m) = crate::aws::tags::check_value(&k.text, t) {
            cx.err_help(v, m, help);
            continue;
        }
        out.insert(k.text.clone(), t.to_string());
    }
    out
}

fn aws_id(t: &str, prefix: &str) -> bool {
    t.strip_prefix(prefix).is_some_and(|h| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn network(cx: &mut Cx, n: &Node) -> Option<Network> {
    let before = cx.diags.len();
    let f = cx.fields(n, NETWORK_KEYS, "`network`")?;
    let vpc_id = cx.required(&f, "vpc_id", "`network`").and_then(|v| {
        let t = cx.text(v)?;
        if !aws_id(t, "vpc-") {
            cx.err_help(
                v,
                format!("`{t}` is not a VPC id"),
                "a VPC id looks like `vpc-0a1b2c3d4e5f60718`",
            );
        }
        Some(t.to_string())
    });
    let subnets = |cx: &mut Cx, key: &str, required: bool| -> Vec<String> {
        let Some(list) = f.get(key) else {
            if required {
                cx.err(n, format!("`network` is missing the required key `{key}`"));
            }
            return Vec::new();
        };
        let Some(items) = cx.list(list, &format!("`{key}`")) else {
            return Vec::new();
        };
        if required && items.is_empty() {
            cx.err(list, format!("`{key}` must list at least one subnet"));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for i in items {
            let Some(t) = cx.text(i) else { continue };
            if !aws_id(t, "subnet-") {
                cx.err_help(
                    i,
                    format!("`{t}` is not a subnet id"),
                    "a subnet id looks like `subnet-0aaa1111`",
                );
            } else if !seen.insert(t) {
                cx.err(i, format!("subnet `{t}` is listed twice"));
            }
            out.push(t.to_string());
        }
        out
    };
    let private_subnets = subnets(cx, "private_subnets", true);
    let public_subnets = subnets(cx, "public_subnets", false);
    if cx.diags.len() != before {
        return None;
    }
    Some(Network {
        vpc_id: vpc_id?,
        private_subnets,
        public_subnets,
    })
}

fn overrides<'a>(cx: &mut Cx, n: &'a Node, svcs: &Index, jobs: &Index) -> Overrides<'a> {
    let mut ov = Overrides::default();
    let Some(f) = cx.fields(n, OVERRIDE_KEYS, "`overrides`") else {
        return ov;
    };
    for (key, index, kind) in [("services", svcs, "service"), ("jobs", jobs, "job")] {
        let Some(m) = f.get(key) else { continue };
        let Some(entries) = cx.map(m, &format!("`overrides.{key}`")) else {
            continue;
        };
        let names: Vec<&str> = index.valid.keys().map(String::as_str).collect();
        for (k, v) in entries {
            match index.valid.get(&k.text) {
                Some(&i) => match &v.value {
                    Value::Map(_) => {
                        ov.services_or_jobs(key).insert(i, v);
                    }
                    Value::Null => {}
                    _ => cx.err_help(
                        v,
                        format!(
                            "the override of {kind} `{}` must be a map, not {}",
                            k.text,
                            v.kind()
                        ),
                        format!("write the {kind}'s keys to change, e.g. `{{ image: ... }}`"),
                    ),
                },
                // Its own name is wrong: reported there already.
                None if index.written.contains(&k.text) => {}
                None => cx.push(
                    Diagnostic::new(
                        v.path.clone(),
                        format!("override for {kind} `{}`, which is not declared", k.text),
                    )
                    .at(k.line, k.col)
                    .with_help(suggest::help(
                        &k.text,
                        &names,
                        &format!("declared {kind}s"),
                    )),
                ),
            }
        }
    }
    ov
}

impl<'a> Overrides<'a> {
    fn services_or_jobs(&mut self, key: &str) -> &mut BTreeMap<usize, &'a Node> {
        if key == "services" {
            &mut self.services
        } else {
            &mut self.jobs
        }
    }
}

fn tenants<'a>(cx: &mut Cx, n: Option<&'a Node>, svcs: &Index, jobs: &Index) -> Vec<TenantDef<'a>> {
    let mut out = Vec::new();
    for e in named(cx, n, "tenant", 16) {
        let what = format!("tenant `{}`", e.name);
        let Some(f) = cx.fields(e.node, TENANT_KEYS, &what) else {
            continue;
        };
        let tier = match f.get("tier") {
            None => Tier::Shared,
            Some(t) => match cx.text(t) {
                Some("shared") | None => Tier::Shared,
                Some("dedicated") => Tier::Dedicated,
                Some(other) => {
                    cx.err_help(
                        t,
                        format!("`{other}` is not a tenant tier"),
                        suggest::help(other, &["shared", "dedicated"], "write one of"),
                    );
                    Tier::Shared
                }
            },
        };
        let quota = f.get("quota").map(|q| quota(cx, q)).unwrap_or_default();
        let ov = f
            .get("overrides")
            .map(|o| overrides(cx, o, svcs, jobs))
            .unwrap_or_default();
        out.push(TenantDef {
            tenant: Tenant {
                name: e.name,
                tier,
                quota,
            },
            ov,
        });
    }
    out
}

fn quota(cx: &mut Cx, n: &Node) -> Quota {
    let Some(f) = cx.fields(n, QUOTA_KEYS, "`quota`") else {
        return Quota::default();
    };
    Quota {
        cpu: f.get("cpu").and_then(|c| cx.cpu_total(c)),
        memory: f.get("memory").and_then(|m| cx.memory(m)),
        pods: f
            .get("pods")
            .and_then(|p| cx.uint(p, 1, u64::from(u32::MAX)))
            .map(|p| p as u32),
    }
}

fn environments<'a>(
    cx: &mut Cx,
    n: Option<&'a Node>,
    svcs: &Index,
    jobs: &Index,
) -> Vec<EnvDef<'a>> {
    let mut out = Vec::new();
    let declared = n.and_then(Node::entries).is_some_and(|e| !e.is_empty());
    for e in named(cx, n, "environment", 16) {
        let what = format!("environment `{}`", e.name);
        let Some(f) = cx.fields(e.node, ENVIRONMENT_KEYS, &what) else {
            continue;
        };
        let ov = f
            .get("overrides")
            .map(|o| overrides(cx, o, svcs, jobs))
            .unwrap_or_default();
        let account = f.get("account").and_then(|a| {
            let t = cx.text(a)?;
            if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
                Some(t.to_string())
            } else {
                cx.err_help(
                    a,
                    format!("`{}` is not an AWS account id", t.escape_debug()),
                    "an account id is 12 digits, quoted so that YAML keeps leading zeros: `account: \"012345678901\"`",
                );
                None
            }
        });
        out.push(EnvDef {
            name: e.name,
            account,
            ov,
        });
    }
    if !declared {
        out.push(EnvDef {
            name: Name::new_unchecked("prod"),
            account: None,
            ov: Overrides::default(),
        });
    }
    out
}

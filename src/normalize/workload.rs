//! Decoders for one service, job or queue (after overrides are merged).

use super::decode::{Cx, Fields, Loc};
use crate::diag::Diagnostic;
use crate::model::{
    Cpu, DeadLetter, Duration, Expose, Health, Image, Job, Memory, Name, Queue, Scale, Schedule,
    SecretRef, Service,
};
use crate::parse::Node;
use std::collections::{BTreeMap, BTreeSet};

pub const SERVICE_KEYS: &[&str] = &[
    "image",
    "port",
    "cpu",
    "memory",
    "command",
    "env",
    "secrets",
    "health",
    "expose",
    "routes",
    "scale",
    "spot",
    "stateful",
    "storage",
    "publishes",
    "consumes",
    "calls",
    "writable_paths",
];
pub const JOB_KEYS: &[&str] = &[
    "schedule",
    "image",
    "command",
    "cpu",
    "memory",
    "env",
    "secrets",
    "timeout",
    "retries",
    "spot",
    "publishes",
    "consumes",
    "calls",
    "writable_paths",
];
const HEALTH_KEYS: &[&str] = &["path", "interval", "timeout", "retries", "grace"];
const SCALE_KEYS: &[&str] = &["min", "max", "cpu", "memory", "requests", "queue_depth"];
const QUEUE_KEYS: &[&str] = &["visibility_timeout", "retention", "fifo", "dead_letter"];
const DEAD_LETTER_KEYS: &[&str] = &["max_receives"];

pub const DEFAULT_CPU: u32 = 250;
/// Most replicas `scale.min` and `scale.max` may ask for: Kubernetes
/// (`replicas`, KEDA's replica counts) and ECS (`desiredCount`) hold them
/// as 32-bit signed integers.
pub const MAX_REPLICAS: u64 = i32::MAX as u64;
pub const DEFAULT_MEMORY: u32 = 512;

/// The declared names every reference is checked against.
pub struct Catalog {
    pub queues: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub jobs: BTreeSet<String>,
}

/// A decoded service and where its references were written (for the checks
/// that need every service of a tenant: calls need a port, routes overlap).
#[derive(Debug, Clone)]
pub struct SvcInfo {
    pub svc: Service,
    pub calls_at: Vec<(Name, Loc)>,
    pub routes_at: Vec<(String, Loc)>,
}

#[derive(Debug, Clone)]
pub struct JobInfo {
    pub job: Job,
    pub calls_at: Vec<(Name, Loc)>,
}

/// Fields services and jobs share.
struct Common {
    image: Option<Image>,
    cpu: Cpu,
    memory: Memory,
    command: Option<Vec<String>>,
    env: BTreeMap<String, String>,
    secrets: BTreeMap<String, SecretRef>,
    spot: u8,
    publishes: Vec<Name>,
    consumes: Vec<Name>,
    calls: Vec<Name>,
    calls_at: Vec<(Name, Loc)>,
    writable_paths: Vec<String>,
}

fn common(
    cx: &mut Cx,
    cat: &Catalog,
    f: &Fields,
    what: &str,
    name: &Name,
    is_service: bool,
) -> Common {
    let image = cx
        .required(f, "image", what)
        .and_then(|n| cx.parse_with(n, Image::parse));
    let cpu = f
        .get("cpu")
        .and_then(|n| cx.cpu(n))
        .unwrap_or(Cpu::from_millis(DEFAULT_CPU));
    let memory = f
        .get("memory")
        .and_then(|n| cx.memory(n))
        .unwrap_or(Memory::from_mib(DEFAULT_MEMORY));
    let command = f.get("command").and_then(|n| {
        let v = cx.strings(n, "`command`")?;
        if v.is_empty() {
            cx.err_help(
                n,
                "`command` is empty",
                "leave `command` out to run the image's own command",
            );
            return None;
        }
        Some(v)
    });
    let env = f.get("env").map(|n| cx.env(n)).unwrap_or_default();
    let secrets = f
        .get("secrets")
        .map(|n| secrets(cx, n, &env))
        .unwrap_or_default();
    let spot = f
        .get("spot")
        .and_then(|n| cx.uint(n, 0, 100))
        .map_or(0, |v| v as u8);
    let refs = |cx: &mut Cx, key: &str, known: &BTreeSet<String>, kind: &str, elsewhere| {
        f.get(key)
            .map(|n| cx.refs(n, key, known, kind, elsewhere))
            .unwrap_or_default()
    };
    let (publishes, _) = refs(cx, "publishes", &cat.queues, "queue", None);
    let (consumes, _) = refs(cx, "consumes", &cat.queues, "queue", None);
    let jobs = Some((&cat.jobs, "job"));
    let (calls, calls_at) = refs(cx, "calls", &cat.services, "service", jobs);
    contract_names(cx, f, &publishes, &consumes, &calls, &env, &secrets);
    if is_service {
        for (n, at) in &calls_at {
            if n == name {
                cx.push(
                    at.diag(format!("service `{name}` calls itself"))
                        .with_help("a service reaches itself without a `calls` entry; remove it"),
                );
            }
        }
    }
    let writable_paths = f
        .get("writable_paths")
        .map(|n| writable_paths(cx, n))
        .unwrap_or_default();
    Common {
        writable_paths,
        image,
        cpu,
        memory,
        command,
        env,
        secrets,
        spot,
        publishes,
        consumes,
        calls,
        calls_at,
    }
}

fn secrets(cx: &mut Cx, n: &Node, env: &BTreeMap<String, String>) -> BTreeMap<String, SecretRef> {
    let mut out = BTreeMap::new();
    let Some(entries) = cx.map(n, "`secrets`") else {
        return out;
    };
    for (k, v) in entries {
        cx.env_name(k, v);
        if env.contains_key(&k.text) {
            cx.push(
                Diagnostic::new(
                    v.path.clone(),
                    format!("`{}` is set in both `env` and `secrets`", k.text),
                )
                .at(k.line, k.col)
                .with_help("a variable comes from one place; remove it from one of them"),
            );
        }
        let Some(t) = cx.text(v) else { continue };
        match check_secret(t) {
            Ok(()) => {
                out.insert(k.text.clone(), SecretRef::parse(t));
            }
            Err(e) => cx.err(v, e),
        }
    }
    out
}

/// A Secrets Manager name (1..512 of `A-Za-z0-9/_+=.@-`) or a secret ARN.
fn check_secret(t: &str) -> Result<(), String> {
    if t.starts_with("arn:") {
        let parts: Vec<&str> = t.splitn(7, ':').collect();
        let ok = parts.len() == 7
            && parts.get(2) == Some(&"secretsmanager")
            && parts.get(5) == Some(&"secret")
            && parts.get(6).is_some_and(|n| !n.is_empty());
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "`{t}` is not a Secrets Manager ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`)"
            ))
        };
    }
    if t.is_empty() {
        return Err("a secret needs a Secrets Manager name or ARN".into());
    }
    if t.chars().count() > 512 {
        return Err("a Secrets Manager name is at most 512 characters".into());
    }
    if let Some(bad) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
    {
        return Err(format!(
            "`{}` is not a Secrets Manager name: it contains {bad:?} (allowed: letters, digits and `/_+=.@-`)",
            t.escape_debug()
        ));
    }
    Ok(())
}

pub fn decode_service(cx: &mut Cx, cat: &Catalog, name: &Name, node: &Node) -> Option<SvcInfo> {
    let before = cx.diags.len();
    let what = format!("service `{name}`");
    let f = cx.fields(node, SERVICE_KEYS, &what)?;
    let c = common(cx, cat, &f, &what, name, true);
    let port_node = f.get("port");
    let port = port_node
        .and_then(|n| cx.uint(n, 1, 65535))
        .map(|p| p as u16);
    let has_port = port_node.is_some();

    let expose = match f.get("expose") {
        None => Expose::Internal,
        Some(n) => match cx.text(n) {
            Some("public") => Expose::Public,
            Some("internal") => Expose::Internal,
            Some(t) => {
                cx.err_help(
                    n,
                    format!("`{t}` is not a way to expose a service"),
                    super::suggest::help(t, &["public", "internal"], "write one of"),
                );
                Expose::Internal
            }
            None => Expose::Internal,
        },
    };
    if expose == Expose::Public && !has_port {
        if let Some(n) = f.get("expose") {
            cx.err_help(
                n,
                "`expose: public` needs a `port`",
                "add the port the service listens on",
            );
        }
    }

    let health = f.get("health").and_then(|n| {
        if !has_port {
            cx.err_help(
                n,
                "`health` needs a `port` to probe",
                "add a `port`, or remove `health`",
            );
        }
        health(cx, n)
    });

    let mut routes_at = Vec::new();
    let routes = match f.get("routes") {
        Some(n) => {
            if expose != Expose::Public {
                cx.err_help(
                    n,
                    "`routes` apply only to public services",
                    "add `expose: public`, or remove `routes`",
                );
            }
            let mut out = Vec::new();
            if let Some(items) = cx.list(n, "`routes`") {
                if items.is_empty() {
                    cx.err_help(
                        n,
                        "`routes` is empty",
                        "leave `routes` out for the default `[\"/\"]`",
                    );
                }
                for i in items {
                    let Some(t) = cx.text(i) else { continue };
                    match check_route(t) {
                        Ok(route) => {
                            routes_at.push((route.clone(), Loc::of(i)));
                            out.push(route);
                        }
                        Err(e) => cx.err(i, e),
                    }
                }
            }
            out.sort();
            out.dedup();
            if expose == Expose::Public {
                out
            } else {
                Vec::new()
            }
        }
        None if expose == Expose::Public => {
            let at = f
                .get("expose")
                .map(Loc::of)
                .unwrap_or_else(|| Loc::of(node));
            routes_at.push(("/".to_string(), at));
            vec!["/".to_string()]
        }
        None => Vec::new(),
    };

    let scale = match f.get("scale") {
        Some(n) => scale(cx, n, has_port, c.consumes.len()),
        None => Scale {
            min: 1,
            max: 1,
            cpu: None,
            memory: None,
            requests: None,
            queue_depth: None,
        },
    };
    let stateful = f
        .get("stateful")
        .and_then(|n| cx.boolean(n))
        .unwrap_or(false);
    let storage = stateful_rules(cx, &f, node, stateful, expose, &scale);

    if cx.diags.len() != before {
        return None;
    }
    let svc = Service {
        name: name.clone(),
        image: c.image?,
        port,
        cpu: c.cpu,
        memory: c.memory,
        command: c.command,
        env: c.env,
        secrets: c.secrets,
        health,
        expose,
        routes,
        scale,
        spot: c.spot,
        stateful,
        storage,
        publishes: c.publishes,
        consumes: c.consumes,
        calls: c.calls,
        writable_paths: c.writable_paths,
    };
    Some(SvcInfo {
        svc,
        calls_at: c.calls_at,
        routes_at,
    })
}

/// A route: starts with `/`, no whitespace, control characters, quotes,
/// backslashes, `?`, `#` or `*`.
/// The runtime contract sets variables of its own (`BLUEPRINT_APP`,
/// `ORDERS_QUEUE_URL`, ...): a user's `env` or `secrets` key may not be
/// one of them, and two of them may not fall on one name (queue `orders`
/// and a called service `orders-queue` would both be `ORDERS_QUEUE_URL`).
fn contract_names(
    cx: &mut Cx,
    f: &Fields,
    publishes: &[Name],
    consumes: &[Name],
    calls: &[Name],
    env: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, SecretRef>,
) {
    let reserved =
        crate::aws::contract::reserved(publishes, consumes, calls, secrets.keys().cloned());
    for pair in reserved.windows(2) {
        if pair[0].0 == pair[1].0 {
            let at = f.get("calls").or(f.get("publishes")).or(f.get("consumes"));
            if let Some(n) = at {
                cx.err_help(
                    n,
                    format!(
                        "{} and {} would both be given in the variable `{}`",
                        pair[0].1, pair[1].1, pair[0].0
                    ),
                    "rename the queue or the service",
                );
            }
        }
    }
    for (block, keys) in [
        ("env", env.keys().collect::<Vec<_>>()),
        ("secrets", secrets.keys().collect()),
    ] {
        let Some(node) = f.get(block) else { continue };
        for key in keys {
            if let Some((_, what)) = reserved.iter().find(|(n, _)| n == key) {
                let at = node
                    .entries()
                    .and_then(|e| e.iter().find(|(k, _)| &k.text == key))
                    .map(|(_, v)| v)
                    .unwrap_or(node);
                cx.err_help(
                    at,
                    format!("`{key}` is set by blueprint's runtime contract ({what})"),
                    "rename your variable; blueprint gives every workload this one (see docs/runtime-contract.md)",
                );
            }
        }
    }
}

const STORAGE_KEYS: &[&str] = &["path", "size"];
/// EBS gp3 volumes hold 1 GiB to 16 TiB.
const STORAGE_GIB: (u64, u64) = (1, 16 * 1024);

/// A stateful service keeps its state on its own `storage`; the rest of
/// its shape must suit a StatefulSet: replicas that each own a disk cannot
/// scale to zero or on queue depth, and are not put behind the public load
/// balancer (each replica sees its own data, and blueprint gives no sticky
/// sessions): a stateless public service that `calls` it fronts it.
fn stateful_rules(
    cx: &mut Cx,
    f: &Fields,
    node: &Node,
    stateful: bool,
    expose: Expose,
    scale: &Scale,
) -> Option<crate::model::Storage> {
    let storage = f.get("storage");
    if !stateful {
        if let Some(n) = storage {
            cx.err_help(
                n,
                "`storage` is only for a stateful service",
                "add `stateful: true`, or remove `storage`",
            );
        }
        return None;
    }
    let at = f.get("stateful").unwrap_or(node);
    if expose == Expose::Public {
        cx.err_help(
            f.get("expose").unwrap_or(at),
            "a stateful service cannot be `expose: public`: each replica keeps its own data, and the load balancer would spread a client's requests over them",
            "put a stateless public service in front that `calls` it",
        );
    }
    if scale.min == 0 {
        cx.err_help(
            f.get("scale").unwrap_or(at),
            "a stateful service keeps at least one replica (`scale.min` >= 1)",
            "its replicas own their volumes and do not scale to zero",
        );
    }
    if scale.queue_depth.is_some() {
        cx.err_help(
            f.get("scale").unwrap_or(at),
            "a stateful service does not scale on `queue_depth`",
            "scale it on `cpu` or `memory`, or keep it at a fixed size",
        );
    }
    let Some(n) = storage else {
        cx.err_help(
            at,
            "a stateful service needs `storage`: where its state lives and how big it is",
            "add `storage: { path: /var/lib/data, size: 20Gi }`",
        );
        return None;
    };
    let s = cx.fields(n, STORAGE_KEYS, "`storage`")?;
    let path = cx.required(&s, "path", "`storage`").and_then(|p| {
        let t = cx.text(p)?;
        let bad = !t.starts_with('/')
            || t.trim_end_matches('/').is_empty()
            || t.contains("//")
            || t.split('/').any(|seg| seg == "." || seg == "..")
            || t.chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'`\\:$*?{}".contains(c));
        if bad {
            cx.err_help(
                p,
                format!("`{}` is not a storage path", t.escape_debug()),
                "an absolute, normalised directory such as `/var/lib/data`",
            );
            return None;
        }
        Some(t.trim_end_matches('/').to_string())
    });
    let size = cx.required(&s, "size", "`storage`").and_then(|z| {
        let t = cx.text(z)?;
        let gib = t
            .strip_suffix("Gi")
            .filter(|d| !d.is_empty() && d.len() <= 6 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
            .filter(|g| (STORAGE_GIB.0..=STORAGE_GIB.1).contains(g));
        if gib.is_none() {
            cx.err_help(
                z,
                format!("`{}` is not a storage size", t.escape_debug()),
                format!(
                    "a whole number of Gi from {}Gi to {}Gi, such as `20Gi`",
                    STORAGE_GIB.0, STORAGE_GIB.1
                ),
            );
        }
        gib.map(|g| g as u32)
    });
    Some(crate::model::Storage {
        path: path?,
        size_gib: size?,
    })
}

/// Most scratch mounts one workload takes.
const WRITABLE_PATHS_MAX: usize = 16;

/// `writable_paths`: absolute, normalised directories that get scratch
/// space (`/var/cache/nginx`), sorted and deduplicated.
fn writable_paths(cx: &mut Cx, n: &Node) -> Vec<String> {
    let Some(items) = cx.list(n, "`writable_paths`") else {
        return Vec::new();
    };
    if items.len() > WRITABLE_PATHS_MAX {
        cx.err(
            n,
            format!(
                "`writable_paths` lists {} paths; at most {WRITABLE_PATHS_MAX} are allowed",
                items.len()
            ),
        );
    }
    let mut out = Vec::new();
    for i in items {
        let Some(t) = cx.text(i) else { continue };
        let bad_char = t
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "\"'`\\:$*?{}".contains(*c));
        let problem = if !t.starts_with('/') {
            Some(format!(
                "writable path `{t}` must be absolute (start with `/`)"
            ))
        } else if let Some(c) = bad_char {
            Some(format!(
                "writable path `{}` contains {c:?}",
                t.escape_debug()
            ))
        } else if t.split('/').any(|seg| seg == "." || seg == "..") || t.contains("//") {
            Some(format!(
                "writable path `{t}` must be normalised: no `.`, `..` or `//`"
            ))
        } else if t.trim_end_matches('/').is_empty() {
            Some("`/` cannot be a writable path: the root filesystem stays read-only".to_string())
        } else if t.len() > 200 {
            Some(format!(
                "writable path `{}...` is longer than 200 characters",
                t.chars().take(40).collect::<String>()
            ))
        } else {
            None
        };
        match problem {
            Some(m) => cx.err_help(
                i,
                m,
                "write an absolute directory such as `/var/cache/nginx`",
            ),
            None => out.push(t.trim_end_matches('/').to_string()),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The longest route: an ALB path pattern (`<route>/*`) holds at most 128
/// characters.
const ROUTE_MAX: usize = 120;

/// A route's canonical form: `/api/` and `/api` are the same prefix on
/// every target, so the trailing `/` is dropped (`/` stays `/`).
fn check_route(t: &str) -> Result<String, String> {
    if !t.starts_with('/') {
        return Err(format!("route `{t}` must start with `/`"));
    }
    if let Some(bad) = t
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "\"'`\\?#*{}$".contains(*c))
    {
        return Err(format!(
            "route `{}` contains {bad:?}; a route is a plain path prefix like `/api`",
            t.escape_debug()
        ));
    }
    if t.contains("//") {
        return Err(format!(
            "route `{t}` has an empty segment (`//`); write each `/` once"
        ));
    }
    if t.len() > ROUTE_MAX {
        return Err(format!(
            "route `{}...` is {} characters long; at most {ROUTE_MAX} are allowed",
            t.chars().take(40).collect::<String>(),
            t.len()
        ));
    }
    let trimmed = t.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/" } else { trimmed }.to_string())
}

fn health(cx: &mut Cx, n: &Node) -> Option<Health> {
    let before = cx.diags.len();
    let f = cx.fields(n, HEALTH_KEYS, "`health`")?;
    let path = match f.get("path") {
        None => "/".to_string(),
        Some(p) => {
            let t = cx.text(p)?.to_string();
            if !t.starts_with('/') {
                cx.err(
                    p,
                    format!("health path `{}` must start with `/`", t.escape_debug()),
                );
            } else if let Some(bad) = t
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "\"'`\\".contains(*c))
            {
                cx.err(
                    p,
                    format!("health path `{}` contains {bad:?}", t.escape_debug()),
                );
            }
            t
        }
    };
    let interval = f
        .get("interval")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(30));
    let timeout = f
        .get("timeout")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(5));
    let retries = f
        .get("retries")
        .and_then(|n| cx.uint(n, 1, 10))
        .map_or(3, |v| v as u32);
    let grace = f
        .get("grace")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(0));
    if timeout.secs() == 0 {
        if let Some(t) = f.get("timeout") {
            cx.err(t, "`health.timeout` must be at least 1s");
        }
    }
    if timeout >= interval {
        let at = f.get("timeout").or(f.get("interval")).unwrap_or(n);
        cx.err_help(
            at,
            format!(
                "`health.timeout` ({timeout}) must be shorter than `health.interval` ({interval})"
            ),
            "defaults: interval 30s, timeout 5s",
        );
    }
    (cx.diags.len() == before).then_some(Health {
        path,
        interval,
        timeout,
        retries,
        grace,
    })
}

fn scale(cx: &mut Cx, n: &Node, has_port: bool, consumes: usize) -> Scale {
    let mut s = Scale {
        min: 1,
        max: 1,
        cpu: None,
        memory: None,
        requests: None,
        queue_depth: None,
    };
    let Some(f) = cx.fields(n, SCALE_KEYS, "`scale`") else {
        return s;
    };
    let u32max = u64::from(u32::MAX);
    let min = f
        .get("min")
        .and_then(|n| cx.uint(n, 0, MAX_REPLICAS))
        .map(|v| v as u32);
    let max = f
        .get("max")
        .and_then(|n| cx.uint(n, 0, MAX_REPLICAS))
        .map(|v| v as u32);
    s.min = min.unwrap_or(1);
    s.max = max.unwrap_or(s.min.max(1));
    if let (Some(mx), Some(at)) = (max, f.get("max")) {
        if mx == 0 {
            cx.err(at, "`scale.max` must be at least 1");
        } else if s.min > mx {
            cx.err(
                at,
                format!("`scale.max` ({mx}) is less than `scale.min` ({})", s.min),
            );
        }
    }
    let pct = |cx: &mut Cx, key: &str| f.get(key).and_then(|n| cx.uint(n, 1, 100)).map(|v| v as u8);
    s.cpu = pct(cx, "cpu");
    s.memory = pct(cx, "memory");
    s.requests = f
        .get("requests")
        .and_then(|n| cx.uint(n, 1, u32max))
        .map(|v| v as u32);
    if let (Some(_), Some(at), false) = (s.requests, f.get("requests"), has_port) {
        cx.err_help(
            at,
            "`scale.requests` needs a `port` (it counts HTTP requests)",
            "add a `port`, or scale on `cpu`",
        );
    }
    s.queue_depth = f
        .get("queue_depth")
        .and_then(|n| cx.uint(n, 1, u32max))
        .map(|v| v as u32);
    if let (Some(_), Some(at)) = (s.queue_depth, f.get("queue_depth")) {
        if consumes != 1 {
            cx.err_help(
                at,
                format!("`scale.queue_depth` needs the service to consume exactly one queue; it consumes {consumes}"),
                "list the one queue under `consumes`",
            );
        }
    }
    s
}

pub fn decode_job(cx: &mut Cx, cat: &Catalog, name: &Name, node: &Node) -> Option<JobInfo> {
    let before = cx.diags.len();
    let what = format!("job `{name}`");
    let f = cx.fields(node, JOB_KEYS, &what)?;
    let schedule = cx
        .required(&f, "schedule", &what)
        .and_then(|n| cx.parse_with(n, Schedule::parse));
    let c = common(cx, cat, &f, &what, name, false);
    let timeout = f
        .get("timeout")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(900));
    if timeout.secs() == 0 {
        if let Some(n) = f.get("timeout") {
            cx.err(n, "a job `timeout` must be at least 1s");
        }
    }
    let retries = f
        .get("retries")
        .and_then(|n| cx.uint(n, 0, 10))
        .map_or(0, |v| v as u32);
    if cx.diags.len() != before {
        return None;
    }
    let job = Job {
        name: name.clone(),
        schedule: schedule?,
        image: c.image?,
        command: c.command,
        cpu: c.cpu,
        memory: c.memory,
        env: c.env,
        secrets: c.secrets,
        timeout,
        retries,
        spot: c.spot,
        publishes: c.publishes,
        consumes: c.consumes,
        calls: c.calls,
        writable_paths: c.writable_paths,
    };
    Some(JobInfo {
        job,
        calls_at: c.calls_at,
    })
}

pub fn decode_queue(cx: &mut Cx, name: &Name, node: &Node) -> Option<Queue> {
    let before = cx.diags.len();
    let f = cx.fields(node, QUEUE_KEYS, &format!("queue `{name}`"))?;
    let visibility_timeout = f
        .get("visibility_timeout")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(30));
    if visibility_timeout.secs() > 12 * 3600 {
        if let Some(n) = f.get("visibility_timeout") {
            cx.err(
                n,
                format!("`visibility_timeout` is {visibility_timeout}; SQS allows at most 12h"),
            );
        }
    }
    let retention = f
        .get("retention")
        .and_then(|n| cx.duration(n))
        .unwrap_or(Duration::from_secs(4 * 86400));
    if !(60..=14 * 86400).contains(&retention.secs()) {
        if let Some(n) = f.get("retention") {
            cx.err(
                n,
                format!("`retention` is {retention}; SQS keeps messages from 60s to 14d"),
            );
        }
    }
    let fifo = f.get("fifo").and_then(|n| cx.boolean(n)).unwrap_or(false);
    let dead_letter = match f.get("dead_letter") {
        None => Some(DeadLetter { max_receives: 5 }),
        Some(n) => match &n.value {
            crate::parse::Value::Map(_) | crate::parse::Value::Null => {
                let f = cx.fields(n, DEAD_LETTER_KEYS, "`dead_letter`");
                let max_receives = f
                    .and_then(|f| f.get("max_receives"))
                    .and_then(|m| cx.uint(m, 1, 1000))
                    .map_or(5, |v| v as u32);
                Some(DeadLetter { max_receives })
            }
            crate::parse::Value::Scalar { .. } => match cx.boolean(n) {
                Some(true) => Some(DeadLetter { max_receives: 5 }),
                _ => None,
            },
            crate::parse::Value::Seq(_) => {
                cx.err_help(
                    n,
                    "`dead_letter` must be `true`, `false` or a map",
                    "e.g. `dead_letter: { max_receives: 5 }`",
                );
                None
            }
        },
    };
    (cx.diags.len() == before).then(|| Queue {
        name: name.clone(),
        visibility_timeout,
        retention,
        fifo,
        dead_letter,
    })
}

//! One platform copy of one environment (the shared tenants, the single
//! tenant, or one dedicated tenant), laid out as units: the constructs
//! that are placed in a stack as a whole. Unit 0 is what the copy shares
//! (the KMS key and the common parameters); then per tenant its queues
//! (with their dead-letter queues and policies), its HTTP API (with stage
//! and access logs), and its workloads (a function with its role, log
//! group, security group, alarms, triggers and routes), callees before
//! their callers, as CDK lists constructs (a caller names its callee's
//! function without referring to it, so the order is not needed for
//! references).
//!
//! A `Copy` holds indices into the model and the logical IDs other units
//! refer to, computed once; it owns no model data, so a template can be
//! written later, on any thread, from the model and the copy.

use super::ids::{construct_id, make_unique_id};
use super::stack_name;
use crate::aws::names::lambda::{image_source, ImageSource};
use crate::model::{Environment, Expose, Model, Name, Platform, PlatformKind, Service, Workloads};
use crate::render::cdk_json::Json;
use std::collections::{BTreeMap, BTreeSet};

/// The unit every copy starts with: the key.
pub const SHARED: usize = 0;

/// The parameters units use, declared in every stack that holds a unit
/// using them (never exported: CloudFormation refuses to change an
/// export that another stack imports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Param {
    /// Days log groups keep their logs.
    Retention,
    /// The VPC and private subnets functions run in (no `network` block).
    Vpc,
    Subnets,
    /// The SNS topic alarms notify, if any (condition [`ALARM_CONDITION`]).
    AlarmTopic,
}

impl Param {
    pub const ALL: [Param; 4] = [
        Param::Retention,
        Param::Vpc,
        Param::Subnets,
        Param::AlarmTopic,
    ];

    /// The parameter's logical ID.
    pub const fn id(self) -> &'static str {
        match self {
            Param::Retention => "LogRetentionDays",
            Param::Vpc => "VpcId",
            Param::Subnets => "PrivateSubnetIds",
            Param::AlarmTopic => "AlarmTopicArn",
        }
    }

    pub const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The condition under which alarms notify [`Param::AlarmTopic`].
pub const ALARM_CONDITION: &str = "AlarmTopicGiven";

/// How deep a resource's property values sit in a template: the template
/// (0), `Resources` (1), the resource (2), its keys (3), `Properties` (4).
pub const PROPERTY_DEPTH: usize = 4;

pub struct Copy {
    pub env: usize,
    pub platform: usize,
    /// The stack name of the copy as one stack (`Commerce-Prod`).
    pub name: String,
    pub scopes: Vec<Scope>,
    pub units: Vec<Unit>,
    /// Queue name -> index into `model.queues`.
    queues: BTreeMap<String, usize>,
}

pub struct Unit {
    /// Index into `scopes`; `None` for the shared unit.
    pub scope: Option<usize>,
    pub kind: Kind,
}

pub enum Kind {
    Shared {
        key: String,
    },
    Queue {
        /// Index into `model.queues`.
        queue: usize,
        id: String,
        dlq: Option<String>,
    },
    /// The tenant's HTTP API, when it has public services with a port,
    /// with its stage's default route throttling.
    HttpApi {
        id: String,
        throttle: Throttle,
    },
    /// The security group the tenant's functions share (HTTPS out):
    /// Lambda makes one network interface per subnet and security group,
    /// not per function.
    Network {
        id: String,
    },
    Workload {
        workload: Workload,
        /// The function's logical ID.
        function: String,
        /// Its reserved concurrency.
        concurrency: Concurrency,
        /// Where its image comes from (`aws::names::lambda`).
        image: ImageSource,
    },
}

/// A function's reserved concurrency: `scale.max` (a job: one run at a
/// time), or less when the tenant's quota holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    pub reserved: u32,
    /// What it would be without the quota.
    pub wanted: u32,
}

/// An HTTP API stage's default route throttling: steady requests a second
/// and the burst, from what its tenant's public functions can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub rate: u64,
    pub burst: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Index into the tenant's services.
    Service(usize),
    /// Index into the tenant's jobs.
    Job(usize),
}

/// Where one tenant's resources live inside the copy.
pub struct Scope {
    /// Index into `platform.tenants`.
    pub tenant: usize,
    /// Construct path prefix: the tenant's construct ID in a shared copy.
    pub path: Option<String>,
    /// Physical name prefix: `<app>-<env>` or `<app>-<env>-<tenant>`.
    pub prefix: String,
    /// Tenant name inside physical names (shared copies only).
    pub key_tenant: Option<String>,
    /// `prod` or `prod/globex`, for notes.
    pub place: String,
    /// ` for tenant acme`, or nothing in a single-tenant app.
    pub for_tenant: String,
    /// `Tags` as a list and as a map, laid out at `PROPERTY_DEPTH`.
    pub tag_list: Vec<u8>,
    pub tag_map: Vec<u8>,
    /// The quota its functions' reserved concurrency is held to, in words
    /// (`cpu 6, memory 12Gi`), when it had to be.
    pub quota: Option<String>,
    /// Unit of the tenant's first queue (queues follow in model order).
    first_queue: usize,
    api: Option<usize>,
    network: Option<usize>,
}

impl Scope {
    /// The construct path of `rest` in this scope.
    pub fn path<'s>(&'s self, rest: &[&'s str]) -> Vec<&'s str> {
        self.path
            .iter()
            .map(String::as_str)
            .chain(rest.iter().copied())
            .collect()
    }

    pub fn id(&self, rest: &[&str]) -> String {
        make_unique_id(&self.path(rest))
    }

    /// `<prefix>-<name>`, with the tenant in between in shared copies.
    pub fn full(&self, name: &str) -> String {
        match &self.key_tenant {
            Some(t) => format!("{}-{t}-{name}", self.prefix),
            None => format!("{}-{name}", self.prefix),
        }
    }

    /// `<prefix>`, with the tenant appended in shared copies.
    pub fn base(&self) -> String {
        match &self.key_tenant {
            Some(t) => format!("{}-{t}", self.prefix),
            None => self.prefix.clone(),
        }
    }

    pub fn queue_unit(&self, queue: usize) -> usize {
        self.first_queue + queue
    }

    pub fn api_unit(&self) -> Option<usize> {
        self.api
    }

    pub fn network_unit(&self) -> usize {
        self.network
            .expect("a tenant with functions has their security group")
    }
}

/// A copy together with the model it indexes.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub model: &'a Model,
    pub env: &'a Environment,
    pub platform: &'a Platform,
    pub copy: &'a Copy,
}

impl<'a> View<'a> {
    pub fn new(model: &'a Model, copy: &'a Copy) -> View<'a> {
        let env = &model.environments[copy.env];
        View {
            model,
            env,
            platform: &env.platforms[copy.platform],
            copy,
        }
    }

    pub fn workloads(&self, scope: &Scope) -> &'a Workloads {
        &self.platform.tenants[scope.tenant]
    }

    /// The unit's scope; the shared unit has none.
    pub fn scope(&self, unit: usize) -> Option<&'a Scope> {
        self.copy.units[unit].scope.map(|s| &self.copy.scopes[s])
    }
}

pub fn queue_cid(q: &str) -> String {
    format!("{}Queue", construct_id(q))
}

impl Copy {
    pub fn new(model: &Model, env_index: usize, platform_index: usize) -> Copy {
        let env = &model.environments[env_index];
        let platform = &env.platforms[platform_index];
        let shared = platform.kind == PlatformKind::Shared;
        let base_prefix = format!("{}-{}", model.app.name, env.name);
        let mut units = vec![Unit {
            scope: None,
            kind: Kind::Shared {
                key: make_unique_id(&["LogsKey", "Resource"]),
            },
        }];
        let mut scopes = Vec::new();
        for (i, w) in platform.tenants.iter().enumerate() {
            let tenant = w.tenant.as_ref().map(Name::as_str);
            let prefix = match (&platform.kind, tenant) {
                (PlatformKind::Dedicated(_), Some(t)) => format!("{base_prefix}-{t}"),
                _ => base_prefix.clone(),
            };
            let tags = tags(model, env, tenant);
            let mut scope = Scope {
                tenant: i,
                path: match (shared, tenant) {
                    (true, Some(t)) => Some(construct_id(t)),
                    _ => None,
                },
                prefix,
                key_tenant: if shared {
                    tenant.map(str::to_string)
                } else {
                    None
                },
                place: match tenant {
                    Some(t) => format!("{}/{t}", env.name),
                    None => env.name.to_string(),
                },
                for_tenant: match tenant {
                    Some(t) => format!(" for tenant {t}"),
                    None => String::new(),
                },
                tag_list: tag_list(&tags),
                tag_map: tag_map(&tags),
                quota: None,
                first_queue: units.len(),
                api: None,
                network: None,
            };
            let s = Some(scopes.len());
            for (qi, q) in model.queues.iter().enumerate() {
                let cid = queue_cid(q.name.as_str());
                units.push(Unit {
                    scope: s,
                    kind: Kind::Queue {
                        queue: qi,
                        id: scope.id(&[&cid, "Resource"]),
                        dlq: q
                            .dead_letter
                            .as_ref()
                            .map(|_| scope.id(&[&cid, "DeadLetterQueue", "Resource"])),
                    },
                });
            }
            let quota = w
                .tenant
                .as_ref()
                .and_then(|t| model.tenants.iter().find(|x| &x.name == t))
                .map(|t| &t.quota);
            let reserved = super::reserved_concurrency(w, quota);
            if reserved.scaled {
                scope.quota = quota.map(super::quota_words);
            }
            if w.services.iter().any(is_public) {
                scope.api = Some(units.len());
                units.push(Unit {
                    scope: s,
                    kind: Kind::HttpApi {
                        id: scope.id(&["HttpApi", "Resource"]),
                        throttle: super::stage_throttle(w, &reserved.services),
                    },
                });
            }
            if !w.services.is_empty() || !w.jobs.is_empty() {
                scope.network = Some(units.len());
                units.push(Unit {
                    scope: s,
                    kind: Kind::Network {
                        id: scope.id(&["FunctionsSecurityGroup", "Resource"]),
                    },
                });
            }
            for workload in callees_first(w) {
                let (name, concurrency, image) = match workload {
                    Workload::Service(i) => {
                        let s = &w.services[i];
                        (&s.name, reserved.services[i], &s.image)
                    }
                    Workload::Job(i) => {
                        let j = &w.jobs[i];
                        (&j.name, reserved.jobs[i], &j.image)
                    }
                };
                let cid = construct_id(name.as_str());
                units.push(Unit {
                    scope: s,
                    kind: Kind::Workload {
                        workload,
                        function: scope.id(&[&cid, "Resource"]),
                        concurrency,
                        image: image_source(image, &model.app.region),
                    },
                });
            }
            scopes.push(scope);
        }
        Copy {
            env: env_index,
            platform: platform_index,
            name: stack_name(model, env, platform),
            scopes,
            units,
            queues: model
                .queues
                .iter()
                .enumerate()
                .map(|(i, q)| (q.name.to_string(), i))
                .collect(),
        }
    }

    pub fn queue_index(&self, name: &Name) -> Option<usize> {
        self.queues.get(name.as_str()).copied()
    }

    /// The images of the copy's functions that come through an ECR
    /// pull-through cache: rule prefix and path.
    pub fn cached_images(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.units.iter().filter_map(|u| match &u.kind {
            Kind::Workload {
                image: ImageSource::Cache(rule, path),
                ..
            } => Some((rule.prefix, path.as_str())),
            _ => None,
        })
    }

    /// The concurrent executions the copy's functions reserve.
    pub fn reserved(&self) -> u64 {
        self.units
            .iter()
            .map(|u| match &u.kind {
                Kind::Workload { concurrency, .. } => u64::from(concurrency.reserved),
                _ => 0,
            })
            .sum()
    }

    pub fn key(&self) -> &str {
        match &self.units[SHARED].kind {
            Kind::Shared { key } => key,
            _ => unreachable!("unit 0 is the shared unit"),
        }
    }
}

/// Whether a service is routed through its tenant's HTTP API.
pub fn is_public(s: &Service) -> bool {
    s.expose == Expose::Public && s.port.is_some()
}

/// The blueprint's tags plus where a resource comes from; the blueprint's
/// own value wins when it sets one of these keys itself.
pub fn tags(model: &Model, env: &Environment, tenant: Option<&str>) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::from([
        ("app".to_string(), model.app.name.to_string()),
        ("environment".to_string(), env.name.to_string()),
        ("managed-by".to_string(), "blueprint".to_string()),
    ]);
    if let Some(t) = tenant {
        tags.insert("tenant".into(), t.to_string());
    }
    tags.extend(model.app.tags.clone());
    tags
}

/// Tags as most resource types take them: `[{Key, Value}]`, sorted by
/// key, laid out as a property value.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Vec<u8> {
    let mut j = Json::at_depth(PROPERTY_DEPTH);
    j.array(|a| {
        for (k, v) in tags {
            a.item().object(|o| {
                o.field("Key").str(k);
                o.field("Value").str(v);
            });
        }
    });
    j.into_bytes()
}

/// Tags as API Gateway v2 takes them: an object, laid out as a property
/// value.
pub fn tag_map(tags: &BTreeMap<String, String>) -> Vec<u8> {
    let mut j = Json::at_depth(PROPERTY_DEPTH);
    j.object(|o| {
        for (k, v) in tags {
            o.key(k).str(v);
        }
    });
    j.into_bytes()
}

/// The tenant's services and jobs, each after the services it calls (in
/// the blueprint's order otherwise), so that a caller never sits in an
/// earlier stack than its callee.
fn callees_first(w: &Workloads) -> Vec<Workload> {
    let by_name: BTreeMap<&Name, (Workload, &[Name])> = w
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.name, (Workload::Service(i), s.calls.as_slice())))
        .chain(
            w.jobs
                .iter()
                .enumerate()
                .map(|(i, j)| (&j.name, (Workload::Job(i), j.calls.as_slice()))),
        )
        .collect();
    fn visit<'n>(
        n: &'n Name,
        by_name: &BTreeMap<&'n Name, (Workload, &'n [Name])>,
        seen: &mut BTreeSet<&'n Name>,
        out: &mut Vec<Workload>,
    ) {
        if !seen.insert(n) {
            return;
        }
        let Some((workload, calls)) = by_name.get(n) else {
            return;
        };
        for c in *calls {
            visit(c, by_name, seen, out);
        }
        out.push(*workload);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in w
        .services
        .iter()
        .map(|s| &s.name)
        .chain(w.jobs.iter().map(|j| &j.name))
    {
        visit(n, &by_name, &mut seen, &mut out);
    }
    out
}

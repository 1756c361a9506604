//! A unit's template entries, written straight as bytes: its parameters,
//! resources (with CDK's habits: logical IDs from construct paths,
//! `aws:cdk:path` metadata, tags sorted by key) and outputs. User text
//! only ever lands in JSON strings, which CloudFormation never
//! interpolates (no `Fn::Sub` anywhere).
//!
//! Parameters are never referred to across stacks: a unit refers to them
//! in place and notes which it uses (`Counts::params`); every stack
//! declares the ones its units use (`parameters`).
//!
//! References to another unit's items go through a `Resolve`: while
//! measuring, they are written in place and noted; when a stack is
//! written, they stay in place or become imports, depending on where the
//! other unit was put.
//!
//! Here: the writer's pieces every unit uses (a resource with its
//! metadata, a parameter, an output, fixed JSON). Per kind of unit:
//! `shared.rs` (the key and shared parameters), `queue.rs`, `api.rs`
//! (a tenant's HTTP API, and a public service's routes), `function.rs`
//! (services and jobs).

use super::copy::{queue_cid, Concurrency, Kind, Param, Scope, View, Workload, ALARM_CONDITION};
use super::copy::{PROPERTY_DEPTH, SHARED};
use super::ids::{construct_id, make_unique_id};
use super::notes::Notes;
use super::refs::{arn, join, managed_policy, Part, Ref};
use super::{consumer_visibility, esm_concurrency, ASYNC_RETRY_MAX, BATCH_SIZE};
use super::{SERVICE_TIMEOUT_SECS, VISIBILITY_FACTOR};
use crate::aws::names::lambda as names;
use crate::model::{Image, Name, Queue, SecretRef, Service, ServiceKind};
use crate::render::cdk_json::{Arr, Json, Obj, Out};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use shared::parameters;

mod api;
mod function;
mod queue;
mod shared;

/// A checkov suppression: the check and why it does not apply.
type Skip = (&'static str, &'static str);

/// A resource's `UpdateReplacePolicy` and `DeletionPolicy`.
type Policies = (&'static str, &'static str);

/// Kept when the stack is deleted or the resource replaced, removed when
/// the stack's creation fails (so that a retry starts clean).
const RETAIN: Option<Policies> = Some(("Retain", "RetainExceptOnCreate"));
const DELETE: Option<Policies> = Some(("Delete", "Delete"));

/// What an alarm watches: one of `names`' alarms, and the value of its
/// dimension.
struct Metric<'a> {
    alarm: &'static crate::aws::alarms::Rule,
    value: Val<'a>,
}

/// What a workload unit decided about its function.
struct Function<'a> {
    /// Its logical ID.
    id: &'a str,
    concurrency: Concurrency,
    image: &'a names::ImageSource,
}

/// A property value: a generated name (which needs no escape) or a
/// reference.
enum Val<'a> {
    Name(&'a str),
    Ref(Ref<'a>),
}

impl Val<'_> {
    fn write<O: Out>(&self, j: &mut Json<O>) {
        match self {
            Val::Name(t) => j.plain(t),
            Val::Ref(r) => r.write(j),
        }
    }
}

const SKIP_SYNC_DLQ: Skip = (
    "CKV_AWS_116",
    "invoked synchronously (API Gateway, callers, SQS event source mapping with the queue's own dead-letter queue); a function dead-letter queue only receives failed asynchronous invocations",
);
const SKIP_SQS_KMS: Skip = (
    "CKV_AWS_27",
    "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); the check only recognises a KMS key, which every producer, consumer and EventBridge would then need grants on",
);
const SKIP_ROUTE_AUTH: Skip = (
    "CKV_AWS_309",
    "a public service of the blueprint: authentication is the service's own (the blueprint declares no authorizer)",
);

/// JSON that never changes, laid out once per process at
/// `PROPERTY_DEPTH` (a property value, or a metadata value) and copied
/// from then on: a role's trust policy and managed policies are the same
/// in every one of tens of thousands of functions.
struct Fixed {
    bytes: OnceLock<Vec<u8>>,
    write: fn(&mut Json),
}

impl Fixed {
    const fn new(write: fn(&mut Json)) -> Fixed {
        Fixed {
            bytes: OnceLock::new(),
            write,
        }
    }

    /// Writes it as the value `j` is at.
    fn put<O: Out>(&self, j: &mut Json<O>) {
        debug_assert_eq!(
            j.depth(),
            PROPERTY_DEPTH,
            "fixed JSON is laid out for one depth"
        );
        let bytes = self.bytes.get_or_init(|| {
            let mut j = Json::at_depth(PROPERTY_DEPTH);
            (self.write)(&mut j);
            j.into_bytes()
        });
        j.raw(bytes);
    }
}

/// checkov suppressions of a kind of resource, with their metadata.
struct Skips {
    list: &'static [Skip],
    checkov: Fixed,
}

macro_rules! skips {
    ($name:ident = [$($skip:expr),*]) => {
        static $name: Skips = Skips {
            list: &[$($skip),*],
            checkov: Fixed::new(|j| {
                j.object(|c| {
                    c.field("skip").array(|a| {
                        for (id, comment) in [$($skip),*] {
                            a.item().object(|s| {
                                s.field("id").str(id);
                                s.field("comment").str(comment);
                            });
                        }
                    })
                })
            }),
        };
    };
}

skips!(NO_SKIPS = []);
skips!(QUEUE_SKIPS = [SKIP_SQS_KMS]);
skips!(SERVICE_SKIPS = [SKIP_SYNC_DLQ]);
skips!(ROUTE_SKIPS = [SKIP_ROUTE_AUTH]);

/// How a unit refers to another unit's items.
pub trait Resolve {
    /// The reference from the unit being written to `id` (`attr`) of
    /// another unit, `to`.
    fn cross<'a>(&mut self, to: usize, id: &'a str, attr: Option<&'static str>) -> Ref<'a>;
}

/// The entries units write into a template's sections (each entry
/// `,\n  "<id>": ...`, two levels deep), and what they declare.
pub struct Sections<O: Out = Vec<u8>> {
    pub parameters: Json<O>,
    pub conditions: Json<O>,
    pub resources: Json<O>,
    pub outputs: Json<O>,
    pub counts: Counts,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    /// Resource types, in the order first written, with how many.
    pub types: Vec<(&'static str, usize)>,
    /// The parameters referred to ([`Param::bit`]s).
    pub params: u8,
}

impl<O: Out + Default> Sections<O> {
    pub fn new() -> Sections<O> {
        Sections {
            parameters: Json::into(O::default(), 2),
            conditions: Json::into(O::default(), 2),
            resources: Json::into(O::default(), 2),
            outputs: Json::into(O::default(), 2),
            counts: Counts::default(),
        }
    }

    pub fn clear(&mut self) {
        self.parameters.clear();
        self.conditions.clear();
        self.resources.clear();
        self.outputs.clear();
        self.counts = Counts::default();
    }

    pub fn bytes(&self) -> usize {
        self.parameters.len() + self.conditions.len() + self.resources.len() + self.outputs.len()
    }
}

impl Sections {
    /// Room for `resources` bytes of resources, a tenth of that for each
    /// other section: a stack is written without growing its buffers.
    pub fn with_capacity(resources: usize) -> Sections {
        let mut s = Sections::new();
        s.parameters.reserve(resources / 10);
        s.resources.reserve(resources);
        s.outputs.reserve(resources / 10);
        s
    }
}

/// Writes the entries of `unit` into `out`, as part of stack `stack`.
/// `notes` takes what the user should know (given once per unit, while
/// measuring).
pub fn emit<O: Out>(
    v: View,
    unit: usize,
    stack: &str,
    out: &mut Sections<O>,
    resolve: &mut impl Resolve,
    notes: Option<&mut Notes>,
) {
    let mut e = Emitter {
        v,
        unit,
        stack,
        out,
        resolve,
        notes,
    };
    match &v.copy.units[unit].kind {
        Kind::Shared { key } => e.shared(key),
        Kind::Queue { queue, id, dlq } => {
            let scope = v.scope(unit).expect("queues belong to a tenant");
            e.queue(scope, &v.model.queues[*queue], id, dlq.as_deref());
        }
        Kind::HttpApi { id, throttle } => {
            let scope = v.scope(unit).expect("APIs belong to a tenant");
            e.http_api(scope, id, *throttle);
        }
        Kind::Network { id } => {
            let scope = v.scope(unit).expect("security groups belong to a tenant");
            e.network(scope, id);
        }
        Kind::Workload {
            workload,
            function,
            concurrency,
            image,
        } => {
            let scope = v.scope(unit).expect("workloads belong to a tenant");
            let w = v.workloads(scope);
            let f = Function {
                id: function,
                concurrency: *concurrency,
                image,
            };
            match workload {
                Workload::Service(i) => e.service(scope, &w.services[*i], &f),
                Workload::Job(i) => e.job(scope, &w.jobs[*i], &f),
            }
        }
    }
}

struct Emitter<'e, 'v, R, O: Out> {
    v: View<'v>,
    unit: usize,
    stack: &'e str,
    out: &'e mut Sections<O>,
    resolve: &'e mut R,
    notes: Option<&'e mut Notes>,
}

impl<'v, R: Resolve, O: Out> Emitter<'_, 'v, R, O> {
    fn note(&mut self, message: String, place: &str) {
        if let Some(n) = self.notes.as_deref_mut() {
            n.add(message, place);
        }
    }

    /// Adds `item` to the grouped note `message` (see `Notes::group`).
    fn note_item(&mut self, message: &'static str, item: &str, place: &str) {
        if let Some(n) = self.notes.as_deref_mut() {
            n.group(message, item, place);
        }
    }

    /// A reference to `id` (`attr`) of unit `to`.
    fn to<'a>(&mut self, to: usize, id: &'a str, attr: Option<&'static str>) -> Ref<'a> {
        if to == self.unit {
            Ref::local(id, attr)
        } else {
            self.resolve.cross(to, id, attr)
        }
    }

    fn key_arn(&mut self) -> Ref<'v> {
        let key = self.v.copy.key();
        self.to(SHARED, key, Some("Arn"))
    }

    /// A reference to parameter `p`, declared in the stack the unit is
    /// written in.
    fn param(&mut self, p: Param) -> Ref<'static> {
        self.out.counts.params |= p.bit();
        Ref::Id(p.id())
    }

    /// A resource at `path` (construct path without the stack, ending in
    /// `Resource`) with logical ID `id`.
    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        id: &str,
        path: &[&str],
        ty: &'static str,
        retain: Option<Policies>,
        skips: &Skips,
        properties: impl FnOnce(&mut Obj<O>),
    ) {
        let counts = &mut self.out.counts;
        counts.resources += 1;
        match counts.types.iter_mut().find(|(t, _)| *t == ty) {
            Some((_, n)) => *n += 1,
            None => counts.types.push((ty, 1)),
        }
        let stack = self.stack;
        self.out.resources.entry(id).object(|o| {
            o.field("Type").str(ty);
            o.field("Properties").object(properties);
            if let Some((replace, delete)) = retain {
                o.field("UpdateReplacePolicy").str(replace);
                o.field("DeletionPolicy").str(delete);
            }
            o.field("Metadata").object(|m| {
                // Stack names and construct IDs are letters, digits and `-`.
                m.field("aws:cdk:path").joined_plain(stack, path, "/");
                if !skips.list.is_empty() {
                    skips.checkov.put(m.field("checkov"));
                }
            });
        });
    }

    /// A resource whose logical ID comes from its path.
    fn add(
        &mut self,
        path: &[&str],
        ty: &'static str,
        retain: Option<Policies>,
        skips: &Skips,
        properties: impl FnOnce(&mut Obj<O>),
    ) -> String {
        let id = make_unique_id(path);
        self.resource(&id, path, ty, retain, skips, properties);
        id
    }

    /// A log group (a function's, or an API's access logs): the stack's
    /// retention, encrypted with the copy's key, kept when the stack is
    /// deleted but not when its creation fails. CloudFormation names it,
    /// so that a retry, or a construct that moves to another stack, never
    /// meets a kept log group of the same name.
    fn log_group(&mut self, scope: &Scope, path: &[&str]) -> String {
        let retention = self.param(Param::Retention);
        let key = self.key_arn();
        self.add(path, "AWS::Logs::LogGroup", RETAIN, &NO_SKIPS, |p| {
            retention.write(p.field("RetentionInDays"));
            key.write(p.field("KmsKeyId"));
            p.field("Tags").raw(&scope.tag_list);
        })
    }

    /// A CloudWatch alarm at `path` that fires by its rule
    /// (`aws::alarms`), and notifies the stack's alarm topic when one is
    /// given.
    fn alarm(&mut self, scope: &Scope, path: &[&str], description: &str, metric: &Metric) {
        let topic = self.param(Param::AlarmTopic);
        self.add(path, "AWS::CloudWatch::Alarm", None, &NO_SKIPS, |p| {
            p.field("AlarmDescription").str(description);
            p.field("AlarmActions").object(|o| {
                o.field("Fn::If").array(|a| {
                    a.item().str(ALARM_CONDITION);
                    a.item().array(|a| topic.write(a.item()));
                    Ref::Id("AWS::NoValue").write(a.item());
                })
            });
            p.field("Namespace").str(metric.alarm.namespace);
            p.field("MetricName").str(metric.alarm.metric);
            p.field("Dimensions").array(|a| {
                a.item().object(|o| {
                    o.field("Name").str(metric.alarm.dimension);
                    metric.value.write(o.field("Value"));
                })
            });
            p.field("Statistic").str(metric.alarm.statistic);
            p.field("Period").u64(metric.alarm.period_secs);
            p.field("EvaluationPeriods").u64(metric.alarm.periods);
            p.field("Threshold").u64(metric.alarm.threshold);
            p.field("ComparisonOperator")
                .str("GreaterThanOrEqualToThreshold");
            p.field("TreatMissingData").str("notBreaching");
            p.field("Tags").raw(&scope.tag_list);
        });
    }

    fn output(&mut self, path: &[&str], description: &str, value: &Ref) {
        self.out.counts.outputs += 1;
        let id = make_unique_id(path);
        self.out.outputs.entry(&id).object(|o| {
            o.field("Description").str(description);
            value.write(o.field("Value"));
        });
    }
}

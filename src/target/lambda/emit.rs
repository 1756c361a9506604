//! A unit's template entries, written straight as bytes: its parameters,
//! resources (with CDK's habits: logical IDs from construct paths,
//! `aws:cdk:path` metadata, tags sorted by key) and outputs. User text
//! only ever lands in JSON strings, which CloudFormation never
//! interpolates (no `Fn::Sub` anywhere).
//!
//! References to another unit's items go through a `Resolve`: while
//! measuring, they are written in place and noted; when a stack is
//! written, they stay in place or become imports, depending on where the
//! other unit was put.

use super::copy::{queue_cid, Kind, Scope, View, Workload, PROPERTY_DEPTH, RETENTION_PARAM};
use super::copy::{SHARED, SUBNETS_PARAM, VPC_PARAM};
use super::ids::{construct_id, make_unique_id};
use super::notes::Notes;
use super::refs::{arn, join, managed_policy, Part, Ref};
use super::{consumer_visibility, esm_concurrency, is_ecr, ASYNC_RETRY_MAX, BATCH_SIZE};
use super::{SERVICE_TIMEOUT_SECS, VISIBILITY_FACTOR};
use crate::model::{Image, Name, Queue, SecretRef, Service, ServiceKind};
use crate::render::cdk_json::{Arr, Json, Obj, Out};
use crate::target::names::fit;
use crate::target::terraform::QUEUE_NAME_MAX;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// AWS name limits.
const FUNCTION_NAME_MAX: usize = 64;
const ROLE_NAME_MAX: usize = 64;
const RULE_NAME_MAX: usize = 64;
const API_NAME_MAX: usize = 128;

/// Log retention offered by `LogRetentionDays` (CloudWatch Logs' values).
const RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
const DEFAULT_RETENTION_DAYS: u64 = 365;
/// Dead-letter queues keep messages as long as SQS allows.
const DLQ_RETENTION_SECS: u64 = 14 * 86400;

const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

/// A checkov suppression: the check and why it does not apply.
type Skip = (&'static str, &'static str);

const SKIP_CONCURRENCY: Skip = (
    "CKV_AWS_115",
    "reserved concurrency carves capacity out of the account pool (new accounts have 10); concurrency is bounded by the event source mapping or the API instead",
);
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
                    c.key("skip").array(|a| {
                        for (id, comment) in [$($skip),*] {
                            a.item().object(|s| {
                                s.key("id").str(id);
                                s.key("comment").str(comment);
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
skips!(SERVICE_SKIPS = [SKIP_CONCURRENCY, SKIP_SYNC_DLQ]);
skips!(JOB_SKIPS = [SKIP_CONCURRENCY]);
skips!(ROUTE_SKIPS = [SKIP_ROUTE_AUTH]);

/// A Lambda function's trust policy.
static ASSUME_ROLE: Fixed = Fixed::new(|j| {
    j.object(|o| {
        o.key("Version").str("2012-10-17");
        o.key("Statement").array(|a| {
            a.item().object(|s| {
                s.key("Effect").str("Allow");
                s.key("Principal")
                    .object(|o| o.key("Service").str("lambda.amazonaws.com"));
                s.key("Action").str("sts:AssumeRole");
            })
        });
    })
});

/// The managed policies every function's role gets.
static MANAGED_POLICIES: Fixed = Fixed::new(|j| {
    j.array(|a| {
        managed_policy(a.item(), "service-role/AWSLambdaBasicExecutionRole");
        managed_policy(a.item(), "service-role/AWSLambdaVPCAccessExecutionRole");
        managed_policy(a.item(), "AWSXrayWriteOnlyAccess");
    })
});

/// A function's security group: HTTPS out, nothing in.
static HTTPS_EGRESS: Fixed = Fixed::new(|j| {
    j.array(|a| {
        a.item().object(|o| {
            o.key("CidrIp").str("0.0.0.0/0");
            o.key("Description")
                .str("HTTPS to AWS APIs and the internet");
            o.key("FromPort").u64(443);
            o.key("IpProtocol").str("tcp");
            o.key("ToPort").u64(443);
        })
    })
});

/// How a unit refers to another unit's items.
pub trait Resolve {
    /// The reference from the unit being written to `id` (`attr`) of
    /// another unit, `to`.
    fn cross<'a>(&mut self, to: usize, id: &'a str, attr: Option<&'static str>) -> Ref<'a>;
}

/// The entries units write into a template's three sections (each entry
/// `,\n  "<id>": ...`, two levels deep), and what they declare.
pub struct Sections<O: Out = Vec<u8>> {
    pub parameters: Json<O>,
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
}

impl<O: Out + Default> Sections<O> {
    pub fn new() -> Sections<O> {
        Sections {
            parameters: Json::into(O::default(), 2),
            resources: Json::into(O::default(), 2),
            outputs: Json::into(O::default(), 2),
            counts: Counts::default(),
        }
    }

    pub fn clear(&mut self) {
        self.parameters.clear();
        self.resources.clear();
        self.outputs.clear();
        self.counts = Counts::default();
    }

    pub fn bytes(&self) -> usize {
        self.parameters.len() + self.resources.len() + self.outputs.len()
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
        Kind::HttpApi { id, .. } => {
            let scope = v.scope(unit).expect("APIs belong to a tenant");
            e.http_api(scope, id);
        }
        Kind::Workload {
            workload,
            function,
            image,
        } => {
            let scope = v.scope(unit).expect("workloads belong to a tenant");
            let w = v.workloads(scope);
            match workload {
                Workload::Service(i) => e.service(scope, &w.services[*i], function, image),
                Workload::Job(i) => e.job(scope, &w.jobs[*i], function, image),
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

/// What a service and a job have in common as a function.
struct FunctionSpec<'a> {
    name: &'a Name,
    kind: &'static str,
    image: &'a Image,
    command: &'a Option<Vec<String>>,
    memory_mib: u32,
    timeout_secs: u64,
    env: &'a BTreeMap<String, String>,
    secrets: &'a BTreeMap<String, SecretRef>,
    publishes: &'a [Name],
    consumes: &'a [Name],
    calls: &'a [Name],
    /// A job's dead-letter queue for failed asynchronous invocations.
    dead_letter: Option<&'a str>,
    skips: &'static Skips,
}

/// A function environment variable's value.
enum Var<'a> {
    Text(&'a str),
    Secret(&'a SecretRef),
    Ref(Ref<'a>),
}

/// An IAM statement allowing `actions` on `resources`.
struct Allow<'a> {
    actions: &'static [&'static str],
    resources: Vec<Resource<'a>>,
}

/// An IAM statement's resource.
enum Resource<'a> {
    Ref(Ref<'a>),
    Secret(&'a SecretRef),
}

impl<'v, R: Resolve, O: Out> Emitter<'_, 'v, R, O> {
    fn note(&mut self, message: String, place: &str) {
        if let Some(n) = self.notes.as_deref_mut() {
            n.add(message, place);
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

    fn retention(&mut self) -> Ref<'v> {
        self.to(SHARED, RETENTION_PARAM, None)
    }

    /// A resource at `path` (construct path without the stack, ending in
    /// `Resource`) with logical ID `id`.
    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        id: &str,
        path: &[&str],
        ty: &'static str,
        retain: Option<&str>,
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
            o.key("Type").str(ty);
            o.key("Properties").object(properties);
            if let Some(p) = retain {
                o.key("UpdateReplacePolicy").str(p);
                o.key("DeletionPolicy").str(p);
            }
            o.key("Metadata").object(|m| {
                m.key("aws:cdk:path").joined(stack, path, "/");
                if !skips.list.is_empty() {
                    skips.checkov.put(m.key("checkov"));
                }
            });
        });
    }

    /// A resource whose logical ID comes from its path.
    fn add(
        &mut self,
        path: &[&str],
        ty: &'static str,
        retain: Option<&str>,
        skips: &Skips,
        properties: impl FnOnce(&mut Obj<O>),
    ) -> String {
        let id = make_unique_id(path);
        self.resource(&id, path, ty, retain, skips, properties);
        id
    }

    fn parameter(&mut self, id: &str, body: impl FnOnce(&mut Obj<O>)) {
        self.out.counts.parameters += 1;
        self.out.parameters.entry(id).object(body);
    }

    fn output(&mut self, path: &[&str], description: &str, value: &Ref) {
        self.out.counts.outputs += 1;
        let id = make_unique_id(path);
        self.out.outputs.entry(&id).object(|o| {
            o.key("Description").str(description);
            value.write(o.key("Value"));
        });
    }

    /// The copy's customer managed key (log groups and function
    /// environment variables) and the parameters its functions share.
    fn shared(&mut self, key: &str) {
        let copy = self.v.copy;
        if copy.retention {
            self.parameter(RETENTION_PARAM, |o| {
                o.key("Type").str("Number");
                o.key("Default").u64(DEFAULT_RETENTION_DAYS);
                o.key("AllowedValues").array(|a| {
                    for d in RETENTION_DAYS {
                        a.item().u64(d);
                    }
                });
                o.key("Description")
                    .str("Days CloudWatch Logs keeps function and API access logs");
            });
        }
        if copy.network_params {
            self.parameter(VPC_PARAM, |o| {
                o.key("Type").str("AWS::EC2::VPC::Id");
                o.key("Description").str("VPC the functions run in");
            });
            self.parameter(SUBNETS_PARAM, |o| {
                o.key("Type").str("List<AWS::EC2::Subnet::Id>");
                o.key("Description").str(
                    "Private subnets (with a route to AWS APIs, e.g. through NAT) the functions run in",
                );
            });
        }
        let tenant = match &self.v.platform.kind {
            crate::model::PlatformKind::Dedicated(t) => Some(t.as_str()),
            _ => None,
        };
        let tags = super::copy::tag_list(&super::copy::tags(self.v.model, self.v.env, tenant));
        let description = format!(
            "{}: CloudWatch Logs and Lambda environment variables",
            copy.name
        );
        self.resource(
            key,
            &["LogsKey", "Resource"],
            "AWS::KMS::Key",
            Some("Retain"),
            &NO_SKIPS,
            |p| {
                p.key("Description").str(&description);
                p.key("EnableKeyRotation").bool(true);
                p.key("KeyPolicy").object(|o| {
                    o.key("Version").str("2012-10-17");
                    o.key("Statement").array(|a| {
                        a.item().object(|s| {
                            s.key("Sid").str("AccountAdministersKey");
                            s.key("Effect").str("Allow");
                            s.key("Principal").object(|o| {
                                join(
                                    o.key("AWS"),
                                    &[
                                        Part::Text("arn:"),
                                        Part::Ref(Ref::Id("AWS::Partition")),
                                        Part::Text(":iam::"),
                                        Part::Ref(Ref::Id("AWS::AccountId")),
                                        Part::Text(":root"),
                                    ],
                                )
                            });
                            s.key("Action").str("kms:*");
                            s.key("Resource").str("*");
                        });
                        a.item().object(|s| {
                            s.key("Sid").str("CloudWatchLogsUseKey");
                            s.key("Effect").str("Allow");
                            s.key("Principal").object(|o| {
                                join(
                                    o.key("Service"),
                                    &[
                                        Part::Text("logs."),
                                        Part::Ref(Ref::Id("AWS::Region")),
                                        Part::Text(".amazonaws.com"),
                                    ],
                                )
                            });
                            s.key("Action").strs(&[
                                "kms:Decrypt*",
                                "kms:Describe*",
                                "kms:Encrypt*",
                                "kms:GenerateDataKey*",
                                "kms:ReEncrypt*",
                            ]);
                            s.key("Resource").str("*");
                            s.key("Condition").object(|o| {
                                o.key("ArnLike").object(|o| {
                                    arn(
                                        o.key("kms:EncryptionContext:aws:logs:arn"),
                                        "logs",
                                        &[Part::Text("log-group:*")],
                                    )
                                })
                            });
                        });
                    });
                });
                p.key("PendingWindowInDays").u64(30);
                p.key("Tags").raw(&tags);
            },
        );
    }

    fn queue(&mut self, scope: &Scope, q: &Queue, id: &str, dlq: Option<&str>) {
        let cid = queue_cid(q.name.as_str());
        let base = fit(&scope.full(q.name.as_str()), QUEUE_NAME_MAX);
        let fifo = if q.fifo { ".fifo" } else { "" };
        let visibility = consumer_visibility(q, self.v.workloads(scope));
        if visibility != q.visibility_timeout.secs() {
            self.note(
                format!(
                    "queue {}: visibility timeout raised from {} to {} ({VISIBILITY_FACTOR} x the {}s timeout of its Lambda consumer, as AWS recommends)",
                    q.name,
                    q.visibility_timeout,
                    crate::model::Duration::from_secs(visibility),
                    SERVICE_TIMEOUT_SECS
                ),
                &scope.place,
            );
        }
        let tags = &scope.tag_list;
        if let (Some(dlq), Some(_)) = (dlq, &q.dead_letter) {
            let name = format!("{base}-dlq{fifo}");
            self.resource(
                dlq,
                &scope.path(&[&cid, "DeadLetterQueue", "Resource"]),
                "AWS::SQS::Queue",
                Some("Delete"),
                &QUEUE_SKIPS,
                |p| {
                    p.key("QueueName").str(&name);
                    if q.fifo {
                        p.key("FifoQueue").bool(true);
                    }
                    p.key("MessageRetentionPeriod").u64(DLQ_RETENTION_SECS);
                    p.key("SqsManagedSseEnabled").bool(true);
                    p.key("Tags").raw(tags);
                },
            );
        }
        let name = format!("{base}{fifo}");
        self.resource(
            id,
            &scope.path(&[&cid, "Resource"]),
            "AWS::SQS::Queue",
            Some("Delete"),
            &QUEUE_SKIPS,
            |p| {
                p.key("QueueName").str(&name);
                if q.fifo {
                    p.key("FifoQueue").bool(true);
                    p.key("ContentBasedDeduplication").bool(true);
                }
                p.key("VisibilityTimeout").u64(visibility);
                p.key("MessageRetentionPeriod").u64(q.retention.secs());
                p.key("SqsManagedSseEnabled").bool(true);
                if let (Some(dlq), Some(dl)) = (dlq, &q.dead_letter) {
                    p.key("RedrivePolicy").object(|o| {
                        Ref::GetAtt(dlq, "Arn").write(o.key("deadLetterTargetArn"));
                        o.key("maxReceiveCount").u64(u64::from(dl.max_receives));
                    });
                }
                p.key("Tags").raw(tags);
            },
        );
        let queues: Vec<&str> = std::iter::once(id).chain(dlq).collect();
        self.tls_only(scope, &[&cid, "Policy", "Resource"], &queues, |_| {});
        self.output(
            &scope.path(&[&cid, "Url"]),
            &format!("URL of queue {}{}", q.name, scope.for_tenant),
            &Ref::Id(id),
        );
    }

    /// A queue policy that refuses anything but TLS, then what `extra`
    /// writes into the statement list.
    fn tls_only(
        &mut self,
        scope: &Scope,
        path: &[&str],
        queues: &[&str],
        extra: impl FnOnce(&mut Arr<O>),
    ) {
        self.add(
            &scope.path(path),
            "AWS::SQS::QueuePolicy",
            None,
            &NO_SKIPS,
            |p| {
                p.key("PolicyDocument").object(|o| {
                    o.key("Version").str("2012-10-17");
                    o.key("Statement").array(|a| {
                        a.item().object(|s| {
                            s.key("Sid").str("DenyInsecureTransport");
                            s.key("Effect").str("Deny");
                            s.key("Principal").object(|o| o.key("AWS").str("*"));
                            s.key("Action").str("sqs:*");
                            s.key("Resource").array(|a| {
                                for q in queues {
                                    Ref::GetAtt(q, "Arn").write(a.item());
                                }
                            });
                            s.key("Condition").object(|o| {
                                o.key("Bool")
                                    .object(|o| o.key("aws:SecureTransport").str("false"))
                            });
                        });
                        extra(a);
                    });
                });
                p.key("Queues").array(|a| {
                    for q in queues {
                        Ref::Id(q).write(a.item());
                    }
                });
            },
        );
    }

    fn service(&mut self, scope: &Scope, s: &Service, function: &str, image: &str) {
        let kind = s.kind();
        if kind == ServiceKind::Background {
            self.note(
                format!(
                    "service {}: a background service (no port, no queue) has no trigger on Lambda; its function runs only when something invokes it",
                    s.name
                ),
                &scope.place,
            );
        }
        let spec = FunctionSpec {
            name: &s.name,
            kind: match kind {
                ServiceKind::Http => "HTTP service",
                ServiceKind::Worker => "queue worker",
                ServiceKind::Background => "background service",
            },
            image: &s.image,
            command: &s.command,
            memory_mib: s.memory.mib(),
            timeout_secs: SERVICE_TIMEOUT_SECS,
            env: &s.env,
            secrets: &s.secrets,
            publishes: &s.publishes,
            consumes: &s.consumes,
            calls: &s.calls,
            dead_letter: None,
            skips: &SERVICE_SKIPS,
        };
        self.function(scope, &spec, function, image);
        let cid = construct_id(s.name.as_str());
        for q in &s.consumes {
            let (concurrency, clamped) = esm_concurrency(s.scale.max);
            if clamped {
                self.note(
                    format!(
                        "service {}: scale.max {} becomes the event source mapping's maximum concurrency {} (Lambda allows 2 to 1000)",
                        s.name, s.scale.max, concurrency
                    ),
                    &scope.place,
                );
            }
            let queue = self.queue_ref(scope, q, Some("Arn"));
            let esm_cid = format!("SqsEventSource{}", construct_id(q.as_str()));
            self.add(
                &scope.path(&[&cid, &esm_cid, "Resource"]),
                "AWS::Lambda::EventSourceMapping",
                None,
                &NO_SKIPS,
                |p| {
                    Ref::Id(function).write(p.key("FunctionName"));
                    queue.write(p.key("EventSourceArn"));
                    p.key("BatchSize").u64(u64::from(BATCH_SIZE));
                    p.key("FunctionResponseTypes")
                        .strs(&["ReportBatchItemFailures"]);
                    p.key("ScalingConfig")
                        .object(|o| o.key("MaximumConcurrency").u64(u64::from(concurrency)));
                    p.key("Tags").raw(&scope.tag_list);
                },
            );
        }
        if super::copy::is_public(s) {
            self.api_routes(scope, s, function);
        }
    }

    /// A public service's integration with its tenant's HTTP API, its
    /// routes, and API Gateway's permission to invoke it.
    fn api_routes(&mut self, scope: &Scope, s: &Service, function: &str) {
        let Some(api_unit) = scope.api_unit() else {
            return;
        };
        let Kind::HttpApi { id: api_id, .. } = &self.v.copy.units[api_unit].kind else {
            return;
        };
        let api = self.to(api_unit, api_id, None);
        let cid = construct_id(s.name.as_str());
        let integration = self.add(
            &scope.path(&[&cid, "HttpIntegration", "Resource"]),
            "AWS::ApiGatewayV2::Integration",
            None,
            &NO_SKIPS,
            |p| {
                api.write(p.key("ApiId"));
                p.key("IntegrationType").str("AWS_PROXY");
                Ref::GetAtt(function, "Arn").write(p.key("IntegrationUri"));
                p.key("PayloadFormatVersion").str("2.0");
            },
        );
        for (route_cid, route_key) in route_keys(&s.routes) {
            self.add(
                &scope.path(&[&cid, &route_cid, "Resource"]),
                "AWS::ApiGatewayV2::Route",
                None,
                &ROUTE_SKIPS,
                |p| {
                    api.write(p.key("ApiId"));
                    p.key("RouteKey").str(&route_key);
                    p.key("AuthorizationType").str("NONE");
                    join(
                        p.key("Target"),
                        &[
                            Part::Text("integrations/"),
                            Part::Ref(Ref::Id(&integration)),
                        ],
                    );
                },
            );
        }
        self.add(
            &scope.path(&[&cid, "HttpApiPermission", "Resource"]),
            "AWS::Lambda::Permission",
            None,
            &NO_SKIPS,
            |p| {
                p.key("Action").str("lambda:InvokeFunction");
                Ref::GetAtt(function, "Arn").write(p.key("FunctionName"));
                p.key("Principal").str("apigateway.amazonaws.com");
                arn(
                    p.key("SourceArn"),
                    "execute-api",
                    &[Part::Ref(api.clone()), Part::Text("/*/*")],
                );
            },
        );
    }

    fn job(&mut self, scope: &Scope, j: &crate::model::Job, function: &str, image: &str) {
        let cid = construct_id(j.name.as_str());
        let full = scope.full(j.name.as_str());
        let dlq_name = format!("{}-dlq", fit(&full, QUEUE_NAME_MAX));
        let dlq = self.add(
            &scope.path(&[&cid, "DeadLetterQueue", "Resource"]),
            "AWS::SQS::Queue",
            Some("Delete"),
            &QUEUE_SKIPS,
            |p| {
                p.key("QueueName").str(&dlq_name);
                p.key("MessageRetentionPeriod").u64(DLQ_RETENTION_SECS);
                p.key("SqsManagedSseEnabled").bool(true);
                p.key("Tags").raw(&scope.tag_list);
            },
        );
        let spec = FunctionSpec {
            name: &j.name,
            kind: "scheduled job",
            image: &j.image,
            command: &j.command,
            memory_mib: j.memory.mib(),
            timeout_secs: j.timeout.secs().clamp(1, 900),
            env: &j.env,
            secrets: &j.secrets,
            publishes: &j.publishes,
            consumes: &j.consumes,
            calls: &j.calls,
            dead_letter: Some(&dlq),
            skips: &JOB_SKIPS,
        };
        self.function(scope, &spec, function, image);
        if j.retries > ASYNC_RETRY_MAX {
            self.note(
                format!(
                    "job {}: Lambda retries a failed asynchronous run at most {ASYNC_RETRY_MAX} times, not {}",
                    j.name, j.retries
                ),
                &scope.place,
            );
        }
        self.add(
            &scope.path(&[&cid, "EventInvokeConfig", "Resource"]),
            "AWS::Lambda::EventInvokeConfig",
            None,
            &NO_SKIPS,
            |p| {
                Ref::Id(function).write(p.key("FunctionName"));
                p.key("Qualifier").str("$LATEST");
                p.key("MaximumRetryAttempts")
                    .u64(u64::from(j.retries.min(ASYNC_RETRY_MAX)));
            },
        );
        let expressions = j.schedule.to_eventbridge();
        let description = format!(
            "Runs job {}{} on {} (UTC)",
            j.name, scope.for_tenant, j.schedule
        );
        let mut rules = Vec::new();
        for (i, expression) in expressions.iter().enumerate() {
            let (rule_cid, perm_cid, name) = if expressions.len() == 1 {
                (
                    "Schedule".to_string(),
                    "SchedulePermission".to_string(),
                    fit(&full, RULE_NAME_MAX),
                )
            } else {
                (
                    format!("Schedule{}", i + 1),
                    format!("Schedule{}Permission", i + 1),
                    format!("{}-{}", fit(&full, RULE_NAME_MAX - 2), i + 1),
                )
            };
            let rule = self.add(
                &scope.path(&[&cid, &rule_cid, "Resource"]),
                "AWS::Events::Rule",
                None,
                &NO_SKIPS,
                |p| {
                    p.key("Name").str(&name);
                    p.key("Description").str(&description);
                    p.key("ScheduleExpression").str(expression);
                    p.key("State").str("ENABLED");
                    p.key("Targets").array(|a| {
                        a.item().object(|t| {
                            t.key("Id").str("Function");
                            Ref::GetAtt(function, "Arn").write(t.key("Arn"));
                            t.key("RetryPolicy").object(|o| {
                                o.key("MaximumRetryAttempts").u64(u64::from(j.retries))
                            });
                            t.key("DeadLetterConfig")
                                .object(|o| Ref::GetAtt(&dlq, "Arn").write(o.key("Arn")));
                        })
                    });
                },
            );
            self.add(
                &scope.path(&[&cid, &perm_cid, "Resource"]),
                "AWS::Lambda::Permission",
                None,
                &NO_SKIPS,
                |p| {
                    p.key("Action").str("lambda:InvokeFunction");
                    Ref::GetAtt(function, "Arn").write(p.key("FunctionName"));
                    p.key("Principal").str("events.amazonaws.com");
                    Ref::GetAtt(&rule, "Arn").write(p.key("SourceArn"));
                },
            );
            rules.push(rule);
        }
        self.tls_only(
            scope,
            &[&cid, "DeadLetterQueue", "Policy", "Resource"],
            &[&dlq],
            |a| {
                a.item().object(|s| {
                    s.key("Sid").str("EventBridgeDeadLetters");
                    s.key("Effect").str("Allow");
                    s.key("Principal")
                        .object(|o| o.key("Service").str("events.amazonaws.com"));
                    s.key("Action").str("sqs:SendMessage");
                    Ref::GetAtt(&dlq, "Arn").write(s.key("Resource"));
                    s.key("Condition").object(|o| {
                        o.key("ArnEquals").object(|o| {
                            o.key("aws:SourceArn").array(|a| {
                                for r in &rules {
                                    Ref::GetAtt(r, "Arn").write(a.item());
                                }
                            })
                        })
                    });
                })
            },
        );
    }

    /// A reference to the tenant's queue `q`, or to its dead-letter
    /// queue.
    fn queue_ref(&mut self, scope: &Scope, q: &Name, attr: Option<&'static str>) -> Ref<'v> {
        let copy = self.v.copy;
        let index = copy
            .queue_index(q)
            .expect("normalize resolves every queue reference");
        let unit = scope.queue_unit(index);
        let Kind::Queue { id, .. } = &copy.units[unit].kind else {
            unreachable!("queue units hold queues");
        };
        self.to(unit, id, attr)
    }

    /// A reference to the function of the tenant's workload `name`.
    fn function_ref(&mut self, scope: &Scope, name: &Name, attr: Option<&'static str>) -> Ref<'v> {
        let copy = self.v.copy;
        let unit = scope
            .workload_unit(name.as_str())
            .expect("normalize resolves every call");
        let Kind::Workload { function, .. } = &copy.units[unit].kind else {
            unreachable!("workload units hold workloads");
        };
        self.to(unit, function, attr)
    }

    /// Role, log group, security group, image parameter and function.
    fn function(&mut self, scope: &Scope, f: &FunctionSpec, function: &str, image: &str) {
        let cid = construct_id(f.name.as_str());
        let full = scope.full(f.name.as_str());
        let function_name = fit(&full, FUNCTION_NAME_MAX);
        let retention = self.retention();
        let key = self.key_arn();
        let (vpc, subnets) = match &self.v.model.app.network {
            Some(_) => (None, None),
            None => (
                Some(self.to(SHARED, VPC_PARAM, None)),
                Some(self.to(SHARED, SUBNETS_PARAM, None)),
            ),
        };

        // Image parameter: CI bumps it with --parameter-overrides.
        let image_description = format!(
            "Container image (in Amazon ECR) of {} {}{}",
            f.kind, f.name, scope.for_tenant
        );
        self.parameter(image, |o| {
            o.key("Type").str("String");
            o.key("Default").str(&f.image.to_string());
            o.key("Description").str(&image_description);
        });
        if !is_ecr(f.image) {
            self.note(
                format!(
                    "{} {}: Lambda pulls container images only from Amazon ECR; copy {} there and set its ImageUri parameter",
                    f.kind, f.name, f.image
                ),
                &scope.place,
            );
        }

        let log_group_name = format!("/aws/lambda/{function_name}");
        let log_group = self.add(
            &scope.path(&[&cid, "LogGroup", "Resource"]),
            "AWS::Logs::LogGroup",
            Some("Retain"),
            &NO_SKIPS,
            |p| {
                p.key("LogGroupName").str(&log_group_name);
                retention.write(p.key("RetentionInDays"));
                key.write(p.key("KmsKeyId"));
                p.key("Tags").raw(&scope.tag_list);
            },
        );

        // Environment: the blueprint's values as literal strings, then what
        // blueprint wires in, unless the blueprint sets the same name.
        let mut variables: BTreeMap<String, Var> = f
            .env
            .iter()
            .map(|(k, v)| (k.clone(), Var::Text(v)))
            .collect();
        for (var, secret) in f.secrets {
            variables.entry(var.clone()).or_insert(Var::Secret(secret));
        }
        let mut queues: Vec<&Name> = f.publishes.iter().chain(f.consumes).collect();
        queues.sort();
        queues.dedup();
        for q in queues {
            let var = format!("{}_QUEUE_URL", q.snake().to_uppercase());
            if let Entry::Vacant(slot) = variables.entry(var) {
                slot.insert(Var::Ref(self.queue_ref(scope, q, None)));
            }
        }
        for c in f.calls {
            let var = format!("{}_FUNCTION_NAME", c.snake().to_uppercase());
            if let Entry::Vacant(slot) = variables.entry(var) {
                slot.insert(Var::Ref(self.function_ref(scope, c, None)));
            }
        }

        // Least privilege: exactly its queues, secrets, callees and key.
        let mut statements: Vec<Allow> = Vec::new();
        if !f.publishes.is_empty() {
            let resources = f
                .publishes
                .iter()
                .map(|q| Resource::Ref(self.queue_ref(scope, q, Some("Arn"))))
                .collect();
            statements.push(Allow {
                actions: &["sqs:SendMessage"],
                resources,
            });
        }
        if !f.consumes.is_empty() {
            let resources = f
                .consumes
                .iter()
                .map(|q| Resource::Ref(self.queue_ref(scope, q, Some("Arn"))))
                .collect();
            statements.push(Allow {
                actions: &[
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                ],
                resources,
            });
        }
        if !f.secrets.is_empty() {
            let mut secrets: Vec<&SecretRef> = f.secrets.values().collect();
            secrets.sort();
            secrets.dedup();
            statements.push(Allow {
                actions: &["secretsmanager:GetSecretValue"],
                resources: secrets.into_iter().map(Resource::Secret).collect(),
            });
        }
        if !f.calls.is_empty() {
            let resources = f
                .calls
                .iter()
                .map(|c| Resource::Ref(self.function_ref(scope, c, Some("Arn"))))
                .collect();
            statements.push(Allow {
                actions: &["lambda:InvokeFunction"],
                resources,
            });
        }
        if let Some(dlq) = f.dead_letter {
            statements.push(Allow {
                actions: &["sqs:SendMessage"],
                resources: vec![Resource::Ref(Ref::GetAtt(dlq, "Arn"))],
            });
        }
        if !variables.is_empty() {
            statements.push(Allow {
                actions: &["kms:Decrypt"],
                resources: vec![Resource::Ref(key.clone())],
            });
        }
        let role_description = format!("Runs {} {}{}", f.kind, f.name, scope.for_tenant);
        let role_name = fit(&full, ROLE_NAME_MAX);
        let role = self.add(
            &scope.path(&[&cid, "ServiceRole", "Resource"]),
            "AWS::IAM::Role",
            None,
            &NO_SKIPS,
            |p| {
                ASSUME_ROLE.put(p.key("AssumeRolePolicyDocument"));
                p.key("Description").str(&role_description);
                MANAGED_POLICIES.put(p.key("ManagedPolicyArns"));
                if !statements.is_empty() {
                    p.key("Policies").array(|a| {
                        a.item().object(|o| {
                            o.key("PolicyName").str("least-privilege");
                            o.key("PolicyDocument").object(|o| {
                                o.key("Version").str("2012-10-17");
                                o.key("Statement").array(|a| {
                                    for s in &statements {
                                        write_allow(a.item(), s);
                                    }
                                });
                            });
                        })
                    });
                }
                p.key("RoleName").str(&role_name);
                p.key("Tags").raw(&scope.tag_list);
            },
        );

        let group_description = format!("Lambda function {function_name}");
        let network = self.v.model.app.network.as_ref();
        let sg = self.add(
            &scope.path(&[&cid, "SecurityGroup", "Resource"]),
            "AWS::EC2::SecurityGroup",
            None,
            &NO_SKIPS,
            |p| {
                p.key("GroupDescription").str(&group_description);
                match (network, &vpc) {
                    (Some(n), _) => p.key("VpcId").str(&n.vpc_id),
                    (None, Some(r)) => r.write(p.key("VpcId")),
                    (None, None) => unreachable!("no network means VPC parameters"),
                }
                HTTPS_EGRESS.put(p.key("SecurityGroupEgress"));
                p.key("Tags").raw(&scope.tag_list);
            },
        );

        let description = format!("{} {}{}", f.kind, f.name, scope.for_tenant);
        let path = scope.path(&[&cid, "Resource"]);
        self.resource(
            function,
            &path,
            "AWS::Lambda::Function",
            None,
            f.skips,
            |p| {
                p.key("FunctionName").str(&function_name);
                p.key("Description").str(&description);
                p.key("PackageType").str("Image");
                p.key("Code")
                    .object(|o| Ref::Id(image).write(o.key("ImageUri")));
                if let Some(cmd) = f.command {
                    p.key("ImageConfig").object(|o| o.key("Command").strs(cmd));
                }
                Ref::GetAtt(&role, "Arn").write(p.key("Role"));
                p.key("Architectures").strs(&["x86_64"]);
                p.key("MemorySize").u64(u64::from(f.memory_mib));
                p.key("Timeout").u64(f.timeout_secs);
                if !variables.is_empty() {
                    p.key("Environment").object(|o| {
                        o.key("Variables").object(|o| {
                            for (k, v) in &variables {
                                let j = o.key(k);
                                match v {
                                    Var::Text(t) => j.str(t),
                                    Var::Secret(s) => secret_env_arn(j, s),
                                    Var::Ref(r) => r.write(j),
                                }
                            }
                        })
                    });
                    key.write(p.key("KmsKeyArn"));
                }
                if let Some(dlq) = f.dead_letter {
                    p.key("DeadLetterConfig")
                        .object(|o| Ref::GetAtt(dlq, "Arn").write(o.key("TargetArn")));
                }
                p.key("LoggingConfig")
                    .object(|o| Ref::Id(&log_group).write(o.key("LogGroup")));
                p.key("TracingConfig")
                    .object(|o| o.key("Mode").str("Active"));
                p.key("VpcConfig").object(|o| {
                    o.key("SecurityGroupIds")
                        .array(|a| Ref::GetAtt(&sg, "GroupId").write(a.item()));
                    match (network, &subnets) {
                        (Some(n), _) => o.key("SubnetIds").strs(&n.private_subnets),
                        (None, Some(r)) => r.write(o.key("SubnetIds")),
                        (None, None) => unreachable!("no network means subnet parameters"),
                    }
                });
                p.key("Tags").raw(&scope.tag_list);
            },
        );
    }

    /// One HTTP API per tenant for its public services: `$default` stage
    /// with access logs; the services add their integrations and routes.
    fn http_api(&mut self, scope: &Scope, api: &str) {
        let api_name = fit(&scope.base(), API_NAME_MAX);
        let retention = self.retention();
        let key = self.key_arn();
        let description = format!(
            "Public services of {}{}",
            self.v.model.app.name, scope.for_tenant
        );
        self.resource(
            api,
            &scope.path(&["HttpApi", "Resource"]),
            "AWS::ApiGatewayV2::Api",
            None,
            &NO_SKIPS,
            |p| {
                p.key("Name").str(&api_name);
                p.key("Description").str(&description);
                p.key("ProtocolType").str("HTTP");
                p.key("Tags").raw(&scope.tag_map);
            },
        );
        let log_group_name = format!("/aws/apigateway/{api_name}");
        let logs = self.add(
            &scope.path(&["HttpApi", "AccessLogs", "Resource"]),
            "AWS::Logs::LogGroup",
            Some("Retain"),
            &NO_SKIPS,
            |p| {
                p.key("LogGroupName").str(&log_group_name);
                retention.write(p.key("RetentionInDays"));
                key.write(p.key("KmsKeyId"));
                p.key("Tags").raw(&scope.tag_list);
            },
        );
        self.add(
            &scope.path(&["HttpApi", "DefaultStage", "Resource"]),
            "AWS::ApiGatewayV2::Stage",
            None,
            &NO_SKIPS,
            |p| {
                Ref::Id(api).write(p.key("ApiId"));
                p.key("StageName").str("$default");
                p.key("AutoDeploy").bool(true);
                p.key("AccessLogSettings").object(|o| {
                    Ref::GetAtt(&logs, "Arn").write(o.key("DestinationArn"));
                    o.key("Format").str(ACCESS_LOG_FORMAT);
                });
                p.key("Tags").raw(&scope.tag_map);
            },
        );
        self.output(
            &scope.path(&["HttpApi", "Url"]),
            &format!("URL of the HTTP API{}", scope.for_tenant),
            &Ref::GetAtt(api, "ApiEndpoint"),
        );
    }
}

fn write_allow<O: Out>(j: &mut Json<O>, s: &Allow) {
    j.object(|o| {
        o.key("Effect").str("Allow");
        match s.actions {
            [one] => o.key("Action").str(one),
            many => o.key("Action").strs(many),
        }
        let resource = |j: &mut Json<O>, r: &Resource| match r {
            Resource::Ref(r) => r.write(j),
            Resource::Secret(s) => secret_arn(j, s),
        };
        match s.resources.as_slice() {
            [one] => resource(o.key("Resource"), one),
            many => o.key("Resource").array(|a| {
                for r in many {
                    resource(a.item(), r);
                }
            }),
        }
    });
}

/// Construct IDs and route keys: `/` -> `$default` (everything no other
/// route takes); `/api` -> `ANY /api` and `ANY /api/{proxy+}`. Routes are
/// numbered in the blueprint's order.
pub fn route_keys(routes: &[String]) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let n = i + 1;
        let prefix = r.trim_end_matches('/');
        if prefix.is_empty() {
            keys.push((format!("Route{n}Default"), "$default".to_string()));
        } else {
            keys.push((format!("Route{n}Exact"), format!("ANY {prefix}")));
            keys.push((format!("Route{n}Proxy"), format!("ANY {prefix}/{{proxy+}}")));
        }
    }
    keys
}

/// What a function's environment gets for a secret: its ARN as given, or
/// for a name the ARN without Secrets Manager's random suffix, which
/// `GetSecretValue` accepts as a secret id.
fn secret_env_arn<O: Out>(j: &mut Json<O>, secret: &SecretRef) {
    match secret {
        SecretRef::Arn(a) => j.str(a),
        SecretRef::Name(n) => arn(j, "secretsmanager", &[Part::Text("secret:"), Part::Text(n)]),
    }
}

/// The IAM resource of a secret: its ARN as given, or for a name the ARN
/// Secrets Manager will give it (`-` and six random characters appended).
/// The name stays a literal item of `Fn::Join`.
fn secret_arn<O: Out>(j: &mut Json<O>, secret: &SecretRef) {
    match secret {
        SecretRef::Arn(a) => j.str(a),
        SecretRef::Name(n) => arn(
            j,
            "secretsmanager",
            &[Part::Text("secret:"), Part::Text(n), Part::Text("-??????")],
        ),
    }
}

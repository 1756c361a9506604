//! Services and jobs as functions: role (least privilege), log group and
//! function in the tenant's security group, their alarms, then what
//! triggers them (event source mappings, API routes, schedules); and the
//! tenant's security group.

use super::*;
use crate::aws::{contract, iam};
use crate::model::{Target, Task};
use std::borrow::Cow;

/// What a service and a job have in common as a function.
struct FunctionSpec<'a, 't> {
    task: Task<'t>,
    kind: &'static str,
    timeout_secs: u64,
    /// An HTTP service's port and readiness path, for the Web Adapter.
    http: Option<(u16, &'t str)>,
    /// A job's dead-letter queue for failed asynchronous invocations.
    dead_letter: Option<&'a str>,
    concurrency: Concurrency,
    skips: &'static Skips,
}

/// A function environment variable's value.
enum Var<'a> {
    Text(Cow<'a, str>),
    /// A secret's ARN (never its value: Lambda cannot inject one).
    SecretArn(&'a SecretRef),
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
    /// A function of this account and region, by its name.
    Function(String),
}

/// A Lambda function's trust policy.
static ASSUME_ROLE: Fixed = Fixed::new(|j| {
    j.object(|o| {
        o.field("Version").str("2012-10-17");
        o.field("Statement").array(|a| {
            a.item().object(|s| {
                s.field("Effect").str("Allow");
                s.field("Principal")
                    .object(|o| o.field("Service").str("lambda.amazonaws.com"));
                s.field("Action").str("sts:AssumeRole");
            })
        });
    })
});

/// The managed policies every function's role gets: network interfaces
/// in the VPC and CloudWatch Logs (AWSLambdaVPCAccessExecutionRole holds
/// the logs actions of AWSLambdaBasicExecutionRole too), and tracing.
static MANAGED_POLICIES: Fixed = Fixed::new(|j| {
    j.array(|a| {
        managed_policy(a.item(), "service-role/AWSLambdaVPCAccessExecutionRole");
        managed_policy(a.item(), "AWSXrayWriteOnlyAccess");
    })
});

/// A function's security group: HTTPS out, nothing in.
static HTTPS_EGRESS: Fixed = Fixed::new(|j| {
    j.array(|a| {
        a.item().object(|o| {
            o.field("CidrIp").str("0.0.0.0/0");
            o.field("Description")
                .str("HTTPS to AWS APIs and the internet");
            o.field("FromPort").u64(443);
            o.field("IpProtocol").str("tcp");
            o.field("ToPort").u64(443);
        })
    })
});

impl<'v, R: Resolve, O: Out> Emitter<'_, 'v, R, O> {
    /// The security group a tenant's functions share: HTTPS out, nothing
    /// in.
    pub(super) fn network(&mut self, scope: &Scope, id: &str) {
        let vpc = match &self.v.model.app.network {
            Some(_) => None,
            None => Some(self.param(Param::Vpc)),
        };
        let network = self.v.model.app.network.as_ref();
        let description = format!(
            "Lambda functions of {}, environment {}{}",
            self.v.model.app.name, self.v.env.name, scope.for_tenant
        );
        self.resource(
            id,
            &scope.path(&["FunctionsSecurityGroup", "Resource"]),
            "AWS::EC2::SecurityGroup",
            None,
            &NO_SKIPS,
            |p| {
                p.field("GroupDescription").str(&description);
                match (network, &vpc) {
                    (Some(n), _) => p.field("VpcId").str(&n.vpc_id),
                    (None, Some(r)) => r.write(p.field("VpcId")),
                    (None, None) => unreachable!("no network means VPC parameters"),
                }
                HTTPS_EGRESS.put(p.field("SecurityGroupEgress"));
                p.field("Tags").raw(&scope.tag_list);
            },
        );
    }

    pub(super) fn service(&mut self, scope: &Scope, s: &'v Service, unit: &Function) {
        let (function, concurrency) = (unit.id, unit.concurrency);
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
            task: s.task(),
            kind: match kind {
                ServiceKind::Http => "HTTP service",
                ServiceKind::Worker => "queue worker",
                ServiceKind::Background => "background service",
            },
            timeout_secs: SERVICE_TIMEOUT_SECS,
            http: s
                .port
                .map(|p| (p, s.health.as_ref().map_or("/", |h| h.path.as_str()))),
            dead_letter: None,
            concurrency,
            skips: &SERVICE_SKIPS,
        };
        self.function(scope, &spec, function, unit.image);
        let cid = construct_id(s.name.as_str());
        for q in &s.consumes {
            // At most what the function reserves, within what Lambda allows.
            let max = s.scale.max.min(concurrency.reserved);
            let (concurrency, clamped) = esm_concurrency(max);
            if clamped {
                self.note(
                    format!(
                        "service {}: scale.max {} becomes the event source mapping's maximum concurrency {} (Lambda allows 2 to 1000)",
                        s.name, max, concurrency
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
                    Ref::Id(function).write(p.field("FunctionName"));
                    queue.write(p.field("EventSourceArn"));
                    p.field("BatchSize").u64(u64::from(BATCH_SIZE));
                    p.field("FunctionResponseTypes")
                        .strs(&["ReportBatchItemFailures"]);
                    p.field("ScalingConfig")
                        .object(|o| o.field("MaximumConcurrency").u64(u64::from(concurrency)));
                    p.field("Tags").raw(&scope.tag_list);
                },
            );
        }
        if crate::targets::lambda::copy::is_public(s) {
            self.api_routes(scope, s, function);
        }
    }

    pub(super) fn job(&mut self, scope: &Scope, j: &'v crate::model::Job, unit: &Function) {
        let (function, concurrency) = (unit.id, unit.concurrency);
        let cid = construct_id(j.name.as_str());
        let full = scope.full(j.name.as_str());
        let dlq_name = names::job_dead_letter(&full);
        let dlq_path = scope.path(&[&cid, "DeadLetterQueue", "Resource"]);
        let dlq = make_unique_id(&dlq_path);
        self.dead_letter_queue(scope, &dlq, &dlq_path, &dlq_name, false);
        let spec = FunctionSpec {
            task: j.task(),
            kind: "scheduled job",
            timeout_secs: j.timeout.secs().clamp(1, 900),
            http: None,
            dead_letter: Some(&dlq),
            concurrency,
            skips: &NO_SKIPS,
        };
        self.function(scope, &spec, function, unit.image);
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
                Ref::Id(function).write(p.field("FunctionName"));
                p.field("Qualifier").str("$LATEST");
                p.field("MaximumRetryAttempts")
                    .u64(u64::from(j.retries.min(ASYNC_RETRY_MAX)));
            },
        );
        let expressions = j.schedule.to_eventbridge();
        let description = format!(
            "Runs job {}{} on {} (UTC)",
            j.name, scope.for_tenant, j.schedule
        );
        let mut rules = Vec::new();
        let rule_names = names::rules(&full, expressions.len());
        for (i, (expression, name)) in expressions.iter().zip(rule_names).enumerate() {
            let (rule_cid, perm_cid) = if expressions.len() == 1 {
                ("Schedule".to_string(), "SchedulePermission".to_string())
            } else {
                (
                    format!("Schedule{}", i + 1),
                    format!("Schedule{}Permission", i + 1),
                )
            };
            let rule = self.add(
                &scope.path(&[&cid, &rule_cid, "Resource"]),
                "AWS::Events::Rule",
                None,
                &NO_SKIPS,
                |p| {
                    p.field("Name").plain(&name);
                    p.field("Description").str(&description);
                    p.field("ScheduleExpression").str(expression);
                    p.field("State").str("ENABLED");
                    p.field("Targets").array(|a| {
                        a.item().object(|t| {
                            t.field("Id").str("Function");
                            Ref::GetAtt(function, "Arn").write(t.field("Arn"));
                            t.field("RetryPolicy").object(|o| {
                                o.field("MaximumRetryAttempts").u64(u64::from(j.retries))
                            });
                            t.field("DeadLetterConfig")
                                .object(|o| Ref::GetAtt(&dlq, "Arn").write(o.field("Arn")));
                        })
                    });
                    p.field("Tags").raw(&scope.tag_list);
                },
            );
            self.add(
                &scope.path(&[&cid, &perm_cid, "Resource"]),
                "AWS::Lambda::Permission",
                None,
                &NO_SKIPS,
                |p| {
                    p.field("Action").str(iam::FUNCTION_INVOKE[0]);
                    Ref::GetAtt(function, "Arn").write(p.field("FunctionName"));
                    p.field("Principal").str("events.amazonaws.com");
                    Ref::GetAtt(&rule, "Arn").write(p.field("SourceArn"));
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
                    s.field("Sid").str("EventBridgeDeadLetters");
                    s.field("Effect").str("Allow");
                    s.field("Principal")
                        .object(|o| o.field("Service").str("events.amazonaws.com"));
                    s.field("Action").str(iam::DEAD_LETTER_SEND[0]);
                    Ref::GetAtt(&dlq, "Arn").write(s.field("Resource"));
                    s.field("Condition").object(|o| {
                        o.field("ArnEquals").object(|o| {
                            o.field("aws:SourceArn").array(|a| {
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

    /// The environment of a workload: its own `env`, then the runtime
    /// contract (`aws::contract`) for this environment and tenant, then
    /// an HTTP service's Web Adapter settings, unless `env` sets them.
    fn environment(
        &mut self,
        scope: &Scope,
        f: &FunctionSpec<'_, 'v>,
    ) -> BTreeMap<String, Var<'v>> {
        let v = self.v;
        let mut variables: BTreeMap<String, Var<'v>> = f
            .task
            .env
            .iter()
            .map(|(k, val)| (k.clone(), Var::Text(Cow::Borrowed(val.as_str()))))
            .collect();
        let copy = crate::aws::names::Copy::new(v.model, v.env, v.platform);
        let tenant = v.workloads(scope).tenant.as_ref();
        for var in contract::variables(v.model, v.env, &copy, tenant, f.task, Target::Lambda) {
            let value = match var.source {
                contract::Source::Text(t) => Var::Text(Cow::Owned(t)),
                // Lambda sets AWS_REGION itself; the name is reserved.
                contract::Source::Region(_) => continue,
                contract::Source::QueueUrl(q) => Var::Ref(self.queue_ref(scope, &q.name, None)),
                contract::Source::FunctionName(callee) => Var::Text(Cow::Owned(
                    names::function(&scope.full(callee.as_str())).function,
                )),
                contract::Source::SecretArn(secret) => Var::SecretArn(secret),
                contract::Source::QueueName(_) | contract::Source::SecretValue(_) => {
                    unreachable!("the Lambda contract hands out queue URLs and secret ARNs")
                }
            };
            variables.entry(var.name).or_insert(value);
        }
        if let Some((port, path)) = f.http {
            for (k, val) in [
                (names::LWA_PORT, port.to_string()),
                (names::LWA_READINESS_CHECK_PATH, path.to_string()),
            ] {
                variables
                    .entry(k.to_string())
                    .or_insert(Var::Text(Cow::Owned(val)));
            }
        }
        variables
    }

    /// What the user must know about a workload's image and secrets on
    /// Lambda: one grouped note per concern.
    fn image_notes(&mut self, scope: &Scope, f: &FunctionSpec<'_, '_>, image: &names::ImageSource) {
        static ADAPTER: OnceLock<String> = OnceLock::new();
        let adapter = ADAPTER.get_or_init(|| {
            format!(
                "HTTP services {{}}: Lambda invokes a function, it does not send it HTTP requests, so each image must contain the AWS Lambda Web Adapter at {ext} (`COPY --from={image}:<version> /lambda-adapter {ext}`), which turns each invocation into a request to the service's port once its readiness path answers ({}, {} are set)",
                names::LWA_PORT,
                names::LWA_READINESS_CHECK_PATH,
                ext = names::LWA_EXTENSION,
                image = names::LWA_IMAGE,
            )
        });
        const RUNTIME: &str = "{}: each image must implement the Lambda runtime API (an AWS Lambda base image, or a runtime interface client): it is invoked with batches of SQS messages, its schedule's EventBridge event, or by what calls it, not started as a long-running process";
        const SECRETS: &str = "Lambda cannot inject secret values, so a secret's ARN is in `<KEY>_SECRET_ARN`, never its value or ARN in `<KEY>`; read the value with secretsmanager:GetSecretValue (or the AWS Parameters and Secrets Lambda Extension): {}";
        const CACHED: &str = "Lambda pulls images only from Amazon ECR, so these come through an ECR pull-through cache, which deploy.sh sets up before the stacks (it creates the rule and pulls each image once): {}";
        const CREDENTIALS: &str = "ECR pull-through cache rules {}: the upstream registry needs credentials, so the first deploy.sh run needs the ARN of a Secrets Manager secret named ecr-pullthroughcache/... that holds them";
        const LOW_PORT: &str = "HTTP services {}: Lambda runs an image as an unprivileged user, which cannot listen on a port below 1024; give the service a port above it (AWS_LWA_PORT follows `port`)";
        let name = f.task.name;
        if let Some((port, _)) = f.http.filter(|(p, _)| *p < 1024) {
            self.note_item(LOW_PORT, &format!("{name} (port {port})"), &scope.place);
        }
        match f.http {
            Some((port, path)) => self.note_item(
                adapter,
                &format!("{name} (port {port}, {path})"),
                &scope.place,
            ),
            None => self.note_item(RUNTIME, &format!("{} {name}", f.kind), &scope.place),
        }
        if !f.task.secrets.is_empty() {
            let keys: Vec<String> = f
                .task
                .secrets
                .keys()
                .map(|k| contract::secret_arn_var(k))
                .collect();
            self.note_item(
                SECRETS,
                &format!("{} {name} ({})", f.kind, keys.join(", ")),
                &scope.place,
            );
        }
        if let names::ImageSource::Cache(rule, _) = image {
            self.note_item(
                CACHED,
                &format!("{} (rule {})", f.task.image, rule.prefix),
                &scope.place,
            );
            if let Some(var) = rule.credential {
                let item = format!("{} ({} credentials in {var})", rule.prefix, rule.upstream);
                self.note_item(CREDENTIALS, &item, &scope.place);
            }
        }
        if let (true, Some(quota)) = (
            f.concurrency.reserved < f.concurrency.wanted,
            scope.quota.as_deref(),
        ) {
            self.note(
                format!(
                    "{} {name}: reserved concurrency {} instead of {}, so that the tenant's functions fit its quota ({quota})",
                    f.kind,
                    f.concurrency.reserved, f.concurrency.wanted
                ),
                &scope.place,
            );
        }
    }

    /// Role, log group, function (in its tenant's security group) and its
    /// alarms.
    fn function(
        &mut self,
        scope: &Scope,
        f: &FunctionSpec<'_, 'v>,
        function: &str,
        image: &names::ImageSource,
    ) {
        let name = f.task.name;
        let cid = construct_id(name.as_str());
        let full = scope.full(name.as_str());
        let fnames = names::function(&full);
        let function_name = fnames.function.clone();
        let key = self.key_arn();
        let subnets = match &self.v.model.app.network {
            Some(_) => None,
            None => Some(self.param(Param::Subnets)),
        };
        let sg = {
            let unit = scope.network_unit();
            let Kind::Network { id } = &self.v.copy.units[unit].kind else {
                unreachable!("network units hold the security group");
            };
            self.to(unit, id, Some("GroupId"))
        };
        if self.notes.is_some() {
            self.image_notes(scope, f, image);
        }

        let log_group = self.log_group(scope, &scope.path(&[&cid, "LogGroup", "Resource"]));
        let variables = self.environment(scope, f);

        // Least privilege: exactly its queues, secrets, callees and key.
        let mut statements: Vec<Allow> = Vec::new();
        // Functions are handed their queues' URLs: no lookup by name.
        for (actions, queues) in [
            (iam::QUEUE_PUBLISH, f.task.publishes),
            (iam::QUEUE_CONSUME, f.task.consumes),
        ] {
            if !queues.is_empty() {
                let resources = queues
                    .iter()
                    .map(|q| Resource::Ref(self.queue_ref(scope, q, Some("Arn"))))
                    .collect();
                statements.push(Allow { actions, resources });
            }
        }
        if !f.task.secrets.is_empty() {
            let mut secrets: Vec<&SecretRef> = f.task.secrets.values().collect();
            secrets.sort();
            secrets.dedup();
            statements.push(Allow {
                actions: iam::SECRET_READ,
                resources: secrets.into_iter().map(Resource::Secret).collect(),
            });
        }
        if !f.task.calls.is_empty() {
            // By name, not by reference: callers that call each other in a
            // ring never depend on one another.
            let resources = f
                .task
                .calls
                .iter()
                .map(|c| Resource::Function(names::function(&scope.full(c.as_str())).function))
                .collect();
            statements.push(Allow {
                actions: iam::FUNCTION_INVOKE,
                resources,
            });
        }
        if let Some(dlq) = f.dead_letter {
            statements.push(Allow {
                actions: iam::DEAD_LETTER_SEND,
                resources: vec![Resource::Ref(Ref::GetAtt(dlq, "Arn"))],
            });
        }
        if !variables.is_empty() {
            statements.push(Allow {
                actions: iam::KMS_DECRYPT,
                resources: vec![Resource::Ref(key.clone())],
            });
        }
        let role_description = format!("Runs {} {name}{}", f.kind, scope.for_tenant);
        let role_name = fnames.role.clone();
        let role = self.add(
            &scope.path(&[&cid, "ServiceRole", "Resource"]),
            "AWS::IAM::Role",
            None,
            &NO_SKIPS,
            |p| {
                ASSUME_ROLE.put(p.field("AssumeRolePolicyDocument"));
                p.field("Description").str(&role_description);
                MANAGED_POLICIES.put(p.field("ManagedPolicyArns"));
                if !statements.is_empty() {
                    p.field("Policies").array(|a| {
                        a.item().object(|o| {
                            o.field("PolicyName").str("least-privilege");
                            o.field("PolicyDocument").object(|o| {
                                o.field("Version").str("2012-10-17");
                                o.field("Statement").array(|a| {
                                    for s in &statements {
                                        write_allow(a.item(), s);
                                    }
                                });
                            });
                        })
                    });
                }
                p.field("RoleName").plain(&role_name);
                p.field("Tags").raw(&scope.tag_list);
            },
        );

        let network = self.v.model.app.network.as_ref();
        let description = format!("{} {name}{}", f.kind, scope.for_tenant);
        let path = scope.path(&[&cid, "Resource"]);
        self.resource(
            function,
            &path,
            "AWS::Lambda::Function",
            None,
            f.skips,
            |p| {
                p.field("FunctionName").plain(&function_name);
                p.field("Description").str(&description);
                p.field("PackageType").str("Image");
                p.field("Code")
                    .object(|o| image_uri(o.field("ImageUri"), f.task.image, image));
                if let Some(cmd) = f.task.command {
                    p.field("ImageConfig")
                        .object(|o| o.field("Command").strs(cmd));
                }
                Ref::GetAtt(&role, "Arn").write(p.field("Role"));
                p.field("Architectures").strs(&["x86_64"]);
                p.field("MemorySize").u64(u64::from(f.task.memory.mib()));
                p.field("Timeout").u64(f.timeout_secs);
                p.field("ReservedConcurrentExecutions")
                    .u64(u64::from(f.concurrency.reserved));
                if !variables.is_empty() {
                    p.field("Environment").object(|o| {
                        o.field("Variables").object(|o| {
                            for (k, v) in &variables {
                                let j = o.key(k);
                                match v {
                                    Var::Text(t) => j.str(t),
                                    Var::SecretArn(s) => secret_env_arn(j, s),
                                    Var::Ref(r) => r.write(j),
                                }
                            }
                        })
                    });
                    key.write(p.field("KmsKeyArn"));
                }
                if let Some(dlq) = f.dead_letter {
                    p.field("DeadLetterConfig")
                        .object(|o| Ref::GetAtt(dlq, "Arn").write(o.field("TargetArn")));
                }
                p.field("LoggingConfig")
                    .object(|o| Ref::Id(&log_group).write(o.field("LogGroup")));
                p.field("TracingConfig")
                    .object(|o| o.field("Mode").str("Active"));
                p.field("VpcConfig").object(|o| {
                    o.field("SecurityGroupIds").array(|a| sg.write(a.item()));
                    match (network, &subnets) {
                        (Some(n), _) => o.field("SubnetIds").strs(&n.private_subnets),
                        (None, Some(r)) => r.write(o.field("SubnetIds")),
                        (None, None) => unreachable!("no network means subnet parameters"),
                    }
                });
                p.field("Tags").raw(&scope.tag_list);
            },
        );
        for (alarm, what, metric) in [
            (
                "ErrorsAlarm",
                "failed",
                &crate::aws::alarms::FUNCTION_ERRORS,
            ),
            (
                "ThrottlesAlarm",
                "were throttled",
                &crate::aws::alarms::FUNCTION_THROTTLES,
            ),
        ] {
            self.alarm(
                scope,
                &scope.path(&[&cid, alarm, "Resource"]),
                &format!("Invocations of function {function_name} {what}"),
                &Metric {
                    alarm: metric,
                    value: Val::Name(&function_name),
                },
            );
        }
    }
}

/// A function's image: an ECR reference as written, or the ECR
/// pull-through cache's copy of an image from another registry, in this
/// account and region (`names::image_source`).
fn image_uri<O: Out>(j: &mut Json<O>, image: &Image, source: &names::ImageSource) {
    match source {
        names::ImageSource::Ecr(uri) => j.str(uri),
        names::ImageSource::Cache(rule, path) => {
            let rest = format!("/{}/{path}", rule.prefix);
            join(
                j,
                &[
                    Part::Ref(Ref::Id("AWS::AccountId")),
                    Part::Text(".dkr.ecr."),
                    Part::Ref(Ref::Id("AWS::Region")),
                    Part::Text("."),
                    Part::Ref(Ref::Id("AWS::URLSuffix")),
                    Part::Text(&rest),
                ],
            );
        }
        // Refused by target fit; written as given.
        names::ImageSource::OtherRegion(_) | names::ImageSource::Unsupported(_) => {
            j.str(&image.to_string())
        }
    }
}

fn write_allow<O: Out>(j: &mut Json<O>, s: &Allow) {
    j.object(|o| {
        o.field("Effect").str("Allow");
        match s.actions {
            [one] => o.field("Action").str(one),
            many => o.field("Action").strs(many),
        }
        let resource = |j: &mut Json<O>, r: &Resource| match r {
            Resource::Ref(r) => r.write(j),
            Resource::Secret(s) => secret_arn(j, s),
            Resource::Function(name) => {
                arn(j, "lambda", &[Part::Text("function:"), Part::Text(name)])
            }
        };
        match s.resources.as_slice() {
            [one] => resource(o.field("Resource"), one),
            many => o.field("Resource").array(|a| {
                for r in many {
                    resource(a.item(), r);
                }
            }),
        }
    });
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

/// The IAM resource of a secret (`aws::iam::secret_resource`): a complete
/// ARN as given; a partial ARN, or a name's ARN, with the pattern of the
/// six random characters Secrets Manager appends. The name stays a
/// literal item of `Fn::Join`.
fn secret_arn<O: Out>(j: &mut Json<O>, secret: &SecretRef) {
    use crate::aws::iam::{secret_resource, SecretResource, SECRET_SUFFIX_PATTERN};
    match secret_resource(secret) {
        SecretResource::Arn(a) => j.str(a),
        SecretResource::PartialArn(a) => j.str(&format!("{a}{SECRET_SUFFIX_PATTERN}")),
        SecretResource::Name(n) => arn(
            j,
            "secretsmanager",
            &[
                Part::Text("secret:"),
                Part::Text(n),
                Part::Text(SECRET_SUFFIX_PATTERN),
            ],
        ),
    }
}

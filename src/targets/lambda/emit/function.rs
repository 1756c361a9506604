//! Services and jobs as functions: role (least privilege), log group,
//! security group, image parameter and function, then what triggers them
//! (event source mappings, API routes, schedules).

use super::*;
use crate::aws::iam;

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

impl<'v, R: Resolve, O: Out> Emitter<'_, 'v, R, O> {
    pub(super) fn service(&mut self, scope: &Scope, s: &Service, function: &str, image: &str) {
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
        if crate::targets::lambda::copy::is_public(s) {
            self.api_routes(scope, s, function);
        }
    }

    pub(super) fn job(
        &mut self,
        scope: &Scope,
        j: &crate::model::Job,
        function: &str,
        image: &str,
    ) {
        let cid = construct_id(j.name.as_str());
        let full = scope.full(j.name.as_str());
        let dlq_name = names::job_dead_letter(&full);
        let dlq_path = scope.path(&[&cid, "DeadLetterQueue", "Resource"]);
        let dlq = make_unique_id(&dlq_path);
        self.dead_letter_queue(scope, &dlq, &dlq_path, &dlq_name, false);
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
        let fnames = names::function(&full);
        let function_name = fnames.function.clone();
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

        let log_group_name = fnames.log_group.clone();
        let log_group = self.log_group(
            scope,
            &scope.path(&[&cid, "LogGroup", "Resource"]),
            &log_group_name,
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
        // Functions are handed their queues' URLs: no lookup by name.
        for (actions, queues) in [
            (iam::QUEUE_PUBLISH, f.publishes),
            (iam::QUEUE_CONSUME, f.consumes),
        ] {
            if !queues.is_empty() {
                let resources = queues
                    .iter()
                    .map(|q| Resource::Ref(self.queue_ref(scope, q, Some("Arn"))))
                    .collect();
                statements.push(Allow { actions, resources });
            }
        }
        if !f.secrets.is_empty() {
            let mut secrets: Vec<&SecretRef> = f.secrets.values().collect();
            secrets.sort();
            secrets.dedup();
            statements.push(Allow {
                actions: iam::SECRET_READ,
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
                actions: iam::FUNCTION_INVOKE,
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
        let role_name = fnames.role.clone();
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

//! blueprint's ECS platform module (`templates/ecs/platform/`), seen from
//! its caller: which module resources each argument entry creates, which
//! arguments drive each of them, and the access they grant. The root's
//! `module` blocks carry everything that varies, so comparing the module
//! arguments entry by entry tells which module resources change.
//!
//! Keep in step with the module's `for_each`/`count` rules: a resource is
//! listed here under the same condition the module creates it.

use super::{one_or_many, show, Access, Inventory};
use serde_json::{json, Map, Value};

/// A `module` block whose `source` is blueprint's platform module.
pub fn is_platform(args: &Value) -> bool {
    args.get("source")
        .and_then(Value::as_str)
        .is_some_and(|s| s.trim_end_matches('/').ends_with("modules/platform"))
}

struct Module<'a> {
    prefix: String,
    args: &'a Value,
    inv: &'a mut Inventory,
}

impl Module<'_> {
    /// `module.shared.aws_ecs_service.this["globex-api"]`, or `[0]`.
    fn addr(&self, resource: &str, key: Option<&str>) -> String {
        match key {
            Some(k) => format!(
                "{}{resource}[{}]",
                self.prefix,
                Value::String(k.to_string())
            ),
            None => format!("{}{resource}[0]", self.prefix),
        }
    }

    /// The module-level arguments a resource depends on.
    fn args(&self, names: &[&str]) -> Value {
        let mut m = Map::new();
        for n in names {
            if let Some(v) = self.args.get(*n) {
                m.insert((*n).to_string(), v.clone());
            }
        }
        Value::Object(m)
    }

    fn put(&mut self, resource: &str, key: Option<&str>, value: Value) -> String {
        let a = self.addr(resource, key);
        self.inv.resources.insert(a.clone(), value);
        a
    }

    /// A resource that exists once per module instance.
    fn single(&mut self, resource: &str, args: &[&str]) -> String {
        let a = format!("{}{resource}", self.prefix);
        let v = self.args(args);
        self.inv.resources.insert(a.clone(), v);
        a
    }
}

fn entries<'a>(args: &'a Value, key: &str) -> Vec<(&'a String, &'a Value)> {
    args.get(key)
        .and_then(Value::as_object)
        .map(|o| o.iter().collect())
        .unwrap_or_default()
}

/// Picks `keys` of an entry (absent keys left out).
fn pick(entry: &Value, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for k in keys {
        if let Some(v) = entry.get(*k) {
            m.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(m)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    one_or_many(v).into_iter().map(show).collect()
}

fn number(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// Whether an optional argument is given: present and not null. A value
/// this root does not fix (a variable without a default, an expression
/// over variables) may be anything, so it counts as given; a root read
/// whole has its variables' defaults in place (`hcl::root_inventory`).
fn given(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null))
}

/// The actions of one of the module's `iam_actions` lists, for grants.
fn actions(args: &Value, list: &str) -> String {
    let v = strings(args.get("iam_actions").and_then(|a| a.get(list)));
    if v.is_empty() {
        list.to_string()
    } else {
        v.join(", ")
    }
}

/// The alarm the module's `alarms` argument names for `list` (itself, or
/// its entry `key`), as the module keys it: `aws_cloudwatch_metric_alarm
/// .this["<list>:<key>"]`, or `["<list>"]` for one of a copy's own.
fn put_alarm(m: &mut Module, list: &str, key: Option<&str>) {
    let Some(v) = m.args.get("alarms").and_then(|a| a.get(list)) else {
        return;
    };
    let (name, address) = match key {
        Some(k) => (v.get(k), format!("{list}:{k}")),
        None => (Some(v), list.to_string()),
    };
    let Some(name) = name.filter(|n| !n.is_null()) else {
        return;
    };
    let rule = m
        .args
        .get("alarm_rules")
        .and_then(|r| r.get(list))
        .cloned()
        .unwrap_or(Value::Null);
    let value = json!([name, rule, m.args(&["alarm_topic_arn", "tags"])]);
    m.put("aws_cloudwatch_metric_alarm.this", Some(&address), value);
}

/// A stateful service's EFS file system (`storage.tf`): the file system,
/// its backup and file system policies, access point, mount targets (one
/// per Availability Zone of the private subnets; counted here as one per
/// private subnet, which they are when each zone has one), their security
/// group and NFS rules, and the task role's grant.
fn storage(m: &mut Module, k: &str, s: &Value, st: &Value) {
    let mut fs = pick(st, &["file_system"]);
    fs["tenant"] = s.get("tenant").cloned().unwrap_or(Value::Null);
    fs["module"] = m.args(&["tags"]);
    m.put("aws_efs_file_system.service", Some(k), fs);
    m.put("aws_efs_backup_policy.service", Some(k), json!({}));
    m.put("aws_efs_file_system_policy.service", Some(k), json!({}));
    m.put(
        "aws_efs_access_point.service",
        Some(k),
        pick(st, &["file_system", "uid", "gid"]),
    );
    let mut sg = pick(st, &["security_group"]);
    sg["module"] = m.args(&["vpc_id", "tags"]);
    m.put("aws_security_group.storage", Some(k), sg);
    let a = m.put(
        "aws_vpc_security_group_ingress_rule.storage_nfs",
        Some(k),
        json!({}),
    );
    m.inv.grant(
        &a,
        Access::Network,
        format!("ingress tcp/2049 (NFS) into the EFS file system of {k} from {k}"),
    );
    m.put(
        "aws_vpc_security_group_egress_rule.storage_nfs",
        Some(k),
        json!({}),
    );
    let subnets = match m.args.get("private_subnet_ids") {
        Some(Value::Array(ids)) => ids.iter().map(show).collect(),
        _ => vec!["private_subnet_ids".to_string()],
    };
    for subnet in subnets {
        m.put(
            "aws_efs_mount_target.service",
            Some(&format!("{k}@<zone of {subnet}>")),
            json!({ "subnet": subnet }),
        );
    }
    let a = m.put(
        "aws_iam_role_policy.task_storage",
        Some(k),
        pick(st, &["file_system"]),
    );
    let fs = st.get("file_system").map(show).unwrap_or_default();
    m.inv.grant(
        &a,
        Access::Iam,
        format!(
            "allow {} on EFS file system {fs} through its access point (for {k})",
            actions(m.args, "storage_mount")
        ),
    );
}

/// Adds the resources and grants of `module "<name>"` with `args`.
pub fn expand(name: &str, args: &Value, inv: &mut Inventory) {
    let mut m = Module {
        prefix: format!("module.{name}."),
        args,
        inv,
    };
    let services = entries(args, "services");
    let jobs = entries(args, "jobs");
    let queues = entries(args, "queues");

    m.single("aws_kms_key.platform", &["names", "tags"]);
    m.single("aws_kms_alias.platform", &["names"]);
    m.single(
        "aws_cloudwatch_log_group.exec",
        &["names", "log_retention_days", "tags"],
    );
    m.single("aws_ecs_cluster.this", &["names", "tags"]);
    m.single("aws_ecs_cluster_capacity_providers.this", &["names"]);

    // Every workload: logs, roles, task definition, security group, calls.
    // A service runs its task definition: a new revision (a new image tag)
    // updates the service too.
    let mut task_definitions = std::collections::BTreeMap::new();
    let port_of = |svc: &str| {
        services
            .iter()
            .find(|(k, _)| k.as_str() == svc)
            .and_then(|(_, s)| s.get("port").cloned())
            .unwrap_or(Value::Null)
    };
    let workloads = services
        .iter()
        .map(|(k, w)| (k, w, true))
        .chain(jobs.iter().map(|(k, w)| (k, w, false)));
    for (k, w, is_service) in workloads {
        let k = k.as_str();
        let common = m.args(&["tags", "log_retention_days"]);
        m.put(
            "aws_cloudwatch_log_group.workload",
            Some(k),
            json!([common, pick(w, &["log_group", "tenant"])]),
        );
        m.put(
            "aws_iam_role.execution",
            Some(k),
            pick(w, &["execution_role"]),
        );
        m.put(
            "aws_iam_role_policy_attachment.execution",
            Some(k),
            pick(w, &["execution_role"]),
        );
        m.put("aws_iam_role.task", Some(k), pick(w, &["task_role"]));
        if is_service {
            // ECS Exec: the same fixed grant for every service, not listed
            // as a widening (the new service is in the resource list).
            m.put("aws_iam_role_policy.task_exec", Some(k), json!({}));
        }
        let grants = strings(w.get("secret_grants"));
        let registry = w
            .get("registry")
            .and_then(|r| args.get("registry_credentials")?.get(show(r)))
            .filter(|c| given(Some(c)))
            .map(show);
        if !grants.is_empty() || registry.is_some() {
            let mut v = pick(w, &["secret_grants", "registry"]);
            v["module"] = m.args(&["registry_credentials", "secrets_kms_key_arns"]);
            let a = m.put("aws_iam_role_policy.execution_secrets", Some(k), v);
            let read = actions(args, "secret_read");
            for s in grants.iter().chain(&registry) {
                m.inv.grant(
                    &a,
                    Access::Iam,
                    format!("allow {read} on secret {s} (for {k})"),
                );
            }
            for key in strings(args.get("secrets_kms_key_arns")) {
                m.inv.grant(
                    &a,
                    Access::Iam,
                    format!(
                        "allow {} with key {key} through Secrets Manager (for {k})",
                        actions(args, "kms_decrypt")
                    ),
                );
            }
        }
        let publishes = strings(w.get("publishes"));
        let consumes = strings(w.get("consumes"));
        if !publishes.is_empty() || !consumes.is_empty() {
            let a = m.put(
                "aws_iam_role_policy.task_queues",
                Some(k),
                pick(w, &["publishes", "consumes"]),
            );
            let (publish, consume) = (
                actions(args, "queue_publish"),
                actions(args, "queue_consume"),
            );
            for q in &publishes {
                m.inv.grant(
                    &a,
                    Access::Iam,
                    format!("allow {publish} on queue {q} (for {k})"),
                );
            }
            for q in &consumes {
                m.inv.grant(
                    &a,
                    Access::Iam,
                    format!("allow {consume} on queue {q} (for {k})"),
                );
            }
        }
        let mut task = pick(
            w,
            &[
                "name",
                "image",
                "image_tag",
                "registry",
                "cpu",
                "memory",
                "command",
                "environment",
                "queue_urls",
                "secrets",
                "scratch_paths",
                "port",
                "tenant",
                "execution_role",
                "task_role",
                "log_group",
                "storage",
            ],
        );
        task["module"] = m.args(&["tags", "region", "scratch_image", "registry_credentials"]);
        m.put("aws_ecs_task_definition.workload", Some(k), task.clone());
        task_definitions.insert(k.to_string(), task);
        let mut sg = pick(w, &["name", "security_group", "tenant"]);
        sg["module"] = m.args(&["vpc_id", "tags"]);
        m.put("aws_security_group.workload", Some(k), sg);
        m.put(
            "aws_vpc_security_group_egress_rule.https",
            Some(k),
            json!({}),
        );
        for c in strings(w.get("calls")) {
            let edge = format!("{k}>{c}");
            let port = port_of(&c);
            let v = json!({ "from": k, "to": c, "port": port });
            let a = m.put(
                "aws_vpc_security_group_ingress_rule.calls",
                Some(&edge),
                v.clone(),
            );
            m.put("aws_vpc_security_group_egress_rule.calls", Some(&edge), v);
            m.inv.grant(
                &a,
                Access::Network,
                format!("ingress tcp/{} into {c} from {k}", show(&port)),
            );
        }
    }

    // Services.
    let mut any_public = false;
    let mut hosts = std::collections::BTreeSet::new();
    let mut any_port = false;
    for (k, s) in &services {
        let k = k.as_str();
        let public = s.get("public") == Some(&Value::Bool(true));
        let has_port = s.get("port").is_some_and(|p| !p.is_null());
        any_public |= public;
        any_port |= has_port;
        let mut svc = pick(
            s,
            &[
                "name",
                "tenant",
                "min_count",
                "spot_percent",
                "public",
                "port",
                "health",
                "target_group",
            ],
        );
        svc["module"] = m.args(&["private_subnet_ids", "tags", "wait_for_steady_state"]);
        svc["task_definition"] = task_definitions.get(k).cloned().unwrap_or(Value::Null);
        let (min, max) = (number(s.get("min_count")), number(s.get("max_count")));
        let scaled = matches!((min, max), (Some(min), Some(max)) if max > min);
        if scaled {
            // Application Auto Scaling owns the count: min moves its target.
            svc.as_object_mut().map(|o| o.remove("min_count"));
        }
        let resource = if scaled {
            "aws_ecs_service.scaled"
        } else {
            "aws_ecs_service.this"
        };
        m.put(resource, Some(k), svc);
        if has_port {
            m.put(
                "aws_service_discovery_service.this",
                Some(k),
                pick(s, &["discovery"]),
            );
        }
        if public {
            let port = s.get("port").map(show).unwrap_or_default();
            let mut tg = pick(s, &["target_group", "port", "health"]);
            tg["module"] = m.args(&["vpc_id", "tags"]);
            let tg_addr = m.put("aws_lb_target_group.service", Some(k), tg);
            for list in ["target_5xx", "unhealthy_hosts"] {
                put_alarm(&mut m, list, Some(k));
            }
            m.inv.grant(
                &tg_addr,
                Access::Public,
                format!("service {k} is reachable from the internet through the load balancer"),
            );
            let a = m.put(
                "aws_vpc_security_group_ingress_rule.from_load_balancer",
                Some(k),
                pick(s, &["port"]),
            );
            m.inv.grant(
                &a,
                Access::Network,
                format!("ingress tcp/{port} into {k} from the load balancer"),
            );
            m.put(
                "aws_vpc_security_group_egress_rule.load_balancer_to_service",
                Some(k),
                pick(s, &["port"]),
            );
            let domain = args.get("domain_name").filter(|d| given(Some(d)));
            let host = match (s.get("host_prefix").map(show), domain) {
                (Some(h), Some(_)) => format!("{h}.<domain_name>"),
                _ => "any host".to_string(),
            };
            if let Some(d) = domain {
                hosts.insert(match s.get("host_prefix").map(show) {
                    Some(h) => format!("{h}.{}", show(d)),
                    None => show(d),
                });
            }
            let priorities = one_or_many(s.get("rule_priorities"));
            for (i, r) in strings(s.get("routes")).iter().enumerate() {
                let key = format!("{k}#{i}");
                let paths = if r == "/" {
                    "/*".to_string()
                } else {
                    format!("{r} and {r}/*")
                };
                let priority = priorities.get(i).copied().cloned().unwrap_or(Value::Null);
                let mut rule = json!({ "path": r, "priority": priority });
                rule["host"] = s.get("host_prefix").cloned().unwrap_or(Value::Null);
                rule["module"] = m.args(&["domain_name", "tags"]);
                let a = m.put("aws_lb_listener_rule.route", Some(&key), rule);
                m.inv.grant_on(
                    &tg_addr,
                    &a,
                    Access::Public,
                    format!("{host} {paths} forwards to {k}"),
                );
            }
        }
        if let Some(st) = s.get("storage").filter(|v| given(Some(v))) {
            storage(&mut m, k, s, st);
        }
        if let (Some(min), Some(max)) = (min, max) {
            if max > min {
                m.put(
                    "aws_appautoscaling_target.service",
                    Some(k),
                    pick(s, &["min_count", "max_count", "name"]),
                );
                let set = |key: &str| s.get(key).is_some_and(|v| !v.is_null());
                // One target-tracking policy per (service, metric).
                for (metric, arg) in [
                    ("cpu", "cpu_target"),
                    ("memory", "memory_target"),
                    ("requests", "requests_target"),
                ] {
                    if set(arg) && (metric != "requests" || public) {
                        m.put(
                            "aws_appautoscaling_policy.target",
                            Some(&format!("{k}:{metric}")),
                            pick(s, &[arg]),
                        );
                    }
                }
                if set("queue_depth") {
                    m.put(
                        "aws_appautoscaling_policy.backlog",
                        Some(k),
                        pick(s, &["queue_depth", "queue_depth_from"]),
                    );
                }
                if set("queue_depth_from") && min == 0.0 {
                    let v = pick(s, &["queue_depth_from"]);
                    m.put("aws_appautoscaling_policy.wake", Some(k), v.clone());
                    m.put("aws_cloudwatch_metric_alarm.wake", Some(k), v);
                }
            }
        }
    }
    if any_port {
        m.put(
            "aws_service_discovery_private_dns_namespace.this",
            None,
            m.args(&["names", "vpc_id", "tags"]),
        );
    }
    if any_public {
        m.put(
            "aws_security_group.load_balancer",
            None,
            m.args(&["names", "vpc_id", "tags"]),
        );
        for (rule, port, what) in [
            ("load_balancer_https", 443, "HTTPS"),
            ("load_balancer_http", 80, "HTTP, redirected to HTTPS"),
        ] {
            let a = m.put(
                &format!("aws_vpc_security_group_ingress_rule.{rule}"),
                None,
                json!({}),
            );
            m.inv.grant(
                &a,
                Access::Network,
                format!("ingress tcp/{port} into the load balancer from 0.0.0.0/0 ({what})"),
            );
        }
        let lb = m.put(
            "aws_lb.public",
            None,
            m.args(&[
                "names",
                "public_subnet_ids",
                "deletion_protection",
                "access_logs_bucket",
                "tags",
            ]),
        );
        m.inv
            .grant(&lb, Access::Public, "internet-facing load balancer");
        m.put("aws_lb_listener.https", None, m.args(&["certificate_arn"]));
        m.put("aws_lb_listener.http", None, json!({}));
        if given(args.get("waf_web_acl_arn")) {
            m.put(
                "aws_wafv2_web_acl_association.public",
                None,
                m.args(&["waf_web_acl_arn"]),
            );
        }
        if given(args.get("route53_zone_id")) {
            for host in hosts.iter() {
                m.put(
                    "aws_route53_record.public",
                    Some(host),
                    m.args(&["route53_zone_id"]),
                );
            }
        }
        put_alarm(&mut m, "load_balancer_5xx", None);
    }

    // Jobs.
    for (k, j) in &jobs {
        let k = k.as_str();
        m.put(
            "aws_cloudwatch_log_group.job_runs",
            Some(k),
            json!([
                pick(j, &["runs_log_group"]),
                m.args(&["log_retention_days", "tags"])
            ]),
        );
        m.put(
            "aws_iam_role.job_runner",
            Some(k),
            pick(j, &["runner_role"]),
        );
        let a = m.put(
            "aws_iam_role_policy.job_runner",
            Some(k),
            pick(j, &["runner_role"]),
        );
        let name = j.get("name").map(show).unwrap_or_default();
        m.inv.grant(
            &a,
            Access::Iam,
            format!(
                "allow {} on task definition {name} in its cluster, and {} on the task it starts (ecs:CreateAction = RunTask) (for {k})",
                actions(args, "run_task"),
                actions(args, "tag_task")
            ),
        );
        m.put(
            "aws_sfn_state_machine.job",
            Some(k),
            pick(j, &["name", "timeout_seconds", "retries"]),
        );
        m.put(
            "aws_iam_role.scheduler",
            Some(k),
            pick(j, &["scheduler_role"]),
        );
        m.put(
            "aws_iam_role_policy.scheduler",
            Some(k),
            pick(j, &["scheduler_role"]),
        );
        for (i, s) in one_or_many(j.get("schedules")).into_iter().enumerate() {
            m.put(
                "aws_scheduler_schedule.job",
                Some(&format!("{k}#{i}")),
                s.clone(),
            );
        }
        for list in ["job_failed", "job_timed_out"] {
            put_alarm(&mut m, list, Some(k));
        }
    }
    let scheduler_dead_letter = args
        .get("names")
        .and_then(|n| n.get("scheduler_dead_letter"))
        .filter(|_| !jobs.is_empty());
    if let Some(q) = scheduler_dead_letter {
        m.put(
            "aws_sqs_queue.scheduler_dead_letter",
            None,
            json!([q, m.args(&["tags"])]),
        );
        m.put(
            "aws_sqs_queue_policy.scheduler_dead_letter",
            None,
            json!({}),
        );
        put_alarm(&mut m, "scheduler_dead_letter", None);
    }

    // Queues.
    for (k, q) in &queues {
        let k = k.as_str();
        let mut v = pick(
            q,
            &[
                "name",
                "fifo",
                "visibility_timeout_seconds",
                "message_retention_seconds",
                "dead_letter",
            ],
        );
        v["module"] = m.args(&["tags"]);
        m.put("aws_sqs_queue.this", Some(k), v);
        m.put("aws_sqs_queue_policy.this", Some(k), json!({}));
        if q.get("dead_letter").is_some_and(|d| !d.is_null()) {
            m.put(
                "aws_sqs_queue.dead_letter",
                Some(k),
                pick(q, &["dead_letter"]),
            );
            m.put(
                "aws_sqs_queue_redrive_allow_policy.dead_letter",
                Some(k),
                json!({}),
            );
            m.put("aws_sqs_queue_policy.dead_letter", Some(k), json!({}));
            put_alarm(&mut m, "dead_letters", Some(k));
        }
    }
}

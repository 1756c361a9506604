//! The runtime contract: the environment variables every service and job
//! is given, the same way on every target, so that one image finds its own
//! queues, callees and secrets wherever it runs (docs/runtime-contract.md).
//!
//! This module decides the variables' names and where each value comes
//! from; a target turns each [`Source`] into its own form (a Terraform
//! reference, a CloudFormation `Ref`, a Kubernetes `secretKeyRef`).

use super::names::{ecs, eks, Copy};
use crate::model::{Environment, Model, Name, Queue, SecretRef, Target, Task};

pub const APP: &str = "BLUEPRINT_APP";
pub const ENVIRONMENT: &str = "BLUEPRINT_ENVIRONMENT";
pub const TENANT: &str = "BLUEPRINT_TENANT";
pub const REGION: &str = "AWS_REGION";

/// Where a variable's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source<'m> {
    /// Known at render time.
    Text(String),
    /// The region, as the platform provides it. Lambda sets `AWS_REGION`
    /// itself (the name is reserved there); elsewhere it is this text.
    Region(String),
    /// The URL of this tenant's copy of the queue, which the target knows
    /// only when it creates it (a Terraform attribute, a `Ref`).
    QueueUrl(&'m Queue),
    /// The queue's name, where neither the URL nor the account is known
    /// (EKS without `account`): the workload calls `GetQueueUrl`.
    QueueName(String),
    /// A called service's function name (Lambda), by the callee's name.
    FunctionName(&'m Name),
    /// A secret's value, injected by the platform (ECS `valueFrom`, a
    /// Kubernetes Secret materialised from Secrets Manager).
    SecretValue(&'m SecretRef),
    /// A secret's ARN (Lambda, which cannot inject values): the function
    /// reads the value itself.
    SecretArn(&'m SecretRef),
}

/// One variable of the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Var<'m> {
    pub name: String,
    pub source: Source<'m>,
}

/// `orders` -> `ORDERS`; `nightly-report` -> `NIGHTLY_REPORT`.
pub fn upper(name: &str) -> String {
    name.replace('-', "_").to_ascii_uppercase()
}

pub fn queue_url_var(queue: &str) -> String {
    format!("{}_QUEUE_URL", upper(queue))
}

pub fn queue_name_var(queue: &str) -> String {
    format!("{}_QUEUE_NAME", upper(queue))
}

pub fn service_url_var(service: &str) -> String {
    format!("{}_URL", upper(service))
}

pub fn function_name_var(service: &str) -> String {
    format!("{}_FUNCTION_NAME", upper(service))
}

pub fn secret_arn_var(key: &str) -> String {
    format!("{key}_SECRET_ARN")
}

/// Whether a target hands workloads queue names rather than URLs in
/// `env` (and so grants `sqs:GetQueueUrl`).
pub fn queue_lookup(target: Target, env: &Environment) -> bool {
    target == Target::Eks && env.account.is_none()
}

/// The SQS URL of queue `name` in `account`: SQS's endpoint in `region`.
pub fn sqs_url(region: &str, account: &str, name: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://sqs.{region}.{domain}/{account}/{name}")
}

/// The variables of one workload (`task`) of `tenant` in one platform copy
/// of `env`, on `target`, sorted by name. The user's own `env` is not
/// among them: normalize refuses a user key that is one of these.
pub fn variables<'m>(
    model: &'m Model,
    env: &'m Environment,
    copy: &Copy<'m>,
    tenant: Option<&'m Name>,
    task: Task<'m>,
    target: Target,
) -> Vec<Var<'m>> {
    let text = |s: &str| Source::Text(s.to_string());
    let mut vars = vec![
        Var {
            name: APP.into(),
            source: text(model.app.name.as_str()),
        },
        Var {
            name: ENVIRONMENT.into(),
            source: text(env.name.as_str()),
        },
        Var {
            name: TENANT.into(),
            source: text(tenant.map_or("", Name::as_str)),
        },
        Var {
            name: REGION.into(),
            source: Source::Region(model.app.region.clone()),
        },
    ];
    let mut queues: Vec<&Name> = task.publishes.iter().chain(task.consumes).collect();
    queues.sort();
    queues.dedup();
    for q in queues {
        // The model's queues are sorted by name.
        let Ok(i) = model.queues.binary_search_by(|x| x.name.cmp(q)) else {
            continue;
        };
        vars.push(queue_var(model, env, tenant, &model.queues[i], target));
    }
    for c in task.calls {
        vars.push(match target {
            Target::Lambda => Var {
                name: function_name_var(c.as_str()),
                source: Source::FunctionName(c),
            },
            _ => Var {
                name: service_url_var(c.as_str()),
                source: Source::Text(service_url(env, copy, tenant, c, target)),
            },
        });
    }
    for (key, secret) in task.secrets {
        vars.push(match target {
            Target::Lambda => Var {
                name: secret_arn_var(key),
                source: Source::SecretArn(secret),
            },
            _ => Var {
                name: key.clone(),
                source: Source::SecretValue(secret),
            },
        });
    }
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

fn queue_var<'m>(
    model: &'m Model,
    env: &'m Environment,
    tenant: Option<&'m Name>,
    queue: &'m Queue,
    target: Target,
) -> Var<'m> {
    let url = Var {
        name: queue_url_var(queue.name.as_str()),
        source: Source::QueueUrl(queue),
    };
    if target != Target::Eks {
        return url;
    }
    let names = eks::cluster(model, env).queue(tenant.map(Name::as_str), queue);
    match &env.account {
        Some(account) => Var {
            source: Source::Text(sqs_url(&model.app.region, account, &names.queue)),
            ..url
        },
        None => Var {
            name: queue_name_var(queue.name.as_str()),
            source: Source::QueueName(names.queue),
        },
    }
}

/// `http://<host>:<port>` of service `callee` as the caller's network
/// resolves it: Cloud Map's private DNS on ECS, the Service's name in the
/// tenant's own namespace on EKS.
fn service_url(
    env: &Environment,
    copy: &Copy,
    tenant: Option<&Name>,
    callee: &Name,
    target: Target,
) -> String {
    let workloads = env
        .all_workloads()
        .map(|(_, w)| w)
        .find(|w| w.tenant.as_ref() == tenant);
    let port = workloads
        .and_then(|w| w.services.iter().find(|s| &s.name == callee))
        .and_then(|s| s.port)
        .unwrap_or(80);
    let host = match target {
        Target::Ecs => {
            let svc = workloads.and_then(|w| w.services.iter().find(|s| &s.name == callee));
            let discovery = svc.map_or_else(
                || callee.to_string(),
                |s| ecs::service(copy, tenant, s).discovery,
            );
            format!("{discovery}.{}", ecs::copy(copy).dns_namespace)
        }
        // Every tenant's objects are in its own namespace: the short name
        // resolves to the tenant's own callee, and the objects stay the
        // same for every tenant.
        _ => callee.to_string(),
    };
    format!("http://{host}:{port}")
}

/// Every variable name the contract may set for a workload on any target,
/// for normalize to refuse in the user's `env` and `secrets`: the fixed
/// names, and per queue, callee and secret the names each target uses.
pub fn reserved(
    publishes: &[Name],
    consumes: &[Name],
    calls: &[Name],
    secret_keys: impl Iterator<Item = String>,
) -> Vec<(String, String)> {
    let mut out = vec![
        (APP.to_string(), "the application's name".to_string()),
        (
            ENVIRONMENT.to_string(),
            "the environment's name".to_string(),
        ),
        (TENANT.to_string(), "the tenant's name".to_string()),
        (REGION.to_string(), "the region".to_string()),
    ];
    for q in publishes.iter().chain(consumes) {
        out.push((queue_url_var(q.as_str()), format!("the URL of queue `{q}`")));
        out.push((
            queue_name_var(q.as_str()),
            format!("the name of queue `{q}`"),
        ));
    }
    for c in calls {
        out.push((
            service_url_var(c.as_str()),
            format!("the URL of service `{c}`"),
        ));
        out.push((
            function_name_var(c.as_str()),
            format!("the function name of service `{c}` on Lambda"),
        ));
    }
    for k in secret_keys {
        out.push((
            secret_arn_var(&k),
            format!("the ARN of secret `{k}` on Lambda"),
        ));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: { image: x, port: 8080, publishes: [orders], calls: [payments], secrets: { DB: prod/db } }\n  payments: { image: x, port: 9000 }\nqueues:\n  orders: {}\ntenants:\n  globex: {}\n  acme: { tier: dedicated }\nenvironments:\n  prod: { account: \"012345678901\" }\n  dev: {}\n";

    fn vars(target: Target, env: usize, platform: usize) -> Vec<(String, String)> {
        let m = crate::normalize::load(SHOP).unwrap();
        let e = &m.environments[env];
        let p = &e.platforms[platform];
        let copy = Copy::new(&m, e, p);
        let w = &p.tenants[0];
        let api = w
            .services
            .iter()
            .find(|s| s.name.as_str() == "api")
            .unwrap();
        variables(&m, e, &copy, w.tenant.as_ref(), api.task(), target)
            .into_iter()
            .map(|v| (v.name, format!("{:?}", v.source)))
            .collect()
    }

    #[test]
    fn each_target_gets_the_names_and_values_of_its_own_copy() {
        // Environments are sorted: dev (0), prod (1); platforms: shared, acme.
        let ecs = vars(Target::Ecs, 1, 0);
        let get = |v: &[(String, String)], k: &str| {
            v.iter().find(|(n, _)| n == k).map(|(_, s)| s.clone())
        };
        assert_eq!(get(&ecs, TENANT).unwrap(), "Text(\"globex\")");
        assert_eq!(
            get(&ecs, "PAYMENTS_URL").unwrap(),
            "Text(\"http://globex-payments.shop-prod.internal:9000\")"
        );
        assert!(get(&ecs, "ORDERS_QUEUE_URL")
            .unwrap()
            .starts_with("QueueUrl"));
        assert!(get(&ecs, "DB").unwrap().starts_with("SecretValue"));
        let acme = vars(Target::Ecs, 1, 1);
        assert_eq!(
            get(&acme, "PAYMENTS_URL").unwrap(),
            "Text(\"http://payments.shop-prod-acme.internal:9000\")"
        );
        // EKS: the URL with the account, the name without it.
        let prod = vars(Target::Eks, 1, 0);
        assert_eq!(
            get(&prod, "ORDERS_QUEUE_URL").unwrap(),
            "Text(\"https://sqs.eu-west-1.amazonaws.com/012345678901/shop-prod-globex-orders\")"
        );
        assert_eq!(
            get(&prod, "PAYMENTS_URL").unwrap(),
            "Text(\"http://payments:9000\")"
        );
        let dev = vars(Target::Eks, 0, 0);
        assert_eq!(
            get(&dev, "ORDERS_QUEUE_NAME").unwrap(),
            "QueueName(\"shop-dev-globex-orders\")"
        );
        assert!(get(&dev, "ORDERS_QUEUE_URL").is_none());
        // Lambda: function names and secret ARNs, never an ARN under `DB`.
        let l = vars(Target::Lambda, 1, 0);
        assert!(get(&l, "PAYMENTS_FUNCTION_NAME").is_some());
        assert!(get(&l, "DB_SECRET_ARN").unwrap().starts_with("SecretArn"));
        assert!(get(&l, "DB").is_none());
        let names: Vec<&String> = l.iter().map(|(n, _)| n).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted: {names:?}");
    }
}

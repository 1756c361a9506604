//! Valid blueprints of any size, for benchmarks and scale tests
//! (`blueprint generate --services N --tenants T`, hidden from help).
//!
//! For N services: a mix of public and internal HTTP services, queue workers
//! and plain background services; N/3 queues; N/5 jobs (cron and rate); T
//! tenants, every fifth one dedicated; three environments with overrides.
//! Every service calls up to two internal services and publishes to a queue,
//! so reference resolution and the `calls` graph are exercised at full size.

use serde_json::{json, Map, Value};

pub struct Shape {
    pub services: usize,
    pub tenants: usize,
}

pub fn blueprint(shape: &Shape) -> String {
    let n = shape.services.max(1);
    let queues = (n / 3).max(1);
    let jobs = n / 5;
    let queue = |i: usize| format!("q{:04}", i % queues);

    let mut services = Map::new();
    for i in 0..n {
        let name = format!("svc{i:04}");
        let mut s = Map::new();
        s.insert(
            "image".into(),
            json!(format!(
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{name}:1.{i}.0"
            )),
        );
        s.insert(
            "env".into(),
            json!({"LOG_LEVEL": "info", "INDEX": i.to_string()}),
        );
        match i % 4 {
            // public HTTP service with its own route
            0 => {
                s.insert("port".into(), json!(8080));
                s.insert("expose".into(), json!("public"));
                s.insert("routes".into(), json!([format!("/{name}")]));
                s.insert(
                    "scale".into(),
                    json!({"min": 2, "max": 10, "cpu": 70, "requests": 500}),
                );
                s.insert("health".into(), json!({"path": "/health"}));
            }
            // internal HTTP service
            1 | 2 => {
                s.insert("port".into(), json!(9000));
                s.insert("scale".into(), json!({"min": 1, "max": 4, "memory": 80}));
            }
            // queue worker
            _ => {
                s.insert("consumes".into(), json!([queue(i)]));
                s.insert(
                    "scale".into(),
                    json!({"min": 0, "max": 20, "queue_depth": 50}),
                );
                s.insert("spot".into(), json!(80));
            }
        }
        if i % 4 != 3 {
            s.insert("publishes".into(), json!([queue(i)]));
            // call the next internal services (i+1, i+2 when they are HTTP)
            let calls: Vec<String> = (1..=2)
                .map(|d| i + d)
                .filter(|j| *j < n && matches!(j % 4, 1 | 2))
                .map(|j| format!("svc{j:04}"))
                .collect();
            if !calls.is_empty() {
                s.insert("calls".into(), json!(calls));
            }
        }
        services.insert(name, Value::Object(s));
    }

    let mut queue_map = Map::new();
    for q in 0..queues {
        let spec = if q % 7 == 0 {
            json!({"fifo": true, "visibility_timeout": "2m", "dead_letter": {"max_receives": 3}})
        } else {
            json!({"visibility_timeout": "60s"})
        };
        queue_map.insert(queue(q), spec);
    }

    let mut job_map = Map::new();
    for j in 0..jobs {
        let schedule = if j % 2 == 0 {
            format!("{} {} * * 1-5", j % 60, j % 24)
        } else {
            format!("rate({} minutes)", 5 + j % 55)
        };
        job_map.insert(
            format!("job{j:04}"),
            json!({
                "schedule": schedule,
                "image": format!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/job{j:04}:2.0.0"),
                "timeout": "10m",
                "retries": 1,
                "publishes": [queue(j)],
            }),
        );
    }

    let mut tenants = Map::new();
    for t in 0..shape.tenants {
        let mut spec = Map::new();
        if t % 5 == 4 {
            spec.insert("tier".into(), json!("dedicated"));
        }
        spec.insert(
            "quota".into(),
            // Room for every service at its minimum (about 0.3 vCPU and
            // 0.6Gi each) and more: quotas must hold a tenant's minimum.
            json!({"cpu": 64 + n / 2, "memory": format!("{}Gi", 128 + n), "pods": 500 + 5 * n}),
        );
        if t % 3 == 1 {
            spec.insert(
                "overrides".into(),
                json!({"services": {"svc0000": {"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc0000:0.9.0"}}}),
            );
        }
        tenants.insert(format!("tenant{t:02}"), Value::Object(spec));
    }

    let env_overrides = |min: u32, max: u32| {
        let mut s = Map::new();
        for i in (0..n).step_by(10) {
            s.insert(
                format!("svc{i:04}"),
                json!({"scale": {"min": min, "max": max.max(min)}}),
            );
        }
        json!({"overrides": {"services": s}})
    };

    let mut doc = Map::new();
    doc.insert("version".into(), json!(1));
    doc.insert("name".into(), json!("bench"));
    doc.insert("region".into(), json!("eu-west-1"));
    doc.insert("tags".into(), json!({"team": "platform"}));
    doc.insert("services".into(), Value::Object(services));
    doc.insert("queues".into(), Value::Object(queue_map));
    if jobs > 0 {
        doc.insert("jobs".into(), Value::Object(job_map));
    }
    if shape.tenants > 0 {
        doc.insert("tenants".into(), Value::Object(tenants));
    }
    doc.insert(
        "environments".into(),
        json!({
            "dev": env_overrides(1, 2),
            "staging": env_overrides(1, 4),
            "prod": env_overrides(3, 30),
        }),
    );
    serde_yaml::to_string(&Value::Object(doc)).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Target, Tier};
    use crate::normalize;

    #[test]
    fn generated_blueprints_are_valid_for_every_target_at_every_size() {
        for (services, tenants) in [(1, 0), (4, 1), (10, 10), (37, 6), (250, 10)] {
            let source = blueprint(&Shape { services, tenants });
            let model = normalize::load(&source).unwrap_or_else(|d| {
                panic!("{services} x {tenants}: {d:?}");
            });
            for target in Target::ALL {
                let problems = normalize::fit(&model, target);
                assert!(
                    problems.is_empty(),
                    "{services} x {tenants} does not fit {}: {problems:?}",
                    target.as_str()
                );
            }
            assert_eq!(model.queues.len(), (services / 3).max(1));
            assert_eq!(model.tenants.len(), tenants);
            let dedicated = model
                .tenants
                .iter()
                .filter(|t| t.tier == Tier::Dedicated)
                .count();
            assert_eq!(dedicated, tenants / 5);
            assert_eq!(model.environments.len(), 3);
            for env in &model.environments {
                assert_eq!(env.base.services.len(), services);
                assert_eq!(env.base.jobs.len(), services / 5);
            }
        }
    }

    #[test]
    fn same_shape_same_text() {
        let shape = Shape {
            services: 50,
            tenants: 7,
        };
        assert_eq!(blueprint(&shape), blueprint(&shape));
    }
}

//! Models built in code, for emitter tests that must not depend on parsing.

use super::*;

pub fn name(s: &str) -> Name {
    Name::new_unchecked(s)
}

pub fn service(n: &str, image: &str) -> Service {
    Service {
        name: name(n),
        image: Image::parse(image).expect("fixture images are valid"),
        port: None,
        cpu: Cpu::from_millis(250),
        memory: Memory::from_mib(512),
        command: None,
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        health: None,
        expose: Expose::Internal,
        routes: vec!["/".into()],
        scale: Scale {
            min: 1,
            max: 1,
            cpu: None,
            memory: None,
            requests: None,
            queue_depth: None,
        },
        spot: 0,
        stateful: false,
        storage: None,
        publishes: vec![],
        consumes: vec![],
        calls: vec![],
        writable_paths: vec![],
    }
}

pub fn http(n: &str, image: &str, port: u16) -> Service {
    Service {
        port: Some(port),
        ..service(n, image)
    }
}

pub fn job(n: &str, image: &str, schedule: &str) -> Job {
    Job {
        name: name(n),
        schedule: Schedule::parse(schedule).expect("fixture schedules are valid"),
        image: Image::parse(image).expect("fixture images are valid"),
        command: None,
        cpu: Cpu::from_millis(250),
        memory: Memory::from_mib(512),
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        timeout: Duration::from_secs(900),
        retries: 0,
        spot: 0,
        publishes: vec![],
        consumes: vec![],
        calls: vec![],
        writable_paths: vec![],
    }
}

pub fn queue(n: &str) -> Queue {
    Queue {
        name: name(n),
        visibility_timeout: Duration::from_secs(30),
        retention: Duration::from_secs(4 * 86400),
        fifo: false,
        dead_letter: Some(DeadLetter { max_receives: 5 }),
    }
}

/// A model whose every environment holds `workloads` for every tenant:
/// tenants named in `shared` share a platform, `dedicated` get their own.
pub fn model(
    envs: &[&str],
    shared: &[&str],
    dedicated: &[&str],
    services: Vec<Service>,
    jobs: Vec<Job>,
    queues: Vec<Queue>,
) -> Model {
    let workloads = |tenant: Option<&str>| Workloads {
        tenant: tenant.map(name),
        services: services.clone(),
        jobs: jobs.clone(),
    };
    let mut tenants: Vec<Tenant> = shared
        .iter()
        .map(|t| (t, Tier::Shared))
        .chain(dedicated.iter().map(|t| (t, Tier::Dedicated)))
        .map(|(t, tier)| Tenant {
            name: name(t),
            tier,
            quota: Quota::default(),
        })
        .collect();
    tenants.sort_by(|a, b| a.name.cmp(&b.name));
    let platforms = || {
        let mut p = Vec::new();
        if shared.is_empty() && dedicated.is_empty() {
            p.push(Platform {
                kind: PlatformKind::Single,
                tenants: vec![workloads(None)],
            });
        }
        if !shared.is_empty() {
            p.push(Platform {
                kind: PlatformKind::Shared,
                tenants: shared.iter().map(|t| workloads(Some(t))).collect(),
            });
        }
        for t in dedicated {
            p.push(Platform {
                kind: PlatformKind::Dedicated(name(t)),
                tenants: vec![workloads(Some(t))],
            });
        }
        p
    };
    Model {
        app: App {
            name: name("shop"),
            region: "eu-west-1".into(),
            tags: BTreeMap::new(),
            network: None,
        },
        queues,
        tenants,
        environments: envs
            .iter()
            .map(|e| Environment {
                name: name(e),
                account: None,
                base: workloads(None),
                platforms: platforms(),
            })
            .collect(),
        locations: Default::default(),
    }
}

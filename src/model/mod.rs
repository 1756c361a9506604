//! The validated, normalized application model.
//!
//! Everything here has already been checked: names are valid, references
//! resolve, overrides are merged. Emitters read only this module; they never
//! see YAML. Collections are `Vec`s sorted by name (or `BTreeMap`s), so
//! iteration order is deterministic and never depends on the input's key order.

mod values;
pub use values::*;

mod schedule;
pub use schedule::*;

mod locations;
pub use locations::Locations;

use std::collections::BTreeMap;

/// The whole application after normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub app: App,
    /// Queues are declared once; every tenant gets its own copy.
    pub queues: Vec<Queue>,
    /// Declared tenants, sorted by name. Empty for a single-tenant app.
    pub tenants: Vec<Tenant>,
    /// Every environment, sorted by name (`prod` alone when none is declared).
    pub environments: Vec<Environment>,
    /// Where each key was written, for diagnostics raised after
    /// normalization.
    pub locations: Locations,
}

/// Application-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub name: Name,
    pub region: String,
    pub tags: BTreeMap<String, String>,
    /// `None`: the network is an input (Terraform variables / CFN parameters).
    pub network: Option<Network>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub vpc_id: String,
    pub private_subnets: Vec<String>,
    pub public_subnets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub name: Name,
    pub tier: Tier,
    pub quota: Quota,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Shared,
    Dedicated,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quota {
    pub cpu: Option<Cpu>,
    pub memory: Option<Memory>,
    pub pods: Option<u32>,
}

/// One environment with every tenant's workloads fully resolved
/// (base, then environment overrides, then tenant overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: Name,
    /// The AWS account the environment deploys to (12 digits), when the
    /// blueprint names it: Terraform refuses other accounts, and values
    /// that need the account (EKS queue URLs) are rendered with it.
    pub account: Option<String>,
    /// The workloads as this environment defines them, before any tenant's
    /// overrides (`tenant: None`): what a tenant that pins nothing runs.
    pub base: Workloads,
    /// The copies of the platform this environment runs: at most one shared
    /// platform (first), then one per dedicated tenant in name order.
    pub platforms: Vec<Platform>,
}

impl Environment {
    /// Every tenant's workloads in this environment, across platforms.
    pub fn all_workloads(&self) -> impl Iterator<Item = (&Platform, &Workloads)> {
        self.platforms
            .iter()
            .flat_map(|p| p.tenants.iter().map(move |w| (p, w)))
    }
}

/// One copy of the platform (an ECS cluster, a NodePool, a stack).
#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    pub kind: PlatformKind,
    /// The tenants it hosts, sorted by name; one entry with `tenant: None`
    /// for a single-tenant application.
    pub tenants: Vec<Workloads>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformKind {
    /// Single-tenant application: the one platform.
    Single,
    /// The platform shared by every `shared` tenant.
    Shared,
    /// A `dedicated` tenant's own platform.
    Dedicated(Name),
}

impl Platform {
    /// A short identifier: `main`, `shared` or the dedicated tenant's name.
    pub fn id(&self) -> &str {
        match &self.kind {
            PlatformKind::Single => "main",
            PlatformKind::Shared => "shared",
            PlatformKind::Dedicated(t) => t.as_str(),
        }
    }
}

/// One tenant's resolved services and jobs inside an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Workloads {
    /// `None` for a single-tenant application.
    pub tenant: Option<Name>,
    /// Sorted by name.
    pub services: Vec<Service>,
    /// Sorted by name.
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expose {
    Internal,
    Public,
}

/// What a service is, derived from its shape (contract: "HTTP service: it
/// has a port"; "no port + consumes => queue worker").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    Http,
    Worker,
    Background,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: Name,
    pub image: Image,
    pub port: Option<u16>,
    pub cpu: Cpu,
    pub memory: Memory,
    /// `None`: the image's own entrypoint/command.
    pub command: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    /// Environment variable name -> Secrets Manager name or ARN.
    pub secrets: BTreeMap<String, SecretRef>,
    /// `None` when the blueprint declares no `health` block.
    pub health: Option<Health>,
    pub expose: Expose,
    /// Path prefixes (public services), default `["/"]`.
    pub routes: Vec<String>,
    pub scale: Scale,
    /// Percent of capacity on spot, 0..=100.
    pub spot: u8,
    /// Whether the service keeps state on local disk (not Lambda-able).
    pub stateful: bool,
    /// The disk a stateful service keeps its state on (always set when
    /// `stateful`, never otherwise).
    pub storage: Option<Storage>,
    /// Queue names, sorted.
    pub publishes: Vec<Name>,
    /// Queue names, sorted.
    pub consumes: Vec<Name>,
    /// Service names, sorted.
    pub calls: Vec<Name>,
    /// Absolute paths that get writable scratch space under the read-only
    /// root filesystem, sorted.
    pub writable_paths: Vec<String>,
}

impl Service {
    pub fn kind(&self) -> ServiceKind {
        if self.port.is_some() {
            ServiceKind::Http
        } else if !self.consumes.is_empty() {
            ServiceKind::Worker
        } else {
            ServiceKind::Background
        }
    }
}

/// What a service and a job share: each runs one container image with its
/// size, command, environment, secrets and access to queues and services.
/// Targets read workloads through this view where they treat both alike.
#[derive(Debug, Clone, Copy)]
pub struct Task<'a> {
    pub name: &'a Name,
    pub image: &'a Image,
    pub cpu: Cpu,
    pub memory: Memory,
    pub command: &'a Option<Vec<String>>,
    pub env: &'a BTreeMap<String, String>,
    pub secrets: &'a BTreeMap<String, SecretRef>,
    pub spot: u8,
    pub publishes: &'a [Name],
    pub consumes: &'a [Name],
    pub calls: &'a [Name],
    pub writable_paths: &'a [String],
}

impl Service {
    pub fn task(&self) -> Task<'_> {
        Task {
            name: &self.name,
            image: &self.image,
            cpu: self.cpu,
            memory: self.memory,
            command: &self.command,
            env: &self.env,
            secrets: &self.secrets,
            spot: self.spot,
            publishes: &self.publishes,
            consumes: &self.consumes,
            calls: &self.calls,
            writable_paths: &self.writable_paths,
        }
    }
}

impl Job {
    pub fn task(&self) -> Task<'_> {
        Task {
            name: &self.name,
            image: &self.image,
            cpu: self.cpu,
            memory: self.memory,
            command: &self.command,
            env: &self.env,
            secrets: &self.secrets,
            spot: self.spot,
            publishes: &self.publishes,
            consumes: &self.consumes,
            calls: &self.calls,
            writable_paths: &self.writable_paths,
        }
    }
}

/// A stateful service's persistent volume: where it is mounted and how
/// big it is (EBS on EKS; on ECS, EFS is elastic and the size advisory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    pub path: String,
    pub size_gib: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// HTTP path probed, starting with `/`.
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    /// Start-up grace period.
    pub grace: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub min: u32,
    pub max: u32,
    /// Target CPU utilisation percent.
    pub cpu: Option<u8>,
    /// Target memory utilisation percent.
    pub memory: Option<u8>,
    /// Target requests per replica (per minute, ALB RequestCountPerTarget).
    pub requests: Option<u32>,
    /// Messages per replica on the one consumed queue.
    pub queue_depth: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub name: Name,
    pub schedule: Schedule,
    pub image: Image,
    pub command: Option<Vec<String>>,
    pub cpu: Cpu,
    pub memory: Memory,
    pub env: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, SecretRef>,
    pub timeout: Duration,
    pub retries: u32,
    /// Percent of runs on spot capacity, 0..=100.
    pub spot: u8,
    pub publishes: Vec<Name>,
    pub consumes: Vec<Name>,
    pub calls: Vec<Name>,
    /// As for services.
    pub writable_paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub name: Name,
    pub visibility_timeout: Duration,
    pub retention: Duration,
    pub fifo: bool,
    /// `None` when `dead_letter: false`.
    pub dead_letter: Option<DeadLetter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub max_receives: u32,
}

/// A Secrets Manager secret, by name or full ARN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretRef {
    Name(String),
    Arn(String),
}

impl SecretRef {
    pub fn parse(s: &str) -> SecretRef {
        if s.starts_with("arn:") {
            SecretRef::Arn(s.to_string())
        } else {
            SecretRef::Name(s.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            SecretRef::Name(s) | SecretRef::Arn(s) => s,
        }
    }
}

pub mod fargate;

/// The platforms blueprint renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Ecs,
    Eks,
    Lambda,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Ecs, Target::Eks, Target::Lambda];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Ecs => "ecs",
            Target::Eks => "eks",
            Target::Lambda => "lambda",
        }
    }
}

#[cfg(test)]
pub mod fixtures;

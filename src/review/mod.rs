//! What a change to the output folder means: resources added, changed and
//! removed, and every change that widens access (network ingress, IAM
//! grants, public exposure, RBAC). `blueprint diff` prints it above the
//! unified diffs.
//!
//! Each side of a changed file (on disk, and as render would write it) is
//! parsed by its format into an [`Inventory`]: resources by address, each
//! with a canonical JSON value, and the access [`Grant`]s they make. The
//! review compares the two inventories: addresses only on one side were
//! added or removed, equal addresses with unequal values changed, and
//! grants only on the new side widen access. Grants are spelled one
//! permission at a time (one action on one resource, one port from one
//! source), so broadening an existing statement shows up as the new pairs.
//!
//! - Terraform (`.tf`): `resource` and `data` blocks by address, grants
//!   from IAM policy documents (`jsonencode(...)`, JSON strings,
//!   `aws_iam_policy_document`), security-group ingress, internet-facing
//!   load balancers and endpoints. Blocks of blueprint's ECS platform
//!   module are expanded into the module resources each argument entry
//!   drives ([`ecs`]). Files of one folder form one root module.
//! - Kubernetes YAML: objects by kind, namespace and name; grants from
//!   NetworkPolicy rules, Ingress paths, LoadBalancer/NodePort Services, and
//!   RBAC rules and bindings.
//! - CloudFormation JSON (`Resources`): resources by logical ID; grants from
//!   policy documents, `AWS::Lambda::Permission`, API Gateway routes,
//!   function URLs and security-group ingress.
//!
//! Pure: the caller reads the files and passes their bytes in.

mod cfn;
mod ecs;
mod hcl;
mod kube;
mod policy;

#[cfg(test)]
mod tests;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The addresses of every resource a Terraform root file creates, with the
/// resources of blueprint's ECS platform module expanded per argument
/// entry as `diff` sees them: the one description of that module, which
/// `plan` counts from too.
pub fn terraform_resources(body: &::hcl::Body) -> Vec<String> {
    terraform_root_resources(&[body])
}

/// [`terraform_resources`] of a whole root (the bodies of its files): a
/// module argument naming a variable reads as the variable's default, so
/// what a default turns off (`waf_web_acl_arn = null`) is not listed.
pub fn terraform_root_resources(bodies: &[&::hcl::Body]) -> Vec<String> {
    let inv = hcl::root_inventory(bodies);
    inv.resources
        .into_keys()
        .filter(|a| !a.starts_with("data.") && !a.contains(".data."))
        .collect()
}

/// One file that would change: its bytes on disk and as render would
/// write them (`None`: absent on that side). A file with the same bytes
/// on both sides is context: it changes nothing itself, but is read with
/// the files of its root (a root's `variables.tf` gives the defaults its
/// `main.tf` names).
#[derive(Debug, Clone, Copy)]
pub struct FileChange<'a> {
    pub path: &'a str,
    pub old: Option<&'a [u8]>,
    pub new: Option<&'a [u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Add,
    Change,
    Remove,
}

/// A resource that would be added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceChange {
    /// Where the address lives: a Terraform root folder, a Kubernetes
    /// folder, or a CloudFormation template.
    pub scope: String,
    pub address: String,
    pub action: Action,
}

/// The kind of access a grant opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Network ingress (security groups, NetworkPolicy).
    Network,
    /// IAM permissions and resource policies.
    Iam,
    /// Reachable from outside: load balancers, routes, public endpoints.
    Public,
    /// Kubernetes RBAC.
    Rbac,
}

impl Access {
    fn label(self) -> &'static str {
        match self {
            Access::Network => "network",
            Access::Iam => "iam",
            Access::Public => "public",
            Access::Rbac => "rbac",
        }
    }
}

/// One permission: who may do what, made by the resource at `address`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub address: String,
    pub access: Access,
    pub detail: String,
    /// What the grant is compared by, with `access` and `detail`: the
    /// address, or something steadier when the address holds a list
    /// index (a route that moves from `#0` to `#1` is not new).
    pub subject: String,
}

impl Grant {
    fn key(&self) -> (&str, Access, &str) {
        (&self.subject, self.access, &self.detail)
    }
}

/// A new grant, with where it is made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Widening {
    pub scope: String,
    pub grant: Grant,
}

/// What one side of one scope holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Inventory {
    pub resources: BTreeMap<String, Value>,
    pub grants: BTreeSet<Grant>,
    /// Per resource, the fields its API refuses to change in place (a
    /// Deployment's selector), by name: a change there needs the resource
    /// replaced, which the review calls out.
    pub immutable: BTreeMap<String, BTreeMap<String, Value>>,
}

impl Inventory {
    fn extend(&mut self, other: Inventory) {
        self.resources.extend(other.resources);
        self.grants.extend(other.grants);
        self.immutable.extend(other.immutable);
    }

    fn grant(&mut self, address: &str, access: Access, detail: impl Into<String>) {
        self.grants.insert(Grant {
            address: address.to_string(),
            access,
            detail: detail.into(),
            subject: address.to_string(),
        });
    }

    fn grant_on(&mut self, subject: &str, address: &str, access: Access, detail: String) {
        self.grants.insert(Grant {
            address: address.to_string(),
            access,
            detail,
            subject: subject.to_string(),
        });
    }
}

/// The review of a whole diff.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Review {
    pub resources: Vec<ResourceChange>,
    pub widenings: Vec<Widening>,
    /// Changes to fields that cannot change in place, as
    /// (scope, address, field).
    pub immutable: Vec<(String, String, String)>,
    /// Changed files that were not analysed, and why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Terraform,
    Kubernetes,
    CloudFormation,
}

impl Format {
    fn of(path: &str) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.ends_with(".tf") {
            Some(Format::Terraform)
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Some(Format::Kubernetes)
        } else if name.ends_with(".json") {
            Some(Format::CloudFormation)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Terraform => "Terraform",
            Format::Kubernetes => "Kubernetes YAML",
            Format::CloudFormation => "CloudFormation JSON",
        }
    }

    /// Terraform roots and Kubernetes folders span the files of a folder;
    /// a CloudFormation template is its own stack.
    fn scope(self, path: &str) -> String {
        match self {
            Format::CloudFormation => path.to_string(),
            _ => match path.rsplit_once('/') {
                Some((dir, _)) => dir.to_string(),
                None => ".".to_string(),
            },
        }
    }

    fn parse(self, path: &str, text: &str) -> Result<Option<Parsed>, String> {
        match self {
            Format::Terraform => hcl::parse(text).map(|b| Some(Parsed::Terraform(b))),
            Format::Kubernetes => kube::inventory(path, text).map(|i| Some(Parsed::Inventory(i))),
            Format::CloudFormation => cfn::inventory(text).map(|i| i.map(Parsed::Inventory)),
        }
    }
}

/// One side of one file. Terraform files stay bodies until their whole
/// root is read, because variable defaults resolve across its files.
enum Parsed {
    Terraform(::hcl::Body),
    Inventory(Inventory),
}

/// One side of one scope.
#[derive(Default)]
struct Side {
    bodies: Vec<::hcl::Body>,
    inventory: Inventory,
}

impl Side {
    fn add(&mut self, p: Parsed) {
        match p {
            Parsed::Terraform(b) => self.bodies.push(b),
            Parsed::Inventory(i) => self.inventory.extend(i),
        }
    }

    fn inventory(mut self) -> Inventory {
        if !self.bodies.is_empty() {
            let bodies: Vec<&::hcl::Body> = self.bodies.iter().collect();
            self.inventory.extend(hcl::root_inventory(&bodies));
        }
        self.inventory
    }
}

/// Reviews the changed files. Deterministic: everything is sorted.
pub fn review(changes: &[FileChange]) -> Review {
    let mut out = Review::default();
    let mut scopes: BTreeMap<(Format, String), (Side, Side)> = BTreeMap::new();
    for c in changes {
        let Some(format) = Format::of(c.path) else {
            continue;
        };
        let side = |bytes: Option<&[u8]>| -> Result<Option<Option<Parsed>>, String> {
            match bytes {
                None => Ok(Some(None)),
                Some(b) => {
                    let text = std::str::from_utf8(b).map_err(|_| "not UTF-8".to_string())?;
                    format.parse(c.path, text).map(|p| p.map(Some))
                }
            }
        };
        match (side(c.old), side(c.new)) {
            (Ok(Some(old)), Ok(Some(new))) => {
                let entry = scopes.entry((format, format.scope(c.path))).or_default();
                if let Some(old) = old {
                    entry.0.add(old);
                }
                if let Some(new) = new {
                    entry.1.add(new);
                }
            }
            // Not a document of this kind (a JSON file without `Resources`).
            (Ok(None), _) | (_, Ok(None)) => {}
            (Err(e), _) => out.skipped.push(format!(
                "{}: the file on disk is not valid {} ({e}); see its diff",
                c.path,
                format.name()
            )),
            (_, Err(e)) => out.skipped.push(format!(
                "{}: the rendered file is not valid {} ({e}); see its diff",
                c.path,
                format.name()
            )),
        }
    }
    for ((_, scope), (old, new)) in scopes {
        let (old, new) = (old.inventory(), new.inventory());
        for (addr, value) in &new.resources {
            let action = match old.resources.get(addr) {
                None => Action::Add,
                Some(v) if v != value => Action::Change,
                Some(_) => continue,
            };
            out.resources.push(ResourceChange {
                scope: scope.clone(),
                address: addr.clone(),
                action,
            });
        }
        for addr in old.resources.keys() {
            if !new.resources.contains_key(addr) {
                out.resources.push(ResourceChange {
                    scope: scope.clone(),
                    address: addr.clone(),
                    action: Action::Remove,
                });
            }
        }
        // On an object both sides hold, a field set on one side only
        // changes too (a kustomization that starts to patch a claim).
        let none = BTreeMap::new();
        for addr in new
            .resources
            .keys()
            .filter(|a| old.resources.contains_key(*a))
        {
            let was = old.immutable.get(addr).unwrap_or(&none);
            let now = new.immutable.get(addr).unwrap_or(&none);
            let fields: BTreeSet<&String> = was.keys().chain(now.keys()).collect();
            for field in fields {
                if was.get(field) != now.get(field) {
                    out.immutable
                        .push((scope.clone(), addr.clone(), field.clone()));
                }
            }
        }
        let before: BTreeSet<_> = old.grants.iter().map(Grant::key).collect();
        for g in new.grants.iter().filter(|g| !before.contains(&g.key())) {
            out.widenings.push(Widening {
                scope: scope.clone(),
                grant: g.clone(),
            });
        }
    }
    out.resources.sort();
    out.widenings.sort();
    out.immutable.sort();
    out
}

impl Review {
    pub fn count(&self, action: Action) -> usize {
        self.resources.iter().filter(|r| r.action == action).count()
    }
}

impl fmt::Display for Review {
    /// The summary, then the security section, then files not analysed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Resources: {} to add, {} to change, {} to remove",
            self.count(Action::Add),
            self.count(Action::Change),
            self.count(Action::Remove)
        )?;
        for r in &self.resources {
            let sign = match r.action {
                Action::Add => '+',
                Action::Change => '~',
                Action::Remove => '-',
            };
            writeln!(f, "  {sign} {}: {}", r.scope, r.address)?;
        }
        if !self.immutable.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "Replacements: {} change(s) to fields that cannot change in place",
                self.immutable.len()
            )?;
            for (scope, address, field) in &self.immutable {
                writeln!(
                    f,
                    "  ! {scope}: {address}: {field} changes; {}",
                    kube::replacement(address, field)
                )?;
            }
        }
        writeln!(f)?;
        match self.widenings.len() {
            0 => writeln!(f, "Security: no change widens access")?,
            1 => writeln!(f, "Security: 1 change widens access")?,
            n => writeln!(f, "Security: {n} changes widen access")?,
        }
        for w in &self.widenings {
            writeln!(
                f,
                "  ! {}: {}\n      {}: {}",
                w.scope,
                w.grant.address,
                w.grant.access.label(),
                w.grant.detail
            )?;
        }
        if !self.skipped.is_empty() {
            writeln!(f)?;
            writeln!(f, "Not analysed:")?;
            for s in &self.skipped {
                writeln!(f, "  {s}")?;
            }
        }
        Ok(())
    }
}

/// Compact text for a JSON value in a grant: strings bare, the rest as
/// JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value that may be one item or a list of them, as a list.
fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

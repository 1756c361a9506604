//! Output documents: what an emitter produces, before any byte is decided.
//! render/ turns each into bytes; write/ puts them on disk.

pub mod hcl;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A Terraform file, built with hcl-rs's typed structures.
    Hcl(::hcl::Body),
    /// A fixed Terraform file shipped in the binary (the reusable platform
    /// module): no user data, so it is kept verbatim, comments included.
    HclSource(&'static str),
    /// A JSON document (CloudFormation templates, manifests), written with
    /// one-space indentation as `cdk synth` writes its templates.
    Json(serde_json::Value),
    /// A YAML stream: one document per value (Kubernetes objects,
    /// kustomizations). Every string that a YAML 1.1 reader could take for
    /// something else is quoted.
    Yaml(Vec<serde_json::Value>),
    /// Human-facing text rendered by a template (README.md).
    Text(String),
    /// A document whose bytes are written only when it is rendered: the
    /// Lambda target's CloudFormation templates, hundreds of megabytes at
    /// scale, never all in memory at once. What it declares is known
    /// before.
    Deferred(Deferred),
}

/// Bytes produced on demand, and the CloudFormation resource types the
/// document declares (for `plan` and the README).
#[derive(Clone)]
pub struct Deferred {
    produce: Arc<dyn Fn() -> Vec<u8> + Send + Sync>,
    /// Resource type -> how many.
    pub resource_types: BTreeMap<String, usize>,
}

impl Deferred {
    pub fn new(
        resource_types: BTreeMap<String, usize>,
        produce: impl Fn() -> Vec<u8> + Send + Sync + 'static,
    ) -> Deferred {
        Deferred {
            produce: Arc::new(produce),
            resource_types,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        (self.produce)()
    }
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("resource_types", &self.resource_types)
            .finish_non_exhaustive()
    }
}

/// Equal when they produce the same bytes.
impl PartialEq for Deferred {
    fn eq(&self, other: &Deferred) -> bool {
        Arc::ptr_eq(&self.produce, &other.produce)
            || (self.resource_types == other.resource_types && self.bytes() == other.bytes())
    }
}

/// Every file of one render, by path relative to the output folder
/// (`/`-separated). A BTreeMap, so files come out in a stable order.
pub type FileSet = BTreeMap<String, Document>;

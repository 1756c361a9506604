//! Output documents: what an emitter produces, before any byte is decided.
//! render/ turns each into bytes; write/ puts them on disk.

pub mod hcl;

use std::collections::BTreeMap;

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
}

/// Every file of one render, by path relative to the output folder
/// (`/`-separated). A BTreeMap, so files come out in a stable order.
pub type FileSet = BTreeMap<String, Document>;

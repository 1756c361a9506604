//! Documents -> bytes. Every byte-level convention lives here: HCL layout
//! as `terraform fmt` writes it, JSON indentation, the generated-file header.

pub mod cdk_json;
pub mod hcl;
pub mod json;
pub mod yaml;

use crate::doc::{Document, FileSet};
use std::collections::BTreeMap;

/// The bytes of one output file.
pub fn render(doc: &Document) -> Vec<u8> {
    match doc {
        Document::Hcl(body) => hcl::to_terraform(body).into_bytes(),
        Document::HclSource(src) => format!("{}\n{src}", hcl::HEADER).into_bytes(),
        Document::Json(v) => json::to_cdk_json(v).into_bytes(),
        Document::Yaml(docs) => yaml::to_yaml_stream(docs).into_bytes(),
        Document::Text(t) => t.clone().into_bytes(),
        Document::Deferred(d) => d.bytes(),
    }
}

/// Every file's bytes, rendered in parallel (`parallel::map`). Each
/// document is dropped as soon as it is rendered: documents are several
/// times larger than their bytes.
pub fn render_all(files: FileSet) -> BTreeMap<String, Vec<u8>> {
    let files: Vec<(String, Document)> = files.into_iter().collect();
    crate::parallel::map(files, |(path, doc)| {
        let bytes = render(&doc);
        (path, bytes)
    })
    .into_iter()
    .collect()
}

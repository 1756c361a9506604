//! Documents -> bytes. Every byte-level convention lives here: HCL layout
//! as `terraform fmt` writes it, JSON indentation, the generated-file header.

pub mod cdk_json;
pub mod hcl;
pub mod json;
pub mod yaml;

use crate::doc::{Document, FileSet};

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

/// Renders every file on `parallel::map`'s threads and hands its path and
/// bytes to `each` on the thread that rendered them, as soon as they
/// exist; the results come back in path order. Nothing keeps a document
/// once it is rendered (documents are several times larger than their
/// bytes), nor its bytes once `each` is done with them.
pub fn render_each<R: Send>(files: FileSet, each: impl Fn(String, Vec<u8>) -> R + Sync) -> Vec<R> {
    let files: Vec<(String, Document)> = files.into_iter().collect();
    crate::parallel::map(files, |(path, doc)| {
        let bytes = render(&doc);
        drop(doc);
        each(path, bytes)
    })
}

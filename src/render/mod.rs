//! Documents -> bytes. Every byte-level convention lives here: HCL layout
//! as `terraform fmt` writes it, JSON indentation, the generated-file header.

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
    }
}

/// Every file's bytes, rendered on [`crate::parallel::threads`] threads. Each document is dropped as soon as it is
/// rendered: documents are several times larger than their bytes. The
/// result is a sorted map, so the threads' order never shows.
pub fn render_all(files: FileSet) -> BTreeMap<String, Vec<u8>> {
    let threads = crate::parallel::threads();
    // Dealt round-robin: large and small files are spread evenly.
    let mut shares: Vec<Vec<(String, Document)>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, file) in files.into_iter().enumerate() {
        shares[i % threads].push(file);
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(path, doc)| {
                            let bytes = render(&doc);
                            (path, bytes)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

//! `.blueprint-manifest.json`: the files blueprint owns in an output
//! folder, each with the SHA-256 of the bytes blueprint last wrote there,
//! the target they were rendered for, and a digest of all of it.
//!
//! The digest is how blueprint knows it wrote the manifest as it stands:
//! an entry added by hand or by a merge of two branches' manifests (which
//! could claim a file of the user's, for a later render to delete) breaks
//! it. It is not a signature: anyone who can write the folder can compute
//! it, and can as well change the files that get applied.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::root::Root;
use super::{check_path, WriteError};

/// The manifest's file name, in the output folder.
pub const MANIFEST: &str = ".blueprint-manifest.json";

const GENERATOR: &str = "blueprint";

/// The manifest's layout: 2 added the target and the digest.
const FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `ecs`, `eks`, `lambda`.
    pub target: String,
    /// Relative `/`-separated path -> lowercase hex SHA-256.
    pub files: BTreeMap<String, String>,
}

/// The manifest as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    generator: String,
    format: u32,
    target: String,
    files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    digest: String,
}

/// What the folder's manifest says, and how far it can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No manifest: blueprint owns nothing here.
    Absent,
    /// Written by blueprint as it stands.
    Trusted(Manifest),
    /// A blueprint manifest that blueprint did not write as it stands
    /// (edited, merged, or of an older format): its entries are not acted
    /// on. `render --force` replaces it.
    Untrusted {
        files: BTreeMap<String, String>,
        why: String,
    },
}

impl Manifest {
    pub fn new(target: &str, files: BTreeMap<String, String>) -> Manifest {
        Manifest {
            target: target.to_owned(),
            files,
        }
    }

    /// Reads the manifest of `root` (None: no output folder yet). Bytes
    /// that are not a blueprint manifest at all are an error; see
    /// [`Loaded`] for the rest.
    pub fn load(root: Option<&Root>) -> Result<Loaded, WriteError> {
        let Some(root) = root else {
            return Ok(Loaded::Absent);
        };
        let Some(bytes) = root.read(MANIFEST)? else {
            return Ok(Loaded::Absent);
        };
        let path = root.show(MANIFEST);
        let bad = |message: String| WriteError::BadManifest {
            path: path.clone(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if value.get("generator").and_then(|g| g.as_str()) != Some(GENERATOR) {
            return Err(bad(format!("its generator is not `{GENERATOR}`")));
        }
        if value.get("format").and_then(|f| f.as_u64()) != Some(u64::from(FORMAT)) {
            let files = value
                .get("files")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| bad(e.to_string()))?
                .unwrap_or_default();
            check_entries(&files).map_err(bad)?;
            return Ok(Loaded::Untrusted {
                files,
                why: "it was written by an older blueprint, without its target".into(),
            });
        }
        let stored: Stored = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        check_entries(&stored.files).map_err(bad)?;
        let manifest = Manifest {
            target: stored.target,
            files: stored.files,
        };
        if stored.digest != manifest.digest() {
            return Ok(Loaded::Untrusted {
                files: manifest.files,
                why: "its digest does not match its entries: it was edited or merged by hand"
                    .into(),
            });
        }
        Ok(Loaded::Trusted(manifest))
    }

    /// The SHA-256 of the manifest's contents without the digest.
    fn digest(&self) -> String {
        let body = Stored {
            generator: GENERATOR.to_owned(),
            format: FORMAT,
            target: self.target.clone(),
            files: self.files.clone(),
            digest: String::new(),
        };
        sha256_hex(&serde_json::to_vec(&body).expect("manifests always serialize"))
    }

    /// The manifest's bytes: sorted keys, no timestamps, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            generator: GENERATOR.to_owned(),
            format: FORMAT,
            target: self.target.clone(),
            files: self.files.clone(),
            digest: self.digest(),
        };
        let mut text = serde_json::to_string_pretty(&stored).expect("manifests always serialize");
        text.push('\n');
        text.into_bytes()
    }
}

/// Every entry a path blueprint could write, with a SHA-256: a manifest
/// that names anything else is not read at all.
fn check_entries(files: &BTreeMap<String, String>) -> Result<(), String> {
    for (file, hash) in files {
        check_path(file).map_err(|e| e.to_string())?;
        let sha256 =
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !sha256 {
            return Err(format!("`{file}` has no valid SHA-256"));
        }
    }
    Ok(())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

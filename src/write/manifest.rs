//! `.blueprint-manifest.json`: the files blueprint owns in an output folder,
//! each with the SHA-256 of the bytes blueprint last wrote there.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{check_path, WriteError};

/// The manifest's file name, in the output folder.
pub const MANIFEST: &str = ".blueprint-manifest.json";

const GENERATOR: &str = "blueprint";

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub generator: String,
    /// Relative `/`-separated path -> lowercase hex SHA-256.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    pub fn new(files: BTreeMap<String, String>) -> Manifest {
        Manifest {
            generator: GENERATOR.to_owned(),
            files,
        }
    }

    /// Reads the manifest of `out_dir`; an absent one owns nothing.
    pub fn load(out_dir: &Path) -> Result<Manifest, WriteError> {
        let path = out_dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Manifest::new(BTreeMap::new()))
            }
            Err(source) => return Err(WriteError::Io { path, source }),
        };
        let bad = |message: String| WriteError::BadManifest {
            path: path.clone(),
            message,
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if manifest.generator != GENERATOR {
            return Err(bad(format!(
                "generator is `{}`, expected `{GENERATOR}`",
                manifest.generator
            )));
        }
        for (file, hash) in &manifest.files {
            check_path(file).map_err(|e| bad(e.to_string()))?;
            if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(bad(format!("`{file}` has no valid SHA-256")));
            }
        }
        Ok(manifest)
    }

    /// The manifest's bytes: sorted keys, no timestamps, trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("manifests always serialize");
        text.push('\n');
        text.into_bytes()
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

//! Shared helpers: run the binary, list folders, read trees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_blueprint"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The result of one run, printable in full when an assertion fails.
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub listing: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: blueprint {}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}\n--- folder\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr,
            self.listing
        )
    }
}

/// Runs `blueprint args...` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_remove("BLUEPRINT_UPDATE_GOLDEN")
        .output()
        .expect("the blueprint binary runs");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        listing: read_tree(dir)
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Every file below `dir`, by `/`-separated relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            walk(root, &path, files);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("walked paths are below the root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(&path).expect("readable file"));
        }
    }
}

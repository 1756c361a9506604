//! Golden trees: every bundled blueprint rendered for every implemented
//! target and compared whole (changed, missing and extra files) with
//! `golden/<blueprint>/<target>/`.
//!
//! Update with `BLUEPRINT_UPDATE_GOLDEN=1 cargo test`; never when `CI` is set.

use crate::support::{read_tree, repo, run};
use blueprint::model::Target;
use similar::{Algorithm, TextDiff};
use std::path::Path;

#[test]
fn bundled_blueprints_match_their_golden_trees() {
    let update = std::env::var_os("BLUEPRINT_UPDATE_GOLDEN").is_some();
    let in_ci = std::env::var_os("CI").is_some();
    assert!(
        !(update && in_ci),
        "BLUEPRINT_UPDATE_GOLDEN is refused when CI is set: golden files are reviewed, not regenerated in CI"
    );
    let mut failures = Vec::new();
    let mut blueprints: Vec<_> = std::fs::read_dir(repo().join("blueprints"))
        .expect("blueprints/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    blueprints.sort();
    assert!(
        blueprints.len() >= 3,
        "expected at least three bundled blueprints"
    );
    for bp in &blueprints {
        let stem = bp.file_stem().unwrap().to_string_lossy().into_owned();
        for target in Target::ALL
            .into_iter()
            .filter(|t| blueprint::targets::is_implemented(*t))
        {
            let target = target.as_str();
            let golden = repo().join("golden").join(&stem).join(target);
            let tmp = tempfile::tempdir().unwrap();
            let out = tmp.path().join("out");
            let r = run(
                tmp.path(),
                &[
                    "render",
                    "--target",
                    target,
                    "--file",
                    bp.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ],
            );
            if r.code == 2 && r.stderr.contains("targets that fit") {
                // The blueprint does not fit this target: no golden tree.
                assert!(
                    !golden.exists(),
                    "{} exists but render refuses: {r}",
                    golden.display()
                );
                continue;
            }
            assert_eq!(r.code, 0, "{r}");
            if update {
                replace_tree(&golden, &out);
                continue;
            }
            failures.extend(compare(&golden, &out, &format!("{stem}/{target}")));
        }
    }
    if !failures.is_empty() {
        panic!(
            "{}\n\n{} golden mismatch(es). If the change is intended, update with:\n  BLUEPRINT_UPDATE_GOLDEN=1 cargo test --test main golden\n",
            failures.join("\n"),
            failures.len()
        );
    }
}

fn compare(golden: &Path, actual: &Path, label: &str) -> Vec<String> {
    let want = read_tree(golden);
    let got = read_tree(actual);
    let mut failures = Vec::new();
    for (path, bytes) in &want {
        match got.get(path) {
            None => failures.push(format!("{label}: missing {path}")),
            Some(g) if g != bytes => {
                let (w, g) = (String::from_utf8_lossy(bytes), String::from_utf8_lossy(g));
                let diff = TextDiff::configure()
                    .algorithm(Algorithm::Patience)
                    .diff_lines(w.as_ref(), g.as_ref())
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("golden/{label}/{path}"),
                        &format!("rendered/{path}"),
                    )
                    .to_string();
                failures.push(format!("{label}: changed {path}\n{diff}"));
            }
            Some(_) => {}
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        failures.push(format!("{label}: extra {path}"));
    }
    failures
}

fn replace_tree(golden: &Path, rendered: &Path) {
    let _ = std::fs::remove_dir_all(golden);
    for (path, bytes) in read_tree(rendered) {
        let dest = golden.join(&path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

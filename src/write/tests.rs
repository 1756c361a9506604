use super::fault;
use super::stage::{Kept, Status};
use super::*;
use manifest::sha256_hex;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Generated files: relative `/`-separated path -> bytes.
type Rendered = BTreeMap<String, Vec<u8>>;

fn rendered(files: &[(&str, &str)]) -> Rendered {
    files
        .iter()
        .map(|(p, b)| ((*p).to_owned(), b.as_bytes().to_vec()))
        .collect()
}

/// `files` staged for `out` in `mode`, as `blueprint` stages a render,
/// several threads at a time.
fn stage_all(out: &Path, files: &Rendered, mode: Mode) -> Result<(Stage, Vec<Staged>), WriteError> {
    stage_for(out, files, mode, false)
}

/// [`stage_all`], with `--force` (which `Stage::new` needs for a folder
/// of another target or an untrusted manifest).
fn stage_for(
    out: &Path,
    files: &Rendered,
    mode: Mode,
    force: bool,
) -> Result<(Stage, Vec<Staged>), WriteError> {
    let stage = Stage::new(out, mode, files.keys().cloned().collect(), "ecs", force)?;
    let items: Vec<(String, Vec<u8>)> = files.clone().into_iter().collect();
    let staged = crate::parallel::map(items, |(path, bytes)| stage.stage(path, bytes))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok((stage, staged))
}

/// What `blueprint render` does with `files`.
fn write(out: &Path, files: &Rendered, force: bool) -> Result<WriteReport, WriteError> {
    let (stage, staged) = stage_for(out, files, Mode::Write, force)?;
    finish(stage, staged, force)
}

/// What `blueprint check` finds.
fn changes(out: &Path, files: &Rendered) -> Result<Vec<Change>, WriteError> {
    let (stage, staged) = stage_all(out, files, Mode::Check)?;
    super::changes(stage, staged)
}

/// The unified diffs `blueprint diff` prints.
fn diff(out: &Path, files: &Rendered) -> Result<String, WriteError> {
    let (stage, staged) = stage_all(out, files, Mode::Diff)?;
    let d = super::diff(stage, staged)?;
    Ok(d.files.iter().map(FileDiff::unified).collect())
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap()
}

/// Every file under `dir` with its bytes, `/`-separated relative paths.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Sets a file's mtime to the distant past, to notice a rewrite.
fn age(path: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    old
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

/// Whether a staging folder was left in `out`.
fn staging_left(out: &Path) -> bool {
    fs::read_dir(out).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".blueprint-staging-")
        })
    })
}

fn inode(path: &Path) -> u64 {
    fs::metadata(path).unwrap().ino()
}

const MAIN: &str = "resource \"x\" \"y\" {}\n";

#[test]
fn first_write_creates_files_and_manifest_with_0644() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out"); // missing: created
    let files = rendered(&[
        ("main.tf", MAIN),
        ("k8s/base/deploy.yaml", "kind: Deployment\n"),
    ]);
    let report = write(&out, &files, false).unwrap();
    assert_eq!(report.written, vec!["k8s/base/deploy.yaml", "main.tf"]);
    assert!(report.unchanged.is_empty() && report.removed.is_empty());
    assert_eq!(read(&out, "main.tf"), MAIN);
    for rel in ["main.tf", "k8s/base/deploy.yaml", MANIFEST] {
        let mode = fs::metadata(out.join(rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{rel}");
    }
    let manifest = read(&out, MANIFEST);
    let expected = format!(
        "{{\n  \"generator\": \"blueprint\",\n  \"format\": 2,\n  \"target\": \"ecs\",\n  \"files\": {{\n    \"k8s/base/deploy.yaml\": \"{}\",\n    \"main.tf\": \"{}\"\n  }},\n  \"digest\": \"",
        sha256_hex(b"kind: Deployment\n"),
        sha256_hex(MAIN.as_bytes())
    );
    assert!(manifest.starts_with(&expected), "{manifest}");
    assert!(manifest.ends_with("\"\n}\n"), "{manifest}");
    // No temporary files left behind.
    assert_eq!(tree(&out).len(), 3);
    assert!(!staging_left(&out));
}

#[test]
fn rewriting_the_same_files_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("main.tf", MAIN), ("a/b.tf", "b\n")]);
    write(out, &files, false).unwrap();
    let t_main = age(&out.join("main.tf"));
    let t_manifest = age(&out.join(MANIFEST));
    let i_main = inode(&out.join("main.tf"));
    let before = tree(out);
    let report = write(out, &files, false).unwrap();
    assert!(report.written.is_empty() && report.removed.is_empty());
    assert_eq!(report.unchanged, vec!["a/b.tf", "main.tf"]);
    assert_eq!(mtime(&out.join("main.tf")), t_main);
    assert_eq!(inode(&out.join("main.tf")), i_main);
    assert_eq!(mtime(&out.join(MANIFEST)), t_manifest);
    assert_eq!(tree(out), before);
    assert_eq!(changes(out, &files).unwrap(), vec![]);
    assert_eq!(diff(out, &files).unwrap(), "");
}

#[test]
fn a_file_no_longer_generated_is_removed_but_user_files_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[
        ("main.tf", MAIN),
        ("svc/api.tf", "api\n"),
        ("gone/deep/x.tf", "x\n"),
    ]);
    write(out, &files, false).unwrap();
    fs::write(out.join("svc/NOTES.md"), "mine\n").unwrap();
    fs::write(out.join("user.tf"), "mine\n").unwrap();

    let next = rendered(&[("main.tf", MAIN)]);
    let report = write(out, &next, false).unwrap();
    assert_eq!(report.removed, vec!["gone/deep/x.tf", "svc/api.tf"]);
    assert!(!out.join("svc/api.tf").exists());
    assert!(!out.join("gone").exists(), "emptied folders are removed");
    assert_eq!(read(out, "svc/NOTES.md"), "mine\n");
    assert_eq!(read(out, "user.tf"), "mine\n");
    let manifest = read(out, MANIFEST);
    assert!(!manifest.contains("svc/api.tf") && manifest.contains("main.tf"));
}

#[test]
fn hand_edited_file_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("a.tf", "a\n"), ("b.tf", "b\n"), ("old.tf", "old\n")]);
    write(out, &files, false).unwrap();
    fs::write(out.join("b.tf"), "b edited\n").unwrap();
    let before = tree(out);

    let next = rendered(&[("a.tf", "a2\n"), ("b.tf", "b2\n"), ("new.tf", "new\n")]);
    let err = write(out, &next, false).unwrap_err();
    assert!(matches!(&err, WriteError::HandEdited { paths } if paths == &["b.tf"]));
    let message = err.to_string();
    assert!(
        message.starts_with("these files were edited by hand since blueprint wrote them: b.tf;"),
        "{message}"
    );
    assert!(message.contains(
        "run `blueprint diff` to see what render would change, or pass --force to overwrite"
    ));
    assert_eq!(err.code(), 2);
    assert_eq!(tree(out), before, "a refusal writes nothing");

    let report = write(out, &next, true).unwrap();
    assert_eq!(report.written, vec!["a.tf", "b.tf", "new.tf"]);
    assert_eq!(report.removed, vec!["old.tf"]);
    assert_eq!(read(out, "b.tf"), "b2\n");
    assert_eq!(changes(out, &next).unwrap(), vec![]);
}

#[test]
fn hand_edited_file_that_would_be_removed_is_refused_and_with_force_left_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(
        out,
        &rendered(&[("a.tf", "a\n"), ("old.tf", "old\n")]),
        false,
    )
    .unwrap();
    fs::write(out.join("old.tf"), "kept by hand\n").unwrap();
    let next = rendered(&[("a.tf", "a\n")]);
    let err = write(out, &next, false).unwrap_err();
    assert!(matches!(&err, WriteError::HandEdited { paths } if paths == &["old.tf"]));
    assert!(out.join("old.tf").exists());
    // --force never deletes bytes blueprint did not write: the edited
    // file stays, and is no longer owned.
    let report = write(out, &next, true).unwrap();
    assert_eq!(report.kept, vec!["old.tf"]);
    assert!(report.removed.is_empty());
    assert_eq!(read(out, "old.tf"), "kept by hand\n");
    assert!(!read(out, MANIFEST).contains("old.tf"));
    assert!(write(out, &next, false).unwrap().kept.is_empty());
}

#[test]
fn unowned_file_at_a_generated_path_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    fs::write(out.join("main.tf"), "user's own\n").unwrap();
    let files = rendered(&[("main.tf", MAIN), ("other.tf", "o\n")]);
    let err = write(out, &files, false).unwrap_err();
    assert!(matches!(&err, WriteError::NotOwned { paths } if paths == &["main.tf"]));
    assert!(err.to_string().contains("main.tf"));
    assert!(!out.join("other.tf").exists());
    assert!(!out.join(MANIFEST).exists());
    assert_eq!(read(out, "main.tf"), "user's own\n");

    // Same bytes: adopted without a write.
    fs::write(out.join("main.tf"), MAIN).unwrap();
    let t = age(&out.join("main.tf"));
    let report = write(out, &files, false).unwrap();
    assert_eq!(report.unchanged, vec!["main.tf"]);
    assert_eq!(mtime(&out.join("main.tf")), t);
    assert!(read(out, MANIFEST).contains("main.tf"));
}

#[test]
fn changes_reports_added_modified_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("keep.tf", "k\n"), ("mod.tf", "m\n"), ("old.tf", "o\n")]);
    assert_eq!(
        changes(out, &files).unwrap(),
        vec![
            // No manifest yet: check fails on that too.
            Change {
                path: MANIFEST.into(),
                kind: ChangeKind::Added
            },
            Change {
                path: "keep.tf".into(),
                kind: ChangeKind::Added
            },
            Change {
                path: "mod.tf".into(),
                kind: ChangeKind::Added
            },
            Change {
                path: "old.tf".into(),
                kind: ChangeKind::Added
            },
        ]
    );
    write(out, &files, false).unwrap();
    assert_eq!(changes(out, &files).unwrap(), vec![]);

    let next = rendered(&[("keep.tf", "k\n"), ("mod.tf", "m2\n"), ("new/x.tf", "x\n")]);
    assert_eq!(
        changes(out, &next).unwrap(),
        vec![
            Change {
                path: MANIFEST.into(),
                kind: ChangeKind::Modified
            },
            Change {
                path: "mod.tf".into(),
                kind: ChangeKind::Modified
            },
            Change {
                path: "new/x.tf".into(),
                kind: ChangeKind::Added
            },
            Change {
                path: "old.tf".into(),
                kind: ChangeKind::Removed
            },
        ]
    );
    // A hand edit is drift too.
    fs::write(out.join("keep.tf"), "edited\n").unwrap();
    assert_eq!(
        changes(out, &files).unwrap(),
        vec![Change {
            path: "keep.tf".into(),
            kind: ChangeKind::Modified
        }]
    );
}

#[test]
fn diff_shows_unified_diffs_in_path_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let old_text = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    write(
        out,
        &rendered(&[("b.tf", old_text), ("c.tf", "gone\n")]),
        false,
    )
    .unwrap();
    let new_text = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    let next = rendered(&[("a.tf", "new\n"), ("b.tf", new_text)]);
    let d = diff(out, &next).unwrap();
    let expected = "\
--- /dev/null
+++ b/a.tf
@@ -0,0 +1 @@
+new
--- a/b.tf
+++ b/b.tf
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
--- a/c.tf
+++ /dev/null
@@ -1 +0,0 @@
-gone
";
    assert_eq!(d, expected);
    write(out, &next, false).unwrap();
    assert_eq!(diff(out, &next).unwrap(), "");
}

#[test]
fn bad_paths_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    for bad in [
        "",
        "/etc/passwd",
        "../escape.tf",
        "a/../../b.tf",
        "a//b.tf",
        "a/",
        "./a.tf",
        "a\\b.tf",
        MANIFEST,
        LOCK_FILE,
        ".blueprint-staging-1-0/new/0",
    ] {
        let files = rendered(&[("fine.tf", "x\n"), (bad, "y\n")]);
        let err = write(out, &files, false).unwrap_err();
        assert!(matches!(err, WriteError::BadPath { .. }), "{bad:?}: {err}");
        assert!(matches!(
            changes(out, &files),
            Err(WriteError::BadPath { .. })
        ));
        assert!(tree(out).is_empty(), "{bad:?} wrote something");
    }
    let clash = rendered(&[("a", "x\n"), ("a/b", "y\n")]);
    assert!(matches!(
        write(out, &clash, false),
        Err(WriteError::BadPath { .. })
    ));
}

#[test]
fn a_tampered_manifest_cannot_reach_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(tmp.path().join("victim"), "v\n").unwrap();
    let manifest = format!(
        "{{\"generator\":\"blueprint\",\"files\":{{\"../victim\":\"{}\"}}}}\n",
        sha256_hex(b"v\n")
    );
    fs::write(out.join(MANIFEST), manifest).unwrap();
    let err = write(&out, &rendered(&[("a.tf", "a\n")]), true).unwrap_err();
    assert!(matches!(err, WriteError::BadManifest { .. }), "{err}");
    assert!(tmp.path().join("victim").exists());
}

#[test]
fn a_refusal_leaves_the_folder_byte_for_byte_and_no_staging_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(out, &rendered(&[("a.tf", "a\n"), ("b.tf", "b\n")]), false).unwrap();
    fs::write(out.join("a.tf"), "a edited\n").unwrap();
    fs::write(out.join("mine.tf"), "mine\n").unwrap();
    let before = tree(out);
    let next = rendered(&[("a.tf", "a2\n"), ("b.tf", "b2\n"), ("c/new.tf", "new\n")]);
    let err = write(out, &next, false).unwrap_err();
    assert!(matches!(err, WriteError::HandEdited { .. }), "{err}");
    assert_eq!(tree(out), before);
    assert!(!staging_left(out));
    assert!(!out.join("c").exists());

    fs::write(out.join("a.tf"), "a\n").unwrap();
    let before = tree(out);
    let not_owned = rendered(&[("a.tf", "a2\n"), ("mine.tf", "generated\n")]);
    let err = write(out, &not_owned, false).unwrap_err();
    assert!(matches!(err, WriteError::NotOwned { .. }), "{err}");
    assert_eq!(tree(out), before);
    assert!(!staging_left(out));
}

#[test]
fn an_error_while_staging_leaves_the_folder_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(out, &rendered(&[("a.tf", "a\n")]), false).unwrap();
    // A file of the user's where a generated file needs a folder.
    fs::write(out.join("sub"), "mine\n").unwrap();
    let before = tree(out);
    let next = rendered(&[("a.tf", "a2\n"), ("sub/x.tf", "x\n"), ("z.tf", "z\n")]);
    let err = write(out, &next, true).unwrap_err();
    assert!(matches!(err, WriteError::FileInTheWay { .. }), "{err}");
    assert!(err.to_string().contains("sub is a file"), "{err}");
    assert_eq!(tree(out), before);
    assert!(!staging_left(out));
}

#[test]
fn a_created_output_folder_goes_again_when_the_render_does_not_finish() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("infra");
    let out = top.join("ecs/out");
    let files = rendered(&[("main.tf", MAIN), ("k8s/a.yaml", "a: 1\n")]);
    // Staged, then dropped unfinished, as when another file's render fails.
    let (stage, staged) = stage_all(&out, &files, Mode::Write).unwrap();
    assert!(staging_left(&out));
    drop((stage, staged));
    assert!(!top.exists(), "every folder the stage created is gone");

    // Bad paths are refused before the folder is even created.
    let bad = rendered(&[("main.tf", MAIN), ("../x.tf", "x\n")]);
    assert!(matches!(
        write(&out, &bad, false),
        Err(WriteError::BadPath { .. })
    ));
    assert!(!top.exists());

    // A folder that was there stays, even empty.
    fs::create_dir_all(&out).unwrap();
    drop(stage_all(&out, &files, Mode::Write).unwrap());
    assert!(out.is_dir());
    assert!(tree(&out).is_empty() && !staging_left(&out));

    // A finished render keeps the folders it created.
    fs::remove_dir_all(&top).unwrap();
    write(&out, &files, false).unwrap();
    assert_eq!(read(&out, "main.tf"), MAIN);
    assert!(!staging_left(&out));
}

#[test]
fn only_changed_files_are_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(
        out,
        &rendered(&[("same.tf", "s\n"), ("new.tf", "n\n")]),
        false,
    )
    .unwrap();
    let (t_same, i_same) = (age(&out.join("same.tf")), inode(&out.join("same.tf")));
    let i_new = inode(&out.join("new.tf"));
    let report = write(
        out,
        &rendered(&[("same.tf", "s\n"), ("new.tf", "n2\n")]),
        false,
    )
    .unwrap();
    assert_eq!(report.written, vec!["new.tf"]);
    assert_eq!(report.unchanged, vec!["same.tf"]);
    assert_eq!(mtime(&out.join("same.tf")), t_same);
    assert_eq!(inode(&out.join("same.tf")), i_same);
    assert_ne!(inode(&out.join("new.tf")), i_new, "replaced by a rename");
    assert_eq!(read(out, "new.tf"), "n2\n");
}

#[test]
fn each_mode_keeps_only_what_it_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(
        out,
        &rendered(&[("same.tf", "s\n"), ("mod.tf", "m\n")]),
        false,
    )
    .unwrap();
    let next = rendered(&[("same.tf", "s\n"), ("mod.tf", "m2\n"), ("add.tf", "a\n")]);
    let stage_in = |mode| {
        let (stage, staged) = stage_all(out, &next, mode).unwrap();
        let kept: BTreeMap<String, (Status, Kept)> = staged
            .into_iter()
            .map(|s| {
                assert_eq!(s.sha256, sha256_hex(&next[&s.path]));
                (s.path, (s.status, s.kept))
            })
            .collect();
        (stage, kept)
    };

    let (stage, diff) = stage_in(Mode::Diff);
    drop(stage);
    assert!(matches!(
        diff["same.tf"],
        (Status::Unchanged, Kept::Nothing)
    ));
    assert!(
        matches!(&diff["mod.tf"], (Status::Modified, Kept::Bytes { old: Some(old), new })
        if old == b"m\n" && new == b"m2\n")
    );
    assert!(
        matches!(&diff["add.tf"], (Status::Added, Kept::Bytes { old: None, new })
        if new == b"a\n")
    );

    let (stage, check) = stage_in(Mode::Check);
    drop(stage);
    assert!(check.values().all(|(_, k)| matches!(k, Kept::Nothing)));
    assert_eq!(check["mod.tf"].0, Status::Modified);

    let (stage, write) = stage_in(Mode::Write);
    assert!(matches!(
        write["same.tf"],
        (Status::Unchanged, Kept::Nothing)
    ));
    for path in ["mod.tf", "add.tf"] {
        let Kept::Temp(name) = &write[path].1 else {
            panic!("{path} is staged")
        };
        let staging = stage.staging.as_deref().unwrap();
        assert!(staging.starts_with(".blueprint-staging-"), "{staging}");
        let temp = out.join(staging).join("new").join(name);
        assert_eq!(fs::read(&temp).unwrap(), next[path]);
        assert_eq!(
            fs::metadata(&temp).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
    // Nothing is in place before `finish`.
    assert_eq!(read(out, "mod.tf"), "m\n");
    assert!(!out.join("add.tf").exists());
    drop(stage);
}

#[test]
fn check_and_diff_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("out");
    let files = rendered(&[("main.tf", MAIN), ("k8s/a.yaml", "a: 1\n")]);
    // The two files and the manifest.
    assert_eq!(changes(&missing, &files).unwrap().len(), 3);
    assert!(diff(&missing, &files).unwrap().contains("+++ b/main.tf"));
    assert!(!missing.exists(), "check and diff do not create the folder");

    let out = tmp.path();
    write(
        out,
        &rendered(&[("main.tf", "old\n"), ("gone.tf", "g\n")]),
        false,
    )
    .unwrap();
    let before = tree(out);
    let t = age(&out.join("main.tf"));
    assert_eq!(changes(out, &files).unwrap().len(), 4);
    assert!(!diff(out, &files).unwrap().is_empty());
    assert_eq!(tree(out), before);
    assert_eq!(mtime(&out.join("main.tf")), t);
    assert!(!staging_left(out));
}

/// [`write`] with a fault injected.
fn write_with_fault(
    out: &Path,
    files: &Rendered,
    faults: fault::Faults,
) -> Result<WriteReport, WriteError> {
    let mut stage = Stage::new(
        out,
        Mode::Write,
        files.keys().cloned().collect(),
        "ecs",
        true,
    )?;
    stage.faults = faults;
    let items: Vec<(String, Vec<u8>)> = files.clone().into_iter().collect();
    let staged = crate::parallel::map(items, |(path, bytes)| stage.stage(path, bytes))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    finish(stage, staged, true)
}

#[test]
fn a_failure_at_any_step_of_the_switch_leaves_the_old_version_whole() {
    use fault::{Action, Faults, Step};
    let old = rendered(&[
        ("a.tf", "a1\n"),
        ("same.tf", "s\n"),
        ("sub/b.tf", "b1\n"),
        ("gone/old.tf", "o\n"),
    ]);
    let new = rendered(&[
        ("a.tf", "a2\n"),
        ("same.tf", "s\n"),
        ("sub/b.tf", "b2\n"),
        ("c/d/e.tf", "e\n"),
    ]);
    // Changes in place: a.tf, sub/b.tf replaced, c/d/e.tf added, gone/old.tf removed.
    let mut faults = vec![(Step::Journal, 1), (Step::Manifest, 1)];
    faults.extend((1..=3).map(|n| (Step::Stage, n)));
    faults.extend((1..=4).map(|n| (Step::Rename, n)));
    for (step, n) in faults {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        write(out, &old, false).unwrap();
        fs::write(out.join("backend.tf"), "mine\n").unwrap();
        let before = tree(out);
        let err = write_with_fault(out, &new, Faults::one(step, n, Action::Fail)).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("no space left on the device"),
            "{step:?} {n}: {message}"
        );
        assert!(
            !message.contains(".blueprint-staging"),
            "{step:?} {n}: {message}"
        );
        assert_eq!(tree(out), before, "{step:?} {n}: the old version, whole");
        assert!(!staging_left(out), "{step:?} {n}");
        assert!(
            changes(out, &old).unwrap().is_empty(),
            "{step:?} {n}: check agrees"
        );
        // And the next render goes through.
        write(out, &new, false).unwrap();
        assert!(changes(out, &new).unwrap().is_empty(), "{step:?} {n}");
        assert_eq!(read(out, "backend.tf"), "mine\n");
        assert!(
            !out.join("gone").exists(),
            "{step:?} {n}: emptied folder removed"
        );
    }
}

#[test]
fn a_failure_after_the_commit_leaves_the_new_version() {
    use fault::{Action, Faults, Step};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(out, &rendered(&[("a.tf", "a1\n")]), false).unwrap();
    let new = rendered(&[("a.tf", "a2\n"), ("b/c.tf", "c\n")]);
    write_with_fault(out, &new, Faults::one(Step::Cleanup, 1, Action::Fail)).unwrap();
    assert!(
        changes(out, &new).unwrap().is_empty(),
        "the new version is complete"
    );
    assert!(!staging_left(out));
}

#[test]
fn leftover_staging_folders_are_swept_by_the_next_render_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("a.tf", "a\n")]);
    write(out, &files, false).unwrap();
    // What a render killed while staging leaves: no journal.
    let left = out.join(".blueprint-staging-99-0");
    fs::create_dir_all(left.join("new")).unwrap();
    fs::write(left.join("new/0"), "half\n").unwrap();
    // A link of that name is removed itself, never followed.
    let elsewhere = tempfile::tempdir().unwrap();
    fs::write(elsewhere.path().join("precious"), "p\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.join(".blueprint-staging-link")).unwrap();
    assert!(
        changes(out, &files).unwrap().is_empty(),
        "check ignores them"
    );
    assert!(staging_left(out), "check removes nothing");
    write(out, &files, false).unwrap();
    assert!(!staging_left(out));
    assert_eq!(read(elsewhere.path(), "precious"), "p\n");
}

/// A folder outside the output folder with one file, to see that nothing
/// reaches it.
fn decoy() -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("decoy.txt"), "outside\n").unwrap();
    let before = tree(dir.path());
    (dir, before)
}

#[test]
fn a_symlinked_folder_inside_the_output_folder_is_refused_by_every_mode() {
    let (elsewhere, before) = decoy();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    std::os::unix::fs::symlink(elsewhere.path(), out.join("prod")).unwrap();
    let files = rendered(&[("prod/main.tf", MAIN), ("prod/decoy.txt", "x\n")]);
    for force in [false, true] {
        let err = write(out, &files, force).unwrap_err();
        assert!(
            matches!(&err, WriteError::Symlink { path } if path.ends_with("prod")),
            "{err}"
        );
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
    assert!(matches!(
        changes(out, &files),
        Err(WriteError::Symlink { .. })
    ));
    assert!(matches!(diff(out, &files), Err(WriteError::Symlink { .. })));
    assert_eq!(tree(elsewhere.path()), before);
    assert!(!staging_left(out));
}

#[test]
fn a_symlinked_file_is_neither_read_nor_replaced() {
    let (elsewhere, before) = decoy();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    std::os::unix::fs::symlink(elsewhere.path().join("decoy.txt"), out.join("main.tf")).unwrap();
    let files = rendered(&[("main.tf", MAIN)]);
    let err = write(out, &files, true).unwrap_err();
    assert!(
        matches!(&err, WriteError::Symlink { path } if path.ends_with("main.tf")),
        "{err}"
    );
    // diff would print the outside file's contents if it followed the link.
    let err = diff(out, &files).unwrap_err();
    assert!(!err.to_string().contains("outside"), "{err}");
    assert!(fs::symlink_metadata(out.join("main.tf"))
        .unwrap()
        .is_symlink());
    assert_eq!(tree(elsewhere.path()), before);
}

#[test]
fn a_manifest_entry_through_a_link_deletes_nothing_outside() {
    let (elsewhere, before) = decoy();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(out, &rendered(&[("a.tf", "a\n")]), false).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out.join("link")).unwrap();
    // A manifest blueprint could have written (the digest matches),
    // claiming the outside file through the link with its real hash.
    let mut files = BTreeMap::new();
    files.insert("a.tf".to_owned(), sha256_hex(b"a\n"));
    files.insert("link/decoy.txt".to_owned(), sha256_hex(b"outside\n"));
    fs::write(
        out.join(MANIFEST),
        manifest::Manifest::new("ecs", files).to_bytes(),
    )
    .unwrap();
    for force in [false, true] {
        let err = write(out, &rendered(&[("a.tf", "a\n")]), force).unwrap_err();
        assert!(
            matches!(&err, WriteError::Symlink { path } if path.ends_with("link")),
            "{err}"
        );
    }
    assert!(diff(out, &rendered(&[("a.tf", "a\n")])).is_err());
    assert_eq!(tree(elsewhere.path()), before);
}

#[test]
fn an_edited_manifest_is_not_acted_on() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("a.tf", "a\n"), ("gen.tf", "g\n")]);
    write(out, &files, false).unwrap();
    fs::write(out.join("mine.tf"), "mine\n").unwrap();
    // An entry added by hand (or by a merge) claims the user's file.
    let text = read(out, MANIFEST).replace(
        "\"files\": {",
        &format!(
            "\"files\": {{\n    \"mine.tf\": \"{}\",",
            sha256_hex(b"mine\n")
        ),
    );
    fs::write(out.join(MANIFEST), text).unwrap();
    let next = rendered(&[("a.tf", "a2\n")]);
    let err = write(out, &next, false).unwrap_err();
    assert!(matches!(err, WriteError::UntrustedManifest { .. }), "{err}");
    assert!(err.to_string().contains("edited or merged"), "{err}");
    // check says the folder is not up to date, and why.
    assert!(changes(out, &files).unwrap().contains(&Change {
        path: MANIFEST.into(),
        kind: ChangeKind::Modified
    }));
    // --force writes a new manifest and deletes nothing the old one listed.
    let report = write(out, &next, true).unwrap();
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(read(out, "mine.tf"), "mine\n");
    assert_eq!(read(out, "gen.tf"), "g\n");
    assert!(changes(out, &next).unwrap().is_empty());
    // A manifest of the first format is not trusted either.
    fs::write(
        out.join(MANIFEST),
        format!(
            "{{\"generator\": \"blueprint\", \"files\": {{\"a.tf\": \"{}\"}}}}",
            sha256_hex(b"a2\n")
        ),
    )
    .unwrap();
    assert!(matches!(
        write(out, &next, false),
        Err(WriteError::UntrustedManifest { .. })
    ));
}

#[test]
fn a_folder_of_another_target_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    write(out, &rendered(&[("ecs.tf", "e\n")]), false).unwrap();
    let eks = rendered(&[("eks.yaml", "k: 1\n")]);
    let stage = |mode, force| Stage::new(out, mode, eks.keys().cloned().collect(), "eks", force);
    let err = stage(Mode::Write, false).unwrap_err();
    assert!(
        matches!(&err, WriteError::OtherTarget { found, wanted, .. } if found == "ecs" && wanted == "eks"),
        "{err}"
    );
    assert!(err.to_string().contains("--force"), "{err}");
    let err = stage(Mode::Check, false).unwrap_err();
    assert!(
        matches!(
            err,
            WriteError::OtherTarget {
                force_helps: false,
                ..
            }
        ),
        "{err}"
    );
    assert!(out.join("ecs.tf").exists());
    // Forced, the eks render takes the folder over.
    let stage = stage(Mode::Write, true).unwrap();
    let staged = vec![stage.stage("eks.yaml".into(), b"k: 1\n".to_vec()).unwrap()];
    let report = finish(stage, staged, true).unwrap();
    assert_eq!(report.removed, vec!["ecs.tf"]);
    assert!(read(out, MANIFEST).contains("\"target\": \"eks\""));
}

#[test]
fn a_second_render_into_a_locked_folder_refuses_naming_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("a.tf", "a\n")]);
    let (first, staged) = stage_all(out, &files, Mode::Write).unwrap();
    let pid = std::process::id();
    for mode in [Mode::Write, Mode::Check, Mode::Diff] {
        let err = stage_all(out, &files, mode).unwrap_err();
        assert!(
            matches!(&err, WriteError::Busy { pid: Some(p), .. } if *p == pid),
            "{mode:?}: {err}"
        );
        assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
    }
    finish(first, staged, false).unwrap();
    assert!(!out.join(LOCK_FILE).exists());
    // Readers share the folder; a render waits for none of them.
    let (reader, _) = stage_all(out, &files, Mode::Check).unwrap();
    assert!(stage_all(out, &files, Mode::Diff).is_ok());
    assert!(matches!(
        stage_all(out, &files, Mode::Write),
        Err(WriteError::Busy { pid: None, .. })
    ));
    drop(reader);
    write(out, &files, false).unwrap();
}

#[test]
fn out_naming_a_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-folder");
    fs::write(&file, "x\n").unwrap();
    let files = rendered(&[("a.tf", "a\n")]);
    for out in [file.clone(), file.join("below")] {
        let err = write(&out, &files, false).unwrap_err();
        assert!(
            matches!(&err, WriteError::NotAFolder { path } if path == &file),
            "{err}"
        );
        assert!(err.to_string().contains("not a folder"), "{err}");
    }
    assert!(matches!(
        changes(&file, &files),
        Err(WriteError::NotAFolder { .. })
    ));
}

#[test]
fn a_journal_blueprint_did_not_write_is_refused_not_followed() {
    let (elsewhere, before) = decoy();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let files = rendered(&[("a.tf", "a\n")]);
    write(out, &files, false).unwrap();
    let staging = out.join(".blueprint-staging-7-0");
    fs::create_dir_all(staging.join("new")).unwrap();
    fs::write(staging.join("manifest.json"), "{}").unwrap();
    let outside = elsewhere.path().join("decoy.txt");
    for journal in [
        "not json".to_owned(),
        format!(
            "{{\"format\":1,\"mkdirs\":[],\"ops\":[{{\"op\":\"remove\",\"path\":\"{}\"}}]}}",
            outside.display()
        ),
        "{\"format\":1,\"mkdirs\":[],\"ops\":[{\"op\":\"add\",\"path\":\"../x\",\"new\":\"0\"}]}"
            .to_owned(),
        "{\"format\":1,\"mkdirs\":[],\"ops\":[{\"op\":\"add\",\"path\":\"x\",\"new\":\"../../y\"}]}"
            .to_owned(),
    ] {
        fs::write(staging.join("journal.json"), &journal).unwrap();
        let err = write(out, &files, false).unwrap_err();
        assert!(matches!(err, WriteError::BadJournal { .. }), "{journal}: {err}");
        assert!(staging.exists(), "left for a person to look at");
    }
    assert_eq!(tree(elsewhere.path()), before);
    // check reports the interrupted render instead of comparing.
    assert!(matches!(
        changes(out, &files),
        Err(WriteError::Interrupted { .. })
    ));
}

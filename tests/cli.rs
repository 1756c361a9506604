//! The command line as users run it: exit codes, check/diff, ownership of
//! files, refusals that write nothing.

use crate::support::{read_tree, repo, run};
use std::path::{Path, PathBuf};

fn commerce() -> PathBuf {
    repo().join("blueprints/commerce.yaml")
}

fn render(dir: &Path, file: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "render",
        "--target",
        "ecs",
        "--file",
        file.to_str().unwrap(),
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn io(cmd: &str, file: &Path) -> Vec<String> {
    [
        "--target",
        "ecs",
        "--file",
        file.to_str().unwrap(),
        "--out",
        "out",
    ]
    .iter()
    .map(|s| s.to_string())
    .fold(vec![cmd.to_string()], |mut v, s| {
        v.push(s);
        v
    })
}

fn run_io(dir: &Path, cmd: &str, file: &Path) -> crate::support::Run {
    let args = io(cmd, file);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(dir, &refs)
}

#[test]
fn two_renders_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let r = render(a.path(), &commerce(), &[]);
    assert_eq!(r.code, 0, "{r}");
    let r = render(b.path(), &commerce(), &[]);
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(
        read_tree(&a.path().join("out")),
        read_tree(&b.path().join("out"))
    );
}

#[test]
fn check_passes_on_fresh_output_and_fails_after_a_hand_edit_which_diff_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let r = render(tmp.path(), &commerce(), &[]);
    assert_eq!(r.code, 0, "{r}");
    let r = run_io(tmp.path(), "check", &commerce());
    assert_eq!(r.code, 0, "{r}");
    let r = run_io(tmp.path(), "diff", &commerce());
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");

    let main = tmp.path().join("out/prod/main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("commerce-prod", "hand-edited")).unwrap();

    let r = run_io(tmp.path(), "check", &commerce());
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("prod/main.tf"), "{r}");
    let r = run_io(tmp.path(), "diff", &commerce());
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("-  name = \"hand-edited\"") || r.stdout.contains("hand-edited"),
        "{r}"
    );
    assert!(r.stdout.contains("+++ b/prod/main.tf"), "{r}");

    // A hand-edited file is not overwritten without --force.
    let r = render(tmp.path(), &commerce(), &[]);
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("diff"),
        "the refusal points at `blueprint diff`: {r}"
    );
    assert!(std::fs::read_to_string(&main)
        .unwrap()
        .contains("hand-edited"));
    let r = render(tmp.path(), &commerce(), &["--force"]);
    assert_eq!(r.code, 0, "{r}");
    let r = run_io(tmp.path(), "check", &commerce());
    assert_eq!(r.code, 0, "{r}");
}

#[test]
fn a_users_file_survives_a_re_render_and_stale_generated_files_go() {
    let tmp = tempfile::tempdir().unwrap();
    let r = render(tmp.path(), &commerce(), &[]);
    assert_eq!(r.code, 0, "{r}");
    let mine = tmp.path().join("out/prod/backend.tf");
    std::fs::write(&mine, "terraform {\n  backend \"s3\" {}\n}\n").unwrap();

    // Drop the dev environment: its generated files go, the user's file stays.
    let text = std::fs::read_to_string(commerce()).unwrap();
    let without_dev = text.replace(
        "  dev:   { overrides: { services: { api: { scale: { min: 1, max: 2 } } } } }\n",
        "",
    );
    assert_ne!(text, without_dev, "the fixture still declares dev");
    let file = write_blueprint(tmp.path(), &without_dev);
    let r = render(tmp.path(), &file, &[]);
    assert_eq!(r.code, 0, "{r}");
    assert!(mine.exists(), "{r}");
    assert!(!tmp.path().join("out/dev/main.tf").exists(), "{r}");
    assert!(tmp.path().join("out/prod/main.tf").exists(), "{r}");
}

#[test]
fn a_broken_blueprint_exits_2_names_path_line_and_suggestion_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_blueprint(tmp.path(), "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api:\n    imgae: nginx:1\n    port: 80\n");
    let r = render(tmp.path(), &file, &[]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("imgae"), "{r}");
    assert!(r.stderr.contains("services.api"), "{r}");
    assert!(r.stderr.contains(":6:"), "line 6: {r}");
    assert!(r.stderr.contains("image"), "suggests `image`: {r}");
    assert!(!tmp.path().join("out").exists(), "nothing written: {r}");
}

#[test]
fn every_error_is_reported_in_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_blueprint(tmp.path(), "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 99999\n    cpu: lots\n    publishes: [nowhere]\n");
    let r = run(tmp.path(), &["validate", "--file", file.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r}");
    for needle in ["port", "cpu", "nowhere"] {
        assert!(r.stderr.contains(needle), "mentions {needle}: {r}");
    }
}

#[test]
fn lambda_refuses_a_long_job_with_the_reason_and_the_targets_that_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_blueprint(tmp.path(), "version: 1\nname: shop\nregion: eu-west-1\njobs:\n  backfill:\n    schedule: \"0 1 * * *\"\n    image: busybox:1\n    timeout: 2h\n");
    let r = run(
        tmp.path(),
        &[
            "render",
            "--target",
            "lambda",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("backfill"), "{r}");
    assert!(
        r.stderr.contains("15m") || r.stderr.contains("15 minutes"),
        "{r}"
    );
    assert!(r.stderr.contains("ecs") && r.stderr.contains("eks"), "{r}");
    assert!(!tmp.path().join("infra").exists(), "{r}");
}

#[test]
fn help_documents_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["render", "--help"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("Exit codes"), "{r}");
    let r = run(tmp.path(), &["render", "--target", "nowhere"]);
    assert_eq!(r.code, 2, "usage errors exit 2: {r}");
}

#[test]
fn the_fargate_rounding_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_blueprint(tmp.path(), "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api:\n    image: nginx:1\n    port: 80\n    cpu: 0.3\n    memory: 600Mi\n");
    let r = render(tmp.path(), &file, &[]);
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stderr
            .contains("api: 0.3 vCPU / 600Mi rounds up to the Fargate size 0.5 vCPU / 1Gi"),
        "{r}"
    );
    let main = std::fs::read_to_string(tmp.path().join("out/prod/main.tf")).unwrap();
    assert!(
        main.contains("cpu") && main.contains("512") && main.contains("1024"),
        "{main}"
    );
}

#[test]
fn every_target_renders_deterministically_checks_clean_and_keeps_user_files() {
    for target in ["ecs", "eks", "lambda"] {
        let tmp = tempfile::tempdir().unwrap();
        let file = commerce();
        let args = |cmd: &'static str| -> Vec<String> {
            vec![
                cmd.into(),
                "--target".into(),
                target.into(),
                "--file".into(),
                file.to_str().unwrap().into(),
                "--out".into(),
                "out".into(),
            ]
        };
        let go = |cmd: &'static str| {
            let a = args(cmd);
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            run(tmp.path(), &refs)
        };
        let r = go("render");
        assert_eq!(r.code, 0, "{target}: {r}");
        let first = read_tree(&tmp.path().join("out"));
        assert!(first.len() > 3, "{target}: {r}");
        let r = go("check");
        assert_eq!(r.code, 0, "{target}: {r}");

        // A file of the user's survives; a hand edit is found by check and diff.
        let mine = tmp.path().join("out/NOTES.txt");
        std::fs::write(&mine, "mine\n").unwrap();
        let (path, bytes) = first
            .iter()
            .find(|(p, _)| !p.starts_with('.') && p.as_str() != "README.md")
            .unwrap();
        let edited = tmp.path().join("out").join(path);
        let mut changed = bytes.clone();
        changed.extend_from_slice(b"\n# edited by hand\n");
        std::fs::write(&edited, &changed).unwrap();
        let r = go("check");
        assert_eq!(r.code, 1, "{target}: {r}");
        assert!(r.stdout.contains(path.as_str()), "{target}: {r}");
        let r = go("diff");
        assert_eq!(r.code, 1, "{target}: {r}");
        // render would take the edit back out
        assert!(r.stdout.contains("-# edited by hand"), "{target}: {r}");
        let r = go("render");
        assert_eq!(r.code, 2, "{target}: a hand edit is not overwritten: {r}");
        let r = {
            let mut a = args("render");
            a.push("--force".into());
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            run(tmp.path(), &refs)
        };
        assert_eq!(r.code, 0, "{target}: {r}");
        assert!(mine.exists(), "{target}: the user's file survives: {r}");
        let mut after = read_tree(&tmp.path().join("out"));
        after.remove("NOTES.txt");
        assert_eq!(
            after, first,
            "{target}: same bytes after a forced re-render"
        );
    }
}

/// Writes `text` as `blueprint.yaml` in `dir` and returns its path.
fn write_blueprint(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join("blueprint.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

//! The review and editor commands as users run them: the security section
//! of `diff`, error excerpts and colour, `schema`, `init`, `completions`.

use crate::support::{bin, repo, run};
use std::path::Path;
use std::process::Command;

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the blueprint binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const TYPO: &str =
    "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api:\n    imgae: nginx:1\n    port: 80\n";

/// The bundled commerce blueprint copied into a temporary folder and
/// rendered for ECS into `out`: the folder, the blueprint's path and text.
fn rendered_commerce() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("blueprint.yaml");
    let text = std::fs::read_to_string(repo().join("blueprints/commerce.yaml")).unwrap();
    std::fs::write(&file, &text).unwrap();
    let r = run(tmp.path(), &ecs_io(&file, "render"));
    assert_eq!(r.code, 0, "{r}");
    (tmp, file, text)
}

fn ecs_io<'a>(file: &'a Path, command: &'a str) -> Vec<&'a str> {
    vec![
        command,
        "--target",
        "ecs",
        "--file",
        file.to_str().unwrap(),
        "--out",
        "out",
    ]
}

#[test]
fn diff_names_a_new_calls_edge_in_its_security_section() {
    let (tmp, file, text) = rendered_commerce();

    // payments now calls api.
    let edited = text.replace("    port: 9000\n", "    port: 9000\n    calls: [api]\n");
    assert_ne!(edited, text, "the fixture still has payments on port 9000");
    std::fs::write(&file, edited).unwrap();

    let r = run(tmp.path(), &ecs_io(&file, "diff"));
    assert_eq!(r.code, 1, "{r}");
    let summary_at = r.stdout.find("Resources: ").expect("a summary");
    let security_at = r.stdout.find("Security: ").expect("a security section");
    let diff_at = r
        .stdout
        .find("--- a/prod/main.tf")
        .expect("the unified diff");
    assert!(summary_at < security_at && security_at < diff_at, "{r}");
    let security = &r.stdout[security_at..diff_at];
    for needle in [
        "prod: module.shared.aws_vpc_security_group_ingress_rule.calls[\"globex/payments>globex/api\"]",
        "network: ingress tcp/8080 into globex/api from globex/payments",
        "prod: module.tenant_acme.aws_vpc_security_group_ingress_rule.calls[\"payments>api\"]",
        "dev: module.shared.aws_vpc_security_group_ingress_rule.calls[\"globex/payments>globex/api\"]",
    ] {
        assert!(security.contains(needle), "{needle} in\n{security}");
    }
    assert!(
        r.stdout[..security_at].contains(
            "+ prod: module.shared.aws_vpc_security_group_egress_rule.calls[\"globex/payments>globex/api\"]"
        ),
        "{r}"
    );
    // Only the new edges widen access: 2 environments x 2 platforms.
    assert!(
        security.starts_with("Security: 4 changes widen access\n"),
        "{security}"
    );

    // Same bytes every run; check keeps its exit code.
    let again = run(tmp.path(), &ecs_io(&file, "diff"));
    assert_eq!(again.stdout, r.stdout);
    let r = run(tmp.path(), &ecs_io(&file, "check"));
    assert_eq!(r.code, 1, "{r}");
}

#[test]
fn diff_counts_what_an_image_tag_bump_changes() {
    let (tmp, file, text) = rendered_commerce();

    // A new build of payments: only the variable defaults change in the
    // files, but every task definition that names the variable gets a new
    // revision, and the service running it a new deployment.
    let edited = text.replace("ghcr.io/acme/payments:2.0.1", "ghcr.io/acme/payments:2.0.2");
    assert_ne!(edited, text, "the fixture still pins payments 2.0.1");
    std::fs::write(&file, edited).unwrap();
    let r = run(tmp.path(), &ecs_io(&file, "diff"));
    assert_eq!(r.code, 1, "{r}");
    let summary = &r.stdout[..r.stdout.find("Security: ").expect("a security section")];
    assert!(
        summary.starts_with("Resources: 0 to add, 8 to change, 0 to remove\n"),
        "{summary}"
    );
    for env in ["dev", "prod"] {
        for needle in [
            "module.shared.aws_ecs_task_definition.workload[\"globex/payments\"]",
            "module.shared.aws_ecs_service.this[\"globex/payments\"]",
            "module.tenant_acme.aws_ecs_task_definition.workload[\"payments\"]",
            "module.tenant_acme.aws_ecs_service.this[\"payments\"]",
        ] {
            assert!(
                summary.contains(&format!("  ~ {env}: {needle}\n")),
                "{needle} in\n{summary}"
            );
        }
    }
    assert!(r.stdout.contains("--- a/prod/variables.tf"), "{r}");
    assert!(!r.stdout.contains("--- a/prod/main.tf"), "{r}");
}

#[test]
fn errors_show_the_line_with_a_caret_the_path_and_the_hint() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("blueprint.yaml"), TYPO).unwrap();
    let (code, _, stderr) = run_env(tmp.path(), &["validate"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "error: service `api` is missing the required key `image`\n \
         --> blueprint.yaml:5:3 (services.api)\n  \
         |\n\
         5 |   api:\n  \
         |   ^^^\n\
         \n\
         error: unknown key `imgae` in service `api`\n \
         --> blueprint.yaml:6:5 (services.api.imgae)\n  \
         |\n\
         6 |     imgae: nginx:1\n  \
         |     ^^^^^\n  \
         = help: did you mean `image`?\n\
         \n\
         blueprint.yaml: 2 error(s); nothing was written\n"
    );
}

#[test]
fn colour_is_forced_only_without_no_color() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("blueprint.yaml"), TYPO).unwrap();
    // Not a terminal: plain.
    let (_, _, plain) = run_env(tmp.path(), &["validate"], &[]);
    assert!(!plain.contains('\x1b'), "{plain}");
    let (_, _, forced) = run_env(tmp.path(), &["validate"], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\x1b[1;31m^^^^^\x1b[0m"), "{forced}");
    let (code, _, no_color) = run_env(
        tmp.path(),
        &["validate"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert_eq!(code, 2);
    assert!(!no_color.contains('\x1b'), "{no_color}");
    assert_eq!(no_color, plain);
}

#[test]
fn init_writes_a_starter_that_loads_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["init"]);
    assert_eq!(r.code, 0, "{r}");
    let file = tmp.path().join("blueprint.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=./blueprint.schema.json\n"));
    assert!(blueprint::normalize::load(&text).is_ok());
    let r = run(tmp.path(), &["validate", "--target", "lambda"]);
    assert_eq!(r.code, 0, "{r}");

    std::fs::write(&file, "mine\n").unwrap();
    let r = run(tmp.path(), &["init"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("blueprint.yaml already exists"), "{r}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");

    let r = run(tmp.path(), &["init", "--file", "other.yaml"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(tmp.path().join("other.yaml").exists());
}

#[test]
fn schema_and_completions_print_to_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["schema"]);
    assert_eq!(r.code, 0, "{r}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["additionalProperties"], false);

    let r = run(tmp.path(), &["completions", "bash"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("_blueprint()"), "{r}");
    assert!(r.stdout.contains("complete -F _blueprint"), "{r}");
    for sub in ["render", "diff", "schema", "init", "completions"] {
        assert!(r.stdout.contains(sub), "{sub}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let r = run(tmp.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{r}");
        assert!(!r.stdout.is_empty());
    }
    let r = run(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(r.code, 2, "{r}");
}

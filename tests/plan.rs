//! `blueprint plan`, `blueprint graph` and the generated README, run as
//! users run them.

use crate::support::{read_tree, repo, run};

fn bp(name: &str) -> String {
    repo()
        .join("blueprints")
        .join(format!("{name}.yaml"))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn plan_json_parses_with_the_documented_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["plan", "--file", &bp("commerce"), "--json"]);
    assert_eq!(r.code, 0, "{r}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("plan --json prints JSON");
    assert_eq!(v["blueprint"], "commerce");
    assert_eq!(v["currency"], "USD");
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(
        targets
            .iter()
            .map(|t| t["target"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ecs", "eks", "lambda"]
    );
    for t in targets {
        assert!(t["cost"]["total"]["total"].is_number(), "{t}");
        assert!(t["reasons"].is_array());
    }
    assert!(["ecs", "eks", "lambda"].contains(&v["recommendation"]["target"].as_str().unwrap()));
    let again = run(tmp.path(), &["plan", "--file", &bp("commerce"), "--json"]);
    assert_eq!(r.stdout, again.stdout, "deterministic");
}

#[test]
fn plan_flags_change_the_assumptions() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        tmp.path(),
        &[
            "plan",
            "--file",
            &bp("saas"),
            "--json",
            "--requests-per-month",
            "5000000",
            "--avg-duration-ms",
            "50",
            "--messages-per-month",
            "10",
            "--job-duration-fraction",
            "0.25",
            "--lcu",
            "3",
            "--nat-gb-per-month",
            "0",
            "--nat-gateways",
            "3",
        ],
    );
    assert_eq!(r.code, 0, "{r}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let a: Vec<(String, f64)> = v["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        a,
        [
            ("requests_per_month".to_string(), 5_000_000.0),
            ("avg_duration_ms".to_string(), 50.0),
            ("messages_per_month".to_string(), 10.0),
            ("job_duration_fraction".to_string(), 0.25),
            ("lcu".to_string(), 3.0),
            ("nat_gb_per_month".to_string(), 0.0),
            ("nat_gateways".to_string(), 3.0),
        ]
    );
    // NAT: 3 gateways × 0.045 × 730 = 98.55 per environment, no data.
    assert_eq!(v["targets"][0]["cost"]["environments"][0]["nat"], 98.55);
    // saas has a 2h job: Lambda does not fit, and says why.
    let lambda = &v["targets"][2];
    assert_eq!(lambda["fits"], false);
    assert!(lambda["reasons"][0]["message"]
        .as_str()
        .unwrap()
        .contains("15m"));
}

#[test]
fn plan_refuses_bad_assumptions() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        tmp.path(),
        &[
            "plan",
            "--file",
            &bp("minimal"),
            "--job-duration-fraction",
            "2",
        ],
    );
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("from 0 to 1"), "{r}");
}

#[test]
fn plan_prints_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(tmp.path(), &["plan", "--file", &bp("minimal")]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("monthly cost (USD):"), "{r}");
    assert!(r.stdout.contains("recommendation: ecs"), "{r}");
}

#[test]
fn graph_prints_mermaid_and_dot() {
    let tmp = tempfile::tempdir().unwrap();
    let m = run(tmp.path(), &["graph", "--file", &bp("commerce")]);
    assert_eq!(m.code, 0, "{m}");
    assert!(m.stdout.starts_with("flowchart LR\n"), "{m}");
    let d = run(
        tmp.path(),
        &["graph", "--file", &bp("commerce"), "--format", "dot"],
    );
    assert_eq!(d.code, 0, "{d}");
    assert!(
        d.stdout.starts_with("digraph \"blueprint\" {\n") && d.stdout.ends_with("}\n"),
        "{d}"
    );
    assert_eq!(d.stdout.matches('{').count(), d.stdout.matches('}').count());
}

#[test]
fn render_writes_a_readme_in_the_output_folder() {
    for name in ["commerce", "minimal", "saas"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let r = run(
            tmp.path(),
            &[
                "render",
                "--target",
                "ecs",
                "--file",
                &bp(name),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{r}");
        let tree = read_tree(&out);
        let readme = String::from_utf8(tree["README.md"].clone()).unwrap();
        assert!(readme.contains("```mermaid\nflowchart LR\n"), "{readme}");
        assert!(readme.contains("terraform init"), "{readme}");
        // A second render leaves it as it is.
        let again = run(
            tmp.path(),
            &[
                "check",
                "--target",
                "ecs",
                "--file",
                &bp(name),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(again.code, 0, "{again}");
    }
}

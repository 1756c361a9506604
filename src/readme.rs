//! The `README.md` written at the root of every output folder: what is
//! inside, how to apply it, what it costs, and the diagram. Rendered by
//! tera from `templates/README.md.tera`, embedded in the binary, with
//! autoescape off (Markdown) and no clock, environment or randomness.

use crate::doc::{Document, FileSet};
use crate::model::{Model, Target};
use crate::plan::{self, prices, Assumptions};
use crate::{graph, targets};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE: &str = include_str!("../templates/README.md.tera");
/// Each target's part: its layout and how to apply it.
const PARTS: [(&str, &str); 3] = [
    (
        "readme/ecs.md",
        include_str!("../templates/readme/ecs.md.tera"),
    ),
    (
        "readme/eks.md",
        include_str!("../templates/readme/eks.md.tera"),
    ),
    (
        "readme/lambda.md",
        include_str!("../templates/readme/lambda.md.tera"),
    ),
];
/// Where the README goes in the output folder.
pub const PATH: &str = "README.md";
/// Layout entries shown before the listing is cut short.
const MAX_LAYOUT: usize = 40;

#[derive(Serialize)]
struct Entry {
    path: String,
    pad: String,
    description: String,
}

#[derive(Serialize)]
struct Stack {
    path: String,
    name: String,
}

#[derive(Serialize)]
struct AssumptionRow {
    meaning: String,
    value: String,
    flag: String,
}

fn title(t: Target) -> &'static str {
    match t {
        Target::Ecs => "ECS Fargate (Terraform)",
        Target::Eks => "EKS with Karpenter (Terraform and Kustomize)",
        Target::Lambda => "Lambda, API Gateway and EventBridge (CloudFormation)",
    }
}

/// Directories (with their file counts) and top-level files of `files`.
fn layout(model: &Model, files: &FileSet) -> Vec<Entry> {
    let envs: BTreeSet<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
    let mut dirs: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut top_files = Vec::new();
    for path in files.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() == 1 {
            top_files.push(path.clone());
            continue;
        }
        for depth in 1..parts.len().min(4) {
            let dir = parts[..depth].join("/");
            let e = dirs.entry(dir).or_default();
            e.0 += 1;
            if depth == parts.len() - 1 && path.ends_with(".tf") {
                e.1 = true;
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (dir, (count, has_tf)) in &dirs {
        let depth = dir.matches('/').count();
        let last = dir.rsplit('/').next().unwrap_or(dir);
        let files = if *count == 1 {
            "1 file".to_string()
        } else {
            format!("{count} files")
        };
        let what = if dir == "modules" {
            "Terraform modules".to_string()
        } else if dir.ends_with("modules/platform") {
            "the platform module: the same for every blueprint".to_string()
        } else if envs.contains(last) && dir.contains("overlays") {
            format!("Kustomize overlay of environment `{last}`")
        } else if envs.contains(last) && dir.ends_with(&format!("clusters/{last}")) {
            format!("Flux entry point of environment `{last}`")
        } else if envs.contains(last) && dir.ends_with(&format!("platform/{last}")) {
            format!("controllers of environment `{last}`")
        } else if envs.contains(last) && *has_tf {
            format!("Terraform root of environment `{last}`")
        } else if envs.contains(last) {
            format!("environment `{last}`")
        } else if last == "base" {
            "Kustomize base: every tenant's namespace and policies".to_string()
        } else if last == "workloads" && dir.starts_with("kubernetes") {
            "every workload's objects, shared by all overlays".to_string()
        } else {
            String::new()
        };
        let description = if what.is_empty() {
            files
        } else {
            format!("{what} ({files})")
        };
        out.push((format!("{}{last}/", "  ".repeat(depth)), description));
    }
    // The README is listed whether or not it is already in `files`, in the
    // same place, so rendering twice gives the same text.
    let top_files: BTreeSet<String> = top_files
        .into_iter()
        .chain(std::iter::once(PATH.to_string()))
        .collect();
    for f in top_files {
        let what = if f == PATH {
            "this file"
        } else if f.ends_with(".template.json") {
            "CloudFormation template"
        } else if f == "manifest.json" {
            "cloud assembly manifest: the stacks and their templates"
        } else if f == "cdk.out" {
            "cloud assembly version marker"
        } else {
            ""
        };
        out.push((f, what.to_string()));
    }
    if out.len() > MAX_LAYOUT {
        let more = out.len() - MAX_LAYOUT;
        out.truncate(MAX_LAYOUT);
        out.push(("...".to_string(), format!("and {more} more")));
    }
    let width = out
        .iter()
        .map(|(p, _)| p.chars().count())
        .max()
        .unwrap_or(0);
    out.into_iter()
        .map(|(path, description)| Entry {
            pad: " ".repeat(width - path.chars().count()),
            path,
            description,
        })
        .collect()
}

/// Folders holding `.tf` files outside `modules/`: the roots to apply.
fn tf_roots(files: &FileSet) -> Vec<String> {
    let roots: BTreeSet<String> = files
        .keys()
        .filter(|p| p.ends_with(".tf") && !p.starts_with("modules/") && !p.contains("/modules/"))
        .map(|p| {
            p.rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_else(|| ".".into())
        })
        .collect();
    roots.into_iter().collect()
}

/// A Terraform root and the inputs it has no default for.
#[derive(Serialize)]
struct RootInputs {
    root: String,
    required: Vec<Input>,
}

#[derive(Serialize)]
struct Input {
    name: String,
    description: String,
}

/// The roots in the order to apply them: production last (a root named
/// `prod`, `production` or starting with `prod-`/`production-`), the others
/// by name, so that a change meets staging before production.
fn apply_order(roots: &[String]) -> Vec<String> {
    let prod = |r: &str| crate::aws::defaults::production(r.rsplit('/').next().unwrap_or(r));
    let mut out: Vec<String> = roots.iter().filter(|r| !prod(r)).cloned().collect();
    out.extend(roots.iter().filter(|r| prod(r)).cloned());
    out
}

/// Per root, the variables without a default, with their descriptions.
fn tf_inputs(files: &FileSet, roots: &[String]) -> Vec<RootInputs> {
    roots
        .iter()
        .map(|root| {
            let mut required = Vec::new();
            for (path, doc) in files {
                let in_root = path.rsplit_once('/').is_some_and(|(d, _)| d == root);
                let Document::Hcl(body) = doc else { continue };
                if !in_root {
                    continue;
                }
                for b in body.blocks().filter(|b| b.identifier() == "variable") {
                    let attr = |k: &str| b.body().attributes().find(|a| a.key() == k);
                    if attr("default").is_some() {
                        continue;
                    }
                    let description = match attr("description").map(|a| a.expr()) {
                        Some(hcl::Expression::String(s)) => s.clone(),
                        _ => String::new(),
                    };
                    if let Some(name) = b.labels().first() {
                        required.push(Input {
                            name: name.as_str().to_string(),
                            description,
                        });
                    }
                }
            }
            RootInputs {
                root: root.clone(),
                required,
            }
        })
        .collect()
}

fn overlays(files: &FileSet) -> Vec<String> {
    let dirs: BTreeSet<String> = files
        .keys()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .filter(|d| d.contains("overlays/") && !d.ends_with("/patches"))
        .filter(|d| files.contains_key(&format!("{d}/kustomization.yaml")))
        .map(String::from)
        .collect();
    dirs.into_iter().collect()
}

/// The templates as stacks to deploy: in path order, except that a stack
/// comes after the stacks it imports from (`dependencies` in a cloud
/// assembly's `manifest.json`, when a big stack was split).
fn stacks(files: &FileSet) -> Vec<Stack> {
    let listed = listed_stacks(files);
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, doc) in files {
        if let (true, Document::Json(v)) = (path.ends_with("manifest.json"), doc) {
            for (name, a) in v["artifacts"].as_object().into_iter().flatten() {
                let deps = a["dependencies"].as_array().into_iter().flatten();
                dependencies.insert(
                    name.clone(),
                    deps.filter_map(|d| d.as_str().map(String::from)).collect(),
                );
            }
        }
    }
    let by_name: BTreeMap<&str, &Stack> = listed.iter().map(|s| (s.name.as_str(), s)).collect();
    fn visit<'s>(
        s: &'s Stack,
        by_name: &BTreeMap<&str, &'s Stack>,
        dependencies: &BTreeMap<String, Vec<String>>,
        seen: &mut BTreeSet<&'s str>,
        out: &mut Vec<Stack>,
    ) {
        if !seen.insert(s.name.as_str()) {
            return;
        }
        for d in dependencies.get(&s.name).into_iter().flatten() {
            if let Some(dep) = by_name.get(d.as_str()) {
                visit(dep, by_name, dependencies, seen, out);
            }
        }
        out.push(Stack {
            path: s.path.clone(),
            name: s.name.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &listed {
        visit(s, &by_name, &dependencies, &mut seen, &mut out);
    }
    out
}

/// A generated `deploy.sh` (the Lambda target's), for the README: what
/// it reads (its header's list) and, per environment, the stack commands
/// it runs, in order.
#[derive(Serialize, Default)]
struct DeployScript {
    reads: Vec<String>,
    commands: Vec<String>,
}

fn deploy_script(files: &FileSet) -> DeployScript {
    let mut out = DeployScript::default();
    let Some(Document::Text(text)) = files.get("deploy.sh") else {
        return out;
    };
    let (mut reading, mut cases) = (false, false);
    for line in text.lines() {
        if line == "# It reads:" {
            reading = true;
        } else if reading && line.starts_with("#   ") {
            out.reads.push(line[4..].to_string());
        } else {
            reading = false;
        }
        cases = match line {
            "  case \"$environment\" in" => true,
            "  esac" => false,
            _ => cases,
        };
        let label = line.strip_prefix("  ").and_then(|l| l.strip_suffix(')'));
        if let (true, Some(env)) = (cases, label) {
            if env != "*" {
                out.commands.push(format!("# {env}"));
            }
        }
        if let Some(c) = line.strip_prefix("    aws cloudformation deploy ") {
            out.commands.push(format!("aws cloudformation deploy {c}"));
        }
    }
    out
}

/// Whether a cloud assembly has stacks that import from others.
fn split_stacks(files: &FileSet) -> bool {
    files.iter().any(|(path, doc)| {
        matches!((path.ends_with("manifest.json"), doc), (true, Document::Json(v))
            if v["artifacts"].as_object().into_iter().flatten().any(|(_, a)| a.get("dependencies").is_some()))
    })
}

fn listed_stacks(files: &FileSet) -> Vec<Stack> {
    files
        .iter()
        .filter(|(p, d)| {
            p.ends_with(".json")
                && (matches!(d, Document::Json(v) if v.get("Resources").is_some())
                    || matches!(d, Document::Deferred(_)))
        })
        .map(|(p, _)| {
            let file = p.rsplit('/').next().unwrap_or(p);
            let stem = file.trim_end_matches(".json").trim_end_matches(".template");
            let name: String = stem
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            Stack {
                path: p.clone(),
                name,
            }
        })
        .collect()
}

/// The README for `target`'s output `files`, with the emitter's `notes`.
pub fn render(model: &Model, target: Target, files: &FileSet, notes: &[String]) -> String {
    let a = Assumptions::default();
    let (envs, total, nodes) = plan::target_cost(model, target, &a);
    let money = plan::money;
    let mut costs: Vec<Vec<String>> = envs
        .iter()
        .map(|(e, c)| {
            let mut r = vec![format!("`{e}`")];
            r.extend(c.columns().map(money));
            r
        })
        .collect();
    if envs.len() > 1 {
        let mut r = vec!["**total**".to_string()];
        r.extend(total.columns().map(|x| format!("**{}**", money(x))));
        costs.push(r);
    }
    let assumptions: Vec<AssumptionRow> = a
        .list(model)
        .into_iter()
        .map(|(_, v, flag, meaning)| AssumptionRow {
            meaning: meaning.to_string(),
            value: if v.fract() == 0.0 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            },
            flag: flag.to_string(),
        })
        .collect();
    let mut node_lines: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "`{}`/`{}`: {} × {} {}",
                n.environment,
                n.platform,
                n.count,
                n.instance,
                if n.spot { "spot" } else { "on-demand" }
            )
        })
        .collect();
    if target == Target::Eks {
        node_lines.push(format!(
            "per cluster: {} × {} on-demand system nodes (Karpenter, CoreDNS)",
            prices::SYSTEM_NODES,
            prices::SYSTEM_NODE_TYPE
        ));
    }
    let mut cx = tera::Context::new();
    cx.insert("app", model.app.name.as_str());
    cx.insert("region", &model.app.region);
    cx.insert("target", target.as_str());
    cx.insert("target_title", title(target));
    cx.insert("layout", &layout(model, files));
    let roots = tf_roots(files);
    cx.insert("tf_apply_order", &apply_order(&roots));
    cx.insert("tf_inputs", &tf_inputs(files, &roots));
    cx.insert("tf_roots", &roots);
    cx.insert("overlays", &overlays(files));
    cx.insert("stacks", &stacks(files));
    cx.insert("split_stacks", &split_stacks(files));
    cx.insert("deploy", &deploy_script(files));
    cx.insert("price_region", prices::PRICE_REGION);
    cx.insert("costs", &costs);
    cx.insert("assumptions", &assumptions);
    cx.insert("nodes", &node_lines);
    cx.insert("notes", notes);
    cx.insert("mermaid", &graph::mermaid(model));
    // The services that keep state, in any environment or tenant.
    let stateful: BTreeSet<&str> = model
        .environments
        .iter()
        .flat_map(|e| e.all_workloads())
        .flat_map(|(_, w)| &w.services)
        .filter(|s| s.stateful)
        .map(|s| s.name.as_str())
        .collect();
    cx.insert("stateful", &stateful);
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_templates(std::iter::once(("README.md", TEMPLATE)).chain(PARTS))
        .expect("the embedded README template parses");
    tera.render("README.md", &cx)
        .expect("the README template renders with its context")
}

/// Adds `README.md` to a lowered output (cli.rs calls this after
/// `targets::lower`).
pub fn add(model: &Model, target: Target, output: &mut targets::Output) {
    let text = render(model, target, &output.files, &output.notes);
    output.files.insert(PATH.to_string(), Document::Text(text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;

    #[test]
    fn production_is_applied_last() {
        let roots: Vec<String> = ["dev", "production-eu", "prod", "staging", "products"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            apply_order(&roots),
            ["dev", "staging", "products", "production-eu", "prod"]
        );
    }

    #[test]
    fn readme_for_every_target() {
        for src in [
            include_str!("../blueprints/commerce.yaml"),
            include_str!("../blueprints/minimal.yaml"),
            include_str!("../blueprints/saas.yaml"),
        ] {
            let m = normalize::load(src).unwrap();
            for t in Target::ALL {
                let mut out = if targets::is_implemented(t) && normalize::fit(&m, t).is_empty() {
                    targets::lower(&std::sync::Arc::new(m.clone()), t)
                } else {
                    targets::Output::default()
                };
                add(&m, t, &mut out);
                let Document::Text(text) = &out.files[PATH] else {
                    panic!("README is text");
                };
                assert!(
                    text.contains("## How to apply it") || text.contains("## How to deploy it"),
                    "{text}"
                );
                assert!(text.contains("```mermaid\nflowchart LR\n"), "{text}");
                assert!(text.contains("| environment | compute |"), "{text}");
                let again = render(&m, t, &out.files, &out.notes);
                // Rendering again sees README.md in the files: same text.
                assert_eq!(&again, text);
            }
        }
    }

    #[test]
    fn ecs_readme_lists_roots_and_layout() {
        let m = normalize::load(include_str!("../blueprints/commerce.yaml")).unwrap();
        let mut out = targets::lower(&std::sync::Arc::new(m.clone()), Target::Ecs);
        add(&m, Target::Ecs, &mut out);
        let Document::Text(text) = &out.files[PATH] else {
            panic!()
        };
        // Production last, with the plan that was reviewed.
        let dev = text
            .find("cd dev && terraform init && terraform plan -out plan.tfplan && terraform apply plan.tfplan")
            .expect("dev is applied");
        let prod = text
            .find("cd prod && terraform init")
            .expect("prod is applied");
        assert!(dev < prod, "{text}");
        // What each root needs, the state backend and what not to commit.
        assert!(
            text.contains("- `prod`: `certificate_arn`, `domain_name`"),
            "{text}"
        );
        assert!(
            text.contains("- `certificate_arn`: ACM certificate"),
            "{text}"
        );
        assert!(text.contains("backend \"s3\""), "{text}");
        assert!(text.contains("*.tfstate"), "{text}");
        assert!(text.contains("dev/ "), "{text}");
        assert!(
            text.contains("Terraform root of environment `prod`"),
            "{text}"
        );
        assert!(text.contains("| `prod` |"), "{text}");
        assert!(text.contains("| **total** |"), "{text}");
    }

    #[test]
    fn lambda_readme_deploys_a_split_stack_after_the_stacks_it_imports_from() {
        use serde_json::json;
        let stack = |n: &str| Document::Json(json!({"Description": n, "Resources": {}}));
        let mut files = FileSet::new();
        // Path order would deploy the part (`-` sorts before `.`) and the
        // tenant stack before the stack they import from.
        files.insert("A-Prod-Globex-Part2.template.json".into(), stack("p2"));
        files.insert("A-Prod-Globex.template.json".into(), stack("g"));
        files.insert("A-Prod-Acme.template.json".into(), stack("a"));
        files.insert("A-Prod.template.json".into(), stack("core"));
        files.insert(
            "manifest.json".into(),
            Document::Json(json!({"artifacts": {
                "A-Prod": {},
                "A-Prod-Globex": {"dependencies": ["A-Prod"]},
                "A-Prod-Globex-Part2": {"dependencies": ["A-Prod", "A-Prod-Globex"]},
                "A-Prod-Acme": {}
            }})),
        );
        let names: Vec<String> = stacks(&files).into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "A-Prod-Acme",
                "A-Prod",
                "A-Prod-Globex",
                "A-Prod-Globex-Part2"
            ]
        );
    }
}

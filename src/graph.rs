//! The application as a diagram: services, queues and jobs with their
//! `calls`, `publishes` and `consumes` edges, one group per tenant copy,
//! the environments in a note. Printed as Mermaid (README.md, `blueprint
//! graph`) or Graphviz DOT (`blueprint graph --format dot`).
//!
//! Node IDs are generated (`t0_s1`), never taken from the blueprint; every
//! label is escaped for its format, so no blueprint string can end a label.

use crate::model::{Environment, Model, ServiceKind, Tier, Workloads};
use std::fmt::Write as _;

/// Above this many nodes, per-tenant copies are folded into one.
pub const MAX_NODES: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Service,
    Queue,
    Job,
}

struct Node {
    id: String,
    /// Lines of the label, unescaped.
    label: Vec<String>,
    shape: Shape,
}

struct Group {
    id: String,
    label: String,
    nodes: Vec<Node>,
}

struct Graph {
    note: String,
    groups: Vec<Group>,
    /// (from, to, label)
    edges: Vec<(String, String, &'static str)>,
}

/// The environment the diagram shows: `prod` when there is one, else the first.
fn shown(model: &Model) -> Option<&Environment> {
    model
        .environments
        .iter()
        .find(|e| e.name.as_str() == "prod")
        .or_else(|| model.environments.first())
}

fn tier_of(model: &Model, tenant: &str) -> &'static str {
    match model
        .tenants
        .iter()
        .find(|t| t.name.as_str() == tenant)
        .map(|t| t.tier)
    {
        Some(Tier::Dedicated) => "dedicated",
        _ => "shared",
    }
}

fn build(model: &Model) -> Graph {
    let envs: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
    let Some(env) = shown(model) else {
        return Graph {
            note: format!("{}: no environments", model.app.name),
            groups: Vec::new(),
            edges: Vec::new(),
        };
    };
    let mut note = format!("{}: environments {}", model.app.name, envs.join(", "));
    if envs.len() > 1 {
        let _ = write!(note, "; shown: {}", env.name);
    }
    let copies: Vec<&Workloads> = env.all_workloads().map(|(_, w)| w).collect();
    let per_copy = env.base.services.len() + env.base.jobs.len() + model.queues.len();
    let mut groups_src: Vec<(String, &Workloads)> = Vec::new();
    if copies.len() > 1 && per_copy * copies.len() > MAX_NODES {
        const LISTED: usize = 8;
        let names: Vec<String> = copies
            .iter()
            .filter_map(|w| w.tenant.as_ref())
            .map(|t| format!("{t} ({})", tier_of(model, t.as_str())))
            .collect();
        let mut label = format!("every tenant, one copy each ({}): ", names.len());
        label.push_str(&names[..names.len().min(LISTED)].join(", "));
        if names.len() > LISTED {
            let _ = write!(label, " and {} more", names.len() - LISTED);
        }
        groups_src.push((label, &env.base));
    } else {
        for w in copies {
            let label = match &w.tenant {
                Some(t) => format!("tenant {t} ({})", tier_of(model, t.as_str())),
                None => model.app.name.to_string(),
            };
            groups_src.push((label, w));
        }
    }
    let mut groups = Vec::new();
    let mut edges = Vec::new();
    for (g, (label, w)) in groups_src.into_iter().enumerate() {
        let sid = |i: usize| format!("t{g}_s{i}");
        let qid = |i: usize| format!("t{g}_q{i}");
        let jid = |i: usize| format!("t{g}_j{i}");
        let service_index = |name: &str| w.services.iter().position(|s| s.name.as_str() == name);
        let queue_index = |name: &str| model.queues.iter().position(|q| q.name.as_str() == name);
        let mut nodes = Vec::new();
        for (i, s) in w.services.iter().enumerate() {
            let kind = match s.kind() {
                ServiceKind::Http => match s.expose {
                    crate::model::Expose::Public => "public HTTP".to_string(),
                    crate::model::Expose::Internal => "internal HTTP".to_string(),
                },
                ServiceKind::Worker => "queue worker".to_string(),
                ServiceKind::Background => "background".to_string(),
            };
            nodes.push(Node {
                id: sid(i),
                label: vec![s.name.to_string(), kind],
                shape: Shape::Service,
            });
            for c in &s.calls {
                if let Some(t) = service_index(c.as_str()) {
                    edges.push((sid(i), sid(t), "calls"));
                }
            }
            for q in &s.publishes {
                if let Some(t) = queue_index(q.as_str()) {
                    edges.push((sid(i), qid(t), "publishes"));
                }
            }
            for q in &s.consumes {
                if let Some(t) = queue_index(q.as_str()) {
                    edges.push((qid(t), sid(i), "consumes"));
                }
            }
        }
        for (i, q) in model.queues.iter().enumerate() {
            let mut label = vec![q.name.to_string()];
            if q.fifo {
                label.push("FIFO".to_string());
            }
            nodes.push(Node {
                id: qid(i),
                label,
                shape: Shape::Queue,
            });
        }
        for (i, j) in w.jobs.iter().enumerate() {
            nodes.push(Node {
                id: jid(i),
                label: vec![j.name.to_string(), j.schedule.to_string()],
                shape: Shape::Job,
            });
            for c in &j.calls {
                if let Some(t) = service_index(c.as_str()) {
                    edges.push((jid(i), sid(t), "calls"));
                }
            }
            for q in &j.publishes {
                if let Some(t) = queue_index(q.as_str()) {
                    edges.push((jid(i), qid(t), "publishes"));
                }
            }
            for q in &j.consumes {
                if let Some(t) = queue_index(q.as_str()) {
                    edges.push((qid(t), jid(i), "consumes"));
                }
            }
        }
        groups.push(Group {
            id: format!("t{g}"),
            label,
            nodes,
        });
    }
    Graph {
        note,
        groups,
        edges,
    }
}

/// Text inside a quoted Mermaid label: everything that could end the
/// label, start markup or an entity becomes an entity code.
pub fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '%' => out.push_str("#37;"),
            '\\' => out.push_str("#92;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a quoted DOT string.
pub fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(model: &Model, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(model),
        Format::Dot => dot(model),
    }
}

/// A Mermaid flowchart (without the ``` fence).
pub fn mermaid(model: &Model) -> String {
    let g = build(model);
    let mut o = String::from("flowchart LR\n");
    let _ = writeln!(o, "  envs>\"{}\"]", mermaid_escape(&g.note));
    for group in &g.groups {
        let _ = writeln!(
            o,
            "  subgraph {}[\"{}\"]",
            group.id,
            mermaid_escape(&group.label)
        );
        let _ = writeln!(o, "    direction LR");
        for n in &group.nodes {
            let label: Vec<String> = n.label.iter().map(|l| mermaid_escape(l)).collect();
            let label = label.join("<br/>");
            let (open, close) = match n.shape {
                Shape::Service => ("(\"", "\")"),
                Shape::Queue => ("[(\"", "\")]"),
                Shape::Job => ("{{\"", "\"}}"),
            };
            let _ = writeln!(o, "    {}{open}{label}{close}", n.id);
        }
        let _ = writeln!(o, "  end");
    }
    for (from, to, label) in &g.edges {
        let _ = writeln!(o, "  {from} -->|{label}| {to}");
    }
    o
}

/// A Graphviz digraph, every ID quoted.
pub fn dot(model: &Model) -> String {
    let g = build(model);
    let mut o = String::from("digraph \"blueprint\" {\n");
    let _ = writeln!(o, "  rankdir=\"LR\";");
    let _ = writeln!(o, "  label=\"{}\";", dot_escape(&g.note));
    let _ = writeln!(o, "  labelloc=\"t\";");
    for group in &g.groups {
        let _ = writeln!(o, "  subgraph \"cluster_{}\" {{", group.id);
        let _ = writeln!(o, "    label=\"{}\";", dot_escape(&group.label));
        for n in &group.nodes {
            let label: Vec<String> = n.label.iter().map(|l| dot_escape(l)).collect();
            let shape = match n.shape {
                Shape::Service => "shape=\"box\", style=\"rounded\"",
                Shape::Queue => "shape=\"cylinder\"",
                Shape::Job => "shape=\"hexagon\"",
            };
            let _ = writeln!(
                o,
                "    \"{}\" [label=\"{}\", {shape}];",
                n.id,
                label.join("\\n")
            );
        }
        let _ = writeln!(o, "  }}");
    }
    for (from, to, label) in &g.edges {
        let _ = writeln!(o, "  \"{from}\" -> \"{to}\" [label=\"{label}\"];");
    }
    o.push_str("}\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::*;
    use crate::normalize;

    const COMMERCE: &str = include_str!("../blueprints/commerce.yaml");

    #[test]
    fn commerce_has_every_edge_and_tenant() {
        let m = normalize::load(COMMERCE).unwrap();
        let out = mermaid(&m);
        assert!(out.starts_with("flowchart LR\n"));
        assert!(
            out.contains("subgraph t0[\"tenant globex (shared)\"]"),
            "{out}"
        );
        assert!(
            out.contains("subgraph t1[\"tenant acme (dedicated)\"]"),
            "{out}"
        );
        assert!(out.contains("environments dev, prod; shown: prod"), "{out}");
        // api calls payments, publishes orders; worker consumes orders.
        assert!(out.contains("t0_s0 -->|calls| t0_s1"), "{out}");
        assert!(out.contains("t0_s0 -->|publishes| t0_q0"), "{out}");
        assert!(out.contains("t0_q0 -->|consumes| t0_s2"), "{out}");
        assert!(out.contains("t0_j0 -->|publishes| t0_q0"), "{out}");
        let d = dot(&m);
        assert!(
            d.contains("\"t0_s0\" -> \"t0_s1\" [label=\"calls\"];"),
            "{d}"
        );
        assert_eq!(out, mermaid(&m), "deterministic");
    }

    fn hostile_model() -> Model {
        let mut m = normalize::load(COMMERCE).unwrap();
        let evil = "x\"] --> evil[\"<b>#1;</b> end %% `y` \\ \n}}{{";
        for env in &mut m.environments {
            for p in &mut env.platforms {
                for w in &mut p.tenants {
                    w.tenant = w.tenant.as_ref().map(|_| name(evil));
                    w.services[0].name = name(evil);
                }
            }
        }
        m
    }

    #[test]
    fn mermaid_labels_cannot_break_out() {
        let out = mermaid(&hostile_model());
        for line in out.lines().skip(1) {
            let t = line.trim();
            // Every line is a known statement; quotes pair up.
            let ok = t == "end"
                || t == "direction LR"
                || t.starts_with("envs>\"")
                || t.starts_with("subgraph t")
                || (t.starts_with('t')
                    && (t.contains(" -->|")
                        || t.contains("(\"")
                        || t.contains("[(\"")
                        || t.contains("{{\"")));
            assert!(ok, "unexpected line {t:?} in\n{out}");
            assert_eq!(t.matches('"').count() % 2, 0, "{t}");
            assert!(!t.contains('\n'));
        }
        assert!(!out.contains("<b>"), "{out}");
        assert!(!out.contains("evil[\""), "{out}");
        assert!(!out.contains("--> evil"), "{out}");
        assert!(out.contains("#quot;"), "{out}");
        assert!(!out.contains("%%"), "{out}");
    }

    #[test]
    fn dot_labels_cannot_break_out() {
        let out = dot(&hostile_model());
        for line in out.lines() {
            // Unescaped quotes pair up on every line.
            let unescaped = line.replace("\\\\", "").replace("\\\"", "");
            assert_eq!(unescaped.matches('"').count() % 2, 0, "{line}");
        }
        assert!(out.contains("x\\\"] --> evil"), "{out}");
    }

    #[test]
    fn many_tenants_fold_into_one_copy() {
        let src = crate::generate::blueprint(&crate::generate::Shape {
            services: 30,
            tenants: 12,
        });
        let m = normalize::load(&src).unwrap();
        let out = mermaid(&m);
        assert_eq!(out.matches("subgraph ").count(), 1, "{out}");
        assert!(out.contains("every tenant, one copy each (12)"), "{out}");
        assert!(out.contains("and 4 more"), "{out}");
    }
}

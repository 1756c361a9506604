//! Ordering rules AWS enforces at create time (and, reversed, at destroy
//! time), checked on the fixed Terraform modules' own text, without an
//! emulator. `../shared/tools/engine-check` checks the same rules on
//! `terraform graph` of rendered roots and against moto; this test catches
//! them in `cargo test`, before any engine runs. See docs/testing.md.
//!
//! The modules are parsed with hcl-rs and turned into Terraform's dependency
//! graph: an edge from a resource (or data source, or local) to everything
//! its arguments, nested blocks and `depends_on` reference, locals expanded.
//! A rule holds when the first resource is reachable from the second, i.e.
//! Terraform creates it first and destroys it last.
//!
//! - R1: every `aws_ecs_service`, and every state machine that runs tasks
//!   in the cluster, comes after the module's
//!   `aws_ecs_cluster_capacity_providers`: a capacity provider strategy may
//!   name only providers already associated with the cluster (ECS API
//!   reference, CapacityProviderStrategyItem), and on destroy the
//!   association cannot be removed while a service still uses it.
//! - R2: a resource that makes AWS act with an IAM role comes after every
//!   policy and policy attachment of that role: a state machine (with
//!   logging, CreateStateMachine checks the role's log-delivery permission),
//!   an EventBridge schedule (the role is assumed at the first run), an ECS
//!   service (its tasks start at once, pulling images and reading secrets
//!   with the task definition's execution role), an EKS cluster, node group
//!   or add-on (EKS documents this ordering for create and delete).
//! - R3: every `aws_ecs_service` comes after the rules of its own security
//!   group. Terraform removes the default allow-all egress rule of a new
//!   security group, so until the HTTPS egress rule exists the first tasks
//!   cannot pull their image or read their secrets, and until the ingress
//!   rule from the load balancer exists its health checks fail; on destroy
//!   the rules go only after the service.
//! - R4: every `aws_ecs_service` whose task definition mounts an EFS file
//!   system comes after every mount target of that file system and every
//!   rule of the mount targets' security groups. A task mounts its volume
//!   as it starts, and a mount target takes minutes to become available:
//!   tasks started before it fail to mount, and enough failures trip the
//!   circuit breaker; on destroy the mount targets go only after the
//!   service's tasks.

use crate::support::repo;
use hcl::expr::{Expression, ObjectKey, TemplateExpr, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use hcl::{Block, Body};
use std::collections::{BTreeMap, BTreeSet};

/// One fixed module: its resources (address -> block) and the graph.
struct Module {
    name: &'static str,
    resources: BTreeMap<String, Block>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

/// The modules as `render` writes them: their own folder plus the shared
/// queue definition.
fn modules() -> Vec<Module> {
    [
        ("ecs platform", "templates/ecs/platform"),
        ("eks cluster", "templates/eks/cluster"),
    ]
    .into_iter()
    .map(|(name, dir)| {
        let mut files: Vec<_> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tf"))
            .collect();
        files.push(repo().join("templates/shared/queues.tf"));
        files.sort();
        let mut m = Module {
            name,
            resources: BTreeMap::new(),
            edges: BTreeMap::new(),
        };
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            m.add(&body);
        }
        assert!(!m.resources.is_empty(), "{dir}: no resources");
        m
    })
    .collect()
}

impl Module {
    fn add(&mut self, body: &Body) {
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            match (block.identifier(), labels.as_slice()) {
                ("resource", [t, n]) => {
                    let addr = format!("{t}.{n}");
                    let mut refs = BTreeSet::new();
                    body_refs(block.body(), &mut refs);
                    self.edges.insert(addr.clone(), refs);
                    self.resources.insert(addr, block.clone());
                }
                ("data", [t, n]) => {
                    let mut refs = BTreeSet::new();
                    body_refs(block.body(), &mut refs);
                    self.edges.insert(format!("data.{t}.{n}"), refs);
                }
                ("locals", []) => {
                    for a in block.body().attributes() {
                        let mut refs = BTreeSet::new();
                        expr_refs(a.expr(), &mut refs);
                        self.edges.insert(format!("local.{}", a.key()), refs);
                    }
                }
                _ => {}
            }
        }
    }

    /// Everything `from` depends on, directly or not.
    fn reach(&self, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            for m in self.edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    }

    fn of_type<'a>(&'a self, t: &str) -> impl Iterator<Item = &'a String> + 'a {
        let t = t.to_string();
        self.resources
            .keys()
            .filter(move |a| a.split_once('.').is_some_and(|(ty, _)| ty == t))
    }

    /// Direct references of `addr` of one resource type.
    fn direct<'a>(&'a self, addr: &str, t: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.edges
            .get(addr)
            .into_iter()
            .flatten()
            .filter(move |a| a.split_once('.').is_some_and(|(ty, _)| ty == t))
    }

    /// The IAM roles a resource makes AWS act with: those it names, and for
    /// an ECS service those of the task definition it runs (a state machine
    /// also names a task definition, but its tasks start only when it runs).
    fn roles_used_by(&self, addr: &str) -> BTreeSet<String> {
        let mut roles: BTreeSet<String> = self.direct(addr, "aws_iam_role").cloned().collect();
        if addr.starts_with("aws_ecs_service.") {
            for td in self.direct(addr, "aws_ecs_task_definition") {
                roles.extend(self.direct(td, "aws_iam_role").cloned());
            }
        }
        roles
    }

    /// The policies and policy attachments whose `role` is `role`.
    fn policies_of(&self, role: &str) -> Vec<&String> {
        self.attached(
            &["aws_iam_role_policy", "aws_iam_role_policy_attachment"],
            "role",
            role,
        )
    }

    /// The resources of `types` whose attribute `attr` names `target`.
    fn attached(&self, types: &[&str], attr: &str, target: &str) -> Vec<&String> {
        types
            .iter()
            .flat_map(|t| self.of_type(t))
            .filter(|p| {
                let mut refs = BTreeSet::new();
                if let Some(a) = self.resources[*p]
                    .body()
                    .attributes()
                    .find(|a| a.key() == attr)
                {
                    expr_refs(a.expr(), &mut refs);
                }
                refs.contains(target)
            })
            .collect()
    }
}

/// The resources, data sources and locals an expression names.
fn expr_refs(e: &Expression, out: &mut BTreeSet<String>) {
    match e {
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                let attrs: Vec<&str> = t
                    .operators
                    .iter()
                    .map_while(|op| match op {
                        TraversalOperator::GetAttr(i) => Some(i.as_str()),
                        _ => None,
                    })
                    .collect();
                match (v.as_str(), attrs.as_slice()) {
                    ("local", [n, ..]) => {
                        out.insert(format!("local.{n}"));
                    }
                    ("data", [t, n, ..]) => {
                        out.insert(format!("data.{t}.{n}"));
                    }
                    (t, [n, ..]) if t.starts_with("aws_") => {
                        out.insert(format!("{t}.{n}"));
                    }
                    _ => {}
                }
            } else {
                expr_refs(&t.expr, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    expr_refs(i, out);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|i| expr_refs(i, out)),
        Expression::Object(o) => {
            for (k, v) in o {
                if let ObjectKey::Expression(k) = k {
                    expr_refs(k, out);
                }
                expr_refs(v, out);
            }
        }
        Expression::TemplateExpr(t) => template_refs(t, out),
        Expression::FuncCall(f) => f.args.iter().for_each(|a| expr_refs(a, out)),
        Expression::Parenthesis(p) => expr_refs(p, out),
        Expression::Conditional(c) => {
            expr_refs(&c.cond_expr, out);
            expr_refs(&c.true_expr, out);
            expr_refs(&c.false_expr, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => expr_refs(&u.expr, out),
            hcl::expr::Operation::Binary(b) => {
                expr_refs(&b.lhs_expr, out);
                expr_refs(&b.rhs_expr, out);
            }
        },
        Expression::ForExpr(f) => {
            expr_refs(&f.collection_expr, out);
            expr_refs(&f.value_expr, out);
            for e in [&f.key_expr, &f.cond_expr].into_iter().flatten() {
                expr_refs(e, out);
            }
        }
        _ => {}
    }
}

fn template_refs(t: &TemplateExpr, out: &mut BTreeSet<String>) {
    let t = Template::from_expr(t).expect("templates in the modules parse");
    elements_refs(&t, out);
}

fn elements_refs(t: &Template, out: &mut BTreeSet<String>) {
    for el in t.elements() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => expr_refs(&i.expr, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    expr_refs(&d.cond_expr, out);
                    elements_refs(&d.true_template, out);
                    if let Some(f) = &d.false_template {
                        elements_refs(f, out);
                    }
                }
                Directive::For(d) => {
                    expr_refs(&d.collection_expr, out);
                    elements_refs(&d.template, out);
                }
            },
        }
    }
}

fn body_refs(b: &Body, out: &mut BTreeSet<String>) {
    for a in b.attributes() {
        expr_refs(a.expr(), out);
    }
    for blk in b.blocks() {
        body_refs(blk.body(), out);
    }
}

/// Resource types that make AWS act with a role they name (or, for an ECS
/// service, the roles of its task definition), and why the role's
/// permissions must be in place first.
const ROLE_USERS: [(&str, &str); 6] = [
    (
        "aws_sfn_state_machine",
        "CreateStateMachine with logging checks the role's log-delivery permission",
    ),
    (
        "aws_scheduler_schedule",
        "the schedule assumes its role at the first run",
    ),
    (
        "aws_ecs_service",
        "its tasks start at once and pull images, read secrets and write logs with the task definition's roles",
    ),
    (
        "aws_eks_cluster",
        "EKS needs the cluster role's permissions to create and to delete the cluster's network resources",
    ),
    (
        "aws_eks_node_group",
        "nodes join with the node role's permissions; on delete EKS needs them to drain",
    ),
    (
        "aws_eks_addon",
        "the add-on's Pod Identity role is used as soon as its pods start",
    ),
];

#[test]
fn resources_are_ordered_as_aws_requires() {
    let mut problems = Vec::new();
    let mut checked: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for m in modules() {
        // Every reference resolves: a typo would make a rule pass vacuously.
        for (from, refs) in &m.edges {
            for r in refs {
                assert!(
                    m.edges.contains_key(r),
                    "{}: {from} refers to {r}, which the module does not declare",
                    m.name
                );
            }
        }
        // R1: services, and the state machines that run tasks in the cluster.
        let task_starters = m.of_type("aws_ecs_service").chain(
            m.of_type("aws_sfn_state_machine")
                .filter(|sm| m.direct(sm, "aws_ecs_cluster").next().is_some()),
        );
        for user in task_starters {
            let reach = m.reach(user);
            for cp in m.of_type("aws_ecs_cluster_capacity_providers") {
                *checked.entry((m.name, "R1")).or_default() += 1;
                if !reach.contains(cp) {
                    problems.push(format!(
                        "{}: R1 {user} is not ordered after {cp}: a capacity provider strategy may name only providers already associated with the cluster (add {cp} to its depends_on)",
                        m.name
                    ));
                }
            }
        }
        // R2
        for (t, why) in ROLE_USERS {
            for user in m.of_type(t) {
                let reach = m.reach(user);
                for role in m.roles_used_by(user) {
                    for p in m.policies_of(&role) {
                        *checked.entry((m.name, t)).or_default() += 1;
                        if !reach.contains(p) {
                            problems.push(format!(
                                "{}: R2 {user} is not ordered after {p}, a policy of {role}: {why} (add {p} to its depends_on)",
                                m.name
                            ));
                        }
                    }
                }
            }
        }
        // R3
        for svc in m.of_type("aws_ecs_service") {
            let reach = m.reach(svc);
            for sg in m.direct(svc, "aws_security_group") {
                let rules = [
                    "aws_vpc_security_group_ingress_rule",
                    "aws_vpc_security_group_egress_rule",
                ];
                for r in m.attached(&rules, "security_group_id", sg) {
                    *checked.entry((m.name, "R3")).or_default() += 1;
                    if !reach.contains(r) {
                        problems.push(format!(
                            "{}: R3 {svc} is not ordered after {r}, a rule of its security group {sg}: its tasks start at once and need it (add {r} to its depends_on)",
                            m.name
                        ));
                    }
                }
            }
        }
        // R4
        for svc in m.of_type("aws_ecs_service") {
            let reach = m.reach(svc);
            let file_systems: BTreeSet<&String> = m
                .direct(svc, "aws_ecs_task_definition")
                .flat_map(|td| m.direct(td, "aws_efs_file_system"))
                .collect();
            for fs in file_systems {
                for mt in m.attached(&["aws_efs_mount_target"], "file_system_id", fs) {
                    let rules = [
                        "aws_vpc_security_group_ingress_rule",
                        "aws_vpc_security_group_egress_rule",
                    ];
                    let sg_rules = m
                        .direct(mt, "aws_security_group")
                        .flat_map(|sg| m.attached(&rules, "security_group_id", sg));
                    for needed in std::iter::once(mt).chain(sg_rules) {
                        *checked.entry((m.name, "R4")).or_default() += 1;
                        if !reach.contains(needed) {
                            problems.push(format!(
                                "{}: R4 {svc} is not ordered after {needed}, which its tasks need to mount the EFS file system {fs} as they start (add {needed} to its depends_on)",
                                m.name
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The rules are not vacuous: each checks what the modules are known to hold.
    for key in [
        ("ecs platform", "R1"),
        ("ecs platform", "R3"),
        ("ecs platform", "R4"),
        ("ecs platform", "aws_sfn_state_machine"),
        ("ecs platform", "aws_scheduler_schedule"),
        ("ecs platform", "aws_ecs_service"),
        ("eks cluster", "aws_eks_cluster"),
        ("eks cluster", "aws_eks_node_group"),
        ("eks cluster", "aws_eks_addon"),
    ] {
        assert!(
            checked.get(&key).copied().unwrap_or(0) > 0,
            "{key:?} checked no pair: {checked:?}"
        );
    }
}

#[test]
fn the_graph_sees_references_through_locals_templates_and_depends_on() {
    let text = r#"
locals {
  x = { for k, v in var.m : k => "${aws_b.one[k].arn}:*" }
}
resource "aws_a" "this" {
  name = local.x["k"]
  nested {
    value = aws_c.this.id
  }
  depends_on = [aws_d.this]
}
"#;
    let mut m = Module {
        name: "test",
        resources: BTreeMap::new(),
        edges: BTreeMap::new(),
    };
    m.add(&hcl::parse(text).unwrap());
    let reach = m.reach("aws_a.this");
    for n in ["local.x", "aws_b.one", "aws_c.this", "aws_d.this"] {
        assert!(reach.contains(n), "{n} not in {reach:?}");
    }
}

//! One environment's root module: versions, provider with default tags,
//! inputs (image tags, network, certificate), one module block per platform
//! copy, and outputs.

use super::images::ImageVariables;
use super::module::SOURCE_FROM_ROOT;
use super::platform::module_args;
use crate::aws::names::{ecs as names, Copy};
use crate::doc::hcl::{boolean, map, object, reference, string, strings};
use crate::doc::{Document, FileSet};
use crate::model::{Environment, Model, PlatformKind};
use crate::targets::terraform::{self, add_root_basics, ident, type_call, variable};
use hcl::{Attribute, Block, Body, Expression};

pub fn add(model: &Model, env: &Environment, files: &mut FileSet) {
    let dir = env.name.as_str();
    let images = ImageVariables::for_environment(env);

    let mut modules = Vec::new();
    let mut any_public = false;
    let mut shared_public = false;
    let mut module_names = Vec::new();
    for platform in &env.platforms {
        let copy = Copy::new(model, env, platform);
        let args = module_args(model, &copy, platform, &images);
        any_public |= args.has_public;
        shared_public |= args.has_public && copy.is_shared();
        let label = module_label(&platform.kind);
        module_names.push((label.clone(), platform.id().to_string()));
        modules.push(module_block(model, &label, &copy, platform, args));
    }

    add_root_basics(files, dir, model, env);
    files.insert(
        format!("{dir}/variables.tf"),
        Document::Hcl(variables(model, &images, any_public, shared_public)),
    );
    files.insert(
        format!("{dir}/main.tf"),
        Document::Hcl(Body::builder().add_blocks(modules).build()),
    );
    files.insert(
        format!("{dir}/outputs.tf"),
        Document::Hcl(outputs(&module_names)),
    );
}

fn module_label(kind: &PlatformKind) -> String {
    match kind {
        PlatformKind::Single => "platform".into(),
        PlatformKind::Shared => "shared".into(),
        PlatformKind::Dedicated(t) => format!("tenant_{}", t.snake()),
    }
}

fn variables(
    model: &Model,
    images: &ImageVariables,
    any_public: bool,
    shared_public: bool,
) -> Body {
    let mut blocks = Vec::new();
    for v in &images.declared {
        blocks.push(variable(
            &v.name,
            &v.description,
            ident("string"),
            Some(string(v.default.clone())),
        ));
    }
    if model.app.network.is_none() {
        blocks.push(variable(
            "vpc_id",
            "VPC the platform runs in.",
            ident("string"),
            None,
        ));
        blocks.push(variable(
            "private_subnet_ids",
            "Private subnets for tasks, in at least two Availability Zones.",
            type_call("list", "string"),
            None,
        ));
        if any_public {
            blocks.push(variable(
                "public_subnet_ids",
                "Public subnets for the internet-facing load balancer, in at least two Availability Zones.",
                type_call("list", "string"),
                None,
            ));
        }
    }
    if any_public {
        blocks.push(variable(
            "certificate_arn",
            "ACM certificate of the HTTPS listener.",
            ident("string"),
            None,
        ));
    }
    if shared_public {
        blocks.push(variable(
            "domain_name",
            "DNS name under which each shared tenant is served as <tenant>.<domain_name>.",
            ident("string"),
            None,
        ));
    }
    blocks.push(variable(
        "log_retention_days",
        "How long CloudWatch keeps task, exec and job logs.",
        ident("number"),
        Some(crate::doc::hcl::number(365)),
    ));
    blocks.push(variable(
        "deletion_protection",
        "Protect load balancers from deletion; set to false only to tear the environment down.",
        ident("bool"),
        Some(boolean(true)),
    ));
    Body::builder().add_blocks(blocks).build()
}

fn module_block(
    model: &Model,
    label: &str,
    copy: &Copy,
    platform: &crate::model::Platform,
    args: super::platform::ModuleArgs,
) -> Block {
    let var = |n: &str| reference("var", &[n]);
    let n = names::copy(copy);
    let mut b = Block::builder("module")
        .add_label(label)
        .add_attribute(("source", string(SOURCE_FROM_ROOT)))
        .add_attribute((
            "names",
            object([
                ("cluster", string(n.cluster)),
                ("kms_alias", string(n.kms_alias)),
                ("exec_log_group", string(n.exec_log_group)),
                ("load_balancer", string(n.load_balancer)),
                (
                    "load_balancer_security_group",
                    string(n.load_balancer_security_group),
                ),
                ("dns_namespace", string(n.dns_namespace)),
            ]),
        ))
        // Tasks look their queues' URLs up by name until the runtime
        // contract hands them the URLs.
        .add_attribute(("iam_actions", terraform::iam_actions(true)));
    let (vpc, private, public) = match &model.app.network {
        Some(n) => (
            string(n.vpc_id.clone()),
            strings(n.private_subnets.iter().cloned()),
            strings(n.public_subnets.iter().cloned()),
        ),
        None => (
            var("vpc_id"),
            var("private_subnet_ids"),
            var("public_subnet_ids"),
        ),
    };
    b = b
        .add_attribute(("vpc_id", vpc))
        .add_attribute(("private_subnet_ids", private));
    if args.has_public {
        b = b
            .add_attribute(("public_subnet_ids", public))
            .add_attribute(("certificate_arn", var("certificate_arn")));
        if copy.is_shared() {
            b = b.add_attribute(("domain_name", var("domain_name")));
        }
    }
    b = b
        .add_attribute(("log_retention_days", var("log_retention_days")))
        .add_attribute(("deletion_protection", var("deletion_protection")));
    if let PlatformKind::Dedicated(t) = &platform.kind {
        b = b.add_attribute(("tags", map([("tenant", string(t.as_str()))])));
    }
    b.add_attribute(Attribute::new("queues", args.queues))
        .add_attribute(Attribute::new("services", args.services))
        .add_attribute(Attribute::new("jobs", args.jobs))
        .build()
}

/// Outputs of every module copy, keyed by platform (`shared`, a dedicated
/// tenant's name, or `main` for a single-tenant application).
fn outputs(modules: &[(String, String)]) -> Body {
    let per_platform = |attr: &str| {
        map(modules
            .iter()
            .map(|(label, id)| (id.clone(), reference("module", &[label, attr]))))
    };
    let out = |name: &str, description: &str, value: Expression| {
        Block::builder("output")
            .add_label(name)
            .add_attribute(("description", string(description)))
            .add_attribute(("value", value))
            .build()
    };
    Body::builder()
        .add_block(out(
            "cluster_names",
            "ECS cluster of each platform copy.",
            per_platform("cluster_name"),
        ))
        .add_block(out(
            "service_urls",
            "Public URL of every route of every public service, per platform copy.",
            per_platform("service_urls"),
        ))
        .add_block(out(
            "internal_endpoints",
            "Private DNS endpoint of every service with a port, per platform copy.",
            per_platform("internal_endpoints"),
        ))
        .add_block(out(
            "queue_urls",
            "URL of every queue, per platform copy.",
            per_platform("queue_urls"),
        ))
        .add_block(out(
            "dead_letter_queue_urls",
            "URL of every dead-letter queue, per platform copy.",
            per_platform("dead_letter_queue_urls"),
        ))
        .add_block(out(
            "security_group_ids",
            "Security group of every service and job, per platform copy.",
            per_platform("security_group_ids"),
        ))
        .build()
}

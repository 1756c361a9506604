//! What every Terraform root blueprint writes has in common, whatever the
//! target: the version pins, the provider with its default tags, variable
//! blocks, and the SQS queue arguments both the ECS and the EKS modules take.

use crate::aws::iam;
use crate::aws::names::QueueNames;
use crate::doc::hcl::{number, object, string, string_map, strings};
use crate::doc::{Document, FileSet};
use crate::model::{Environment, Model, Queue};
use hcl::expr::{FuncCall, Variable};
use hcl::{Block, Body, Expression};

/// The AWS provider every root requires: 5.100 (the version validated in
/// CI) or any 6.x, so that the roots sit next to modules that need 6.x
/// (terraform-aws-modules' current majors). Nothing removed or renamed
/// in 6.0 is used.
pub const AWS_PROVIDER_VERSION: &str = ">= 5.100, < 7.0";
pub const TERRAFORM_VERSION: &str = ">= 1.5.0";

/// A bare identifier expression: `string`, `number`, `bool`.
pub fn ident(name: &str) -> Expression {
    Expression::Variable(Variable::unchecked(name))
}

/// A type constructor such as `list(string)`.
pub fn type_call(func: &str, arg: &str) -> Expression {
    Expression::FuncCall(Box::new(FuncCall::builder(func).arg(ident(arg)).build()))
}

/// `versions.tf`: the Terraform and provider version constraints.
pub fn versions() -> Body {
    Body::builder()
        .add_block(
            Block::builder("terraform")
                .add_attribute(("required_version", string(TERRAFORM_VERSION)))
                .add_block(
                    Block::builder("required_providers")
                        .add_attribute((
                            "aws",
                            object([
                                ("source", string("hashicorp/aws")),
                                ("version", string(AWS_PROVIDER_VERSION)),
                            ]),
                        ))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// `providers.tf`: the region, the account the environment deploys to
/// (`allowed_account_ids`, when the blueprint names it: Terraform then
/// refuses credentials of any other account) and the default tags.
pub fn provider(model: &Model, env: &Environment) -> Body {
    let tags = crate::aws::tags::defaults(model, env);
    let mut provider = Block::builder("provider")
        .add_label("aws")
        .add_attribute(("region", string(model.app.region.clone())));
    if let Some(account) = &env.account {
        provider = provider.add_attribute(("allowed_account_ids", strings([account.clone()])));
    }
    Body::builder()
        .add_block(
            provider
                .add_block(
                    Block::builder("default_tags")
                        .add_attribute(("tags", string_map(tags.iter())))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The two files every environment root starts with: `versions.tf` and
/// `providers.tf`.
pub fn add_root_basics(files: &mut FileSet, dir: &str, model: &Model, env: &Environment) {
    files.insert(format!("{dir}/versions.tf"), Document::Hcl(versions()));
    files.insert(
        format!("{dir}/providers.tf"),
        Document::Hcl(provider(model, env)),
    );
}

/// A `variable` block with its description and type.
pub fn variable(
    name: &str,
    description: &str,
    ty: Expression,
    default: Option<Expression>,
) -> Block {
    let mut b = Block::builder("variable")
        .add_label(name)
        .add_attribute(("description", string(description)))
        .add_attribute(("type", ty));
    if let Some(d) = default {
        b = b.add_attribute(("default", d));
    }
    b.build()
}

/// One entry of a module's `queues` argument: the queue and its
/// dead-letter queue as `names` (from `aws::names`), and the tenant it
/// serves.
pub fn queue(names: &QueueNames, tenant: Option<&str>, q: &Queue) -> Expression {
    let mut items = vec![("name", string(names.queue.clone()))];
    if let Some(t) = tenant {
        items.push(("tenant", string(t)));
    }
    items.push(("fifo", Expression::Bool(q.fifo)));
    items.push((
        "visibility_timeout_seconds",
        number(q.visibility_timeout.secs()),
    ));
    items.push(("message_retention_seconds", number(q.retention.secs())));
    if let Some(dl) = &q.dead_letter {
        items.push((
            "dead_letter",
            object([
                ("name", string(names.dead_letter.clone())),
                ("max_receive_count", number(u64::from(dl.max_receives))),
            ]),
        ));
    }
    object(items)
}

/// The module argument that tells a fixed module which IAM actions each
/// use of a queue or secret grants (`aws::iam`), so that the module spells
/// none itself. `lookup`: whether workloads look queue URLs up by name.
pub fn iam_actions(lookup: bool) -> Expression {
    iam_actions_with(lookup, &[])
}

/// [`iam_actions`] and a module's own lists (`extra`, by attribute name).
pub fn iam_actions_with(lookup: bool, extra: &[(&str, &[&str])]) -> Expression {
    let list = |v: Vec<&str>| strings(v.into_iter().map(str::to_string));
    let mut items = vec![
        ("queue_publish", list(iam::queue_actions(false, lookup))),
        ("queue_consume", list(iam::queue_actions(true, lookup))),
        ("secret_read", list(iam::SECRET_READ.to_vec())),
    ];
    items.extend(extra.iter().map(|(k, v)| (*k, list(v.to_vec()))));
    object(items)
}

/// The SQS resources both fixed modules share (queues, dead-letter queues,
/// redrive-allow and TLS-only policies), written into each module folder.
pub const QUEUES_TF: &str = include_str!("../../templates/shared/queues.tf");

/// Writes a fixed module (Terraform shipped in the binary, no user data)
/// into `dir`: `.tf` files verbatim as Terraform, anything else as text.
pub fn add_fixed_module(files: &mut FileSet, dir: &str, sources: &[(&str, &'static str)]) {
    for (name, src) in sources {
        let doc = if name.ends_with(".tf") {
            Document::HclSource(src)
        } else {
            Document::Text(src.to_string())
        };
        files.insert(format!("{dir}/{name}"), doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_environments_account_may_be_applied_to() {
        let m = crate::normalize::load(
            "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: { image: x }\nenvironments:\n  prod: { account: \"012345678901\" }\n  dev: {}\n",
        )
        .unwrap();
        let text = |env: usize| {
            String::from_utf8(crate::render::render(&Document::Hcl(provider(
                &m,
                &m.environments[env],
            ))))
            .unwrap()
        };
        // Environments are sorted: dev, prod.
        assert!(!text(0).contains("allowed_account_ids"), "{}", text(0));
        assert!(
            text(1).contains("allowed_account_ids = [\"012345678901\"]"),
            "{}",
            text(1)
        );
    }

    #[test]
    fn the_provider_constraint_admits_5_100_and_every_6_x() {
        let v = String::from_utf8(crate::render::render(&Document::Hcl(versions()))).unwrap();
        assert!(v.contains("version = \">= 5.100, < 7.0\""), "{v}");
    }
}

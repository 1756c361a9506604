//! Small constructors over hcl-rs's typed expressions, so emitters read as
//! the Terraform they produce. User text only ever enters as
//! `Expression::String`, whose writer escapes `${` and `%{`.

use hcl::expr::{Traversal, Variable};
use hcl::{Expression, Identifier, Object, ObjectKey};

/// A string literal (user text is always one of these).
pub fn string(s: impl Into<String>) -> Expression {
    Expression::String(s.into())
}

pub fn number(n: u64) -> Expression {
    Expression::Number(n.into())
}

pub fn boolean(b: bool) -> Expression {
    Expression::Bool(b)
}

pub fn null() -> Expression {
    Expression::Null
}

pub fn strings<I, S>(items: I) -> Expression
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Expression::Array(items.into_iter().map(|s| string(s)).collect())
}

pub fn array(items: Vec<Expression>) -> Expression {
    Expression::Array(items)
}

/// A reference such as `var.vpc_id` or `module.shared.cluster_name`.
/// Every part is an identifier chosen by blueprint, never user text.
pub fn reference(root: &str, attrs: &[&str]) -> Expression {
    let mut b = Traversal::builder(Variable::unchecked(root));
    for a in attrs {
        b = b.attr(Identifier::unchecked(*a));
    }
    Expression::Traversal(Box::new(b.build()))
}

/// An object whose keys are blueprint's own attribute names (`name = ...`).
pub fn object<'a>(items: impl IntoIterator<Item = (&'a str, Expression)>) -> Expression {
    let mut o = Object::new();
    for (k, v) in items {
        o.insert(ObjectKey::Identifier(Identifier::unchecked(k)), v);
    }
    Expression::Object(o)
}

/// An object whose keys come from the blueprint (tag keys, env names,
/// workload keys): always quoted, so no key can read as a keyword.
pub fn map<K: Into<String>>(items: impl IntoIterator<Item = (K, Expression)>) -> Expression {
    let mut o = Object::new();
    for (k, v) in items {
        o.insert(ObjectKey::Expression(string(k)), v);
    }
    Expression::Object(o)
}

/// A map of string literals.
pub fn string_map<'a>(items: impl IntoIterator<Item = (&'a String, &'a String)>) -> Expression {
    map(items
        .into_iter()
        .map(|(k, v)| (k.clone(), string(v.clone()))))
}

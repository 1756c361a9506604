//! Small constructors over hcl-rs's typed expressions, so emitters read as
//! the Terraform they produce. User text only ever enters as
//! `Expression::String`, whose writer escapes `${` and `%{`.

use hcl::expr::{Traversal, Variable};
use hcl::{Expression, Identifier, Object, ObjectKey};
use std::collections::btree_map::{BTreeMap, Entry};

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
    Expression::Object(build_object(
        items
            .into_iter()
            .map(|(k, v)| (k, ObjectKey::Identifier(Identifier::unchecked(k)), v)),
    ))
}

/// An object whose keys come from the blueprint (tag keys, env names,
/// workload keys): always quoted, so no key can read as a keyword.
pub fn map<K: Into<String>>(items: impl IntoIterator<Item = (K, Expression)>) -> Expression {
    Expression::Object(build_object(items.into_iter().map(|(k, v)| {
        let key: String = k.into();
        (key.clone(), ObjectKey::Expression(string(key)), v)
    })))
}

/// Objects up to this size are built by plain inserts.
const SMALL_OBJECT: usize = 16;

/// An `Object` with `insert`'s meaning (a repeated key keeps its first
/// place and takes the last value), built in O(n log n). hcl-rs's `Object`
/// is a `VecMap` whose `insert` compares the new key with every key already
/// in, so building the `services` map of 10,000 workloads (1,000 services x
/// 10 tenants) by inserts took half the render time. Items are
/// `(text, key, value)`, where `text` identifies `key` within the object.
fn build_object<T: Ord>(
    items: impl Iterator<Item = (T, ObjectKey, Expression)>,
) -> Object<ObjectKey, Expression> {
    let items: Vec<(T, ObjectKey, Expression)> = items.collect();
    if items.len() <= SMALL_OBJECT {
        return items.into_iter().map(|(_, k, v)| (k, v)).collect();
    }
    let mut place: BTreeMap<T, usize> = BTreeMap::new();
    let mut entries: Vec<(ObjectKey, Expression)> = Vec::with_capacity(items.len());
    for (text, key, value) in items {
        match place.entry(text) {
            Entry::Occupied(at) => entries[*at.get()].1 = value,
            Entry::Vacant(at) => {
                at.insert(entries.len());
                entries.push((key, value));
            }
        }
    }
    // SAFETY: `from_vec_unchecked` requires that no key appears twice (an
    // invariant of `VecMap`, not of memory). `place` admitted each key text
    // once, and the text determines the key.
    unsafe { Object::from_vec_unchecked(entries) }
}

/// A map of string literals.
pub fn string_map<'a>(items: impl IntoIterator<Item = (&'a String, &'a String)>) -> Expression {
    map(items
        .into_iter()
        .map(|(k, v)| (k.clone(), string(v.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries in order (`Object`'s `==` ignores order).
    fn entries(e: &Expression) -> Vec<(ObjectKey, Expression)> {
        match e {
            Expression::Object(o) => o.as_slice().to_vec(),
            other => panic!("not an object: {other:?}"),
        }
    }

    /// What `map` must equal: hcl-rs's own inserts.
    fn by_inserts(items: &[(String, u64)]) -> Expression {
        let mut o = Object::new();
        for (k, v) in items {
            o.insert(ObjectKey::Expression(string(k.clone())), number(*v));
        }
        Expression::Object(o)
    }

    #[test]
    fn large_objects_keep_insert_order_and_meaning() {
        for n in [0, 1, SMALL_OBJECT, SMALL_OBJECT + 1, 200] {
            // Keys out of order, with repeats: the first place, the last value.
            let items: Vec<(String, u64)> = (0..n as u64)
                .map(|i| (format!("k{}", (i * 7919) % (n as u64 / 2 + 1)), i))
                .collect();
            let built = map(items.iter().map(|(k, v)| (k.clone(), number(*v))));
            let built = entries(&built);
            assert_eq!(built, entries(&by_inserts(&items)), "n = {n}");
            let keys: Vec<&ObjectKey> = built.iter().map(|(k, _)| k).collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[..i].contains(k), "n = {n}: a key appears twice");
            }
        }
    }

    #[test]
    fn large_identifier_objects_match_inserts() {
        let names: Vec<String> = (0..40).map(|i| format!("a{}", 39 - i)).collect();
        let built = object(names.iter().map(|k| (k.as_str(), number(1))));
        let mut o = Object::new();
        for k in &names {
            o.insert(ObjectKey::Identifier(Identifier::unchecked(k)), number(1));
        }
        assert_eq!(entries(&built), entries(&Expression::Object(o)));
    }
}

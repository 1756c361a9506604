//! JSON Patch (RFC 6902) operations that turn one object into another:
//! what an overlay's kustomization applies to a shared workload object
//! where an environment or tenant changes it.
//!
//! Maps are compared key by key; lists of the same length item by item;
//! anything else that differs (a scalar, or a list that grew or shrank) is
//! replaced whole, so no operation depends on the index shifts of an
//! earlier one.

use serde_json::{json, Map, Value};

/// The operations that make `from` equal to `to`: removals of a map's keys
/// first, then additions and replacements in `to`'s key order.
pub fn diff(from: &Value, to: &Value) -> Vec<Value> {
    let mut ops = Vec::new();
    walk(from, to, &mut String::new(), &mut ops);
    ops
}

// Maps and same-length lists are walked without comparing them whole
// first: that would compare every subtree once per level above it.
fn walk(from: &Value, to: &Value, path: &mut String, ops: &mut Vec<Value>) {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => objects(a, b, path, ops),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(x, y, path, ops);
                path.truncate(len);
            }
        }
        _ if from != to => ops.push(json!({"op": "replace", "path": path.as_str(), "value": to})),
        _ => {}
    }
}

fn objects(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
    path: &mut String,
    ops: &mut Vec<Value>,
) {
    for k in a.keys().filter(|k| !b.contains_key(*k)) {
        ops.push(json!({"op": "remove", "path": format!("{path}/{}", escape(k))}));
    }
    for (k, y) in b {
        let len = path.len();
        path.push('/');
        path.push_str(&escape(k));
        match a.get(k) {
            None => ops.push(json!({"op": "add", "path": path.as_str(), "value": y})),
            Some(x) => walk(x, y, path, ops),
        }
        path.truncate(len);
    }
}

/// A map key as one JSON Pointer token (RFC 6901): `~` and `/` escaped,
/// as in `app.kubernetes.io~1name`.
pub fn escape(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

/// Applies `ops` the way RFC 6902 says, for the three kinds `diff` writes
/// and strictly (`add` only for a new key, `replace` and `remove` only for
/// an existing one): the check of `diff` against the standard's meaning,
/// and the test kustomize's (`build.rs`) JSON 6902 patches.
#[cfg(test)]
pub fn apply(doc: &mut Value, ops: &[Value]) {
    for op in ops {
        let path = op["path"].as_str().unwrap();
        let (parent, last) = path.rsplit_once('/').unwrap();
        let key = last.replace("~1", "/").replace("~0", "~");
        let target = doc
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("{path}: no parent"));
        match (op["op"].as_str().unwrap(), target) {
            ("remove", Value::Object(m)) => {
                m.remove(&key).expect("removed keys exist");
            }
            ("add", Value::Object(m)) => {
                assert!(!m.contains_key(&key), "add is only used for new keys");
                m.insert(key, op["value"].clone());
            }
            ("replace", Value::Object(m)) => {
                *m.get_mut(&key).expect("replaced keys exist") = op["value"].clone();
            }
            ("replace", Value::Array(a)) => {
                let i: usize = key.parse().unwrap();
                a[i] = op["value"].clone();
            }
            (o, t) => panic!("unexpected {o} at {path} on {t}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn changes_reach_the_leaves_and_escape_keys() {
        let from = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a", "x~y": "1"}},
                          "spec": {"replicas": 2, "list": [1, 2], "gone": true}});
        let to = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b", "x~y": "1"}},
                        "spec": {"replicas": 3, "list": [1, 2, 3], "new": {"k": "v"}}});
        let ops = diff(&from, &to);
        assert_eq!(
            ops,
            vec![
                json!({"op": "replace", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "b"}),
                json!({"op": "remove", "path": "/spec/gone"}),
                json!({"op": "replace", "path": "/spec/replicas", "value": 3}),
                json!({"op": "replace", "path": "/spec/list", "value": [1, 2, 3]}),
                json!({"op": "add", "path": "/spec/new", "value": {"k": "v"}}),
            ]
        );
        let mut applied = from.clone();
        apply(&mut applied, &ops);
        assert_eq!(applied, to);
        assert!(diff(&to, &to).is_empty());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0u8..4).prop_map(|n| json!(n)),
            "[a-c/~]{0,2}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-c/~]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_the_target(
            a in prop::collection::btree_map("[a-c/~]{1,2}", json_value(), 0..4),
            b in prop::collection::btree_map("[a-c/~]{1,2}", json_value(), 0..4),
        ) {
            let (a, b) = (Value::Object(a.into_iter().collect()), Value::Object(b.into_iter().collect()));
            let ops = diff(&a, &b);
            let mut applied = a.clone();
            apply(&mut applied, &ops);
            prop_assert_eq!(applied, b.clone());
            prop_assert_eq!(ops.is_empty(), a == b);
        }
    }
}

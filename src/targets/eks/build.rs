//! A small `kustomize build` for tests: enough of kustomize's meaning
//! (resources, `namespace`, `labels` with templates (and a StatefulSet's
//! volume claim templates), inline JSON 6902 and
//! strategic-merge patches with a kind/name target, `$patch: delete`) to
//! check the objects an overlay of blueprint's makes, without kubectl.
//! `validate-iac` runs the real `kubectl kustomize` over the goldens.

use crate::doc::{Document, FileSet};
use serde_json::Value;

/// The objects `kubectl kustomize <dir>` would print, in resource order.
pub fn build(files: &FileSet, dir: &str) -> Vec<Value> {
    let k = match files.get(&format!("{dir}/kustomization.yaml")) {
        Some(Document::Yaml(docs)) => docs[0].clone(),
        other => panic!("{dir}/kustomization.yaml: {other:?}"),
    };
    let mut objects = Vec::new();
    for r in k["resources"].as_array().into_iter().flatten() {
        let path = normalize(&format!("{dir}/{}", r.as_str().unwrap()));
        match files.get(&path) {
            Some(Document::Yaml(docs)) => objects.extend(docs.iter().cloned()),
            Some(other) => panic!("{path}: {other:?}"),
            None => objects.extend(build(files, &path)),
        }
    }
    for p in k["patches"].as_array().into_iter().flatten() {
        let patch: Value = serde_yaml::from_str(p["patch"].as_str().unwrap()).unwrap();
        let target = &p["target"];
        let matches = |o: &Value| {
            (target["kind"].is_null() || o["kind"] == target["kind"])
                && (target["name"].is_null() || o["metadata"]["name"] == target["name"])
        };
        if patch.get("$patch").and_then(Value::as_str) == Some("delete") {
            let before = objects.len();
            objects.retain(|o| {
                !(o["kind"] == patch["kind"] && o["metadata"]["name"] == patch["metadata"]["name"])
            });
            assert_eq!(
                objects.len() + 1,
                before,
                "a delete patch removes one object"
            );
            continue;
        }
        let mut hits = 0;
        for o in objects.iter_mut().filter(|o| matches(o)) {
            hits += 1;
            match &patch {
                Value::Array(ops) => super::patch::apply(o, ops),
                Value::Object(_) => {
                    let mut p = patch.clone();
                    p["metadata"].as_object_mut().unwrap().remove("name");
                    merge(o, &p);
                }
                other => panic!("patch {other}"),
            }
        }
        assert!(hits > 0, "patch {p} matches an object");
    }
    if let Some(ns) = k["namespace"].as_str() {
        for o in &mut objects {
            o["metadata"]["namespace"] = Value::String(ns.into());
        }
    }
    for l in k["labels"].as_array().into_iter().flatten() {
        assert_eq!(l["includeSelectors"], false);
        for (key, value) in l["pairs"].as_object().unwrap() {
            for o in &mut objects {
                let mut places = vec!["/metadata/labels".to_string()];
                if l["includeTemplates"] == true {
                    places.extend(
                        [
                            "/spec/template/metadata/labels",
                            "/spec/jobTemplate/metadata/labels",
                            "/spec/jobTemplate/spec/template/metadata/labels",
                        ]
                        .map(String::from),
                    );
                }
                for place in places {
                    let parent = place.rsplit_once('/').unwrap().0;
                    if place != "/metadata/labels" && o.pointer(parent).is_none() {
                        continue;
                    }
                    if o.pointer(&place).is_none() {
                        *pointer_or_insert(o, &place) = Value::Object(Default::default());
                    }
                    o.pointer_mut(&place).unwrap()[key] = value.clone();
                }
                // kustomize's template labels reach a StatefulSet's volume
                // claim templates too (as `kubectl kustomize` shows).
                if l["includeTemplates"] == true {
                    let claims = o.pointer_mut("/spec/volumeClaimTemplates");
                    for c in claims.and_then(Value::as_array_mut).into_iter().flatten() {
                        if c.pointer("/metadata/labels").is_none() {
                            c["metadata"]["labels"] = Value::Object(Default::default());
                        }
                        c["metadata"]["labels"][key] = value.clone();
                    }
                }
            }
        }
    }
    objects
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn pointer_or_insert<'v>(v: &'v mut Value, path: &str) -> &'v mut Value {
    let mut cur = v;
    for token in path.split('/').skip(1) {
        cur = &mut cur[token];
    }
    cur
}

/// Strategic merge as blueprint's patches use it: maps merge, anything
/// else (lists included: tolerations have no merge key) is replaced.
fn merge(o: &mut Value, p: &Value) {
    match (o, p) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(x) if x.is_object() && v.is_object() => merge(x, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (o, p) => *o = p.clone(),
    }
}

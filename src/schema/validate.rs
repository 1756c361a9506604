//! A validator for exactly the subset of JSON Schema that `schema()`
//! emits. An unknown keyword panics, so the schema cannot grow a rule that
//! the tests silently skip.

use serde_json::{Map, Value};

/// Every violation, as `path: what`; empty when `instance` is valid.
pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, instance, "$", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{path}: not allowed"));
        }
        return;
    };
    for (key, rule) in s {
        match key.as_str() {
            "$schema" | "$id" | "title" | "description" | "$defs" => {}
            "$ref" => {
                let target = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .and_then(|name| root["$defs"].get(name))
                    .unwrap_or_else(|| panic!("unresolvable $ref {rule}"));
                check(root, target, v, path, errors);
            }
            "type" => {
                let ok = match rule {
                    Value::String(t) => is_type(t, v),
                    Value::Array(ts) => ts.iter().any(|t| is_type(t.as_str().unwrap(), v)),
                    _ => panic!("bad type {rule}"),
                };
                if !ok {
                    errors.push(format!("{path}: {v} is not of type {rule}"));
                }
            }
            "const" => {
                if v != rule {
                    errors.push(format!("{path}: {v} is not {rule}"));
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(v) {
                    errors.push(format!("{path}: {v} is not one of {rule}"));
                }
            }
            "pattern" => {
                if let Some(t) = v.as_str() {
                    let re = regex::Regex::new(rule.as_str().unwrap()).expect("a valid pattern");
                    if !re.is_match(t) {
                        errors.push(format!("{path}: {t:?} does not match {rule}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let Some(t) = v.as_str() {
                    let n = t.chars().count() as u64;
                    let lim = rule.as_u64().unwrap();
                    if (key == "minLength" && n < lim) || (key == "maxLength" && n > lim) {
                        errors.push(format!("{path}: length {n} breaks {key} {lim}"));
                    }
                }
            }
            "minimum" | "maximum" | "exclusiveMinimum" => {
                if let Some(n) = v.as_f64() {
                    let lim = rule.as_f64().unwrap();
                    let bad = match key.as_str() {
                        "minimum" => n < lim,
                        "maximum" => n > lim,
                        _ => n <= lim,
                    };
                    if bad {
                        errors.push(format!("{path}: {n} breaks {key} {lim}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Some(a) = v.as_array() {
                    let (n, lim) = (a.len() as u64, rule.as_u64().unwrap());
                    if key == "minItems" && n < lim {
                        errors.push(format!("{path}: fewer than {rule} items"));
                    }
                    if key == "maxItems" && n > lim {
                        errors.push(format!("{path}: more than {rule} items"));
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(a), true) = (v.as_array(), rule == &Value::Bool(true)) {
                    for (i, x) in a.iter().enumerate() {
                        if a[..i].contains(x) {
                            errors.push(format!("{path}[{i}]: repeats {x}"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(root, rule, x, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "minProperties" => {
                if let Some(o) = v.as_object() {
                    if (o.len() as u64) < rule.as_u64().unwrap() {
                        errors.push(format!("{path}: fewer than {rule} keys"));
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for k in rule.as_array().unwrap() {
                        if !o.contains_key(k.as_str().unwrap()) {
                            errors.push(format!("{path}: missing required key {k}"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (k, sub) in rule.as_object().unwrap() {
                        if let Some(x) = o.get(k) {
                            check(root, sub, x, &format!("{path}.{k}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let known: Map<String, Value> = s
                        .get("properties")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for (k, x) in o {
                        if known.contains_key(k) {
                            continue;
                        }
                        if rule == &Value::Bool(false) {
                            errors.push(format!("{path}: unknown key `{k}`"));
                        } else {
                            check(root, rule, x, &format!("{path}.{k}"), errors);
                        }
                    }
                }
            }
            "propertyNames" => {
                if let Some(o) = v.as_object() {
                    for k in o.keys() {
                        check(
                            root,
                            rule,
                            &Value::String(k.clone()),
                            &format!("{path} key `{k}`"),
                            errors,
                        );
                    }
                }
            }
            "anyOf" => {
                let branches = rule.as_array().unwrap();
                let mut all = Vec::new();
                let ok = branches.iter().any(|b| {
                    let mut e = Vec::new();
                    check(root, b, v, path, &mut e);
                    all.extend(e.iter().cloned());
                    e.is_empty()
                });
                if !ok {
                    errors.push(format!(
                        "{path}: matches none of anyOf ({})",
                        all.join("; ")
                    ));
                }
            }
            "not" => {
                let mut e = Vec::new();
                check(root, rule, v, path, &mut e);
                if e.is_empty() {
                    errors.push(format!("{path}: {v} matches a forbidden form"));
                }
            }
            other => panic!("the validator does not know the keyword `{other}`"),
        }
    }
}

fn is_type(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_u64() || v.is_i64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => panic!("unknown type {t}"),
    }
}

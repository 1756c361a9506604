use super::validate::validate;
use super::*;
use crate::normalize;

fn yaml(src: &str) -> Value {
    serde_yaml::from_str(src).expect("test YAML parses")
}

fn errors(src: &str) -> Vec<String> {
    validate(&schema(), &yaml(src))
}

const HEAD: &str = "version: 1\nname: shop\nregion: eu-west-1\n";

#[test]
fn every_bundled_blueprint_and_the_contract_example_validate() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files.push(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/normalize/testdata/contract.yaml"),
    );
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        assert_eq!(errors(&src), Vec::<String>::new(), "{}", f.display());
    }
}

#[test]
fn the_starter_blueprint_validates() {
    assert_eq!(errors(crate::starter::STARTER), Vec::<String>::new());
}

#[test]
fn typos_and_wrong_values_are_rejected() {
    let cases = [
        ("services:\n  api:\n    imgae: nginx:1\n", "unknown key `imgae`"),
        ("services:\n  api:\n    image: nginx:1\n    expose: world\n", "is not one of"),
        ("services:\n  Api:\n    image: nginx:1\n", "key `Api`"),
        ("services:\n  api:\n    image: nginx:1\n    port: 0\n", "minimum"),
        ("services:\n  api:\n    image: nginx:1\n    memory: 2G\n", "does not match"),
        ("services:\n  api:\n    image: nginx:1\n    scale: { min: 1, mx: 3 }\n", "unknown key `mx`"),
        ("services:\n  api:\n    image: nginx:1\n    health: { path: health }\n", "does not match"),
        ("services:\n  api:\n    port: 80\n", "missing required key \"image\""),
        ("servics:\n  api:\n    image: nginx:1\n", "unknown key `servics`"),
        ("services: {}\n", "matches none of anyOf"),
        ("services:\n  api:\n    image: nginx:1\nqueues:\n  q:\n    fifo: yes\n", "is not of type"),
        ("services:\n  api:\n    image: nginx:1\ntags: { \"aws:x\": y }\n", "forbidden"),
        ("services:\n  api:\n    image: nginx:1\ntenants:\n  t:\n    tier: solo\n", "is not one of"),
        ("services:\n  api:\n    image: nginx:1\nenvironments:\n  dev:\n    overrides: { services: { api: { iamge: x } } }\n", "unknown key `iamge`"),
        ("services:\n  api:\n    image: nginx:1\n    env: { 1BAD: x }\n", "key `1BAD`"),
        ("services:\n  api:\n    image: nginx:1\n    secrets: { A: \"arn:aws:s3:::b\" }\n", "anyOf"),
    ];
    let seventeen: Vec<String> = (0..17).map(|i| format!("/var/w{i}")).collect();
    let too_many = format!(
        "services:\n  api:\n    image: nginx:1\n    writable_paths: [{}]\n",
        seventeen.join(", ")
    );
    let cases = cases
        .iter()
        .map(|(b, n)| (b.to_string(), *n))
        .chain([(too_many, "more than 16 items")]);
    for (body, needle) in cases {
        let src = format!("{HEAD}{body}");
        let errs = errors(&src);
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "{src}\nexpected an error with {needle:?}, got {errs:?}"
        );
        // normalize refuses each of these too.
        assert!(normalize::load(&src).is_err(), "normalize accepts:\n{src}");
    }
    // The typo is reported at its path.
    let errs = errors(&format!("{HEAD}services:\n  api:\n    imgae: nginx:1\n"));
    assert!(
        errs.iter()
            .any(|e| e.starts_with("$.services.api: unknown key `imgae`")),
        "{errs:?}"
    );
}

#[test]
fn forms_normalize_accepts_the_schema_accepts() {
    let cases = [
        "services:\n  api:\n    image: nginx:1\n    cpu: 250m\n    memory: 1.5Gi\n",
        "services:\n  api:\n    image: nginx:1\n    cpu: 2\n    command: [sleep, 10]\n",
        "services:\n  api:\n    image: nginx:1\n    env: { A: 1, B: true, C: }\n    publishes:\n",
        "jobs:\n  j:\n    schedule: rate(5 minutes)\n    image: busybox\n",
        "services:\n  api:\n    image: nginx:1\nqueues:\n  q:\n  r: { dead_letter: false }\n  s: { dead_letter: }\ntenants:\n  t:\nenvironments:\n  dev:\n  prod: { overrides: { services: { api: } } }\n",
        "services:\n  api:\n    image: nginx:1\n    secrets: { A: \"arn:aws:secretsmanager:eu-west-1:1:secret:x\", B: prod/db }\n",
        "services:\n  db:\n    image: x\n    stateful: true\n    storage: { path: /data, size: 10Gi }\nenvironments:\n  prod: { overrides: { services: { db: { storage: { size: 90Gi } } } } }\n",
    ];
    for body in cases {
        let src = format!("{HEAD}{body}");
        assert!(
            normalize::load(&src).is_ok(),
            "{src}\n{:?}",
            normalize::load(&src).err()
        );
        assert_eq!(errors(&src), Vec::<String>::new(), "{src}");
    }
}

/// Each map the schema closes has exactly the keys normalize knows there:
/// every schema key is accepted (no "unknown key"), and the count matches
/// the known keys normalize lists for a key it does not know.
#[test]
fn schema_keys_are_exactly_the_keys_normalize_accepts() {
    let s = schema();
    let defs = &s["$defs"];
    let maps: [(&str, &Value, &str); 11] = [
        ("top", &s, "{K}: x\n"),
        (
            "network",
            &s["properties"]["network"],
            "network:\n  {K}: x\n",
        ),
        (
            "service",
            &defs["service"],
            "services:\n  api:\n    {K}: x\n",
        ),
        (
            "health",
            &defs["service"]["properties"]["health"],
            "services:\n  api:\n    health:\n      {K}: x\n",
        ),
        (
            "scale",
            &defs["service"]["properties"]["scale"],
            "services:\n  api:\n    scale:\n      {K}: x\n",
        ),
        ("job", &defs["job"], "jobs:\n  j:\n    {K}: x\n"),
        ("queue", &defs["queue"], "queues:\n  q:\n    {K}: x\n"),
        ("tenant", &defs["tenant"], "tenants:\n  t:\n    {K}: x\n"),
        (
            "quota",
            &defs["tenant"]["properties"]["quota"],
            "tenants:\n  t:\n    quota:\n      {K}: x\n",
        ),
        (
            "environment",
            &defs["environment"],
            "environments:\n  e:\n    {K}: x\n",
        ),
        (
            "overrides",
            &defs["overrides"],
            "environments:\n  e:\n    overrides:\n      {K}: x\n",
        ),
    ];
    for (what, map, template) in maps {
        assert_eq!(map["additionalProperties"], Value::Bool(false), "{what}");
        let keys: Vec<&String> = map["properties"].as_object().unwrap().keys().collect();
        let at = |k: &str| format!("version: 1\n{}", template.replace("{K}", k));
        for k in &keys {
            let diags = normalize::load(&at(k)).err().unwrap_or_default();
            assert!(
                !diags
                    .iter()
                    .any(|d| d.message.starts_with(&format!("unknown key `{k}`"))),
                "{what}: normalize does not know `{k}`"
            );
        }
        let diags = normalize::load(&at("zzzzzzzz")).unwrap_err();
        let d = diags
            .iter()
            .find(|d| d.message.starts_with("unknown key `zzzzzzzz`"))
            .unwrap_or_else(|| panic!("{what}: {diags:?}"));
        let help = d.help.as_deref().unwrap();
        let listed = help.matches('`').count() / 2;
        let more: usize = help
            .rsplit_once("and ")
            .and_then(|(_, n)| n.strip_suffix(" more"))
            .map_or(0, |n| n.parse().unwrap());
        assert_eq!(keys.len(), listed + more, "{what}: {help} vs {keys:?}");
    }
    // The dead-letter map too.
    let dl = &defs["queue"]["properties"]["dead_letter"]["anyOf"][1];
    assert_eq!(dl["additionalProperties"], Value::Bool(false));
    assert_eq!(dl["properties"].as_object().unwrap().len(), 1);
}

#[test]
fn every_object_is_closed_or_a_named_map() {
    fn walk(v: &Value, path: &str) {
        if let Some(o) = v.as_object() {
            if o.contains_key("properties") {
                assert_eq!(
                    o.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{path}"
                );
            }
            if o.get("type").is_some_and(|t| {
                t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object")))
            }) {
                assert!(
                    o.contains_key("additionalProperties"),
                    "{path} leaves extra keys open"
                );
            }
            for (k, x) in o {
                // The top level's "services or jobs" branches only add rules.
                if k == "anyOf"
                    && x.as_array()
                        .is_some_and(|a| a.iter().all(|b| b.get("type").is_none()))
                {
                    continue;
                }
                walk(x, &format!("{path}/{k}"));
            }
        } else if let Some(a) = v.as_array() {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{path}/{i}"));
            }
        }
    }
    walk(&schema(), "#");
}

#[test]
fn printed_schema_is_draft_2020_12_json() {
    let text = to_string();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(text.ends_with("}\n"));
    assert_eq!(text, to_string(), "deterministic");
}

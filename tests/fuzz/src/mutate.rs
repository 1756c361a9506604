//! Structure-aware inputs: a bundled blueprint, edited by the fuzzer's
//! bytes. The first byte picks the blueprint; then each edit is an
//! operation byte, a node (pre-order index) and operands, all read from
//! the input. libFuzzer mutates the bytes; coverage keeps the edits that
//! reach new code. Edits: set a value (from a dictionary of boundary and
//! hostile values, or the input's own bytes), remove, insert a known key,
//! copy a subtree elsewhere, rename a key, duplicate an entry.

use serde_yaml::{Mapping, Value};
use std::sync::OnceLock;

/// The bundled blueprints: every key and shape the format has.
const SEEDS: [&str; 3] = [
    include_str!("../../../blueprints/minimal.yaml"),
    include_str!("../../../blueprints/commerce.yaml"),
    include_str!("../../../blueprints/saas.yaml"),
];

/// Edits applied at most, and nodes a blueprint may grow to (copies of
/// copies would grow it exponentially otherwise).
const MAX_EDITS: usize = 48;
const MAX_NODES: usize = 4000;

/// Values that sit on a rule's edge or try to break out of a format.
const TEXT: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "+1",
    "01",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "1e309",
    "0.001",
    "0.25",
    "192",
    "193",
    "250m",
    "0m",
    "512Mi",
    "10Gi",
    "10241Mi",
    "1.5Gi",
    "30s",
    "15m",
    "16m",
    "14d",
    "15d",
    "30秒",
    "é",
    "1ß",
    "秒",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "null",
    "~",
    "<<",
    "${var.x}",
    "%{ if x }",
    "$${x}",
    "\"",
    "'",
    "\\",
    "\n",
    "\r\n",
    "\t",
    "#",
    "# c",
    "a: b",
    "- x",
    "{",
    "}",
    "[",
    "]",
    "*",
    "&a",
    "!tag",
    "---",
    "...",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{202e}",
    "😀",
    "nginx:1",
    "nginx@sha256:abc",
    "repo/x:",
    "0 2 * * *",
    "*/5 * * * *",
    "@daily",
    "0 0 31 2 *",
    "/",
    "/api",
    "//",
    "/../",
    "..",
    ".",
    "a/b",
    "C:\\x",
    "eu-central-1",
    "us-gov-west-1",
    "x",
    "api",
    "orders",
    "acme",
    "prod",
    "dev",
    "public",
    "internal",
    "none",
    "dedicated",
    "shared",
    "aws:x",
    "AWS:x",
    "http",
    "https",
    "arn:aws:iam::123456789012:role/x",
    "10.0.0.0/16",
    "0.0.0.0/0",
    "::/0",
    "subnet-1",
    "vpc-1",
];

/// Whole numbers at the edges of u8, u16, u32 and of the format's ranges.
const NUMBERS: &[i64] = &[
    0,
    1,
    2,
    3,
    5,
    10,
    14,
    15,
    99,
    100,
    101,
    255,
    256,
    1000,
    1001,
    65535,
    65536,
    86400,
    2147483647,
    4294967295,
    4294967296,
    -1,
    -2147483648,
    i64::MAX,
    i64::MIN,
];

/// The input read as operands, a byte at a time; zeros once it ends.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u8(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }

    fn index(&mut self, len: usize) -> usize {
        let n = usize::from(self.u8()) << 8 | usize::from(self.u8());
        if len == 0 {
            0
        } else {
            n % len
        }
    }

    fn text(&mut self) -> String {
        let len = usize::from(self.u8() % 40);
        let take = len.min(self.0.len());
        let (head, rest) = self.0.split_at(take);
        self.0 = rest;
        String::from_utf8_lossy(head).into_owned()
    }
}

/// Every key the format knows (from its JSON Schema), for inserts and
/// renames.
fn keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                        out.extend(props.keys().cloned());
                    }
                    m.values().for_each(|v| walk(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let schema: serde_json::Value =
            serde_json::from_str(&blueprint::schema::to_string()).expect("the schema is JSON");
        let mut out = Vec::new();
        walk(&schema, &mut out);
        out.sort();
        out.dedup();
        out
    })
}

/// The blueprint the input describes, as YAML text.
pub fn blueprint(data: &[u8]) -> Option<String> {
    let mut input = Input(data);
    let seed = SEEDS[usize::from(input.byte()?) % SEEDS.len()];
    let mut doc: Value = serde_yaml::from_str(seed).ok()?;
    for _ in 0..MAX_EDITS {
        let Some(op) = input.byte() else { break };
        edit(&mut doc, op, &mut input);
    }
    serde_yaml::to_string(&doc).ok()
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Sequence(items) => items.iter().map(count).sum(),
        Value::Mapping(m) => m.values().map(count).sum(),
        Value::Tagged(t) => count(&t.value),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn nth_mut<'a>(v: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
    if *n == 0 {
        return Some(v);
    }
    *n -= 1;
    match v {
        Value::Sequence(items) => items.iter_mut().find_map(|i| nth_mut(i, n)),
        Value::Mapping(m) => m.values_mut().find_map(|i| nth_mut(i, n)),
        _ => None,
    }
}

fn value(input: &mut Input) -> Value {
    match input.u8() % 4 {
        0 => Value::Number(NUMBERS[input.index(NUMBERS.len())].into()),
        1 => Value::String(input.text()),
        2 => Value::Bool(input.u8().is_multiple_of(2)),
        _ => Value::String(TEXT[input.index(TEXT.len())].to_owned()),
    }
}

fn edit(doc: &mut Value, op: u8, input: &mut Input) {
    let nodes = count(doc);
    // A copy of some node, read before the target is borrowed.
    let copy = if op % 9 == 4 || op % 9 == 3 {
        let mut n = input.index(nodes);
        nth_mut(doc, &mut n).cloned()
    } else {
        None
    };
    let mut n = input.index(nodes);
    let Some(node) = nth_mut(doc, &mut n) else {
        return;
    };
    let small = nodes < MAX_NODES;
    match op % 9 {
        0 | 1 => *node = value(input),
        2 => match node {
            Value::Mapping(m) if !m.is_empty() => {
                let i = input.index(m.len());
                let key = m.keys().nth(i).cloned();
                if let Some(key) = key {
                    m.remove(&key);
                }
            }
            Value::Sequence(items) if !items.is_empty() => {
                let i = input.index(items.len());
                items.remove(i);
            }
            _ => *node = Value::Null,
        },
        3 => match node {
            Value::Mapping(m) => {
                let key = Value::String(keys()[input.index(keys().len())].clone());
                let v = match copy {
                    Some(c) if small && input.u8().is_multiple_of(2) => c,
                    _ => value(input),
                };
                m.insert(key, v);
            }
            Value::Sequence(items) => items.push(match copy {
                Some(c) if small => c,
                _ => value(input),
            }),
            _ => *node = Value::Mapping(Mapping::new()),
        },
        4 => {
            if let Some(c) = copy.filter(|_| small) {
                *node = c;
            }
        }
        5 => *node = Value::Number(NUMBERS[input.index(NUMBERS.len())].into()),
        6 => {
            *node = match input.u8() % 3 {
                0 => Value::Mapping(Mapping::new()),
                1 => Value::Sequence(Vec::new()),
                _ => Value::Null,
            }
        }
        7 => {
            if let Value::Mapping(m) = node {
                if !m.is_empty() {
                    let i = input.index(m.len());
                    let old = m.keys().nth(i).cloned();
                    if let Some(old) = old {
                        let v = m.remove(&old).unwrap_or(Value::Null);
                        let new = match input.u8() % 2 {
                            0 => keys()[input.index(keys().len())].clone(),
                            _ => input.text(),
                        };
                        m.insert(Value::String(new), v);
                    }
                }
            }
        }
        _ => {
            // Another entry like an existing one, under a new name: many
            // services, tenants or environments.
            if let Value::Mapping(m) = node {
                if small && !m.is_empty() {
                    let i = input.index(m.len());
                    let entry = m.iter().nth(i).map(|(k, v)| (k.clone(), v.clone()));
                    if let Some((Value::String(k), v)) = entry {
                        let suffix = input.u8() % 26;
                        m.insert(
                            Value::String(format!("{k}-{}", char::from(b'a' + suffix))),
                            v,
                        );
                    }
                }
            }
        }
    }
}

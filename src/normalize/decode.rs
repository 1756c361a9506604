//! Small decoders over the located tree. Each one pushes a diagnostic and
//! returns `None` on bad input, so callers carry on and report everything.

use super::suggest;
use crate::diag::Diagnostic;
use crate::model::{Cpu, Duration, Memory, Name};
use crate::parse::{Key, Node, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where something was written, for diagnostics raised after decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Loc {
    pub path: String,
    pub line: usize,
    pub col: usize,
}

impl Loc {
    pub fn of(n: &Node) -> Loc {
        Loc {
            path: n.path.clone(),
            line: n.line,
            col: n.col,
        }
    }

    pub fn diag(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.path.clone(), message).at(self.line, self.col)
    }
}

/// The diagnostics collected so far.
#[derive(Default)]
pub struct Cx {
    pub diags: Vec<Diagnostic>,
}

/// A map node whose keys were checked against the known ones.
pub struct Fields<'a> {
    pub node: &'a Node,
    entries: &'a [(Key, Node)],
}

impl<'a> Fields<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }
}

impl Cx {
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn err(&mut self, n: &Node, message: impl Into<String>) {
        self.diags.push(Loc::of(n).diag(message));
    }

    pub fn err_help(&mut self, n: &Node, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Loc::of(n).diag(message).with_help(help));
    }

    /// The entries of a map node; nothing written counts as an empty map.
    pub fn map<'a>(&mut self, n: &'a Node, what: &str) -> Option<&'a [(Key, Node)]> {
        match &n.value {
            Value::Map(e) => Some(e),
            Value::Null => Some(&[]),
            _ => {
                self.err(
                    n,
                    format!(
                        "{what} must be a map (`key: value` lines), not {}",
                        n.kind()
                    ),
                );
                None
            }
        }
    }

    /// A map with a fixed set of keys: every unknown key is reported with
    /// the closest known one.
    pub fn fields<'a>(&mut self, n: &'a Node, known: &[&str], what: &str) -> Option<Fields<'a>> {
        let entries = self.map(n, what)?;
        for (k, v) in entries {
            if !known.contains(&k.text.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        v.path.clone(),
                        format!("unknown key `{}` in {what}", k.text),
                    )
                    .at(k.line, k.col)
                    .with_help(suggest::help(&k.text, known, "known keys")),
                );
            }
        }
        Some(Fields { node: n, entries })
    }

    /// A required key: reports it missing at the map.
    pub fn required<'a>(&mut self, f: &Fields<'a>, key: &str, what: &str) -> Option<&'a Node> {
        let v = f.get(key);
        if v.is_none() {
            self.err(
                f.node,
                format!("{what} is missing the required key `{key}`"),
            );
        }
        v
    }

    /// Scalar text as written; nothing written is the empty string.
    pub fn text<'a>(&mut self, n: &'a Node) -> Option<&'a str> {
        match &n.value {
            Value::Scalar { text, .. } => Some(text),
            Value::Null => Some(""),
            _ => {
                self.err(n, format!("expected a single value here, not {}", n.kind()));
                None
            }
        }
    }

    /// Runs one of the model's value parsers on the scalar text.
    pub fn parse_with<T>(
        &mut self,
        n: &Node,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let t = self.text(n)?;
        match f(t) {
            Ok(v) => Some(v),
            Err(e) => {
                self.err(n, e);
                None
            }
        }
    }

    /// A whole number in `lo..=hi`.
    pub fn uint(&mut self, n: &Node, lo: u64, hi: u64) -> Option<u64> {
        let t = self.text(n)?;
        let digits = t.strip_prefix('+').unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.err_help(
                n,
                format!("`{t}` is not a whole number"),
                format!("write a number from {lo} to {hi}"),
            );
            return None;
        }
        let v = digits.trim_start_matches('0');
        let parsed = if v.is_empty() {
            Some(0)
        } else if v.len() > 19 {
            None
        } else {
            v.parse::<u64>().ok()
        };
        match parsed {
            Some(x) if (lo..=hi).contains(&x) => Some(x),
            _ => {
                self.err(
                    n,
                    format!("`{t}` is out of range: it must be from {lo} to {hi}"),
                );
                None
            }
        }
    }

    /// `true` or `false`, nothing else.
    pub fn boolean(&mut self, n: &Node) -> Option<bool> {
        let t = self.text(n)?;
        match t {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                let hint = match t.to_ascii_lowercase().as_str() {
                    "yes" | "y" | "on" | "true" => "write `true`",
                    "no" | "n" | "off" | "false" => "write `false`",
                    _ => "write `true` or `false`",
                };
                self.err_help(n, format!("`{t}` is not a boolean"), hint);
                None
            }
        }
    }

    pub fn duration(&mut self, n: &Node) -> Option<Duration> {
        self.parse_with(n, Duration::parse)
    }

    pub fn cpu(&mut self, n: &Node) -> Option<Cpu> {
        self.parse_with(n, Cpu::parse)
    }

    /// A total over many workloads (a quota).
    pub fn cpu_total(&mut self, n: &Node) -> Option<Cpu> {
        self.parse_with(n, Cpu::parse_total)
    }

    pub fn memory(&mut self, n: &Node) -> Option<Memory> {
        self.parse_with(n, Memory::parse)
    }

    /// The items of a list; nothing written is an empty list.
    pub fn list<'a>(&mut self, n: &'a Node, what: &str) -> Option<&'a [Node]> {
        match &n.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.err_help(
                    n,
                    format!("{what} must be a list, not {}", n.kind()),
                    "write `[a, b]` or one `- item` per line",
                );
                None
            }
        }
    }

    /// A list of strings (each item as written).
    pub fn strings(&mut self, n: &Node, what: &str) -> Option<Vec<String>> {
        let items = self.list(n, what)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for i in items {
            match self.text(i) {
                Some(t) => out.push(t.to_string()),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A list of references to declared names; sorted and deduplicated.
    /// `elsewhere`: names of another kind that a user may have meant
    /// (a job in `calls`), reported as what they are.
    pub fn refs(
        &mut self,
        n: &Node,
        what: &str,
        known: &BTreeSet<String>,
        kind: &str,
        elsewhere: Option<(&BTreeSet<String>, &str)>,
    ) -> (Vec<Name>, Vec<(Name, Loc)>) {
        let mut out = Vec::new();
        let mut at = Vec::new();
        let Some(items) = self.list(n, what) else {
            return (out, at);
        };
        for i in items {
            let Some(t) = self.text(i) else { continue };
            if known.contains(t) {
                let name = Name::new_unchecked(t);
                at.push((name.clone(), Loc::of(i)));
                out.push(name);
            } else if let Some((_, other)) = elsewhere.filter(|(names, _)| names.contains(t)) {
                self.err_help(
                    i,
                    format!("`{what}` names `{t}`, which is a {other}, not a {kind}"),
                    format!("`{what}` lists {kind}s; a {other} cannot be named there"),
                );
            } else {
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                self.err_help(
                    i,
                    format!("`{what}` names {kind} `{t}`, which is not declared"),
                    suggest::help(t, &names, &format!("declared {kind}s")),
                );
            }
        }
        out.sort();
        out.dedup();
        (out, at)
    }

    /// `env`: variable name -> string, rendered literally.
    pub fn env(&mut self, n: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(entries) = self.map(n, "`env`") else {
            return out;
        };
        for (k, v) in entries {
            self.env_name(k, v);
            if let Some(t) = self.text(v) {
                out.insert(k.text.clone(), t.to_string());
            }
        }
        out
    }

    /// Checks an environment variable name `[A-Za-z_][A-Za-z0-9_]*`.
    pub fn env_name(&mut self, k: &Key, v: &Node) -> bool {
        if is_env_name(&k.text) {
            return true;
        }
        self.push(
            Diagnostic::new(
                v.path.clone(),
                format!("`{}` is not a valid environment variable name", k.text),
            )
            .at(k.line, k.col)
            .with_help("use letters, digits and `_`, not starting with a digit: `LOG_LEVEL`"),
        );
        false
    }
}

pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

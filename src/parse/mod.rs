//! YAML text -> a located node tree (every node knows its line, column and
//! YAML path). No defaults, no interpretation.
//!
//! Built from yaml-rust2's event parser, driven iteratively (its own
//! `Parser::load` recurses per nesting level, so deep input could overflow
//! the stack). Scalars keep their text as written: `0123`, `yes`, `1.10`
//! and `null` stay strings here; normalize/ decides what they mean.
//!
//! Handled here: syntax errors (one diagnostic), duplicate keys, anchors and
//! aliases (expanded, with caps on the total node count and on the bytes
//! the tree holds, against "billion laughs" of nodes or of long strings),
//! merge keys (`<<: *base`, explicit keys win), nesting depth, the length
//! of keys and values, several documents, empty input, and a top level
//! that is not a map.

use crate::diag::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Most nodes a blueprint may expand to, aliases included.
pub const MAX_NODES: usize = 100_000;
/// Deepest nesting accepted. Real blueprints need fewer than ten levels;
/// the cap keeps every recursive walk over the tree shallow.
pub const MAX_DEPTH: usize = 64;
/// Longest key, in bytes. Every node below a key carries it in its path,
/// so a long key over a long list would multiply; names and tag keys are
/// far shorter (AWS tag keys: 128 characters).
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest value, in bytes. No field needs more (an environment value on
/// Lambda: 4 KB for all of them together).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most bytes the tree may hold once aliases are expanded: the text of
/// every key and value and every node's YAML path. The node count alone
/// does not bound memory: a 1 MB string aliased 1,000 times is 1,000
/// nodes and 1 GB.
pub const MAX_TREE_BYTES: usize = 32 * 1024 * 1024;

/// A YAML node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Dotted YAML path where the node was written: `services.api.cpu`,
    /// sequence items as `publishes[0]`; empty for the document root.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Entries in the order written; keys are unique.
    Map(Vec<(Key, Node)>),
    Seq(Vec<Node>),
    /// Text as written (after YAML unquoting/folding).
    Scalar {
        text: String,
        style: Style,
    },
    /// Nothing written at all (`key:` with no value). An unquoted `null` or
    /// `~` is a [`Value::Scalar`] with that text.
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// A map key: its text and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub line: usize,
    pub col: usize,
}

impl Node {
    /// The entries when this is a map.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The value under `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.text == key)
            .map(|(_, v)| v)
    }

    /// The scalar text, if this is a scalar.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// `a map`, `a list`, `a string`, `nothing`: for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a map",
            Value::Seq(_) => "a list",
            Value::Scalar { .. } => "a value",
            Value::Null => "nothing",
        }
    }

    /// Rewrites the paths of this node and everything under it as if it were
    /// written at `path` (used for expanded aliases and merge keys).
    pub fn repath(&mut self, path: String) {
        match &mut self.value {
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    v.repath(join(&path, &k.text));
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    v.repath(format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
        self.path = path;
    }

    fn count(&self) -> usize {
        1 + match &self.value {
            Value::Map(e) => e.iter().map(|(_, v)| v.count()).sum(),
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            _ => 0,
        }
    }

    /// The bytes this node and those under it hold: paths, keys, values
    /// (what [`MAX_TREE_BYTES`] caps).
    fn bytes(&self) -> usize {
        self.path.len()
            + match &self.value {
                Value::Map(e) => e.iter().map(|(k, v)| k.text.len() + v.bytes()).sum(),
                Value::Seq(items) => items.iter().map(Node::bytes).sum(),
                Value::Scalar { text, .. } => text.len(),
                Value::Null => 0,
            }
    }
}

/// `parent.key`, or `key` at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `source` without a leading UTF-8 byte order mark, which some Windows
/// editors write and YAML readers ignore; yaml-rust2 would make it part of
/// the first key (`\u{feff}version`).
pub fn strip_bom(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// Parses one YAML document whose top level is a map. Returns the tree
/// (when one could be built) and the diagnostics found; a syntax error stops
/// the parse, duplicate keys do not (the first one is kept). A byte order
/// mark is ignored.
pub fn parse(source: &str) -> (Option<Node>, Vec<Diagnostic>) {
    let source = strip_bom(source);
    let mut b = Builder::default();
    let root = b.run(source);
    let mut diags = b.diags;
    let empty = || {
        Diagnostic::new("", "the blueprint is empty")
            .with_help("start with `version: 1`, `name:`, `region:` and `services:`")
    };
    match root {
        Some(root) => match &root.value {
            Value::Map(_) => return (Some(root), diags),
            Value::Null => diags.push(empty()),
            _ => diags.push(
                Diagnostic::new(
                    "",
                    format!(
                        "the blueprint must be a map of keys (`version: 1`, `name: ...`), not {}",
                        root.kind()
                    ),
                )
                .at(root.line, root.col),
            ),
        },
        None if diags.is_empty() => diags.push(empty()),
        None => {}
    }
    (None, diags)
}

enum Frame {
    Map {
        node: Node,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        seen: BTreeSet<String>,
        /// Merge sources (`<<`), applied at the end of the map.
        merges: Vec<Node>,
        key: Option<Key>,
        /// The pending key is a plain `<<`.
        merge_key: bool,
    },
    Seq {
        node: Node,
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    /// What the tree holds so far, see [`MAX_TREE_BYTES`].
    bytes: usize,
    diags: Vec<Diagnostic>,
}

fn loc(m: &Marker) -> (usize, usize) {
    // yaml-rust2: line is 1-based, column 0-based.
    (m.line().max(1), m.col() + 1)
}

/// Stops the parse with this diagnostic.
struct Stop(Diagnostic);

impl Builder {
    fn run(&mut self, source: &str) -> Option<Node> {
        let mut parser = Parser::new_from_str(source);
        let mut root: Option<Node> = None;
        let mut documents = 0usize;
        loop {
            let (ev, mark) = match parser.next_token() {
                Ok(x) => x,
                Err(e) => {
                    let (line, col) = loc(e.marker());
                    self.diags.push(
                        Diagnostic::new("", format!("YAML syntax error: {}", e.info()))
                            .at(line, col),
                    );
                    return None;
                }
            };
            let step = match ev {
                Event::StreamEnd => return root,
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => Ok(None),
                Event::DocumentStart => {
                    documents += 1;
                    if documents > 1 {
                        let (line, col) = loc(&mark);
                        self.diags.push(
                            Diagnostic::new(
                                "",
                                "the blueprint holds more than one YAML document; write one",
                            )
                            .at(line, col)
                            .with_help("remove the `---` separator and merge the documents"),
                        );
                        return None;
                    }
                    self.anchors.clear();
                    Ok(None)
                }
                Event::Scalar(text, style, anchor, _tag) => {
                    let (line, col) = loc(&mark);
                    let path = self.next_path();
                    if let Err(Stop(d)) = self.check_scalar(&text, &path, line, col) {
                        self.diags.push(d);
                        return None;
                    }
                    let value = if text.is_empty() && style == TScalarStyle::Plain {
                        Value::Null
                    } else {
                        let style = match style {
                            TScalarStyle::Plain => Style::Plain,
                            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                                Style::Quoted
                            }
                            TScalarStyle::Literal | TScalarStyle::Folded => Style::Block,
                        };
                        Value::Scalar { text, style }
                    };
                    let node = Node {
                        value,
                        line,
                        col,
                        path,
                    };
                    self.finish(node, anchor)
                }
                Event::Alias(id) => self.alias(id, &mark),
                Event::SequenceStart(anchor, _) => self.open(&mark, anchor, false),
                Event::MappingStart(anchor, _) => self.open(&mark, anchor, true),
                Event::SequenceEnd | Event::MappingEnd => self.close(),
            };
            match step {
                Ok(Some(node)) => root = Some(node),
                Ok(None) => {}
                Err(Stop(d)) => {
                    self.diags.push(d);
                    return None;
                }
            }
        }
    }

    /// A key or value within its length cap, counted into the tree's
    /// bytes with its path.
    fn check_scalar(
        &mut self,
        text: &str,
        path: &str,
        line: usize,
        col: usize,
    ) -> Result<(), Stop> {
        let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        let (max, what) = if is_key {
            (MAX_KEY_BYTES, "key")
        } else {
            (MAX_VALUE_BYTES, "value")
        };
        if text.len() > max {
            return Err(Stop(
                Diagnostic::new(
                    path,
                    format!(
                        "this {what} is {} bytes long; at most {max} are allowed",
                        text.len()
                    ),
                )
                .at(line, col),
            ));
        }
        self.count_bytes(text.len() + path.len(), line, col)
    }

    /// The path of the node about to start.
    fn next_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { node, key, .. }) => match key {
                Some(k) => join(&node.path, &k.text),
                None => node.path.clone(),
            },
            Some(Frame::Seq { node, items, .. }) => format!("{}[{}]", node.path, items.len()),
        }
    }

    /// Adds `n` bytes to the tree's total, or stops past the cap.
    fn count_bytes(&mut self, n: usize, line: usize, col: usize) -> Result<(), Stop> {
        self.bytes = self.bytes.saturating_add(n);
        over(self.bytes, MAX_TREE_BYTES, line, col, || {
            Diagnostic::new(
                "",
                format!(
                    "the blueprint expands to more than {} MiB of keys, values and paths",
                    MAX_TREE_BYTES / (1024 * 1024)
                ),
            )
            .with_help("aliases (`*name`) are expanded: each copies what its anchor holds")
        })
    }

    /// Adds `n` nodes to the tree's count, or stops past the cap.
    fn count_nodes(&mut self, n: usize, line: usize, col: usize) -> Result<(), Stop> {
        self.nodes = self.nodes.saturating_add(n);
        over(self.nodes, MAX_NODES, line, col, || {
            Diagnostic::new(
                "",
                format!("the blueprint expands to more than {MAX_NODES} YAML nodes"),
            )
            .with_help("aliases (`*name`) are expanded; avoid aliases of aliases")
        })
    }

    fn open(&mut self, mark: &Marker, anchor: usize, map: bool) -> Result<Option<Node>, Stop> {
        let (mut line, mut col) = loc(mark);
        // A container that is a map value is located at its key.
        if let Some(Frame::Map { key: Some(k), .. }) = self.stack.last() {
            (line, col) = (k.line, k.col);
        }
        self.count_nodes(1, line, col)?;
        let path = self.next_path();
        self.count_bytes(path.len(), line, col)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(Stop(
                Diagnostic::new(
                    "",
                    format!("the blueprint nests deeper than {MAX_DEPTH} levels"),
                )
                .at(line, col),
            ));
        }
        let node = Node {
            value: Value::Null,
            line,
            col,
            path,
        };
        self.stack.push(if map {
            Frame::Map {
                node,
                anchor,
                entries: Vec::new(),
                seen: BTreeSet::new(),
                merges: Vec::new(),
                key: None,
                merge_key: false,
            }
        } else {
            Frame::Seq {
                node,
                anchor,
                items: Vec::new(),
            }
        });
        Ok(None)
    }

    fn close(&mut self) -> Result<Option<Node>, Stop> {
        let Some(frame) = self.stack.pop() else {
            return Ok(None);
        };
        let (node, anchor) = match frame {
            Frame::Seq {
                mut node,
                anchor,
                items,
            } => {
                node.value = Value::Seq(items);
                (node, anchor)
            }
            Frame::Map {
                mut node,
                anchor,
                mut entries,
                mut seen,
                merges,
                ..
            } => {
                // Merge keys: explicit keys win, then earlier sources win.
                for src in merges {
                    for (k, mut v) in map_sources(src) {
                        if seen.insert(k.text.clone()) {
                            v.repath(join(&node.path, &k.text));
                            entries.push((k, v));
                        }
                    }
                }
                node.value = Value::Map(entries);
                (node, anchor)
            }
        };
        self.finish(node, anchor)
    }

    fn alias(&mut self, id: usize, mark: &Marker) -> Result<Option<Node>, Stop> {
        let (line, col) = loc(mark);
        let Some(target) = self.anchors.get(&id) else {
            return Err(Stop(
                Diagnostic::new(self.next_path(), "this alias refers to an unknown anchor")
                    .at(line, col),
            ));
        };
        // Counted before the copy is made: the caps are what keep it small.
        let n = target.count();
        let path = self.next_path();
        let bytes = target.bytes().saturating_add(n.saturating_mul(path.len()));
        self.count_nodes(n, line, col)?;
        self.count_bytes(bytes, line, col)?;
        let mut node = self.anchors[&id].clone();
        node.repath(path);
        node.line = line;
        node.col = col;
        self.deliver(node, false)
    }

    /// A complete node: remember its anchor, count it, hand it to its parent.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<Option<Node>, Stop> {
        let plain = matches!(
            node.value,
            Value::Scalar {
                style: Style::Plain,
                ..
            }
        );
        if !matches!(node.value, Value::Map(_) | Value::Seq(_)) {
            self.count_nodes(1, node.line, node.col)?;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.deliver(node, plain)
    }

    /// Gives a complete node to the frame on top; returns it when it is the root.
    /// `plain`: the node is a plain scalar (only a plain `<<` key merges).
    fn deliver(&mut self, node: Node, plain: bool) -> Result<Option<Node>, Stop> {
        match self.stack.last_mut() {
            None => Ok(Some(node)),
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(None)
            }
            Some(Frame::Map {
                node: map,
                entries,
                seen,
                merges,
                key,
                merge_key,
                ..
            }) => {
                match key.take() {
                    None => {
                        let text = match node.value {
                            Value::Scalar { text, .. } => text,
                            Value::Null => String::new(),
                            _ => {
                                return Err(Stop(
                                    Diagnostic::new(
                                        map.path.clone(),
                                        format!("a key must be a plain word, not {}", node.kind()),
                                    )
                                    .at(node.line, node.col),
                                ))
                            }
                        };
                        *merge_key = plain && text == "<<";
                        *key = Some(Key {
                            text,
                            line: node.line,
                            col: node.col,
                        });
                    }
                    Some(k) => {
                        let is_merge =
                            *merge_key && matches!(node.value, Value::Map(_) | Value::Seq(_));
                        if is_merge {
                            merges.push(node);
                        } else if !seen.insert(k.text.clone()) {
                            self.diags.push(
                                Diagnostic::new(
                                    join(&map.path, &k.text),
                                    format!("duplicate key `{}`", k.text),
                                )
                                .at(k.line, k.col)
                                .with_help("each key may appear once in a map; remove one"),
                            );
                        } else {
                            entries.push((k, node));
                        }
                    }
                }
                Ok(None)
            }
        }
    }
}

/// Stops at (`line`, `col`) with `diag` when `total` is past `max`.
fn over(
    total: usize,
    max: usize,
    line: usize,
    col: usize,
    diag: impl FnOnce() -> Diagnostic,
) -> Result<(), Stop> {
    if total > max {
        return Err(Stop(diag().at(line, col)));
    }
    Ok(())
}

/// The entries a merge source contributes: a map, or a list of maps (earlier
/// maps win). Anything else contributes nothing.
fn map_sources(src: Node) -> Vec<(Key, Node)> {
    match src.value {
        Value::Map(e) => e,
        Value::Seq(items) => items
            .into_iter()
            .flat_map(|i| match i.value {
                Value::Map(e) => e,
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;

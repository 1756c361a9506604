//! JSON written straight into bytes, laid out as `cdk synth` lays out its
//! templates (`JSON.stringify(template, undefined, 1)`): the bytes
//! serde_json's pretty printer writes with a one-space indent (`"key":
//! value`, `{}` and `[]` when empty, its string escapes; tested against
//! it), without building a value first. Every JSON file blueprint writes
//! goes through here (`json::to_cdk_json` for `serde_json::Value`s). The Lambda target writes hundreds of megabytes of
//! templates at scale; a tree of `Value`s for them cost a dozen
//! allocations per node.
//!
//! A writer is at some depth; `value` methods write one value there,
//! `object` and `array` hand a closure the writer one level down, and
//! `entry` writes a `,\n<indent>"key": ` prefix followed by a value, for
//! entries of an object whose braces someone else writes (the sections
//! of a template that many units fill).
//!
//! The same writer can count instead of write (`Count`): the Lambda
//! target measures every unit before it knows which stack it goes to.

/// Where a writer's bytes go.
pub trait Out {
    fn extend(&mut self, bytes: &[u8]);
    fn push(&mut self, byte: u8);
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn clear(&mut self);
    /// `s` with serde_json's escapes, without quotes.
    fn escaped(&mut self, s: &str);
}

impl Out for Vec<u8> {
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }

    fn escaped(&mut self, s: &str) {
        escape_into(self, s);
    }
}

/// Bytes counted, not kept: the length of what a `Vec<u8>` would hold
/// (tested equal).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl Out for Count {
    fn extend(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn push(&mut self, _: u8) {
        self.0 += 1;
    }

    fn len(&self) -> usize {
        self.0
    }

    fn clear(&mut self) {
        self.0 = 0;
    }

    fn escaped(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.0 += bytes.len();
        let mut from = 0;
        while let Some(i) = next_escape(bytes, from) {
            self.0 += escape(bytes[i]).1 - 1;
            from = i + 1;
        }
    }
}

pub struct Json<O: Out = Vec<u8>> {
    out: O,
    depth: usize,
}

/// Entries of an object being written.
pub struct Obj<'a, O: Out = Vec<u8>> {
    j: &'a mut Json<O>,
    empty: bool,
}

/// Items of an array being written.
pub struct Arr<'a, O: Out = Vec<u8>> {
    j: &'a mut Json<O>,
    empty: bool,
}

impl Json<Vec<u8>> {
    /// A writer whose values sit `depth` levels deep (0: a whole document).
    pub fn at_depth(depth: usize) -> Json {
        Json::into(Vec::new(), depth)
    }

    pub fn reserve(&mut self, bytes: usize) {
        self.out.reserve(bytes);
    }

    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

impl<O: Out> Json<O> {
    /// A writer into `out`, its values `depth` levels deep.
    pub fn into(out: O, depth: usize) -> Json<O> {
        Json { out, depth }
    }

    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// How deep the values this writer writes sit.
    pub fn depth(&self) -> usize {
        self.depth
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// Text written as is: bytes already laid out for this depth.
    pub fn raw(&mut self, text: &[u8]) {
        self.out.extend(text);
    }

    pub fn str(&mut self, s: &str) {
        self.out.push(b'"');
        self.out.escaped(s);
        self.out.push(b'"');
    }

    /// A string that needs no escape (a logical ID, a generated name):
    /// written without looking for one.
    pub fn plain(&mut self, s: &str) {
        debug_assert!(
            next_escape(s.as_bytes(), 0).is_none(),
            "{s:?} needs escapes"
        );
        self.out.push(b'"');
        self.out.extend(s.as_bytes());
        self.out.push(b'"');
    }

    /// [`Json::joined`] of parts that need no escape.
    pub fn joined_plain(&mut self, head: &str, rest: &[&str], separator: &str) {
        self.out.push(b'"');
        self.out.extend(head.as_bytes());
        for p in rest {
            self.out.extend(separator.as_bytes());
            self.out.extend(p.as_bytes());
        }
        self.out.push(b'"');
        debug_assert!(
            std::iter::once(&head)
                .chain(rest)
                .chain([&separator])
                .all(|p| next_escape(p.as_bytes(), 0).is_none()),
            "{head:?} {rest:?} need escapes"
        );
    }

    /// One string: `head`, then each of `rest` after `separator`,
    /// without building it first.
    pub fn joined(&mut self, head: &str, rest: &[&str], separator: &str) {
        self.out.push(b'"');
        self.out.escaped(head);
        for p in rest {
            self.out.escaped(separator);
            self.out.escaped(p);
        }
        self.out.push(b'"');
    }

    pub fn u64(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend(&digits[i..]);
    }

    pub fn bool(&mut self, b: bool) {
        self.out.extend(if b { b"true" } else { b"false" });
    }

    pub fn object(&mut self, f: impl FnOnce(&mut Obj<O>)) {
        self.out.push(b'{');
        self.depth += 1;
        let mut o = Obj {
            j: self,
            empty: true,
        };
        f(&mut o);
        let empty = o.empty;
        self.depth -= 1;
        if !empty {
            self.newline();
        }
        self.out.push(b'}');
    }

    pub fn array(&mut self, f: impl FnOnce(&mut Arr<O>)) {
        self.out.push(b'[');
        self.depth += 1;
        let mut a = Arr {
            j: self,
            empty: true,
        };
        f(&mut a);
        let empty = a.empty;
        self.depth -= 1;
        if !empty {
            self.newline();
        }
        self.out.push(b']');
    }

    /// An array of strings.
    pub fn strs<S: AsRef<str>>(&mut self, items: &[S]) {
        self.array(|a| {
            for s in items {
                a.item().str(s.as_ref());
            }
        });
    }

    /// Any `serde_json::Value`, for the rare value that is data rather
    /// than structure.
    pub fn value(&mut self, v: &serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Null => self.out.extend(b"null"),
            Value::Bool(b) => self.bool(*b),
            Value::Number(n) => self.out.extend(n.to_string().as_bytes()),
            Value::String(s) => self.str(s),
            Value::Array(items) => self.array(|a| {
                for x in items {
                    a.item().value(x);
                }
            }),
            Value::Object(m) => self.object(|o| {
                for (k, x) in m {
                    o.key(k).value(x);
                }
            }),
        }
    }

    /// `,\n<indent>"key": `: the start of an entry of an object whose
    /// opening brace is elsewhere (the first entry's comma is dropped by
    /// whoever joins the entries).
    pub fn entry(&mut self, key: &str) -> &mut Json<O> {
        self.out.push(b',');
        self.newline();
        self.str(key);
        self.out.extend(b": ");
        self
    }

    fn newline(&mut self) {
        /// A newline and the indentation of the deepest level we write.
        const NEWLINE_INDENT: [u8; 33] = {
            let mut a = [b' '; 33];
            a[0] = b'\n';
            a
        };
        match NEWLINE_INDENT.get(..=self.depth) {
            Some(s) => self.out.extend(s),
            None => {
                self.out.push(b'\n');
                for _ in 0..self.depth {
                    self.out.push(b' ');
                }
            }
        }
    }
}

impl<O: Out> Obj<'_, O> {
    /// Starts the entry `key`; write its value on the returned writer.
    pub fn key(&mut self, key: &str) -> &mut Json<O> {
        self.start();
        self.j.str(key);
        self.j.out.extend(b": ");
        self.j
    }

    /// [`Obj::key`] for a key written in the code (`"Properties"`), which
    /// needs no escape.
    pub fn field(&mut self, key: &'static str) -> &mut Json<O> {
        self.start();
        self.j.plain(key);
        self.j.out.extend(b": ");
        self.j
    }

    fn start(&mut self) {
        if !self.empty {
            self.j.out.push(b',');
        }
        self.empty = false;
        self.j.newline();
    }
}

impl<O: Out> Arr<'_, O> {
    /// Starts the next item; write it on the returned writer.
    pub fn item(&mut self) -> &mut Json<O> {
        if !self.empty {
            self.j.out.push(b',');
        }
        self.empty = false;
        self.j.newline();
        self.j
    }
}

/// serde_json's escape of a byte that needs one, and its length: `\"`,
/// `\\`, `\b \t \n \f \r`, and `\u00xx` (lowercase hex) for other
/// control characters.
fn escape(b: u8) -> ([u8; 6], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = |c: u8| ([b'\\', c, 0, 0, 0, 0], 2);
    match b {
        b'"' => short(b'"'),
        b'\\' => short(b'\\'),
        0x08 => short(b'b'),
        0x09 => short(b't'),
        0x0A => short(b'n'),
        0x0C => short(b'f'),
        0x0D => short(b'r'),
        _ => (
            [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ],
            6,
        ),
    }
}

/// `s` escaped, without the quotes; everything else, non-ASCII included,
/// as is.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = next_escape(bytes, start) {
        out.extend_from_slice(&bytes[start..i]);
        let (e, len) = escape(bytes[i]);
        out.extend_from_slice(&e[..len]);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn must_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The first byte at or after `from` that must be escaped. Almost no
/// string has one, so eight bytes are tested at a time: a byte below
/// 0x20, or equal to `"` or `\`, sets its high bit in `flags` (the
/// classic "has a byte less than n" and "has a zero byte" word tricks).
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let flags = |w: u64| {
        let below = w.wrapping_sub(ONES * 0x20) & !w;
        let quote = w ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let slash = w ^ (ONES * u64::from(b'\\'));
        let slash = slash.wrapping_sub(ONES) & !slash;
        (below | quote | slash) & HIGH
    };
    let mut i = from;
    let mut flagged = false;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if flags(w) != 0 {
            flagged = true;
            break;
        }
        i += 8;
    }
    // Fewer than eight bytes left: the last word, overlapping what is
    // already clean, spares a byte loop over the tail of most strings.
    if !flagged && i < bytes.len() && bytes.len() >= 8 {
        let tail = &bytes[bytes.len() - 8..];
        if flags(u64::from_le_bytes(tail.try_into().expect("eight bytes"))) == 0 {
            return None;
        }
    }
    bytes[i..]
        .iter()
        .position(|b| must_escape(*b))
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    /// The oracle: serde_json's pretty printer, one-space indent, and the
    /// final newline `json::to_cdk_json` adds.
    fn to_cdk_json(v: &Value) -> String {
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut buf = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut buf, formatter,
        ))
        .unwrap();
        String::from_utf8(buf).unwrap() + "\n"
    }
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// What blueprint writes for a value.
    fn written(v: &Value) -> String {
        crate::render::json::to_cdk_json(v)
    }

    #[test]
    fn same_layout_as_serde_json() {
        let v = json!({
            "Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": {}}},
            "Empty": [],
            "List": [1, true, "x", {"k": [null]}],
            "Big": 18446744073709551615u64,
            "Quote\"d": "tab\there\u{1}\u{7f}é/"
        });
        assert_eq!(written(&v), to_cdk_json(&v));
    }

    #[test]
    fn joined_is_the_joined_string() {
        let mut j = Json::at_depth(0);
        j.joined("Stack", &["a\"b", "Resource"], "/");
        assert_eq!(j.bytes(), br#""Stack/a\"b/Resource""#);
    }

    #[test]
    fn entries_join_into_an_object() {
        let mut j = Json::at_depth(1);
        j.entry("a").u64(1);
        j.entry("b").object(|o| o.key("c").str("d"));
        let body = String::from_utf8(j.into_bytes()).unwrap();
        let text = format!("{{{}\n}}\n", &body[1..]);
        assert_eq!(text, to_cdk_json(&json!({"a": 1, "b": {"c": "d"}})));
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(|n| json!(n)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn escapes_are_found_anywhere_in_a_word() {
        // Every length around a word or two, the character at every
        // position: in a full word, in the tail, in both.
        for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
            for len in 1..=20 {
                for at in 0..len {
                    let mut s: String = "abcdefghijklmnopqrst"[..len].into();
                    s.replace_range(at..at + 1, &special.to_string());
                    let v = Value::String(s);
                    assert_eq!(written(&v), to_cdk_json(&v), "{v}");
                }
            }
        }
    }

    fn counted(v: &Value) -> usize {
        let mut j = Json::into(Count::default(), 0);
        j.value(v);
        j.len()
    }

    proptest! {
        /// Counting gives the length of what writing gives.
        #[test]
        fn counting_is_the_written_length(v in any_value()) {
            let mut j = Json::at_depth(0);
            j.value(&v);
            prop_assert_eq!(counted(&v), j.len());
        }

        /// Any value, any string (control characters, quotes, non-ASCII):
        /// byte for byte what serde_json writes.
        #[test]
        fn any_value_is_written_as_serde_json_writes_it(v in any_value()) {
            prop_assert_eq!(written(&v), to_cdk_json(&v));
        }
    }
}

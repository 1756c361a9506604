use super::*;

fn ok(src: &str) -> Node {
    let (root, diags) = parse(src);
    assert!(diags.is_empty(), "{diags:?}");
    root.expect("a root")
}

fn errs(src: &str) -> Vec<Diagnostic> {
    let (_, diags) = parse(src);
    assert!(!diags.is_empty(), "expected errors for {src:?}");
    diags
}

#[test]
fn locations_are_one_based_and_paths_dotted() {
    let n = ok("a: 1\nb:\n  c: [x, y]\n  d: ~\n");
    let a = n.get("a").unwrap();
    assert_eq!((a.line, a.col, a.path.as_str()), (1, 4, "a"));
    let b = n.get("b").unwrap();
    assert_eq!((b.line, b.col), (2, 1), "containers sit at their key");
    let c = b.get("c").unwrap();
    assert_eq!(c.path, "b.c");
    match &c.value {
        Value::Seq(items) => {
            assert_eq!(items[1].path, "b.c[1]");
            assert_eq!((items[1].line, items[1].col), (3, 10));
        }
        v => panic!("{v:?}"),
    }
    assert_eq!(b.get("d").unwrap().text(), Some("~"));
    let keys: Vec<_> = n
        .entries()
        .unwrap()
        .iter()
        .map(|(k, _)| (k.text.as_str(), k.line, k.col))
        .collect();
    assert_eq!(keys, [("a", 1, 1), ("b", 2, 1)]);
}

#[test]
fn scalars_keep_their_text() {
    let n = ok("a: 0123\nb: yes\nc: 1.10\nd: null\ne:\nf: ''\ng: \"x\"\n");
    assert_eq!(n.get("a").unwrap().text(), Some("0123"));
    assert_eq!(n.get("b").unwrap().text(), Some("yes"));
    assert_eq!(n.get("c").unwrap().text(), Some("1.10"));
    assert_eq!(n.get("d").unwrap().text(), Some("null"));
    assert_eq!(n.get("e").unwrap().value, Value::Null);
    assert_eq!(
        n.get("f").unwrap().value,
        Value::Scalar {
            text: String::new(),
            style: Style::Quoted
        }
    );
}

#[test]
fn syntax_error_has_a_location() {
    let d = errs("a: 1\nb: [1, 2\n");
    assert_eq!(d.len(), 1);
    assert!(d[0].message.starts_with("YAML syntax error"), "{d:?}");
    assert!(d[0].line.is_some());
}

#[test]
fn duplicate_keys_are_errors_but_parsing_goes_on() {
    let (root, d) = parse("a: 1\nb: 2\na: 3\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message, "duplicate key `a`");
    assert_eq!((d[0].line, d[0].col), (Some(3), Some(1)));
    assert_eq!(root.unwrap().get("a").unwrap().text(), Some("1"));
}

#[test]
fn aliases_expand_and_take_the_alias_path() {
    let n = ok("base: &b {x: 1}\nother: *b\n");
    let o = n.get("other").unwrap();
    assert_eq!(o.get("x").unwrap().path, "other.x");
    assert_eq!(o.line, 2);
}

#[test]
fn merge_keys_apply_and_explicit_keys_win() {
    let n = ok("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
    let o = n.get("other").unwrap();
    assert_eq!(o.get("x").unwrap().text(), Some("1"));
    assert_eq!(o.get("x").unwrap().path, "other.x");
    assert_eq!(o.get("y").unwrap().text(), Some("3"));
    assert!(o.get("<<").is_none());
    // A list of sources: earlier ones win.
    let n = ok("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc: {<<: [*a, *b]}\n");
    let c = n.get("c").unwrap();
    assert_eq!(c.get("x").unwrap().text(), Some("1"));
    assert_eq!(c.get("z").unwrap().text(), Some("3"));
    // A quoted `<<` is an ordinary key.
    let n = ok("a: &a {x: 1}\nc: {'<<': *a}\n");
    assert!(n.get("c").unwrap().get("<<").is_some());
}

#[test]
fn billion_laughs_is_refused() {
    let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let d = errs(&src);
    assert!(d[0].message.contains("more than 100000"), "{d:?}");
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let src = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let d = errs(&src);
    assert!(d[0].message.contains("recursion limit"), "{d:?}");
    let mut src = String::new();
    for i in 0..100 {
        src.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    let d = errs(&src);
    assert!(d[0].message.contains("nests deeper"), "{d:?}");
}

#[test]
fn documents_and_shapes() {
    assert_eq!(errs("")[0].message, "the blueprint is empty");
    assert_eq!(
        errs("# only a comment\n")[0].message,
        "the blueprint is empty"
    );
    assert_eq!(errs("---\n")[0].message, "the blueprint is empty");
    assert!(errs("a: 1\n---\nb: 2\n")[0]
        .message
        .contains("more than one YAML document"));
    assert!(errs("- a\n- b\n")[0].message.contains("must be a map"));
    assert!(errs("hello\n")[0].message.contains("must be a map"));
}

#[test]
fn unknown_alias_is_an_error() {
    let d = errs("a: *nope\n");
    assert_eq!(d.len(), 1);
}

#[test]
fn long_strings_aliased_many_times_are_refused_by_their_bytes() {
    // 60 KB under an anchor, 1,000 aliases: 1,001 nodes, 60 MB.
    let src = format!(
        "version: 1\nbig: &b \"{}\"\nlist: [{}]\n",
        "x".repeat(60_000),
        vec!["*b"; 1000].join(",")
    );
    let d = errs(&src);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message.contains("MiB of keys, values and paths"),
        "{d:?}"
    );
    // A few copies are fine.
    let src = format!("a: &b \"{}\"\nlist: [*b, *b, *b]\n", "x".repeat(60_000));
    assert!(parse(&src).1.is_empty());
}

#[test]
fn keys_and_values_have_a_length_cap() {
    let long_key = format!("? {}\n: [1, 2, 3]\n", "k".repeat(MAX_KEY_BYTES + 1));
    let d = errs(&long_key);
    assert!(
        d.len() == 1 && d[0].message.contains("this key is"),
        "{d:?}"
    );
    let ok_key = format!("? {}\n: 1\n", "k".repeat(MAX_KEY_BYTES));
    assert!(parse(&ok_key).1.is_empty());

    let long_value = format!("v: \"{}\"\n", "y".repeat(MAX_VALUE_BYTES + 1));
    let d = errs(&long_value);
    assert!(
        d.len() == 1 && d[0].message.contains("this value is"),
        "{d:?}"
    );
    assert_eq!(d[0].yaml_path, "v");
    assert!(parse(&format!("v: \"{}\"\n", "y".repeat(MAX_VALUE_BYTES)))
        .1
        .is_empty());
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let root = ok("\u{feff}version: 1\n");
    assert!(root.get("version").is_some());
}

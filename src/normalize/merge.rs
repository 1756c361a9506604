//! Deep merge of override trees over the base: maps merge key by key,
//! lists and scalars replace. Nodes keep the path and line where they were
//! written, so a bad value in an override is reported at the override.

use crate::parse::{Node, Value};
use std::collections::BTreeMap;

/// `over` merged onto `base`. An override written as nothing (`api:`)
/// leaves a map unchanged.
pub fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            let mut out = b.clone();
            let mut index: BTreeMap<String, usize> = out
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.text.clone(), i))
                .collect();
            for (k, v) in o {
                match index.get(&k.text).and_then(|&i| out.get_mut(i)) {
                    Some(slot) => slot.1 = merge(&slot.1, v),
                    None => {
                        index.insert(k.text.clone(), out.len());
                        out.push((k.clone(), v.clone()));
                    }
                }
            }
            Node {
                value: Value::Map(out),
                line: base.line,
                col: base.col,
                path: base.path.clone(),
            }
        }
        (Value::Map(_), Value::Null) => base.clone(),
        _ => over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    #[test]
    fn maps_merge_lists_and_scalars_replace() {
        let root = parse("b: {x: 1, l: [1, 2], m: {p: 1, q: 2}}\no: {l: [3], m: {q: 9}, n: 4}\n")
            .0
            .unwrap();
        let m = merge(root.get("b").unwrap(), root.get("o").unwrap());
        assert_eq!(m.get("x").unwrap().text(), Some("1"));
        match &m.get("l").unwrap().value {
            Value::Seq(items) => assert_eq!(items.len(), 1),
            v => panic!("{v:?}"),
        }
        let inner = m.get("m").unwrap();
        assert_eq!(inner.get("p").unwrap().text(), Some("1"));
        assert_eq!(inner.get("q").unwrap().text(), Some("9"));
        assert_eq!(inner.get("q").unwrap().path, "o.m.q");
        assert_eq!(m.get("n").unwrap().text(), Some("4"));
        assert_eq!(m.path, "b");
    }
}

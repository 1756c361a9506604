//! References between template items, written the way CloudFormation
//! takes them: `Ref`, `Fn::GetAtt`, and across stacks `Fn::ImportValue` of
//! an export of a resource attribute, as CDK writes cross-stack
//! references.

use super::ids::make_unique_id;
use crate::render::cdk_json::{Json, Out};
use std::sync::Arc;

/// CloudFormation's limit on an export name.
const EXPORT_NAME_MAX: usize = 255;

/// A value that refers to another item.
#[derive(Clone)]
pub enum Ref<'a> {
    /// `{"Ref": id}` (`AWS::Region` and other pseudo parameters too).
    Id(&'a str),
    /// `{"Fn::GetAtt": [id, attribute]}`.
    GetAtt(&'a str, &'static str),
    /// `{"Fn::ImportValue": name}`.
    Import(Arc<str>),
}

impl Ref<'_> {
    pub fn local<'a>(id: &'a str, attr: Option<&'static str>) -> Ref<'a> {
        match attr {
            Some(a) => Ref::GetAtt(id, a),
            None => Ref::Id(id),
        }
    }

    pub fn write<O: Out>(&self, j: &mut Json<O>) {
        match self {
            // Logical IDs, attributes and export names never need escapes.
            Ref::Id(id) => j.object(|o| o.field("Ref").plain(id)),
            Ref::GetAtt(id, attr) => j.object(|o| {
                o.field("Fn::GetAtt").array(|a| {
                    a.item().plain(id);
                    a.item().plain(attr);
                })
            }),
            Ref::Import(name) => j.object(|o| o.field("Fn::ImportValue").plain(name)),
        }
    }
}

/// One piece of an `Fn::Join`: literal text or a reference.
#[derive(Clone)]
pub enum Part<'a> {
    Text(&'a str),
    Ref(Ref<'a>),
}

/// `{"Fn::Join": ["", [parts]]}`: user text stays a literal list item.
pub fn join<O: Out>(j: &mut Json<O>, parts: &[Part]) {
    j.object(|o| {
        o.field("Fn::Join").array(|a| {
            a.item().str("");
            a.item().array(|a| {
                for p in parts {
                    match p {
                        Part::Text(t) => a.item().str(t),
                        Part::Ref(r) => r.write(a.item()),
                    }
                }
            });
        })
    });
}

/// `arn:<partition>:<service>:<region>:<account>:<rest...>`.
pub fn arn<O: Out>(j: &mut Json<O>, service: &str, rest: &[Part]) {
    let service = format!(":{service}:");
    let mut parts = vec![
        Part::Text("arn:"),
        Part::Ref(Ref::Id("AWS::Partition")),
        Part::Text(&service),
        Part::Ref(Ref::Id("AWS::Region")),
        Part::Text(":"),
        Part::Ref(Ref::Id("AWS::AccountId")),
        Part::Text(":"),
    ];
    parts.extend(rest.iter().cloned());
    join(j, &parts);
}

/// An AWS managed policy, partition-aware.
pub fn managed_policy<O: Out>(j: &mut Json<O>, name: &str) {
    let name = format!(":iam::aws:policy/{name}");
    join(
        j,
        &[
            Part::Text("arn:"),
            Part::Ref(Ref::Id("AWS::Partition")),
            Part::Text(&name),
        ],
    );
}

/// The output ID CDK gives the export of a reference:
/// `ExportsOutputRef<Id><hash>`, `ExportsOutputFnGetAtt<Id><Attr><hash>`.
pub fn export_id(target: &str, attr: Option<&str>) -> String {
    // The hash is of the reference as JSON without spaces, as CDK hashes it.
    let reference = match attr {
        Some(a) => format!("{{\"Fn::GetAtt\":[{},{}]}}", quoted(target), quoted(a)),
        None => format!("{{\"Ref\":{}}}", quoted(target)),
    };
    make_unique_id(&["Exports", &format!("Output{reference}")])
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// At least the length of `export_id(target, attr)`, without hashing.
pub fn export_id_len(target: &str, attr: Option<&str>) -> usize {
    "ExportsOutputFnGetAtt".len() + target.len() + attr.map_or(0, str::len) + 8
}

/// `<Stack>:<OutputId>`, cut from the front to CloudFormation's 255
/// characters as CDK does.
pub fn export_name(stack: &str, target: &str, attr: Option<&str>) -> String {
    let name = format!("{stack}:{}", export_id(target, attr));
    let cut = name.len().saturating_sub(EXPORT_NAME_MAX);
    name[cut..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn export_ids_hash_the_compact_reference_as_before() {
        // The same ID the Value-based emitter computed from `json!` text.
        let old = |target: &str, attr: Option<&str>| {
            let reference = match attr {
                Some(a) => json!({"Fn::GetAtt": [target, a]}),
                None => json!({"Ref": target}),
            };
            make_unique_id(&["Exports", &format!("Output{reference}")])
        };
        for (t, a) in [
            ("Queue1234ABCD", Some("Arn")),
            ("VpcId", None),
            ("q\"x", None),
        ] {
            assert_eq!(export_id(t, a), old(t, a));
            assert!(export_id_len(t, a) >= export_id(t, a).len());
        }
    }
}

//! One CloudFormation template under construction, with CDK's habits:
//! logical IDs from construct paths, `aws:cdk:path` metadata, tags sorted
//! by key. Every value is a `serde_json::Value`; user text only ever lands
//! in JSON strings, which CloudFormation never interpolates (no `Fn::Sub`
//! anywhere).

use super::ids::{make_unique_id, path_hash};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A checkov suppression: the check and why it does not apply.
pub type Skip = (&'static str, &'static str);

pub struct Template {
    stack: String,
    description: String,
    parameters: Map<String, Value>,
    resources: Map<String, Value>,
    outputs: Map<String, Value>,
}

/// A resource to add: its type, properties, and what CDK would put around
/// them.
pub struct Resource {
    pub ty: &'static str,
    pub properties: Value,
    /// `UpdateReplacePolicy` and `DeletionPolicy` (`Retain`, `Delete`).
    pub retain: Option<&'static str>,
    pub skips: Vec<Skip>,
}

impl Resource {
    pub fn new(ty: &'static str, properties: Value) -> Resource {
        Resource {
            ty,
            properties,
            retain: None,
            skips: Vec::new(),
        }
    }

    pub fn policy(mut self, policy: &'static str) -> Resource {
        self.retain = Some(policy);
        self
    }

    pub fn skip(mut self, id: &'static str, reason: &'static str) -> Resource {
        self.skips.push((id, reason));
        self
    }
}

impl Template {
    pub fn new(stack: &str, description: String) -> Template {
        Template {
            stack: stack.to_string(),
            description,
            parameters: Map::new(),
            resources: Map::new(),
            outputs: Map::new(),
        }
    }

    /// Adds a resource at `path` (construct path without the stack,
    /// ending in `Resource`) and returns its logical ID.
    pub fn add(&mut self, path: &[&str], resource: Resource) -> String {
        let id = make_unique_id(path);
        let mut body = Map::new();
        body.insert("Type".into(), json!(resource.ty));
        body.insert("Properties".into(), resource.properties);
        if let Some(p) = resource.retain {
            body.insert("UpdateReplacePolicy".into(), json!(p));
            body.insert("DeletionPolicy".into(), json!(p));
        }
        let mut metadata = Map::new();
        metadata.insert(
            "aws:cdk:path".into(),
            json!(format!("{}/{}", self.stack, path.join("/"))),
        );
        if !resource.skips.is_empty() {
            let skips: Vec<Value> = resource
                .skips
                .iter()
                .map(|(id, comment)| json!({"id": id, "comment": comment}))
                .collect();
            metadata.insert("checkov".into(), json!({ "skip": skips }));
        }
        body.insert("Metadata".into(), Value::Object(metadata));
        let previous = self.resources.insert(id.clone(), Value::Object(body));
        assert!(previous.is_none(), "duplicate logical ID {id}");
        id
    }

    /// Adds a parameter under a readable top-level ID (`ApiImageUri`); if
    /// two names would read the same, the later one gets its path hash.
    pub fn parameter(&mut self, readable: String, path: &[&str], body: Value) -> String {
        let id = if self.parameters.contains_key(&readable) {
            format!("{readable}{}", path_hash(path))
        } else {
            readable
        };
        self.parameters.insert(id.clone(), body);
        id
    }

    pub fn output(&mut self, path: &[&str], description: String, value: Value) -> String {
        let id = make_unique_id(path);
        self.outputs.insert(
            id.clone(),
            json!({"Description": description, "Value": value}),
        );
        id
    }

    pub fn into_json(self) -> Value {
        let mut t = Map::new();
        t.insert("Description".into(), json!(self.description));
        if !self.parameters.is_empty() {
            t.insert("Parameters".into(), Value::Object(self.parameters));
        }
        t.insert("Resources".into(), Value::Object(self.resources));
        if !self.outputs.is_empty() {
            t.insert("Outputs".into(), Value::Object(self.outputs));
        }
        Value::Object(t)
    }
}

pub fn r#ref(id: &str) -> Value {
    json!({ "Ref": id })
}

pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `Fn::Join` with an empty delimiter: user text stays a literal list item.
pub fn join(parts: Vec<Value>) -> Value {
    json!({ "Fn::Join": ["", parts] })
}

/// `arn:<partition>:<service>:<region>:<account>:<rest...>`.
pub fn arn(service: &str, rest: Vec<Value>) -> Value {
    let mut parts = vec![
        json!("arn:"),
        r#ref("AWS::Partition"),
        json!(format!(":{service}:")),
        r#ref("AWS::Region"),
        json!(":"),
        r#ref("AWS::AccountId"),
        json!(":"),
    ];
    parts.extend(rest);
    join(parts)
}

/// An AWS managed policy, partition-aware.
pub fn managed_policy(name: &str) -> Value {
    join(vec![
        json!("arn:"),
        r#ref("AWS::Partition"),
        json!(format!(":iam::aws:policy/{name}")),
    ])
}

/// Tags as most resource types take them: `[{Key, Value}]`, sorted by key.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Tags as API Gateway v2 takes them: a JSON object.
pub fn tag_map(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// An IAM statement.
pub fn allow(actions: &[&str], resources: Vec<Value>) -> Value {
    let action = if actions.len() == 1 {
        json!(actions[0])
    } else {
        json!(actions)
    };
    let resource = if resources.len() == 1 {
        resources.into_iter().next().expect("one")
    } else {
        Value::Array(resources)
    };
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

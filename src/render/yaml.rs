//! YAML bytes for Kubernetes objects. Placeholder until the EKS target
//! lands its own writer with YAML 1.1-safe quoting.

pub fn to_yaml_stream(docs: &[serde_json::Value]) -> String {
    docs.iter()
        .map(|d| serde_yaml::to_string(d).expect("JSON values always serialize"))
        .collect::<Vec<_>>()
        .join("---\n")
}

//! The runtime contract on EKS (`aws::contract` decides the variables):
//! every value known at render time is a key of the tenant namespace's
//! `blueprint-contract` ConfigMap, which the workloads read with
//! `configMapKeyRef`, so the workload objects are the same for every
//! tenant and environment and no kustomization patches a value; secrets
//! come from a Kubernetes Secret per workload that an ExternalSecret
//! materialises through the tenant's own SecretStore.

use super::*;
use crate::aws::contract::{self, Source, Var};
use crate::aws::names::eks::{ClusterNames, CONTRACT_CONFIG_MAP, SECRET_STORE};
use crate::aws::names::Copy;
use crate::model::{Environment, SecretRef, Target, Task};

/// How often the External Secrets Operator reads a secret again.
const SECRET_REFRESH: &str = "1h";

/// The variables of one workload of `tenant` in `env`.
pub(super) fn variables<'m>(
    model: &'m Model,
    env: &'m Environment,
    copy: &Copy<'m>,
    tenant: Option<&'m Name>,
    task: Task<'m>,
) -> Vec<Var<'m>> {
    contract::variables(model, env, copy, tenant, task, Target::Eks)
}

/// What a variable's value is in the ConfigMap, if it is one there.
fn text<'a>(v: &'a Var) -> Option<&'a str> {
    match &v.source {
        Source::Text(t) | Source::Region(t) | Source::QueueName(t) => Some(t),
        Source::SecretValue(_) => None,
        // Not EKS sources: `aws::contract` gives EKS text, names and values.
        Source::QueueUrl(_) | Source::FunctionName(_) | Source::SecretArn(_) => None,
    }
}

/// The container's `env` entries for the contract: ConfigMap keys, and
/// the workload's own Secret (named after it) for secrets.
pub(super) fn env_vars(vars: &[Var], workload: &str) -> Vec<EnvVar> {
    vars.iter()
        .filter_map(|v| {
            let key = || KeySelector {
                name: CONTRACT_CONFIG_MAP.to_string(),
                key: v.name.clone(),
            };
            let source = match &v.source {
                Source::SecretValue(_) => EnvVarSource {
                    secret_key_ref: Some(KeySelector {
                        name: workload.to_string(),
                        key: v.name.clone(),
                    }),
                    config_map_key_ref: None,
                },
                _ => {
                    text(v)?;
                    EnvVarSource {
                        secret_key_ref: None,
                        config_map_key_ref: Some(key()),
                    }
                }
            };
            Some(EnvVar {
                name: v.name.clone(),
                value: None,
                value_from: Some(source),
            })
        })
        .collect()
}

/// The name of the variable that holds queue `queue` for a workload (its
/// URL, or its name where the URL is not known): what KEDA reads with
/// `queueURLFromEnv`.
pub(super) fn queue_var<'v>(vars: &'v [Var], queue: &str) -> Option<&'v str> {
    let (url, name) = (
        contract::queue_url_var(queue),
        contract::queue_name_var(queue),
    );
    vars.iter()
        .find(|v| v.name == url || v.name == name)
        .map(|v| v.name.as_str())
}

/// The values of every variable the tenant's workloads read from the
/// ConfigMap. Two workloads that read one variable read the same value
/// (the contract names one queue copy, one callee, per tenant).
#[derive(Default)]
pub(super) struct Values(BTreeMap<String, String>);

impl Values {
    pub(super) fn add(&mut self, vars: &[Var]) {
        for v in vars {
            if let Some(t) = text(v) {
                let old = self.0.insert(v.name.clone(), t.to_string());
                debug_assert!(old.as_deref().is_none_or(|o| o == t), "{}", v.name);
            }
        }
    }

    pub(super) fn config_map(self, scope: &Scope) -> serde_json::Value {
        Object::new(
            scope.tenant_meta(CONTRACT_CONFIG_MAP, "runtime-contract"),
            ConfigMap { data: self.0 },
        )
        .to_value()
    }
}

/// The tenant's SecretStore: the External Secrets Operator assumes the
/// tenant's own role (`ClusterNames::secrets_role`) to read its secrets,
/// tagging the session with the ExternalSecret's namespace, which that
/// role's trust policy requires to be the tenant's.
pub(super) fn secret_store(
    scope: &Scope,
    names: &ClusterNames,
    region: &str,
    account: &str,
) -> serde_json::Value {
    let role = crate::aws::names::eks::role_arn(region, account, &names.secrets_role(scope.tenant));
    Object::new(
        scope.tenant_meta(SECRET_STORE, "secrets"),
        SecretStore {
            spec: SecretStoreSpec {
                provider: SecretStoreProvider {
                    aws: AwsProvider {
                        service: "SecretsManager".into(),
                        region: region.to_string(),
                        role,
                        session_tags_policy: "Simple".into(),
                    },
                },
            },
        },
    )
    .to_value()
}

/// A workload's ExternalSecret: its Kubernetes Secret (named after the
/// workload) with one key per variable, each read from Secrets Manager by
/// the name or ARN the blueprint gives.
pub(super) fn external_secret(
    app: &str,
    name: &str,
    component: &str,
    secrets: &BTreeMap<String, SecretRef>,
) -> Option<serde_json::Value> {
    if secrets.is_empty() {
        return None;
    }
    Some(
        Object::new(
            workload_meta(app, name, component),
            ExternalSecret {
                spec: ExternalSecretSpec {
                    refresh_interval: SECRET_REFRESH.into(),
                    secret_store_ref: SecretStoreRef {
                        kind: "SecretStore".into(),
                        name: SECRET_STORE.into(),
                    },
                    target: ExternalSecretTarget {
                        name: name.to_string(),
                        creation_policy: "Owner".into(),
                    },
                    data: secrets
                        .iter()
                        .map(|(k, s)| ExternalSecretData {
                            secret_key: k.clone(),
                            remote_ref: RemoteRef {
                                key: s.as_str().to_string(),
                            },
                        })
                        .collect(),
                },
            },
        )
        .to_value(),
    )
}

//! The platform unit of an environment (`kubernetes/platform/<env>`): what
//! the cluster needs before any tenant's objects can be applied, as Flux
//! objects. Helm charts, each pinned in [`CHARTS`] (the one place their
//! versions are written down; docs/eks.md lists them and a test keeps the
//! two equal): Karpenter and its CRDs, the AWS Load Balancer Controller
//! (when a service is public), KEDA (when a worker scales on a queue), the
//! External Secrets Operator (when a workload has secrets) and
//! metrics-server. And the system namespaces' NetworkPolicies, which the
//! VPC CNI's strict mode needs before their pods can talk to anything, and
//! (when a service is stateful) the StorageClass of their volumes: the
//! cluster-scoped objects the tenants' units use.
//!
//! The controllers find their AWS roles through EKS Pod Identity
//! associations that Terraform creates for their service accounts
//! (`aws::names::eks::*_SERVICE_ACCOUNT`), so the values name each service
//! account explicitly. Values that only exist after `terraform apply` (the
//! cluster's endpoint, the VPC when the blueprint has no `network`) are
//! `${...}` inputs that Flux substitutes (see `inputs`).

use super::inputs;
use super::k8s::*;
use super::kube::common_labels;
use crate::aws::names::eks::{
    ClusterNames, EXTERNAL_SECRETS_SERVICE_ACCOUNT, FLUX_NAMESPACE, KARPENTER_SERVICE_ACCOUNT,
    KEDA_SERVICE_ACCOUNT, LB_CONTROLLER_SERVICE_ACCOUNT, STORAGE_CLASS,
};
use crate::doc::{Document, FileSet};
use crate::model::Model;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Where a chart comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartSource {
    /// An OCI artifact, the chart itself (`oci://.../<chart>`).
    Oci(&'static str),
    /// A classic Helm repository: its Flux object's name and URL.
    Helm {
        repository: &'static str,
        url: &'static str,
    },
}

/// One pinned chart and where its release goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chart {
    /// The HelmRelease's name and Helm's release name.
    pub release: &'static str,
    pub chart: &'static str,
    pub version: &'static str,
    pub source: ChartSource,
    pub namespace: &'static str,
}

pub const KARPENTER_CRD: Chart = Chart {
    release: "karpenter-crd",
    chart: "karpenter-crd",
    version: "1.14.1",
    source: ChartSource::Oci("oci://public.ecr.aws/karpenter/karpenter-crd"),
    namespace: "kube-system",
};

pub const KARPENTER: Chart = Chart {
    release: "karpenter",
    chart: "karpenter",
    version: "1.14.1",
    source: ChartSource::Oci("oci://public.ecr.aws/karpenter/karpenter"),
    namespace: "kube-system",
};

pub const LB_CONTROLLER: Chart = Chart {
    release: "aws-load-balancer-controller",
    chart: "aws-load-balancer-controller",
    version: "3.5.0",
    source: ChartSource::Helm {
        repository: "eks",
        url: "https://aws.github.io/eks-charts",
    },
    namespace: "kube-system",
};

pub const KEDA: Chart = Chart {
    release: "keda",
    chart: "keda",
    version: "2.20.2",
    source: ChartSource::Helm {
        repository: "kedacore",
        url: "https://kedacore.github.io/charts",
    },
    namespace: "keda",
};

pub const EXTERNAL_SECRETS: Chart = Chart {
    release: "external-secrets",
    chart: "external-secrets",
    version: "2.9.0",
    source: ChartSource::Helm {
        repository: "external-secrets",
        url: "https://charts.external-secrets.io",
    },
    namespace: "external-secrets",
};

pub const METRICS_SERVER: Chart = Chart {
    release: "metrics-server",
    chart: "metrics-server",
    version: "3.13.1",
    source: ChartSource::Helm {
        repository: "metrics-server",
        url: "https://kubernetes-sigs.github.io/metrics-server/",
    },
    namespace: "kube-system",
};

/// Every chart the platform unit may install, with its pinned version.
pub const CHARTS: [Chart; 6] = [
    KARPENTER_CRD,
    KARPENTER,
    LB_CONTROLLER,
    KEDA,
    EXTERNAL_SECRETS,
    METRICS_SERVER,
];

/// The media type of a Helm chart's layer in an OCI artifact.
const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// How often Flux looks at a source or a release again.
const INTERVAL: &str = "1h";

/// The system nodes' taint, which the controllers that may run there
/// tolerate.
pub const CRITICAL_ADDONS_ONLY: &str = "CriticalAddonsOnly";

/// What an environment needs installed: which optional controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub lb_controller: bool,
    pub keda: bool,
    pub external_secrets: bool,
    /// A stateful service's volumes: the StorageClass.
    pub storage: bool,
}

impl Needs {
    pub fn charts(self) -> Vec<Chart> {
        CHARTS
            .into_iter()
            .filter(|c| match c.release {
                "aws-load-balancer-controller" => self.lb_controller,
                "keda" => self.keda,
                "external-secrets" => self.external_secrets,
                _ => true,
            })
            .collect()
    }

    /// The namespaces of controllers other than `kube-system`.
    fn namespaces(self) -> Vec<&'static str> {
        let mut ns: Vec<&str> = self
            .charts()
            .iter()
            .map(|c| c.namespace)
            .filter(|n| *n != "kube-system")
            .collect();
        ns.dedup();
        ns
    }
}

/// The platform unit's folder.
pub fn dir(env: &str) -> String {
    format!("kubernetes/platform/{env}")
}

pub fn add(model: &Model, names: &ClusterNames, needs: Needs, files: &mut FileSet) {
    let dir = dir(&names.env);
    files.insert(
        format!("{dir}/system.yaml"),
        Document::Yaml(system(names, needs)),
    );
    files.insert(
        format!("{dir}/sources.yaml"),
        Document::Yaml(sources(names, needs)),
    );
    files.insert(
        format!("{dir}/releases.yaml"),
        Document::Yaml(releases(model, names, needs)),
    );
    let mut resources = vec![
        "system.yaml".to_string(),
        "sources.yaml".to_string(),
        "releases.yaml".to_string(),
    ];
    if needs.storage {
        files.insert(
            format!("{dir}/storage.yaml"),
            Document::Yaml(vec![storage_class(names)]),
        );
        resources.push("storage.yaml".into());
    }
    files.insert(
        format!("{dir}/kustomization.yaml"),
        Document::Yaml(vec![Kustomization::new(resources).to_value()]),
    );
}

/// The StorageClass of stateful services' volumes: encrypted gp3 EBS
/// volumes from the EBS CSI driver (the cluster's `aws-ebs-csi-driver`
/// add-on), created only once a pod that claims one is scheduled
/// (`WaitForFirstConsumer`: the volume is made in that pod's zone, and
/// Karpenter, which reads the claim's StorageClass, launches a node there;
/// once the volume exists Karpenter keeps the pod in its zone), and grown
/// in place when a claim asks for more. Encrypted with the account's EBS
/// key (`aws/ebs`, or the account's default EBS key when one is set).
/// Production environments keep a volume when its claim is deleted
/// (`Retain`); the others delete it with the claim. A StorageClass cannot
/// change but for `allowVolumeExpansion`: `blueprint diff` calls out a
/// change of the others.
pub fn storage_class(names: &ClusterNames) -> Value {
    let reclaim = if crate::aws::defaults::production(&names.env) {
        "Retain"
    } else {
        "Delete"
    };
    Object::new(
        meta(names, STORAGE_CLASS, None, "storage"),
        StorageClass {
            provisioner: EBS_CSI_PROVISIONER.into(),
            parameters: BTreeMap::from([
                ("type".to_string(), "gp3".to_string()),
                ("encrypted".to_string(), "true".to_string()),
                ("csi.storage.k8s.io/fstype".to_string(), "ext4".to_string()),
            ]),
            reclaim_policy: reclaim.into(),
            volume_binding_mode: "WaitForFirstConsumer".into(),
            allow_volume_expansion: true,
        },
    )
    .to_value()
}

/// The EBS CSI driver's name, which its StorageClasses give as provisioner.
const EBS_CSI_PROVISIONER: &str = "ebs.csi.aws.com";

fn meta(names: &ClusterNames, name: &str, namespace: Option<&str>, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        labels: common_labels(&names.app, name, name, component),
        annotations: BTreeMap::new(),
    }
}

/// The controllers' own namespaces, and in every system namespace a
/// NetworkPolicy that lets its pods reach and be reached by anything: the
/// VPC CNI's strict mode gives a pod no traffic at all until a policy
/// selects it, and these controllers talk to the API server, AWS APIs and
/// each other. Tenant namespaces stay default-deny. (Flux brings its own
/// policies for `flux-system`.) Apply this file before `flux bootstrap` on
/// a new cluster: CoreDNS needs it before anything can resolve a name.
pub fn system(names: &ClusterNames, needs: Needs) -> Vec<Value> {
    let mut docs: Vec<Value> = needs
        .namespaces()
        .into_iter()
        .map(|ns| Object::new(meta(names, ns, None, "platform"), Namespace {}).to_value())
        .collect();
    let mut namespaces = vec!["kube-system"];
    namespaces.extend(needs.namespaces());
    for ns in namespaces {
        let everything = || vec![NetworkPolicyRule::default()];
        docs.push(
            Object::new(
                meta(names, "allow-system-traffic", Some(ns), "platform"),
                NetworkPolicy {
                    spec: NetworkPolicySpec {
                        pod_selector: LabelSelector::default(),
                        policy_types: vec!["Ingress".into(), "Egress".into()],
                        ingress: Some(everything()),
                        egress: Some(everything()),
                    },
                },
            )
            .to_value(),
        );
    }
    docs
}

fn sources(names: &ClusterNames, needs: Needs) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut repositories: Vec<(&str, &str)> = Vec::new();
    for c in needs.charts() {
        match c.source {
            ChartSource::Oci(url) => docs.push(
                Object::new(
                    meta(names, c.chart, Some(FLUX_NAMESPACE), "platform"),
                    OciRepository {
                        spec: OciRepositorySpec {
                            interval: INTERVAL.into(),
                            url: url.into(),
                            reference: OciRef {
                                tag: c.version.into(),
                            },
                            layer_selector: LayerSelector {
                                media_type: HELM_CHART_LAYER.into(),
                                operation: "copy".into(),
                            },
                        },
                    },
                )
                .to_value(),
            ),
            ChartSource::Helm { repository, url } => {
                if !repositories.contains(&(repository, url)) {
                    repositories.push((repository, url));
                }
            }
        }
    }
    for (name, url) in repositories {
        docs.push(
            Object::new(
                meta(names, name, Some(FLUX_NAMESPACE), "platform"),
                HelmRepository {
                    spec: HelmRepositorySpec {
                        interval: INTERVAL.into(),
                        url: url.into(),
                    },
                },
            )
            .to_value(),
        );
    }
    docs
}

/// A toleration of the system nodes' taint, for Helm values.
fn tolerate_system() -> Value {
    json!([{ "key": CRITICAL_ADDONS_ONLY, "operator": "Exists", "effect": "NoSchedule" }])
}

fn releases(model: &Model, names: &ClusterNames, needs: Needs) -> Vec<Value> {
    needs
        .charts()
        .into_iter()
        .map(|c| release(names, c, values(model, names, c)))
        .collect()
}

/// Each chart's values.
fn values(model: &Model, names: &ClusterNames, c: Chart) -> Value {
    let vpc = model
        .app
        .network
        .as_ref()
        .map(|n| n.vpc_id.clone())
        .unwrap_or_else(|| inputs::var(inputs::VPC_ID));
    match c.release {
        "karpenter-crd" => Value::Null,
        // The controller runs on the system nodes (the chart tolerates
        // their taint and keeps Karpenter off the nodes it launches),
        // with the requests and limits of Karpenter's getting-started.
        "karpenter" => json!({
            "serviceAccount": { "name": KARPENTER_SERVICE_ACCOUNT.1 },
            "settings": {
                "clusterName": names.cluster,
                "clusterEndpoint": inputs::var(inputs::CLUSTER_ENDPOINT),
                "interruptionQueue": names.karpenter_queue,
            },
            "controller": { "resources": {
                "requests": { "cpu": "1", "memory": "1Gi" },
                "limits": { "cpu": "1", "memory": "1Gi" },
            }},
            "nodeSelector": { "kubernetes.io/os": "linux", "blueprint.dev/pool": "system" },
        }),
        // With IMDS limited to one hop the controller cannot find its
        // region and VPC itself. No Service of type LoadBalancer is
        // emitted, so its Service webhook (failurePolicy Fail) is off.
        "aws-load-balancer-controller" => json!({
            "clusterName": names.cluster,
            "region": model.app.region,
            "vpcId": vpc,
            "serviceAccount": { "name": LB_CONTROLLER_SERVICE_ACCOUNT.1 },
            "enableServiceMutatorWebhook": false,
            "tolerations": tolerate_system(),
        }),
        // KEDA's operator uses Pod Identity with no chart value
        // (`TriggerAuthentication` `podIdentity.provider: aws`).
        "keda" => json!({
            "serviceAccount": { "operator": { "name": KEDA_SERVICE_ACCOUNT.1 } },
            "tolerations": tolerate_system(),
        }),
        "external-secrets" => json!({
            "installCRDs": true,
            "serviceAccount": { "name": EXTERNAL_SECRETS_SERVICE_ACCOUNT.1 },
            "tolerations": tolerate_system(),
            "webhook": { "tolerations": tolerate_system() },
            "certController": { "tolerations": tolerate_system() },
        }),
        "metrics-server" => json!({ "tolerations": tolerate_system() }),
        other => unreachable!("chart {other} has values"),
    }
}

fn release(names: &ClusterNames, c: Chart, values: Value) -> Value {
    let (chart, chart_ref) = match c.source {
        ChartSource::Oci(_) => (
            None,
            Some(ChartRef {
                kind: "OCIRepository".into(),
                name: c.chart.into(),
            }),
        ),
        ChartSource::Helm { repository, .. } => (
            Some(HelmChartTemplate {
                spec: HelmChartSpec {
                    chart: c.chart.into(),
                    version: c.version.into(),
                    source_ref: ChartSourceRef {
                        kind: "HelmRepository".into(),
                        name: repository.into(),
                    },
                },
            }),
            None,
        ),
    };
    // Karpenter's CRDs come from their own chart, before the controller;
    // the other charts carry theirs (the load balancer controller's in the
    // chart's `crds/` folder, which Helm only installs: upgrades replace
    // them explicitly).
    let (install_crds, upgrade_crds, depends_on) = match c.release {
        "karpenter" => (
            "Skip",
            "Skip",
            vec![DependsOn {
                name: KARPENTER_CRD.release.into(),
            }],
        ),
        _ => ("Create", "CreateReplace", vec![]),
    };
    let retries = Remediation { retries: 3 };
    Object::new(
        meta(names, c.release, Some(FLUX_NAMESPACE), "platform"),
        HelmRelease {
            spec: HelmReleaseSpec {
                interval: INTERVAL.into(),
                timeout: "10m".into(),
                release_name: c.release.into(),
                target_namespace: c.namespace.into(),
                chart,
                chart_ref,
                depends_on,
                install: HelmInstall {
                    crds: install_crds.into(),
                    remediation: retries.clone(),
                },
                upgrade: HelmUpgrade {
                    crds: upgrade_crds.into(),
                    remediation: retries,
                },
                values,
            },
        },
    )
    .to_value()
}

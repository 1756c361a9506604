//! Typed Kubernetes objects, in kube-rs / k8s-openapi's manner: one small
//! struct per kind (only the fields blueprint writes), camelCase on the
//! wire, optional fields left out, BTreeMap labels. Each kind names its
//! apiVersion and kind once, in its [`Resource`] impl; [`Object`] puts them
//! in front of the metadata.

use serde::Serialize;
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// A kind: where its apiVersion and kind are written down, once.
pub trait Resource: Serialize {
    const API_VERSION: &'static str;
    const KIND: &'static str;
}

/// `apiVersion`, `kind`, `metadata`, then the kind's own fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object<T: Resource> {
    api_version: &'static str,
    kind: &'static str,
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub body: T,
}

impl<T: Resource> Object<T> {
    pub fn new(metadata: ObjectMeta, body: T) -> Object<T> {
        Object {
            api_version: T::API_VERSION,
            kind: T::KIND,
            metadata,
            body,
        }
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("Kubernetes objects always serialize")
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

macro_rules! resource {
    ($t:ty, $api:expr, $kind:expr) => {
        impl Resource for $t {
            const API_VERSION: &'static str = $api;
            const KIND: &'static str = $kind;
        }
    };
}

// ---------------------------------------------------------------- core/v1 --

#[derive(Debug, Clone, Default, Serialize)]
pub struct Namespace {}
resource!(Namespace, "v1", "Namespace");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub automount_service_account_token: bool,
}
resource!(ServiceAccount, "v1", "ServiceAccount");

#[derive(Debug, Clone, Serialize)]
pub struct ResourceQuota {
    pub spec: ResourceQuotaSpec,
}
resource!(ResourceQuota, "v1", "ResourceQuota");

#[derive(Debug, Clone, Serialize)]
pub struct ResourceQuotaSpec {
    pub hard: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LimitRange {
    pub spec: LimitRangeSpec,
}
resource!(LimitRange, "v1", "LimitRange");

#[derive(Debug, Clone, Serialize)]
pub struct LimitRangeSpec {
    pub limits: Vec<LimitRangeItem>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitRangeItem {
    #[serde(rename = "type")]
    pub type_: String,
    pub default: BTreeMap<String, String>,
    pub default_request: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigMap {
    pub data: BTreeMap<String, String>,
}
resource!(ConfigMap, "v1", "ConfigMap");

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub spec: ServiceSpec,
}
resource!(Service, "v1", "Service");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub type_: String,
    /// `None` for a headless Service: DNS names each pod, no virtual IP.
    #[serde(rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// A headless Service names pods before they are ready, so that the
    /// replicas of a stateful service can find each other as they start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_not_ready_addresses: Option<bool>,
    pub selector: Labels,
    /// Empty only for a headless Service of a service without a port.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub target_port: String,
    pub protocol: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<Labels>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

impl LabelSelector {
    pub fn labels(labels: Labels) -> LabelSelector {
        LabelSelector {
            match_labels: Some(labels),
            match_expressions: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

// ---------------------------------------------------------------- pods --

#[derive(Debug, Clone, Serialize)]
pub struct PodTemplateSpec {
    pub metadata: PodMeta,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PodMeta {
    pub labels: Labels,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    pub service_account_name: String,
    pub automount_service_account_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    pub security_context: PodSecurityContext,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: Labels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<u64>,
    pub containers: Vec<Container>,
    pub volumes: Vec<Volume>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub run_as_non_root: bool,
    pub run_as_user: u32,
    pub run_as_group: u32,
    pub fs_group: u32,
    /// `OnRootMismatch` on a stateful service's pods: the kubelet gives
    /// the volume to `fs_group` once, not file by file at every mount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fs_group_change_policy: Option<String>,
    pub seccomp_profile: SeccompProfile,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Toleration {
    pub key: String,
    pub operator: String,
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Affinity {
    pub node_affinity: NodeAffinity,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeAffinity {
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreferredSchedulingTerm {
    pub weight: u32,
    pub preference: NodeSelectorTerm,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopologySpreadConstraint {
    pub max_skew: u32,
    pub topology_key: String,
    pub when_unsatisfiable: String,
    pub label_selector: LabelSelector,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    pub image_pull_policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    pub security_context: SecurityContext,
    pub volume_mounts: Vec<VolumeMount>,
}

/// `preStop` as the kubelet's own sleep (no shell in the image needed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    pub pre_stop: LifecycleHandler,
}

#[derive(Debug, Clone, Serialize)]
pub struct LifecycleHandler {
    pub sleep: SleepAction,
}

#[derive(Debug, Clone, Serialize)]
pub struct SleepAction {
    pub seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: String,
    pub container_port: u16,
    pub protocol: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

/// Where a variable's value comes from: a key of a Secret or of a
/// ConfigMap in the pod's namespace.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<KeySelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_map_key_ref: Option<KeySelector>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeySelector {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Resources {
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<HttpGetAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<TcpSocketAction>,
    pub period_seconds: u64,
    pub timeout_seconds: u64,
    pub failure_threshold: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpGetAction {
    pub path: String,
    pub port: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TcpSocketAction {
    pub port: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: bool,
    pub privileged: bool,
    pub read_only_root_filesystem: bool,
    pub run_as_non_root: bool,
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Capabilities {
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    pub empty_dir: EmptyDir,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDir {
    pub size_limit: String,
}

// ---------------------------------------------------------------- apps --

#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    pub spec: DeploymentSpec,
}
resource!(Deployment, "apps/v1", "Deployment");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    /// Left out when an autoscaler owns the count, so `kubectl apply`
    /// does not reset it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    pub revision_history_limit: u32,
    pub selector: LabelSelector,
    pub template: PodTemplateSpec,
}

/// A stateful service: pods with stable names (`<name>-<ordinal>`), each
/// with its own volume from `volume_claim_templates`.
#[derive(Debug, Clone, Serialize)]
pub struct StatefulSet {
    pub spec: StatefulSetSpec,
}
resource!(StatefulSet, "apps/v1", "StatefulSet");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatefulSetSpec {
    /// Left out when an autoscaler owns the count, as for Deployments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    pub revision_history_limit: u32,
    pub selector: LabelSelector,
    /// The headless Service that names the pods.
    pub service_name: String,
    pub pod_management_policy: String,
    pub update_strategy: StatefulSetUpdateStrategy,
    pub persistent_volume_claim_retention_policy: PvcRetentionPolicy,
    pub template: PodTemplateSpec,
    pub volume_claim_templates: Vec<PersistentVolumeClaimTemplate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatefulSetUpdateStrategy {
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PvcRetentionPolicy {
    pub when_deleted: String,
    pub when_scaled: String,
}

/// A volume claim template: the claim each pod of a StatefulSet gets,
/// `<name>-<statefulset>-<ordinal>`.
#[derive(Debug, Clone, Serialize)]
pub struct PersistentVolumeClaimTemplate {
    pub metadata: ClaimMeta,
    pub spec: PersistentVolumeClaimSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimMeta {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistentVolumeClaimSpec {
    pub access_modes: Vec<String>,
    pub storage_class_name: String,
    pub resources: VolumeResources,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeResources {
    pub requests: BTreeMap<String, String>,
}

// ---------------------------------------------------------------- storage --

/// How volumes are made: cluster-scoped, and immutable but for
/// `allowVolumeExpansion` and its metadata.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageClass {
    pub provisioner: String,
    pub parameters: BTreeMap<String, String>,
    pub reclaim_policy: String,
    pub volume_binding_mode: String,
    pub allow_volume_expansion: bool,
}
resource!(StorageClass, "storage.k8s.io/v1", "StorageClass");

// ---------------------------------------------------------------- batch --

#[derive(Debug, Clone, Serialize)]
pub struct CronJob {
    pub spec: CronJobSpec,
}
resource!(CronJob, "batch/v1", "CronJob");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    pub schedule: String,
    pub time_zone: String,
    pub concurrency_policy: String,
    pub starting_deadline_seconds: u64,
    pub successful_jobs_history_limit: u32,
    pub failed_jobs_history_limit: u32,
    pub job_template: JobTemplateSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobTemplateSpec {
    pub metadata: PodMeta,
    pub spec: JobSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    pub backoff_limit: u32,
    pub active_deadline_seconds: u64,
    pub template: PodTemplateSpec,
}

// ---------------------------------------------------------------- autoscaling, policy --

#[derive(Debug, Clone, Serialize)]
pub struct HorizontalPodAutoscaler {
    pub spec: HpaSpec,
}
resource!(
    HorizontalPodAutoscaler,
    "autoscaling/v2",
    "HorizontalPodAutoscaler"
);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaSpec {
    pub scale_target_ref: CrossVersionObjectReference,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub metrics: Vec<MetricSpec>,
    pub behavior: HpaBehavior,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossVersionObjectReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricSpec {
    #[serde(rename = "type")]
    pub type_: String,
    pub resource: ResourceMetricSource,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceMetricSource {
    pub name: String,
    pub target: MetricTarget,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricTarget {
    #[serde(rename = "type")]
    pub type_: String,
    pub average_utilization: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaBehavior {
    pub scale_down: HpaScalingRules,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaScalingRules {
    pub stabilization_window_seconds: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodDisruptionBudget {
    pub spec: PdbSpec,
}
resource!(PodDisruptionBudget, "policy/v1", "PodDisruptionBudget");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbSpec {
    pub max_unavailable: u32,
    pub selector: LabelSelector,
}

// ---------------------------------------------------------------- networking --

#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    pub spec: IngressSpec,
}
resource!(Ingress, "networking.k8s.io/v1", "Ingress");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    pub ingress_class_name: String,
    pub rules: Vec<IngressRule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub http: HttpIngressRuleValue,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpIngressRuleValue {
    pub paths: Vec<HttpIngressPath>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpIngressPath {
    pub path: String,
    pub path_type: String,
    pub backend: IngressBackend,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressBackend {
    pub service: IngressServiceBackend,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngressServiceBackend {
    pub name: String,
    pub port: ServiceBackendPort,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceBackendPort {
    pub number: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkPolicy {
    pub spec: NetworkPolicySpec,
}
resource!(NetworkPolicy, "networking.k8s.io/v1", "NetworkPolicy");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub pod_selector: LabelSelector,
    pub policy_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<NetworkPolicyRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<NetworkPolicyRule>>,
}

/// An ingress (`from`) or egress (`to`) rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkPolicyRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<NetworkPolicyPeer>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<NetworkPolicyPeer>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<NetworkPolicyPort>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPeer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IpBlock {
    pub cidr: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkPolicyPort {
    pub protocol: String,
    pub port: u16,
}

// ---------------------------------------------------------------- KEDA --

#[derive(Debug, Clone, Serialize)]
pub struct ScaledObject {
    pub spec: ScaledObjectSpec,
}
resource!(ScaledObject, "keda.sh/v1alpha1", "ScaledObject");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    pub min_replica_count: u32,
    pub max_replica_count: u32,
    pub polling_interval: u32,
    pub cooldown_period: u32,
    pub advanced: ScaledObjectAdvanced,
    pub triggers: Vec<ScaleTrigger>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleTargetRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectAdvanced {
    pub horizontal_pod_autoscaler_config: HpaConfig,
}

#[derive(Debug, Clone, Serialize)]
pub struct HpaConfig {
    pub behavior: HpaBehavior,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTrigger {
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<String>,
    /// KEDA takes every metadata value as a string.
    pub metadata: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthenticationRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TriggerAuthentication {
    pub spec: TriggerAuthenticationSpec,
}
resource!(
    TriggerAuthentication,
    "keda.sh/v1alpha1",
    "TriggerAuthentication"
);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    pub pod_identity: PodIdentity,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodIdentity {
    pub provider: String,
    pub identity_owner: String,
}

// ---------------------------------------------------------------- Karpenter --

#[derive(Debug, Clone, Serialize)]
pub struct NodePool {
    pub spec: NodePoolSpec,
}
resource!(NodePool, "karpenter.sh/v1", "NodePool");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpec {
    pub template: NodeClaimTemplate,
    pub disruption: Disruption,
    pub limits: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeClaimTemplate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PodMeta>,
    pub spec: NodeClaimSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeClaimSpec {
    pub node_class_ref: NodeClassRef,
    pub requirements: Vec<LabelSelectorRequirement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    pub expire_after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeClassRef {
    pub group: String,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disruption {
    pub consolidation_policy: String,
    pub consolidate_after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ec2NodeClass {
    pub spec: Ec2NodeClassSpec,
}
resource!(Ec2NodeClass, "karpenter.k8s.aws/v1", "EC2NodeClass");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2NodeClassSpec {
    pub role: String,
    pub ami_selector_terms: Vec<AmiSelectorTerm>,
    pub subnet_selector_terms: Vec<TagSelectorTerm>,
    pub security_group_selector_terms: Vec<TagSelectorTerm>,
    pub metadata_options: MetadataOptions,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmiSelectorTerm {
    pub alias: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagSelectorTerm {
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataOptions {
    pub http_endpoint: String,
    pub http_put_response_hop_limit: u32,
    pub http_tokens: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDeviceMapping {
    pub device_name: String,
    pub ebs: Ebs,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ebs {
    pub volume_size: String,
    pub volume_type: String,
    pub encrypted: bool,
    pub delete_on_termination: bool,
}

// ---------------------------------------------------------------- External Secrets --

/// A namespace's way into Secrets Manager: the role the operator assumes
/// for the ExternalSecrets of this namespace.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStore {
    pub spec: SecretStoreSpec,
}
resource!(SecretStore, "external-secrets.io/v1", "SecretStore");

#[derive(Debug, Clone, Serialize)]
pub struct SecretStoreSpec {
    pub provider: SecretStoreProvider,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretStoreProvider {
    pub aws: AwsProvider,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsProvider {
    pub service: String,
    pub region: String,
    pub role: String,
    pub session_tags_policy: String,
}

/// A Kubernetes Secret made from Secrets Manager values.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalSecret {
    pub spec: ExternalSecretSpec,
}
resource!(ExternalSecret, "external-secrets.io/v1", "ExternalSecret");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    pub refresh_interval: String,
    pub secret_store_ref: SecretStoreRef,
    pub target: ExternalSecretTarget,
    pub data: Vec<ExternalSecretData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretStoreRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTarget {
    pub name: String,
    pub creation_policy: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretData {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemoteRef {
    pub key: String,
}

// ---------------------------------------------------------------- Flux --

/// A Flux Kustomization (`kustomize.toolkit.fluxcd.io`): one GitOps unit,
/// a folder of the output that kustomize-controller builds and applies.
#[derive(Debug, Clone, Serialize)]
pub struct FluxKustomization {
    pub spec: FluxKustomizationSpec,
}
resource!(
    FluxKustomization,
    "kustomize.toolkit.fluxcd.io/v1",
    "Kustomization"
);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FluxKustomizationSpec {
    pub interval: String,
    pub retry_interval: String,
    pub timeout: String,
    pub path: String,
    pub prune: bool,
    pub wait: bool,
    pub source_ref: SourceRef,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependsOn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_build: Option<PostBuild>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DependsOn {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostBuild {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub substitute: BTreeMap<String, String>,
    pub substitute_from: Vec<SubstituteReference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubstituteReference {
    pub kind: String,
    pub name: String,
}

/// A Helm chart repository served over HTTPS.
#[derive(Debug, Clone, Serialize)]
pub struct HelmRepository {
    pub spec: HelmRepositorySpec,
}
resource!(
    HelmRepository,
    "source.toolkit.fluxcd.io/v1",
    "HelmRepository"
);

#[derive(Debug, Clone, Serialize)]
pub struct HelmRepositorySpec {
    pub interval: String,
    pub url: String,
}

/// One chart version in an OCI registry.
#[derive(Debug, Clone, Serialize)]
pub struct OciRepository {
    pub spec: OciRepositorySpec,
}
resource!(
    OciRepository,
    "source.toolkit.fluxcd.io/v1",
    "OCIRepository"
);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciRepositorySpec {
    pub interval: String,
    pub url: String,
    #[serde(rename = "ref")]
    pub reference: OciRef,
    pub layer_selector: LayerSelector,
}

#[derive(Debug, Clone, Serialize)]
pub struct OciRef {
    pub tag: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSelector {
    pub media_type: String,
    pub operation: String,
}

/// A Helm release that helm-controller installs and upgrades.
#[derive(Debug, Clone, Serialize)]
pub struct HelmRelease {
    pub spec: HelmReleaseSpec,
}
resource!(HelmRelease, "helm.toolkit.fluxcd.io/v2", "HelmRelease");

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseSpec {
    pub interval: String,
    pub timeout: String,
    pub release_name: String,
    pub target_namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<HelmChartTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart_ref: Option<ChartRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DependsOn>,
    pub install: HelmInstall,
    pub upgrade: HelmUpgrade,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub values: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct HelmChartTemplate {
    pub spec: HelmChartSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartSpec {
    pub chart: String,
    pub version: String,
    pub source_ref: ChartSourceRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartSourceRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartRef {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmInstall {
    pub crds: String,
    pub remediation: Remediation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmUpgrade {
    pub crds: String,
    pub remediation: Remediation,
}

/// Retries of a failed install or upgrade (an upgrade is rolled back
/// first).
#[derive(Debug, Clone, Serialize)]
pub struct Remediation {
    pub retries: u32,
}

// ---------------------------------------------------------------- Kustomize --

/// `kustomization.yaml`: no metadata, so not an [`Object`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: &'static str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<KustomizeLabels>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<KustomizePatch>,
}

/// One `labels` entry: labels added to every object's metadata and, with
/// `includeTemplates`, to pod templates, but never to selectors (which a
/// Deployment may not change).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeLabels {
    pub pairs: Labels,
    pub include_selectors: bool,
    pub include_templates: bool,
}

/// One `patches` entry: an inline strategic-merge or JSON 6902 patch, and
/// the objects it applies to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<PatchTarget>,
    pub patch: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchTarget {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Kustomization {
    pub fn new(resources: Vec<String>) -> Kustomization {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace: None,
            labels: Vec::new(),
            resources,
            patches: Vec::new(),
        }
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("kustomizations always serialize")
    }
}

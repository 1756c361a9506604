//! One workload's objects as one tenant of one environment builds them:
//! Deployment, Service, HPA or KEDA ScaledObject, PDB, Ingresses and
//! NetworkPolicy for a service; CronJob (and NetworkPolicy) for a job.

use super::contract;
use super::*;
use crate::aws::names::eks::ClusterNames as EnvNames;
use crate::aws::names::eks::{headless_service, STORAGE_CLASS, VOLUME_CLAIM};
use crate::aws::names::Copy;
use crate::aws::{defaults, routes};
use crate::model::{Environment, Expose, Health, Job, Storage, Task};
use crate::targets::eks::inputs;

/// Where one tenant's workloads are built: the model and environment they
/// come from, the platform copy and tenant they belong to, and the
/// tenant's namespace.
pub(super) struct Ctx<'a> {
    pub(super) model: &'a Model,
    pub(super) env: &'a Environment,
    pub(super) copy: Copy<'a>,
    pub(super) tenant: Option<&'a Name>,
    pub(super) scope: &'a Scope<'a>,
    pub(super) names: &'a EnvNames,
    pub(super) index: &'a Index<'a>,
    pub(super) notes: &'a mut Notes,
}

/// The emptyDir volume every container has at `/tmp`.
const TMP: &str = "/tmp";

/// How long a public service's pod keeps serving after it is told to
/// stop: longer than the load balancer's deregistration delay, so that no
/// request the ALB still sends it during deregistration finds it gone.
const PRE_STOP_SECS: u64 = defaults::DEREGISTRATION_DELAY_SECS + 5;
/// Its grace period: the preStop sleep and time to finish what is in
/// flight after SIGTERM.
const GRACE_SECS: u64 = PRE_STOP_SECS + 15;

const ALB: &str = "alb.ingress.kubernetes.io";

/// What a pod runs: the parts services and jobs share.
struct PodInput<'a> {
    task: Task<'a>,
    component: &'a str,
    port: Option<u16>,
    health: Option<&'a Health>,
    restart_never: bool,
    /// Behind the load balancer: the pod drains before it stops.
    public: bool,
    /// A stateful service's volume, mounted from its claim template.
    storage: Option<&'a Storage>,
}

/// Checkov findings that blueprint's choices trip on purpose, with why.
fn checkov_skips(probes: bool, has_secrets: bool) -> BTreeMap<String, String> {
    let mut skips = vec![
        "CKV_K8S_11=CPU limits are left out on purpose: they throttle; requests reserve CPU and memory limits equal requests",
        "CKV_K8S_43=images are pinned by the tag the blueprint gives; a digest is used when the blueprint gives one",
    ];
    if !probes {
        skips.push(
            "CKV_K8S_8=no port: queue workers and background services have no endpoint to probe",
        );
        skips.push(
            "CKV_K8S_9=no port: queue workers and background services have no endpoint to probe",
        );
    }
    if has_secrets {
        skips.push("CKV_K8S_35=the blueprint contract passes secrets as environment variables from a Kubernetes Secret");
    }
    skips
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("checkov.io/skip{}", i + 1), s.to_string()))
        .collect()
}

impl<'a> Ctx<'a> {
    /// The runtime contract's variables for `task` in this tenant.
    pub(super) fn variables(&self, task: Task<'a>) -> Vec<crate::aws::contract::Var<'a>> {
        contract::variables(self.model, self.env, &self.copy, self.tenant, task)
    }

    fn pod(&self, p: &PodInput<'a>) -> PodTemplateSpec {
        // The contract's variables first (from the tenant's ConfigMap and
        // the workload's Secret), then the user's own, literally.
        let vars = self.variables(p.task);
        let mut env = contract::env_vars(&vars, p.task.name.as_str());
        env.extend(p.task.env.iter().map(|(k, v)| EnvVar {
            name: k.clone(),
            value: Some(literal(v)),
            value_from: None,
        }));
        let data = p.storage.map(|s| s.path.as_str());
        let (volumes, mut volume_mounts) = scratch(p.task.writable_paths, data);
        if let Some(path) = data {
            // The claim template's volume: the StatefulSet adds it to
            // each pod as the claim of that pod's ordinal.
            volume_mounts.push(VolumeMount {
                name: VOLUME_CLAIM.into(),
                mount_path: path.to_string(),
            });
        }
        let memory = p.task.memory.to_string();
        let (startup, readiness, liveness) = probes(p.port, p.health);
        // A dedicated tenant's pods are pinned to its NodePool by its
        // kustomization (`placement_patches`), not here: these objects are
        // shared by every tenant.
        let mut node_selector = BTreeMap::new();
        // `spot: 0` keeps the workload on on-demand nodes; otherwise spot is
        // preferred with the blueprint's percentage as the weight.
        let affinity = if p.task.spot == 0 {
            node_selector.insert("karpenter.sh/capacity-type".into(), "on-demand".into());
            None
        } else {
            Some(Affinity {
                node_affinity: NodeAffinity {
                    preferred_during_scheduling_ignored_during_execution: vec![
                        PreferredSchedulingTerm {
                            weight: u32::from(p.task.spot),
                            preference: NodeSelectorTerm {
                                match_expressions: vec![LabelSelectorRequirement {
                                    key: "karpenter.sh/capacity-type".into(),
                                    operator: "In".into(),
                                    values: vec!["spot".into()],
                                }],
                            },
                        },
                    ],
                },
            })
        };
        let topology = if p.restart_never {
            vec![]
        } else {
            vec![TopologySpreadConstraint {
                max_skew: 1,
                topology_key: "topology.kubernetes.io/zone".into(),
                when_unsatisfiable: "ScheduleAnyway".into(),
                label_selector: LabelSelector::labels(selector(p.task.name.as_str())),
            }]
        };
        // A job's run is not moved by Karpenter's consolidation: it would
        // start again from the beginning on another node.
        let annotations = if p.restart_never {
            BTreeMap::from([(
                "karpenter.sh/do-not-disrupt".to_string(),
                "true".to_string(),
            )])
        } else {
            BTreeMap::new()
        };
        let (lifecycle, grace) = if p.public {
            (
                Some(Lifecycle {
                    pre_stop: LifecycleHandler {
                        sleep: SleepAction {
                            seconds: PRE_STOP_SECS,
                        },
                    },
                }),
                Some(GRACE_SECS),
            )
        } else {
            (None, None)
        };
        PodTemplateSpec {
            metadata: PodMeta {
                labels: workload_labels(self.scope.app, p.task.name.as_str(), p.component),
                annotations,
            },
            spec: PodSpec {
                service_account_name: p.task.name.as_str().to_string(),
                automount_service_account_token: false,
                restart_policy: p.restart_never.then(|| "Never".to_string()),
                security_context: PodSecurityContext {
                    run_as_non_root: true,
                    run_as_user: RUN_AS,
                    run_as_group: RUN_AS,
                    fs_group: RUN_AS,
                    // The EBS CSI driver declares `fsGroupPolicy: File`:
                    // the volume is made the group's, so the non-root
                    // user may write to it; checked at its root only
                    // (large volumes would take long at every start).
                    fs_group_change_policy: p.storage.map(|_| "OnRootMismatch".to_string()),
                    seccomp_profile: SeccompProfile {
                        type_: "RuntimeDefault".into(),
                    },
                },
                node_selector,
                affinity,
                topology_spread_constraints: topology,
                termination_grace_period_seconds: grace,
                containers: vec![Container {
                    name: p.task.name.as_str().to_string(),
                    image: image(p.task.image),
                    image_pull_policy: "Always".into(),
                    args: p
                        .task
                        .command
                        .as_ref()
                        .map(|c| c.iter().map(|a| literal(a)).collect()),
                    ports: p
                        .port
                        .map(|port| ContainerPort {
                            name: "http".into(),
                            container_port: port,
                            protocol: "TCP".into(),
                        })
                        .into_iter()
                        .collect(),
                    env,
                    resources: Resources {
                        requests: BTreeMap::from([
                            ("cpu".to_string(), p.task.cpu.to_string()),
                            ("memory".to_string(), memory.clone()),
                        ]),
                        limits: BTreeMap::from([("memory".to_string(), memory)]),
                    },
                    startup_probe: startup,
                    readiness_probe: readiness,
                    liveness_probe: liveness,
                    lifecycle,
                    security_context: SecurityContext {
                        allow_privilege_escalation: false,
                        privileged: false,
                        read_only_root_filesystem: true,
                        run_as_non_root: true,
                        capabilities: Capabilities {
                            drop: vec!["ALL".into()],
                        },
                    },
                    volume_mounts,
                }],
                volumes,
            },
        }
    }

    fn service(&mut self, s: &Service) -> Vec<serde_json::Value> {
        let name = s.name.as_str();
        let sc = self.scope;
        let keda = uses_keda(s);
        let hpa = !keda && s.scale.max > s.scale.min && s.scale.max >= 1;
        let mut docs = Vec::new();
        let public = s.expose == Expose::Public && s.port.is_some();
        let mut meta = workload_meta(sc.app, name, component(s));
        meta.annotations = checkov_skips(s.port.is_some(), !s.secrets.is_empty());
        let pod = self.pod(&PodInput {
            task: s.task(),
            component: component(s),
            port: s.port,
            health: s.health.as_ref(),
            restart_never: false,
            public,
            storage: s.storage.as_ref(),
        });
        // Without an autoscaler the count is the minimum; with one it is
        // left out, so that applying the object does not fight it.
        let replicas = (!keda && !hpa).then_some(s.scale.min);
        match &s.storage {
            Some(storage) => {
                docs.push(stateful_set(meta, name, replicas, pod, storage));
                docs.push(self.headless_service(s));
            }
            None => docs.push(
                Object::new(
                    meta,
                    Deployment {
                        spec: DeploymentSpec {
                            replicas,
                            revision_history_limit: 5,
                            selector: LabelSelector::labels(selector(name)),
                            template: pod,
                        },
                    },
                )
                .to_value(),
            ),
        }
        if let Some(p) = s.port {
            let mut meta = workload_meta(sc.app, name, component(s));
            if public {
                meta.annotations = target_group_annotations(s.health.as_ref());
            }
            docs.push(
                Object::new(
                    meta,
                    crate::targets::eks::k8s::Service {
                        spec: ServiceSpec {
                            type_: "ClusterIP".into(),
                            cluster_ip: None,
                            publish_not_ready_addresses: None,
                            selector: selector(name),
                            ports: vec![http_port(p)],
                        },
                    },
                )
                .to_value(),
            );
        }
        if hpa {
            docs.push(self.hpa(s));
        }
        if keda {
            docs.push(self.scaled_object(s));
        }
        docs.push(
            Object::new(
                workload_meta(sc.app, name, component(s)),
                PodDisruptionBudget {
                    spec: PdbSpec {
                        max_unavailable: 1,
                        selector: LabelSelector::labels(selector(name)),
                    },
                },
            )
            .to_value(),
        );
        if let (Expose::Public, Some(p)) = (s.expose, s.port) {
            docs.extend(self.ingresses(s, p));
        }
        if let Some(np) = self.network_policy(s) {
            docs.push(np);
        }
        docs.extend(contract::external_secret(
            sc.app,
            name,
            component(s),
            &s.secrets,
        ));
        docs
    }

    /// A stateful service's headless Service, the StatefulSet's
    /// `serviceName`: DNS gives each pod a stable name,
    /// `<service>-<ordinal>.<service>-headless`, ready or not (replicas
    /// find each other as they start). Callers keep using the service's
    /// own Service, which balances over ready pods.
    fn headless_service(&self, s: &Service) -> serde_json::Value {
        let mut meta = workload_meta(self.scope.app, s.name.as_str(), component(s));
        meta.name = headless_service(s.name.as_str());
        Object::new(
            meta,
            crate::targets::eks::k8s::Service {
                spec: ServiceSpec {
                    type_: "ClusterIP".into(),
                    cluster_ip: Some("None".into()),
                    publish_not_ready_addresses: Some(true),
                    selector: selector(s.name.as_str()),
                    ports: s.port.map(http_port).into_iter().collect(),
                },
            },
        )
        .to_value()
    }

    pub(super) fn note(&mut self, message: String) {
        let place = match self.scope.tenant {
            Some(t) => format!("{}/{t}", self.names.env),
            None => self.names.env.clone(),
        };
        self.notes.entry(message).or_default().insert(place);
    }

    fn hpa(&mut self, s: &Service) -> serde_json::Value {
        let sc = &s.scale;
        if sc.min == 0 {
            self.note(format!(
                "{}: a HorizontalPodAutoscaler cannot scale to 0 replicas; minReplicas is 1",
                s.name
            ));
        }
        if sc.requests.is_some() {
            self.note(format!(
                "{}: `scale.requests` needs a custom metrics adapter on EKS and is not used; the HPA scales on CPU",
                s.name
            ));
        }
        let resource = |name: &str, target: u8| MetricSpec {
            type_: "Resource".into(),
            resource: ResourceMetricSource {
                name: name.into(),
                target: MetricTarget {
                    type_: "Utilization".into(),
                    average_utilization: u32::from(target),
                },
            },
        };
        let mut metrics = Vec::new();
        let cpu = sc.cpu.or(sc
            .memory
            .is_none()
            .then_some(crate::aws::defaults::CPU_TARGET));
        if let Some(c) = cpu {
            metrics.push(resource("cpu", c));
        }
        if let Some(m) = sc.memory {
            metrics.push(resource("memory", m));
        }
        Object::new(
            workload_meta(self.scope.app, s.name.as_str(), component(s)),
            HorizontalPodAutoscaler {
                spec: HpaSpec {
                    scale_target_ref: CrossVersionObjectReference {
                        api_version: "apps/v1".into(),
                        kind: workload_kind(s).into(),
                        name: s.name.to_string(),
                    },
                    min_replicas: sc.min.max(1),
                    max_replicas: sc.max,
                    metrics,
                    behavior: scale_down_behavior(),
                },
            },
        )
        .to_value()
    }

    /// The KEDA ScaledObject of a queue worker. It reads each queue from
    /// the variable the contract gives the worker (`queueURLFromEnv`), so
    /// it is the same object for every tenant.
    fn scaled_object(&self, s: &'a Service) -> serde_json::Value {
        let vars = self.variables(s.task());
        let mut triggers: Vec<ScaleTrigger> = s
            .consumes
            .iter()
            .map(|q| {
                let var = contract::queue_var(&vars, q.as_str())
                    .expect("the contract names every consumed queue");
                let mut metadata = BTreeMap::from([
                    ("queueURLFromEnv".to_string(), var.to_string()),
                    ("awsRegion".to_string(), self.model.app.region.clone()),
                ]);
                if let Some(d) = s.scale.queue_depth {
                    metadata.insert("queueLength".into(), d.to_string());
                }
                ScaleTrigger {
                    type_: "aws-sqs-queue".into(),
                    metric_type: None,
                    metadata,
                    authentication_ref: Some(AuthenticationRef {
                        name: TRIGGER_AUTH.into(),
                    }),
                }
            })
            .collect();
        for (kind, target) in [("cpu", s.scale.cpu), ("memory", s.scale.memory)] {
            if let Some(t) = target {
                triggers.push(ScaleTrigger {
                    type_: kind.into(),
                    metric_type: Some("Utilization".into()),
                    metadata: BTreeMap::from([("value".to_string(), t.to_string())]),
                    authentication_ref: None,
                });
            }
        }
        Object::new(
            workload_meta(self.scope.app, s.name.as_str(), component(s)),
            ScaledObject {
                spec: ScaledObjectSpec {
                    scale_target_ref: ScaleTargetRef {
                        name: s.name.to_string(),
                    },
                    min_replica_count: s.scale.min,
                    max_replica_count: s.scale.max,
                    polling_interval: 30,
                    cooldown_period: SCALE_DOWN_WINDOW,
                    advanced: ScaledObjectAdvanced {
                        horizontal_pod_autoscaler_config: HpaConfig {
                            behavior: scale_down_behavior(),
                        },
                    },
                    triggers,
                },
            },
        )
        .to_value()
    }

    /// A public service's Ingresses: one per depth of its routes, in the
    /// tenant's ALB group. The load balancer controller orders rules across
    /// a group's Ingresses by `group.order` (lowest first) and only within
    /// one Ingress by path length, so each depth gets the order `-depth`:
    /// `/api/v2` is matched before `/api`, and `/` last, whichever service
    /// holds them. Routes of one depth never nest, so they share an order.
    fn ingresses(&self, s: &Service, port: u16) -> Vec<serde_json::Value> {
        let mut by_depth: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
        for r in &s.routes {
            by_depth.entry(routes::depth(r)).or_default().push(r);
        }
        let several = by_depth.len() > 1;
        by_depth
            .into_iter()
            .map(|(depth, paths)| {
                // `.` never appears in a workload name: no other object
                // can take these.
                let name = if several {
                    format!("{}.depth-{depth}", s.name)
                } else {
                    s.name.to_string()
                };
                self.ingress(s, port, &name, depth, &paths)
            })
            .collect()
    }

    fn ingress(
        &self,
        s: &Service,
        port: u16,
        name: &str,
        depth: usize,
        paths: &[&String],
    ) -> serde_json::Value {
        let mut meta = workload_meta(self.scope.app, s.name.as_str(), component(s));
        meta.name = name.to_string();
        let order = -(depth.min(1000) as i64);
        // The tenant's host and certificate are inputs of the environment
        // (Terraform's `kubernetes_inputs`), substituted by Flux; the
        // health check and deregistration delay are on the Service.
        meta.annotations = BTreeMap::from([
            alb("scheme", "internet-facing"),
            alb("target-type", "ip"),
            // One ALB per tenant: its group is the unit's namespace.
            alb("group.name", &inputs::var(inputs::NAMESPACE)),
            alb("group.order", &order.to_string()),
            alb("listen-ports", r#"[{"HTTP":80},{"HTTPS":443}]"#),
            alb("ssl-redirect", "443"),
            alb("ssl-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
            alb("certificate-arn", &inputs::var(inputs::CERTIFICATE_ARN)),
            alb(
                "load-balancer-attributes",
                "routing.http.drop_invalid_header_fields.enabled=true",
            ),
        ]);
        Object::new(
            meta,
            Ingress {
                spec: IngressSpec {
                    ingress_class_name: "alb".into(),
                    rules: vec![IngressRule {
                        host: Some(inputs::var(inputs::HOST)),
                        http: HttpIngressRuleValue {
                            paths: paths
                                .iter()
                                .map(|r| HttpIngressPath {
                                    path: (*r).clone(),
                                    path_type: "Prefix".into(),
                                    backend: IngressBackend {
                                        service: IngressServiceBackend {
                                            name: s.name.to_string(),
                                            port: ServiceBackendPort { number: port },
                                        },
                                    },
                                })
                                .collect(),
                        },
                    }],
                },
            },
        )
        .to_value()
    }

    /// Allowances along `calls` inside the tenant's namespace: ingress on a
    /// service's port from the workloads that call it (and, for a public
    /// service, from the load balancer's nodes in the public subnets: the
    /// ALB reaches pods by IP), and egress to the ports of the services it
    /// calls. The replicas of a stateful service (`peers`) also reach each
    /// other on its port, by their stable names.
    fn network_policy_for(
        &self,
        name: &str,
        component: &str,
        port: Option<u16>,
        public: bool,
        calls: &[Name],
        peers: bool,
    ) -> Option<serde_json::Value> {
        let peer = |names: Vec<String>| NetworkPolicyPeer {
            pod_selector: Some(LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "app.kubernetes.io/name".into(),
                    operator: "In".into(),
                    values: names,
                }]),
            }),
            ..NetworkPolicyPeer::default()
        };
        let mut ingress = Vec::new();
        if let Some(p) = port {
            let mut callers: Vec<String> = self
                .index
                .callers(name)
                .iter()
                .map(|c| c.to_string())
                .collect();
            if peers && !callers.iter().any(|c| c == name) {
                callers.push(name.to_string());
            }
            if public {
                let subnets = (0..inputs::lb_subnet_count(self.model))
                    .map(|i| ip(&inputs::var(&inputs::lb_subnet_cidr(i))))
                    .collect();
                ingress.push(NetworkPolicyRule {
                    from: Some(subnets),
                    ports: vec![port_rule(p)],
                    ..NetworkPolicyRule::default()
                });
            }
            if !callers.is_empty() {
                ingress.push(NetworkPolicyRule {
                    from: Some(vec![peer(callers)]),
                    ports: vec![port_rule(p)],
                    ..NetworkPolicyRule::default()
                });
            }
        }
        // Callee ports, grouped so each port is one rule.
        let mut by_port: BTreeMap<u16, Vec<String>> = BTreeMap::new();
        for c in calls {
            if let Some(p) = self.index.port(c.as_str()) {
                by_port.entry(p).or_default().push(c.to_string());
            }
        }
        if let (true, Some(p)) = (peers, port) {
            let to = by_port.entry(p).or_default();
            if !to.iter().any(|c| c == name) {
                to.push(name.to_string());
            }
        }
        let egress: Vec<NetworkPolicyRule> = by_port
            .into_iter()
            .map(|(p, names)| NetworkPolicyRule {
                to: Some(vec![peer(names)]),
                ports: vec![port_rule(p)],
                ..NetworkPolicyRule::default()
            })
            .collect();
        if ingress.is_empty() && egress.is_empty() {
            return None;
        }
        let mut types = Vec::new();
        if !ingress.is_empty() {
            types.push("Ingress".to_string());
        }
        if !egress.is_empty() {
            types.push("Egress".to_string());
        }
        Some(
            Object::new(
                workload_meta(self.scope.app, name, component),
                NetworkPolicy {
                    spec: NetworkPolicySpec {
                        pod_selector: LabelSelector::labels(selector(name)),
                        policy_types: types,
                        ingress: (!ingress.is_empty()).then_some(ingress),
                        egress: (!egress.is_empty()).then_some(egress),
                    },
                },
            )
            .to_value(),
        )
    }

    fn network_policy(&self, s: &Service) -> Option<serde_json::Value> {
        self.network_policy_for(
            s.name.as_str(),
            component(s),
            s.port,
            s.expose == Expose::Public,
            &s.calls,
            s.storage.is_some(),
        )
    }

    pub(super) fn workload(&mut self, wl: Workload) -> Vec<serde_json::Value> {
        match wl {
            Workload::Service(s) => self.service(s),
            Workload::Job(j) => self.job(j),
        }
    }

    fn job(&mut self, j: &Job) -> Vec<serde_json::Value> {
        let (schedule, approximation) = j.schedule.to_cron();
        if let Some(why) = approximation {
            self.note(format!("{}: {why}", j.name));
        }
        let name = j.name.as_str();
        let mut meta = workload_meta(self.scope.app, name, "job");
        meta.annotations = checkov_skips(true, !j.secrets.is_empty());
        let pod = self.pod(&PodInput {
            task: j.task(),
            component: "job",
            port: None,
            health: None,
            restart_never: true,
            public: false,
            storage: None,
        });
        let mut docs = vec![Object::new(
            meta,
            CronJob {
                spec: CronJobSpec {
                    schedule,
                    time_zone: "Etc/UTC".into(),
                    concurrency_policy: "Forbid".into(),
                    starting_deadline_seconds: 300,
                    successful_jobs_history_limit: 3,
                    failed_jobs_history_limit: 3,
                    job_template: JobTemplateSpec {
                        metadata: PodMeta {
                            labels: workload_labels(self.scope.app, name, "job"),
                            annotations: BTreeMap::new(),
                        },
                        spec: JobSpec {
                            backoff_limit: j.retries,
                            active_deadline_seconds: j.timeout.secs(),
                            template: pod,
                        },
                    },
                },
            },
        )
        .to_value()];
        if let Some(np) = self.network_policy_for(name, "job", None, false, &j.calls, false) {
            docs.push(np);
        }
        docs.extend(contract::external_secret(
            self.scope.app,
            name,
            "job",
            &j.secrets,
        ));
        docs
    }
}

/// The container's scratch space: `/tmp`, and an emptyDir at each of the
/// workload's `writable_paths` (those under `/tmp` are already writable),
/// but for the path a stateful service's volume is mounted at (`data`),
/// which that volume makes writable.
fn scratch(paths: &[String], data: Option<&str>) -> (Vec<Volume>, Vec<VolumeMount>) {
    let extra = paths
        .iter()
        .filter(|p| *p != TMP && !p.starts_with("/tmp/"));
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    for (i, path) in std::iter::once(TMP)
        .chain(extra.map(String::as_str))
        .enumerate()
        .filter(|(_, path)| Some(*path) != data)
    {
        let name = if i == 0 {
            "tmp".to_string()
        } else {
            format!("writable-{i}")
        };
        volumes.push(Volume {
            name: name.clone(),
            empty_dir: EmptyDir {
                size_limit: "1Gi".into(),
            },
        });
        mounts.push(VolumeMount {
            name,
            mount_path: path.to_string(),
        });
    }
    (volumes, mounts)
}

fn alb(key: &str, value: &str) -> (String, String) {
    (format!("{ALB}/{key}"), value.to_string())
}

/// A public service's target group settings, on its Service (the load
/// balancer controller reads them there for the Ingresses that route to
/// it): the health check from `health`, and the deregistration delay.
fn target_group_annotations(health: Option<&Health>) -> BTreeMap<String, String> {
    let mut a = BTreeMap::from([alb(
        "target-group-attributes",
        &format!(
            "deregistration_delay.timeout_seconds={}",
            defaults::DEREGISTRATION_DELAY_SECS
        ),
    )]);
    if let Some(h) = health {
        a.extend([
            alb("healthcheck-path", &inputs::flux_literal(&h.path)),
            alb(
                "healthcheck-interval-seconds",
                &h.interval.secs().to_string(),
            ),
            alb("healthcheck-timeout-seconds", &h.timeout.secs().to_string()),
            alb("unhealthy-threshold-count", &h.retries.to_string()),
        ]);
    }
    a
}

/// A service's port on its Services, named as its container's.
fn http_port(p: u16) -> ServicePort {
    ServicePort {
        name: "http".into(),
        port: p,
        target_port: "http".into(),
        protocol: "TCP".into(),
    }
}

/// What runs a service's pods: a StatefulSet for a stateful one.
fn workload_kind(s: &Service) -> &'static str {
    match s.storage {
        Some(_) => "StatefulSet",
        None => "Deployment",
    }
}

/// How a stateful service's pods update and scale.
const POD_MANAGEMENT: &str = "Parallel";
const UPDATE_STRATEGY: &str = "RollingUpdate";
/// What happens to the claims when the StatefulSet goes or scales down:
/// they stay (so do their volumes, whatever the StorageClass's reclaim
/// policy), so that a replica that comes back finds its data, and an
/// orphaning delete (`--cascade=orphan`, to change the claim template)
/// loses nothing.
const CLAIM_RETENTION: &str = "Retain";

/// A stateful service's StatefulSet: its pods named `<service>-<ordinal>`
/// through the headless Service, each with its own ReadWriteOnce EBS
/// volume of `storage.size` from the cluster's StorageClass (bound where
/// the pod is first scheduled), mounted at `storage.path`.
fn stateful_set(
    meta: ObjectMeta,
    name: &str,
    replicas: Option<u32>,
    template: PodTemplateSpec,
    storage: &Storage,
) -> serde_json::Value {
    Object::new(
        meta,
        StatefulSet {
            spec: StatefulSetSpec {
                replicas,
                revision_history_limit: 5,
                selector: LabelSelector::labels(selector(name)),
                service_name: headless_service(name),
                pod_management_policy: POD_MANAGEMENT.into(),
                update_strategy: StatefulSetUpdateStrategy {
                    type_: UPDATE_STRATEGY.into(),
                },
                persistent_volume_claim_retention_policy: PvcRetentionPolicy {
                    when_deleted: CLAIM_RETENTION.into(),
                    when_scaled: CLAIM_RETENTION.into(),
                },
                template,
                volume_claim_templates: vec![PersistentVolumeClaimTemplate {
                    metadata: ClaimMeta {
                        name: VOLUME_CLAIM.into(),
                    },
                    spec: PersistentVolumeClaimSpec {
                        access_modes: vec!["ReadWriteOnce".into()],
                        storage_class_name: STORAGE_CLASS.into(),
                        resources: VolumeResources {
                            requests: BTreeMap::from([(
                                "storage".to_string(),
                                format!("{}Gi", storage.size_gib),
                            )]),
                        },
                    },
                }],
            },
        },
    )
    .to_value()
}

fn port_rule(p: u16) -> NetworkPolicyPort {
    port("TCP", p)
}

fn scale_down_behavior() -> HpaBehavior {
    HpaBehavior {
        scale_down: HpaScalingRules {
            stabilization_window_seconds: SCALE_DOWN_WINDOW,
        },
    }
}

/// Startup (from `grace`), readiness and liveness probes: HTTP on the
/// health path when the blueprint has one, TCP on the port otherwise.
fn probes(
    port: Option<u16>,
    health: Option<&Health>,
) -> (Option<Probe>, Option<Probe>, Option<Probe>) {
    let Some(_) = port else {
        return (None, None, None);
    };
    match health {
        Some(h) => {
            let get = || HttpGetAction {
                path: crate::targets::eks::inputs::flux_literal(&h.path),
                port: "http".into(),
            };
            let probe = |period: u64, failures: u64| Probe {
                http_get: Some(get()),
                tcp_socket: None,
                period_seconds: period.max(1),
                timeout_seconds: h.timeout.secs().max(1),
                failure_threshold: failures.max(1),
            };
            let startup_period = 5;
            let startup = (h.grace.secs() > 0)
                .then(|| probe(startup_period, h.grace.secs().div_ceil(startup_period)));
            let every = probe(h.interval.secs(), u64::from(h.retries));
            (startup, Some(every.clone()), Some(every))
        }
        None => {
            let tcp = Probe {
                http_get: None,
                tcp_socket: Some(TcpSocketAction {
                    port: "http".into(),
                }),
                period_seconds: 10,
                timeout_seconds: 1,
                failure_threshold: 3,
            };
            (None, Some(tcp.clone()), Some(tcp))
        }
    }
}

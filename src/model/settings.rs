//! `floe-deploy.yaml`: this project's deployment settings. Documented with an
//! annotated example in `docs/deploy-settings.md`.
//!
//! Every field is optional; the platform defaults of DESIGN.md fill the rest
//! per environment. `environments.<env>` is a JSON merge patch (RFC 7386)
//! over the rest of the file, so an overlay reads like the file itself.

use super::platform::{CpuMemory, Quantityish};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SETTINGS_FILE: &str = "floe-deploy.yaml";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploySettings {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    /// Default image for every workload that does not name its own.
    pub image: Option<String>,
    /// Registry pull secrets, linked to the product's ServiceAccount.
    pub image_pull_secrets: Vec<String>,
    pub namespace: NamespaceSettings,
    /// Workloads by name. Empty means the defaults: a code-location
    /// Deployment + Service, a dbt-run Job, and a CronJob from `schedule`.
    pub workloads: BTreeMap<String, WorkloadConfig>,
    /// Per-environment overlays, applied before anything else is read.
    pub environments: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceSettings {
    /// Defaults to `<product>-<environment>`.
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub quota: Option<QuotaSettings>,
    pub limits: Option<LimitSettings>,
    /// Default-deny NetworkPolicies plus the needed allows; on by default in
    /// staging and prod.
    pub network_policies: Option<bool>,
    /// Namespaces (by name) allowed to reach workloads that have an ingress,
    /// typically the ingress controller's.
    pub ingress_from_namespaces: Option<Vec<String>>,
    /// Extra egress destinations (CIDR + ports) beyond DNS and the namespace.
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct QuotaSettings {
    pub cpu: Option<Quantityish>,
    pub memory: Option<Quantityish>,
    pub limits_cpu: Option<Quantityish>,
    pub limits_memory: Option<Quantityish>,
    pub pods: Option<u32>,
    pub persistent_volume_claims: Option<u32>,
    pub storage: Option<Quantityish>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitSettings {
    pub default_request: Option<CpuMemory>,
    pub default: Option<CpuMemory>,
    pub max: Option<CpuMemory>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EgressRule {
    pub cidr: String,
    #[serde(default)]
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    /// Long-running kinds must have probes; run-to-completion kinds must not
    /// have liveness/readiness probes that would kill a healthy batch run.
    pub fn is_long_running(self) -> bool {
        matches!(self, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadConfig {
    pub kind: WorkloadKind,
    /// `app.kubernetes.io/component`; defaults to the workload name.
    pub component: Option<String>,
    pub image: Option<String>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub resources: Option<Resources>,
    pub replicas: Option<u32>,
    pub ports: Vec<Port>,
    /// A Service is created for a Deployment/StatefulSet with ports unless
    /// `service.enabled: false`.
    pub service: Option<ServiceSettings>,
    pub probes: Option<Probes>,
    /// Plain environment variables (never secrets: use `secrets`).
    pub env: BTreeMap<String, String>,
    /// Non-secret configuration rendered into a generated ConfigMap and
    /// loaded with `envFrom`. A change rolls the workload.
    pub config: BTreeMap<String, String>,
    /// Files rendered into the same ConfigMap and mounted at `configMountPath`.
    pub config_files: BTreeMap<String, String>,
    pub config_mount_path: Option<String>,
    pub secrets: Vec<SecretMount>,
    pub volumes: Vec<Volume>,
    pub init_containers: Vec<ExtraContainer>,
    /// Native sidecars: init containers with `restartPolicy: Always`.
    pub sidecars: Vec<ExtraContainer>,
    pub node_selector: BTreeMap<String, String>,
    pub affinity: Option<AffinitySettings>,
    pub tolerations: Vec<Toleration>,
    pub hpa: Option<HpaSettings>,
    pub pdb: Option<PdbSettings>,
    pub ingress: Option<IngressSettings>,
    pub rollout: Option<RolloutSettings>,
    pub job: Option<JobSettings>,
    pub cron: Option<CronSettings>,
    /// Other workloads (by name) that must be healthy before this one starts.
    pub depends_on: Vec<String>,
    /// `false` leaves the workload out in this environment.
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// A `resource_presets` name from the manifest.
    pub preset: Option<String>,
    pub requests: Option<CpuMemory>,
    pub limits: Option<CpuMemory>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    pub name: String,
    pub container_port: u16,
    #[serde(default)]
    pub protocol: Option<String>,
    /// Service port; defaults to the container port.
    #[serde(default)]
    pub service_port: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSettings {
    pub enabled: Option<bool>,
    #[serde(rename = "type")]
    pub service_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
}

/// One probe. The handler is `http` (path + port), `tcp` (port), `grpc`
/// (port) or `exec` (command); parameters default to the platform's
/// `initialDelaySeconds=10, periodSeconds=10, timeoutSeconds=2, failureThreshold=3`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    pub enabled: Option<bool>,
    pub http: Option<HttpProbe>,
    pub tcp: Option<PortRef>,
    pub grpc: Option<PortRef>,
    pub exec: Option<Vec<String>>,
    pub initial_delay_seconds: Option<u32>,
    pub period_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub failure_threshold: Option<u32>,
    pub success_threshold: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpProbe {
    pub path: String,
    pub port: PortValue,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortRef {
    pub port: PortValue,
}

/// A port by number or by the name of a declared container port.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum PortValue {
    Number(u16),
    Name(String),
}

/// A reference to an existing Secret. Exactly one of `envFrom`, `mountPath`
/// or `env` says how it reaches the container; the value never passes
/// through floe.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretMount {
    pub secret: String,
    #[serde(default)]
    pub env_from: Option<bool>,
    #[serde(default)]
    pub mount_path: Option<String>,
    /// Environment variable name → key in the Secret.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    pub mount_path: String,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub empty_dir: Option<EmptyDir>,
    /// A PersistentVolumeClaim rendered by floe (a volumeClaimTemplate for a
    /// StatefulSet).
    #[serde(default)]
    pub persistent: Option<PersistentVolume>,
    /// An existing PVC by name.
    #[serde(default)]
    pub claim: Option<String>,
    #[serde(default)]
    pub config_map: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub host_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDir {
    pub size_limit: Option<Quantityish>,
    pub medium: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersistentVolume {
    pub size: Quantityish,
    #[serde(default)]
    pub storage_class_name: Option<String>,
    #[serde(default)]
    pub access_modes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtraContainer {
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub probes: Option<Probes>,
    /// Names of the workload's volumes to mount here too.
    #[serde(default)]
    pub volume_mounts: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AffinityMode {
    Soft,
    Hard,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AffinitySettings {
    /// Node label → allowed values.
    pub node_labels: BTreeMap<String, Vec<String>>,
    /// Defaults to soft in dev and staging, hard in prod.
    pub mode: Option<AffinityMode>,
    /// Spread replicas over nodes (pod anti-affinity on the hostname).
    pub spread: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    pub key: String,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub effect: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HpaSettings {
    #[serde(default)]
    pub min_replicas: Option<u32>,
    pub max_replicas: u32,
    #[serde(default)]
    pub target_cpu_utilization: Option<u32>,
    #[serde(default)]
    pub target_memory_utilization: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PdbSettings {
    pub enabled: Option<bool>,
    pub min_available: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(u32),
    Percent(String),
}

impl IntOrPercent {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            IntOrPercent::Int(n) => serde_json::json!(n),
            IntOrPercent::Percent(s) => serde_json::json!(s),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressSettings {
    pub host: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub class_name: Option<String>,
    /// Name of an existing TLS Secret for the host.
    #[serde(default)]
    pub tls_secret: Option<String>,
    /// Which declared port to route to; defaults to the first.
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutSettings {
    pub max_surge: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
    pub progress_deadline_seconds: Option<u32>,
    pub min_ready_seconds: Option<u32>,
    pub revision_history_limit: Option<u32>,
    /// Start paused (`spec.paused`); `floe rollout resume` clears it.
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSettings {
    /// 0 fails fast, 3 retries (the platform's two presets); explicit always.
    pub backoff_limit: Option<u32>,
    pub ttl_seconds_after_finished: Option<u32>,
    pub active_deadline_seconds: Option<u32>,
    pub completions: Option<u32>,
    pub parallelism: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct CronSettings {
    /// Defaults to `schedule.cron` from floe.yaml.
    pub schedule: Option<String>,
    pub time_zone: Option<String>,
    pub concurrency_policy: Option<String>,
    pub starting_deadline_seconds: Option<u32>,
    pub successful_jobs_history_limit: Option<u32>,
    pub failed_jobs_history_limit: Option<u32>,
    pub suspend: Option<bool>,
}

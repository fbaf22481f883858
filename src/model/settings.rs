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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploySettings {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// Default image for every workload that does not name its own.
    #[serde(default)]
    pub image: Option<String>,
    /// Registry pull secrets, linked to the product's ServiceAccount.
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    #[serde(default)]
    pub namespace: NamespaceSettings,
    /// Workloads by name. Empty means the defaults: a code-location
    /// Deployment + Service, a dbt-run Job, and a CronJob from `schedule`.
    #[serde(default)]
    pub workloads: BTreeMap<String, WorkloadConfig>,
    /// Per-environment overlays, applied before anything else is read.
    #[serde(default)]
    pub environments: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceSettings {
    /// Defaults to `<product>-<environment>`.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub quota: Option<QuotaSettings>,
    #[serde(default)]
    pub limits: Option<LimitSettings>,
    /// Default-deny NetworkPolicies plus the needed allows; on by default in
    /// staging and prod.
    #[serde(default)]
    pub network_policies: Option<bool>,
    /// Namespaces (by name) allowed to reach workloads that have an ingress,
    /// typically the ingress controller's.
    #[serde(default)]
    pub ingress_from_namespaces: Option<Vec<String>>,
    /// Extra egress destinations (CIDR + ports) beyond DNS and the namespace.
    #[serde(default)]
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QuotaSettings {
    #[serde(default)]
    pub cpu: Option<Quantityish>,
    #[serde(default)]
    pub memory: Option<Quantityish>,
    #[serde(default)]
    pub limits_cpu: Option<Quantityish>,
    #[serde(default)]
    pub limits_memory: Option<Quantityish>,
    #[serde(default)]
    pub pods: Option<u32>,
    #[serde(default)]
    pub persistent_volume_claims: Option<u32>,
    #[serde(default)]
    pub storage: Option<Quantityish>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitSettings {
    #[serde(default)]
    pub default_request: Option<CpuMemory>,
    #[serde(default)]
    pub default: Option<CpuMemory>,
    #[serde(default)]
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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadConfig {
    #[serde(default)]
    pub kind: WorkloadKind,
    /// `app.kubernetes.io/component`; defaults to the workload name.
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub ports: Vec<Port>,
    /// A Service is created for a Deployment/StatefulSet with ports unless
    /// `service.enabled: false`.
    #[serde(default)]
    pub service: Option<ServiceSettings>,
    #[serde(default)]
    pub probes: Option<Probes>,
    /// Plain environment variables (never secrets: use `secrets`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Non-secret configuration rendered into a generated ConfigMap and
    /// loaded with `envFrom`. A change rolls the workload.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Files rendered into the same ConfigMap and mounted at `configMountPath`.
    #[serde(default)]
    pub config_files: BTreeMap<String, String>,
    #[serde(default)]
    pub config_mount_path: Option<String>,
    #[serde(default)]
    pub secrets: Vec<SecretMount>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
    #[serde(default)]
    pub init_containers: Vec<ExtraContainer>,
    /// Native sidecars: init containers with `restartPolicy: Always`.
    #[serde(default)]
    pub sidecars: Vec<ExtraContainer>,
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default)]
    pub affinity: Option<AffinitySettings>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    #[serde(default)]
    pub hpa: Option<HpaSettings>,
    #[serde(default)]
    pub pdb: Option<PdbSettings>,
    #[serde(default)]
    pub ingress: Option<IngressSettings>,
    #[serde(default)]
    pub rollout: Option<RolloutSettings>,
    #[serde(default)]
    pub job: Option<JobSettings>,
    #[serde(default)]
    pub cron: Option<CronSettings>,
    /// Other workloads (by name) that must be healthy before this one starts.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// `false` leaves the workload out in this environment.
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// A `resource_presets` name from the manifest.
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub requests: Option<CpuMemory>,
    #[serde(default)]
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

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceSettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default, rename = "type")]
    pub service_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    #[serde(default)]
    pub liveness: Option<Probe>,
    #[serde(default)]
    pub readiness: Option<Probe>,
    #[serde(default)]
    pub startup: Option<Probe>,
}

/// One probe. The handler is `http` (path + port), `tcp` (port), `grpc`
/// (port) or `exec` (command); parameters default to the platform's
/// `initialDelaySeconds=10, periodSeconds=10, timeoutSeconds=2, failureThreshold=3`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub http: Option<HttpProbe>,
    #[serde(default)]
    pub tcp: Option<PortRef>,
    #[serde(default)]
    pub grpc: Option<PortRef>,
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    #[serde(default)]
    pub initial_delay_seconds: Option<u32>,
    #[serde(default)]
    pub period_seconds: Option<u32>,
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    #[serde(default)]
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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDir {
    #[serde(default)]
    pub size_limit: Option<Quantityish>,
    #[serde(default)]
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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AffinitySettings {
    /// Node label → allowed values.
    #[serde(default)]
    pub node_labels: BTreeMap<String, Vec<String>>,
    /// Defaults to soft in dev and staging, hard in prod.
    #[serde(default)]
    pub mode: Option<AffinityMode>,
    /// Spread replicas over nodes (pod anti-affinity on the hostname).
    #[serde(default)]
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

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PdbSettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub min_available: Option<IntOrPercent>,
    #[serde(default)]
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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutSettings {
    #[serde(default)]
    pub max_surge: Option<IntOrPercent>,
    #[serde(default)]
    pub max_unavailable: Option<IntOrPercent>,
    #[serde(default)]
    pub progress_deadline_seconds: Option<u32>,
    #[serde(default)]
    pub min_ready_seconds: Option<u32>,
    #[serde(default)]
    pub revision_history_limit: Option<u32>,
    /// Start paused (`spec.paused`); `floe rollout resume` clears it.
    #[serde(default)]
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSettings {
    /// 0 fails fast, 3 retries (the platform's two presets); explicit always.
    #[serde(default)]
    pub backoff_limit: Option<u32>,
    #[serde(default)]
    pub ttl_seconds_after_finished: Option<u32>,
    #[serde(default)]
    pub active_deadline_seconds: Option<u32>,
    #[serde(default)]
    pub completions: Option<u32>,
    #[serde(default)]
    pub parallelism: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CronSettings {
    /// Defaults to `schedule.cron` from floe.yaml.
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub concurrency_policy: Option<String>,
    #[serde(default)]
    pub starting_deadline_seconds: Option<u32>,
    #[serde(default)]
    pub successful_jobs_history_limit: Option<u32>,
    #[serde(default)]
    pub failed_jobs_history_limit: Option<u32>,
    #[serde(default)]
    pub suspend: Option<bool>,
}

//! The floe platform's own files, read exactly as the platform writes them:
//! `floe.yaml` (FloeSpec) and `manifest.yaml` (Manifest).
//!
//! FloeSpec rejects unknown keys, as the platform does. The manifest only
//! warns on unknown top-level keys (the platform does the same), which is what
//! lets platform-wide deployment defaults live under `deployment:` there.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FloeSpec {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub metadata: FloeMetadata,
    #[serde(default)]
    pub platform: Option<PlatformRef>,
    #[serde(default)]
    pub transforms: Vec<Transform>,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default, rename = "outputPorts")]
    pub output_ports: Option<Vec<Value>>,
    #[serde(default)]
    pub destinations: Option<Vec<Destination>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FloeMetadata {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformRef {
    pub manifest: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Transform {
    pub name: String,
    #[serde(default)]
    pub compute: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default, rename = "dependsOn")]
    pub depends_on: Option<Vec<String>>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default, rename = "qualityChecks")]
    pub quality_checks: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default)]
    pub cron: Option<String>,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_timezone() -> String {
    "UTC".to_string()
}

fn default_true() -> bool {
    true
}

/// A sink the product writes to; sink-specific keys are kept as they are.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Destination {
    pub name: String,
    #[serde(default)]
    pub sink_type: Option<String>,
    #[serde(default)]
    pub connection_secret_ref: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `manifest.yaml`. Every known key is typed; unknown top-level keys are
/// collected so validation can warn about them.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Manifest {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub plugins: BTreeMap<String, Plugin>,
    #[serde(default)]
    pub observability: Option<Value>,
    #[serde(default)]
    pub governance: Option<Value>,
    #[serde(default)]
    pub artifacts: Option<Value>,
    #[serde(default)]
    pub resource_presets: BTreeMap<String, ResourcePreset>,
    /// Platform-wide deployment defaults: the same shape as the deployment
    /// settings file's `namespace` and `defaults` sections.
    #[serde(default)]
    pub deployment: Option<Value>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Plugin {
    #[serde(rename = "type")]
    pub plugin_type: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub config: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub connection_secret_ref: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Both shapes the platform writes for a preset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ResourcePreset {
    Nested {
        requests: CpuMemory,
        limits: CpuMemory,
    },
    Flat {
        cpu_request: Quantityish,
        cpu_limit: Quantityish,
        memory_request: Quantityish,
        memory_limit: Quantityish,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CpuMemory {
    pub cpu: Quantityish,
    pub memory: Quantityish,
}

impl CpuMemory {
    /// From a `(cpu, memory)` pair of quantity texts.
    pub fn of((cpu, memory): (&str, &str)) -> CpuMemory {
        CpuMemory {
            cpu: Quantityish::Text(cpu.into()),
            memory: Quantityish::Text(memory.into()),
        }
    }
}

/// YAML lets `cpu: 2` or `cpu: 0.5` arrive as numbers; Kubernetes wants
/// strings. Accept both and keep the spelling.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Quantityish {
    Text(String),
    Number(serde_json::Number),
}

impl Quantityish {
    pub fn as_string(&self) -> String {
        match self {
            Quantityish::Text(s) => s.clone(),
            Quantityish::Number(n) => n.to_string(),
        }
    }
}

impl ResourcePreset {
    /// `(requests, limits)` in the nested shape.
    pub fn normalised(&self) -> (CpuMemory, CpuMemory) {
        match self {
            ResourcePreset::Nested { requests, limits } => (requests.clone(), limits.clone()),
            ResourcePreset::Flat {
                cpu_request,
                cpu_limit,
                memory_request,
                memory_limit,
            } => (
                CpuMemory {
                    cpu: cpu_request.clone(),
                    memory: memory_request.clone(),
                },
                CpuMemory {
                    cpu: cpu_limit.clone(),
                    memory: memory_limit.clone(),
                },
            ),
        }
    }
}

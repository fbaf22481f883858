//! The settings as rendering and validation both see them: the enabled
//! workloads after overlays, their resources after presets and defaults,
//! the namespace name and its quota amounts. Plain settings merging, no
//! Kubernetes objects.

use super::defaults::{self, EnvDefaults};
use super::platform::{CpuMemory, Quantityish};
use super::settings::{Resources, WorkloadConfig, WorkloadKind};
use super::Product;

/// A workload after overlays, defaults layer included.
#[derive(Debug, Clone)]
pub struct EffectiveWorkload {
    pub name: String,
    pub config: WorkloadConfig,
}

/// The enabled workloads of the product, by name.
pub fn effective_workloads(product: &Product) -> Vec<EffectiveWorkload> {
    product
        .settings
        .workloads
        .iter()
        .filter(|(_, c)| c.enabled != Some(false))
        .map(|(name, config)| EffectiveWorkload {
            name: name.clone(),
            config: config.clone(),
        })
        .collect()
}

/// The product's namespace in its environment: the settings' name, else
/// `<product>-<environment>`.
pub fn namespace_name(product: &Product) -> String {
    product
        .settings
        .namespace
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", product.spec.metadata.name, product.env))
}

impl EffectiveWorkload {
    pub fn component(&self) -> &str {
        self.config.component.as_deref().unwrap_or(&self.name)
    }

    pub fn configmap_name(&self) -> Option<String> {
        let config = &self.config;
        (!config.config.is_empty() || !config.config_files.is_empty())
            .then(|| format!("{}-config", self.name))
    }

    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config
            .secrets
            .iter()
            .map(|s| s.secret.clone())
            .collect();
        names.extend(self.config.volumes.iter().filter_map(|v| v.secret.clone()));
        if let Some(tls) = self
            .config
            .ingress
            .as_ref()
            .and_then(|i| i.tls_secret.clone())
        {
            names.push(tls);
        }
        names
    }

    /// Deployments with ports get a Service; a StatefulSet always gets its
    /// governing (headless) Service, which its pods' stable names need.
    pub fn has_service(&self) -> bool {
        let wanted = match self.config.kind {
            WorkloadKind::Deployment => !self.config.ports.is_empty(),
            WorkloadKind::StatefulSet => true,
            WorkloadKind::Job | WorkloadKind::CronJob => false,
        };
        wanted && self.config.service.as_ref().and_then(|s| s.enabled) != Some(false)
    }

    /// Replicas as rendered: explicit, else the environment default.
    pub fn replicas(&self, env: &EnvDefaults) -> u32 {
        self.config.replicas.unwrap_or(env.replicas)
    }

    pub fn image<'a>(&'a self, product: &'a Product) -> Option<&'a str> {
        product
            .image_override
            .as_deref()
            .filter(|_| self.config.image.is_none())
            .or(self.config.image.as_deref())
            .or(product.settings.image.as_deref())
    }
}

/// Requests and limits for a container: explicit values win over the named
/// preset, the preset over the manifest's `small`, that over built-ins.
pub fn resolve_resources(
    product: &Product,
    resources: Option<&Resources>,
) -> (CpuMemory, CpuMemory) {
    let presets = product.manifest.as_ref().map(|m| &m.resource_presets);
    let preset_name = resources
        .and_then(|r| r.preset.as_deref())
        .unwrap_or("small");
    let (mut requests, mut limits) = presets
        .and_then(|p| p.get(preset_name))
        .map(|p| p.normalised())
        .unwrap_or_else(builtin_resources);
    if let Some(r) = resources {
        if let Some(req) = &r.requests {
            requests = req.clone();
        }
        if let Some(lim) = &r.limits {
            limits = lim.clone();
        }
    }
    (requests, limits)
}

fn builtin_resources() -> (CpuMemory, CpuMemory) {
    (
        CpuMemory::of(defaults::DEFAULT_REQUESTS),
        CpuMemory::of(defaults::DEFAULT_LIMITS),
    )
}

/// One of the namespace's ResourceQuota amounts: its settings field
/// (`namespace.quota.<field>`), its ResourceQuota key (`requests.cpu`), the
/// amount as set or else the environment's default, and whether it is
/// memory.
pub struct QuotaAmount {
    pub field: &'static str,
    pub key: &'static str,
    pub text: String,
    pub memory: bool,
}

/// cpu and memory requests, then cpu and memory limits.
pub fn quota_amounts(product: &Product) -> [QuotaAmount; 4] {
    let env = defaults::for_env(product.env);
    let quota = product.settings.namespace.quota.clone().unwrap_or_default();
    let amount = |field, key, value: Option<Quantityish>, default: &str, memory| QuotaAmount {
        field,
        key,
        text: value.map_or_else(|| default.to_string(), |q| q.as_string()),
        memory,
    };
    [
        amount("cpu", "requests.cpu", quota.cpu, env.quota_cpu, false),
        amount(
            "memory",
            "requests.memory",
            quota.memory,
            env.quota_memory,
            true,
        ),
        amount(
            "limitsCpu",
            "limits.cpu",
            quota.limits_cpu,
            env.quota_limits_cpu,
            false,
        ),
        amount(
            "limitsMemory",
            "limits.memory",
            quota.limits_memory,
            env.quota_limits_memory,
            true,
        ),
    ]
}

/// The namespace's pod quota: as set, else the environment's default.
pub fn quota_pods(product: &Product) -> u32 {
    let quota = product.settings.namespace.quota.as_ref();
    quota
        .and_then(|q| q.pods)
        .unwrap_or_else(|| defaults::for_env(product.env).quota_pods)
}

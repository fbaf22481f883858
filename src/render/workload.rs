//! Workloads and what hangs off them: the pod template (containers, probes,
//! resources, security, volumes, secrets, affinity), the controller object
//! (Deployment, StatefulSet, Job, CronJob), and its Service, Ingress, HPA,
//! PDB, PVCs and generated ConfigMap.

use super::namespace::{plugin_secret_env, plugin_secret_refs, service_account_name};
use super::{canonical_quantity, configmap_hash, string_map, Ctx};
use crate::model::defaults::{self, EnvDefaults};
use crate::model::platform::{CpuMemory, Quantityish};
use crate::model::settings::*;
use crate::model::Product;
use crate::names::{ANNOTATION_CONFIG_HASH, LABEL_WORKLOAD, PLATFORM_CONFIGMAP};
use crate::object::ObjectKey;
use serde_json::{json, Map, Value};

/// A workload after overlays, defaults layer included.
#[derive(Debug, Clone)]
pub struct EffectiveWorkload {
    pub name: String,
    pub config: WorkloadConfig,
}

/// The enabled workloads of the product, by name.
pub fn effective(product: &Product) -> Vec<EffectiveWorkload> {
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

impl EffectiveWorkload {
    pub fn component(&self) -> &str {
        self.config.component.as_deref().unwrap_or(&self.name)
    }

    pub(crate) fn selector_labels(&self, ctx: &Ctx) -> Value {
        json!({
            "app.kubernetes.io/name": self.name,
            "app.kubernetes.io/instance": ctx.instance(),
        })
    }

    pub fn configmap_name(&self) -> Option<String> {
        let c = &self.config;
        (!c.config.is_empty() || !c.config_files.is_empty())
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
    let builtin = (
        CpuMemory {
            cpu: Quantityish::Text(defaults::DEFAULT_REQUESTS.0.into()),
            memory: Quantityish::Text(defaults::DEFAULT_REQUESTS.1.into()),
        },
        CpuMemory {
            cpu: Quantityish::Text(defaults::DEFAULT_LIMITS.0.into()),
            memory: Quantityish::Text(defaults::DEFAULT_LIMITS.1.into()),
        },
    );
    let (mut requests, mut limits) = presets
        .and_then(|p| p.get(preset_name))
        .map(|p| p.normalised())
        .unwrap_or(builtin);
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

fn resources_json(requests: &CpuMemory, limits: &CpuMemory) -> Value {
    let cm = |c: &CpuMemory| {
        json!({
            "cpu": canonical_quantity(&c.cpu.as_string(), false),
            "memory": canonical_quantity(&c.memory.as_string(), true),
        })
    };
    json!({"requests": cm(requests), "limits": cm(limits)})
}

fn container_security_context() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "capabilities": {"drop": ["ALL"]},
    })
}

fn pod_security_context() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": defaults::RUN_AS_UID,
        "runAsGroup": defaults::RUN_AS_UID,
        "fsGroup": defaults::RUN_AS_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

fn port_value(p: &PortValue) -> Value {
    match p {
        PortValue::Number(n) => json!(n),
        PortValue::Name(s) => json!(s),
    }
}

/// A probe with the platform's default parameters filled in. `None` when
/// the probe is disabled or has no handler.
fn probe_json(p: &Probe) -> Option<Value> {
    if p.enabled == Some(false) {
        return None;
    }
    let mut probe = if let Some(h) = &p.http {
        json!({"httpGet": {"path": h.path, "port": port_value(&h.port)}})
    } else if let Some(t) = &p.tcp {
        json!({"tcpSocket": {"port": port_value(&t.port)}})
    } else if let Some(g) = &p.grpc {
        // The gRPC probe takes a port number only.
        match &g.port {
            PortValue::Number(n) => json!({"grpc": {"port": n}}),
            PortValue::Name(name) => json!({"tcpSocket": {"port": name}}),
        }
    } else if let Some(cmd) = &p.exec {
        json!({"exec": {"command": cmd}})
    } else {
        return None;
    };
    probe["initialDelaySeconds"] = json!(p
        .initial_delay_seconds
        .unwrap_or(defaults::PROBE_INITIAL_DELAY));
    probe["periodSeconds"] = json!(p.period_seconds.unwrap_or(defaults::PROBE_PERIOD));
    probe["timeoutSeconds"] = json!(p.timeout_seconds.unwrap_or(defaults::PROBE_TIMEOUT));
    probe["failureThreshold"] = json!(p
        .failure_threshold
        .unwrap_or(defaults::PROBE_FAILURE_THRESHOLD));
    probe["successThreshold"] = json!(p.success_threshold.unwrap_or(1));
    Some(probe)
}

/// Liveness/readiness/startup for a long-running container. Without explicit
/// probes, a container with ports gets TCP checks on its first port.
fn probes_for(
    probes: Option<&Probes>,
    ports: &[Port],
    long_running: bool,
) -> Vec<(&'static str, Value)> {
    let explicit = probes.cloned().unwrap_or_default();
    let fallback = ports.first().filter(|_| long_running).map(|p| Probe {
        tcp: Some(PortRef {
            port: PortValue::Name(p.name.clone()),
        }),
        ..Probe::default()
    });
    let pick = |p: &Option<Probe>| p.clone().or_else(|| fallback.clone());
    let mut out = Vec::new();
    let liveness = if long_running {
        pick(&explicit.liveness)
    } else {
        explicit.liveness.clone()
    };
    let readiness = if long_running {
        pick(&explicit.readiness)
    } else {
        explicit.readiness.clone()
    };
    if let Some(v) = liveness.as_ref().and_then(probe_json) {
        out.push(("livenessProbe", v));
    }
    if let Some(v) = readiness.as_ref().and_then(probe_json) {
        out.push(("readinessProbe", v));
    }
    if let Some(v) = explicit.startup.as_ref().and_then(probe_json) {
        out.push(("startupProbe", v));
    }
    out
}

fn env_list(
    plain: &std::collections::BTreeMap<String, String>,
    secret_env: &[(String, String, String, bool)],
) -> Vec<Value> {
    let mut env: Vec<(String, Value)> = plain
        .iter()
        .map(|(k, v)| (k.clone(), json!({"name": k, "value": v})))
        .collect();
    for (var, secret, key, optional) in secret_env {
        let mut sel = json!({"name": secret, "key": key});
        if *optional {
            sel["optional"] = json!(true);
        }
        env.push((
            var.clone(),
            json!({"name": var, "valueFrom": {"secretKeyRef": sel}}),
        ));
    }
    env.sort_by(|a, b| a.0.cmp(&b.0));
    env.into_iter().map(|(_, v)| v).collect()
}

fn ports_json(ports: &[Port]) -> Vec<Value> {
    ports
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "containerPort": p.container_port,
                "protocol": p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            })
        })
        .collect()
}

struct PodParts {
    template: Value,
    /// PVCs for a Deployment, or volumeClaimTemplates for a StatefulSet.
    claims: Vec<Value>,
}

fn pod_template(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    platform_hash: &str,
    config_hash: Option<String>,
) -> PodParts {
    let product = ctx.product;
    let c = &w.config;
    let env_defaults = defaults::for_env(ctx.env);
    let image = w.image(product).unwrap_or_default().to_string();
    let pull_policy = env_defaults.image_pull_policy;
    let long_running = c.kind.is_long_running();

    // Volumes: writable /tmp always (read-only root filesystem), then the
    // configured ones.
    let mut volumes = vec![json!({"name": "tmp", "emptyDir": {}})];
    let mut mounts_by_name: Vec<(String, Value)> =
        vec![("tmp".into(), json!({"name": "tmp", "mountPath": "/tmp"}))];
    let mut claims = Vec::new();
    for v in &c.volumes {
        let mut mount = json!({"name": v.name, "mountPath": v.mount_path});
        if let Some(ro) = v.read_only {
            mount["readOnly"] = json!(ro);
        }
        let source = if let Some(e) = &v.empty_dir {
            let mut ed = json!({});
            if let Some(s) = &e.size_limit {
                ed["sizeLimit"] = json!(canonical_quantity(&s.as_string(), true));
            }
            if let Some(m) = &e.medium {
                ed["medium"] = json!(m);
            }
            Some(json!({"emptyDir": ed}))
        } else if let Some(p) = &v.persistent {
            let claim_spec = json!({
                "accessModes": p.access_modes.clone().unwrap_or_else(|| vec!["ReadWriteOnce".into()]),
                "resources": {"requests": {"storage": canonical_quantity(&p.size.as_string(), true)}},
            });
            let mut claim_spec = claim_spec;
            if let Some(sc) = &p.storage_class_name {
                claim_spec["storageClassName"] = json!(sc);
            }
            if c.kind == WorkloadKind::StatefulSet {
                claims.push(json!({"metadata": {"name": v.name}, "spec": claim_spec}));
                None
            } else {
                let claim_name = format!("{}-{}", w.name, v.name);
                claims.push(json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": ctx.metadata(&claim_name, w.component()),
                    "spec": claim_spec,
                }));
                Some(json!({"persistentVolumeClaim": {"claimName": claim_name}}))
            }
        } else if let Some(claim) = &v.claim {
            Some(json!({"persistentVolumeClaim": {"claimName": claim}}))
        } else if let Some(cm) = &v.config_map {
            Some(json!({"configMap": {"name": cm}}))
        } else if let Some(s) = &v.secret {
            Some(json!({"secret": {"secretName": s}}))
        } else {
            v.host_path
                .as_ref()
                .map(|h| json!({"hostPath": {"path": h}}))
        };
        if let Some(Value::Object(src)) = source {
            let mut vol = Map::new();
            vol.insert("name".into(), json!(v.name));
            vol.extend(src);
            volumes.push(Value::Object(vol));
        }
        mounts_by_name.push((v.name.clone(), mount));
    }

    // Secrets: envFrom, files, or single keys as variables.
    let mut env_from = vec![json!({"configMapRef": {"name": PLATFORM_CONFIGMAP}})];
    if let Some(cm) = w.configmap_name() {
        if !c.config.is_empty() {
            env_from.push(json!({"configMapRef": {"name": cm}}));
        }
        if !c.config_files.is_empty() {
            volumes.push(json!({"name": "config-files", "configMap": {"name": cm, "items": c.config_files.keys().map(|k| json!({"key": k, "path": k})).collect::<Vec<_>>()}}));
            let path = c
                .config_mount_path
                .clone()
                .unwrap_or_else(|| "/etc/floe/config".into());
            mounts_by_name.push((
                "config-files".into(),
                json!({"name": "config-files", "mountPath": path, "readOnly": true}),
            ));
        }
    }
    for s in plugin_secret_refs(ctx) {
        env_from.push(json!({"secretRef": {"name": s}}));
    }
    let mut secret_env: Vec<(String, String, String, bool)> = plugin_secret_env(ctx)
        .into_iter()
        .map(|(var, secret, key)| (var, secret, key, false))
        .collect();
    for s in &c.secrets {
        let optional = s.optional.unwrap_or(false);
        if s.env_from == Some(true) {
            let mut r = json!({"name": s.secret});
            if optional {
                r["optional"] = json!(true);
            }
            env_from.push(json!({"secretRef": r}));
        }
        if let Some(path) = &s.mount_path {
            let vol_name = format!("secret-{}", s.secret);
            let mut src = json!({"secretName": s.secret});
            if optional {
                src["optional"] = json!(true);
            }
            volumes.push(json!({"name": vol_name, "secret": src}));
            mounts_by_name.push((
                vol_name.clone(),
                json!({"name": vol_name, "mountPath": path, "readOnly": true}),
            ));
        }
        for (var, key) in &s.env {
            secret_env.push((var.clone(), s.secret.clone(), key.clone(), optional));
        }
    }

    let main_mounts: Vec<Value> = mounts_by_name.iter().map(|(_, m)| m.clone()).collect();
    let (req, lim) = resolve_resources(product, c.resources.as_ref());
    let mut main = json!({
        "name": w.name,
        "image": image,
        "imagePullPolicy": pull_policy,
        "resources": resources_json(&req, &lim),
        "securityContext": container_security_context(),
        "envFrom": env_from,
        "volumeMounts": main_mounts,
    });
    if let Some(cmd) = &c.command {
        main["command"] = json!(cmd);
    }
    if let Some(args) = &c.args {
        main["args"] = json!(args);
    }
    let env = env_list(&c.env, &secret_env);
    if !env.is_empty() {
        main["env"] = Value::Array(env);
    }
    if !c.ports.is_empty() {
        main["ports"] = Value::Array(ports_json(&c.ports));
    }
    for (field, probe) in probes_for(c.probes.as_ref(), &c.ports, long_running) {
        main[field] = probe;
    }

    let extra_container = |x: &ExtraContainer, sidecar: bool| {
        let (req, lim) = resolve_resources(product, x.resources.as_ref());
        let mut mounts = vec![json!({"name": "tmp", "mountPath": "/tmp"})];
        for name in &x.volume_mounts {
            if let Some((_, m)) = mounts_by_name.iter().find(|(n, _)| n == name) {
                mounts.push(m.clone());
            }
        }
        let mut ct = json!({
            "name": x.name,
            "image": x.image.clone().unwrap_or_else(|| image.clone()),
            "imagePullPolicy": pull_policy,
            "resources": resources_json(&req, &lim),
            "securityContext": container_security_context(),
            "volumeMounts": mounts,
        });
        if let Some(cmd) = &x.command {
            ct["command"] = json!(cmd);
        }
        if let Some(args) = &x.args {
            ct["args"] = json!(args);
        }
        let env = env_list(&x.env, &[]);
        if !env.is_empty() {
            ct["env"] = Value::Array(env);
        }
        if !x.ports.is_empty() {
            ct["ports"] = Value::Array(ports_json(&x.ports));
        }
        if sidecar {
            ct["restartPolicy"] = json!("Always");
            for (field, probe) in probes_for(x.probes.as_ref(), &x.ports, true) {
                ct[field] = probe;
            }
        }
        ct
    };
    // Native sidecars start before the plain init containers finish only if
    // listed first; init steps usually need the sidecar (e.g. a proxy).
    let mut init: Vec<Value> = c
        .sidecars
        .iter()
        .map(|x| extra_container(x, true))
        .collect();
    init.extend(c.init_containers.iter().map(|x| extra_container(x, false)));

    let mut spec = json!({
        "serviceAccountName": service_account_name(ctx),
        "securityContext": pod_security_context(),
        "containers": [main],
        "volumes": volumes,
    });
    if !init.is_empty() {
        spec["initContainers"] = Value::Array(init);
    }
    if !c.kind.is_long_running() {
        spec["restartPolicy"] = json!("Never");
    }
    if !c.node_selector.is_empty() {
        spec["nodeSelector"] = string_map(&c.node_selector);
    }
    if !c.tolerations.is_empty() {
        spec["tolerations"] = Value::Array(
            c.tolerations
                .iter()
                .map(|t| {
                    let mut v = json!({"key": t.key, "operator": t.operator.clone().unwrap_or_else(|| if t.value.is_some() { "Equal".into() } else { "Exists".into() })});
                    if let Some(val) = &t.value {
                        v["value"] = json!(val);
                    }
                    if let Some(e) = &t.effect {
                        v["effect"] = json!(e);
                    }
                    v
                })
                .collect(),
        );
    }
    if let Some(a) = affinity_json(ctx, w, &env_defaults) {
        spec["affinity"] = a;
    }

    let mut annotations = Map::new();
    let hash = match config_hash {
        Some(h) => format!("{platform_hash}-{h}"),
        None => platform_hash.to_string(),
    };
    annotations.insert(ANNOTATION_CONFIG_HASH.into(), json!(hash));
    let mut labels = ctx.labels(w.component(), &w.name);
    labels.insert(LABEL_WORKLOAD.into(), json!(w.name));
    PodParts {
        template: json!({
            "metadata": {"labels": labels, "annotations": annotations},
            "spec": spec,
        }),
        claims,
    }
}

fn affinity_json(ctx: &Ctx, w: &EffectiveWorkload, env: &EnvDefaults) -> Option<Value> {
    let a = w.config.affinity.as_ref()?;
    let hard = match a.mode {
        Some(AffinityMode::Hard) => true,
        Some(AffinityMode::Soft) => false,
        None => env.hard_affinity,
    };
    let mut affinity = Map::new();
    if !a.node_labels.is_empty() {
        let exprs: Vec<Value> = a
            .node_labels
            .iter()
            .map(|(k, vals)| json!({"key": k, "operator": "In", "values": vals}))
            .collect();
        let node = if hard {
            json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": exprs}]}})
        } else {
            json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchExpressions": exprs}}]})
        };
        affinity.insert("nodeAffinity".into(), node);
    }
    if a.spread == Some(true) {
        let term = json!({"labelSelector": {"matchLabels": w.selector_labels(ctx)}, "topologyKey": "kubernetes.io/hostname"});
        let anti = if hard {
            json!({"requiredDuringSchedulingIgnoredDuringExecution": [term]})
        } else {
            json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})
        };
        affinity.insert("podAntiAffinity".into(), anti);
    }
    (!affinity.is_empty()).then_some(Value::Object(affinity))
}

/// Every object of one workload.
pub(crate) fn render(ctx: &Ctx, w: &EffectiveWorkload, platform_hash: &str) -> Vec<Value> {
    let c = &w.config;
    let env = defaults::for_env(ctx.env);
    let mut out = Vec::new();

    let mut config_hash = None;
    if let Some(cm_name) = w.configmap_name() {
        let mut data = c.config.clone();
        data.extend(c.config_files.clone());
        let cm = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": ctx.metadata(&cm_name, w.component()),
            "data": string_map(&data),
        });
        config_hash = Some(configmap_hash(&cm));
        out.push(cm);
    }
    let parts = pod_template(ctx, w, platform_hash, config_hash);
    let mut meta = ctx.metadata(&w.name, w.component());
    meta["labels"][LABEL_WORKLOAD] = json!(w.name);
    let selector = json!({"matchLabels": w.selector_labels(ctx)});

    match c.kind {
        WorkloadKind::Deployment => {
            out.extend(parts.claims);
            let rollout = c.rollout.clone().unwrap_or_default();
            let mut spec = json!({
                "selector": selector,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": rollout.max_surge.as_ref().map(IntOrPercent::to_json).unwrap_or(json!(1)),
                        "maxUnavailable": rollout.max_unavailable.as_ref().map(IntOrPercent::to_json).unwrap_or(json!(0)),
                    },
                },
                "progressDeadlineSeconds": rollout.progress_deadline_seconds.unwrap_or(600),
                "revisionHistoryLimit": rollout.revision_history_limit.unwrap_or(10),
                "minReadySeconds": rollout.min_ready_seconds.unwrap_or(0),
                "template": parts.template,
            });
            // With an HPA the autoscaler owns the replica count.
            if c.hpa.is_none() {
                spec["replicas"] = json!(w.replicas(&env));
            }
            if rollout.paused == Some(true) {
                spec["paused"] = json!(true);
            }
            out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}));
        }
        WorkloadKind::StatefulSet => {
            let rollout = c.rollout.clone().unwrap_or_default();
            let mut spec = json!({
                "selector": selector,
                "serviceName": w.name,
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "revisionHistoryLimit": rollout.revision_history_limit.unwrap_or(10),
                "minReadySeconds": rollout.min_ready_seconds.unwrap_or(0),
                "template": parts.template,
            });
            if c.hpa.is_none() {
                spec["replicas"] = json!(w.replicas(&env));
            }
            if !parts.claims.is_empty() {
                spec["volumeClaimTemplates"] = Value::Array(parts.claims);
            }
            out.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": spec}));
        }
        WorkloadKind::Job => {
            out.extend(parts.claims);
            let spec = job_spec(c, parts.template);
            out.push(
                json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}),
            );
        }
        WorkloadKind::CronJob => {
            out.extend(parts.claims);
            let cron = c.cron.clone().unwrap_or_default();
            let schedule = ctx.product.spec.schedule.as_ref();
            let mut job_meta_labels = ctx.labels(w.component(), &w.name);
            job_meta_labels.insert(LABEL_WORKLOAD.into(), json!(w.name));
            let mut spec = json!({
                "schedule": cron.schedule.clone().or_else(|| schedule.and_then(|s| s.cron.clone())).unwrap_or_default(),
                "timeZone": cron.time_zone.clone().or_else(|| schedule.map(|s| s.timezone.clone())).unwrap_or_else(|| "UTC".into()),
                "concurrencyPolicy": cron.concurrency_policy.clone().unwrap_or_else(|| "Forbid".into()),
                "startingDeadlineSeconds": cron.starting_deadline_seconds.unwrap_or(300),
                "successfulJobsHistoryLimit": cron.successful_jobs_history_limit.unwrap_or(3),
                "failedJobsHistoryLimit": cron.failed_jobs_history_limit.unwrap_or(10),
                "jobTemplate": {"metadata": {"labels": job_meta_labels}, "spec": job_spec(c, parts.template)},
            });
            let suspended = cron
                .suspend
                .or_else(|| schedule.map(|s| !s.enabled))
                .unwrap_or(false);
            spec["suspend"] = json!(suspended);
            out.push(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta, "spec": spec}));
        }
    }

    if w.has_service() {
        let ports: Vec<Value> = c
            .ports
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "port": p.service_port.unwrap_or(p.container_port),
                    "targetPort": p.name,
                    "protocol": p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                })
            })
            .collect();
        let mut spec = json!({
            "type": c.service.as_ref().and_then(|s| s.service_type.clone()).unwrap_or_else(|| "ClusterIP".into()),
            "selector": w.selector_labels(ctx),
        });
        if !ports.is_empty() {
            spec["ports"] = Value::Array(ports);
        }
        // A StatefulSet's governing Service is headless: stable pod DNS names.
        if c.kind == WorkloadKind::StatefulSet {
            spec["clusterIP"] = json!("None");
        }
        out.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": ctx.metadata(&w.name, w.component()), "spec": spec}));
    }

    if let (Some(ing), true) = (&c.ingress, w.has_service() && !c.ports.is_empty()) {
        let port_name = ing
            .port
            .clone()
            .or_else(|| c.ports.first().map(|p| p.name.clone()))
            .unwrap_or_default();
        let mut meta = ctx.metadata(&w.name, w.component());
        if !ing.annotations.is_empty() {
            meta["annotations"] = string_map(&ing.annotations);
        }
        let mut spec = json!({
            "rules": [{
                "host": ing.host,
                "http": {"paths": [{
                    "path": ing.path.clone().unwrap_or_else(|| "/".into()),
                    "pathType": "Prefix",
                    "backend": {"service": {"name": w.name, "port": {"name": port_name}}},
                }]},
            }],
        });
        if let Some(class) = &ing.class_name {
            spec["ingressClassName"] = json!(class);
        }
        if let Some(tls) = &ing.tls_secret {
            spec["tls"] = json!([{"hosts": [ing.host], "secretName": tls}]);
        }
        out.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}));
    }

    if let (Some(hpa), true) = (&c.hpa, c.kind.is_long_running()) {
        let mut metrics = Vec::new();
        let cpu = hpa
            .target_cpu_utilization
            .or(if hpa.target_memory_utilization.is_none() {
                Some(80)
            } else {
                None
            });
        if let Some(t) = cpu {
            metrics.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": t}}}));
        }
        if let Some(t) = hpa.target_memory_utilization {
            metrics.push(json!({"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": t}}}));
        }
        out.push(json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": ctx.metadata(&w.name, w.component()),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": c.kind.as_str(), "name": w.name},
                "minReplicas": hpa.min_replicas.unwrap_or_else(|| w.replicas(&env)),
                "maxReplicas": hpa.max_replicas,
                "metrics": metrics,
            },
        }));
    }

    if c.kind.is_long_running() {
        let pdb_on = match &c.pdb {
            Some(p) => p.enabled != Some(false),
            None => env.pdb,
        };
        if pdb_on {
            let mut spec = json!({"selector": {"matchLabels": w.selector_labels(ctx)}});
            let p = c.pdb.clone();
            match p.as_ref().and_then(|p| p.max_unavailable.clone()) {
                Some(mu) => spec["maxUnavailable"] = mu.to_json(),
                None => {
                    spec["minAvailable"] = p
                        .as_ref()
                        .and_then(|p| p.min_available.as_ref().map(IntOrPercent::to_json))
                        .unwrap_or(json!(1))
                }
            }
            out.push(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ctx.metadata(&w.name, w.component()), "spec": spec}));
        }
    }
    out
}

fn job_spec(c: &WorkloadConfig, template: Value) -> Value {
    let job = c.job.clone().unwrap_or_default();
    let mut spec = json!({
        "backoffLimit": job.backoff_limit.unwrap_or(0),
        "ttlSecondsAfterFinished": job.ttl_seconds_after_finished.unwrap_or(86400),
        "activeDeadlineSeconds": job.active_deadline_seconds.unwrap_or(3600),
        "template": template,
    });
    if let Some(n) = job.completions {
        spec["completions"] = json!(n);
    }
    if let Some(n) = job.parallelism {
        spec["parallelism"] = json!(n);
    }
    spec
}

/// The object key of a workload's controller object.
pub(crate) fn workload_key(ctx: &Ctx, w: &EffectiveWorkload) -> ObjectKey {
    let group = match w.config.kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet => "apps",
        WorkloadKind::Job | WorkloadKind::CronJob => "batch",
    };
    ObjectKey::new(group, w.config.kind.as_str(), &ctx.namespace, &w.name)
}

/// `dependsOn` between workloads as `(dependent, dependency)` object keys.
pub(crate) fn explicit_dependencies(
    ctx: &Ctx,
    workloads: &[EffectiveWorkload],
) -> Vec<(ObjectKey, ObjectKey)> {
    let mut out = Vec::new();
    for w in workloads {
        for dep in &w.config.depends_on {
            if let Some(d) = workloads.iter().find(|x| &x.name == dep) {
                out.push((workload_key(ctx, w), workload_key(ctx, d)));
            }
        }
    }
    out
}

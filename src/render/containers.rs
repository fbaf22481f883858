//! The pod's containers: the workload's main container, its native
//! sidecars and its init containers, each with resources, the restricted
//! security context, environment, ports and probes.

use super::container_env::{env_list, EnvSources};
use super::context::cpu_memory_json;
use super::probes::probes_for;
use super::volumes::{tmp_mount, PodVolumes};
use crate::model::effective::{resolve_resources, EffectiveWorkload};
use crate::model::settings::{ExtraContainer, Port, Resources, WorkloadConfig};
use crate::model::Product;
use serde_json::{json, Value};

/// What every container of one pod shares.
pub(super) struct ContainerContext<'a> {
    pub product: &'a Product,
    /// The workload's image; an extra container without its own runs it too.
    pub image: String,
    pub pull_policy: &'static str,
    pub volumes: &'a PodVolumes,
}

/// The fields a container spells the same whichever role it has.
struct ContainerParts<'a> {
    name: &'a str,
    image: String,
    resources: Option<&'a Resources>,
    command: &'a Option<Vec<String>>,
    args: &'a Option<Vec<String>>,
    env: Vec<Value>,
    ports: &'a [Port],
    mounts: Vec<Value>,
}

impl ContainerContext<'_> {
    fn container(&self, parts: ContainerParts) -> Value {
        let (requests, limits) = resolve_resources(self.product, parts.resources);
        let mut ct = json!({
            "name": parts.name,
            "image": parts.image,
            "imagePullPolicy": self.pull_policy,
            "resources": {"requests": cpu_memory_json(&requests), "limits": cpu_memory_json(&limits)},
            "securityContext": container_security_context(),
            "volumeMounts": parts.mounts,
        });
        if let Some(cmd) = parts.command {
            ct["command"] = json!(cmd);
        }
        if let Some(args) = parts.args {
            ct["args"] = json!(args);
        }
        if !parts.env.is_empty() {
            ct["env"] = Value::Array(parts.env);
        }
        if !parts.ports.is_empty() {
            ct["ports"] = Value::Array(ports_json(parts.ports));
        }
        ct
    }

    /// The workload's own container: every volume, every env source.
    pub fn main(&self, w: &EffectiveWorkload, sources: EnvSources) -> Value {
        let c = &w.config;
        let mut main = self.container(ContainerParts {
            name: &w.name,
            image: self.image.clone(),
            resources: c.resources.as_ref(),
            command: &c.command,
            args: &c.args,
            env: env_list(&c.env, &sources.secret_env),
            ports: &c.ports,
            mounts: self.volumes.all_mounts(),
        });
        main["envFrom"] = Value::Array(sources.env_from);
        for (field, probe) in probes_for(c.probes.as_ref(), &c.ports, c.kind.is_long_running()) {
            main[field] = probe;
        }
        main
    }

    /// Sidecars, then init containers. Native sidecars start before the
    /// plain init containers finish only if listed first; init steps
    /// usually need the sidecar (e.g. a proxy).
    pub fn init_containers(&self, c: &WorkloadConfig) -> Vec<Value> {
        let sidecars = c.sidecars.iter().map(|x| self.extra(x, true));
        let steps = c.init_containers.iter().map(|x| self.extra(x, false));
        sidecars.chain(steps).collect()
    }

    /// A sidecar or init container: `/tmp` and the volumes it names.
    fn extra(&self, x: &ExtraContainer, sidecar: bool) -> Value {
        let mut mounts = vec![tmp_mount()];
        mounts.extend(
            x.volume_mounts
                .iter()
                .filter_map(|name| self.volumes.mount_named(name).cloned()),
        );
        let mut ct = self.container(ContainerParts {
            name: &x.name,
            image: x.image.clone().unwrap_or_else(|| self.image.clone()),
            resources: x.resources.as_ref(),
            command: &x.command,
            args: &x.args,
            env: env_list(&x.env, &[]),
            ports: &x.ports,
            mounts,
        });
        if sidecar {
            ct["restartPolicy"] = json!("Always");
            for (field, probe) in probes_for(x.probes.as_ref(), &x.ports, true) {
                ct[field] = probe;
            }
        }
        ct
    }
}

fn container_security_context() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "capabilities": {"drop": ["ALL"]},
    })
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

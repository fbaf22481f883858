//! Every object of one workload: its generated ConfigMap, the controller
//! with its pod template and PVCs, and what routes to or watches it; and
//! the `dependsOn` edges between workloads.

use super::context::{configmap_hash, string_map, Ctx};
use super::controller::controller_objects;
use super::exposure::exposure_objects;
use super::pod::pod_template;
use crate::model::defaults;
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::WorkloadKind;
use crate::object::ObjectKey;
use serde_json::{json, Value};

/// Every object of one workload.
pub(crate) fn render(ctx: &Ctx, w: &EffectiveWorkload, platform_hash: &str) -> Vec<Value> {
    let env = defaults::for_env(ctx.env);
    let mut out = Vec::new();
    let config = workload_configmap(ctx, w);
    let config_hash = config.as_ref().map(configmap_hash);
    out.extend(config);
    let pod = pod_template(ctx, w, platform_hash, config_hash);
    out.extend(controller_objects(ctx, w, &env, pod));
    out.extend(exposure_objects(ctx, w, &env));
    out
}

/// The ConfigMap of the workload's `config` and `configFiles`, if any.
fn workload_configmap(ctx: &Ctx, w: &EffectiveWorkload) -> Option<Value> {
    let name = w.configmap_name()?;
    let mut data = w.config.config.clone();
    data.extend(w.config.config_files.clone());
    Some(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": ctx.metadata(&name, w.component()),
        "data": string_map(&data),
    }))
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

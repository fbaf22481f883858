//! The controller object that runs a workload's pods: a Deployment,
//! StatefulSet, Job or CronJob.

use super::context::Ctx;
use super::pod::{workload_labels, PodParts};
use crate::model::defaults::EnvDefaults;
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::{IntOrPercent, WorkloadConfig, WorkloadKind};
use crate::names::LABEL_WORKLOAD;
use serde_json::{json, Value};

/// The controller, preceded by the PVCs its pods use (a StatefulSet keeps
/// them as volumeClaimTemplates instead).
pub(super) fn controller_objects(
    ctx: &Ctx,
    w: &EffectiveWorkload,
    env: &EnvDefaults,
    pod: PodParts,
) -> Vec<Value> {
    let mut meta = ctx.metadata(&w.name, w.component());
    meta["labels"][LABEL_WORKLOAD] = json!(w.name);
    let selector = json!({"matchLabels": ctx.selector_labels(&w.name)});
    let kind = w.config.kind;
    let (api_version, spec, mut out) = match kind {
        WorkloadKind::Deployment => {
            let spec = deployment_spec(w, env, selector, pod.template);
            ("apps/v1", spec, pod.claims)
        }
        WorkloadKind::StatefulSet => {
            let spec = stateful_set_spec(w, env, selector, pod);
            ("apps/v1", spec, Vec::new())
        }
        WorkloadKind::Job => ("batch/v1", job_spec(&w.config, pod.template), pod.claims),
        WorkloadKind::CronJob => {
            let spec = cron_job_spec(ctx, w, pod.template);
            ("batch/v1", spec, pod.claims)
        }
    };
    out.push(
        json!({"apiVersion": api_version, "kind": kind.as_str(), "metadata": meta, "spec": spec}),
    );
    out
}

fn deployment_spec(
    w: &EffectiveWorkload,
    env: &EnvDefaults,
    selector: Value,
    template: Value,
) -> Value {
    let config = &w.config;
    let rollout = config.rollout.clone().unwrap_or_default();
    let int_or = |v: &Option<IntOrPercent>, default: u32| {
        v.as_ref()
            .map(IntOrPercent::to_json)
            .unwrap_or(json!(default))
    };
    let mut spec = json!({
        "selector": selector,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": int_or(&rollout.max_surge, 1),
                "maxUnavailable": int_or(&rollout.max_unavailable, 0),
            },
        },
        "progressDeadlineSeconds": rollout.progress_deadline_seconds.unwrap_or(600),
        "revisionHistoryLimit": rollout.revision_history_limit.unwrap_or(10),
        "minReadySeconds": rollout.min_ready_seconds.unwrap_or(0),
        "template": template,
    });
    set_replicas(w, env, &mut spec);
    if rollout.paused == Some(true) {
        spec["paused"] = json!(true);
    }
    spec
}

/// With an HPA the autoscaler owns the replica count.
fn set_replicas(w: &EffectiveWorkload, env: &EnvDefaults, spec: &mut Value) {
    if w.config.hpa.is_none() {
        spec["replicas"] = json!(w.replicas(env));
    }
}

fn stateful_set_spec(
    w: &EffectiveWorkload,
    env: &EnvDefaults,
    selector: Value,
    pod: PodParts,
) -> Value {
    let rollout = w.config.rollout.clone().unwrap_or_default();
    let mut spec = json!({
        "selector": selector,
        "serviceName": w.name,
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "revisionHistoryLimit": rollout.revision_history_limit.unwrap_or(10),
        "minReadySeconds": rollout.min_ready_seconds.unwrap_or(0),
        "template": pod.template,
    });
    set_replicas(w, env, &mut spec);
    if !pod.claims.is_empty() {
        spec["volumeClaimTemplates"] = Value::Array(pod.claims);
    }
    spec
}

fn job_spec(config: &WorkloadConfig, template: Value) -> Value {
    let job = config.job.clone().unwrap_or_default();
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

/// Schedule, time zone and suspension default to floe.yaml's `schedule`.
fn cron_job_spec(ctx: &Ctx, w: &EffectiveWorkload, template: Value) -> Value {
    let config = &w.config;
    let cron = config.cron.clone().unwrap_or_default();
    let schedule = ctx.product.spec.schedule.as_ref();
    let suspended = cron
        .suspend
        .or_else(|| schedule.map(|s| !s.enabled))
        .unwrap_or(false);
    json!({
        "schedule": cron.schedule.clone().or_else(|| schedule.and_then(|s| s.cron.clone())).unwrap_or_default(),
        "timeZone": cron.time_zone.clone().or_else(|| schedule.map(|s| s.timezone.clone())).unwrap_or_else(|| "UTC".into()),
        "concurrencyPolicy": cron.concurrency_policy.clone().unwrap_or_else(|| "Forbid".into()),
        "startingDeadlineSeconds": cron.starting_deadline_seconds.unwrap_or(300),
        "successfulJobsHistoryLimit": cron.successful_jobs_history_limit.unwrap_or(3),
        "failedJobsHistoryLimit": cron.failed_jobs_history_limit.unwrap_or(10),
        "jobTemplate": {"metadata": {"labels": workload_labels(ctx, w)}, "spec": job_spec(config, template)},
        "suspend": suspended,
    })
}

//! What a workload's pods say about why it is not coming up, in the
//! cluster's own words: waiting reasons, exit codes, readiness, scheduling.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodCondition};
use serde_json::Value;

/// Waiting reasons that will not fix themselves without a change.
pub const STUCK_REASONS: [&str; 6] = [
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "InvalidImageName",
    "CreateContainerError",
];

/// A label selector string from a workload's `spec.selector.matchLabels`.
pub fn selector_of(live: &Value) -> Option<String> {
    let labels = live.pointer("/spec/selector/matchLabels")?.as_object()?;
    let parts: Vec<String> = labels
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

fn conditions(pod: &Pod) -> impl Iterator<Item = &PodCondition> {
    pod.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
}

/// Init containers first, then the regular ones.
fn container_statuses(pod: &Pod) -> impl Iterator<Item = &ContainerStatus> {
    pod.status.iter().flat_map(|s| {
        s.init_container_statuses
            .iter()
            .flatten()
            .chain(s.container_statuses.iter().flatten())
    })
}

fn unscheduled(c: &PodCondition) -> bool {
    c.type_ == "PodScheduled" && c.status == "False"
}

/// What is wrong with one pod, if anything, as one line per problem.
pub fn pod_problems(pod: &Pod) -> Vec<String> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mut out: Vec<String> = conditions(pod)
        .filter(|c| unscheduled(c))
        .map(|c| {
            format!(
                "pod {name} cannot be scheduled ({}): {}",
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default()
            )
        })
        .collect();
    out.extend(container_statuses(pod).filter_map(|status| container_problem(&name, status)));
    out
}

/// A container that is waiting (beyond creation), exited badly, or runs
/// without being ready.
fn container_problem(pod_name: &str, status: &ContainerStatus) -> Option<String> {
    let state = status.state.as_ref();
    let container = &status.name;
    if let Some(waiting) = state.and_then(|s| s.waiting.as_ref()) {
        let reason = waiting.reason.clone().unwrap_or_default();
        if reason == "ContainerCreating" || reason == "PodInitializing" {
            return None;
        }
        let mut line = format!("pod {pod_name} container {container}: {reason}");
        if let Some(m) = waiting.message.as_ref().filter(|m| !m.is_empty()) {
            line.push_str(&format!(" ({m})"));
        }
        if let Some(t) = status
            .last_state
            .as_ref()
            .and_then(|l| l.terminated.as_ref())
        {
            line.push_str(&format!(
                "; last exit code {} ({})",
                t.exit_code,
                t.reason.clone().unwrap_or_default()
            ));
        }
        Some(line)
    } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        (t.exit_code != 0).then(|| {
            format!(
                "pod {pod_name} container {container} exited with code {} ({})",
                t.exit_code,
                t.reason.clone().unwrap_or_default()
            )
        })
    } else if state.and_then(|s| s.running.as_ref()).is_some() && !status.ready {
        Some(format!(
            "pod {pod_name} container {container} is running but not ready (readiness probe failing)"
        ))
    } else {
        None
    }
}

/// The waiting reason that will not resolve by itself, if a pod has one.
pub fn stuck_reason(pod: &Pod) -> Option<String> {
    let waiting = container_statuses(pod).find_map(|cs| {
        cs.state
            .as_ref()
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            .filter(|reason| STUCK_REASONS.contains(&reason.as_str()))
    });
    waiting.or_else(|| {
        conditions(pod)
            .any(|c| unscheduled(c) && c.reason.as_deref() == Some("Unschedulable"))
            .then(|| "Unschedulable".into())
    })
}

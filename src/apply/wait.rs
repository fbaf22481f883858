//! Waiting on one object: until it is gone, until it is healthy (failing
//! early when its pods cannot recover), until a Service has endpoints.

use super::diagnose;
use super::failure::{api_message, StepFailure};
use super::options::ApplyOptions;
use super::report::{Event, Reporter};
use crate::cluster::Cluster;
use crate::kinds::{Health, Kind, WaitOn};
use crate::plan::Change;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often a workload's pods are looked at while it is progressing.
const POD_CHECK_INTERVAL: Duration = Duration::from_secs(2);

/// A wait on one object.
pub(super) struct Wait<'a> {
    pub cluster: &'a Cluster,
    /// The plan's namespace, where pods and events are looked up.
    pub namespace: &'a str,
    pub change: &'a Change,
    pub kind: &'static dyn Kind,
    pub api: &'a Api<DynamicObject>,
    pub options: &'a ApplyOptions,
    pub reporter: &'a dyn Reporter,
    pub deadline: Instant,
}

/// Pods found stuck: since when, and when they were last looked at.
#[derive(Default)]
struct StuckPods {
    since: Option<Instant>,
    last_check: Option<Instant>,
}

impl Wait<'_> {
    fn report_waiting(&self, message: &str) {
        self.reporter.report(&Event::Waiting {
            address: self.change.address.clone(),
            message: message.to_string(),
        });
    }

    /// Until a deleted object has left the API (finalizers done).
    pub async fn until_gone(&self, cancel: &mut watch::Receiver<bool>) -> Result<(), StepFailure> {
        self.report_waiting("waiting until it is gone");
        loop {
            match self.api.get_opt(&self.change.key.name).await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) => {}
                Err(e) => {
                    return Err(StepFailure::plain(format!(
                        "cannot read: {}",
                        api_message(e)
                    )))
                }
            }
            if Instant::now() >= self.deadline {
                return Err(StepFailure::plain(
                    "still present after the timeout (a finalizer may hold it)",
                ));
            }
            if wait_or_cancel(self.options.poll_interval, cancel).await {
                return Err(StepFailure::plain("interrupted while deleting"));
            }
        }
    }

    /// Until the kind calls the live object healthy.
    pub async fn until_healthy(
        &self,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<(), StepFailure> {
        let mut last_message = String::new();
        let mut stuck = StuckPods::default();
        // Most objects are ready within a moment of being applied; poll soon,
        // then back off to the configured interval.
        let mut interval = Duration::from_millis(100).min(self.options.poll_interval);
        loop {
            let live = self.read_back().await?;
            let message = match self.kind.health(&live) {
                Health::Ready => return Ok(()),
                Health::Failed(reason) => return Err(self.diagnosed(reason, &live).await),
                Health::Progressing(message) => message,
            };
            if message != last_message {
                self.report_waiting(&message);
                last_message = message;
            }
            if let Some(reason) = self.stuck_too_long(&mut stuck, &live).await {
                let reason = format!("pods are stuck: {reason}");
                return Err(self.diagnosed(reason, &live).await);
            }
            if Instant::now() >= self.deadline {
                let reason = format!("not ready before the timeout: {last_message}");
                return Err(self.diagnosed(reason, &live).await);
            }
            if wait_or_cancel(interval, cancel).await {
                return Err(StepFailure::plain(format!(
                    "interrupted while waiting: {last_message}"
                )));
            }
            interval = interval.saturating_mul(2).min(self.options.poll_interval);
        }
    }

    async fn read_back(&self) -> Result<Value, StepFailure> {
        match self.api.get(&self.change.key.name).await {
            Ok(o) => Ok(serde_json::to_value(o).unwrap_or(Value::Null)),
            Err(e) => Err(StepFailure::plain(format!(
                "cannot read it back: {}",
                api_message(e)
            ))),
        }
    }

    /// A failure with what the cluster says about the object.
    async fn diagnosed(&self, reason: String, live: &Value) -> StepFailure {
        let name = &self.change.key.name;
        let diagnosis = diagnose::diagnose(self.cluster, self.namespace, name, live).await;
        StepFailure { reason, diagnosis }
    }

    /// Pods that cannot recover without a change fail the workload early,
    /// with the pod's own reason, once stuck for `fail_fast_after`.
    async fn stuck_too_long(&self, stuck: &mut StuckPods, live: &Value) -> Option<String> {
        let WaitOn::Pods { refusals } = self.kind.wait_on() else {
            return None;
        };
        if stuck
            .last_check
            .is_some_and(|t| t.elapsed() < POD_CHECK_INTERVAL)
        {
            return None;
        }
        stuck.last_check = Some(Instant::now());
        let name = &self.change.key.name;
        let reason = diagnose::stuck_pods(self.cluster, self.namespace, name, live, refusals).await;
        match (&reason, stuck.since) {
            (Some(_), None) => stuck.since = Some(Instant::now()),
            (None, _) => stuck.since = None,
            _ => {}
        }
        let since = stuck.since?;
        reason.filter(|_| since.elapsed() >= self.options.fail_fast_after)
    }

    /// A Service that selects pods is ready once the endpoint controller
    /// lists them: at least one ready endpoint when a selected pod is ready.
    /// Returns the ready endpoint count, or `None` for a Service without a
    /// selector.
    pub async fn until_endpoints(
        &self,
        body: &Value,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<Option<usize>, StepFailure> {
        let Some(selector) = service_selector(body) else {
            return Ok(None);
        };
        let namespace = &self.change.key.namespace;
        let slices: Api<EndpointSlice> = Api::namespaced(self.cluster.client.clone(), namespace);
        let pods: Api<Pod> = Api::namespaced(self.cluster.client.clone(), namespace);
        let by_service = ListParams::default().labels(&format!(
            "kubernetes.io/service-name={}",
            self.change.key.name
        ));
        let by_selector = ListParams::default().labels(&selector);
        loop {
            let listed = slices.list(&by_service).await.map_err(|e| {
                StepFailure::plain(format!("cannot list endpoints: {}", api_message(e)))
            })?;
            let ready = listed
                .items
                .iter()
                .flat_map(|s| s.endpoints.iter())
                .filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false))
                .count();
            let ready_pods = match pods.list(&by_selector).await {
                Ok(list) => list.items.iter().filter(|p| pod_ready(p)).count(),
                Err(_) => 0,
            };
            if !listed.items.is_empty() && (ready > 0 || ready_pods == 0) {
                return Ok(Some(ready));
            }
            if Instant::now() >= self.deadline {
                return Err(StepFailure::plain(format!(
                    "no ready endpoints before the timeout although {ready_pods} selected pod(s) are ready (check the Service's selector and targetPort)"
                )));
            }
            if wait_or_cancel(self.options.poll_interval, cancel).await {
                return Err(StepFailure::plain(
                    "interrupted while waiting for endpoints",
                ));
            }
        }
    }
}

/// A Service's `spec.selector` as a label selector string, when it has one.
fn service_selector(body: &Value) -> Option<String> {
    let selector = body
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())?;
    let parts: Vec<String> = selector
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    Some(parts.join(","))
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Sleeps for `d`; true when cancelled meanwhile.
async fn wait_or_cancel(d: Duration, cancel: &mut watch::Receiver<bool>) -> bool {
    if *cancel.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *cancel.borrow(),
        _ = cancel.changed() => true,
    }
}

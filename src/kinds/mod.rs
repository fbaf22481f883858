//! What floe knows about each Kubernetes kind it manages, one file per kind
//! behind the [`Kind`] trait: how the API addresses it, where it goes in the
//! apply order, when a live object of it is healthy, what a wait for it
//! watches besides its status, and whether pruning it needs a flag.
//!
//! Pure knowledge: nothing here talks to a cluster. Adding a kind is one new
//! file and one line in [`all`].

mod pods;
mod status;

mod config_map;
mod cron_job;
mod deployment;
mod horizontal_pod_autoscaler;
mod ingress;
mod job;
mod limit_range;
mod namespace;
mod network_policy;
mod persistent_volume_claim;
mod pod_disruption_budget;
mod resource_quota;
mod role;
mod role_binding;
mod secret;
mod service;
mod service_account;
mod stateful_set;

pub use pods::{pod_problems, selector_of, stuck_reason, STUCK_REASONS};

use crate::object::ObjectKey;
use serde_json::Value;

/// How the API addresses a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

impl KindInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Readiness of a live object: ready, progressing (with what it waits for)
/// or failed (with why). Timeouts live with whoever waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ready,
    Progressing(String),
    Failed(String),
}

/// What a wait watches besides the object's own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOn {
    /// The status says it all.
    Nothing,
    /// The object's pods: one stuck in a state that needs a change fails the
    /// object early. `refusals` says where pods that were never created
    /// (quota, LimitRange) are reported.
    Pods { refusals: PodRefusals },
    /// The Service's endpoints: ready once the selected ready pods are listed.
    Endpoints,
}

/// Where a workload's controller reports pods admission refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodRefusals {
    /// A `ReplicaFailure` condition on the workload's ReplicaSets.
    ReplicaSetCondition,
    /// A `FailedCreate` warning event on the object itself.
    FailedCreateEvent,
}

/// Why pruning an object of a kind needs the user's explicit consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guardrail {
    /// Deleting it deletes everything in it.
    Namespace,
    /// Deleting it may delete stored data.
    Data,
}

/// One kind floe manages. Only [`Kind::info`] and [`Kind::apply_rank`] must
/// be given; the defaults fit a kind that is ready once the API accepts it.
pub trait Kind: Sync {
    fn info(&self) -> &'static KindInfo;

    /// Tie-break rank when nothing else orders two objects: the order a
    /// person would apply a namespace's objects in. Lower goes first.
    fn apply_rank(&self) -> u8;

    fn health(&self, _live: &Value) -> Health {
        Health::Ready
    }

    /// Share of the work done, for progress displays.
    fn progress(&self, _live: &Value) -> Option<f64> {
        None
    }

    fn wait_on(&self) -> WaitOn {
        WaitOn::Nothing
    }

    /// Whether being healthy is worth saying ("created, ready"): the wait
    /// was for something that takes time (pods running, a namespace active).
    fn reports_ready(&self) -> bool {
        false
    }

    fn delete_guardrail(&self) -> Option<Guardrail> {
        None
    }
}

/// Every kind floe manages, in apply order.
pub fn all() -> &'static [&'static dyn Kind] {
    static KINDS: &[&dyn Kind] = &[
        &namespace::Namespace,
        &resource_quota::ResourceQuota,
        &limit_range::LimitRange,
        &service_account::ServiceAccount,
        &role::Role,
        &role_binding::RoleBinding,
        &secret::Secret,
        &config_map::ConfigMap,
        &persistent_volume_claim::PersistentVolumeClaim,
        &deployment::Deployment,
        &stateful_set::StatefulSet,
        &job::Job,
        &cron_job::CronJob,
        &service::Service,
        &ingress::Ingress,
        &horizontal_pod_autoscaler::HorizontalPodAutoscaler,
        &pod_disruption_budget::PodDisruptionBudget,
        &network_policy::NetworkPolicy,
    ];
    KINDS
}

/// The managed kind of `group` and `kind`.
pub fn of(group: &str, kind: &str) -> Option<&'static dyn Kind> {
    all().iter().copied().find(|k| {
        let info = k.info();
        info.group == group && info.kind == kind
    })
}

/// How the API addresses the managed kind of `group` and `kind`.
pub fn kind_info(group: &str, kind: &str) -> Option<&'static KindInfo> {
    of(group, kind).map(|k| k.info())
}

/// How the API addresses each managed kind, in apply order.
pub fn infos() -> impl Iterator<Item = &'static KindInfo> {
    all().iter().map(|k| k.info())
}

/// The Namespace kind, which floe creates before anything else.
pub fn namespace() -> &'static KindInfo {
    namespace::Namespace.info()
}

/// Whether `key` is an object a product in `namespace` may hold: a kind
/// floe manages, in that namespace, or the namespace itself. Anything else
/// in a plan or a revision did not come from floe.
pub fn in_product_scope(key: &ObjectKey, namespace: &str) -> bool {
    match kind_info(&key.group, &key.kind) {
        Some(info) if info.namespaced => key.namespace == namespace,
        Some(info) => {
            std::ptr::eq(info, self::namespace())
                && key.name == namespace
                && key.namespace.is_empty()
        }
        None => false,
    }
}

/// Rank of a kind no rank is known for: after every known one.
const UNKNOWN_RANK: u8 = 15;

/// The [`Kind::apply_rank`] of a kind by name. A graph may also hold kinds
/// floe does not manage (a ClusterRole a binding names, bare pods): they
/// rank like the managed kind they resemble; anything else goes last.
pub fn apply_rank(kind: &str) -> u8 {
    let ranked_as = match kind {
        "ClusterRole" => "Role",
        "ClusterRoleBinding" => "RoleBinding",
        "DaemonSet" | "ReplicaSet" | "Pod" => "Deployment",
        other => other,
    };
    all()
        .iter()
        .find(|k| k.info().kind == ranked_as)
        .map_or(UNKNOWN_RANK, |k| k.apply_rank())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_registry_and_stay_below_unknown() {
        let ranks: Vec<u8> = all().iter().map(|k| k.apply_rank()).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
        assert!(ranks.iter().all(|&r| r < UNKNOWN_RANK));
        assert_eq!(apply_rank("Job"), apply_rank("Deployment"));
        assert_eq!(apply_rank("ClusterRole"), apply_rank("Role"));
        assert_eq!(apply_rank("Widget"), UNKNOWN_RANK);
    }

    #[test]
    fn lookup_needs_the_group() {
        assert!(of("apps", "Deployment").is_some());
        assert!(of("", "Deployment").is_none());
        assert_eq!(namespace().plural, "namespaces");
        assert_eq!(infos().count(), all().len());
    }
}

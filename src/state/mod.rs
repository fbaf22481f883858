//! What floe remembers in the cluster between runs: the revision history of
//! every apply ([`History`]) and the per-namespace apply lock ([`Lock`]).
//!
//! Both live next to the product they describe (in its namespace) and carry
//! the `floe.dev/internal` label, so the planner never proposes pruning them.

mod history;
pub mod holder;
mod lock;

pub use history::{
    History, Listing, ObjectOutcome, Revision, RevisionMeta, RevisionOutcome, DEFAULT_HISTORY_MAX,
    REVISION_PREFIX,
};
pub use lock::{
    default_holder, lock_holder, unlock, Lock, LockHolder, Unlocked, DEFAULT_LOCK_TTL, LOCK_NAME,
};

use crate::cluster::{Cluster, ClusterError};

/// Label carrying the revision number on every ConfigMap of a revision.
pub const LABEL_REVISION: &str = "floe.dev/revision";
/// Label marking the continuation ConfigMaps of a large revision ("2", "3", ...).
pub const LABEL_REVISION_PART: &str = "floe.dev/revision-part";
/// `floe.dev/internal` value of revision ConfigMaps.
pub const INTERNAL_REVISION: &str = "revision";
/// `floe.dev/internal` value of the lock Lease.
pub const INTERNAL_LOCK: &str = "lock";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("the cluster rejected {what}")]
    Rejected {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "namespace {namespace} is locked by {holder} since {since} (until {expires} unless renewed)"
    )]
    Locked {
        namespace: String,
        holder: String,
        since: String,
        expires: String,
    },
    #[error("the lock on namespace {namespace} is no longer ours: it is held by {holder}")]
    LockLost { namespace: String, holder: String },
    #[error("revision {number} not found")]
    NotFound { number: u64 },
    #[error("revision {number} is corrupt: {reason}")]
    Corrupt { number: u64, reason: String },
    /// The stored desired set no longer matches the checksum written with
    /// it: someone changed the record, and it is never applied.
    #[error("revision {number} was modified after floe recorded it: its desired set does not match its checksum; it is not applied")]
    Modified { number: u64 },
    #[error("cannot encode the desired set of the revision")]
    Encode(#[source] std::io::Error),
}

/// 401/403 and transport failures become the cluster module's errors (with its
/// hints); any other API answer is about our request, so keep it as such
/// rather than calling the cluster unreachable.
fn api_error(cluster: &Cluster, err: kube::Error, what: &str) -> StateError {
    match err {
        kube::Error::Api(status) if status.code != 401 && status.code != 403 => {
            StateError::Rejected {
                what: what.to_string(),
                source: kube::Error::Api(status),
            }
        }
        other => StateError::Cluster(cluster.classify(other, what)),
    }
}

fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// Now, to the second, in RFC 3339 UTC ("2026-11-25T20:12:09Z").
fn now_rfc3339() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

/// `$USER@hostname`: who is at the keyboard, when the cluster cannot say.
pub fn local_user() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("{user}@{}", hostname())
}

fn hostname() -> String {
    let from_file = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    std::env::var("HOSTNAME")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| from_file("/proc/sys/kernel/hostname"))
        .or_else(|| from_file("/etc/hostname"))
        .unwrap_or_else(|| "unknown-host".into())
}

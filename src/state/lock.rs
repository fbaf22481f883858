//! The apply lock: a `coordination.k8s.io/v1` Lease named `floe-lock` in the
//! product's namespace, so two applies of one product and environment never
//! interleave.
//!
//! Taking over an expired lease and renewing both replace the Lease with the
//! resourceVersion that was read: if anyone else wrote it in between, the API
//! server refuses, so two contenders can never both believe they hold it.
//!
//! A lease that looks expired by the renewTime its holder wrote (with the
//! holder's clock) is not taken at once: this process first watches it stay
//! unchanged (same resourceVersion) for its whole duration on its own
//! monotonic clock, as client-go's leader election does, so a holder whose
//! clock is behind ours is never mistaken for a dead one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use tokio::task::JoinHandle;

use super::{api_error, holder, local_user, status_code, StateError, INTERNAL_LOCK};
use crate::cluster::Cluster;
use crate::names::{FIELD_MANAGER, LABEL_INTERNAL, LABEL_MANAGED_BY, MANAGED_BY};

/// Name of the Lease in the product's namespace.
pub const LOCK_NAME: &str = "floe-lock";
/// How long a lease stays valid without renewal.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(60);

/// Identity written into the lease: `alice@host (pid 123)`, so whoever finds
/// the namespace locked knows whom to ask, and on which machine to look.
pub fn default_holder() -> String {
    format!("{} (pid {})", local_user(), std::process::id())
}

/// A held lock. Call [`Lock::renew`] well within the TTL (or let
/// [`Lock::renew_in_background`] do it) and [`Lock::release`] at the end.
/// Dropping it without releasing leaves the lease to expire after its TTL.
pub struct Lock {
    shared: Arc<Shared>,
    renewer: Option<JoinHandle<()>>,
    /// The holder whose lease was taken over because its process is gone.
    taken_from: Option<String>,
}

struct Shared {
    cluster: Cluster,
    namespace: String,
    holder: String,
    ttl: Duration,
    /// Of our last write: renewing with it proves nobody wrote in between.
    resource_version: Mutex<String>,
    /// Why background renewal stopped, if it did.
    renew_error: Mutex<Option<String>>,
}

impl Lock {
    /// Takes the lock on `namespace` for `holder`, or fails at once with
    /// [`StateError::Locked`] naming the current holder. An expired lease is
    /// taken over.
    pub async fn acquire(
        cluster: &Cluster,
        namespace: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Lock, StateError> {
        let api: Api<Lease> = Api::namespaced(cluster.client.clone(), namespace);
        let what = format!("taking the lock {namespace}/{LOCK_NAME}");
        // Bounded: each round means the lease changed under us (deleted or
        // taken over by someone else), and the next read settles it.
        for _ in 0..5 {
            let now = Timestamp::now();
            let fresh = lease(namespace, holder, ttl, now, None);
            match api.create(&post_params(), &fresh).await {
                Ok(created) => return Ok(Lock::held(cluster, namespace, holder, ttl, &created)),
                Err(e) if status_code(&e) == Some(409) => {}
                Err(e) => return Err(api_error(cluster, e, &what)),
            }
            let Some(current) = api
                .get_opt(LOCK_NAME)
                .await
                .map_err(|e| api_error(cluster, e, &what))?
            else {
                continue; // released between our create and get
            };
            let dead = holder_is_dead(&current);
            if !dead && expiry(&current).is_some_and(|t| t > now) {
                return Err(locked(namespace, &current));
            }
            // It looks expired by the holder's clock, which may be behind
            // ours: judge by our own clock whether anyone still writes it.
            // A holder that is provably dead writes nothing more; the
            // conditional replace below proves it did not write since.
            let current = if dead {
                current
            } else {
                match unchanged_for_its_duration(&api, current, cluster, &what).await? {
                    Some(current) => current,
                    None => continue,
                }
            };
            let mut takeover = lease(
                namespace,
                holder,
                ttl,
                now,
                current.metadata.resource_version.clone(),
            );
            if let Some(spec) = takeover.spec.as_mut() {
                // Kubernetes counts hand-overs; keep the convention.
                let transitions = current
                    .spec
                    .as_ref()
                    .and_then(|s| s.lease_transitions)
                    .unwrap_or(0);
                spec.lease_transitions = Some(transitions + 1);
            }
            match api.replace(LOCK_NAME, &post_params(), &takeover).await {
                Ok(taken) => {
                    let mut lock = Lock::held(cluster, namespace, holder, ttl, &taken);
                    lock.taken_from = dead.then(|| holder_of(&current));
                    return Ok(lock);
                }
                Err(e) if matches!(status_code(&e), Some(409) | Some(404)) => {}
                Err(e) => return Err(api_error(cluster, e, &what)),
            }
        }
        // Still contended after several rounds: report whoever holds it now.
        match api
            .get_opt(LOCK_NAME)
            .await
            .map_err(|e| api_error(cluster, e, &what))?
        {
            Some(current) => Err(locked(namespace, &current)),
            None => Err(StateError::Locked {
                namespace: namespace.to_string(),
                holder: "(contended)".into(),
                since: "now".into(),
                expires: "unknown".into(),
            }),
        }
    }

    fn held(
        cluster: &Cluster,
        namespace: &str,
        holder: &str,
        ttl: Duration,
        lease: &Lease,
    ) -> Lock {
        Lock {
            shared: Arc::new(Shared {
                cluster: cluster.clone(),
                namespace: namespace.to_string(),
                holder: holder.to_string(),
                ttl,
                resource_version: Mutex::new(
                    lease.metadata.resource_version.clone().unwrap_or_default(),
                ),
                renew_error: Mutex::new(None),
            }),
            renewer: None,
            taken_from: None,
        }
    }

    /// Whom the lock was taken from at once because that process is gone
    /// from this machine (a crashed apply), if so.
    pub fn taken_from(&self) -> Option<&str> {
        self.taken_from.as_deref()
    }

    pub fn holder(&self) -> &str {
        &self.shared.holder
    }

    pub fn namespace(&self) -> &str {
        &self.shared.namespace
    }

    /// Extends the lease by its TTL from now. Fails with
    /// [`StateError::LockLost`] when someone else took it over (after it
    /// expired, or through `floe unlock`).
    pub async fn renew(&self) -> Result<(), StateError> {
        self.shared.renew().await
    }

    /// Renews every third of the TTL until the lock is released or dropped.
    /// Renewal stops at the first failure; [`Lock::renewal_error`] says why.
    pub fn renew_in_background(&mut self) {
        if self.renewer.is_some() {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let period = (shared.ttl / 3).max(Duration::from_millis(200));
        self.renewer = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(period).await;
                if let Err(e) = shared.renew().await {
                    if let Ok(mut slot) = shared.renew_error.lock() {
                        *slot = Some(e.to_string());
                    }
                    return;
                }
            }
        }));
    }

    /// Why background renewal stopped; `None` while it is healthy.
    pub fn renewal_error(&self) -> Option<String> {
        self.shared.renew_error.lock().ok().and_then(|e| e.clone())
    }

    /// Deletes the lease if it is still ours. When it is not (taken over after
    /// expiring, or force-unlocked) it is left alone and
    /// [`StateError::LockLost`] says who holds it.
    pub async fn release(mut self) -> Result<(), StateError> {
        if let Some(task) = self.renewer.take() {
            task.abort();
        }
        let s = &self.shared;
        let api: Api<Lease> = Api::namespaced(s.cluster.client.clone(), &s.namespace);
        let what = format!("releasing the lock {}/{LOCK_NAME}", s.namespace);
        // Ours only if nobody wrote it since our last write: the holder's
        // name alone cannot tell our lease from a takeover by the same name.
        let ours = s
            .resource_version
            .lock()
            .map(|rv| rv.clone())
            .unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: Some(ours),
                uid: None,
            }),
            ..Default::default()
        };
        match api.delete(LOCK_NAME, &params).await {
            Ok(_) => Ok(()),
            Err(e) if status_code(&e) == Some(404) => Ok(()),
            Err(e) if status_code(&e) == Some(409) => {
                let holder = match api.get_opt(LOCK_NAME).await {
                    Ok(Some(current)) => holder_of(&current),
                    _ => "someone else".into(),
                };
                Err(StateError::LockLost {
                    namespace: s.namespace.clone(),
                    holder,
                })
            }
            Err(e) => Err(api_error(&s.cluster, e, &what)),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(task) = self.renewer.take() {
            task.abort();
        }
    }
}

impl Shared {
    async fn renew(&self) -> Result<(), StateError> {
        let api: Api<Lease> = Api::namespaced(self.cluster.client.clone(), &self.namespace);
        let what = format!("renewing the lock {}/{LOCK_NAME}", self.namespace);
        let lost = |holder: String| StateError::LockLost {
            namespace: self.namespace.clone(),
            holder,
        };
        let Some(mut current) = api
            .get_opt(LOCK_NAME)
            .await
            .map_err(|e| api_error(&self.cluster, e, &what))?
        else {
            return Err(lost("nobody (the lease was deleted)".into()));
        };
        let holder = holder_of(&current);
        let ours = self
            .resource_version
            .lock()
            .map(|rv| current.metadata.resource_version.as_deref() == Some(rv.as_str()))
            .unwrap_or(false);
        // The holder name alone cannot tell our lease from a takeover by the
        // same identity (another run after ours expired); our last write's
        // resourceVersion can.
        if holder != self.holder || !ours {
            return Err(lost(holder));
        }
        if let Some(spec) = current.spec.as_mut() {
            spec.renew_time = Some(MicroTime(Timestamp::now()));
            spec.lease_duration_seconds = Some(ttl_seconds(self.ttl));
        }
        match api.replace(LOCK_NAME, &post_params(), &current).await {
            Ok(renewed) => {
                if let Ok(mut rv) = self.resource_version.lock() {
                    *rv = renewed.metadata.resource_version.unwrap_or_default();
                }
                Ok(())
            }
            Err(e) if matches!(status_code(&e), Some(409) | Some(404)) => Err(lost(
                "someone else (the lease changed while renewing)".into(),
            )),
            Err(e) => Err(api_error(&self.cluster, e, &what)),
        }
    }
}

/// The lease as it stands after watching it for its own duration on this
/// process's monotonic clock (client-go's leader-election rule): `Ok(None)`
/// when it changed or went away meanwhile (its holder is alive, or it was
/// released: look again), `Ok(Some(lease))` when nobody wrote it.
async fn unchanged_for_its_duration(
    api: &Api<Lease>,
    observed: Lease,
    cluster: &Cluster,
    what: &str,
) -> Result<Option<Lease>, StateError> {
    let seconds = observed
        .spec
        .as_ref()
        .and_then(|s| s.lease_duration_seconds)
        .unwrap_or(0);
    let duration = Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    let started = std::time::Instant::now();
    let poll = (duration / 4).clamp(Duration::from_millis(100), Duration::from_secs(2));
    while started.elapsed() < duration {
        tokio::time::sleep(poll).await;
        let now = api
            .get_opt(LOCK_NAME)
            .await
            .map_err(|e| api_error(cluster, e, what))?;
        let same = now.as_ref().map(|l| &l.metadata.resource_version)
            == Some(&observed.metadata.resource_version);
        if !same {
            return Ok(None);
        }
    }
    Ok(Some(observed))
}

/// Who holds the lock on a namespace, as `floe unlock` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub holder: String,
    /// The last renewal (or acquisition), RFC 3339 to the second.
    pub renewed: String,
    /// Whether it was renewed within its duration (by this machine's clock).
    pub live: bool,
}

/// The lock on `namespace`, if there is one.
pub async fn lock_holder(
    cluster: &Cluster,
    namespace: &str,
) -> Result<Option<LockHolder>, StateError> {
    let api: Api<Lease> = Api::namespaced(cluster.client.clone(), namespace);
    let what = format!("reading the lock {namespace}/{LOCK_NAME}");
    let lease = api
        .get_opt(LOCK_NAME)
        .await
        .map_err(|e| api_error(cluster, e, &what))?;
    Ok(lease.map(|lease| {
        let renewed = lease
            .spec
            .as_ref()
            .and_then(|s| s.renew_time.as_ref().or(s.acquire_time.as_ref()))
            .map(|t| second(t.0))
            .unwrap_or_else(|| "(never)".into());
        LockHolder {
            holder: holder_of(&lease),
            renewed,
            live: expiry(&lease).is_some_and(|t| t > Timestamp::now()),
        }
    }))
}

/// What `floe unlock` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlocked {
    /// There was no lock.
    NotLocked,
    /// The lock was removed; it was held by `holder`.
    Removed { holder: String },
}

/// Removes the lock on `namespace` (`floe unlock`). A lease that is still
/// live (renewed within its duration) is refused with
/// [`StateError::Locked`] unless `force`; the delete is conditional on the
/// lease read, so a renewal landing meanwhile is not swept away.
pub async fn unlock(
    cluster: &Cluster,
    namespace: &str,
    force: bool,
) -> Result<Unlocked, StateError> {
    let api: Api<Lease> = Api::namespaced(cluster.client.clone(), namespace);
    let what = format!("removing the lock {namespace}/{LOCK_NAME}");
    let Some(current) = api
        .get_opt(LOCK_NAME)
        .await
        .map_err(|e| api_error(cluster, e, &what))?
    else {
        return Ok(Unlocked::NotLocked);
    };
    if !force && expiry(&current).is_some_and(|t| t > Timestamp::now()) {
        return Err(locked(namespace, &current));
    }
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            resource_version: current.metadata.resource_version.clone(),
            uid: current.metadata.uid.clone(),
        }),
        ..Default::default()
    };
    match api.delete(LOCK_NAME, &params).await {
        Ok(_) => Ok(Unlocked::Removed {
            holder: holder_of(&current),
        }),
        Err(e) if status_code(&e) == Some(404) => Ok(Unlocked::NotLocked),
        Err(e) if status_code(&e) == Some(409) => Err(StateError::LockLost {
            namespace: namespace.to_string(),
            holder: "someone who renewed it just now".into(),
        }),
        Err(e) => Err(api_error(cluster, e, &what)),
    }
}

fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..Default::default()
    }
}

fn ttl_seconds(ttl: Duration) -> i32 {
    i32::try_from(ttl.as_secs().max(1)).unwrap_or(i32::MAX)
}

fn lease(
    namespace: &str,
    holder: &str,
    ttl: Duration,
    now: Timestamp,
    resource_version: Option<String>,
) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(LOCK_NAME.to_string()),
            namespace: Some(namespace.to_string()),
            resource_version,
            labels: Some(BTreeMap::from([
                (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
                (LABEL_INTERNAL.to_string(), INTERNAL_LOCK.to_string()),
            ])),
            annotations: Some(
                holder::machine()
                    .map(|m| (holder::ANNOTATION_MACHINE.to_string(), m))
                    .into_iter()
                    .chain([(
                        holder::ANNOTATION_PID.to_string(),
                        std::process::id().to_string(),
                    )])
                    .collect(),
            ),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.to_string()),
            lease_duration_seconds: Some(ttl_seconds(ttl)),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            ..Default::default()
        }),
    }
}

/// Whether the lease's holder ran on this machine and is gone.
fn holder_is_dead(lease: &Lease) -> bool {
    let annotation = |key: &str| {
        lease
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    };
    holder::provably_dead(
        annotation(holder::ANNOTATION_MACHINE),
        annotation(holder::ANNOTATION_PID),
    )
}

fn holder_of(lease: &Lease) -> String {
    lease
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.clone())
        .unwrap_or_else(|| "(unknown)".into())
}

/// When the lease runs out: last renewal (or acquisition) plus its duration.
/// `None` (no times recorded) counts as expired.
fn expiry(lease: &Lease) -> Option<Timestamp> {
    let spec = lease.spec.as_ref()?;
    let last = spec.renew_time.as_ref().or(spec.acquire_time.as_ref())?;
    let seconds = i64::from(spec.lease_duration_seconds.unwrap_or(0));
    last.0.checked_add(SignedDuration::from_secs(seconds)).ok()
}

fn locked(namespace: &str, lease: &Lease) -> StateError {
    let since = lease
        .spec
        .as_ref()
        .and_then(|s| s.acquire_time.as_ref().or(s.renew_time.as_ref()))
        .map(|t| second(t.0))
        .unwrap_or_else(|| "(unknown)".into());
    StateError::Locked {
        namespace: namespace.to_string(),
        holder: holder_of(lease),
        since,
        expires: expiry(lease)
            .map(second)
            .unwrap_or_else(|| "(unknown)".into()),
    }
}

/// RFC 3339 to the second: microseconds are noise in an error message.
fn second(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

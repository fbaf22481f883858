//! Computing a plan against a live cluster: one LIST per kind (label
//! selected), server-side apply dry runs with bounded concurrency (skipped
//! where the live object proves nothing would change), a comparison of the
//! normalised live object with the dry run's result, the prunes with their
//! guardrails, and the order of the dependency graph.

use super::adopt::{self, ADOPT_FLAG};
use super::dry_run::{dry_run, DryRun};
use super::normalize::normalize;
use super::observe::{observe, read_one, LiveSet};
use super::redact::{self, redact};
use super::sensitive::Sensitive;
use super::unchanged::provably_unchanged;
use super::{
    Action, BoundOptions, Change, ClusterIdentity, Edge, Plan, PlanError, Summary, FORMAT_VERSION,
};
use crate::cluster::Cluster;
use crate::graph::Graph;
use crate::kinds::{self, Guardrail};
use crate::object::{Object, ObjectKey};
use crate::render::DesiredSet;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Dry runs in flight at once.
    pub concurrency: usize,
    /// Allow pruning a Namespace.
    pub allow_prune_namespace: bool,
    /// Allow pruning PVCs and StatefulSets (data goes with them).
    pub allow_prune_data: bool,
    /// Allow pruning more than `max_prune_share` of the owned objects.
    pub allow_mass_prune: bool,
    pub max_prune_share: f64,
    /// Dry-run every object, even those the live state proves unchanged.
    pub dry_run_all: bool,
    /// Allow taking over desired objects that exist in the cluster without
    /// floe's labels for the product.
    pub adopt: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            concurrency: 16,
            allow_prune_namespace: false,
            allow_prune_data: false,
            allow_mass_prune: false,
            max_prune_share: 0.5,
            dry_run_all: false,
            adopt: false,
        }
    }
}

impl PlanOptions {
    /// The options a saved plan is bound to.
    pub fn bound(&self) -> BoundOptions {
        BoundOptions {
            allow_prune_namespace: self.allow_prune_namespace,
            adopt: self.adopt,
            allow_prune_data: self.allow_prune_data,
            allow_mass_prune: self.allow_mass_prune,
            max_prune_share: self.max_prune_share,
        }
    }

    /// These options with the ones a saved plan was made with.
    pub fn with_bound(self, bound: &BoundOptions) -> PlanOptions {
        PlanOptions {
            allow_prune_namespace: bound.allow_prune_namespace,
            adopt: bound.adopt,
            allow_prune_data: bound.allow_prune_data,
            allow_mass_prune: bound.allow_mass_prune,
            max_prune_share: bound.max_prune_share,
            ..self
        }
    }
}

/// Refuses a namespace another product (or environment) owns: floe's
/// namespace-wide objects have fixed names and would flip-flop.
fn check_namespace_owner(desired: &DesiredSet, live: &LiveSet) -> Result<(), PlanError> {
    let product = format!("{} ({})", desired.product, desired.environment);
    match &live.namespace_owner {
        Some(owner) if *owner != product => Err(PlanError::NamespaceTaken {
            namespace: desired.namespace.clone(),
            owner: owner.clone(),
            product,
        }),
        _ => Ok(()),
    }
}

/// Computes the plan for `desired` against the cluster.
pub async fn plan(
    cluster: &Cluster,
    desired: &DesiredSet,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let kube_system_uid = cluster.identity().await?;
    let live = observe(cluster, desired).await?;
    check_namespace_owner(desired, &live)?;
    let salt = redact::salt(&kube_system_uid, &desired.namespace);
    let probes = dry_runs(cluster, desired, &live, options).await?;
    let mut changes: HashMap<ObjectKey, Change> = HashMap::new();
    let mut blocked = Vec::new();
    for (object, probe) in desired.objects.iter().zip(probes) {
        let adopting = probe.existing.is_some();
        let mut change = desired_change(object, live.objects.get(&object.key()), probe, &salt);
        if adopting && !options.adopt {
            blocked.push(adopt::blocked_text(&change));
            change.requires_flag = Some(ADOPT_FLAG.to_string());
        } else if let Some(flag) = replace_flag(object, &change, options) {
            blocked.push(format!(
                "{} would be replaced, deleting its data: pass {flag} to allow it",
                change.address
            ));
            change.requires_flag = Some(flag);
        }
        changes.insert(change.key.clone(), change);
    }
    let prune = prunable(desired, &live);
    let mass = is_mass_prune(prune.len(), live.objects.len(), options);
    let (deletes, prune_blocked) = prune_changes(&prune, mass, options, &salt);
    blocked.extend(prune_blocked);
    changes.extend(deletes.into_iter().map(|c| (c.key.clone(), c)));
    let graph = Graph::build(&desired.objects, &prune, &desired.extra_dependencies)?;
    let cluster = ClusterIdentity {
        server: cluster.server.clone(),
        kube_system_uid,
    };
    Ok(assemble(desired, cluster, &graph, changes, blocked))
}

/// What the cluster said about one desired object: its dry run (`None`
/// when none could be made), and the object as it exists when floe does
/// not own it (one to adopt).
#[derive(Default)]
struct Probe {
    dry: Option<DryRun>,
    existing: Option<Value>,
}

/// One dry run per desired object, bounded, in the desired set's order.
/// Without the namespace nothing namespaced can be dry-run: no dry run, a
/// create of exactly what floe renders. An object floe does not own is
/// read only when its dry run shows that it exists, so a plan pays for
/// adoptions alone, never for creates.
async fn dry_runs(
    cluster: &Cluster,
    desired: &DesiredSet,
    live: &LiveSet,
    options: &PlanOptions,
) -> Result<Vec<Probe>, PlanError> {
    let results: Vec<(usize, Probe)> = stream::iter(desired.objects.iter().enumerate())
        .map(|(i, object)| {
            let key = object.key();
            let live_object = live.objects.get(&key);
            let skip = !live.namespace_exists && live_object.is_none();
            let unchanged = live_object
                .is_some_and(|l| !options.dry_run_all && provably_unchanged(&object.body, l));
            let foreign = live.foreign.get(&key).cloned();
            async move {
                if skip {
                    return Ok::<_, PlanError>((i, Probe::default()));
                }
                if unchanged {
                    let dry = Some(DryRun::Unchanged);
                    return Ok((
                        i,
                        Probe {
                            dry,
                            existing: None,
                        },
                    ));
                }
                let dry = dry_run(cluster, object).await?;
                let existing = match (live_object, foreign) {
                    (Some(_), _) => None,
                    (None, Some(known)) => Some(known),
                    (None, None) if dry.shows_existing() => read_one(cluster, &key).await?,
                    (None, None) => None,
                };
                let dry = Some(dry);
                Ok((i, Probe { dry, existing }))
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect()
        .await?;
    let mut ordered: Vec<Probe> = (0..desired.objects.len())
        .map(|_| Probe::default())
        .collect();
    for (i, result) in results {
        ordered[i] = result;
    }
    Ok(ordered)
}

/// The change of one desired object, from its owned live state (`live`)
/// and what the cluster said about it.
fn desired_change(object: &Object, live: Option<&Value>, probe: Probe, salt: &str) -> Change {
    let existing = probe.existing.as_ref();
    let seen = live.or(existing);
    let before = seen.map(|v| redact(&normalize(v), salt));
    let mut change = change_of(object, seen, Action::Create);
    let sent = || Some(redact(&object.body, salt));
    let served = |v: &Value| Some(redact(&normalize(v), salt));
    (change.action, change.after) = match probe.dry {
        None => (Action::Create, sent()),
        Some(DryRun::Immutable(reason)) => {
            change.replace_reason = Some(reason);
            (Action::Replace, sent())
        }
        // Gone again between the dry run and the read: a create.
        Some(DryRun::Result(v)) | Some(DryRun::Conflicts(_, v)) if seen.is_none() => {
            (Action::Create, served(&v))
        }
        Some(DryRun::Unchanged) => (Action::NoOp, before.clone()),
        Some(DryRun::Result(v)) if existing.is_some() => (Action::Adopt, served(&v)),
        Some(DryRun::Result(v)) => {
            let after = served(&v);
            let same = after == before;
            (if same { Action::NoOp } else { Action::Update }, after)
        }
        Some(DryRun::Conflicts(conflicts, v)) => {
            change.drift = conflicts;
            let action = match existing {
                Some(_) => Action::Adopt,
                None => Action::Update,
            };
            (action, served(&v))
        }
    };
    change.actions = steps_of(change.action);
    change.other_managers = existing.map(adopt::other_managers).unwrap_or_default();
    // A replace's `after` is what floe sends, without the fields the
    // server fills in on create; showing those as removals would bury
    // the field that forces the replace.
    change.before = match (change.action, &change.after) {
        (Action::Replace, Some(after)) => before.map(|b| restrict_to(after, &b)),
        _ => before,
    };
    change.desired = sent();
    change
}

/// Owned live objects no longer desired. A namespace is only ever pruned
/// with its product, never because the settings moved the product elsewhere.
fn prunable(desired: &DesiredSet, live: &LiveSet) -> Vec<Object> {
    let desired_keys: HashSet<ObjectKey> = desired.objects.iter().map(Object::key).collect();
    live.objects
        .iter()
        .filter(|(k, _)| !desired_keys.contains(*k))
        .filter_map(|(_, v)| Object::from_value(v.clone()))
        .filter(|o| o.kind != "Namespace" || o.name == desired.namespace)
        .collect()
}

/// Whether pruning `pruned` of `owned` objects is a mass prune.
fn is_mass_prune(pruned: usize, owned: usize, options: &PlanOptions) -> bool {
    let share = pruned as f64 / owned.max(1) as f64;
    share > options.max_prune_share && pruned > 1
}

/// The deletes, each with the flag it needs when a guardrail holds it
/// back (`mass`: the mass-prune guard applies), and the blocked ones
/// spelled out for people.
pub(super) fn prune_changes(
    prune: &[Object],
    mass: bool,
    options: &PlanOptions,
    salt: &str,
) -> (Vec<Change>, Vec<String>) {
    let mut blocked = Vec::new();
    let deletes = prune
        .iter()
        .map(|object| {
            let mut change = change_of(object, Some(&object.body), Action::Delete);
            change.before = Some(redact(&normalize(&object.body), salt));
            change.requires_flag = required_flag(object, mass, options);
            if let Some(flag) = &change.requires_flag {
                blocked.push(format!(
                    "{} would be destroyed: pass {flag} to allow it",
                    change.address
                ));
            }
            change
        })
        .collect();
    (deletes, blocked)
}

/// The flag a replace of `object` needs: a replace deletes the object
/// first, so a kind that holds data is guarded as on a prune.
fn replace_flag(object: &Object, change: &Change, options: &PlanOptions) -> Option<String> {
    let guardrail = kinds::of(object.group(), &object.kind).and_then(|k| k.delete_guardrail());
    let data = guardrail == Some(Guardrail::Data);
    (change.action == Action::Replace && data && !options.allow_prune_data)
        .then(|| "--allow-prune-data".to_string())
}

/// The flag a prune of `object` needs: its kind's guardrail, or the mass
/// prune guard.
fn required_flag(object: &Object, mass: bool, options: &PlanOptions) -> Option<String> {
    let guardrail = kinds::of(object.group(), &object.kind).and_then(|k| k.delete_guardrail());
    let flag = match guardrail {
        Some(Guardrail::Namespace) if !options.allow_prune_namespace => "--allow-prune-namespace",
        Some(Guardrail::Data) if !options.allow_prune_data => "--allow-prune-data",
        _ if mass && !options.allow_mass_prune => "--allow-mass-prune",
        _ => return None,
    };
    Some(flag.to_string())
}

/// The plan: changes in the graph's order (applies in dependency order,
/// deletes in reverse), its edges, and a warning per reference to an object
/// floe does not manage.
pub(super) fn assemble(
    desired: &DesiredSet,
    cluster: ClusterIdentity,
    graph: &Graph,
    mut changes: HashMap<ObjectKey, Change>,
    blocked: Vec<String>,
) -> Plan {
    let ordered: Vec<Change> = graph
        .order()
        .iter()
        .filter_map(|node| changes.remove(&node.key))
        .collect();
    let edges = graph
        .edges()
        .iter()
        .map(|e| Edge {
            from: e.from.key.to_string(),
            to: e.to.key.to_string(),
            reason: e.reason_text(),
        })
        .collect();
    Plan {
        format_version: FORMAT_VERSION,
        product: desired.product.clone(),
        product_version: desired.version.clone(),
        environment: desired.environment.as_str().to_string(),
        namespace: desired.namespace.clone(),
        cluster,
        desired_digest: desired.digest(),
        summary: Summary::of(&ordered),
        changes: ordered,
        edges,
        blocked,
        warnings: missing_reference_warnings(graph),
        source: None,
        binding: None,
        sensitive: Sensitive::of(desired),
    }
}

fn missing_reference_warnings(graph: &Graph) -> Vec<String> {
    graph
        .missing_references()
        .iter()
        .map(|r| {
            let place = if r.dependency.namespace.is_empty() {
                "in the cluster".to_string()
            } else {
                format!("in namespace {}", r.dependency.namespace)
            };
            format!(
                "{} refers to {}, which floe does not manage; it must exist {place}",
                r.dependent, r.dependency
            )
        })
        .collect()
}

/// A change of `object` with nothing but its identity, the action and the
/// resourceVersion of the live object.
fn change_of(object: &Object, live: Option<&Value>, action: Action) -> Change {
    let key = object.key();
    Change {
        address: key.to_string(),
        key,
        api_version: object.api_version.clone(),
        action,
        actions: steps_of(action),
        before: None,
        after: None,
        desired: None,
        replace_reason: None,
        drift: Vec::new(),
        other_managers: Vec::new(),
        live_resource_version: live_metadata(live, "resourceVersion"),
        live_uid: live_metadata(live, "uid"),
        requires_flag: None,
    }
}

fn live_metadata(live: Option<&Value>, field: &str) -> Option<String> {
    live.and_then(|v| v.get("metadata"))
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn steps_of(action: Action) -> Vec<String> {
    action.steps().iter().map(|s| s.to_string()).collect()
}

/// `value` keeping only the fields that `shape` has (lists element by
/// element when their lengths agree).
fn restrict_to(shape: &Value, value: &Value) -> Value {
    match (shape, value) {
        (Value::Object(s), Value::Object(v)) => Value::Object(
            v.iter()
                .filter_map(|(k, vv)| s.get(k).map(|sv| (k.clone(), restrict_to(sv, vv))))
                .collect(),
        ),
        (Value::Array(s), Value::Array(v)) if s.len() == v.len() => Value::Array(
            s.iter()
                .zip(v)
                .map(|(sv, vv)| restrict_to(sv, vv))
                .collect(),
        ),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::restrict_to;
    use serde_json::json;

    #[test]
    fn replace_diffs_leave_out_server_filled_fields() {
        let after = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:2"}]}}}});
        let live = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "x:1", "terminationMessagePath": "/dev/termination-log"}],
            "restartPolicy": "Never"}}, "backoffLimit": 6}});
        assert_eq!(
            restrict_to(&after, &live),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}})
        );
    }
}

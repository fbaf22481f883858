//! Computing a plan against a live cluster: one LIST per kind (label
//! selected), server-side apply dry runs with bounded concurrency, and a
//! comparison of the normalised live object with the dry run's result.

use super::normalize::normalize;
use super::redact::redact;
use super::{Action, Change, ClusterIdentity, Conflict, Edge, Plan, Summary, FORMAT_VERSION};
use crate::cluster::{Cluster, ClusterError};
use crate::graph::{Graph, GraphError};
use crate::kinds::{self, kind_info, Guardrail, KindInfo};
use crate::names::{LABEL_ENVIRONMENT, LABEL_PRODUCT};
use crate::object::{Object, ObjectKey};
use crate::render::DesiredSet;
use futures::stream::{self, StreamExt, TryStreamExt};
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::Value;
use std::collections::HashMap;

use crate::names::{FIELD_MANAGER, LABEL_INTERNAL};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("the API server rejected {address}: {message}")]
    Rejected { address: String, message: String },
    #[error("{address}: {kind} is not a kind floe manages")]
    UnknownKind { address: String, kind: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
}

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
        }
    }
}

/// The owned live objects of one product in one environment.
#[derive(Debug, Default)]
pub struct LiveSet {
    pub namespace_exists: bool,
    pub objects: HashMap<ObjectKey, Value>,
}

/// Selects what floe owns for the product and environment, leaving out
/// floe's own records.
pub fn owner_selector(product: &str, environment: &str) -> String {
    format!(
        "app.kubernetes.io/managed-by=floe,{LABEL_PRODUCT}={product},{LABEL_ENVIRONMENT}={environment},!{LABEL_INTERNAL}"
    )
}

/// Reads the live state: the namespace, then one label-selected LIST per
/// managed kind, concurrently.
pub async fn observe(cluster: &Cluster, desired: &DesiredSet) -> Result<LiveSet, ClusterError> {
    let ns_kind = kinds::namespace();
    let ns_api = cluster.api(ns_kind, "");
    let ns = ns_api
        .get_opt(&desired.namespace)
        .await
        .map_err(|e| cluster.classify(e, &format!("reading namespace {}", desired.namespace)))?;
    let mut live = LiveSet {
        namespace_exists: ns.is_some(),
        objects: HashMap::new(),
    };
    if let Some(ns) = ns {
        let value = serde_json::to_value(&ns).unwrap_or(Value::Null);
        if let Some(o) = object_of(value, ns_kind) {
            live.objects.insert(o.key(), o.body);
        }
    } else {
        return Ok(live);
    }
    let selector = owner_selector(&desired.product, desired.environment.as_str());
    let lists = stream::iter(kinds::infos().filter(|k| k.namespaced))
        .map(|kind| {
            let api = cluster.api(kind, &desired.namespace);
            let lp = ListParams::default().labels(&selector);
            async move {
                let list = api
                    .list(&lp)
                    .await
                    .map_err(|e| cluster.classify(e, &format!("listing {}", kind.plural)))?;
                Ok::<_, ClusterError>((kind, list.items))
            }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    for (kind, items) in lists {
        for item in items {
            // Objects a controller made from a floe object (Jobs of a
            // CronJob, PVCs of a StatefulSet) belong to that controller.
            if item
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|r| !r.is_empty())
            {
                continue;
            }
            let value = serde_json::to_value(&item).unwrap_or(Value::Null);
            if let Some(o) = object_of(value, kind) {
                live.objects.insert(o.key(), o.body);
            }
        }
    }
    Ok(live)
}

/// LIST responses leave out apiVersion/kind on items; put them back.
fn object_of(mut value: Value, kind: &KindInfo) -> Option<Object> {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("apiVersion".into(), Value::String(kind.api_version()));
        obj.insert("kind".into(), Value::String(kind.kind.to_string()));
    }
    Object::from_value(value)
}

/// What a dry run said about one desired object.
enum DryRun {
    /// Not sent: the live object proves the apply changes nothing.
    Unchanged,
    Result(Value),
    /// Applied only by taking fields from other managers.
    Conflicts(Vec<Conflict>, Value),
    /// An immutable field changed: the object must be replaced.
    Immutable(String),
}

async fn dry_run(cluster: &Cluster, object: &Object) -> Result<DryRun, PlanError> {
    let info = kind_info(object.group(), &object.kind).ok_or_else(|| PlanError::UnknownKind {
        address: object.key().to_string(),
        kind: object.kind.clone(),
    })?;
    let api = cluster.api(info, object.namespace.as_deref().unwrap_or(""));
    let params = PatchParams::apply(FIELD_MANAGER).dry_run();
    let address = object.key().to_string();
    match api
        .patch(&object.name, &params, &Patch::Apply(&object.body))
        .await
    {
        Ok(result) => Ok(DryRun::Result(
            serde_json::to_value(result).unwrap_or(Value::Null),
        )),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let conflicts = parse_conflicts(&status);
            let forced = api
                .patch(
                    &object.name,
                    &params.clone().force(),
                    &Patch::Apply(&object.body),
                )
                .await
                .map_err(|e| rejected(cluster, &address, e))?;
            Ok(DryRun::Conflicts(
                conflicts,
                serde_json::to_value(forced).unwrap_or(Value::Null),
            ))
        }
        Err(kube::Error::Api(status)) if status.code == 422 && is_immutable(&status) => {
            Ok(DryRun::Immutable(immutable_reason(&status)))
        }
        Err(e) => Err(rejected(cluster, &address, e)),
    }
}

fn rejected(cluster: &Cluster, address: &str, err: kube::Error) -> PlanError {
    match err {
        kube::Error::Api(status) if status.code != 401 && status.code != 403 => {
            PlanError::Rejected {
                address: address.to_string(),
                message: status.message,
            }
        }
        other => PlanError::Cluster(cluster.classify(other, &format!("a dry run of {address}"))),
    }
}

/// The API server lists each conflict as a cause:
/// `conflict with "kubectl-edit" using apps/v1` on field `.spec.replicas`.
fn parse_conflicts(status: &kube::core::Status) -> Vec<Conflict> {
    let causes = status
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or(&[]);
    let mut out: Vec<Conflict> = causes
        .iter()
        .map(|c| Conflict {
            manager: c
                .message
                .split('"')
                .nth(1)
                .unwrap_or("another field manager")
                .to_string(),
            field: c.field.clone(),
        })
        .collect();
    if out.is_empty() {
        out.push(Conflict {
            manager: "another field manager".into(),
            field: status.message.clone(),
        });
    }
    out
}

/// Immutable-field rejections: "field is immutable", or the StatefulSet's
/// "updates to statefulset spec for fields other than ... are forbidden".
fn is_immutable(status: &kube::core::Status) -> bool {
    let text = status.message.to_ascii_lowercase();
    text.contains("immutable")
        || text.contains("may not change once set")
        || (text.contains("forbidden") && text.contains("updates to"))
}

fn immutable_reason(status: &kube::core::Status) -> String {
    let fields: Vec<&str> = status
        .details
        .as_ref()
        .map(|d| {
            d.causes
                .iter()
                .map(|c| c.field.as_str())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        status.message.clone()
    } else {
        format!("{} cannot be changed in place", fields.join(", "))
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
    let salt = format!("{kube_system_uid}/{}", desired.namespace);

    // Dry runs, bounded. Without the namespace nothing namespaced can be
    // dry-run; everything is a create of exactly what floe renders.
    let results: Vec<(usize, Option<DryRun>)> = stream::iter(desired.objects.iter().enumerate())
        .map(|(i, object)| {
            let live_obj = live.objects.get(&object.key());
            let skip = !live.namespace_exists && live_obj.is_none();
            let unchanged = live_obj
                .is_some_and(|l| !options.dry_run_all && provably_unchanged(&object.body, l));
            async move {
                if skip {
                    return Ok::<_, PlanError>((i, None));
                }
                if unchanged {
                    return Ok((i, Some(DryRun::Unchanged)));
                }
                dry_run(cluster, object).await.map(|r| (i, Some(r)))
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .try_collect()
        .await?;
    let mut dry_runs: Vec<Option<DryRun>> = (0..desired.objects.len()).map(|_| None).collect();
    for (i, r) in results {
        dry_runs[i] = r;
    }

    let mut changes: HashMap<ObjectKey, Change> = HashMap::new();
    for (object, dry) in desired.objects.iter().zip(dry_runs) {
        let key = object.key();
        let live_obj = live.objects.get(&key);
        let before = live_obj.map(|v| redact(&normalize(v), &salt));
        let rv = live_obj
            .and_then(|v| v.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let (action, after, drift, replace_reason) = match dry {
            None => (
                Action::Create,
                Some(redact(&object.body, &salt)),
                Vec::new(),
                None,
            ),
            Some(DryRun::Immutable(reason)) => (
                Action::Replace,
                Some(redact(&object.body, &salt)),
                Vec::new(),
                Some(reason),
            ),
            Some(DryRun::Result(v)) | Some(DryRun::Conflicts(_, v)) if live_obj.is_none() => (
                Action::Create,
                Some(redact(&normalize(&v), &salt)),
                Vec::new(),
                None,
            ),
            Some(DryRun::Unchanged) => (Action::NoOp, before.clone(), Vec::new(), None),
            Some(DryRun::Result(v)) => {
                let after = redact(&normalize(&v), &salt);
                let action = if Some(&after) == before.as_ref() {
                    Action::NoOp
                } else {
                    Action::Update
                };
                (action, Some(after), Vec::new(), None)
            }
            Some(DryRun::Conflicts(conflicts, v)) => {
                let after = redact(&normalize(&v), &salt);
                (Action::Update, Some(after), conflicts, None)
            }
        };
        // A replace's `after` is what floe sends, without the fields the
        // server fills in on create; showing those as removals would bury
        // the field that forces the replace.
        let before = match (action, &after) {
            (Action::Replace, Some(after)) => before.map(|b| restrict_to(after, &b)),
            _ => before,
        };
        changes.insert(
            key.clone(),
            change(
                &key,
                &object.api_version,
                action,
                before,
                after,
                Some(object.body.clone()),
                replace_reason,
                drift,
                rv,
            ),
        );
    }

    // Prune: owned live objects no longer desired.
    let desired_keys: std::collections::HashSet<ObjectKey> =
        desired.objects.iter().map(Object::key).collect();
    let prune: Vec<Object> = live
        .objects
        .iter()
        .filter(|(k, _)| !desired_keys.contains(*k))
        // A namespace is only ever pruned with its product, never because
        // the settings moved the product elsewhere.
        .filter_map(|(_, v)| Object::from_value(v.clone()))
        .filter(|o| o.kind != "Namespace" || o.name == desired.namespace)
        .collect();
    let owned = live.objects.len().max(1);
    let mass = prune.len() as f64 / owned as f64 > options.max_prune_share && prune.len() > 1;
    let mut blocked = Vec::new();
    for o in &prune {
        let key = o.key();
        let before = redact(&normalize(&o.body), &salt);
        let rv = o
            .body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut c = change(
            &key,
            &o.api_version,
            Action::Delete,
            Some(before),
            None,
            None,
            None,
            Vec::new(),
            rv,
        );
        let guardrail = kinds::of(o.group(), &o.kind).and_then(|k| k.delete_guardrail());
        c.requires_flag = match guardrail {
            Some(Guardrail::Namespace) if !options.allow_prune_namespace => {
                Some("--allow-prune-namespace".into())
            }
            Some(Guardrail::Data) if !options.allow_prune_data => Some("--allow-prune-data".into()),
            _ if mass && !options.allow_mass_prune => Some("--allow-mass-prune".into()),
            _ => None,
        };
        if let Some(flag) = &c.requires_flag {
            blocked.push(format!(
                "{} would be destroyed: pass {flag} to allow it",
                c.address
            ));
        }
        changes.insert(key, c);
    }

    // Order by the dependency graph: applies in dependency order, deletes
    // in reverse.
    let graph = Graph::build(&desired.objects, &prune, &desired.extra_dependencies)?;
    let mut ordered = Vec::with_capacity(changes.len());
    for node in graph.order() {
        if let Some(c) = changes.remove(&node.key) {
            ordered.push(c);
        }
    }
    let edges = graph
        .edges()
        .iter()
        .map(|e| Edge {
            from: e.from.key.to_string(),
            to: e.to.key.to_string(),
            reason: e.reason_text(),
        })
        .collect();
    let warnings = graph
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
        .collect();
    let summary = Summary::of(&ordered);
    Ok(Plan {
        format_version: FORMAT_VERSION,
        product: desired.product.clone(),
        product_version: desired.version.clone(),
        environment: desired.environment.as_str().to_string(),
        namespace: desired.namespace.clone(),
        cluster: ClusterIdentity {
            server: cluster.server.clone(),
            kube_system_uid,
        },
        desired_digest: desired.digest(),
        changes: ordered,
        edges,
        summary,
        blocked,
        warnings,
        source: None,
    })
}

#[allow(clippy::too_many_arguments)]
fn change(
    key: &ObjectKey,
    api_version: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
    desired: Option<Value>,
    replace_reason: Option<String>,
    drift: Vec<Conflict>,
    live_resource_version: Option<String>,
) -> Change {
    Change {
        address: key.to_string(),
        key: key.clone(),
        api_version: api_version.to_string(),
        action,
        actions: action.steps().iter().map(|s| s.to_string()).collect(),
        before,
        after,
        desired,
        replace_reason,
        drift,
        live_resource_version,
        requires_flag: None,
    }
}

/// Why a saved plan can no longer be applied.
#[derive(Debug, thiserror::Error)]
pub enum StaleError {
    #[error("the plan was made for cluster {planned} (kube-system {planned_uid}), this is {actual} (kube-system {actual_uid})")]
    OtherCluster {
        planned: String,
        planned_uid: String,
        actual: String,
        actual_uid: String,
    },
    #[error("the cluster changed since the plan was made: {}", .0.join("; "))]
    Moved(Vec<String>),
    #[error("plan format {0} is not supported (this floe writes {FORMAT_VERSION})")]
    Format(u32),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// Checks that a saved plan still describes the cluster: same cluster, and
/// every object it covers at the resourceVersion it saw (or still absent),
/// and no new owned objects.
pub async fn check_fresh(cluster: &Cluster, plan: &Plan) -> Result<(), StaleError> {
    if plan.format_version != FORMAT_VERSION {
        return Err(StaleError::Format(plan.format_version));
    }
    let uid = cluster.identity().await?;
    if uid != plan.cluster.kube_system_uid {
        return Err(StaleError::OtherCluster {
            planned: plan.cluster.server.clone(),
            planned_uid: plan.cluster.kube_system_uid.clone(),
            actual: cluster.server.clone(),
            actual_uid: uid,
        });
    }
    let probe = DesiredSet {
        product: plan.product.clone(),
        version: plan.product_version.clone(),
        environment: crate::model::Environment::parse(&plan.environment)
            .unwrap_or(crate::model::Environment::Dev),
        namespace: plan.namespace.clone(),
        objects: Vec::new(),
        extra_dependencies: Vec::new(),
    };
    let live = observe(cluster, &probe).await?;
    let mut moved = Vec::new();
    let planned: HashMap<&ObjectKey, &Change> = plan.changes.iter().map(|c| (&c.key, c)).collect();
    for c in &plan.changes {
        let now = live
            .objects
            .get(&c.key)
            .and_then(|v| v.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str);
        match (c.live_resource_version.as_deref(), now) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            (Some(_), Some(_)) => moved.push(format!("{} was modified", c.address)),
            (Some(_), None) => moved.push(format!("{} was deleted", c.address)),
            (None, Some(_)) => moved.push(format!("{} was created", c.address)),
        }
    }
    for key in live.objects.keys() {
        if !planned.contains_key(key) {
            moved.push(format!("{key} appeared"));
        }
    }
    if moved.is_empty() {
        Ok(())
    } else {
        Err(StaleError::Moved(moved))
    }
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

/// True when a server-side apply of `desired` by floe provably leaves `live`
/// as it is, so its dry run (one API round trip per object, the bulk of a
/// plan's time) can be skipped. That holds when
/// 1. every field of `desired` is in `live` with the same value (values
///    equal, so no other manager's ownership can conflict), and
/// 2. every field in floe's own Apply entry of managedFields is still in
///    `desired` (nothing floe set before would be removed).
///
/// Anything the check cannot prove (a quantity the server respelled, a list
/// the server reordered or defaulted) falls back to the dry run, so the
/// shortcut can only ever miss, never mislead.
pub fn provably_unchanged(desired: &Value, live: &Value) -> bool {
    let Some(managed) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return false;
    };
    let mut floe_entries = managed.iter().filter(|m| {
        m.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
            && m.get("operation").and_then(Value::as_str) == Some("Apply")
            && m.get("subresource").is_none_or(|s| s.as_str() == Some(""))
    });
    let (Some(entry), None) = (floe_entries.next(), floe_entries.next()) else {
        return false;
    };
    let Some(fields) = entry.get("fieldsV1") else {
        return false;
    };
    contained_in(desired, live, Some(fields)) && owned_fields_in(fields, desired)
}

/// `desired` within `live`. A zero value (0, false, "") floe owns may be
/// absent from `live`: the server drops zero values of non-pointer fields.
fn contained_in(desired: &Value, live: &Value, owned: Option<&Value>) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| {
            let owned_k = owned.and_then(|o| o.get(format!("f:{k}")));
            match l.get(k) {
                Some(lv) => contained_in(v, lv, owned_k),
                None => owned_k.is_some() && is_zero(v),
            }
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| contained_in(a, b, None))
        }
        _ => desired == live,
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Every path of a managedFields `fieldsV1` tree exists in `desired`.
fn owned_fields_in(fields: &Value, desired: &Value) -> bool {
    let Some(fields) = fields.as_object() else {
        return true;
    };
    fields.iter().all(|(k, sub)| {
        if k == "." {
            true
        } else if let Some(name) = k.strip_prefix("f:") {
            desired.get(name).is_some_and(|d| owned_fields_in(sub, d))
        } else if let Some(key) = k.strip_prefix("k:") {
            let Ok(Value::Object(key)) = serde_json::from_str::<Value>(key) else {
                return false;
            };
            desired.as_array().is_some_and(|items| {
                items.iter().any(|item| {
                    key.iter().all(|(kk, kv)| item.get(kk) == Some(kv))
                        && owned_fields_in(sub, item)
                })
            })
        } else if let Some(v) = k.strip_prefix("v:") {
            serde_json::from_str::<Value>(v)
                .is_ok_and(|v| desired.as_array().is_some_and(|items| items.contains(&v)))
        } else if let Some(i) = k.strip_prefix("i:") {
            i.parse::<usize>()
                .ok()
                .and_then(|i| desired.get(i))
                .is_some_and(|d| owned_fields_in(sub, d))
        } else {
            false
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{provably_unchanged, restrict_to};
    use serde_json::{json, Value};

    fn desired() -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "ns", "labels": {"a": "1"}},
            "data": {"k": "v", "empty": ""}
        })
    }

    /// What the API server returns after floe applied `desired()`.
    fn live() -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "cfg", "namespace": "ns", "labels": {"a": "1"},
                "uid": "u", "resourceVersion": "7",
                "managedFields": [{
                    "manager": "floe", "operation": "Apply", "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {"f:k": {}, "f:empty": {}},
                                 "f:metadata": {"f:labels": {"f:a": {}}}}
                }]
            },
            "data": {"k": "v"}
        })
    }

    #[test]
    fn unchanged_object_skips_the_dry_run() {
        assert!(provably_unchanged(&desired(), &live()));
    }

    #[test]
    fn changed_value_needs_the_dry_run() {
        let mut d = desired();
        d["data"]["k"] = json!("w");
        assert!(!provably_unchanged(&d, &live()));
    }

    #[test]
    fn removed_field_floe_owned_needs_the_dry_run() {
        let mut d = desired();
        d["metadata"]["labels"].as_object_mut().unwrap().remove("a");
        assert!(!provably_unchanged(&d, &live()));
    }

    #[test]
    fn zero_value_absent_only_when_floe_owns_it() {
        let mut l = live();
        l["metadata"]["managedFields"][0]["fieldsV1"]["f:data"]
            .as_object_mut()
            .unwrap()
            .remove("f:empty");
        assert!(!provably_unchanged(&desired(), &l));
    }

    #[test]
    fn other_managers_with_equal_values_do_not_matter() {
        let mut l = live();
        l["metadata"]["managedFields"]
            .as_array_mut()
            .unwrap()
            .push(json!({"manager": "kubectl", "operation": "Update",
                         "fieldsV1": {"f:data": {"f:other": {}}}}));
        l["data"]["other"] = json!("x");
        assert!(provably_unchanged(&desired(), &l));
    }

    #[test]
    fn never_applied_by_floe_needs_the_dry_run() {
        let mut l = live();
        l["metadata"]["managedFields"][0]["manager"] = json!("kubectl");
        assert!(!provably_unchanged(&desired(), &l));
        l["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("managedFields");
        assert!(!provably_unchanged(&desired(), &l));
    }

    #[test]
    fn list_entries_by_key() {
        let d = json!({"spec": {"ports": [{"port": 80, "name": "http"}]}});
        let fields = json!({"f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {"f:port": {}, "f:name": {}}}}});
        let mut l = json!({"spec": {"ports": [{"port": 80, "name": "http", "protocol": "TCP"}]},
                           "metadata": {"managedFields": [{"manager": "floe", "operation": "Apply", "fieldsV1": fields}]}});
        // The key names protocol, which desired leaves to the server default:
        // not provable, so the dry run decides.
        assert!(!provably_unchanged(&d, &l));
        l["metadata"]["managedFields"][0]["fieldsV1"] =
            json!({"f:spec": {"f:ports": {"k:{\"port\":80}": {"f:port": {}, "f:name": {}}}}});
        assert!(provably_unchanged(&d, &l));
        let mut d2 = d.clone();
        d2["spec"]["ports"][0]["port"] = json!(81);
        assert!(!provably_unchanged(&d2, &l));
    }

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

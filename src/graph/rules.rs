//! The edge rules: what each kind of object says about the objects it needs.
//!
//! Everything here reads untrusted JSON; a field of the wrong shape is simply
//! no reference (validation reports bad objects, the graph must not panic).

use super::selector::{PodLabelIndex, Selector};
use super::{EdgeBuilder, NodeRole, Reason};
use crate::object::{Object, ObjectKey};
use petgraph::graph::NodeIndex;
use serde_json::{Map, Value};
use std::collections::HashMap;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// A reference from one object to another, found in its body.
struct Ref {
    target: ObjectKey,
    reason: Reason,
    /// `optional: true` in the pod spec: absence is fine.
    optional: bool,
}

pub(super) fn infer(objects: &[(&Object, NodeRole)], builder: &mut EdgeBuilder<'_>) {
    let no_labels = Map::new();
    let mut pod_labels = PodLabelIndex::default();
    // Quotas and limit ranges by namespace; few per namespace, so a list each.
    let mut admission: HashMap<&str, Vec<(NodeIndex, Reason)>> = HashMap::new();
    let mut nodes = Vec::with_capacity(objects.len());
    // Looked up once: serde_json maps are B-trees, each step costs compares.
    let mut pod_specs = Vec::with_capacity(objects.len());

    // Graph::build adds one node per object, in this order.
    for (i, (object, _)) in objects.iter().enumerate() {
        let node = NodeIndex::new(i);
        nodes.push(node);
        let namespace = object.namespace.as_deref().unwrap_or("");
        match object.kind.as_str() {
            "ResourceQuota" => admission
                .entry(namespace)
                .or_default()
                .push((node, Reason::QuotaApplies)),
            "LimitRange" => admission
                .entry(namespace)
                .or_default()
                .push((node, Reason::LimitRangeApplies)),
            _ => {}
        }
        let pod_spec = object.pod_spec();
        pod_specs.push(pod_spec);
        if pod_spec.is_some() {
            let labels = pod_template_labels(object).unwrap_or(&no_labels);
            pod_labels.insert(node, namespace, labels);
        }
    }

    let mut refs = Vec::new();
    for (((object, _), &node), &pod_spec) in objects.iter().zip(&nodes).zip(&pod_specs) {
        let namespace = object.namespace.as_deref().unwrap_or("");
        if !namespace.is_empty() {
            let ns = ObjectKey::new("", "Namespace", "", namespace);
            builder.reference(node, &ns, Reason::InNamespace, false);
        }

        refs.clear();
        if let Some(spec) = pod_spec {
            pod_spec_references(spec, namespace, &mut refs);
        }
        direct_references(object, namespace, &mut refs);
        for r in &refs {
            builder.reference(node, &r.target, r.reason, r.optional);
        }

        if pod_spec.is_some() {
            for &(policy, reason) in admission.get(namespace).map_or(&[][..], Vec::as_slice) {
                builder.link(node, policy, reason);
            }
        }

        let selected = match object.kind.as_str() {
            "Service" => Selector::from_service(object.body.pointer("/spec/selector"))
                .map(|s| (s, Reason::Selects)),
            "PodDisruptionBudget" => {
                Selector::from_label_selector(object.body.pointer("/spec/selector"))
                    .map(|s| (s, Reason::Protects))
            }
            _ => None,
        };
        if let Some((selector, reason)) = selected {
            for workload in pod_labels.matching(namespace, &selector) {
                builder.link(node, workload, reason);
            }
        }
    }
}

/// Labels of the pods an object creates.
fn pod_template_labels(object: &Object) -> Option<&Map<String, Value>> {
    let pointer = match object.kind.as_str() {
        "Pod" => "/metadata/labels",
        "CronJob" => "/spec/jobTemplate/spec/template/metadata/labels",
        _ => "/spec/template/metadata/labels",
    };
    object.body.pointer(pointer)?.as_object()
}

/// References that name their target, besides those of the pod spec.
fn direct_references(object: &Object, namespace: &str, out: &mut Vec<Ref>) {
    let body = &object.body;
    match object.kind.as_str() {
        "ServiceAccount" => {
            for secret in items(body, "imagePullSecrets") {
                if let Some(name) = str_at(secret, "name") {
                    push(out, "Secret", namespace, name, Reason::PullsWithSecret);
                }
            }
        }
        // A legacy token Secret is filled in by the token controller only once
        // its ServiceAccount exists.
        "Secret" if str_at(body, "type") == Some("kubernetes.io/service-account-token") => {
            if let Some(sa) = body
                .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                .and_then(Value::as_str)
            {
                push(
                    out,
                    "ServiceAccount",
                    namespace,
                    sa,
                    Reason::TokenForServiceAccount,
                );
            }
        }
        "Ingress" => ingress_references(body, namespace, out),
        "HorizontalPodAutoscaler" => {
            if let Some(target) = body.pointer("/spec/scaleTargetRef") {
                if let (Some(kind), Some(name)) = (str_at(target, "kind"), str_at(target, "name")) {
                    let group = match str_at(target, "apiVersion") {
                        Some(api_version) => {
                            api_version.split_once('/').map_or("", |(group, _)| group)
                        }
                        None => default_group(kind),
                    };
                    out.push(Ref {
                        target: ObjectKey::new(group, kind, namespace, name),
                        reason: Reason::Scales,
                        optional: false,
                    });
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => binding_references(body, namespace, out),
        _ => {}
    }
}

fn pod_spec_references(spec: &Value, namespace: &str, out: &mut Vec<Ref>) {
    // `serviceAccount` is the deprecated spelling, still honoured by the API.
    if let Some(sa) = str_at(spec, "serviceAccountName").or_else(|| str_at(spec, "serviceAccount"))
    {
        push(
            out,
            "ServiceAccount",
            namespace,
            sa,
            Reason::RunsAsServiceAccount,
        );
    }
    for secret in items(spec, "imagePullSecrets") {
        if let Some(name) = str_at(secret, "name") {
            push(out, "Secret", namespace, name, Reason::PullsWithSecret);
        }
    }
    for volume in items(spec, "volumes") {
        volume_references(volume, namespace, out);
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for container in items(spec, list) {
            for env in items(container, "env") {
                if let Some(from) = env.get("valueFrom") {
                    sources(from, &ENV_VALUE_SOURCES, namespace, out);
                }
            }
            for env_from in items(container, "envFrom") {
                sources(env_from, &ENV_FROM_SOURCES, namespace, out);
            }
        }
    }
}

/// Where a pod spec fragment names an object: the fragment's field, the
/// field inside it that holds the name, the kind named, and why.
struct Source {
    field: &'static str,
    name_field: &'static str,
    kind: &'static str,
    reason: Reason,
}

const fn source(
    field: &'static str,
    name_field: &'static str,
    kind: &'static str,
    reason: Reason,
) -> Source {
    Source {
        field,
        name_field,
        kind,
        reason,
    }
}

/// Where a pod spec names a ConfigMap and a Secret side by side: the two
/// fields, the field holding the Secret's name, and why each is a dependency.
const fn config_and_secret(
    (config_map, config_map_reason): (&'static str, Reason),
    (secret, secret_name, secret_reason): (&'static str, &'static str, Reason),
) -> [Source; 2] {
    [
        source(config_map, "name", "ConfigMap", config_map_reason),
        source(secret, secret_name, "Secret", secret_reason),
    ]
}

const VOLUME_SOURCES: [Source; 2] = config_and_secret(
    ("configMap", Reason::MountsConfigMap),
    ("secret", "secretName", Reason::MountsSecret),
);

const PROJECTED_SOURCES: [Source; 2] = config_and_secret(
    ("configMap", Reason::MountsConfigMap),
    ("secret", "name", Reason::MountsSecret),
);

const ENV_VALUE_SOURCES: [Source; 2] = config_and_secret(
    ("configMapKeyRef", Reason::EnvFromConfigMap),
    ("secretKeyRef", "name", Reason::EnvFromSecret),
);

const ENV_FROM_SOURCES: [Source; 2] = config_and_secret(
    ("configMapRef", Reason::EnvFromConfigMap),
    ("secretRef", "name", Reason::EnvFromSecret),
);

/// The references `value` makes through any of `table`'s fields.
fn sources(value: &Value, table: &[Source], namespace: &str, out: &mut Vec<Ref>) {
    for s in table {
        if let Some(fragment) = value.get(s.field) {
            named(out, fragment, s.name_field, s.kind, namespace, s.reason);
        }
    }
}

fn volume_references(volume: &Value, namespace: &str, out: &mut Vec<Ref>) {
    sources(volume, &VOLUME_SOURCES, namespace, out);
    if let Some(claim) = volume
        .get("persistentVolumeClaim")
        .and_then(|c| str_at(c, "claimName"))
    {
        push(
            out,
            "PersistentVolumeClaim",
            namespace,
            claim,
            Reason::MountsVolumeClaim,
        );
    }
    if let Some(projected) = volume.get("projected") {
        for source in items(projected, "sources") {
            sources(source, &PROJECTED_SOURCES, namespace, out);
        }
    }
}

fn ingress_references(body: &Value, namespace: &str, out: &mut Vec<Ref>) {
    let Some(spec) = body.get("spec") else {
        return;
    };
    let mut backend = |backend: &Value| {
        // networking.k8s.io/v1 nests the service; v1beta1 named it directly.
        let name = backend
            .get("service")
            .and_then(|s| str_at(s, "name"))
            .or_else(|| str_at(backend, "serviceName"));
        if let Some(name) = name {
            push(out, "Service", namespace, name, Reason::RoutesTo);
        }
    };
    for default in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(default) {
            backend(b);
        }
    }
    for rule in items(spec, "rules") {
        if let Some(http) = rule.get("http") {
            for path in items(http, "paths") {
                if let Some(b) = path.get("backend") {
                    backend(b);
                }
            }
        }
    }
    for tls in items(spec, "tls") {
        if let Some(secret) = str_at(tls, "secretName") {
            push(out, "Secret", namespace, secret, Reason::TlsSecret);
        }
    }
}

fn binding_references(body: &Value, namespace: &str, out: &mut Vec<Ref>) {
    if let Some(role) = body.get("roleRef") {
        if let (Some(kind), Some(name)) = (str_at(role, "kind"), str_at(role, "name")) {
            let group = str_at(role, "apiGroup").unwrap_or(RBAC_GROUP);
            // A ClusterRole is cluster-scoped even when a RoleBinding names it.
            let role_namespace = if kind == "ClusterRole" { "" } else { namespace };
            out.push(Ref {
                target: ObjectKey::new(group, kind, role_namespace, name),
                reason: Reason::BindsRole,
                optional: false,
            });
        }
    }
    for subject in items(body, "subjects") {
        if str_at(subject, "kind") != Some("ServiceAccount") {
            continue;
        }
        if let Some(name) = str_at(subject, "name") {
            let subject_namespace = str_at(subject, "namespace").unwrap_or(namespace);
            push(
                out,
                "ServiceAccount",
                subject_namespace,
                name,
                Reason::BindsServiceAccount,
            );
        }
    }
}

/// Group of a kind named without `apiVersion`.
fn default_group(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet" => "apps",
        "Job" | "CronJob" => "batch",
        _ => "",
    }
}

/// A core-group reference.
fn push(out: &mut Vec<Ref>, kind: &str, namespace: &str, name: &str, reason: Reason) {
    if name.is_empty() {
        return;
    }
    out.push(Ref {
        target: ObjectKey::new("", kind, namespace, name),
        reason,
        optional: false,
    });
}

/// A core-group reference from a `{<field>: name, optional: bool}` source.
fn named(
    out: &mut Vec<Ref>,
    source: &Value,
    field: &str,
    kind: &str,
    namespace: &str,
    reason: Reason,
) {
    if let Some(name) = str_at(source, field).filter(|n| !n.is_empty()) {
        out.push(Ref {
            target: ObjectKey::new("", kind, namespace, name),
            reason,
            optional: source
                .get("optional")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
}

fn str_at<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str()
}

fn items<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

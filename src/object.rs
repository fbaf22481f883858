//! The unit every stage passes around: one Kubernetes object as JSON, with its
//! identity pulled out so graphs, plans and revisions can key on it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Identity of an object in a cluster: group/version-independent so that a
/// change of `apiVersion` is still the same object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectKey {
    /// API group, empty for the core group (`""`, `apps`, `batch`, ...).
    pub group: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        ObjectKey {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ObjectKey {
    /// `deployment/orders-api` style, as kubectl prints it; the namespace is left
    /// out because a product lives in one namespace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// One desired or live object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// The full object, `apiVersion` and `kind` included.
    pub body: Value,
}

impl Object {
    /// Build from a full object body; `None` when it lacks apiVersion, kind or name.
    pub fn from_value(body: Value) -> Option<Object> {
        let api_version = body.get("apiVersion")?.as_str()?.to_string();
        let kind = body.get("kind")?.as_str()?.to_string();
        let meta = body.get("metadata")?;
        let name = meta.get("name")?.as_str()?.to_string();
        let namespace = meta
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        Some(Object {
            api_version,
            kind,
            namespace,
            name,
            body,
        })
    }

    /// API group part of `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(
            self.group(),
            &self.kind,
            self.namespace.as_deref().unwrap_or(""),
            &self.name,
        )
    }

    /// The pod template spec of a workload (`Deployment`, `StatefulSet`, `Job`,
    /// `CronJob`, `DaemonSet`, `ReplicaSet`) or the spec of a bare `Pod`.
    pub fn pod_spec(&self) -> Option<&Value> {
        pod_spec_of(&self.kind, &self.body)
    }
}

/// Where the pod spec sits inside an object of `kind`.
pub fn pod_spec_of<'a>(kind: &str, body: &'a Value) -> Option<&'a Value> {
    match kind {
        "Pod" => body.get("spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            body.pointer("/spec/template/spec")
        }
        "CronJob" => body.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

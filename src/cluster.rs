//! Connecting to a cluster and the API resources floe works with.

use kube::api::{Api, ApiResource, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::{Client, Config};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("kubeconfig {0} not found")]
    KubeconfigNotFound(String),
    #[error("cannot read kubeconfig {path}")]
    Kubeconfig {
        path: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("no usable cluster configuration (KUBECONFIG, ~/.kube/config or in-cluster)")]
    Infer(#[source] kube::config::InferConfigError),
    #[error("cannot build a client for the cluster")]
    Client(#[source] kube::Error),
    #[error("cannot reach the cluster at {server}")]
    Unreachable {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("the cluster refused {what}: {message}")]
    Forbidden { what: String, message: String },
}

impl ClusterError {
    pub fn is_network(&self) -> bool {
        matches!(self, ClusterError::Unreachable { .. })
    }
}

/// A connected client plus what identifies the cluster in saved plans.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    pub server: String,
}

/// Connects with an explicit kubeconfig file (and context), or the usual
/// inference (KUBECONFIG, ~/.kube/config, in-cluster).
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Cluster, ClusterError> {
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    let config = match kubeconfig {
        Some(path) if !path.is_file() => {
            return Err(ClusterError::KubeconfigNotFound(path.display().to_string()));
        }
        Some(path) => {
            let err = |source| ClusterError::Kubeconfig {
                path: path.display().to_string(),
                source,
            };
            let kc = Kubeconfig::read_from(path).map_err(err)?;
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(err)?
        }
        None if context.is_some() => {
            Config::from_kubeconfig(&options)
                .await
                .map_err(|source| ClusterError::Kubeconfig {
                    path: "(default)".into(),
                    source,
                })?
        }
        None => Config::infer().await.map_err(ClusterError::Infer)?,
    };
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(ClusterError::Client)?;
    Ok(Cluster { client, server })
}

impl Cluster {
    /// The kube-system namespace's UID: what tells two clusters apart even
    /// behind the same address.
    pub async fn identity(&self) -> Result<String, ClusterError> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        let ns = api
            .get("kube-system")
            .await
            .map_err(|e| self.classify(e, "reading namespace kube-system"))?;
        Ok(ns.metadata.uid.unwrap_or_default())
    }

    /// Maps a transport failure to Unreachable and a 401/403 to Forbidden.
    pub fn classify(&self, err: kube::Error, what: &str) -> ClusterError {
        match err {
            kube::Error::Api(status) if status.code == 401 || status.code == 403 => {
                ClusterError::Forbidden {
                    what: what.to_string(),
                    message: status.message,
                }
            }
            other => ClusterError::Unreachable {
                server: self.server.clone(),
                source: other,
            },
        }
    }

    /// A dynamic API for `kind` in `namespace` (cluster-scoped when empty).
    pub fn api(&self, resource: &KindInfo, namespace: &str) -> Api<DynamicObject> {
        let ar = resource.api_resource();
        if resource.namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &ar)
        } else {
            Api::all_with(self.client.clone(), &ar)
        }
    }
}

/// The kinds floe renders and owns, with what the API needs to address them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

impl KindInfo {
    pub fn api_resource(&self) -> ApiResource {
        let gvk = GroupVersionKind::gvk(self.group, self.version, self.kind);
        ApiResource::from_gvk_with_plural(&gvk, self.plural)
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

pub const MANAGED_KINDS: [KindInfo; 18] = [
    KindInfo {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        namespaced: false,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "ResourceQuota",
        plural: "resourcequotas",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "LimitRange",
        plural: "limitranges",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "ServiceAccount",
        plural: "serviceaccounts",
        namespaced: true,
    },
    KindInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "Role",
        plural: "roles",
        namespaced: true,
    },
    KindInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "RoleBinding",
        plural: "rolebindings",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "Secret",
        plural: "secrets",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        namespaced: true,
    },
    KindInfo {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        namespaced: true,
    },
    KindInfo {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        namespaced: true,
    },
    KindInfo {
        group: "batch",
        version: "v1",
        kind: "Job",
        plural: "jobs",
        namespaced: true,
    },
    KindInfo {
        group: "batch",
        version: "v1",
        kind: "CronJob",
        plural: "cronjobs",
        namespaced: true,
    },
    KindInfo {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        namespaced: true,
    },
    KindInfo {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        plural: "ingresses",
        namespaced: true,
    },
    KindInfo {
        group: "autoscaling",
        version: "v2",
        kind: "HorizontalPodAutoscaler",
        plural: "horizontalpodautoscalers",
        namespaced: true,
    },
    KindInfo {
        group: "policy",
        version: "v1",
        kind: "PodDisruptionBudget",
        plural: "poddisruptionbudgets",
        namespaced: true,
    },
    KindInfo {
        group: "networking.k8s.io",
        version: "v1",
        kind: "NetworkPolicy",
        plural: "networkpolicies",
        namespaced: true,
    },
];

pub fn kind_info(group: &str, kind: &str) -> Option<&'static KindInfo> {
    MANAGED_KINDS
        .iter()
        .find(|k| k.group == group && k.kind == kind)
}

//! Connecting to a cluster, and API access to the kinds floe works with
//! (what they are is [`crate::kinds`]'s knowledge).

use crate::kinds::KindInfo;
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
    pub fn api(&self, kind: &KindInfo, namespace: &str) -> Api<DynamicObject> {
        let ar = api_resource(kind);
        if kind.namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &ar)
        } else {
            Api::all_with(self.client.clone(), &ar)
        }
    }
}

/// What the API needs to address a kind.
fn api_resource(info: &KindInfo) -> ApiResource {
    let gvk = GroupVersionKind::gvk(info.group, info.version, info.kind);
    ApiResource::from_gvk_with_plural(&gvk, info.plural)
}

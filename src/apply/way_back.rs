//! The way back to a recorded revision. A revision record is only as
//! trustworthy as whoever can write ConfigMaps in the product's namespace,
//! so its bodies are held to what floe itself records for the product (its
//! namespace, the kinds floe manages, the product's labels), and an
//! artifact's revision becomes a desired set only through a [`WayBack`]
//! that pulls and verifies the artifact again (the layer above has one).

use crate::kinds::{in_product_scope, kind_info};
use crate::model::Environment;
use crate::names::{
    LABEL_ENVIRONMENT, LABEL_INTERNAL, LABEL_MANAGED_BY, LABEL_PRODUCT, MANAGED_BY,
};
use crate::object::Object;
use crate::render::DesiredSet;
use crate::state::{Revision, RevisionMeta};
use futures::future::LocalBoxFuture;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error("revision {number} is not applied: {object} {why}; floe never records that, so the record was modified")]
    Foreign {
        number: u64,
        object: String,
        why: String,
    },
    #[error("revision {number} was rendered from {reference}: going back to it needs that artifact pulled and verified again, which this caller does not do")]
    NeedsVerification { number: u64, reference: String },
}

/// Why a revision cannot be gone back to, as whoever restores it says.
pub type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// What going back to a revision applies.
pub struct Restored {
    pub desired: DesiredSet,
    /// What verifying the revision's artifact again found, for the record.
    pub signature: Option<String>,
}

/// Turns a recorded revision into the desired set to go back to, or
/// refuses it. The future need not be `Send`: verifying an artifact's
/// signature holds state that is not, and the session runs in one task.
pub trait WayBack: Send + Sync + std::fmt::Debug {
    fn restore<'a>(
        &'a self,
        revision: &'a Revision,
    ) -> LocalBoxFuture<'a, Result<Restored, Refusal>>;
}

/// The stored bodies, checked by [`recorded_desired_set`]. An artifact's
/// revision is refused: nothing here can verify the artifact again.
#[derive(Debug, Default)]
pub struct StoredBodies;

impl WayBack for StoredBodies {
    fn restore<'a>(
        &'a self,
        revision: &'a Revision,
    ) -> LocalBoxFuture<'a, Result<Restored, Refusal>> {
        Box::pin(async move {
            if let Some(reference) = revision.meta.artifact_reference() {
                return Err(RevisionError::NeedsVerification {
                    number: revision.meta.number,
                    reference: reference.to_string(),
                }
                .into());
            }
            Ok(Restored {
                desired: recorded_desired_set(revision)?,
                signature: None,
            })
        })
    }
}

/// The desired set a revision recorded, refused when any body is not one
/// floe records for the product: not an object, a kind floe does not
/// manage, outside the product's namespace (the namespace itself is the
/// one cluster-scoped object), labelled for another product or
/// environment, or marked as one of floe's own records.
pub fn recorded_desired_set(revision: &Revision) -> Result<DesiredSet, RevisionError> {
    let meta = &revision.meta;
    let mut objects = Vec::with_capacity(revision.desired.len());
    for (index, body) in revision.desired.iter().enumerate() {
        let foreign = |object: String, why: String| RevisionError::Foreign {
            number: meta.number,
            object,
            why,
        };
        let Some(object) = Object::from_value(body.clone()) else {
            let object = format!("object #{}", index + 1);
            return Err(foreign(object, "has no apiVersion, kind or name".into()));
        };
        if let Some(why) = why_foreign(&object, meta) {
            return Err(foreign(describe(&object), why));
        }
        objects.push(object);
    }
    Ok(DesiredSet {
        product: meta.product.clone(),
        version: meta.product_version.clone(),
        environment: Environment::parse(&meta.environment).unwrap_or(Environment::Dev),
        namespace: meta.namespace.clone(),
        objects,
        extra_dependencies: Vec::new(),
    })
}

/// Why `object` is not one floe records for the product of `meta`.
fn why_foreign(object: &Object, meta: &RevisionMeta) -> Option<String> {
    let key = object.key();
    if !in_product_scope(&key, &meta.namespace) {
        return Some(match kind_info(&key.group, &key.kind) {
            None => format!("is of kind {}, which floe does not manage", object.kind),
            Some(info) if info.namespaced => {
                format!("is outside the product's namespace {}", meta.namespace)
            }
            Some(_) => format!(
                "is cluster-scoped; the only such object floe records is the namespace {}",
                meta.namespace
            ),
        });
    }
    let labels = object.body.pointer("/metadata/labels");
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    if label(LABEL_INTERNAL).is_some() {
        return Some(format!(
            "carries {LABEL_INTERNAL}, which marks floe's own records"
        ));
    }
    let expected = [
        (LABEL_MANAGED_BY, MANAGED_BY),
        (LABEL_PRODUCT, meta.product.as_str()),
        (LABEL_ENVIRONMENT, meta.environment.as_str()),
    ];
    expected
        .into_iter()
        .find(|(k, want)| label(k) != Some(*want))
        .map(|(k, want)| match label(k) {
            Some(other) => format!("is labelled {k}={other}, not {want}"),
            None => format!("lacks the label {k}={want}"),
        })
}

/// `ConfigMap other/name`, `ClusterRole name`: kind, namespace and name.
fn describe(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RevisionOutcome;
    use serde_json::json;

    fn revision(desired: Vec<Value>) -> Revision {
        Revision {
            meta: RevisionMeta {
                source: "dir /p".into(),
                ..RevisionMeta::sample(3, RevisionOutcome::Succeeded)
            },
            desired,
        }
    }

    fn labels() -> Value {
        json!({"app.kubernetes.io/managed-by": "floe", "floe.dev/product": "orders",
            "floe.dev/environment": "dev"})
    }

    fn config_map(namespace: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": namespace, "labels": labels()}})
    }

    fn refusal(desired: Vec<Value>) -> String {
        match recorded_desired_set(&revision(desired)) {
            Err(e) => e.to_string(),
            Ok(set) => panic!("accepted {} objects", set.objects.len()),
        }
    }

    #[test]
    fn what_floe_renders_is_accepted() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/full");
        let product = crate::model::load(&dir, Environment::Dev, None).expect("example loads");
        let rendered = crate::render::render(&product);
        let mut revision = revision(rendered.objects.iter().map(|o| o.body.clone()).collect());
        revision.meta.product = rendered.product.clone();
        revision.meta.namespace = rendered.namespace.clone();
        let set = recorded_desired_set(&revision).expect("accepted");
        assert_eq!(set.objects, rendered.objects);
    }

    #[test]
    fn an_object_in_another_namespace_is_refused() {
        let text = refusal(vec![config_map("orders-dev"), config_map("kube-system")]);
        assert!(
            text.contains("revision 3 is not applied: ConfigMap kube-system/settings is outside the product's namespace orders-dev")
                && text.contains("the record was modified"),
            "{text}"
        );
    }

    #[test]
    fn cluster_scoped_objects_other_than_the_namespace_are_refused() {
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "escalate", "labels": labels()}});
        assert!(refusal(vec![role])
            .contains("ClusterRole escalate is of kind ClusterRole, which floe does not manage"));
        let other_ns = json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "kube-system", "labels": labels()}});
        assert!(refusal(vec![other_ns]).contains("Namespace kube-system is cluster-scoped"));
        let own = json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "orders-dev", "labels": labels()}});
        assert!(recorded_desired_set(&revision(vec![own])).is_ok());
    }

    #[test]
    fn bodies_labelled_for_someone_else_are_refused() {
        let mut other = config_map("orders-dev");
        other["metadata"]["labels"]["floe.dev/product"] = json!("payments");
        assert!(refusal(vec![other]).contains("is labelled floe.dev/product=payments, not orders"));
        let mut unlabelled = config_map("orders-dev");
        unlabelled["metadata"]["labels"] = json!({});
        assert!(
            refusal(vec![unlabelled]).contains("lacks the label app.kubernetes.io/managed-by=floe")
        );
        let mut internal = config_map("orders-dev");
        internal["metadata"]["labels"]["floe.dev/internal"] = json!("revision");
        assert!(refusal(vec![internal]).contains("floe.dev/internal"));
        assert!(refusal(vec![json!({"kind": "ConfigMap"})]).contains("object #1 has no apiVersion"));
    }

    #[tokio::test]
    async fn stored_bodies_refuse_an_artifact_revision() {
        let mut artifact = revision(vec![config_map("orders-dev")]);
        artifact.meta.artifact = Some("oci://registry.example.com/orders@sha256:ab".into());
        let refused = StoredBodies
            .restore(&artifact)
            .await
            .err()
            .expect("refused");
        assert!(refused
            .to_string()
            .contains("needs that artifact pulled and verified again"));
        let mut legacy = revision(vec![config_map("orders-dev")]);
        legacy.meta.source = "oci://registry.example.com/orders@sha256:ab".into();
        assert!(StoredBodies.restore(&legacy).await.is_err());
        let plain = StoredBodies
            .restore(&revision(vec![config_map("orders-dev")]))
            .await;
        assert_eq!(plain.expect("restored").desired.objects.len(), 1);
    }
}

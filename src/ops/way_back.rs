//! Going back to a recorded revision (undo, and the `--atomic` rollback):
//! the record's bodies are checked against what floe records for the
//! product, and an artifact's revision is pulled again by its digest,
//! verified under today's policy and rendered again; that rendering is
//! what is applied, and a record that differs from it is refused.

use super::artifact::{self, Access, Fetched};
use super::platform_manifest;
use super::prepare::load_valid;
use super::OpsError;
use crate::apply::way_back::{recorded_desired_set, Refusal, Restored, WayBack};
use crate::model::Environment;
use crate::object::ObjectKey;
use crate::oci::ArtifactRef;
use crate::render::{self, DesiredSet};
use crate::state::Revision;
use futures::future::LocalBoxFuture;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The desired set to go back to, and the artifact verified on the way
/// (for an artifact's revision).
pub struct Target {
    pub desired: DesiredSet,
    pub fetched: Option<Fetched>,
}

/// The desired set revision `revision` goes back to (see the module docs).
pub async fn restore(revision: &Revision, access: &Access) -> Result<Target, OpsError> {
    let recorded = recorded_desired_set(revision)?;
    let Some(text) = revision.meta.artifact_reference() else {
        return Ok(Target {
            desired: recorded,
            fetched: None,
        });
    };
    let number = revision.meta.number;
    let modified = |reason: String| OpsError::RevisionModified { number, reason };
    let reference = ArtifactRef::parse(text)
        .map_err(|e| modified(format!("its artifact {text:?} is not a reference ({e})")))?;
    let digest = reference
        .digest()
        .ok_or_else(|| modified(format!("its artifact {text} is not pinned to a digest")))?
        .to_string();
    if let Some(recorded_digest) = &revision.meta.input_digest {
        if *recorded_digest != digest {
            let reason = format!("its input digest {recorded_digest} is not its artifact's {text}");
            return Err(modified(reason));
        }
    }
    // The environment is the history's own (its labels), not an annotation.
    let env = Environment::parse(&revision.meta.environment).unwrap_or(Environment::Dev);
    let fetched = artifact::fetch(&reference, Some(&digest), env, access).await?;
    let manifest = platform_manifest::fetch_verified(&fetched.pulled.dir, env, access).await?;
    let inputs = platform_manifest::inputs(None, &manifest);
    let (product, _) = load_valid(&fetched.pulled.dir, env, &inputs)?;
    let rendered = render::render(&product);
    if let Some(difference) = first_difference(&recorded, &rendered) {
        return Err(modified(format!("{difference} ({text} renders otherwise)")));
    }
    Ok(Target {
        desired: rendered,
        fetched: Some(fetched),
    })
}

/// How the recorded objects differ from the rendered ones, if they do.
fn first_difference(recorded: &DesiredSet, rendered: &DesiredSet) -> Option<String> {
    let by_key = |set: &DesiredSet| -> BTreeMap<ObjectKey, Value> {
        set.objects
            .iter()
            .map(|o| (o.key(), o.body.clone()))
            .collect()
    };
    let (was, now) = (by_key(recorded), by_key(rendered));
    if was.len() != recorded.objects.len() {
        return Some("it records an object twice".into());
    }
    let changed = was.iter().find(|(key, body)| now.get(*key) != Some(*body));
    if let Some((key, _)) = changed {
        return Some(if now.contains_key(key) {
            format!("its {key} differs from the artifact's")
        } else {
            format!("it holds {key}, which the artifact does not render")
        });
    }
    now.keys()
        .find(|key| !was.contains_key(*key))
        .map(|key| format!("it lacks {key}, which the artifact renders"))
}

/// The way back the `--atomic` rollback takes: [`restore`] with `access`.
pub fn verified(access: &Access) -> Arc<dyn WayBack> {
    Arc::new(Verified {
        access: access.clone(),
    })
}

#[derive(Debug)]
struct Verified {
    access: Access,
}

impl WayBack for Verified {
    fn restore<'a>(
        &'a self,
        revision: &'a Revision,
    ) -> LocalBoxFuture<'a, Result<Restored, Refusal>> {
        Box::pin(async move {
            let target = restore(revision, &self.access).await?;
            Ok(Restored {
                desired: target.desired,
                signature: target.fetched.map(|f| f.verification.summary()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered() -> DesiredSet {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        let inputs = crate::model::Inputs::default();
        let (product, _) = load_valid(&dir, Environment::Dev, &inputs).expect("example is valid");
        render::render(&product)
    }

    #[test]
    fn the_rendering_itself_does_not_differ() {
        assert_eq!(first_difference(&rendered(), &rendered()), None);
    }

    #[test]
    fn an_edited_added_dropped_or_doubled_object_differs() {
        let mut edited = rendered();
        edited.objects[1].body["metadata"]["labels"]["edited"] = json!("yes");
        let text = first_difference(&edited, &rendered()).expect("differs");
        assert!(text.contains("differs from the artifact's"), "{text}");

        let mut added = rendered();
        let mut extra = added.objects[1].clone();
        extra.name = "planted".into();
        added.objects.push(extra);
        let text = first_difference(&added, &rendered()).expect("differs");
        assert!(
            text.contains("which the artifact does not render"),
            "{text}"
        );

        let mut dropped = rendered();
        dropped.objects.pop();
        let text = first_difference(&dropped, &rendered()).expect("differs");
        assert!(text.contains("it lacks"), "{text}");

        let mut doubled = rendered();
        doubled.objects.push(doubled.objects[1].clone());
        assert!(first_difference(&doubled, &rendered()).is_some());
    }
}

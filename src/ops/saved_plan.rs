//! A plan saved with `floe plan --out`: read it, check what it is bound to
//! (this floe, its namespace, its cluster as it was), and render its source
//! again (a directory's files, or an artifact pulled and verified again) to
//! exactly the bodies it would apply. Under the lock the session makes the
//! plan again from that rendering and compares ([`Recheck::Replan`]).

use super::apply::Origin;
use super::artifact::{self, Access, Fetched};
use super::platform_manifest::{self, FetchedManifest};
use super::prepare::load_valid;
use super::{connect, ClusterTarget, Notes, OpsError};
use crate::apply::session::Recheck;
use crate::cluster::Cluster;
use crate::kinds;
use crate::model::{Diagnostic, Environment};
use crate::oci::ArtifactRef;
use crate::plan::fresh::{self, StaleError};
use crate::plan::sensitive::Sensitive;
use crate::plan::{floe_version, redact, Binding, BoundOptions, Plan, PlanSource, FORMAT_VERSION};
use crate::render::{self, DesiredSet};
use std::collections::HashMap;
use std::path::Path;

/// Reads a saved plan.
pub fn read(path: &Path) -> Result<Plan, OpsError> {
    let text = std::fs::read_to_string(path).map_err(|source| OpsError::ReadPlan {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| OpsError::NotAPlan {
        path: path.to_path_buf(),
        source,
    })
}

/// A saved plan, read and checked: bound to this floe, inside its
/// namespace, made against this cluster as it is, and rendered again from
/// its source to exactly its bodies.
pub struct Opened {
    pub cluster: Cluster,
    pub plan: Plan,
    pub origin: Origin,
    /// The session makes the plan again from the rendered source, under the
    /// lock, and applies only if it equals the saved one.
    pub recheck: Recheck,
    /// The guardrail flags the plan was made with (they stay fixed).
    pub options: BoundOptions,
}

/// The plan's source rendered again.
struct Rendered {
    desired: DesiredSet,
    origin: Origin,
    fetched: Option<Fetched>,
    manifest: Option<FetchedManifest>,
    warnings: Vec<Diagnostic>,
}

/// Reads the plan at `path`, checks what it is bound to, connects, checks
/// the cluster has not moved, and renders its source again.
pub async fn open(
    path: &Path,
    target: &ClusterTarget,
    access: &Access,
    notes: &dyn Notes,
) -> Result<Opened, OpsError> {
    let plan = read(path)?;
    let binding = check_bound(&plan)?.clone();
    let cluster = connect(target).await?;
    fresh::check_fresh(&cluster, &plan)
        .await
        .map_err(OpsError::Stale)?;
    let mut plan = plan;
    let rendered = match &plan.source {
        Some(source) => reverify(&plan, &binding, source, access).await?,
        None => rerender(&plan, &binding, path, access).await?,
    };
    // A saved plan holds no Secret values: they come from the source,
    // rendered again to exactly the plan's bodies.
    plan.sensitive = Sensitive::of(&rendered.desired);
    if let Some(fetched) = &rendered.fetched {
        notes.fetched(fetched);
    }
    if let Some(manifest) = &rendered.manifest {
        manifest.note(notes);
    }
    notes.warnings(&rendered.warnings);
    Ok(Opened {
        cluster,
        plan,
        origin: rendered.origin,
        recheck: Recheck::Replan(rendered.desired),
        options: binding.options,
    })
}

/// Refuses a plan of another format or another floe, one that does not
/// say what it was made from, and one that reaches outside its namespace
/// (floe never plans such a change: the file was edited).
pub fn check_bound(plan: &Plan) -> Result<&Binding, OpsError> {
    if plan.format_version != FORMAT_VERSION {
        return Err(OpsError::Stale(StaleError::Format(plan.format_version)));
    }
    let Some(binding) = &plan.binding else {
        return Err(OpsError::NoLongerMatches(
            "the plan does not say what it was made from".into(),
        ));
    };
    if binding.floe_version != floe_version() {
        return Err(OpsError::NoLongerMatches(format!(
            "it was made by floe {}, this is floe {}",
            binding.floe_version,
            floe_version()
        )));
    }
    let outside = plan
        .changes
        .iter()
        .find(|c| !kinds::in_product_scope(&c.key, &plan.namespace));
    match outside {
        Some(change) => Err(OpsError::OutsideNamespace {
            address: change.key.to_string(),
            namespace: plan.namespace.clone(),
        }),
        None => Ok(binding),
    }
}

fn environment_of(plan: &Plan) -> Result<Environment, OpsError> {
    Environment::parse(&plan.environment).ok_or_else(|| {
        OpsError::BadSavedPlan(format!(
            "the saved plan's environment {:?} is not dev, staging or prod",
            plan.environment
        ))
    })
}

/// A plan of a directory: the same files (and the same platform manifest,
/// fetched and verified again when it is an `oci://` one) must render the
/// same bodies.
async fn rerender(
    plan: &Plan,
    binding: &Binding,
    path: &Path,
    access: &Access,
) -> Result<Rendered, OpsError> {
    let Some(dir) = &binding.directory else {
        return Err(OpsError::BadSavedPlan(
            "the saved plan names neither a product directory nor an artifact".into(),
        ));
    };
    let dir = Path::new(dir);
    let env = environment_of(plan)?;
    let manifest = platform_manifest::fetch_verified(dir, env, access).await?;
    let inputs = platform_manifest::inputs(binding.image.as_deref(), &manifest);
    let (product, warnings) = load_valid(dir, env, &inputs)?;
    if product.input_digest != binding.input_digest {
        let manifest_now = manifest
            .as_ref()
            .map(|m| format!(" or the platform manifest (now {})", m.pinned()))
            .unwrap_or_default();
        return Err(OpsError::NoLongerMatches(format!(
            "the product files in {}{manifest_now} changed since the plan was made",
            dir.display()
        )));
    }
    let desired = render::render(&product);
    if let Some(difference) = rendered_difference(plan, &desired) {
        return Err(OpsError::NoLongerMatches(difference));
    }
    let mut origin = Origin::of_directory(&product).with_manifest(manifest.as_ref());
    origin.source = format!("plan {} of {}", path.display(), origin.source);
    Ok(Rendered {
        desired,
        origin,
        fetched: None,
        manifest,
        warnings,
    })
}

/// A saved plan of an artifact is only as trustworthy as the artifact:
/// pull the planned digest again, verify it against today's policy, and
/// check that it renders to exactly the objects the plan would apply (a
/// plan file is easy to edit). The revision records this verification, not
/// the text in the file.
async fn reverify(
    plan: &Plan,
    binding: &Binding,
    source: &PlanSource,
    access: &Access,
) -> Result<Rendered, OpsError> {
    let reference = ArtifactRef::parse(&source.reference)
        .map_err(|e| OpsError::BadSavedPlan(format!("the saved plan's source: {e}")))?;
    let edited = || OpsError::PlanEdited {
        reference: reference.to_string(),
        digest: source.digest.clone(),
    };
    if binding.input_digest != source.digest || binding.directory.is_some() {
        return Err(edited());
    }
    let env = environment_of(plan)?;
    let fetched = artifact::fetch(&reference, Some(&source.digest), env, access).await?;
    let manifest = platform_manifest::fetch_verified(&fetched.pulled.dir, env, access).await?;
    let inputs = platform_manifest::inputs(binding.image.as_deref(), &manifest);
    let (product, warnings) = load_valid(&fetched.pulled.dir, env, &inputs)?;
    let desired = render::render(&product);
    if rendered_difference(plan, &desired).is_some() {
        return Err(edited());
    }
    Ok(Rendered {
        desired,
        origin: Origin::of_artifact(&fetched, access).with_manifest(manifest.as_ref()),
        fetched: Some(fetched),
        manifest,
        warnings,
    })
}

/// The first way the plan's desired bodies differ from the rendered
/// objects (their digest, the set of keys, a body); `None` when they are
/// exactly the rendered objects.
pub fn rendered_difference(plan: &Plan, desired: &DesiredSet) -> Option<String> {
    // The plan holds Secret values as fingerprints, salted as it was made.
    let salt = redact::salt(&plan.cluster.kube_system_uid, &plan.namespace);
    let rendered: HashMap<_, _> = desired
        .objects
        .iter()
        .map(|o| (o.key(), redact::redact(&o.body, &salt)))
        .collect();
    let planned: Vec<_> = plan
        .changes
        .iter()
        .filter_map(|c| c.desired.as_ref().map(|d| (c, d)))
        .collect();
    if let Some((change, _)) = planned
        .iter()
        .find(|(c, body)| rendered.get(&c.key) != Some(*body))
    {
        return Some(match rendered.contains_key(&change.key) {
            true => format!(
                "{}: the body to send differs from the product's rendering",
                change.address
            ),
            false => format!("{} is not rendered from the product", change.address),
        });
    }
    if planned.len() != rendered.len() {
        return Some("the product renders objects the plan does not cover".into());
    }
    (desired.digest() != plan.desired_digest)
        .then(|| "the desired digest differs from the product's rendering".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Change, ClusterIdentity, Summary};
    use serde_json::json;

    fn desired() -> DesiredSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        let inputs = crate::model::Inputs {
            image: Some("registry.example.com/orders:1.0.0"),
            manifest: None,
        };
        let (product, _) =
            load_valid(&dir, Environment::Dev, &inputs).expect("examples/minimal is valid");
        render::render(&product)
    }

    /// The plan a first deploy of `desired` makes: every object created.
    fn plan_of(desired: &DesiredSet) -> Plan {
        let changes: Vec<Change> = desired
            .objects
            .iter()
            .map(|o| Change {
                address: o.key().to_string(),
                key: o.key(),
                api_version: o.api_version.clone(),
                action: Action::Create,
                actions: vec!["create".into()],
                before: None,
                after: Some(o.body.clone()),
                desired: Some(o.body.clone()),
                replace_reason: None,
                drift: Vec::new(),
                other_managers: Vec::new(),
                live_resource_version: None,
                live_uid: None,
                requires_flag: None,
            })
            .collect();
        Plan {
            format_version: FORMAT_VERSION,
            product: desired.product.clone(),
            product_version: desired.version.clone(),
            environment: "dev".into(),
            namespace: desired.namespace.clone(),
            cluster: ClusterIdentity {
                server: "https://127.0.0.1:6443".into(),
                kube_system_uid: "uid".into(),
            },
            desired_digest: desired.digest(),
            summary: Summary::of(&changes),
            changes,
            edges: Vec::new(),
            blocked: Vec::new(),
            warnings: Vec::new(),
            source: None,
            binding: None,
            sensitive: Default::default(),
        }
    }

    #[test]
    fn the_plan_made_from_a_desired_set_matches_it() {
        let desired = desired();
        assert_eq!(rendered_difference(&plan_of(&desired), &desired), None);
    }

    #[test]
    fn an_edited_body_does_not_match() {
        let desired = desired();
        let mut plan = plan_of(&desired);
        let body = plan.changes[1].desired.as_mut().expect("a body");
        body["metadata"]["labels"]["edited"] = json!("yes");
        assert!(rendered_difference(&plan, &desired).is_some());
    }

    #[test]
    fn an_added_or_dropped_object_does_not_match() {
        let desired = desired();
        let mut added = plan_of(&desired);
        let mut extra = added.changes[1].clone();
        extra.key.name = "planted".into();
        added.changes.push(extra);
        assert!(rendered_difference(&added, &desired).is_some());
        let mut dropped = plan_of(&desired);
        dropped.changes.pop();
        assert!(rendered_difference(&dropped, &desired).is_some());
    }

    #[test]
    fn another_desired_digest_does_not_match() {
        let desired = desired();
        let mut plan = plan_of(&desired);
        plan.desired_digest = "sha256:0000".into();
        assert!(rendered_difference(&plan, &desired).is_some());
    }
}

//! A plan saved with `floe plan --out`: read it, check that the cluster
//! has not moved since, and for an artifact's plan, that the artifact still
//! verifies and renders to exactly the objects the plan would apply.

use super::apply::Origin;
use super::artifact::{self, Access, Fetched};
use super::prepare::load_valid;
use super::{connect, ClusterTarget, Notes, OpsError};
use crate::cluster::Cluster;
use crate::model::{Diagnostic, Environment};
use crate::oci::ArtifactRef;
use crate::plan::{fresh, Plan, PlanSource};
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

/// What the check found: where the plan came from (for the revision), and
/// for an artifact's plan the artifact fetched again and its warnings.
pub struct Checked {
    pub origin: Origin,
    pub fetched: Option<Fetched>,
    pub warnings: Vec<Diagnostic>,
}

/// A saved plan, read and checked against the cluster it is for.
pub struct Opened {
    pub cluster: Cluster,
    pub plan: Plan,
    pub origin: Origin,
}

/// Reads the plan at `path`, connects and [`check`]s it.
pub async fn open(
    path: &Path,
    target: &ClusterTarget,
    access: &Access,
    notes: &dyn Notes,
) -> Result<Opened, OpsError> {
    let plan = read(path)?;
    let cluster = connect(target).await?;
    let checked = check(&cluster, &plan, path, access).await?;
    if let Some(fetched) = &checked.fetched {
        notes.fetched(fetched);
    }
    notes.warnings(&checked.warnings);
    Ok(Opened {
        cluster,
        plan,
        origin: checked.origin,
    })
}

/// Refuses a plan the cluster has moved away from; re-verifies an
/// artifact's plan (see [`reverify`]).
pub async fn check(
    cluster: &Cluster,
    plan: &Plan,
    path: &Path,
    access: &Access,
) -> Result<Checked, OpsError> {
    fresh::check_fresh(cluster, plan)
        .await
        .map_err(OpsError::Stale)?;
    match &plan.source {
        Some(source) => reverify(plan, source, access).await,
        None => Ok(Checked {
            origin: Origin::local(format!("plan {}", path.display())),
            fetched: None,
            warnings: Vec::new(),
        }),
    }
}

/// A saved plan of an artifact is only as trustworthy as the artifact:
/// pull the planned digest again, verify it against today's policy, and
/// check that it renders to exactly the objects the plan would apply (a
/// plan file is easy to edit). The revision records this verification, not
/// the text in the file.
async fn reverify(plan: &Plan, source: &PlanSource, access: &Access) -> Result<Checked, OpsError> {
    let reference = ArtifactRef::parse(&source.reference)
        .map_err(|e| OpsError::BadSavedPlan(format!("the saved plan's source: {e}")))?;
    let env = Environment::parse(&plan.environment).ok_or_else(|| {
        OpsError::BadSavedPlan(format!(
            "the saved plan's environment {:?} is not dev, staging or prod",
            plan.environment
        ))
    })?;
    let fetched = artifact::fetch(&reference, Some(&source.digest), env, access).await?;
    let (product, warnings) = load_valid(&fetched.pulled.dir, env, None)?;
    if !matches_rendered(plan, &render::render(&product)) {
        return Err(OpsError::PlanEdited {
            reference: reference.to_string(),
            digest: source.digest.clone(),
        });
    }
    Ok(Checked {
        origin: Origin::of_artifact(&fetched, access),
        fetched: Some(fetched),
        warnings,
    })
}

/// Whether the plan's desired bodies are exactly the rendered objects (the
/// same digest, the same keys, the same bodies).
pub fn matches_rendered(plan: &Plan, desired: &DesiredSet) -> bool {
    let rendered: HashMap<_, _> = desired.objects.iter().map(|o| (o.key(), &o.body)).collect();
    let planned: Vec<_> = plan
        .changes
        .iter()
        .filter_map(|c| c.desired.as_ref().map(|d| (&c.key, d)))
        .collect();
    desired.digest() == plan.desired_digest
        && planned.len() == rendered.len()
        && planned
            .iter()
            .all(|(key, body)| rendered.get(*key) == Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Change, ClusterIdentity, Summary, FORMAT_VERSION};
    use serde_json::json;

    fn desired() -> DesiredSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        let (product, _) = load_valid(
            &dir,
            Environment::Dev,
            Some("registry.example.com/orders:1.0.0"),
        )
        .expect("examples/minimal is valid");
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
        }
    }

    #[test]
    fn the_plan_made_from_a_desired_set_matches_it() {
        let desired = desired();
        assert!(matches_rendered(&plan_of(&desired), &desired));
    }

    #[test]
    fn an_edited_body_does_not_match() {
        let desired = desired();
        let mut plan = plan_of(&desired);
        let body = plan.changes[1].desired.as_mut().expect("a body");
        body["metadata"]["labels"]["edited"] = json!("yes");
        assert!(!matches_rendered(&plan, &desired));
    }

    #[test]
    fn an_added_or_dropped_object_does_not_match() {
        let desired = desired();
        let mut added = plan_of(&desired);
        let mut extra = added.changes[1].clone();
        extra.key.name = "planted".into();
        added.changes.push(extra);
        assert!(!matches_rendered(&added, &desired));
        let mut dropped = plan_of(&desired);
        dropped.changes.pop();
        assert!(!matches_rendered(&dropped, &desired));
    }

    #[test]
    fn another_desired_digest_does_not_match() {
        let desired = desired();
        let mut plan = plan_of(&desired);
        plan.desired_digest = "sha256:0000".into();
        assert!(!matches_rendered(&plan, &desired));
    }
}

//! Going back to a recorded revision: choose it, turn it into a desired
//! set (checked, and for an artifact verified again: see [`way_back`]) and
//! plan that against the cluster (the same review and apply path as any
//! plan). A revision holds no Secret values: they come from the product
//! inputs.

use super::apply::Origin;
use super::artifact::Access;
use super::history::history_of;
use super::way_back::{self, Target};
use super::{Notes, OpsError};
use crate::cluster::Cluster;
use crate::model::Product;
use crate::plan::compute::PlanOptions;
use crate::plan::sensitive::{restore, Sensitive};
use crate::plan::Plan;
use crate::render;
use crate::state::{RevisionMeta, RevisionOutcome};

/// The revision to go back to: the one asked for, or else the newest
/// successful revision that is not the latest one.
pub fn choose_target(revisions: &[RevisionMeta], requested: Option<u64>) -> Result<u64, OpsError> {
    if let Some(number) = requested {
        return Ok(number);
    }
    let latest = revisions.iter().map(|r| r.number).max();
    revisions
        .iter()
        .filter(|r| r.outcome == RevisionOutcome::Succeeded && Some(r.number) != latest)
        .map(|r| r.number)
        .max()
        .ok_or(OpsError::NoEarlierRevision)
}

/// The revision gone back to (as its record says), the plan that goes
/// there, and where that desired set came from.
pub struct Undo {
    pub target: RevisionMeta,
    pub plan: Plan,
    pub origin: Origin,
}

/// Chooses the revision and plans going back to it; an artifact's revision
/// is verified under `access`'s policy (`notes` hears of it).
pub async fn plan_undo(
    cluster: &Cluster,
    product: &Product,
    requested: Option<u64>,
    options: &PlanOptions,
    access: &Access,
    notes: &dyn Notes,
) -> Result<Undo, OpsError> {
    let history = history_of(cluster, product);
    let number = match requested {
        Some(number) => number,
        None => choose_target(&history.list().await?, None)?,
    };
    let revision = history.get(number).await?;
    let Target {
        mut desired,
        fetched,
    } = way_back::restore(&revision, access).await?;
    if let Some(fetched) = &fetched {
        notes.fetched(fetched);
    }
    let restored =
        restore(&mut desired, &Sensitive::of(&render::render(product))).map_err(|reason| {
            OpsError::SecretValuesUnavailable {
                revision: number,
                reason,
            }
        })?;
    let mut plan = super::plan::plan(cluster, &desired, options, fetched.as_ref()).await?;
    plan.warnings.extend(restored.iter().map(|key| {
        format!(
            "{key}: its values come from the product inputs as they are now, not from revision {number} (history never stores secret values)"
        )
    }));
    let mut origin = match &fetched {
        Some(fetched) => Origin::of_artifact(fetched, access),
        None => Origin::local(String::new()),
    };
    origin.source = format!("undo to revision {number}");
    if fetched.is_none() {
        origin.input_digest = revision.meta.input_digest.clone();
    }
    Ok(Undo {
        target: revision.meta,
        plan,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(number: u64, outcome: RevisionOutcome) -> RevisionMeta {
        RevisionMeta::sample(number, outcome)
    }

    #[test]
    fn the_default_target_is_the_newest_success_before_the_latest() {
        use RevisionOutcome::*;
        let list = [
            revision(4, Failed),
            revision(3, Succeeded),
            revision(2, Succeeded),
            revision(1, Succeeded),
        ];
        assert_eq!(choose_target(&list, None).unwrap(), 3);
        let latest_succeeded = [
            revision(3, Succeeded),
            revision(2, Interrupted),
            revision(1, Succeeded),
        ];
        assert_eq!(choose_target(&latest_succeeded, None).unwrap(), 1);
    }

    #[test]
    fn a_requested_revision_wins() {
        let list = [revision(2, RevisionOutcome::Succeeded)];
        assert_eq!(choose_target(&list, Some(7)).unwrap(), 7);
    }

    #[test]
    fn without_an_earlier_success_there_is_no_target() {
        use RevisionOutcome::*;
        for list in [
            vec![],
            vec![revision(1, Succeeded)],
            vec![revision(2, Failed), revision(1, Failed)],
        ] {
            assert!(matches!(
                choose_target(&list, None),
                Err(OpsError::NoEarlierRevision)
            ));
        }
    }
}

//! Going back to a recorded revision: choose it, and plan its desired set
//! against the cluster (the same review and apply path as any plan). A
//! revision holds no Secret values: they come from the product inputs.

use super::history::history_of;
use super::OpsError;
use crate::apply::session::desired_set_of;
use crate::cluster::Cluster;
use crate::model::Product;
use crate::plan::compute::{self, PlanOptions};
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

/// The revision chosen and the plan that goes back to it.
pub async fn plan_undo(
    cluster: &Cluster,
    product: &Product,
    requested: Option<u64>,
    options: &PlanOptions,
) -> Result<(u64, Plan), OpsError> {
    let history = history_of(cluster, product);
    let number = match requested {
        Some(number) => number,
        None => choose_target(&history.list().await?, None)?,
    };
    let revision = history.get(number).await?;
    let mut desired = desired_set_of(&revision.meta, &revision.desired);
    let restored =
        restore(&mut desired, &Sensitive::of(&render::render(product))).map_err(|reason| {
            OpsError::SecretValuesUnavailable {
                revision: number,
                reason,
            }
        })?;
    let mut plan = compute::plan(cluster, &desired, options).await?;
    plan.warnings.extend(restored.iter().map(|key| {
        format!(
            "{}: its values come from the product inputs as they are now, not from revision {number} (history never stores secret values)",
            key
        )
    }));
    Ok((number, plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(number: u64, outcome: RevisionOutcome) -> RevisionMeta {
        RevisionMeta {
            number,
            time: String::new(),
            user: String::new(),
            source: String::new(),
            signature: None,
            plan_digest: String::new(),
            desired_digest: String::new(),
            product: "orders".into(),
            product_version: "1.0.0".into(),
            environment: "dev".into(),
            namespace: "orders-dev".into(),
            outcome,
            objects: Vec::new(),
        }
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

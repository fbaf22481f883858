//! Carrying out a reviewed plan: the blocked-plan check, the artifact tag
//! check, then the apply session (lock, revision, apply, rollback).

use super::artifact::{self, Access, Fetched};
use super::platform_manifest::FetchedManifest;
use super::prepare::absolute;
use super::OpsError;
use crate::apply::session::{self, SessionError, SessionOptions, SessionReport};
use crate::apply::Reporter;
use crate::cluster::Cluster;
use crate::model::Product;
use crate::oci::ArtifactRef;
use crate::plan::{Plan, PlanSource};
use tokio::sync::watch;

/// Where the desired set came from, for the revision record, and the
/// artifact tag that must not move before the apply starts.
pub struct Origin {
    pub source: String,
    pub signature: Option<String>,
    /// What was rendered: the product files' digest, or the artifact's.
    pub input_digest: Option<String>,
    /// The artifact rendered, pinned to its digest.
    pub artifact: Option<String>,
    pinned: Option<PlanSource>,
    access: Access,
}

impl Origin {
    /// A directory, a saved plan or a revision: nothing to re-check.
    pub fn local(source: String) -> Origin {
        Origin {
            source,
            signature: None,
            input_digest: None,
            artifact: None,
            pinned: None,
            access: Access::default(),
        }
    }

    /// A product directory, read just now.
    pub fn of_directory(product: &Product) -> Origin {
        Origin {
            input_digest: Some(product.input_digest.clone()),
            ..Origin::local(format!("dir {}", absolute(&product.dir).display()))
        }
    }

    /// An artifact pulled by digest and verified just now.
    pub fn of_artifact(fetched: &Fetched, access: &Access) -> Origin {
        Origin {
            source: fetched.pulled.pinned().to_string(),
            signature: Some(fetched.verification.summary()),
            input_digest: Some(fetched.pulled.digest.clone()),
            artifact: Some(fetched.pulled.pinned().to_string()),
            pinned: Some(fetched.plan_source()),
            access: access.clone(),
        }
    }

    /// With the platform manifest fetched from a registry: the revision
    /// records its digest, and its signature check beside the product's.
    pub fn with_manifest(mut self, manifest: Option<&FetchedManifest>) -> Origin {
        let Some(m) = manifest else {
            return self;
        };
        self.source = format!("{}; platform manifest {}", self.source, m.pinned());
        if let Some(checked) = m.signature() {
            let manifest = format!("platform manifest {checked}");
            self.signature = Some(match self.signature.take() {
                Some(product) => format!("{product}; {manifest}"),
                None => manifest,
            });
        }
        self
    }

    /// An artifact's tag must still point at what was planned and verified.
    async fn check_tag(&self) -> Result<(), OpsError> {
        let Some(pinned) = &self.pinned else {
            return Ok(());
        };
        let reference = ArtifactRef::parse(&pinned.reference)?;
        artifact::check_tag(&reference, &pinned.digest, &self.access.registry).await
    }
}

/// Refuses a plan that destroys objects a guardrail holds back.
pub fn check_not_blocked(plan: &Plan) -> Result<(), OpsError> {
    // The session's own check, asked before the approval prompt.
    session::check_not_blocked(plan).map_err(|e| match e {
        SessionError::Blocked(what) => OpsError::Blocked(what),
        other => other.into(),
    })
}

/// Applies an approved plan: the artifact's tag may have moved while the
/// plan was reviewed, so that is checked first; then the session takes the
/// lock, records the revision and applies. `cancel` turning true stops it.
pub async fn apply(
    cluster: &Cluster,
    plan: &Plan,
    origin: &Origin,
    mut options: SessionOptions,
    reporter: &dyn Reporter,
    cancel: watch::Receiver<bool>,
) -> Result<SessionReport, OpsError> {
    origin.check_tag().await?;
    options.source = origin.source.clone();
    options.signature = origin.signature.clone();
    options.input_digest = origin.input_digest.clone();
    options.artifact = origin.artifact.clone();
    Ok(session::run(cluster, plan, &options, reporter, cancel).await?)
}

//! A command's failure: the error chain, a hint and the exit code, decided
//! in one place for every error the use cases return.

use super::output::diagnostics;
use crate::apply::session::SessionError;
use crate::apply::way_back::RevisionError;
use crate::cluster::ClusterError;
use crate::model::LoadError;
use crate::oci::OciError;
use crate::oci::PolicyError;
use crate::ops::OpsError;
use crate::plan::fresh::StaleError;
use crate::plan::PlanError;
use crate::state::StateError;

/// Exit codes shared with the floe platform CLI.
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const GENERAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const PERMISSION: i32 = 4;
    pub const VALIDATION: i32 = 5;
    pub const SIGNATURE: i32 = 6;
    pub const COMPILATION: i32 = 7;
    pub const NETWORK: i32 = 8;
    /// Stopped by a signal (SIGINT, SIGTERM, SIGHUP), as shells report it.
    pub const INTERRUPTED: i32 = 130;
}

/// What `main` prints (`details`, then `Error: ...` and the hint) and the
/// exit code it returns.
pub struct Failure {
    pub error: anyhow::Error,
    pub hint: Option<String>,
    pub code: i32,
    /// Lines shown before the error (the validation problems).
    pub details: String,
}

impl Failure {
    pub fn new(code: i32, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            error: error.into(),
            hint: None,
            code,
            details: String::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the failure to stderr; returns the exit code.
    pub fn report(self) -> i32 {
        eprint!("{}", self.details);
        eprintln!("Error: {:#}", self.error);
        if let Some(hint) = &self.hint {
            eprintln!("  hint: {hint}");
        }
        self.code
    }
}

const CYCLE_HINT: &str =
    "remove one of the dependencies in the cycle (dependsOn in floe-deploy.yaml)";
const LOCKED_HINT: &str =
    "wait for the other apply to finish; if it died, `floe unlock` removes its lock";
const BLOCKED_HINT: &str = "review the destroys, then re-run with the flag named";
const MODIFIED_HINT: &str = "someone who can write ConfigMaps in the namespace changed the revision record; nothing was applied. `floe history` lists the revisions; deploying the product goes forward without it";
const NEW_PLAN_HINT: &str = "make a new plan with `floe plan --out FILE` and review it again";

impl From<OpsError> for Failure {
    fn from(err: OpsError) -> Self {
        let details = match &err {
            OpsError::Invalid { diagnostics: all } => diagnostics::to_text(all),
            _ => String::new(),
        };
        let (code, hint) = code_and_hint(&err);
        let mut failure = Failure::new(code, err);
        failure.hint = hint;
        failure.details = details;
        failure
    }
}

fn code_and_hint(err: &OpsError) -> (i32, Option<String>) {
    let (code, hint): (i32, Option<&str>) = match err {
        OpsError::Load(e) => return load_code(e),
        OpsError::Invalid { .. } => (exit::VALIDATION, Some("run `floe validate` for the full report; docs/deploy-settings.md describes floe-deploy.yaml")),
        OpsError::Graph(_) => (exit::VALIDATION, Some(CYCLE_HINT)),
        OpsError::Cluster(e) => cluster_code(e),
        OpsError::Plan(e) => plan_code(e),
        OpsError::State(e) => state_code(e),
        OpsError::Session(e) => session_code(e),
        OpsError::Oci(e) => oci_code(e),
        OpsError::Policy(e) => policy_code(e),
        OpsError::Stale(StaleError::Cluster(ClusterError::Unreachable { .. })) => (exit::NETWORK, Some(NEW_PLAN_HINT)),
        OpsError::Stale(_) => (exit::GENERAL, Some(NEW_PLAN_HINT)),
        OpsError::ReadPlan { .. } | OpsError::ReadBundle { .. } | OpsError::ReadFile { .. } => (exit::NOT_FOUND, None),
        OpsError::NotAPlan { .. } => (exit::VALIDATION, None),
        OpsError::BadSavedPlan(_) => (exit::VALIDATION, Some("make a new plan with `floe plan oci://... --out FILE`")),
        OpsError::NoLongerMatches(_) | OpsError::OutsideNamespace { .. } => (exit::GENERAL, Some(NEW_PLAN_HINT)),
        OpsError::PlanEdited { .. } => (exit::SIGNATURE, Some("the plan file was changed after `floe plan`; make a new plan and review it")),
        OpsError::WritePlan { .. } | OpsError::WriteFile { .. } => (exit::GENERAL, None),
        OpsError::ImageWithArtifact { .. } => (exit::USAGE, Some("publish a new artifact with the image, or deploy the product directory")),
        OpsError::SignatureRefused { policy, .. } => {
            return (exit::SIGNATURE, Some(format!("nothing was deployed; the policy is {policy}")))
        }
        OpsError::TagMoved { .. } => (exit::SIGNATURE, Some("plan again to review and verify what the tag points at now")),
        OpsError::Blocked(_) => (exit::GENERAL, Some(BLOCKED_HINT)),
        OpsError::LockLive { .. } => (exit::GENERAL, Some("if that apply is gone for good, `floe unlock --force` removes the lock anyway")),
        OpsError::NoEarlierRevision => (exit::NOT_FOUND, Some("`floe history` lists the revisions")),
        OpsError::Revision(RevisionError::Foreign { .. }) | OpsError::RevisionModified { .. } => (exit::SIGNATURE, Some(MODIFIED_HINT)),
        OpsError::Revision(RevisionError::NeedsVerification { .. }) => (exit::GENERAL, None),
        OpsError::SecretValuesUnavailable { .. } => (exit::VALIDATION, Some("put the credential back in the platform manifest (dev) or create the Secret yourself, then undo again")),
        OpsError::Export(_) => (exit::GENERAL, None),
        OpsError::OutNotEmpty { .. } => (exit::GENERAL, Some("export into an empty or new directory; floe replaces only a chart it exported itself")),
    };
    (code, hint.map(str::to_string))
}

fn load_code(err: &LoadError) -> (i32, Option<String>) {
    match err {
        LoadError::NotFound { hint, .. } => (exit::NOT_FOUND, Some(hint.clone())),
        LoadError::Read { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            (exit::PERMISSION, None)
        }
        _ => (exit::GENERAL, None),
    }
}

/// An apply session fails with exit 1 unless the cluster went away (8) or
/// a second signal abandoned it (130); a held lock says what to do about it.
fn session_code(err: &SessionError) -> (i32, Option<&'static str>) {
    match err {
        SessionError::Cluster(e) | SessionError::State(StateError::Cluster(e)) => cluster_code(e),
        SessionError::InterruptedWaiting => (exit::INTERRUPTED, None),
        SessionError::Abandoned { .. } => (exit::INTERRUPTED, Some("`floe history` and `floe status` show where it got to; a re-run converges")),
        SessionError::State(StateError::Locked { .. }) => (exit::GENERAL, Some(LOCKED_HINT)),
        SessionError::Blocked(_) => (exit::GENERAL, Some(BLOCKED_HINT)),
        SessionError::Stale(_) | SessionError::NoLongerMatches(_) => (exit::GENERAL, Some(NEW_PLAN_HINT)),
        SessionError::State(StateError::LockLost { .. }) => (exit::GENERAL, Some("the apply stopped when another writer took the lock; `floe history` and `floe status` show where it got to")),
        _ => (exit::GENERAL, None),
    }
}

fn cluster_code(err: &ClusterError) -> (i32, Option<&'static str>) {
    match err {
        ClusterError::Unreachable { .. } => (exit::NETWORK, Some("check that the cluster is running and the kubeconfig points at it (--kubeconfig, --context)")),
        ClusterError::Forbidden { .. } => (exit::PERMISSION, Some("the kubeconfig's user lacks permission; ask a platform operator for the floe deployer role")),
        ClusterError::KubeconfigNotFound(_) => (exit::NOT_FOUND, Some("pass --kubeconfig FILE or set KUBECONFIG")),
        _ => (exit::GENERAL, Some("pass --kubeconfig FILE or set KUBECONFIG")),
    }
}

fn plan_code(err: &PlanError) -> (i32, Option<&'static str>) {
    match err {
        PlanError::Cluster(e) => cluster_code(e),
        PlanError::Graph(_) => (exit::VALIDATION, Some(CYCLE_HINT)),
        PlanError::NamespaceTaken { .. } => (exit::VALIDATION, Some("give this product a namespace of its own: set namespace.name in floe-deploy.yaml (or leave it out for <product>-<env>)")),
        _ => (exit::GENERAL, None),
    }
}

fn state_code(err: &StateError) -> (i32, Option<&'static str>) {
    match err {
        StateError::Cluster(e) => cluster_code(e),
        StateError::NotFound { .. } => {
            (exit::NOT_FOUND, Some("`floe history` lists the revisions"))
        }
        StateError::Locked { .. } => (exit::GENERAL, Some(LOCKED_HINT)),
        StateError::Modified { .. } => (exit::SIGNATURE, Some(MODIFIED_HINT)),
        _ => (exit::GENERAL, None),
    }
}

fn oci_code(err: &OciError) -> (i32, Option<&'static str>) {
    match err {
        OciError::BadReference { .. } => (exit::USAGE, Some("e.g. oci://registry.example.com/floe/orders:1.2.0")),
        OciError::Unauthorized { .. } => (exit::NETWORK, Some("set FLOE_REGISTRY_USERNAME and FLOE_REGISTRY_PASSWORD (or FLOE_REGISTRY_TOKEN), or log in with `docker login`")),
        OciError::Unreachable { .. } => (exit::NETWORK, Some("check the registry address; for a registry without TLS add --plain-http")),
        OciError::Registry { .. } => (exit::NETWORK, None),
        OciError::NotFound { .. } => (exit::NOT_FOUND, Some("check the repository and tag; `floe artifact push` publishes one")),
        OciError::NotAnArtifact { .. } => (exit::VALIDATION, Some("floe deploys artifacts pushed by `floe artifact push` or the floe platform")),
        OciError::DigestMismatch { .. } => (exit::SIGNATURE, Some("the registry's content changed after it was published; do not deploy it")),
        OciError::ImmutableTag { .. } => (exit::GENERAL, Some("publish a new version (bump metadata.version) or push a non-release tag")),
        OciError::Io { source, .. } => (io_code(source), None),
        OciError::Product { .. } => (exit::VALIDATION, None),
        OciError::CredentialsOverPlainHttp { .. } => (exit::USAGE, Some("use TLS (drop --plain-http), or a registry on this machine")),
    }
}

fn policy_code(err: &PolicyError) -> (i32, Option<&'static str>) {
    let code = match err {
        PolicyError::Read { source, .. } | PolicyError::Material { source, .. } => {
            match io_code(source) {
                exit::GENERAL => exit::VALIDATION,
                code => code,
            }
        }
        _ => exit::VALIDATION,
    };
    (
        code,
        Some("docs/oci-artifacts.md describes the signature policy file"),
    )
}

fn io_code(err: &std::io::Error) -> i32 {
    match err.kind() {
        std::io::ErrorKind::NotFound => exit::NOT_FOUND,
        std::io::ErrorKind::PermissionDenied => exit::PERMISSION,
        _ => exit::GENERAL,
    }
}

//! The plan: pure, versioned data saying what an apply would do.
//!
//! [`compute`] builds it from the desired set and the cluster ([`destroy`]:
//! the plan that deletes all a product owns); everything else
//! here (summary, [`format`]) works on the data alone and never talks to the
//! cluster. Apply reads only `changes` (with their `desired` bodies) and
//! `edges`.

pub mod compare;
pub mod compute;
pub mod destroy;
mod dry_run;
mod error;
pub mod format;

pub use error::PlanError;
mod adopt;
pub mod fresh;
pub mod normalize;
pub mod observe;
pub mod redact;
mod residents;
pub mod sensitive;
mod unchanged;

use crate::object::ObjectKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Bumped on any incompatible change of the JSON shape (docs/plan-format.md).
pub const FORMAT_VERSION: u32 = 2;

/// What happens to one object. Replace is delete-then-create, in that order.
/// Adopt is an update of an object floe did not make: the apply takes it
/// over, and from then on floe owns it (and may prune it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    Adopt,
}

impl Action {
    /// The primitive steps, in execution order, as JSON consumers see them:
    /// a replace is `["delete", "create"]` so a scan for deletes finds it.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
            Action::Adopt => &["adopt"],
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Adopt => "<=",
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::NoOp => "unchanged",
            Action::Create => "will be created",
            Action::Update => "will be updated in place",
            Action::Replace => "must be replaced",
            Action::Delete => "will be destroyed",
            Action::Adopt => "will be adopted",
        }
    }
}

/// A field owned by another field manager that floe's apply would take over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The other field manager (`kubectl-edit`, `kubectl-client-side-apply`, ...).
    pub manager: String,
    /// The field path as the API server reports it (`.spec.replicas`).
    pub field: String,
}

/// One object's planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `kind/name` as kubectl prints it.
    pub address: String,
    pub key: ObjectKey,
    pub api_version: String,
    pub action: Action,
    /// The same as `action.steps()`, spelled out for JSON consumers.
    pub actions: Vec<String>,
    /// Normalised live object (secrets redacted); `None` when it does not exist.
    pub before: Option<Value>,
    /// Normalised object after the apply, as the API server's dry run
    /// produced it (secrets redacted); `None` for a delete.
    pub after: Option<Value>,
    /// What floe sends with server-side apply; `None` for a delete. A
    /// Secret's values appear as fingerprints: apply sends them from
    /// [`Plan::sensitive`].
    pub desired: Option<Value>,
    /// For a replace: the immutable field that forces it and the server's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_reason: Option<String>,
    /// Fields changed in the cluster by another manager that floe manages
    /// (for an adopt: that floe will take over).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Conflict>,
    /// For an object floe does not own yet (an adopt): the field managers
    /// that wrote it, as its managedFields name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_managers: Vec<String>,
    /// resourceVersion of the live object when planned; apply refuses a plan
    /// whose objects moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_resource_version: Option<String>,
    /// uid of the live object when planned. A delete (and the delete of a
    /// replace) is sent with it and `live_resource_version` as
    /// preconditions, so it never removes an object that changed or was
    /// recreated since the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_uid: Option<String>,
    /// The flag that must be given to carry out this change (pruning
    /// guardrails); `None` when nothing stands in the way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_flag: Option<String>,
}

impl Change {
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Address of the object done first.
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// What the plan saw, so a saved plan is refused when the cluster moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterIdentity {
    pub server: String,
    /// UID of the kube-system namespace: stable for the life of a cluster,
    /// different for every cluster.
    pub kube_system_uid: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    pub unchanged: usize,
    /// Existing objects floe takes over (absent from older plans: 0).
    #[serde(default)]
    pub adopt: usize,
}

impl Summary {
    pub fn of(changes: &[Change]) -> Summary {
        let mut s = Summary::default();
        for c in changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.destroy += 1,
                Action::NoOp => s.unchanged += 1,
                Action::Adopt => s.adopt += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.add + self.change + self.replace + self.destroy + self.adopt > 0
    }

    /// `Plan: 2 to add, 1 to change, 0 to replace, 0 to destroy.`, and
    /// `, 1 to adopt` before the stop when anything is adopted.
    pub fn line(&self) -> String {
        let adopt = match self.adopt {
            0 => String::new(),
            n => format!(", {n} to adopt"),
        };
        format!(
            "Plan: {} to add, {} to change, {} to replace, {} to destroy{adopt}.",
            self.add, self.change, self.replace, self.destroy
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub product: String,
    pub product_version: String,
    pub environment: String,
    pub namespace: String,
    pub cluster: ClusterIdentity,
    /// Digest of the desired set the plan was made from.
    pub desired_digest: String,
    /// In apply order: creates and updates in dependency order, then deletes
    /// in reverse dependency order.
    pub changes: Vec<Change>,
    pub edges: Vec<Edge>,
    pub summary: Summary,
    /// Changes held back by a guardrail, with the flag that allows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
    /// Problems worth a reader's attention that do not stop the plan
    /// (references to objects that do not exist, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Where the desired set came from when it was an OCI artifact: apply
    /// refuses the plan when the tag has moved since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PlanSource>,
    /// What the plan was made from and how, so that applying a saved plan
    /// can make it again and refuse any difference. Set for every plan
    /// made from a product; `None` only for plans made in-process (undo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    /// The values of the Secrets the plan applies: never serialised, so a
    /// saved plan carries none (applying one renders its source again).
    #[serde(skip)]
    pub sensitive: sensitive::Sensitive,
}

/// The inputs a plan is bound to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The floe that made the plan: another version may render or plan
    /// differently, so it never applies the plan.
    pub floe_version: String,
    /// `sha256:` of the product files read, or for an artifact its
    /// manifest digest.
    pub input_digest: String,
    /// The product directory (absolute), when planned from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// `--image` as given, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The guardrail flags the plan was made with.
    pub options: BoundOptions,
}

/// The plan options that change what a plan holds (not how fast it is made).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BoundOptions {
    pub allow_prune_namespace: bool,
    /// `--adopt`: objects floe did not make are taken over.
    #[serde(default)]
    pub adopt: bool,
    pub allow_prune_data: bool,
    pub allow_mass_prune: bool,
    pub max_prune_share: f64,
}

/// This floe's version, as saved plans record it.
pub fn floe_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The artifact a plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSource {
    /// As given: `oci://registry/repo:tag`.
    pub reference: String,
    /// The manifest digest that was pulled, verified and planned.
    pub digest: String,
    /// What signature verification found (never a secret).
    pub signature: String,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.has_changes()
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::Summary;

    #[test]
    fn the_plan_line_names_adoptions_only_when_there_are_some() {
        let mut s = Summary {
            add: 2,
            change: 1,
            ..Summary::default()
        };
        assert_eq!(
            s.line(),
            "Plan: 2 to add, 1 to change, 0 to replace, 0 to destroy."
        );
        s.adopt = 1;
        assert_eq!(
            s.line(),
            "Plan: 2 to add, 1 to change, 0 to replace, 0 to destroy, 1 to adopt."
        );
        assert!(Summary {
            adopt: 1,
            ..Summary::default()
        }
        .has_changes());
    }
}

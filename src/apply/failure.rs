//! Why one object's step failed, in words for the user.

/// A failed step: the reason, and what the cluster says about it.
pub(super) struct StepFailure {
    pub reason: String,
    pub diagnosis: Vec<String>,
}

impl StepFailure {
    pub fn plain(reason: impl Into<String>) -> Self {
        StepFailure {
            reason: reason.into(),
            diagnosis: Vec::new(),
        }
    }
}

/// The API server's own message when there is one.
pub(super) fn api_message(e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message,
        other => other.to_string(),
    }
}

//! The use cases' notes, on stderr before their results.

use super::output::{artifact, diagnostics};
use super::terminal::note;
use crate::model::Diagnostic;
use crate::oci::ArtifactRef;
use crate::ops::artifact::Fetched;
use crate::ops::Notes;

pub struct StderrNotes;

impl Notes for StderrNotes {
    fn warnings(&self, warnings: &[Diagnostic]) {
        note(&diagnostics::to_text(warnings));
    }

    fn fetched(&self, fetched: &Fetched) {
        note(&artifact::fetched_notes(fetched));
    }

    fn read_unverified(&self, reference: &ArtifactRef, digest: &str) {
        note(&format!(
            "Reading {reference} ({digest}); its signature is not checked here, nothing is deployed from it\n"
        ));
    }
}

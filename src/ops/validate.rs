//! `floe validate`: every problem of a product's files at once.

use super::OpsError;
use crate::model::{self, Diagnostic, Environment};
use crate::render;
use std::path::Path;

/// The problems found, and how many objects a valid product renders to.
#[derive(Debug, Clone)]
pub struct ValidationReport {
    pub environment: Environment,
    pub diagnostics: Vec<Diagnostic>,
    /// `None` when there are errors (nothing is rendered from invalid input).
    pub objects: Option<usize>,
}

impl ValidationReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Loads, validates and (when valid) renders the product. A missing or
/// unreadable file is an error; problems in the files are the report.
pub fn validate(
    dir: &Path,
    env: Environment,
    image: Option<&str>,
) -> Result<ValidationReport, OpsError> {
    let (diagnostics, objects) = match model::load(dir, env, image) {
        Ok(product) => {
            let diagnostics = model::validate::validate(&product);
            let objects = (!diagnostics.iter().any(Diagnostic::is_error))
                .then(|| render::render(&product).objects.len());
            (diagnostics, objects)
        }
        Err(model::LoadError::Invalid(diagnostics)) => (diagnostics, None),
        Err(other) => return Err(OpsError::Load(other)),
    };
    Ok(ValidationReport {
        environment: env,
        diagnostics,
        objects,
    })
}

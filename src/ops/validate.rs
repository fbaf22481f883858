//! `floe validate`: every problem of a product's files at once.

use super::prepare::graph_of;
use super::OpsError;
use crate::graph::GraphError;
use crate::model::{
    self, find_line_exact, Diagnostic, Environment, Inputs, Product, SETTINGS_FILE,
};
use crate::render::{self, DesiredSet};
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
    inputs: &Inputs,
) -> Result<ValidationReport, OpsError> {
    let (diagnostics, objects) = match model::load_with(dir, env, inputs) {
        Ok(product) => {
            let mut diagnostics = model::validate::validate(&product);
            let mut objects = None;
            if !diagnostics.iter().any(Diagnostic::is_error) {
                let desired = render::render(&product);
                match graph_problem(&product, &desired) {
                    Some(problem) => diagnostics.push(problem),
                    None => objects = Some(desired.objects.len()),
                }
            }
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

/// The dependency graph is part of validity (plan and apply build it too):
/// a `dependsOn` cycle is reported where it is written.
fn graph_problem(product: &Product, desired: &DesiredSet) -> Option<Diagnostic> {
    let Err(OpsError::Graph(err)) = graph_of(desired) else {
        return None;
    };
    let path = match &err {
        GraphError::Cycle { cycle } => cycle
            .first()
            .map(|key| format!("workloads.{}.dependsOn", key.name))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let text = std::fs::read_to_string(product.dir.join(SETTINGS_FILE)).unwrap_or_default();
    let line = find_line_exact(&text, &path);
    Some(
        Diagnostic::error(SETTINGS_FILE, path, err.to_string())
            .with_line(line)
            .with_hint("remove one of the dependencies in the cycle (dependsOn)"),
    )
}

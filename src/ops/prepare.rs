//! Load → validate → render → graph, once: everything a command needs to
//! know about the desired state before it talks to a cluster.

use super::OpsError;
use crate::graph::Graph;
use crate::model::{self, Diagnostic, Environment, Inputs, Product};
use crate::render::{self, DesiredSet};
use std::path::{Path, PathBuf};

/// A valid product and its desired objects, in dependency order.
pub struct Prepared {
    pub product: Product,
    pub desired: DesiredSet,
    pub graph: Graph,
    /// Warnings found while loading and validating, for the caller to show.
    pub warnings: Vec<Diagnostic>,
}

/// The product in `dir` for `env`, validated; nothing is rendered from
/// invalid input ([`OpsError::Invalid`] carries every problem).
pub fn load_valid(
    dir: &Path,
    env: Environment,
    inputs: &Inputs,
) -> Result<(Product, Vec<Diagnostic>), OpsError> {
    let product = model::load_with(dir, env, inputs)?;
    let diagnostics = model::validate::validate(&product);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(OpsError::Invalid { diagnostics });
    }
    Ok((product, diagnostics))
}

/// The desired objects of a valid product (one whose dependencies have no
/// cycle), in dependency order, and the warnings.
pub fn desired(
    dir: &Path,
    env: Environment,
    inputs: &Inputs,
) -> Result<(DesiredSet, Vec<Diagnostic>), OpsError> {
    let (product, warnings) = load_valid(dir, env, inputs)?;
    let desired = render::render(&product);
    // A product whose objects depend on each other in a circle is not valid.
    graph_of(&desired)?;
    Ok((desired, warnings))
}

/// [`load_valid`], rendered and ordered.
pub fn prepare(dir: &Path, env: Environment, inputs: &Inputs) -> Result<Prepared, OpsError> {
    let (product, warnings) = load_valid(dir, env, inputs)?;
    let desired = render::render(&product);
    let graph = graph_of(&desired)?;
    Ok(Prepared {
        product,
        desired,
        graph,
        warnings,
    })
}

/// The dependency graph of a desired set (fails on a cycle).
pub fn graph_of(desired: &DesiredSet) -> Result<Graph, OpsError> {
    Ok(Graph::build(
        &desired.objects,
        &[],
        &desired.extra_dependencies,
    )?)
}

/// The product validated for every environment (an artifact must deploy
/// everywhere). Each problem is reported once, even when environments share
/// it. Returns the dev product and the warnings.
pub fn load_valid_everywhere(
    dir: &Path,
    inputs: &Inputs,
) -> Result<(Product, Vec<Diagnostic>), OpsError> {
    load_checked_everywhere(dir, inputs, |_| true)
}

/// [`load_valid_everywhere`], counting only the problems `counts` keeps
/// (one the deploy settles, such as the image of an artifact that names
/// none, is left out).
pub fn load_checked_everywhere(
    dir: &Path,
    inputs: &Inputs,
    counts: impl Fn(&Diagnostic) -> bool,
) -> Result<(Product, Vec<Diagnostic>), OpsError> {
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut dev = None;
    for env in Environment::ALL {
        let diagnostics = match model::load_with(dir, env, inputs) {
            Ok(product) => {
                let diagnostics = model::validate::validate(&product);
                if env == Environment::Dev {
                    dev = Some(product);
                }
                diagnostics
            }
            Err(model::LoadError::Invalid(diagnostics)) => diagnostics,
            Err(other) => return Err(OpsError::Load(other)),
        };
        for d in diagnostics.into_iter().filter(|d| counts(d)) {
            if !all.contains(&d) {
                all.push(d);
            }
        }
    }
    match dev {
        Some(product) if !all.iter().any(Diagnostic::is_error) => Ok((product, all)),
        _ => Err(OpsError::Invalid { diagnostics: all }),
    }
}

/// `dir` as an absolute path (as given when it cannot be resolved).
pub fn absolute(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

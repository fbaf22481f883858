//! Semantic rules over a loaded product: every problem at once, each with its
//! file, field path and a hint. Structural problems (unknown fields, wrong
//! types) are caught earlier, while loading.
//!
//! The rules run in a fixed order (floe.yaml, the manifest, the settings;
//! per workload field by field) so the report reads like the files.

mod batch;
mod config;
mod containers;
mod cron;
mod image;
mod ingress;
mod manifest;
mod names;
mod probes;
mod quota;
mod resources;
mod scaling;
mod scheduling;
mod scope;
mod secrets;
mod settings;
mod spec;
mod volumes;
mod workload;

pub use cron::check_cron;
pub use names::{is_dns1123_label, is_dns1123_subdomain};

use super::diag::Diagnostic;
use super::{find_line_exact, Product, SETTINGS_FILE, SPEC_FILE};

/// All rule violations and warnings for the product's environment.
pub fn validate(product: &Product) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    spec::spec_rules(product, &mut out);
    manifest::manifest_rules(product, &mut out);
    settings::settings_rules(product, &mut out);
    out.extend(product.warnings.iter().cloned());
    if product.spec_file != SPEC_FILE {
        // The spec was mapped from the compiled output: point there.
        for d in out.iter_mut().filter(|d| d.file == SPEC_FILE) {
            d.file = product.spec_file.clone();
            d.path = crate::model::compiled::compiled_path(&d.path);
        }
    }
    add_lines(product, &mut out);
    out
}

/// Line numbers for the problems found after loading, where the field is
/// written in the file (in the environment's overlay first, where the
/// merged value most likely came from).
fn add_lines(p: &Product, out: &mut [Diagnostic]) {
    let read = |file: &str| std::fs::read_to_string(p.dir.join(file)).unwrap_or_default();
    let texts = [
        (SETTINGS_FILE, read(SETTINGS_FILE)),
        (SPEC_FILE, read(SPEC_FILE)),
        (p.manifest_file.as_str(), read(&p.manifest_file)),
    ];
    for d in out.iter_mut() {
        if d.line.is_some() || d.path.is_empty() {
            continue;
        }
        let Some((_, text)) = texts.iter().find(|(file, _)| *file == d.file) else {
            continue;
        };
        let overlay = format!("environments.{}.{}", p.env, d.path);
        d.line = find_line_exact(text, &overlay).or_else(|| find_line_exact(text, &d.path));
    }
}

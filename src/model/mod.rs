//! The input model: a product directory (or the platform's compiled
//! output) read into typed data.
//!
//! Loading never stops at the first problem it can step over: each file that
//! parses is checked, and every problem comes back as a [`Diagnostic`].

pub mod compiled;
pub mod credentials;
pub mod defaults;
pub mod diag;
pub mod effective;
mod layers;
mod load;
pub mod observability;
mod parse;
pub mod platform;
mod product;
pub mod quantity;
pub mod settings;
mod type_error;
pub mod validate;
mod yaml_lines;

pub use diag::{Diagnostic, Severity};
pub use load::{load, load_with, Inputs, LoadError, RemoteManifest};
pub use parse::{parse_typed, parse_yaml_value};
pub use platform::{FloeSpec, Manifest};
pub use product::{Environment, Product, DEFAULT_MANIFEST_FILE, SPEC_FILE};
pub use settings::{DeploySettings, WorkloadConfig, WorkloadKind, SETTINGS_FILE};

pub(crate) use yaml_lines::find_line_exact;

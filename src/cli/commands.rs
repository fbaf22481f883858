//! One function per command.

use super::{exit, Command, Failure, ProductArgs, RenderFormat, ReportFormat};
use crate::model::{self, Diagnostic, LoadError, Product};
use crate::render;
use std::io::Write;

pub fn run(command: Command) -> Result<i32, Failure> {
    match command {
        Command::Render { product, output } => render_cmd(&product, output),
        Command::Validate { product, output } => validate_cmd(&product, output),
    }
}

fn load(args: &ProductArgs) -> Result<Product, LoadOutcome> {
    model::load(&args.dir, args.env.into(), args.image.as_deref()).map_err(LoadOutcome::from)
}

/// Loading either fails outright (missing file) or with diagnostics that the
/// caller reports in its own format.
enum LoadOutcome {
    Failed(Failure),
    Invalid(Vec<Diagnostic>),
}

impl From<LoadError> for LoadOutcome {
    fn from(err: LoadError) -> Self {
        match err {
            LoadError::Invalid(diags) => LoadOutcome::Invalid(diags),
            LoadError::NotFound { ref hint, .. } => {
                let hint = hint.clone();
                LoadOutcome::Failed(Failure::new(exit::NOT_FOUND, err).hint(hint))
            }
            LoadError::Read { ref source, .. } => {
                let code = if source.kind() == std::io::ErrorKind::PermissionDenied {
                    exit::PERMISSION
                } else {
                    exit::GENERAL
                };
                LoadOutcome::Failed(Failure::new(code, err))
            }
        }
    }
}

/// Loads and validates; on problems prints them to stderr and fails with
/// exit 5, so nothing is rendered from invalid input.
fn load_valid(args: &ProductArgs) -> Result<Product, Failure> {
    let diags = match load(args) {
        Ok(product) => {
            let diags = model::validate::validate(&product);
            if !diags.iter().any(Diagnostic::is_error) {
                print_diagnostics_stderr(&diags);
                return Ok(product);
            }
            diags
        }
        Err(LoadOutcome::Failed(f)) => return Err(f),
        Err(LoadOutcome::Invalid(diags)) => diags,
    };
    print_diagnostics_stderr(&diags);
    Err(validation_failure(&diags))
}

fn validation_failure(diags: &[Diagnostic]) -> Failure {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    Failure::new(
        exit::VALIDATION,
        anyhow::anyhow!("validation failed with {errors} error{}", if errors == 1 { "" } else { "s" }),
    )
    .hint("run `floe validate` for the full report; docs/deploy-settings.md describes floe-deploy.yaml")
}

fn print_diagnostics_stderr(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{}: {d}", severity_word(d));
    }
}

fn severity_word(d: &Diagnostic) -> &'static str {
    if d.is_error() {
        "error"
    } else {
        "warning"
    }
}

fn render_cmd(args: &ProductArgs, format: RenderFormat) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let desired = render::render(&product);
    let text = match format {
        RenderFormat::Yaml => desired.to_yaml(),
        RenderFormat::Json => desired.to_json(),
    };
    write_stdout(&text)?;
    Ok(exit::SUCCESS)
}

fn validate_cmd(args: &ProductArgs, format: ReportFormat) -> Result<i32, Failure> {
    let (diags, objects) = match load(args) {
        Ok(product) => {
            let diags = model::validate::validate(&product);
            let objects = if diags.iter().any(Diagnostic::is_error) {
                None
            } else {
                Some(render::render(&product).objects.len())
            };
            (diags, objects)
        }
        Err(LoadOutcome::Failed(f)) => return Err(f),
        Err(LoadOutcome::Invalid(diags)) => (diags, None),
    };
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let env: model::Environment = args.env.into();
    match format {
        ReportFormat::Json => {
            let report = serde_json::json!({
                "format_version": 1,
                "valid": errors == 0,
                "environment": env.as_str(),
                "error_count": errors,
                "warning_count": warnings,
                "diagnostics": diags,
            });
            write_stdout(&(serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"))?;
        }
        ReportFormat::Text => {
            let mut text = String::new();
            for d in &diags {
                text.push_str(&format!("{}: {d}\n", severity_word(d)));
            }
            match objects {
                Some(n) => text.push_str(&format!(
                    "{} is valid for {env}: {n} objects, {warnings} warning{}.\n",
                    args.dir.display(),
                    if warnings == 1 { "" } else { "s" }
                )),
                None => text.push_str(&format!(
                    "{errors} error{}, {warnings} warning{}.\n",
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )),
            }
            write_stdout(&text)?;
        }
    }
    if errors > 0 {
        return Ok(exit::VALIDATION);
    }
    Ok(exit::SUCCESS)
}

fn write_stdout(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`floe render | head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(exit::GENERAL, e)),
    }
}

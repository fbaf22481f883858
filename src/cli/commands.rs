//! One function per command.

use super::{
    exit, ClusterArgs, Command, Failure, GraphFormat, PlanArgs, PlanFormat, ProductArgs,
    RenderFormat, ReportFormat,
};
use crate::cluster::{self, ClusterError};
use crate::graph::{self, Graph};
use crate::model::{self, Diagnostic, LoadError, Product};
use crate::plan::compute::{PlanError, PlanOptions};
use crate::plan::{self, render as plan_render};
use crate::render;
use std::io::IsTerminal;
use std::io::Write;

pub fn run(command: Command) -> Result<i32, Failure> {
    match command {
        Command::Render { product, output } => render_cmd(&product, output),
        Command::Validate { product, output } => validate_cmd(&product, output),
        Command::Graph { product, format } => graph_cmd(&product, format),
        Command::Plan {
            product,
            cluster,
            plan,
            format,
            out,
            detailed_exitcode,
        } => plan_cmd(
            &product,
            &cluster,
            &plan,
            format,
            out.as_deref(),
            detailed_exitcode,
        ),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::GENERAL, e))
}

fn cluster_failure(err: ClusterError) -> Failure {
    let code = match &err {
        ClusterError::Unreachable { .. } => exit::NETWORK,
        ClusterError::Forbidden { .. } => exit::PERMISSION,
        ClusterError::KubeconfigNotFound(_) => exit::NOT_FOUND,
        _ => exit::GENERAL,
    };
    let hint = match &err {
        ClusterError::Unreachable { .. } => "check that the cluster is running and the kubeconfig points at it (--kubeconfig, --context)",
        ClusterError::Forbidden { .. } => "the kubeconfig's user lacks permission; ask a platform operator for the floe deployer role",
        _ => "pass --kubeconfig FILE or set KUBECONFIG",
    };
    Failure::new(code, err).hint(hint)
}

fn plan_failure(err: PlanError) -> Failure {
    match err {
        PlanError::Cluster(e) => cluster_failure(e),
        PlanError::Graph(e) => Failure::new(exit::VALIDATION, e)
            .hint("remove one of the dependencies in the cycle (dependsOn in floe-deploy.yaml)"),
        other => Failure::new(exit::GENERAL, other),
    }
}

fn graph_of(desired: &render::DesiredSet) -> Result<Graph, Failure> {
    Graph::build(&desired.objects, &[], &desired.extra_dependencies).map_err(|e| {
        Failure::new(exit::VALIDATION, e)
            .hint("remove one of the dependencies in the cycle (dependsOn in floe-deploy.yaml)")
    })
}

fn graph_cmd(args: &ProductArgs, format: GraphFormat) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let desired = render::render(&product);
    let g = graph_of(&desired)?;
    let text = match format {
        GraphFormat::Dot => graph::to_dot(&g),
        GraphFormat::Mermaid => graph::to_mermaid(&g),
        GraphFormat::Json => {
            serde_json::to_string_pretty(&graph::to_json(&g)).unwrap_or_default() + "\n"
        }
    };
    write_stdout(&text)?;
    Ok(exit::SUCCESS)
}

/// Colour on a terminal unless NO_COLOR is set (https://no-color.org).
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

fn plan_options(args: &PlanArgs) -> PlanOptions {
    PlanOptions {
        concurrency: args.concurrency as usize,
        allow_prune_namespace: args.allow_prune_namespace,
        allow_prune_data: args.allow_prune_data,
        allow_mass_prune: args.allow_mass_prune,
        ..PlanOptions::default()
    }
}

fn plan_cmd(
    args: &ProductArgs,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    format: PlanFormat,
    out: Option<&std::path::Path>,
    detailed_exitcode: bool,
) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let desired = render::render(&product);
    graph_of(&desired)?;
    let rt = runtime()?;
    let plan = rt.block_on(async {
        let c = cluster::connect(
            cluster_args.kubeconfig.as_deref(),
            cluster_args.context.as_deref(),
        )
        .await
        .map_err(cluster_failure)?;
        plan::compute::plan(&c, &desired, &plan_options(plan_args))
            .await
            .map_err(plan_failure)
    })?;
    if let Some(path) = out {
        std::fs::write(path, plan_render::to_json(&plan)).map_err(|e| {
            Failure::new(
                exit::GENERAL,
                anyhow::Error::new(e)
                    .context(format!("cannot write the plan to {}", path.display())),
            )
        })?;
        eprintln!(
            "Saved the plan to {}; apply it with `floe apply {}`.",
            path.display(),
            path.display()
        );
    }
    let text = match format {
        PlanFormat::Text => plan_render::to_text(&plan, use_color()),
        PlanFormat::Json => plan_render::to_json(&plan),
        PlanFormat::Markdown => plan_render::to_markdown(&plan).join("\n<!-- floe:part -->\n"),
    };
    write_stdout(&text)?;
    if detailed_exitcode && plan.has_changes() {
        return Ok(2);
    }
    Ok(exit::SUCCESS)
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

//! One function per command.

use super::artifact::{self, Fetched};
use super::progress::{CliReporter, Mode};
use super::{
    exit, ApplyArgs, ClusterArgs, Command, EnvArg, Failure, GraphFormat, OciArgs, PlanArgs,
    PlanFormat, ProductArgs, ProgressFormat, RenderFormat, ReportFormat,
};
use crate::apply::session::{self, SessionOptions};
use crate::apply::{ApplyOptions, ObjectResult};
use crate::cluster::{self, ClusterError};
use crate::graph::{self, Graph};
use crate::kinds::{self, Health};
use crate::model::{self, Diagnostic, LoadError, Product};
use crate::plan::compute::{PlanError, PlanOptions};
use crate::plan::{self, render as plan_render};
use crate::plan::{Action, Plan};
use crate::render;
use crate::state::{History, Outcome};
use std::io::IsTerminal;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub fn run(command: Command) -> Result<i32, Failure> {
    match command {
        Command::Render { product, output } => render_cmd(&product, output),
        Command::Validate { product, output } => validate_cmd(&product, output),
        Command::Graph { product, format } => graph_cmd(&product, format),
        Command::Plan {
            product,
            cluster,
            plan,
            oci,
            format,
            out,
            detailed_exitcode,
        } => plan_cmd(
            &product,
            &cluster,
            &plan,
            &oci,
            format,
            out.as_deref(),
            detailed_exitcode,
        ),
        Command::Apply {
            target,
            env,
            image,
            cluster,
            plan,
            apply,
            oci,
        } => apply_cmd(&target, env, image, &cluster, &plan, &apply, &oci),
        Command::Deploy {
            source,
            env,
            image,
            cluster,
            plan,
            apply,
            oci,
        } => deploy_cmd(&source, env, image, &cluster, &plan, &apply, &oci),
        Command::Artifact { command } => super::artifact::run(command),
        Command::History {
            product,
            cluster,
            registry,
            format,
        } => history_cmd(
            &artifact::local_product(&product, &registry)?,
            &cluster,
            format,
        ),
        Command::Undo {
            to_revision: revision,
            product,
            cluster,
            registry,
            plan,
            apply,
        } => undo_cmd(
            revision,
            &artifact::local_product(&product, &registry)?,
            &cluster,
            &plan,
            &apply,
        ),
        Command::Status {
            product,
            cluster,
            registry,
            format,
        } => status_cmd(
            &artifact::local_product(&product, &registry)?,
            &cluster,
            format,
        ),
        Command::Unlock {
            product,
            cluster,
            registry,
        } => unlock_cmd(&artifact::local_product(&product, &registry)?, &cluster),
    }
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
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
        dry_run_all: args.dry_run_all,
        ..PlanOptions::default()
    }
}

fn plan_cmd(
    args: &ProductArgs,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    oci: &OciArgs,
    format: PlanFormat,
    out: Option<&std::path::Path>,
    detailed_exitcode: bool,
) -> Result<i32, Failure> {
    let rt = runtime()?;
    let (args, fetched) = &product_source(&rt, args, oci)?;
    let product = load_valid(args)?;
    let desired = render::render(&product);
    graph_of(&desired)?;
    let mut plan = rt.block_on(async {
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
    plan.source = fetched.as_ref().map(plan_source);
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

/// A product directory as given, or the cache directory of an `oci://`
/// artifact pulled by digest and verified.
fn product_source(
    rt: &tokio::runtime::Runtime,
    args: &ProductArgs,
    oci: &OciArgs,
) -> Result<(ProductArgs, Option<Fetched>), Failure> {
    let Some(reference) = args.dir.to_str().filter(|d| d.starts_with("oci://")) else {
        return Ok((args.clone(), None));
    };
    if args.image.is_some() {
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!("--image cannot be combined with an artifact ({reference}): an artifact deploys exactly what was published"),
        )
        .hint("publish a new artifact with the image, or deploy the product directory"));
    }
    let fetched = artifact::fetch(rt, reference, args.env.into(), oci)?;
    let local = ProductArgs {
        dir: fetched.pulled.dir.clone(),
        ..args.clone()
    };
    Ok((local, Some(fetched)))
}

fn plan_source(f: &Fetched) -> plan::PlanSource {
    plan::PlanSource {
        reference: f.reference.to_string(),
        digest: f.pulled.digest.clone(),
        signature: f.verification.summary(),
    }
}

/// Where the desired set came from, for the revision record, and the
/// artifact tag that must not move before the apply starts.
pub(super) struct Origin {
    source: String,
    signature: Option<String>,
    pinned: Option<plan::PlanSource>,
    oci: OciArgs,
}

impl Origin {
    fn local(source: String) -> Origin {
        Origin {
            source,
            signature: None,
            pinned: None,
            oci: OciArgs::default(),
        }
    }

    /// An artifact pulled by digest and verified just now.
    fn of_artifact(fetched: &Fetched, oci: &OciArgs) -> Origin {
        Origin {
            source: fetched.pulled.pinned().to_string(),
            signature: Some(fetched.verification.summary()),
            pinned: Some(plan_source(fetched)),
            oci: oci.clone(),
        }
    }

    /// An artifact's tag must still point at what was planned and verified.
    fn check(&self, rt: &tokio::runtime::Runtime) -> Result<(), Failure> {
        let Some(s) = &self.pinned else {
            return Ok(());
        };
        let reference = artifact::parse_ref(&s.reference)?;
        artifact::check_tag(rt, &reference, &s.digest, &self.oci)
    }
}

/// A saved plan of an artifact is only as trustworthy as the artifact:
/// pull the planned digest again, verify it against today's policy, and
/// check that it renders to exactly the objects the plan would apply (a
/// plan file is easy to edit). The revision records this verification, not
/// the text in the file.
fn reverify_artifact_plan(
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
    source: &plan::PlanSource,
    oci: &OciArgs,
) -> Result<Origin, Failure> {
    let invalid = |message: String| {
        Failure::new(exit::VALIDATION, anyhow::anyhow!(message))
            .hint("make a new plan with `floe plan oci://... --out FILE`")
    };
    let reference = crate::oci::ArtifactRef::parse(&source.reference)
        .map_err(|e| invalid(format!("the saved plan's source: {e}")))?;
    let env = model::Environment::parse(&plan.environment).ok_or_else(|| {
        invalid(format!(
            "the saved plan's environment {:?} is not dev, staging or prod",
            plan.environment
        ))
    })?;
    let fetched = artifact::fetch_at(rt, &reference, Some(&source.digest), env, oci)?;
    let product = load_valid(&ProductArgs {
        dir: fetched.pulled.dir.clone(),
        env: env.into(),
        image: None,
    })?;
    let desired = render::render(&product);
    let rendered: std::collections::HashMap<_, _> =
        desired.objects.iter().map(|o| (o.key(), &o.body)).collect();
    let planned: Vec<_> = plan
        .changes
        .iter()
        .filter_map(|c| c.desired.as_ref().map(|d| (&c.key, d)))
        .collect();
    let same = desired.digest() == plan.desired_digest
        && planned.len() == rendered.len()
        && planned
            .iter()
            .all(|(key, body)| rendered.get(*key) == Some(body));
    if !same {
        return Err(Failure::new(
            exit::SIGNATURE,
            anyhow::anyhow!(
                "the saved plan does not match what {reference}@{} renders; nothing was applied",
                source.digest
            ),
        )
        .hint("the plan file was changed after `floe plan`; make a new plan and review it"));
    }
    Ok(Origin::of_artifact(&fetched, oci))
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
pub(super) fn load_valid(args: &ProductArgs) -> Result<Product, Failure> {
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

/// Loads and validates the product for every environment (an artifact must
/// deploy everywhere); each problem is printed once, even when several
/// environments share it. Returns the dev product.
pub(super) fn load_valid_everywhere(dir: &Path) -> Result<Product, Failure> {
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut dev = None;
    for env in [EnvArg::Dev, EnvArg::Staging, EnvArg::Prod] {
        let args = ProductArgs {
            dir: dir.to_path_buf(),
            env,
            image: None,
        };
        let diags = match load(&args) {
            Ok(product) => {
                let diags = model::validate::validate(&product);
                if env == EnvArg::Dev {
                    dev = Some(product);
                }
                diags
            }
            Err(LoadOutcome::Failed(f)) => return Err(f),
            Err(LoadOutcome::Invalid(diags)) => diags,
        };
        for d in diags {
            if !all.contains(&d) {
                all.push(d);
            }
        }
    }
    print_diagnostics_stderr(&all);
    match dev {
        Some(product) if !all.iter().any(Diagnostic::is_error) => Ok(product),
        _ => Err(validation_failure(&all)),
    }
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

fn connect_blocking(
    rt: &tokio::runtime::Runtime,
    args: &ClusterArgs,
) -> Result<cluster::Cluster, Failure> {
    rt.block_on(cluster::connect(
        args.kubeconfig.as_deref(),
        args.context.as_deref(),
    ))
    .map_err(cluster_failure)
}

fn session_options(args: &ApplyArgs, concurrency: usize, source: String) -> SessionOptions {
    SessionOptions {
        apply: ApplyOptions {
            concurrency,
            object_timeout: Duration::from_secs(args.timeout.max(1)),
            overall_timeout: Duration::from_secs(args.overall_timeout.max(1)),
            force_conflicts: args.force_conflicts,
            fail_fast_after: Duration::from_secs(args.fail_fast_after),
            ..ApplyOptions::default()
        },
        atomic: args.atomic,
        history_max: args.history_max,
        source,
        ..SessionOptions::default()
    }
}

fn apply_cmd(
    target: &Path,
    env: Option<EnvArg>,
    image: Option<String>,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    apply_args: &ApplyArgs,
    oci: &OciArgs,
) -> Result<i32, Failure> {
    if target.is_file() {
        let text = std::fs::read_to_string(target).map_err(|e| {
            Failure::new(
                exit::NOT_FOUND,
                anyhow::Error::new(e).context(format!("cannot read {}", target.display())),
            )
        })?;
        let plan: Plan = serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                exit::VALIDATION,
                anyhow::Error::new(e).context(format!(
                    "{} is not a plan saved by `floe plan --out`",
                    target.display()
                )),
            )
        })?;
        let rt = runtime()?;
        let c = connect_blocking(&rt, cluster_args)?;
        rt.block_on(plan::compute::check_fresh(&c, &plan))
            .map_err(|e| {
                let code = match &e {
                    plan::compute::StaleError::Cluster(ClusterError::Unreachable { .. }) => {
                        exit::NETWORK
                    }
                    _ => exit::GENERAL,
                };
                Failure::new(
                    code,
                    anyhow::Error::new(e).context("the saved plan is stale and was not applied"),
                )
                .hint("make a new plan with `floe plan --out FILE` and review it again")
            })?;
        let origin = match &plan.source {
            Some(source) => reverify_artifact_plan(&rt, &plan, source, oci)?,
            None => Origin::local(format!("plan {}", target.display())),
        };
        return execute(
            &rt,
            &c,
            &plan,
            apply_args,
            plan_args.concurrency.into(),
            &origin,
        );
    }
    let Some(env) = env else {
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!("--env is required when applying a product directory"),
        )
        .hint("e.g. `floe apply . --env dev`"));
    };
    let product = ProductArgs {
        dir: target.to_path_buf(),
        env,
        image,
    };
    plan_and_execute(&product, cluster_args, plan_args, apply_args, oci)
}

fn deploy_cmd(
    source: &str,
    env: EnvArg,
    image: Option<String>,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    apply_args: &ApplyArgs,
    oci: &OciArgs,
) -> Result<i32, Failure> {
    let product = ProductArgs {
        dir: source.into(),
        env,
        image,
    };
    plan_and_execute(&product, cluster_args, plan_args, apply_args, oci)
}

fn plan_and_execute(
    given: &ProductArgs,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    apply_args: &ApplyArgs,
    oci: &OciArgs,
) -> Result<i32, Failure> {
    let rt = runtime()?;
    let (product_args, fetched) = &product_source(&rt, given, oci)?;
    let product = load_valid(product_args)?;
    let desired = render::render(&product);
    graph_of(&desired)?;
    let c = connect_blocking(&rt, cluster_args)?;
    let mut plan = rt
        .block_on(plan::compute::plan(&c, &desired, &plan_options(plan_args)))
        .map_err(plan_failure)?;
    plan.source = fetched.as_ref().map(plan_source);
    let origin = match fetched {
        Some(fetched) => Origin::of_artifact(fetched, oci),
        None => Origin::local(format!(
            "dir {}",
            std::fs::canonicalize(&product_args.dir)
                .unwrap_or_else(|_| product_args.dir.clone())
                .display()
        )),
    };
    execute(
        &rt,
        &c,
        &plan,
        apply_args,
        plan_args.concurrency.into(),
        &origin,
    )
}

/// Shows the plan, asks for approval, applies it and reports.
fn execute(
    rt: &tokio::runtime::Runtime,
    c: &cluster::Cluster,
    plan: &Plan,
    args: &ApplyArgs,
    concurrency: usize,
    origin: &Origin,
) -> Result<i32, Failure> {
    let json = args.format == ProgressFormat::Json;
    if json {
        let line = serde_json::json!({"event": "plan", "summary": plan.summary, "namespace": plan.namespace});
        write_stdout(&format!("{line}\n"))?;
    } else {
        write_stdout(&plan_render::to_text(plan, use_color()))?;
    }
    if !plan.has_changes() {
        if !json {
            write_stdout("Nothing to apply.\n")?;
        }
        return Ok(exit::SUCCESS);
    }
    if !plan.blocked.is_empty() {
        return Err(Failure::new(
            exit::GENERAL,
            anyhow::anyhow!(
                "the plan destroys objects that need an explicit flag: {}",
                plan.blocked.join("; ")
            ),
        )
        .hint("review the destroys, then re-run with the flag named"));
    }
    if !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::new(
                exit::GENERAL,
                anyhow::anyhow!("no terminal to ask for approval; nothing was applied"),
            )
            .hint("review the plan and pass --auto-approve (-y) to apply without asking"));
        }
        eprint!(
            "Apply these changes to {}? Only 'y' or 'yes' goes ahead [y/N]: ",
            plan.namespace
        );
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            eprintln!("Apply cancelled; nothing was changed.");
            return Ok(exit::GENERAL);
        }
    }
    let mode = if json {
        Mode::Json
    } else if std::io::stderr().is_terminal() {
        Mode::Terminal
    } else {
        Mode::Plain
    };
    let reporter = CliReporter::new(mode, plan.changes.iter().filter(|c| c.is_change()).count());
    // The artifact's tag may have moved while the plan was reviewed.
    origin.check(rt)?;
    let mut options = session_options(args, concurrency, origin.source.clone());
    options.signature = origin.signature.clone();
    let result = rt.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            }
        });
        session::run(c, plan, &options, &reporter, rx).await
    });
    reporter.finish();
    let outcome = result.map_err(|e| {
        let locked = matches!(
            e,
            session::SessionError::State(crate::state::StateError::Locked { .. })
        );
        let f = Failure::new(exit::GENERAL, e);
        if locked {
            f.hint("wait for the other apply to finish; if it died, `floe unlock` removes its lock")
        } else {
            f
        }
    })?;
    print_apply_summary(&outcome, json)?;
    if outcome.report.succeeded() {
        Ok(exit::SUCCESS)
    } else {
        Ok(exit::GENERAL)
    }
}

fn print_apply_summary(outcome: &session::SessionReport, json: bool) -> Result<(), Failure> {
    let report = &outcome.report;
    if json {
        let line = serde_json::json!({"event": "finished", "revision": outcome.revision, "succeeded": report.succeeded(), "interrupted": report.interrupted, "elapsed_ms": report.elapsed_ms, "objects": report.objects, "rollback": outcome.rollback.as_ref().map(|(n, r)| serde_json::json!({"revision": n, "succeeded": r.as_ref().map(|r| r.succeeded()).unwrap_or(false)}))});
        return write_stdout(&format!("{line}\n"));
    }
    let count = |a: Action| {
        report
            .objects
            .iter()
            .filter(|o| o.action == a && matches!(o.outcome, ObjectResult::Done { .. }))
            .count()
    };
    let mut text = String::new();
    if report.succeeded() {
        text.push_str(&format!(
            "Apply complete! {} created, {} updated, {} replaced, {} destroyed in {}. Recorded as revision {}.\n",
            count(Action::Create),
            count(Action::Update),
            count(Action::Replace),
            count(Action::Delete),
            crate::apply::human_ms(report.elapsed_ms),
            outcome.revision
        ));
    } else {
        text.push_str(&format!(
            "Apply {} after {}. Recorded as revision {}.\n",
            if report.interrupted {
                "interrupted"
            } else {
                "failed"
            },
            crate::apply::human_ms(report.elapsed_ms),
            outcome.revision
        ));
        for o in &report.objects {
            match &o.outcome {
                ObjectResult::Failed { reason, diagnosis } => {
                    text.push_str(&format!("  ✗ {}: {reason}\n", o.address));
                    for d in diagnosis {
                        text.push_str(&format!("      {d}\n"));
                    }
                }
                ObjectResult::Skipped { reason } => {
                    text.push_str(&format!("  - {} skipped: {reason}\n", o.address))
                }
                _ => {}
            }
        }
        if let Some((n, r)) = &outcome.rollback {
            match r {
                Ok(r) if r.succeeded() => {
                    text.push_str(&format!("Rolled back to revision {n} (--atomic).\n"))
                }
                Ok(_) => text.push_str(&format!(
                    "The rollback to revision {n} failed too; see `floe status`.\n"
                )),
                Err(e) => text.push_str(&format!(
                    "The rollback to revision {n} could not run: {e}\n"
                )),
            }
        }
    }
    write_stdout(&text)
}

fn history_for<'a>(c: &'a cluster::Cluster, product: &Product) -> History<'a> {
    History::new(
        c,
        &render::namespace_name(product),
        &product.spec.metadata.name,
        product.env.as_str(),
    )
}

fn history_cmd(
    args: &ProductArgs,
    cluster_args: &ClusterArgs,
    format: ReportFormat,
) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let rt = runtime()?;
    let c = connect_blocking(&rt, cluster_args)?;
    let revisions = rt
        .block_on(history_for(&c, &product).list())
        .map_err(state_failure)?;
    match format {
        ReportFormat::Json => {
            write_stdout(&(serde_json::to_string_pretty(&revisions).unwrap_or_default() + "\n"))?
        }
        ReportFormat::Text => {
            if revisions.is_empty() {
                write_stdout(&format!(
                    "No revisions of {} in {} yet.\n",
                    product.spec.metadata.name,
                    render::namespace_name(&product)
                ))?;
                return Ok(exit::SUCCESS);
            }
            let mut text = format!(
                "{:<9} {:<21} {:<12} {:<10} {:<24} {}\n",
                "REVISION", "TIME", "OUTCOME", "VERSION", "USER", "SOURCE"
            );
            for r in &revisions {
                let outcome = serde_json::to_value(r.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let time: String = r.time.chars().take(19).collect();
                text.push_str(&format!(
                    "{:<9} {:<21} {:<12} {:<10} {:<24} {}\n",
                    r.number, time, outcome, r.product_version, r.user, r.source
                ));
                // Artifact deploys: what signature verification found.
                if let Some(signature) = &r.signature {
                    text.push_str(&format!("{:<9} signature: {signature}\n", ""));
                }
            }
            write_stdout(&text)?;
        }
    }
    Ok(exit::SUCCESS)
}

fn state_failure(e: crate::state::StateError) -> Failure {
    match e {
        crate::state::StateError::Cluster(c) => cluster_failure(c),
        crate::state::StateError::NotFound { .. } => {
            Failure::new(exit::NOT_FOUND, e).hint("`floe history` lists the revisions")
        }
        other => Failure::new(exit::GENERAL, other),
    }
}

fn undo_cmd(
    revision: Option<u64>,
    product_args: &ProductArgs,
    cluster_args: &ClusterArgs,
    plan_args: &PlanArgs,
    apply_args: &ApplyArgs,
) -> Result<i32, Failure> {
    let product = load_valid(product_args)?;
    let rt = runtime()?;
    let c = connect_blocking(&rt, cluster_args)?;
    let history = history_for(&c, &product);
    let number = match revision {
        Some(n) => n,
        None => {
            let list = rt.block_on(history.list()).map_err(state_failure)?;
            let succeeded: Vec<u64> = list
                .iter()
                .filter(|r| r.outcome == Outcome::Succeeded)
                .map(|r| r.number)
                .collect();
            let latest = list.first().map(|r| r.number);
            match succeeded.into_iter().find(|n| Some(*n) != latest) {
                Some(n) => n,
                None => {
                    return Err(Failure::new(
                        exit::NOT_FOUND,
                        anyhow::anyhow!("there is no earlier successful revision to go back to"),
                    )
                    .hint("`floe history` lists the revisions"))
                }
            }
        }
    };
    let revision = rt.block_on(history.get(number)).map_err(state_failure)?;
    let desired = session::desired_set_of(&revision.meta, &revision.desired);
    let plan = rt
        .block_on(plan::compute::plan(&c, &desired, &plan_options(plan_args)))
        .map_err(plan_failure)?;
    execute(
        &rt,
        &c,
        &plan,
        apply_args,
        plan_args.concurrency.into(),
        &Origin::local(format!("undo to revision {number}")),
    )
}

fn status_cmd(
    args: &ProductArgs,
    cluster_args: &ClusterArgs,
    format: ReportFormat,
) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let desired = render::render(&product);
    let rt = runtime()?;
    let c = connect_blocking(&rt, cluster_args)?;
    let rows = rt.block_on(async {
        let mut rows = Vec::new();
        for o in &desired.objects {
            let Some(kind) = kinds::of(o.group(), &o.kind) else {
                continue;
            };
            let api = c.api(kind.info(), o.namespace.as_deref().unwrap_or(""));
            let (state, message) = match api.get_opt(&o.name).await {
                Ok(None) => ("missing".to_string(), "not in the cluster".to_string()),
                Ok(Some(live)) => {
                    let live = serde_json::to_value(live).unwrap_or_default();
                    match kind.health(&live) {
                        Health::Ready => {
                            let detail = kind
                                .progress(&live)
                                .map(|f| format!("{:.0}% ready", f * 100.0))
                                .unwrap_or_default();
                            ("ready".to_string(), detail)
                        }
                        Health::Progressing(m) => ("progressing".to_string(), m),
                        Health::Failed(m) => ("failed".to_string(), m),
                    }
                }
                Err(e) => {
                    return Err(cluster_failure(
                        c.classify(e, &format!("reading {}", o.key())),
                    ))
                }
            };
            rows.push((o.key().to_string(), state, message));
        }
        Ok(rows)
    })?;
    let healthy = rows.iter().all(|(_, s, _)| s == "ready");
    match format {
        ReportFormat::Json => {
            let objects: Vec<serde_json::Value> = rows
                .iter()
                .map(|(a, s, m)| serde_json::json!({"object": a, "status": s, "message": m}))
                .collect();
            write_stdout(&(serde_json::to_string_pretty(&serde_json::json!({"namespace": desired.namespace, "healthy": healthy, "objects": objects})).unwrap_or_default() + "\n"))?;
        }
        ReportFormat::Text => {
            let width = rows
                .iter()
                .map(|(a, _, _)| a.len())
                .max()
                .unwrap_or(6)
                .max(6);
            let mut text = format!(
                "{} {} in namespace {}\n\n{:<width$}  {:<12} {}\n",
                desired.product,
                desired.environment,
                desired.namespace,
                "OBJECT",
                "STATUS",
                "MESSAGE"
            );
            for (a, s, m) in &rows {
                text.push_str(&format!("{a:<width$}  {s:<12} {m}\n"));
            }
            write_stdout(&text)?;
        }
    }
    Ok(if healthy {
        exit::SUCCESS
    } else {
        exit::GENERAL
    })
}

fn unlock_cmd(args: &ProductArgs, cluster_args: &ClusterArgs) -> Result<i32, Failure> {
    let product = load_valid(args)?;
    let rt = runtime()?;
    let c = connect_blocking(&rt, cluster_args)?;
    let ns = render::namespace_name(&product);
    let removed = rt
        .block_on(session::force_unlock(&c, &ns))
        .map_err(state_failure)?;
    write_stdout(&if removed {
        format!("Removed the apply lock of {ns}.\n")
    } else {
        format!("{ns} was not locked.\n")
    })?;
    Ok(exit::SUCCESS)
}

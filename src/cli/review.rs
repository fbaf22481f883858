//! The review step that apply, deploy and undo share: show the plan, ask,
//! apply with live progress, summarise.

use super::args::{ApplyArgs, ProgressFormat};
use super::commands::Connection;
use super::failure::{exit, Failure};
use super::output;
use super::progress::{CliReporter, Mode};
use super::prompt;
use super::runtime::stop_on_signals;
use super::terminal::{stderr_is_terminal, use_color, write_stdout};
use crate::apply::session::SessionOptions;
use crate::ops::apply::{self, Origin};
use crate::plan::{format, Plan};

/// Shows `plan`, asks for approval (unless `--auto-approve`), applies it
/// with `options` and reports; returns the exit code.
pub fn review_and_apply(
    conn: &Connection,
    plan: &Plan,
    origin: &Origin,
    args: &ApplyArgs,
    mut options: SessionOptions,
) -> Result<i32, Failure> {
    let json = args.format == ProgressFormat::Json;
    write_stdout(&if json {
        output::apply::plan_event(plan)
    } else {
        format::to_text(plan, use_color())
    })?;
    if !plan.has_changes() {
        if !json {
            write_stdout("Nothing to apply.\n")?;
        }
        return Ok(exit::SUCCESS);
    }
    apply::check_not_blocked(plan)?;
    if !args.auto_approve && !prompt::approve(&plan.namespace)? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(exit::GENERAL);
    }
    let reporter = CliReporter::new(
        progress_mode(json),
        plan.changes.iter().filter(|c| c.is_change()).count(),
    );
    let result = conn.rt.block_on(async {
        let stop = stop_on_signals();
        options.abandon = Some(stop.again.clone());
        let applying = apply::apply(&conn.cluster, plan, origin, options, &reporter, stop.first);
        tokio::select! {
            result = applying => Some(result),
            () = gave_up(stop.again) => None,
        }
    });
    reporter.finish();
    let Some(result) = result else {
        eprintln!(
            "Error: stopped at once by a second signal; `floe history` shows what was recorded"
        );
        return Ok(exit::INTERRUPTED);
    };
    let outcome = result?;
    write_stdout(&if json {
        output::apply::finished_event(&outcome)
    } else {
        output::apply::summary(&outcome)
    })?;
    Ok(if outcome.report.succeeded() {
        exit::SUCCESS
    } else if outcome.report.interrupted {
        exit::INTERRUPTED
    } else {
        exit::GENERAL
    })
}

/// Resolves a while after the second signal: the session records an
/// abandoned apply within that time, and past it the command stops
/// waiting for anything (a rollback, a hung cluster).
async fn gave_up(mut again: tokio::sync::watch::Receiver<bool>) {
    if again.wait_for(|now| *now).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
}

fn progress_mode(json: bool) -> Mode {
    if json {
        Mode::Json
    } else if stderr_is_terminal() {
        Mode::Terminal
    } else {
        Mode::Plain
    }
}

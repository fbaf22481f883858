//! The review step that apply, deploy and undo share: show the plan, ask,
//! apply with live progress, summarise.

use super::args::{ApplyArgs, ProgressFormat};
use super::commands::Connection;
use super::failure::{exit, Failure};
use super::output;
use super::progress::{CliReporter, Mode};
use super::prompt;
use super::runtime::cancel_on_ctrl_c;
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
    options: SessionOptions,
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
        let cancel = cancel_on_ctrl_c();
        apply::apply(&conn.cluster, plan, origin, options, &reporter, cancel).await
    });
    reporter.finish();
    let outcome = result?;
    write_stdout(&if json {
        output::apply::finished_event(&outcome)
    } else {
        output::apply::summary(&outcome)
    })?;
    Ok(if outcome.report.succeeded() {
        exit::SUCCESS
    } else {
        exit::GENERAL
    })
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

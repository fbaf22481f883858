//! The command line: clap types and dispatch. Each command lives in its own
//! file under `commands/` (arguments → a use case in `crate::ops` → a
//! renderer in `output/` → an exit code); `failure` decides exit codes and
//! hints for every error in one place. Only this module prints or knows
//! about terminals.

pub mod args;
mod commands;
pub mod failure;
mod notes;
pub mod output;
mod progress;
mod prompt;
mod review;
mod runtime;
mod terminal;

pub use args::EnvArg;
pub use failure::{exit, Failure};

use clap::{Parser, Subcommand};
use commands::artifact::ArtifactCommand;
use commands::export::ExportCommand;

#[derive(Debug, Parser)]
#[command(
    name = "floe",
    version,
    about = "Deploy floe data products to Kubernetes",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan, ask for approval, and apply in dependency order with live status.
    Apply(commands::apply::Args),
    /// Deploy a product: plan and apply in one, creating the namespace when needed.
    Deploy(commands::deploy::Args),
    /// Publish, fetch and verify product artifacts in an OCI registry.
    Artifact {
        #[command(subcommand)]
        command: ArtifactCommand,
    },
    /// Export the product for other tools: `export helm` writes a Helm chart.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// List the recorded revisions of a product in an environment.
    History(args::ReadOnlyReportArgs),
    /// Go back to a recorded revision (the same plan, review and apply path).
    Undo(commands::undo::Args),
    /// Delete everything floe owns for the product in an environment, the
    /// namespace last (the same plan, review and apply path).
    Destroy(commands::destroy::Args),
    /// Show the health of every object of the product in the cluster.
    Status(args::ReadOnlyReportArgs),
    /// Remove a stuck apply lock (after checking no apply is running).
    Unlock(commands::unlock::Args),
    /// Show what an apply would change: a server-side diff against the cluster.
    Plan(commands::plan::Args),
    /// Print the dependency graph of the desired objects.
    Graph(commands::graph::Args),
    /// Print the desired Kubernetes objects, in dependency order.
    Render(commands::render::Args),
    /// Check the product's files and report every problem at once.
    Validate(commands::validate::Args),
}

/// Entry point for the binary; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout (exit 0) and usage errors to
            // stderr (exit 2), matching the platform's codes.
            let _ = err.print();
            return if err.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(failure) => failure.report(),
    }
}

fn run(command: Command) -> Result<i32, Failure> {
    match command {
        Command::Apply(args) => commands::apply::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::Artifact { command } => commands::artifact::run(command),
        Command::Export { command } => commands::export::run(command),
        Command::History(args) => commands::history::run(args),
        Command::Undo(args) => commands::undo::run(args),
        Command::Destroy(args) => commands::destroy::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::Unlock(args) => commands::unlock::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::Render(args) => commands::render::run(args),
        Command::Validate(args) => commands::validate::run(args),
    }
}

//! The command line: parse, resolve settings, call one library function, map
//! the result to an exit code. Only this module prints.

mod commands;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes shared with the floe platform CLI.
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const GENERAL: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const PERMISSION: i32 = 4;
    pub const VALIDATION: i32 = 5;
    pub const SIGNATURE: i32 = 6;
    pub const COMPILATION: i32 = 7;
    pub const NETWORK: i32 = 8;
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvArg {
    Dev,
    Staging,
    Prod,
}

impl From<EnvArg> for crate::model::Environment {
    fn from(e: EnvArg) -> Self {
        match e {
            EnvArg::Dev => crate::model::Environment::Dev,
            EnvArg::Staging => crate::model::Environment::Staging,
            EnvArg::Prod => crate::model::Environment::Prod,
        }
    }
}

/// What every command that reads a product takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ProductArgs {
    /// Product directory holding floe.yaml (and floe-deploy.yaml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Target environment.
    #[arg(long, short = 'e', value_enum, env = "FLOE_ENV")]
    pub env: EnvArg,
    /// Image for workloads that do not name their own (overrides `image:`).
    #[arg(long)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the desired Kubernetes objects, in dependency order.
    Render {
        #[command(flatten)]
        product: ProductArgs,
        #[arg(long, short = 'o', value_enum, default_value = "yaml")]
        output: RenderFormat,
    },
    /// Check the product's files and report every problem at once.
    Validate {
        #[command(flatten)]
        product: ProductArgs,
        #[arg(long, short = 'o', value_enum, default_value = "text")]
        output: ReportFormat,
    },
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
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("Error: {:#}", failure.error);
            if let Some(hint) = failure.hint {
                eprintln!("  hint: {hint}");
            }
            failure.code
        }
    }
}

/// A command's failure: the error chain, an optional hint, the exit code.
pub struct Failure {
    pub error: anyhow::Error,
    pub hint: Option<String>,
    pub code: i32,
}

impl Failure {
    pub fn new(code: i32, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            error: error.into(),
            hint: None,
            code,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

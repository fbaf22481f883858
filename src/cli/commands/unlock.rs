//! `floe unlock`: remove a stuck apply lock.

use crate::cli::args::ReadOnlyArgs;
use crate::cli::failure::{exit, Failure};
use crate::cli::prompt;
use crate::cli::terminal::write_stdout;
use crate::ops;
use crate::state::Unlocked;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: ReadOnlyArgs,
    /// Remove the lock even while it is live (renewed within its duration:
    /// its apply may still be running); asks first, naming the holder.
    #[arg(long)]
    pub force: bool,
    /// With --force: do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: Args) -> Result<i32, Failure> {
    let (product, conn) = super::read_only_product(&args.target)?;
    if args.force && !args.yes {
        let (namespace, holder) = conn
            .rt
            .block_on(ops::unlock::holder(&conn.cluster, &product))?;
        if let Some(holder) = holder.filter(|h| h.live) {
            let question = format!(
                "The lock on {namespace} is live: {} renewed it at {}. Remove it anyway?",
                holder.holder, holder.renewed
            );
            let hint = "pass -y with --force to remove a live lock without asking";
            if !prompt::confirm(&question, "the lock was left alone", hint)? {
                eprintln!("Unlock cancelled; the lock was left alone.");
                return Ok(exit::GENERAL);
            }
        }
    }
    let unlock = ops::unlock::unlock(&conn.cluster, &product, args.force);
    let (namespace, unlocked) = conn.rt.block_on(unlock)?;
    write_stdout(&match unlocked {
        Unlocked::Removed { holder } => {
            format!("Removed the apply lock of {namespace} (held by {holder}).\n")
        }
        Unlocked::NotLocked => format!("{namespace} was not locked.\n"),
    })?;
    Ok(exit::SUCCESS)
}

//! Asking for approval before an apply.

use super::failure::{exit, Failure};
use super::terminal::stdin_is_terminal;

/// Whether the user approved applying to `namespace`: only "y" or "yes"
/// goes ahead. Without a terminal there is no one to ask: that fails.
pub fn approve(namespace: &str) -> Result<bool, Failure> {
    if !stdin_is_terminal() {
        return Err(Failure::new(
            exit::GENERAL,
            anyhow::anyhow!("no terminal to ask for approval; nothing was applied"),
        )
        .hint("review the plan and pass --auto-approve (-y) to apply without asking"));
    }
    eprint!("Apply these changes to {namespace}? Only 'y' or 'yes' goes ahead [y/N]: ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

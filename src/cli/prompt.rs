//! Asking before a change: an apply, or removing a live lock.

use super::failure::{exit, Failure};
use super::terminal::stdin_is_terminal;

/// Whether the user approved applying to `namespace`.
pub fn approve(namespace: &str) -> Result<bool, Failure> {
    confirm(
        &format!("Apply these changes to {namespace}?"),
        "nothing was applied",
        "review the plan and pass --auto-approve (-y) to apply without asking",
    )
}

/// Asks `question`; only "y" or "yes" goes ahead. Without a terminal there
/// is no one to ask: that fails, saying what was left `unchanged` and with
/// `hint` saying how to go ahead.
pub fn confirm(question: &str, unchanged: &str, hint: &str) -> Result<bool, Failure> {
    if !stdin_is_terminal() {
        return Err(Failure::new(
            exit::GENERAL,
            anyhow::anyhow!("no terminal to ask for approval; {unchanged}"),
        )
        .hint(hint.to_string()));
    }
    eprint!("{question} Only 'y' or 'yes' goes ahead [y/N]: ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

//! Writing to the terminal: stdout for results, stderr for notes, and
//! whether colour and questions are possible.

use super::failure::{exit, Failure};
use std::io::{IsTerminal, Write};

/// Writes a result to stdout; a closed pipe (`floe render | head`) is not
/// an error worth a message.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    write_bytes(text.as_bytes())
}

pub fn write_bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(exit::GENERAL, e)),
    }
}

/// A note on stderr (progress, warnings), as is.
pub fn note(text: &str) {
    eprint!("{text}");
}

/// Colour on a terminal unless NO_COLOR is set (https://no-color.org).
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

//! The one async runtime of a command, and Ctrl-C.

use super::failure::{exit, Failure};
use tokio::sync::watch;

/// Two worker threads: floe's work is I/O-bound and the machines it runs
/// on in CI are small.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(exit::GENERAL, e))
}

/// A receiver that turns true on the first Ctrl-C, so an apply can stop
/// between steps and record itself as interrupted. Call inside the runtime.
pub fn cancel_on_ctrl_c() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
        }
    });
    rx
}

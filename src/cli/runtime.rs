//! The one async runtime of a command, and the signals that stop an apply.

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

/// What the stop signals said so far.
pub struct Stop {
    /// Turns true on the first SIGINT, SIGTERM or SIGHUP: the apply stops
    /// between steps and records itself as interrupted.
    pub first: watch::Receiver<bool>,
    /// Turns true on the second: the apply is abandoned at once, its
    /// revision marked interrupted, without waiting for running steps.
    pub again: watch::Receiver<bool>,
}

/// Listens for Ctrl-C, a CI runner's cancellation (SIGTERM) and a closed
/// terminal (SIGHUP) alike. Call inside the runtime.
pub fn stop_on_signals() -> Stop {
    let (first_tx, first) = watch::channel(false);
    let (again_tx, again) = watch::channel(false);
    let mut signals = Signals::listen();
    tokio::spawn(async move {
        if signals.next().await.is_none() {
            return;
        }
        eprintln!("Stopping after the running steps; a second signal stops at once.");
        let _ = first_tx.send(true);
        if signals.next().await.is_some() {
            eprintln!("Stopping at once.");
            let _ = again_tx.send(true);
        }
    });
    Stop { first, again }
}

/// The stop signals, listened to from creation on so none is lost between
/// the first and the second.
#[cfg(unix)]
struct Signals(Option<[tokio::signal::unix::Signal; 3]>);

#[cfg(unix)]
impl Signals {
    fn listen() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        let all = (|| {
            Some([
                signal(SignalKind::interrupt()).ok()?,
                signal(SignalKind::terminate()).ok()?,
                signal(SignalKind::hangup()).ok()?,
            ])
        })();
        Signals(all)
    }

    /// The next stop signal; `None` when they cannot be listened to.
    async fn next(&mut self) -> Option<()> {
        let [int, term, hup] = self.0.as_mut()?;
        tokio::select! {
            _ = int.recv() => Some(()),
            _ = term.recv() => Some(()),
            _ = hup.recv() => Some(()),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn listen() -> Self {
        Signals
    }

    async fn next(&mut self) -> Option<()> {
        tokio::signal::ctrl_c().await.ok()
    }
}

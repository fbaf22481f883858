//! Showing apply progress: a bar with one line per object on a terminal,
//! timestamped lines otherwise, or a JSON event stream. The library only
//! sees the [`Reporter`] trait.

use super::output::apply::{rollback_plan_event, rollback_plan_text};
use super::terminal::{use_color, write_stdout};
use crate::apply::{human_ms, Event, Reporter};
use crate::plan::Plan;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Terminal,
    Plain,
    Json,
}

pub struct CliReporter {
    mode: Mode,
    bar: Option<ProgressBar>,
    /// Serialises lines from concurrent objects.
    lock: Mutex<()>,
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl CliReporter {
    pub fn new(mode: Mode, total: usize) -> CliReporter {
        let bar = (mode == Mode::Terminal).then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {percent:>3}% {pos}/{len} objects  {elapsed}  {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        CliReporter {
            mode,
            bar,
            lock: Mutex::new(()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self, text: &str) {
        let _guard = self.lock.lock();
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.println(text),
            (None, Mode::Plain) => {
                let _ = writeln!(std::io::stderr(), "{} {text}", now());
            }
            _ => {}
        }
    }
}

impl Reporter for CliReporter {
    /// On stdout, where the apply's own plan was shown.
    fn rollback_plan(&self, revision: u64, plan: &Plan) {
        let text = match self.mode {
            Mode::Json => rollback_plan_event(revision, plan, &now()),
            _ => rollback_plan_text(revision, plan, use_color()),
        };
        let _guard = self.lock.lock();
        let write = || {
            let _ = write_stdout(&text);
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn report(&self, event: &Event) {
        if self.mode == Mode::Json {
            let mut value = serde_json::to_value(event).unwrap_or_default();
            value["time"] = serde_json::Value::String(now());
            let _guard = self.lock.lock();
            let _ = writeln!(std::io::stdout(), "{value}");
            return;
        }
        match event {
            Event::Started { address, action } => {
                if self.bar.is_none() {
                    self.line(&format!(
                        "{address}: {} started",
                        action.steps().join(" then ")
                    ));
                }
            }
            Event::Waiting { address, message } => match &self.bar {
                Some(bar) => bar.set_message(format!("{address}: {message}")),
                None => self.line(&format!("{address}: {message}")),
            },
            Event::Done {
                address,
                note,
                elapsed_ms,
                ..
            } => {
                self.line(&format!("{address} {note} after {}", human_ms(*elapsed_ms)));
            }
            Event::Failed {
                address,
                elapsed_ms,
                reason,
                diagnosis,
            } => {
                let mut text =
                    format!("{address} FAILED after {}: {reason}", human_ms(*elapsed_ms));
                for d in diagnosis {
                    text.push_str(&format!("\n    {d}"));
                }
                self.line(&text);
            }
            Event::Skipped { address, reason } => {
                self.line(&format!("{address} skipped: {reason}"))
            }
            Event::Notice { message } => match &self.bar {
                Some(bar) => bar.println(message),
                None => {
                    let _guard = self.lock.lock();
                    let _ = writeln!(std::io::stderr(), "{message}");
                }
            },
            Event::Progress { done, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*done as u64);
                }
            }
        }
    }
}

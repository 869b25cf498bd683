//! systemd notifications (READY, RELOADING, STOPPING, STATUS, WATCHDOG); no-ops outside systemd.

use std::time::Duration;

use sd_notify::NotifyState;

/// Sends `states`; outside systemd (no NOTIFY_SOCKET) this does nothing.
fn notify(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!("systemd notification failed: {e}");
    }
}

/// Start-up finished (or a reload did).
pub fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// A reload started.
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading];
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    notify(&states);
}

/// Shutting down.
pub fn stopping() {
    notify(&[NotifyState::Stopping]);
}

/// A one-line status for `systemctl status`.
pub fn status(line: &str) {
    notify(&[NotifyState::Status(line)]);
}

/// Pings the watchdog at half its interval when systemd asked for one (WatchdogSec=).
pub struct Watchdog {
    interval: Option<tokio::time::Interval>,
}

impl Watchdog {
    /// Reads WATCHDOG_USEC/WATCHDOG_PID from the environment.
    pub fn new() -> Watchdog {
        let interval = sd_notify::watchdog_enabled().map(|d| {
            let half = (d / 2).max(Duration::from_millis(100));
            tokio::time::interval(half)
        });
        Watchdog { interval }
    }

    /// Completes at the next ping time and pings; never completes without a watchdog.
    pub async fn tick(&mut self) {
        match &mut self.interval {
            Some(i) => {
                i.tick().await;
                notify(&[NotifyState::Watchdog]);
            }
            None => std::future::pending().await,
        }
    }
}

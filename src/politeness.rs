//! Per-host politeness: a limit on requests in flight to one host and a gap between their starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Connection failures in a row (name lookup, refused, timeout) after which a host's other
/// pages are not tried in the same poll.
pub const DEAD_HOST_FAILURES: u32 = 3;

/// One host's gate.
struct Gate {
    slots: Arc<Semaphore>,
    /// When the last request to this host started, and the one before (what a refund
    /// goes back to).
    starts: Mutex<(Option<Instant>, Option<Instant>)>,
    /// Woken when a start is refunded, so that waiters need not sleep out a delay owed to
    /// nobody.
    refunded: Notify,
}

/// Gates for every host seen so far.
pub struct Hosts {
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    per_host: usize,
    delay: Duration,
}

/// A request's turn on its host: the slot is held until it drops.
pub struct Turn {
    _permit: OwnedSemaphorePermit,
    gate: Arc<Gate>,
    started: Instant,
}

impl Turn {
    /// Gives the turn's start back: the request reached no server (its host's name did not
    /// resolve), so the next request to the host need not wait `delay` after it.
    pub fn refund(self) {
        if let Ok(mut starts) = self.gate.starts.lock()
            && starts.0 == Some(self.started)
        {
            starts.0 = starts.1.take();
        }
        self.gate.refunded.notify_waiters();
    }
}

impl Hosts {
    /// At most `per_host` requests in flight to one host, starts at least `delay` apart.
    pub fn new(per_host: usize, delay: Duration) -> Hosts {
        Hosts {
            gates: Mutex::new(HashMap::new()),
            per_host: per_host.max(1),
            delay,
        }
    }

    /// Waits for a slot on `host` and for its turn; the slot is held until the turn drops.
    pub async fn enter(&self, host: &str) -> Option<Turn> {
        let gate = {
            let mut gates = self.gates.lock().ok()?;
            let gate = gates.entry(host.to_ascii_lowercase()).or_insert_with(|| {
                Arc::new(Gate {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    starts: Mutex::new((None, None)),
                    refunded: Notify::new(),
                })
            });
            Arc::clone(gate)
        };
        let permit = Arc::clone(&gate.slots).acquire_owned().await.ok()?;
        let started = loop {
            // Registered before the start is read, so a refund in between is not missed.
            let refunded = gate.refunded.notified();
            tokio::pin!(refunded);
            refunded.as_mut().enable();
            let due = {
                let mut starts = gate.starts.lock().ok()?;
                let now = Instant::now();
                let due = starts.0.map_or(now, |last| last + self.delay);
                if due <= now {
                    *starts = (Some(now), starts.0);
                    break now;
                }
                due
            };
            // Only a start still ahead waits: tokio rounds a deadline up to its next 1 ms
            // tick and fires it when a worker next turns the timer wheel, so even a deadline
            // already passed cost every request (per_host_delay_ms = 0 included) ~2 ms idle.
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = &mut refunded => {}
            }
        };
        Some(Turn {
            _permit: permit,
            gate,
            started,
        })
    }
}

/// Hosts that failed at connection level several times in a row in one poll: their other
/// pages are not tried until the next poll. One per poll; shared by its page downloads.
#[derive(Default)]
pub struct DeadHosts {
    /// Per host (lower case): connection failures in a row, and pages not tried since.
    hosts: Mutex<HashMap<String, (u32, usize)>>,
}

impl DeadHosts {
    /// `Some(failures)` when `host` is down for this poll; the page asking is counted as
    /// not tried.
    pub fn skip(&self, host: &str) -> Option<u32> {
        let mut hosts = self.hosts.lock().ok()?;
        let entry = hosts.get_mut(&host.to_ascii_lowercase())?;
        if entry.0 < DEAD_HOST_FAILURES {
            return None;
        }
        entry.1 += 1;
        Some(entry.0)
    }

    /// Notes how a request to `host` ended: a connection failure, or an answer (any status),
    /// which ends the run of failures. A host already down stays down for the poll.
    pub fn note(&self, host: &str, connection_failed: bool) {
        let Ok(mut hosts) = self.hosts.lock() else {
            return;
        };
        let entry = hosts.entry(host.to_ascii_lowercase()).or_default();
        if entry.0 >= DEAD_HOST_FAILURES {
            return;
        }
        entry.0 = if connection_failed { entry.0 + 1 } else { 0 };
        if entry.0 == DEAD_HOST_FAILURES {
            tracing::warn!(
                "host {host}: {DEAD_HOST_FAILURES} connection failures in a row; its other pages are not tried in this poll and stay pending"
            );
        }
    }

    /// The hosts found down in this poll, each with the pages not tried because of it.
    pub fn down(&self) -> Vec<(String, usize)> {
        let Ok(hosts) = self.hosts.lock() else {
            return Vec::new();
        };
        let mut down: Vec<(String, usize)> = hosts
            .iter()
            .filter(|(_, (failures, _))| *failures >= DEAD_HOST_FAILURES)
            .map(|(host, (_, skipped))| (host.clone(), *skipped))
            .collect();
        down.sort();
        down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_host_is_spaced_and_limited_others_are_not() {
        let hosts = Arc::new(Hosts::new(1, Duration::from_millis(500)));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for host in ["a.example", "A.example", "a.example", "b.example"] {
            let hosts = Arc::clone(&hosts);
            tasks.push(tokio::spawn(async move {
                let _turn = hosts.enter(host).await.unwrap();
                let started = Instant::now() - t0;
                // Hold the slot a little, as a request would.
                tokio::time::sleep(Duration::from_millis(100)).await;
                (host.to_ascii_lowercase(), started)
            }));
        }
        let mut starts = Vec::new();
        for t in tasks {
            starts.push(t.await.unwrap());
        }
        let mut a: Vec<Duration> = starts
            .iter()
            .filter(|s| s.0 == "a.example")
            .map(|s| s.1)
            .collect();
        a.sort();
        assert_eq!(a.len(), 3);
        assert!(
            a[1].checked_sub(a[0]).unwrap() >= Duration::from_millis(500),
            "{a:?}"
        );
        assert!(
            a[2].checked_sub(a[1]).unwrap() >= Duration::from_millis(500),
            "{a:?}"
        );
        let b = starts.iter().find(|s| s.0 == "b.example").unwrap().1;
        assert!(
            b < Duration::from_millis(100),
            "another host waits for nobody: {b:?}"
        );
    }

    #[tokio::test]
    async fn a_start_already_due_is_ready_at_once() {
        // A timer would make it wait for its next tick, up to ~2 ms idle per request.
        use futures_util::FutureExt;
        let hosts = Hosts::new(4, Duration::ZERO);
        for _ in 0..10 {
            let permit = hosts.enter("a.example").now_or_never();
            assert!(matches!(permit, Some(Some(_))), "had to wait");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refunded_start_lets_the_next_request_go_at_once() {
        let hosts = Arc::new(Hosts::new(2, Duration::from_secs(10)));
        let t0 = Instant::now();
        let first = hosts.enter("a.invalid").await.unwrap();
        let waiting = {
            let hosts = Arc::clone(&hosts);
            tokio::spawn(async move {
                let turn = hosts.enter("a.invalid").await.unwrap();
                (Instant::now() - t0, turn)
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        first.refund();
        let (waited, second) = waiting.await.unwrap();
        assert!(waited < Duration::from_secs(1), "{waited:?}");
        // A start that was not refunded still spaces the next one.
        drop(second);
        let _third = hosts.enter("a.invalid").await.unwrap();
        assert!(Instant::now() - t0 >= Duration::from_secs(10));
    }

    #[test]
    fn a_host_is_down_after_failures_in_a_row_only() {
        let dead = DeadHosts::default();
        dead.note("a.example", true);
        dead.note("a.example", true);
        dead.note("a.example", false);
        dead.note("a.example", true);
        dead.note("a.example", true);
        assert_eq!(dead.skip("a.example"), None, "an answer ends the run");
        dead.note("A.example", true);
        assert_eq!(dead.skip("a.example"), Some(DEAD_HOST_FAILURES));
        dead.note("a.example", false);
        assert_eq!(
            dead.skip("a.example"),
            Some(DEAD_HOST_FAILURES),
            "down for the poll"
        );
        assert_eq!(dead.skip("b.example"), None);
        assert_eq!(dead.down(), [("a.example".to_string(), 2)]);
    }
}

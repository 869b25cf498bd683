//! Per-host politeness: a limit on requests in flight to one host and a gap between their starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One host's gate.
struct Gate {
    slots: Arc<Semaphore>,
    /// The earliest time the next request to this host may start.
    next_start: Mutex<Instant>,
}

/// Gates for every host seen so far.
pub struct Hosts {
    gates: Mutex<HashMap<String, Arc<Gate>>>,
    per_host: usize,
    delay: Duration,
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

    /// Waits for a slot on `host` and for its turn; the slot is held until the permit drops.
    pub async fn enter(&self, host: &str) -> Option<OwnedSemaphorePermit> {
        let gate = {
            let mut gates = self.gates.lock().ok()?;
            let gate = gates.entry(host.to_ascii_lowercase()).or_insert_with(|| {
                Arc::new(Gate {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    next_start: Mutex::new(Instant::now()),
                })
            });
            Arc::clone(gate)
        };
        let permit = Arc::clone(&gate.slots).acquire_owned().await.ok()?;
        // Reserve a start time under the lock, then wait without holding it.
        let start = {
            let mut next = gate.next_start.lock().ok()?;
            let start = (*next).max(Instant::now());
            *next = start + self.delay;
            start
        };
        // Only a start still ahead waits: tokio rounds a deadline up to its next 1 ms tick
        // and fires it when a worker next turns the timer wheel, so even a deadline already
        // passed cost every request (per_host_delay_ms = 0 included) up to ~2 ms idle.
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
        Some(permit)
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
                let _permit = hosts.enter(host).await.unwrap();
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
}

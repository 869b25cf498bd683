//! The daemon's notion of time: the system clock, or a scaled one so tests never wait long.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// A source of "now" that the scheduler can also wait on.
pub trait Clock: Send + Sync {
    /// The current time on this clock.
    fn now(&self) -> DateTime<Utc>;
    /// Real time until this clock reads `t` (zero when already past).
    fn real_until(&self, t: DateTime<Utc>) -> std::time::Duration;
}

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn real_until(&self, t: DateTime<Utc>) -> std::time::Duration {
        (t - Utc::now()).to_std().unwrap_or_default()
    }
}

/// A clock that starts at the real time and runs `scale` times faster, so that an hour of
/// schedule, backoff or Retry-After passes in seconds. Used by tests through the
/// `FEEDMARK_TIME_SCALE` environment variable; HTTP timeouts stay real.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    start_real: Instant,
    start: DateTime<Utc>,
    scale: f64,
}

impl ScaledClock {
    /// A clock reading `start` now and advancing `scale` seconds per real second.
    pub fn new(start: DateTime<Utc>, scale: f64) -> ScaledClock {
        ScaledClock {
            start_real: Instant::now(),
            start,
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.start_real.elapsed().as_secs_f64() * self.scale;
        self.start + chrono::Duration::microseconds((elapsed * 1e6) as i64)
    }

    fn real_until(&self, t: DateTime<Utc>) -> std::time::Duration {
        let ahead = (t - self.now()).to_std().unwrap_or_default();
        ahead.div_f64(self.scale)
    }
}

/// The clock selected by the environment: scaled when `FEEDMARK_TIME_SCALE` holds a positive
/// number other than 1, else the system clock.
pub fn from_env() -> std::sync::Arc<dyn Clock> {
    match std::env::var("FEEDMARK_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        Some(scale) if scale.is_finite() && scale > 0.0 && (scale - 1.0).abs() > f64::EPSILON => {
            tracing::warn!("FEEDMARK_TIME_SCALE={scale}: the scheduler's clock runs {scale}× fast");
            std::sync::Arc::new(ScaledClock::new(SystemClock.now(), scale))
        }
        _ => std::sync::Arc::new(SystemClock),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_clock_runs_fast_and_waits_short() {
        let start = Utc::now();
        let c = ScaledClock::new(start, 3600.0);
        let later = start + chrono::Duration::hours(1);
        // An hour on this clock is at most a second of real time.
        assert!(c.real_until(later) <= std::time::Duration::from_secs(1));
        assert!(c.now() >= start);
        assert_eq!(c.real_until(start), std::time::Duration::ZERO);
    }
}

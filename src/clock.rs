//! The server's clock: the system's, or frozen at a chosen Unix time.
//!
//! `--clock T` freezes it so that `created_at` is reproducible; everything that needs the
//! time asks this clock and passes the answer on, so the store never reads a clock itself.

use crate::model::is_timestamp;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The frozen time's stand-in for "not frozen": frozen times are never negative.
const NOT_FROZEN: i64 = i64::MIN;

/// The current time, in whole Unix seconds. Lock-free: every request reads it.
#[derive(Debug)]
pub struct Clock {
    frozen: AtomicI64,
    initial: Option<i64>,
}

impl Clock {
    /// The system clock, or one frozen at `frozen_at`.
    pub fn new(frozen_at: Option<i64>) -> Self {
        Clock {
            frozen: AtomicI64::new(frozen_at.unwrap_or(NOT_FROZEN)),
            initial: frozen_at,
        }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.frozen_at().unwrap_or_else(system_now)
    }

    /// The frozen time, if the clock is frozen.
    pub fn frozen_at(&self) -> Option<i64> {
        let t = self.frozen.load(Ordering::Acquire);
        (t != NOT_FROZEN).then_some(t)
    }

    /// Puts the clock back as it was at start-up.
    pub fn reset(&self) {
        self.set(self.initial);
    }

    /// Freezes the clock at `t`, or lets it follow the system clock again with `None`.
    pub fn set(&self, frozen_at: Option<i64>) {
        self.frozen
            .store(frozen_at.unwrap_or(NOT_FROZEN), Ordering::Release);
    }

    /// Moves a frozen clock by `seconds` (back, if negative) and returns the new time.
    /// `None` when the clock is not frozen, or when the move would leave 0 to
    /// [`MAX_TIMESTAMP`](crate::model::MAX_TIMESTAMP).
    pub fn advance(&self, seconds: i64) -> Option<i64> {
        let mut moved = None;
        self.frozen
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                moved = (t != NOT_FROZEN)
                    .then(|| t.checked_add(seconds))
                    .flatten()
                    .filter(|t| is_timestamp(*t));
                moved
            })
            .ok()?;
        moved
    }
}

/// The system clock in Unix seconds (0 for a clock set before 1970).
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MAX_TIMESTAMP;

    #[test]
    fn a_frozen_clock_does_not_move() {
        let clock = Clock::new(Some(692233200));
        assert_eq!(clock.now(), 692233200);
        assert_eq!(clock.frozen_at(), Some(692233200));
    }

    #[test]
    fn a_frozen_clock_moves_only_when_told() {
        let clock = Clock::new(Some(100));
        assert_eq!(clock.advance(50), Some(150));
        assert_eq!(clock.advance(-200), None, "not before 1970");
        clock.set(Some(MAX_TIMESTAMP - 1));
        assert_eq!(clock.advance(1), Some(MAX_TIMESTAMP));
        assert_eq!(clock.advance(1), None, "not past 2^53 - 1");
        assert_eq!(clock.now(), MAX_TIMESTAMP);
        clock.set(Some(150));
        assert_eq!(clock.now(), 150);
        clock.set(None);
        assert_eq!(clock.advance(1), None, "the system clock cannot be moved");
        clock.reset();
        assert_eq!(clock.now(), 100);
    }

    #[test]
    fn an_unfrozen_clock_follows_the_system_clock_and_a_frozen_one_stays_put() {
        let system_secs = || {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            i64::try_from(since.as_secs()).unwrap()
        };
        let unfrozen = Clock::new(None);
        let frozen = Clock::new(Some(692233200));
        assert_eq!(unfrozen.frozen_at(), None);
        let before = system_secs();
        let first = unfrozen.now();
        assert!((before..=system_secs()).contains(&first), "{first}");
        // Just over a second, once: whole seconds must have ticked.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let before = system_secs();
        let later = unfrozen.now();
        assert!((before..=system_secs()).contains(&later), "{later}");
        assert!(later > first, "{first} then {later}");
        assert_eq!(
            frozen.now(),
            692233200,
            "time passed; the frozen clock did not move"
        );
        frozen.set(None);
        let before = system_secs();
        let unfrozen_now = frozen.now();
        assert!((before..=system_secs()).contains(&unfrozen_now));
    }
}

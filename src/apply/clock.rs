//! Deadlines from user-given durations: `Instant + Duration` panics when the
//! sum overflows (`--timeout 18446744073709551615`), so every deadline is
//! made here, with checked arithmetic.

use std::time::{Duration, Instant};

/// About thirty years: a deadline that far ahead never comes.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `start + after`, or a moment too far ahead to ever come when that sum
/// cannot be represented.
pub fn deadline(start: Instant, after: Duration) -> Instant {
    start
        .checked_add(after)
        .or_else(|| start.checked_add(FAR))
        .unwrap_or(start)
}

/// Two thirds of `ttl`, without overflowing however large it is.
pub fn two_thirds(ttl: Duration) -> Duration {
    ttl / 3 * 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn deadlines_never_panic_and_never_come_early(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
            let after = Duration::new(secs, nanos);
            let start = Instant::now();
            let at = deadline(start, after);
            prop_assert!(at >= start);
            prop_assert!(at - start >= after.min(FAR));
        }

        #[test]
        fn two_thirds_never_panics(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
            let ttl = Duration::new(secs, nanos);
            prop_assert!(two_thirds(ttl) <= ttl);
        }
    }

    #[test]
    fn the_largest_duration_is_a_deadline_far_ahead() {
        let start = Instant::now();
        assert!(deadline(start, Duration::MAX) - start >= FAR);
    }
}

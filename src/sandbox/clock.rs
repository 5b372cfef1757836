//! Wall-clock time and the time scale of asynchronous work.
//!
//! The vendors' nominal durations ("2-3 minutes" for Azure AD, hours for an off-peak
//! contact-center tenant) are multiplied by the configured scale: `0.0001` turns minutes into
//! milliseconds for tests, `0.02` into seconds for demos, `1.0` is real time.

use std::time::Duration;

use jiff::Timestamp;

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// RFC 3339 time in whole seconds (`2026-11-23T12:00:00Z`), as in the object envelope.
pub(crate) fn rfc3339_seconds(ms: i64) -> String {
    Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// RFC 3339 time with milliseconds when they are not zero (operation `notBefore`).
pub(crate) fn rfc3339_millis(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Scales vendors' nominal durations to the sandbox's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeScale(pub f64);

impl TimeScale {
    /// The scaled duration in milliseconds (never negative).
    pub fn ms(self, nominal: Duration) -> i64 {
        let scaled = nominal.as_secs_f64() * 1000.0 * self.0.max(0.0);
        if scaled.is_finite() {
            scaled.round() as i64
        } else {
            i64::MAX / 4
        }
    }
}

/// A nominal duration in seconds.
pub(crate) const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A nominal duration in minutes.
pub(crate) const fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_nominal_durations() {
        assert_eq!(TimeScale(0.001).ms(minutes(2)), 120);
        assert_eq!(TimeScale(1.0).ms(secs(3)), 3000);
        assert_eq!(TimeScale(0.0).ms(minutes(5)), 0);
        assert_eq!(TimeScale(-1.0).ms(minutes(5)), 0);
    }

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339_seconds(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc3339_millis(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }
}

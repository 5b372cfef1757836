//! Retry policy: jittered exponential backoff, `Retry-After`, and which failures are worth a retry.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// How often and how patiently a request is retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff step.
    pub base: Duration,
    /// Longest single wait.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` ("full jitter": uniform in [0, min(cap, base·2^attempt)]).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.cap);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// Parses `Retry-After` (delta-seconds or an HTTP date) into a wait from now.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Statuses worth retrying with the same request (and the same idempotency key).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claim of [`RetryPolicy::backoff`]: uniform in [0, min(cap, base·2^attempt)]. A
    /// constant, zero or unjittered backoff fails it; a uniform draw misses the upper (or the
    /// lower) half of its range 200 times in a row with probability 2^-200.
    #[test]
    fn backoff_is_full_jitter_under_a_doubling_ceiling() {
        let p = RetryPolicy::default();
        for attempt in 0..40 {
            let ceiling = p.base.saturating_mul(1 << attempt.min(20)).min(p.cap);
            let draws: Vec<Duration> = (0..200).map(|_| p.backoff(attempt)).collect();
            assert!(
                draws.iter().all(|d| *d <= ceiling),
                "attempt {attempt}: a wait above {ceiling:?}"
            );
            assert!(
                draws.iter().any(|d| *d > ceiling / 2),
                "attempt {attempt}: the waits do not grow to {ceiling:?}"
            );
            assert!(
                draws.iter().any(|d| *d < ceiling / 2),
                "attempt {attempt}: the waits are not jittered down from {ceiling:?}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(s));
        }
    }
}

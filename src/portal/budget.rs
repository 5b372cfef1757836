//! `Budget`: one token bucket, one concurrency cap and one `Retry-After` pause per portal
//! connection, shared by every caller (reconcilers and the CLI engine).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::api::RateLimit;

/// The shared request budget of one connection. Cheap to clone.
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

struct Inner {
    limiter: DefaultDirectRateLimiter,
    slots: Arc<Semaphore>,
    paused_until: Mutex<Option<Instant>>,
}

/// Holds a concurrency slot for the duration of one request.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    /// A budget from a connection's rate limit.
    pub fn new(limit: &RateLimit) -> Self {
        let rps = NonZeroU32::new(limit.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(rps);
        let slots = usize::try_from(limit.max_concurrency.max(1)).unwrap_or(1);
        Self {
            inner: Arc::new(Inner {
                limiter: RateLimiter::direct(Quota::per_second(rps).allow_burst(burst)),
                slots: Arc::new(Semaphore::new(slots)),
                paused_until: Mutex::new(None),
            }),
        }
    }

    /// Waits for a concurrency slot, any `Retry-After` pause, and a token, in that order.
    pub async fn acquire(&self) -> Slot {
        let permit = Arc::clone(&self.inner.slots)
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"));
        loop {
            let until = *self.lock_pause();
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => break,
            }
        }
        self.inner.limiter.until_ready().await;
        Slot { _permit: permit }
    }

    /// Pauses every caller of this connection for `wait` (a portal's `Retry-After`).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.lock_pause();
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    fn lock_pause(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // A poisoned lock only means another caller panicked mid-update of an Instant: still usable.
        self.inner
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("free_slots", &self.inner.slots.available_permits())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_every_caller() {
        let budget = Budget::new(&RateLimit::default());
        budget.pause_for(Duration::from_secs(5));
        let start = Instant::now();
        let _slot = budget.acquire().await;
        assert!(Instant::now() - start >= Duration::from_secs(5));
    }

    #[tokio::test]
    async fn concurrency_is_capped() {
        let budget = Budget::new(&RateLimit {
            requests_per_second: 1000,
            burst: 1000,
            max_concurrency: 2,
        });
        let a = budget.acquire().await;
        let _b = budget.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), budget.acquire()).await;
        assert!(third.is_err(), "a third slot must wait");
        drop(a);
        let third = tokio::time::timeout(Duration::from_secs(5), budget.acquire()).await;
        assert!(third.is_ok());
    }
}

//! `Budget`: one token bucket, one concurrency cap and one `Retry-After` pause per portal
//! connection, shared by every caller (reconcilers and the CLI engine).
//!
//! A burst of callers (a controller restart observing every object at once) queues here: the
//! semaphore admits `maxConcurrency` at a time in arrival order and the bucket spreads them to
//! `requestsPerSecond` after the first `burst`. Counters ([`BudgetStats`]) show that it did.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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
    max_concurrency: u64,
    paused_until: Mutex<Option<Instant>>,
    counters: Counters,
}

#[derive(Default)]
struct Counters {
    acquired: AtomicU64,
    throttled: AtomicU64,
    paused: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

/// What a budget has admitted so far (for tests, benchmarks and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetStats {
    /// Requests admitted.
    pub acquired: u64,
    /// Admissions that had to wait for a token (the bucket spread them out).
    pub throttled: u64,
    /// Admissions that waited for a `Retry-After` pause.
    pub paused: u64,
    /// Requests in flight now.
    pub in_flight: u64,
    /// The most requests ever in flight at once.
    pub peak_in_flight: u64,
    /// The connection's cap on requests in flight.
    pub max_concurrency: u64,
}

/// Holds a concurrency slot for the duration of one request.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    inner: Arc<Inner>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner
            .counters
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
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
                max_concurrency: u64::try_from(slots).unwrap_or(u64::MAX),
                paused_until: Mutex::new(None),
                counters: Counters::default(),
            }),
        }
    }

    /// Waits for a concurrency slot, any `Retry-After` pause, and a token, in that order.
    ///
    /// A pause that starts while a caller waits for its token is honoured too: the caller
    /// gives the token up, waits out the pause and takes a fresh one, so nothing is sent
    /// inside a `Retry-After` and tokens taken before a pause never burst out after it.
    pub async fn acquire(&self) -> Slot {
        let permit = Arc::clone(&self.inner.slots)
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"));
        let counters = &self.inner.counters;
        let (mut paused, mut throttled) = (false, false);
        loop {
            paused |= self.wait_out_pause().await;
            if self.inner.limiter.check().is_err() {
                throttled = true;
                self.inner.limiter.until_ready().await;
            }
            if !self.is_paused() {
                break;
            }
        }
        counters.acquired.fetch_add(1, Ordering::Relaxed);
        counters
            .throttled
            .fetch_add(u64::from(throttled), Ordering::Relaxed);
        counters
            .paused
            .fetch_add(u64::from(paused), Ordering::Relaxed);
        let now = counters.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        counters.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        Slot {
            _permit: permit,
            inner: Arc::clone(&self.inner),
        }
    }

    /// Sleeps until no `Retry-After` pause is in force; true when it had to.
    async fn wait_out_pause(&self) -> bool {
        let mut waited = false;
        loop {
            let until = *self.lock_pause();
            match until {
                Some(t) if t > Instant::now() => {
                    waited = true;
                    tokio::time::sleep_until(t).await;
                }
                _ => return waited,
            }
        }
    }

    fn is_paused(&self) -> bool {
        self.lock_pause().is_some_and(|t| t > Instant::now())
    }

    /// What this budget has admitted so far.
    pub fn stats(&self) -> BudgetStats {
        let c = &self.inner.counters;
        BudgetStats {
            acquired: c.acquired.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            paused: c.paused.load(Ordering::Relaxed),
            in_flight: c.in_flight.load(Ordering::Relaxed),
            peak_in_flight: c.peak_in_flight.load(Ordering::Relaxed),
            max_concurrency: self.inner.max_concurrency,
        }
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

/// This replica's share of every connection's budget when the controller is sharded: the
/// shards it holds out of all shards, so the replicas' buckets add up to the connection's.
#[derive(Debug)]
pub struct BudgetShare {
    held: std::sync::atomic::AtomicU32,
    of: u32,
}

impl BudgetShare {
    /// A share of `of` shards, holding none yet.
    pub fn new(of: u32) -> Self {
        Self {
            held: std::sync::atomic::AtomicU32::new(0),
            of: of.max(1),
        }
    }

    /// Sets the number of shards held.
    pub fn set(&self, held: u32) {
        self.held.store(held.min(self.of), Ordering::Relaxed);
    }

    /// Shards held.
    pub fn held(&self) -> u32 {
        self.held.load(Ordering::Relaxed)
    }

    /// `limit` cut to this share: rate and burst times held / of, rounded down (at least 1,
    /// which only a replica holding nothing, and so sending nothing, gets for free).
    pub fn of_limit(&self, limit: &RateLimit) -> RateLimit {
        let part = |n: u32| {
            let cut = u64::from(n) * u64::from(self.held()) / u64::from(self.of);
            u32::try_from(cut).unwrap_or(n).max(1)
        };
        RateLimit {
            requests_per_second: part(limit.requests_per_second),
            burst: part(limit.burst),
            ..limit.clone()
        }
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
        let stats = budget.stats();
        assert_eq!((stats.acquired, stats.peak_in_flight), (3, 2));
        drop(third);
        assert_eq!(budget.stats().in_flight, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_that_starts_while_waiting_for_a_token_is_honoured() {
        let budget = Budget::new(&RateLimit {
            requests_per_second: 1,
            burst: 1,
            max_concurrency: 4,
        });
        let _first = budget.acquire().await;
        let start = Instant::now();
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move {
                let _slot = budget.acquire().await;
                Instant::now()
            })
        };
        // The second caller waits about a second for its token; a 5 s pause starts meanwhile.
        tokio::time::sleep(Duration::from_millis(100)).await;
        budget.pause_for(Duration::from_secs(5));
        let admitted = waiting.await.unwrap_or(start);
        assert!(
            admitted - start >= Duration::from_millis(5100),
            "{:?}",
            admitted - start
        );
        let stats = budget.stats();
        assert_eq!((stats.throttled, stats.paused), (1, 1));
    }

    #[test]
    fn a_share_cuts_rate_and_burst_so_the_replicas_add_up() {
        let limit = RateLimit {
            requests_per_second: 20,
            burst: 10,
            max_concurrency: 8,
        };
        let share = BudgetShare::new(4);
        share.set(1);
        let one = share.of_limit(&limit);
        assert_eq!(
            (one.requests_per_second, one.burst, one.max_concurrency),
            (5, 2, 8)
        );
        share.set(3);
        let three = share.of_limit(&limit);
        assert_eq!((three.requests_per_second, three.burst), (15, 7));
        assert!(one.requests_per_second + three.requests_per_second <= 20);
        share.set(4);
        assert_eq!(share.of_limit(&limit), limit);
    }
}

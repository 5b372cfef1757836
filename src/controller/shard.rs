//! Sharding across replicas (`tenantry controller --shards N`): which shard an object is in,
//! and which shards this replica holds right now.
//!
//! An object's shard is a stable hash (FNV-1a, the same in every process and release) of
//! `namespace/<its Tenant's name>` mod N, so a Tenant, its admins and its bindings land on
//! one replica: dependency waits and the Tenant-scoped plan never cross replicas.
//!
//! A shard counts as held only until a local deadline set at each confirmed renewal of its
//! Lease (before the Lease could expire for the others): a replica whose renewals stall
//! stops reconciling that shard by the clock alone (fail-stop, as with one leader).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::Stream;
use kube::ResourceExt;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::watch;

use super::Declaring;
use crate::portal::BudgetShare;

/// The shard of the objects of Tenant `tenant` in `namespace`, out of `count`.
pub fn shard_of(namespace: &str, tenant: &str, count: u32) -> u32 {
    // FNV-1a 64: stable across processes, unlike std's randomly seeded hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in namespace
        .bytes()
        .chain(std::iter::once(b'/'))
        .chain(tenant.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    u32::try_from(hash % u64::from(count.max(1))).unwrap_or(0)
}

/// The shards this replica holds, each until its deadline.
#[derive(Debug)]
pub struct Shards {
    count: u32,
    until: Mutex<Vec<Option<Instant>>>,
    /// Bumped on every gain or loss, so reconciles can stop and the controllers re-list.
    changes: watch::Sender<u64>,
    share: Arc<BudgetShare>,
    /// `tenantry_shards_held`.
    gauge: Gauge,
}

impl Shards {
    /// `count` shards, none held yet; `share` follows the number held (portal budgets).
    pub fn new(count: u32, share: Arc<BudgetShare>) -> Self {
        let count = count.max(1);
        Self {
            count,
            until: Mutex::new(vec![None; count as usize]),
            changes: watch::channel(0).0,
            share,
            gauge: Gauge::default(),
        }
    }

    /// These shards, reporting how many are held to `gauge` (`tenantry_shards_held`).
    #[must_use]
    pub fn with_gauge(mut self, gauge: Gauge) -> Self {
        self.gauge = gauge;
        self
    }

    /// This replica's share of the portal budgets (follows the shards held).
    pub fn share(&self) -> Arc<BudgetShare> {
        Arc::clone(&self.share)
    }

    /// Number of shards.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The shard of `object` (its Tenant's).
    pub fn of<K: Declaring>(&self, object: &K) -> u32 {
        shard_of(
            &object.namespace().unwrap_or_default(),
            &object.tenant_name(),
            self.count,
        )
    }

    /// Whether this replica may reconcile shard `shard` now.
    pub fn holds(&self, shard: u32) -> bool {
        self.deadline(shard).is_some_and(|d| Instant::now() < d)
    }

    /// The shards held now, in order.
    pub fn held(&self) -> Vec<u32> {
        (0..self.count).filter(|s| self.holds(*s)).collect()
    }

    fn deadline(&self, shard: u32) -> Option<Instant> {
        let until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        until.get(shard as usize).copied().flatten()
    }

    /// Records a confirmed Lease of `shard`, valid for this replica until `until`.
    pub(crate) fn confirm(&self, shard: u32, until: Instant) {
        let gained = !self.holds(shard);
        self.set(shard, Some(until));
        if gained {
            tracing::info!(shard, "holding shard");
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// Stops reconciling `shard` at once (lost, not renewed in time, or handed over).
    pub(crate) fn release(&self, shard: u32) {
        let had = self.deadline(shard).is_some();
        self.set(shard, None);
        if had {
            tracing::warn!(shard, "shard no longer held: its reconciles stop");
            self.changes.send_modify(|n| *n += 1);
        }
    }

    fn set(&self, shard: u32, value: Option<Instant>) {
        let held = {
            let mut until = self.until.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = until.get_mut(shard as usize) {
                *slot = value;
            }
            until.iter().filter(|u| u.is_some()).count()
        };
        self.share.set(u32::try_from(held).unwrap_or(self.count));
        self.gauge.set(i64::try_from(held).unwrap_or(i64::MAX));
    }

    /// Resolves once `shard` is not held any more (released, or its deadline passed).
    pub async fn lost(&self, shard: u32) {
        let mut changes = self.changes.subscribe();
        loop {
            let Some(deadline) = self.deadline(shard).filter(|d| Instant::now() < *d) else {
                return;
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => {}
                changed = changes.changed() => if changed.is_err() {
                    // The sender lives as long as `self`; never here in practice.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                },
            }
        }
    }

    /// One item per gain or loss of a shard (to reconcile every object again).
    pub fn changes(&self) -> impl Stream<Item = ()> + Send + 'static {
        let rx = self.changes.subscribe();
        futures::stream::unfold(rx, |mut rx| async move {
            rx.changed().await.ok()?;
            Some(((), rx))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shard_function_is_stable_and_spreads() {
        // Fixed values: a change of the hash would move every object to another replica
        // during a rolling upgrade.
        assert_eq!(
            shard_of("customers", "kenton-electronics", 4),
            shard_of("customers", "kenton-electronics", 4)
        );
        assert_eq!(shard_of("a", "b", 1), 0);
        let mut per = [0u32; 4];
        for i in 0..400 {
            per[shard_of("customers", &format!("tenant-{i}"), 4) as usize] += 1;
        }
        assert!(per.iter().all(|n| (60..=140).contains(n)), "{per:?}");
    }

    #[test]
    fn the_shard_hash_is_fnv1a_of_namespace_slash_tenant() {
        // The published FNV-1a 64 algorithm, written out.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in b"a/b" {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(u64::from(shard_of("a", "b", 1000)), h % 1000);
        // The namespace is part of the key.
        let differs = (0..50)
            .any(|i| shard_of("one", &format!("t{i}"), 8) != shard_of("two", &format!("t{i}"), 8));
        assert!(differs);
    }

    #[tokio::test]
    async fn a_shard_is_held_until_its_deadline_or_release() {
        let share = Arc::new(BudgetShare::new(4));
        let metrics = crate::controller::Metrics::new();
        let shards = Shards::new(4, Arc::clone(&share)).with_gauge(metrics.shards_held());
        assert!(shards.held().is_empty());
        shards.confirm(1, Instant::now() + Duration::from_secs(60));
        shards.confirm(3, Instant::now() + Duration::from_secs(60));
        assert_eq!(shards.held(), vec![1, 3]);
        assert_eq!(share.held(), 2);
        assert!(metrics.encode().contains("tenantry_shards_held 2\n"));
        shards.release(1);
        assert_eq!(shards.held(), vec![3]);
        assert_eq!(share.held(), 1);
        assert!(metrics.encode().contains("tenantry_shards_held 1\n"));
        // A deadline in the past: not held, whatever the coordinator believes.
        shards.confirm(2, Instant::now());
        assert!(!shards.holds(2));
        shards.lost(2).await;
    }

    #[tokio::test]
    async fn lost_resolves_on_release() {
        let shards = Arc::new(Shards::new(2, Arc::new(BudgetShare::new(2))));
        shards.confirm(0, Instant::now() + Duration::from_secs(600));
        let waiting = {
            let shards = Arc::clone(&shards);
            tokio::spawn(async move { shards.lost(0).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        shards.release(0);
        waiting
            .await
            .expect("lost() ends when the shard is released");
    }
}

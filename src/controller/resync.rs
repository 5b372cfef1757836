//! The periodic resync of converged objects, kept compact for memory (DESIGN.md §8): one
//! deadline per object in a map per kind, scanned four times a second, instead of a
//! kube-runtime requeue per object, which holds two copies of the object's `ObjectRef` (name,
//! namespace, uid and resourceVersion each allocated) in the scheduler's queue and index:
//! ~650 B per object against ~80 B here. Due objects are handed over at most [`IN_FLIGHT`]
//! at a time, so a wave of resyncs (every object of a restart falls due within the same
//! ±10 %) waits here, compact, instead of in kube-runtime's scheduler.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::Stream;
use kube::runtime::reflector::ObjectRef;

use super::Declaring;
use crate::api::{ServiceBinding, Tenant, TenantAdmin, Text};

/// Namespace (interned: a handful are shared by every object) and name.
type Key = (Text, Box<str>);

/// Resyncs of one kind handed to the controller and not finished yet, at most.
const IN_FLIGHT: usize = 256;

/// A handed-over resync not reported finished after this long is counted as done (its
/// object was deleted before the controller got to it, so no reconcile reports it).
const GIVE_UP_SECS: u32 = 120;

/// When each converged object of one kind is due, and the resyncs handed over.
#[derive(Debug, Default)]
struct Deadlines {
    /// Seconds after `start`, per object.
    due: HashMap<Key, u32>,
    /// Handed to the controller at (seconds after `start`), until its reconcile finishes.
    handed: HashMap<Key, u32>,
}

/// When each converged object is due for its resync, per kind.
#[derive(Debug)]
pub(crate) struct Resync {
    start: Instant,
    kinds: HashMap<&'static str, Mutex<Deadlines>>,
}

impl Default for Resync {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            kinds: [Tenant::KIND, TenantAdmin::KIND, ServiceBinding::KIND]
                .into_iter()
                .map(|kind| (kind, Mutex::new(Deadlines::default())))
                .collect(),
        }
    }
}

impl Resync {
    fn now(&self) -> u32 {
        u32::try_from(self.start.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    fn lock(&self, kind: &str) -> Option<std::sync::MutexGuard<'_, Deadlines>> {
        let map = self.kinds.get(kind)?;
        Some(map.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Resyncs `namespace/name` of `kind` once `after` has passed (replacing an earlier
    /// deadline). False when this kind is not kept here (the caller requeues instead).
    pub(crate) fn schedule(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        after: Duration,
    ) -> bool {
        let due = self
            .now()
            .saturating_add(u32::try_from(after.as_secs()).unwrap_or(u32::MAX));
        let Some(mut kind) = self.lock(kind) else {
            return false;
        };
        let key = (Text::from(namespace), Box::from(name));
        kind.handed.remove(&key);
        match kind.due.get_mut(&key) {
            Some(at) => *at = due,
            None => {
                kind.due.insert(key, due);
            }
        }
        true
    }

    /// Forgets `namespace/name` of `kind`: it is deleted, or waits on a requeue of its own.
    pub(crate) fn cancel(&self, kind: &str, namespace: &str, name: &str) {
        if let Some(mut kind) = self.lock(kind) {
            let key = (Text::from(namespace), Box::from(name));
            kind.due.remove(&key);
            kind.handed.remove(&key);
        }
    }

    /// Takes the objects of `kind` whose deadline has passed, as many as may be handed over.
    fn take_due(&self, kind: &str) -> Vec<Key> {
        let now = self.now();
        let Some(mut kind) = self.lock(kind) else {
            return Vec::new();
        };
        kind.handed
            .retain(|_, at| now.saturating_sub(*at) < GIVE_UP_SECS);
        let room = IN_FLIGHT.saturating_sub(kind.handed.len());
        let due: Vec<Key> = kind
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .take(room)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &due {
            kind.due.remove(key);
            kind.handed.insert(key.clone(), now);
        }
        due
    }

    /// Objects scheduled for `kind`.
    #[cfg(test)]
    fn len(&self, kind: &str) -> usize {
        self.lock(kind).map_or(0, |k| k.due.len())
    }
}

/// The objects of `K` due for their resync, as they fall due and as earlier ones finish
/// (checked four times a second), for `Controller::reconcile_on`.
pub(crate) fn due<K: Declaring>(
    resync: std::sync::Arc<Resync>,
) -> impl Stream<Item = ObjectRef<K>> + Send + 'static {
    let mut ticks = tokio::time::interval(Duration::from_millis(250));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ticks = futures::stream::unfold(ticks, |mut ticks| async move {
        ticks.tick().await;
        Some(((), ticks))
    });
    futures::StreamExt::flat_map(ticks, move |()| {
        futures::stream::iter(
            resync
                .take_due(K::KIND)
                .into_iter()
                .map(|(namespace, name)| ObjectRef::new(&name).within(&namespace)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_replaced_taken_once_when_due_and_cancelled() {
        let resync = Resync::default();
        assert!(resync.schedule(Tenant::KIND, "customers", "a", Duration::ZERO));
        assert!(resync.schedule(Tenant::KIND, "customers", "b", Duration::from_secs(3600)));
        assert!(resync.schedule(TenantAdmin::KIND, "customers", "c", Duration::ZERO));
        assert!(!resync.schedule("PortalConnection", "", "d", Duration::ZERO));

        let due: Vec<String> = resync
            .take_due(Tenant::KIND)
            .into_iter()
            .map(|(ns, name)| format!("{ns}/{name}"))
            .collect();
        assert_eq!(due, ["customers/a"]);
        assert!(resync.take_due(Tenant::KIND).is_empty(), "taken once");
        assert_eq!(resync.len(Tenant::KIND), 1, "b waits for its hour");

        // A later reconcile moves b's deadline; a cancel forgets c.
        resync.schedule(Tenant::KIND, "customers", "b", Duration::ZERO);
        assert_eq!(resync.take_due(Tenant::KIND).len(), 1);
        resync.cancel(TenantAdmin::KIND, "customers", "c");
        assert!(resync.take_due(TenantAdmin::KIND).is_empty());
    }

    #[test]
    fn at_most_in_flight_resyncs_are_handed_over_until_they_finish() {
        let resync = Resync::default();
        let name = |i: usize| format!("b{i}");
        for i in 0..IN_FLIGHT + 50 {
            resync.schedule(ServiceBinding::KIND, "customers", &name(i), Duration::ZERO);
        }
        let first = resync.take_due(ServiceBinding::KIND);
        assert_eq!(first.len(), IN_FLIGHT);
        assert!(
            resync.take_due(ServiceBinding::KIND).is_empty(),
            "none finished yet"
        );
        // Ten finish (converged again: next hour) and one fails (cancelled): eleven more.
        for (_, n) in first.iter().take(10) {
            resync.schedule(
                ServiceBinding::KIND,
                "customers",
                n,
                Duration::from_secs(3600),
            );
        }
        resync.cancel(ServiceBinding::KIND, "customers", &first[10].1);
        assert_eq!(resync.take_due(ServiceBinding::KIND).len(), 11);
        assert_eq!(resync.len(ServiceBinding::KIND), 50 - 11 + 10);
    }
}

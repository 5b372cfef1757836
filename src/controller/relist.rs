//! What reaches the stores, for memory (DESIGN.md §8): server-side bookkeeping stripped, and
//! relists applied object by object into the live store instead of into a second store that
//! replaces it at the end (kube's reflector builds one, doubling memory during a relist).
//! A relisted object whose resourceVersion the store holds already is dropped: it did not
//! change, so nothing wakes for it (its periodic resync comes as planned), and a relist after
//! a watch gap costs list pages, not a reconcile of every object.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::Event;

/// Annotation kubectl leaves with a whole copy of the object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What the stores keep of a watched object: `managedFields` and kubectl's last-applied
/// annotation dropped, freeing their allocations.
pub fn strip<K: Resource>(object: &mut K) {
    let meta = object.meta_mut();
    // `None`, not an emptied Vec: the Vec would keep its capacity (4 entries, ~700 B).
    meta.managed_fields = None;
    if let Some(annotations) = &mut meta.annotations {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            // An emptied BTreeMap keeps its root node (~500 B).
            meta.annotations = None;
        }
    }
}

/// Rewrites the watcher's events after the first list so that a relist updates the store in
/// place: `InitApply` becomes `Apply` (or nothing, for an object at the stored
/// resourceVersion), `Init` is dropped, and `InitDone` becomes a `Delete` of every stored
/// object the relist did not return. The first list passes through, so the
/// store still reports ready when it is complete.
pub(crate) struct InPlace<K>
where
    K: Resource + 'static,
    K::DynamicType: Hash + Eq,
{
    store: Store<K>,
    listed: bool,
    /// Objects seen in the relist, by a 64-bit hash of namespace and name (16 B each).
    seen: Option<HashSet<u64>>,
}

impl<K> InPlace<K>
where
    K: Resource + Clone + 'static,
    K::DynamicType: Hash + Eq + Clone + Default,
{
    /// An adapter for the watch feeding `store`.
    pub(crate) fn new(store: Store<K>) -> Self {
        Self {
            store,
            listed: false,
            seen: None,
        }
    }

    /// The events to pass on for one event of the watcher.
    pub(crate) fn events(&mut self, event: Event<K>) -> Vec<Event<K>> {
        if !self.listed {
            if matches!(event, Event::InitDone) {
                self.listed = true;
            }
            return vec![event];
        }
        match event {
            Event::Init => {
                self.seen = Some(HashSet::new());
                Vec::new()
            }
            Event::InitApply(object) => {
                if let Some(seen) = &mut self.seen {
                    seen.insert(identity(&object));
                }
                let stored = self.store.get(&ObjectRef::from_obj(&object));
                let version = &object.meta().resource_version;
                if version.is_some()
                    && stored.is_some_and(|s| &s.meta().resource_version == version)
                {
                    return Vec::new();
                }
                vec![Event::Apply(object)]
            }
            Event::InitDone => {
                let seen = self.seen.take().unwrap_or_default();
                // Every earlier event was applied before this one was polled, so the store
                // holds the relist's objects and the ones deleted during the watch gap.
                self.store
                    .state()
                    .iter()
                    .filter(|o| !seen.contains(&identity(o.as_ref())))
                    .map(|o| Event::Delete(o.as_ref().clone()))
                    .collect()
            }
            other => vec![other],
        }
    }
}

fn identity<K: Resource>(object: &K) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    object.meta().namespace.hash(&mut hasher);
    object.meta().name.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Tenant, TenantSpec};
    use kube::runtime::reflector;

    fn tenant(name: &str, version: &str) -> Tenant {
        let spec: TenantSpec = serde_json::from_value(serde_json::json!({
            "displayName": name, "contact": {"name": "Jane Roe", "email": "jane@kenton.com"},
            "domains": ["kenton.com"], "portals": ["daas"]
        }))
        .unwrap_or_else(|e| panic!("tenant spec: {e}"));
        let mut t = Tenant::new(name, spec);
        t.metadata.namespace = Some("customers".into());
        t.metadata.resource_version = Some(version.into());
        t
    }

    fn names(store: &Store<Tenant>) -> Vec<String> {
        let mut names: Vec<String> = store
            .state()
            .iter()
            .map(|t| {
                format!(
                    "{}@{}",
                    t.metadata.name.clone().unwrap_or_default(),
                    t.metadata.resource_version.clone().unwrap_or_default()
                )
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_relist_updates_the_live_store_and_drops_what_is_gone() {
        let (store, mut writer) = reflector::store::<Tenant>();
        let mut adapter = InPlace::new(store.clone());
        let mut feed = |event: Event<Tenant>, adapter: &mut InPlace<Tenant>| {
            for e in adapter.events(event) {
                writer.apply_watcher_event(&e);
            }
        };
        feed(Event::Init, &mut adapter);
        feed(Event::InitApply(tenant("a", "1")), &mut adapter);
        feed(Event::InitApply(tenant("b", "1")), &mut adapter);
        feed(Event::InitDone, &mut adapter);
        assert_eq!(names(&store), ["a@1", "b@1"]);

        // The relist: b changed, a was deleted and c created while the watch was down.
        feed(Event::Init, &mut adapter);
        assert_eq!(names(&store), ["a@1", "b@1"], "the store stays whole");
        assert!(
            adapter
                .events(Event::InitApply(tenant("b", "1")))
                .is_empty(),
            "an object at the stored version wakes nothing"
        );
        feed(Event::InitApply(tenant("b", "2")), &mut adapter);
        assert_eq!(names(&store), ["a@1", "b@2"], "updated in place");
        feed(Event::InitApply(tenant("c", "2")), &mut adapter);
        feed(Event::InitDone, &mut adapter);
        assert_eq!(names(&store), ["b@2", "c@2"]);
        assert!(
            store
                .get(&ObjectRef::new("a").within("customers"))
                .is_none()
        );

        // Events of the watch pass through.
        feed(Event::Apply(tenant("d", "3")), &mut adapter);
        feed(Event::Delete(tenant("b", "2")), &mut adapter);
        assert_eq!(names(&store), ["c@2", "d@3"]);
    }

    #[test]
    fn stripping_drops_managed_fields_and_last_applied() {
        let mut t = tenant("a", "1");
        t.metadata.managed_fields = Some(vec![Default::default(); 2]);
        t.metadata.annotations = Some(
            [(LAST_APPLIED.to_owned(), "{}".to_owned())]
                .into_iter()
                .collect(),
        );
        strip(&mut t);
        assert_eq!(t.metadata.managed_fields, None);
        assert_eq!(t.metadata.annotations, None);

        t.metadata.annotations = Some(
            [
                (LAST_APPLIED.to_owned(), "{}".to_owned()),
                ("team".to_owned(), "blue".to_owned()),
            ]
            .into_iter()
            .collect(),
        );
        strip(&mut t);
        assert_eq!(
            t.metadata
                .annotations
                .map(|a| a.into_keys().collect::<Vec<_>>()),
            Some(vec!["team".to_owned()])
        );
    }
}

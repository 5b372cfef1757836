//! `Context`: everything a reconcile needs (Kubernetes client, portal clients, stores of the
//! related objects, event recorder, metrics, settings), shared by the three controllers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::PartialObjectMeta;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher;

use super::metrics::Metrics;
use super::notifications::Notifications;
use super::related::Related;
use crate::api::{NotificationSink, PortalConnection, ServiceBinding, Tenant, TenantAdmin};
use crate::portal::Pool;

/// Tunables of the controller.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Interval of the periodic resync that catches drift made by hand in a portal.
    pub resync: Duration,
    /// Requeue delay while a dependency is not Ready.
    pub dependency_wait: Duration,
    /// First requeue delay while a portal operation runs (doubles up to `resync`).
    pub poll: Duration,
    /// Largest rendered diff published in status, in bytes.
    pub diff_limit: usize,
    /// Largest number of change lines published in status.
    pub change_limit: usize,
    /// Shards (`--shards`): above 1 (with leader election), each replica reconciles only
    /// the shards whose Leases it holds; 1 is one leader for everything.
    pub shards: u32,
    /// Label selector of the Tenants, admins and bindings this replica watches
    /// (`--shard-selector`).
    pub shard_selector: Option<String>,
}

impl Settings {
    /// The resync interval of one object, spread ±10 % by a hash of its key so that the
    /// objects a restart reconciled together do not resync together for ever after.
    pub fn resync_of(&self, key: &str) -> Duration {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        // Fixed keys: the same object gets the same interval in every process.
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
        let per_mille = 900 + hash % 201;
        self.resync * u32::try_from(per_mille).unwrap_or(1000) / 1000
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resync: Duration::from_secs(300),
            dependency_wait: Duration::from_secs(15),
            poll: Duration::from_secs(5),
            diff_limit: 8 * 1024,
            change_limit: 50,
            shards: 1,
            shard_selector: None,
        }
    }
}

/// Read-only caches of the watched objects (reflector stores, `managedFields` stripped).
#[derive(Clone)]
pub struct Stores {
    /// Tenants.
    pub tenants: Store<Tenant>,
    /// Tenant admins.
    pub admins: Store<TenantAdmin>,
    /// Service bindings.
    pub bindings: Store<ServiceBinding>,
    /// Portal connections.
    pub connections: Store<PortalConnection>,
    /// Notification sinks (cluster-scoped).
    pub sinks: Store<NotificationSink>,
    /// Secret metadata (no data), when watched: lets a reconcile reuse a Secret it read
    /// before while its `resourceVersion` is unchanged.
    pub secrets: Option<Store<PartialObjectMeta<Secret>>>,
    /// Admins by Tenant and by password Secret (kept from the admins' watch).
    pub(crate) admin_index: Arc<Related>,
    /// Bindings by Tenant and by password Secret (kept from the bindings' watch).
    pub(crate) binding_index: Arc<Related>,
}

impl Stores {
    /// Stores holding exactly these objects (tests, tools).
    pub fn from_objects(
        tenants: Vec<Tenant>,
        admins: Vec<TenantAdmin>,
        bindings: Vec<ServiceBinding>,
        connections: Vec<PortalConnection>,
    ) -> Self {
        Self {
            admin_index: Arc::new(Related::of(&admins)),
            binding_index: Arc::new(Related::of(&bindings)),
            tenants: filled(tenants),
            admins: filled(admins),
            bindings: filled(bindings),
            connections: filled(connections),
            sinks: filled(Vec::new()),
            secrets: None,
        }
    }

    /// These stores with exactly `sinks` as the NotificationSinks (tests, tools).
    #[must_use]
    pub fn with_sinks(mut self, sinks: Vec<NotificationSink>) -> Self {
        self.sinks = filled(sinks);
        self
    }
}

fn filled<K>(objects: Vec<K>) -> Store<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + 'static,
{
    let (reader, mut writer) = reflector::store();
    writer.apply_watcher_event(&watcher::Event::Init);
    for object in objects {
        writer.apply_watcher_event(&watcher::Event::InitApply(object));
    }
    writer.apply_watcher_event(&watcher::Event::InitDone);
    reader
}

/// Shared state of the controllers.
pub struct Context {
    /// Kubernetes client.
    pub client: Client,
    /// One portal client per PortalConnection.
    pub portals: Pool,
    /// Caches of the related objects.
    pub stores: Stores,
    /// Publishes Kubernetes Events.
    pub recorder: Recorder,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Tunables.
    pub settings: Settings,
    /// What the reconciles saw for the NotificationSinks, until the delivering task sends it.
    pub notifications: Notifications,
    /// When each converged object resyncs next (read by the controllers' `reconcile_on`).
    pub(crate) resync: Arc<super::resync::Resync>,
    /// Consecutive failures per object, for the error backoff.
    failures: Mutex<HashMap<String, u32>>,
    /// Secrets read so far, by `namespace/name`, reused while their resourceVersion holds.
    secret_cache: Mutex<HashMap<String, Secret>>,
    /// Objects (by uid) whose finalizer patch was sent, with the resourceVersion it was sent
    /// from, until the watch shows the finalizer.
    finalizers_sent: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("portals", &self.portals)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context; `instance` names this replica in Events (the pod name).
    pub fn new(
        client: Client,
        portals: Pool,
        stores: Stores,
        metrics: Arc<Metrics>,
        settings: Settings,
        instance: Option<String>,
    ) -> Self {
        let reporter = Reporter {
            controller: super::FIELD_MANAGER.to_owned(),
            instance,
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            portals,
            stores,
            metrics,
            settings,
            notifications: Notifications::default(),
            resync: Arc::default(),
            failures: Mutex::new(HashMap::new()),
            secret_cache: Mutex::new(HashMap::new()),
            finalizers_sent: Mutex::new(HashMap::new()),
        }
    }

    /// A Secret read before, when the watch says it has not changed since.
    pub(crate) fn cached_secret(&self, namespace: &str, name: &str) -> Option<Secret> {
        let store = self.stores.secrets.as_ref()?;
        let current = store.get(&ObjectRef::new(name).within(namespace))?;
        let version = current.metadata.resource_version.as_ref()?;
        let cache = self.secret_cache.lock().unwrap_or_else(|e| e.into_inner());
        let cached = cache.get(&format!("{namespace}/{name}"))?;
        (cached.metadata.resource_version.as_ref() == Some(version)).then(|| cached.clone())
    }

    /// Remembers a Secret just read (only when Secrets are watched), or forgets a gone one.
    pub(crate) fn remember_secret(&self, namespace: &str, name: &str, secret: Option<&Secret>) {
        if self.stores.secrets.is_none() {
            return;
        }
        let mut cache = self.secret_cache.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("{namespace}/{name}");
        match secret {
            Some(secret) => {
                // Only what a reconcile reads (name, namespace, version, type, data): memory,
                // and the values kept once (kubectl's last-applied copy holds them again).
                let kept = Secret {
                    metadata: ObjectMeta {
                        name: secret.metadata.name.clone(),
                        namespace: secret.metadata.namespace.clone(),
                        resource_version: secret.metadata.resource_version.clone(),
                        ..ObjectMeta::default()
                    },
                    data: secret.data.clone(),
                    string_data: secret.string_data.clone(),
                    type_: secret.type_.clone(),
                    immutable: secret.immutable,
                };
                cache.insert(key, kept)
            }
            None => cache.remove(&key),
        };
    }

    /// Remembers that the finalizer patch of `uid` was sent from `version`.
    pub(crate) fn finalizer_sent(&self, uid: &str, version: String) {
        let mut sent = self
            .finalizers_sent
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        sent.insert(uid.to_owned(), version);
    }

    /// The resourceVersion the finalizer patch of `uid` was sent from, while unconfirmed.
    pub(crate) fn finalizer_sent_at(&self, uid: &str) -> Option<String> {
        let sent = self
            .finalizers_sent
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        sent.get(uid).cloned()
    }

    /// The watch shows `uid` with its finalizer: nothing to remember.
    pub(crate) fn finalizer_seen(&self, uid: &str) {
        let mut sent = self
            .finalizers_sent
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        sent.remove(uid);
    }

    /// Counts a failure of `object` and returns how many in a row.
    pub(crate) fn failed(&self, object: &str) -> u32 {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(object.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    /// Forgets the failures of `object` after a success.
    pub(crate) fn succeeded(&self, object: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::client::Body;

    fn secret_meta(version: &str) -> PartialObjectMeta<Secret> {
        let mut meta = PartialObjectMeta::<Secret>::default();
        meta.metadata.name = Some("kenton-admin".to_owned());
        meta.metadata.namespace = Some("customers".to_owned());
        meta.metadata.resource_version = Some(version.to_owned());
        meta
    }

    fn context(watched_version: Option<&str>) -> Context {
        let (service, _handle) =
            tower_test::mock::pair::<http::Request<Body>, http::Response<Body>>();
        let mut stores = Stores::from_objects(Vec::new(), Vec::new(), Vec::new(), Vec::new());
        stores.secrets = watched_version.map(|v| filled(vec![secret_meta(v)]));
        Context::new(
            Client::new(service, "default"),
            Pool::new(Arc::new(crate::portal::Providers::default()), None),
            stores,
            Arc::new(Metrics::new()),
            Settings::default(),
            None,
        )
    }

    #[tokio::test]
    async fn a_secret_is_reused_only_while_its_version_holds() {
        let mut secret = Secret::default();
        secret.metadata.resource_version = Some("7".to_owned());
        for (watched, want) in [(Some("7"), true), (Some("8"), false), (None, false)] {
            let ctx = context(watched);
            ctx.remember_secret("customers", "kenton-admin", Some(&secret));
            assert_eq!(
                ctx.cached_secret("customers", "kenton-admin").is_some(),
                want,
                "{watched:?}"
            );
            ctx.remember_secret("customers", "kenton-admin", None);
            assert!(ctx.cached_secret("customers", "kenton-admin").is_none());
        }
    }

    #[test]
    fn resyncs_are_spread_within_ten_percent_and_stable_per_object() {
        let settings = Settings::default();
        let intervals: Vec<Duration> = (0..200)
            .map(|i| settings.resync_of(&format!("Tenant/customers/t{i:03}")))
            .collect();
        let (low, high) = (settings.resync * 9 / 10, settings.resync * 11 / 10);
        assert!(
            intervals.iter().all(|d| (low..=high).contains(d)),
            "{intervals:?}"
        );
        let distinct: std::collections::BTreeSet<_> = intervals.iter().collect();
        assert!(
            distinct.len() > 100,
            "only {} distinct intervals",
            distinct.len()
        );
        assert_eq!(
            settings.resync_of("Tenant/customers/t001"),
            settings.resync_of("Tenant/customers/t001")
        );
    }
}

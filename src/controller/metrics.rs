//! Prometheus metrics (prometheus-client): reconciles, errors by code, durations, portal calls
//! by portal and result, portal writes, status patches and the queue of waiting objects.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::portal::CallObserver;

/// Labels of per-kind metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// Tenant, TenantAdmin or ServiceBinding.
    pub kind: String,
}

/// Labels of reconcile errors.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The declaring kind.
    pub kind: String,
    /// The stable error code, e.g. `PortalUnavailable`, `DomainUnavailable`.
    pub code: String,
}

/// Labels of portal calls.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// Portal id.
    pub portal: String,
    /// `read` or `write`.
    pub access: String,
    /// `ok`, `rejected`, `throttled`, `server-error` or `transport`.
    pub result: String,
}

/// Labels of portal writes made by the controller.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    /// The declaring kind.
    pub kind: String,
    /// `create`, `update`, `replace` or `delete`.
    pub action: String,
}

/// Labels of the drift gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct DriftLabels {
    /// Portal id.
    pub portal: String,
    /// The drift policy in force: Remediate, Alert or Report.
    pub policy: String,
}

/// Labels of per-portal metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PortalLabels {
    /// Portal id.
    pub portal: String,
}

/// Drifted fields per label set, as one object last reported them.
type DriftCounts = BTreeMap<DriftLabels, i64>;

/// Every metric of the controller, registered in one registry.
pub struct Metrics {
    registry: Registry,
    reconciles: Family<KindLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: Family<KindLabels, Histogram>,
    portal_calls: Family<CallLabels, Counter>,
    portal_writes: Family<WriteLabels, Counter>,
    status_patches: Family<KindLabels, Counter>,
    queue_depth: Gauge,
    shards_held: Gauge,
    waiting: Mutex<HashSet<String>>,
    drifted: Family<DriftLabels, Gauge>,
    remediated: Family<PortalLabels, Counter>,
    drift_by_object: Mutex<HashMap<String, DriftCounts>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tenantry");
        let reconciles = Family::<KindLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let duration = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.01, 2.0, 12))
        });
        let portal_calls = Family::<CallLabels, Counter>::default();
        let portal_writes = Family::<WriteLabels, Counter>::default();
        let status_patches = Family::<KindLabels, Counter>::default();
        let queue_depth = Gauge::default();
        let drifted = Family::<DriftLabels, Gauge>::default();
        registry.register(
            "drifted_fields",
            "Portal fields a person changed by hand, by portal and drift policy",
            drifted.clone(),
        );
        let remediated = Family::<PortalLabels, Counter>::default();
        registry.register(
            "drift_remediations",
            "Hand changes in a portal put back to the declaration (driftPolicy Remediate), by portal",
            remediated.clone(),
        );
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by error code",
            errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            duration.clone(),
        );
        registry.register(
            "portal_calls",
            "Portal HTTP attempts by portal, access and result",
            portal_calls.clone(),
        );
        registry.register(
            "portal_writes",
            "Portal writes made by the controller, by action",
            portal_writes.clone(),
        );
        registry.register(
            "status_patches",
            "Status patches sent to the API server",
            status_patches.clone(),
        );
        registry.register(
            "queue_depth",
            "Objects waiting for a requeue (dependencies, async operations, errors)",
            queue_depth.clone(),
        );
        let shards_held = Gauge::default();
        registry.register(
            "shards_held",
            "Shards whose Lease this replica holds (--shards above 1; 0 otherwise)",
            shards_held.clone(),
        );
        Self {
            registry,
            reconciles,
            errors,
            duration,
            portal_calls,
            portal_writes,
            status_patches,
            queue_depth,
            shards_held,
            waiting: Mutex::new(HashSet::new()),
            drifted,
            remediated,
            drift_by_object: Mutex::new(HashMap::new()),
        }
    }

    /// The gauge of the shards this replica holds (kept by [`super::Shards`]).
    pub fn shards_held(&self) -> Gauge {
        self.shards_held.clone()
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// One reconcile of `kind` finished after `elapsed`, with an error code when it failed.
    pub fn reconciled(&self, kind: &str, elapsed: Duration, error: Option<&str>) {
        let labels = KindLabels {
            kind: kind.to_owned(),
        };
        self.reconciles.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let Some(code) = error {
            self.errors
                .get_or_create(&ErrorLabels {
                    kind: kind.to_owned(),
                    code: code.to_owned(),
                })
                .inc();
        }
    }

    /// The controller wrote to a portal.
    pub fn portal_write(&self, kind: &str, action: &str) {
        self.portal_writes
            .get_or_create(&WriteLabels {
                kind: kind.to_owned(),
                action: action.to_owned(),
            })
            .inc();
    }

    /// A status patch was sent.
    pub fn status_patched(&self, kind: &str) {
        self.status_patches
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Records whether `object` waits for a requeue; the gauge counts waiting objects.
    pub fn set_waiting(&self, object: &str, waiting: bool) {
        let mut set = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting {
            set.insert(object.to_owned());
        } else {
            set.remove(object);
        }
        self.queue_depth
            .set(i64::try_from(set.len()).unwrap_or(i64::MAX));
    }

    /// Records the drift `object` reports now (portal and policy of each drifted field); the
    /// gauge sums every object's.
    pub fn set_drift<'a>(
        &self,
        object: &str,
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        let mut now = DriftCounts::new();
        for (portal, policy) in fields {
            let labels = DriftLabels {
                portal: portal.to_owned(),
                policy: policy.to_owned(),
            };
            *now.entry(labels).or_default() += 1;
        }
        let mut all = self
            .drift_by_object
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let before = if now.is_empty() {
            all.remove(object)
        } else {
            all.insert(object.to_owned(), now.clone())
        };
        for (labels, n) in before.unwrap_or_default() {
            self.drifted.get_or_create(&labels).dec_by(n);
        }
        for (labels, n) in now {
            self.drifted.get_or_create(&labels).inc_by(n);
        }
    }

    /// A hand change in `portal` was put back.
    pub fn drift_remediated(&self, portal: &str) {
        self.remediated
            .get_or_create(&PortalLabels {
                portal: portal.to_owned(),
            })
            .inc();
    }

    /// Number of portal writes of `kind` and `action` so far (tests and summaries).
    pub fn portal_writes(&self, kind: &str, action: &str) -> u64 {
        self.portal_writes
            .get_or_create(&WriteLabels {
                kind: kind.to_owned(),
                action: action.to_owned(),
            })
            .get()
    }
}

impl CallObserver for Metrics {
    fn observe(&self, portal: &str, write: bool, outcome: &'static str) {
        self.portal_calls
            .get_or_create(&CallLabels {
                portal: portal.to_owned(),
                access: if write { "write" } else { "read" }.to_owned(),
                result: outcome.to_owned(),
            })
            .inc();
    }
}

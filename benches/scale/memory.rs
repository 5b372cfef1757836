//! The controller's memory budget, measured in a fresh process: live heap bytes (a counting
//! allocator) and resident memory (`/proc/self/status`) of what a controller holds for N
//! tenants.
//!
//! The controller is not on main yet; this measures the stand-in DESIGN.md §8 describes: the
//! typed objects as a reflector store would hold them (server metadata and status filled in,
//! `managedFields` and the last-applied annotation stripped, one `Arc` each), the model and
//! the observed portal state, and the peak of a relist that builds a second store.

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    Condition, FieldsV1, ManagedFieldsEntry, ObjectMeta, Time,
};
use serde_json::{Map, Value};
use tenantry::api::{Declared, ObjectStatus, ServiceBinding, Tenant, TenantAdmin};
use tenantry::manifest::{self, Input, LoadOptions};
use tenantry::model;

use crate::stages::{NAMESPACE, converge};

/// Counts live heap bytes and their peak; forwards to the system allocator.
pub struct Counting;

/// Off outside the probe: a counter shared by every thread would slow the timed stages.
static ENABLED: AtomicBool = AtomicBool::new(false);
// Signed: blocks allocated before counting started may be freed while it runs.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to `MiMalloc` (the allocator of the `tenantry`
// binary); the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { MiMalloc.alloc(layout) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { MiMalloc.dealloc(ptr, layout) };
        if ENABLED.load(Ordering::Relaxed) {
            LIVE.fetch_sub(signed(layout.size()), Ordering::Relaxed);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            LIVE.fetch_sub(signed(layout.size()), Ordering::Relaxed);
            grow(new_size);
        }
        p
    }
}

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

fn grow(size: usize) {
    let size = signed(size);
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Starts counting; call first thing in the probe process.
pub fn start_counting() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Live heap bytes counted so far (may start below zero, see `LIVE`); only deltas matter.
fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Bytes between two readings.
fn delta(after: isize, before: isize) -> usize {
    usize::try_from(after - before).unwrap_or(0)
}

/// Starts a new peak window at the current live size.
fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

/// Gives freed heap back to the system, so resident memory shows what is still held.
fn trim() {
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `VmRSS` and `VmHWM` of this process in bytes (0 when /proc is not there).
fn resident() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

/// The typed objects of a controller's stores.
struct Store {
    tenants: Vec<Arc<Tenant>>,
    admins: Vec<Arc<TenantAdmin>>,
    bindings: Vec<Arc<ServiceBinding>>,
}

impl Store {
    fn len(&self) -> usize {
        self.tenants.len() + self.admins.len() + self.bindings.len()
    }
}

/// What the API server would send: server metadata and a reconciled status, with or without
/// `managedFields` and the last-applied annotation.
fn store_of(declared: &Declared, stripped: bool) -> Store {
    let mut n = 0u64;
    let mut meta = |m: &ObjectMeta, spec: &Value| {
        n += 1;
        let mut m = m.clone();
        m.uid = Some(format!("6f1c2a4e-0000-4000-8000-{n:012}"));
        m.resource_version = Some(format!("{}", 1_000_000 + n));
        m.generation = Some(1);
        m.creation_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
        m.finalizers = Some(vec!["tenantry.dev/cleanup".to_owned()]);
        if !stripped {
            m.managed_fields = Some(managed_fields(spec));
            let mut annotations = m.annotations.take().unwrap_or_default();
            annotations.insert(
                "kubectl.kubernetes.io/last-applied-configuration".to_owned(),
                serde_json::to_string(spec).unwrap_or_default(),
            );
            m.annotations = Some(annotations);
        }
        m
    };
    let json = |v: &dyn erased::Spec| v.json();
    Store {
        tenants: declared
            .tenants
            .iter()
            .map(|t| {
                let mut o = t.object.clone();
                o.metadata = meta(&o.metadata, &json(&o.spec));
                o.status = Some(status(2));
                Arc::new(o)
            })
            .collect(),
        admins: declared
            .admins
            .iter()
            .map(|a| {
                let mut o = a.object.clone();
                o.metadata = meta(&o.metadata, &json(&o.spec));
                o.status = Some(status(1));
                Arc::new(o)
            })
            .collect(),
        bindings: declared
            .bindings
            .iter()
            .map(|b| {
                let mut o = b.object.clone();
                o.metadata = meta(&o.metadata, &json(&o.spec));
                o.status = Some(status(1));
                Arc::new(o)
            })
            .collect(),
    }
}

/// Serializing specs without naming each spec type.
mod erased {
    /// A spec that serializes to JSON.
    pub trait Spec {
        /// The spec as JSON.
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Spec for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

/// A reconciled status: Ready and Synced, `ids` external ids.
fn status(ids: usize) -> ObjectStatus {
    let condition = |type_: &str| Condition {
        type_: type_.to_owned(),
        status: "True".to_owned(),
        reason: "Reconciled".to_owned(),
        message: "the portals match the declaration".to_owned(),
        observed_generation: Some(1),
        last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
    };
    let mut s = ObjectStatus {
        observed_generation: Some(1),
        conditions: vec![condition("Ready"), condition("Synced")],
        ..ObjectStatus::default()
    };
    for i in 0..ids {
        s.external_ids
            .insert(format!("daas/kind{i}"), format!("id-{i:08}"));
    }
    s
}

/// Two managedFields entries (the applier's spec, the controller's status) shaped like the
/// API server's `fieldsV1`.
fn managed_fields(spec: &Value) -> Vec<ManagedFieldsEntry> {
    fn fields(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (format!("f:{k}"), fields(v)))
                    .collect::<Map<String, Value>>(),
            ),
            _ => Value::Object(Map::new()),
        }
    }
    let entry = |manager: &str, subresource: Option<&str>, fields_v1: Value| ManagedFieldsEntry {
        api_version: Some("tenantry.dev/v1alpha1".to_owned()),
        fields_type: Some("FieldsV1".to_owned()),
        fields_v1: Some(FieldsV1(fields_v1)),
        manager: Some(manager.to_owned()),
        operation: Some("Apply".to_owned()),
        subresource: subresource.map(str::to_owned),
        time: Some(Time(jiff::Timestamp::UNIX_EPOCH)),
    };
    let status = serde_json::json!({"f:status": {"f:conditions": {}, "f:externalIds": {}}});
    vec![
        entry(
            "argocd-controller",
            None,
            serde_json::json!({ "f:spec": fields(spec) }),
        ),
        entry("tenantry-controller", Some("status"), status),
    ]
}

/// Runs the probe (in the child process) and prints its table.
pub fn probe(dir: &Path) -> anyhow::Result<()> {
    let (rss0, _) = resident();
    let base = live();
    reset_peak();
    let loaded = manifest::load(
        &[Input::Path(dir.to_path_buf())],
        &LoadOptions {
            namespace: NAMESPACE.to_owned(),
        },
    )?;
    let declared = loaded.declared;
    let load_peak = delta(peak(), base);
    let declared_bytes = delta(live(), base);

    let before = live();
    let naive = store_of(&declared, false);
    let naive_bytes = delta(live(), before);
    drop(naive);

    let before = live();
    let store = store_of(&declared, true);
    let store_bytes = delta(live(), before);

    let before = live();
    let model = model::expand(&declared)?;
    let model_bytes = delta(live(), before);
    let before = live();
    let observed = converge(&model);
    let observed_bytes = delta(live(), before);
    drop(declared);
    trim();
    let all_bytes = delta(live(), base);
    let (rss_all, _) = resident();

    drop((model, observed));
    trim();
    let (rss_store, _) = resident();

    // A relist builds the new store while the old one is still held, then swaps.
    let before = live();
    let relisted = Store {
        tenants: store
            .tenants
            .iter()
            .map(|t| Arc::new((**t).clone()))
            .collect(),
        admins: store
            .admins
            .iter()
            .map(|a| Arc::new((**a).clone()))
            .collect(),
        bindings: store
            .bindings
            .iter()
            .map(|b| Arc::new((**b).clone()))
            .collect(),
    };
    let relist_bytes = delta(live(), before);
    let (rss_relist, _) = resident();
    let objects = store.len();
    drop(store);
    trim();
    let (rss_after, hwm) = resident();

    println!("\n### Controller memory stand-in ({objects} objects)\n");
    println!("| what | live heap MB | resident MB | note |");
    println!("|---|---:|---:|---|");
    let row = |what: &str, bytes: usize, rss: Option<usize>, note: &str| {
        let rss = rss.map(mb).unwrap_or_default();
        println!("| {what} | {} | {rss} | {note} |", mb(bytes));
    };
    row("process at start", 0, Some(rss0), "");
    row(
        "typed objects as loaded (Declared)",
        declared_bytes,
        None,
        &format!("transient peak of the parallel load {} MB", mb(load_peak)),
    );
    row(
        "same objects with server metadata, status and managedFields + last-applied (naive)",
        naive_bytes,
        None,
        "what stripping saves",
    );
    row(
        "**store: typed, server metadata + status, managedFields stripped**",
        store_bytes,
        Some(rss_store),
        "the controller stand-in; resident = whole process after trim",
    );
    row(
        "model of every tenant (expanded portal resources)",
        model_bytes,
        None,
        "only if a controller keeps it",
    );
    row(
        "observed state of every portal object",
        observed_bytes,
        None,
        "only if a controller keeps it",
    );
    row(
        "store + model + observed",
        all_bytes,
        Some(rss_all),
        "upper bound: a global plan held in memory",
    );
    row(
        "relist: second store built before the swap",
        relist_bytes,
        Some(rss_relist),
        &format!(
            "peak {:.2} × the store's resident",
            rss_relist as f64 / rss_store.max(1) as f64
        ),
    );
    println!(
        "\nResident after the relist swap {} MB; high-water mark (VmHWM, includes the load's \
         transient peak) {} MB.",
        mb(rss_after),
        mb(hwm)
    );
    println!(
        "Inline sizes (before any heap): Tenant {} B, TenantAdmin {} B, ServiceBinding {} B, \
         of which ObjectMeta {} B and ObjectStatus {} B.",
        std::mem::size_of::<Tenant>(),
        std::mem::size_of::<TenantAdmin>(),
        std::mem::size_of::<ServiceBinding>(),
        std::mem::size_of::<ObjectMeta>(),
        std::mem::size_of::<ObjectStatus>(),
    );
    drop(relisted);
    Ok(())
}

//! The controller probe, in a fresh process: `tenantry::controller::run` — watches, reflector
//! stores, the three controllers, leader election, status patches — against the parent's fake
//! API server and converged sandbox. It measures resident memory and live heap once every
//! object was reconciled, the reconcile throughput of that first pass, the peak of a relist
//! (every watch ended with 410) together with the periodic resync pass that follows it, and
//! the status patches and portal writes of that pass, which must both be zero: the portals
//! and the statuses are converged.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use serde::Deserialize;
use tenantry::api::{ObjectStatus, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{LeaseSettings, RunOptions, Settings};
use tracing::span::{Attributes, Id};
use tracing::{Subscriber, field};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::kube_api::{Counters, Info};
use crate::measure::cpu_time;
use crate::memory::{delta, live, mb, peak, reset_hwm, reset_peak, resident};

/// The controller's resync interval in the probe.
const RESYNC: Duration = Duration::from_secs(120);

/// The span kube-runtime's controller opens around each reconcile (`object.ref` names it).
const RECONCILE_SPAN: &str = "reconciling object";

/// Reconciles seen through kube-runtime's span: distinct objects in the current pass,
/// and completions.
#[derive(Default)]
struct Reconciles {
    pass: Mutex<HashSet<u64>>,
    completed: AtomicU64,
}

impl Reconciles {
    fn distinct(&self) -> usize {
        self.pass
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn new_pass(&self) {
        self.pass
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A tracing layer that counts finished reconciles per object (a hash of `object.ref`).
struct Track(Arc<Reconciles>);

/// The hash of a reconcile span's object.
struct ObjectHash(u64);

struct RefVisitor(Option<u64>);

impl field::Visit for RefVisitor {
    fn record_debug(&mut self, field: &field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "object.ref" {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            format!("{value:?}").hash(&mut h);
            self.0 = Some(h.finish());
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Track {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut visitor = RefVisitor(None);
        attrs.record(&mut visitor);
        if let (Some(hash), Some(span)) = (visitor.0, ctx.span(id)) {
            span.extensions_mut().insert(ObjectHash(hash));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if let Some(ObjectHash(hash)) = span.extensions().get::<ObjectHash>() {
            self.0.completed.fetch_add(1, Ordering::Relaxed);
            self.0
                .pass
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(*hash);
        }
    }
}

/// `/bench/stats`: the fake API server's counters and the sandbox's requests.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Stats {
    #[serde(flatten)]
    api: Counters,
    portal: PortalRequests,
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct PortalRequests {
    /// The sandbox's request counter now.
    seq: u64,
    /// Writes (not GET) the sandbox logged since the probe's mark.
    writes: u64,
    /// The log lost entries since the mark: `writes` is a lower bound.
    cut: bool,
}

/// The controller's own metrics that the tables use (`/metrics`).
#[derive(Debug, Clone, Copy, Default)]
struct Metrics {
    reconciles: u64,
    errors: u64,
    portal_reads: u64,
    portal_writes: u64,
    status_patches: u64,
}

impl Metrics {
    fn parse(text: &str) -> Self {
        let sum = |name: &str, label: &str| -> u64 {
            text.lines()
                .filter(|l| l.starts_with(name) && l.contains(label))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .map(|v| v as u64)
                .sum()
        };
        Self {
            reconciles: sum("tenantry_reconciles_total", ""),
            errors: sum("tenantry_reconcile_errors_total", ""),
            portal_reads: sum("tenantry_portal_calls_total", "access=\"read\""),
            portal_writes: sum("tenantry_portal_calls_total", "access=\"write\""),
            status_patches: sum("tenantry_status_patches_total", ""),
        }
    }

    fn since(self, before: Self) -> Self {
        Self {
            reconciles: self.reconciles - before.reconciles,
            errors: self.errors - before.errors,
            portal_reads: self.portal_reads - before.portal_reads,
            portal_writes: self.portal_writes - before.portal_writes,
            status_patches: self.status_patches - before.status_patches,
        }
    }
}

/// Memory at one moment.
#[derive(Debug, Clone, Copy)]
struct Memory {
    rss: usize,
    hwm: usize,
    live: usize,
}

fn memory(base: isize) -> Memory {
    let (rss, hwm) = resident();
    Memory {
        rss,
        hwm,
        live: delta(live(), base),
    }
}

/// One pass of the controllers over every object.
struct Pass {
    name: &'static str,
    wall: Duration,
    cpu: Duration,
    first: Option<Duration>,
    api: Counters,
    portal: PortalRequests,
    metrics: Metrics,
}

/// The parent's endpoints and the controller's.
struct Probe {
    http: reqwest::Client,
    api: String,
    ops: SocketAddr,
    reconciles: Arc<Reconciles>,
    objects: usize,
    bound: Duration,
}

impl Probe {
    async fn stats(&self, since: u64) -> anyhow::Result<Stats> {
        let url = format!("{}/bench/stats?since={since}", self.api);
        Ok(self.http.get(url).send().await?.json().await?)
    }

    async fn metrics(&self) -> anyhow::Result<Metrics> {
        let url = format!("http://{}/metrics", self.ops);
        Ok(Metrics::parse(
            &self.http.get(url).send().await?.text().await?,
        ))
    }

    /// Waits until every object was reconciled in this pass; returns when the first was.
    async fn every_object(&self, start: Instant, what: &str) -> anyhow::Result<Option<Duration>> {
        let mut first = None;
        let mut report = Instant::now();
        loop {
            let done = self.reconciles.distinct();
            if done > 0 && first.is_none() {
                first = Some(start.elapsed());
            }
            if done >= self.objects {
                return Ok(first);
            }
            anyhow::ensure!(
                start.elapsed() < self.bound,
                "{what}: only {done} of {} objects reconciled after {:?}",
                self.objects,
                self.bound
            );
            if report.elapsed() > Duration::from_secs(15) {
                eprintln!(
                    "  {what}: {done} of {} objects reconciled after {:.0} s",
                    self.objects,
                    start.elapsed().as_secs_f64()
                );
                report = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until the follow-up work settles: no status patch, Secret or object write over
    /// five polls a second apart (reconciles may still run: the short resync keeps some in
    /// flight at any time at large N, converged ones write nothing).
    async fn settled(&self, since: u64) -> anyhow::Result<Stats> {
        let start = Instant::now();
        let mut last = self.stats(since).await?;
        let mut quiet = 0;
        while quiet < 5 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.stats(since).await?;
            let same = now.api.status_patches == last.api.status_patches
                && now.api.object_writes == last.api.object_writes
                && now.api.secret_creates == last.api.secret_creates;
            quiet = if same { quiet + 1 } else { 0 };
            last = now;
            anyhow::ensure!(
                start.elapsed() < self.bound,
                "the controllers never settled"
            );
        }
        Ok(last)
    }
}

/// Runs the probe (in the child process) and prints its tables.
pub fn probe(api: &str) -> anyhow::Result<()> {
    let reconciles = Arc::new(Reconciles::default());
    tracing_subscriber::registry()
        .with(
            Track(Arc::clone(&reconciles)).with_filter(tracing_subscriber::filter::filter_fn(
                |m| m.name() == RECONCILE_SPAN,
            )),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(tracing_subscriber::filter::LevelFilter::ERROR),
        )
        .try_init()?;
    // What `tenantry controller` runs on: a multi-threaded runtime, one worker per core.
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(api, reconciles))
}

async fn run(api: &str, reconciles: Arc<Reconciles>) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let info: Info = http
        .get(format!("{api}/bench/info"))
        .send()
        .await?
        .json()
        .await?;
    let ops = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?.local_addr()?;
    let probe = Probe {
        http,
        api: api.to_owned(),
        ops,
        reconciles: Arc::clone(&reconciles),
        objects: info.objects,
        // A bound for a stuck run (scaled to N), never a measurement.
        bound: Duration::from_secs(120) + RESYNC + Duration::from_millis(100) * info.objects as u32,
    };

    let base = live();
    let start_memory = memory(base);
    let config = kube::Config::new(api.parse()?);
    let client = kube::Client::try_from(config.clone())?;
    let kube_client = client.clone();
    let lease_client = tenantry::controller::lease_client(config)?;
    let options = RunOptions {
        portal: None,
        portal_token: None,
        listen: ops,
        settings: Settings {
            // Short, so the resync pass after the relist comes soon; objects of the first
            // minutes of a long first pass resync during it (counted in its reconciles).
            resync: RESYNC,
            ..Settings::default()
        },
        concurrency: info.concurrency,
        lease: info.lease.then(|| LeaseSettings {
            namespace: "tenantry-system".to_owned(),
            name: "tenantry-controller".to_owned(),
            identity: "bench".to_owned(),
        }),
        instance: Some("bench".to_owned()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let before = probe.stats(0).await?;
    let seq = before.portal.seq;

    // First pass: start, list everything, reconcile every object once.
    let start = Instant::now();
    let cpu = cpu_time();
    let controller = tokio::spawn(tenantry::controller::run(
        client,
        Some(lease_client),
        options,
        async move {
            let _ = stopped.await;
        },
    ));
    let first = probe.every_object(start, "first pass").await?;
    let (wall, cpu_used) = (start.elapsed(), cpu_time().saturating_sub(cpu));
    let once = memory(base);
    let stats = probe.stats(seq).await?;
    let metrics = probe.metrics().await?;
    let first_pass = Pass {
        name: "first pass (objects without status)",
        wall,
        cpu: cpu_used,
        first,
        api: diff(stats.api, before.api),
        portal: stats.portal,
        metrics,
    };

    // Let the status patches of the first pass come back through the watches.
    let settled = probe.settled(seq).await?;
    let steady = memory(base);
    let stores = stores_alone(&kube_client).await?;
    let metrics_before = probe.metrics().await?;

    // Relist: every watch ends with 410 and the reflectors list again (the unchanged objects
    // wake nothing); the periodic resync then reconciles every object again, now with its
    // status published. The peak covers both.
    reset_hwm();
    reset_peak();
    let peak_base = live();
    reconciles.new_pass();
    let seq = settled.portal.seq;
    let start = Instant::now();
    let cpu = cpu_time();
    probe
        .http
        .post(format!("{api}/bench/expire"))
        .send()
        .await?;
    let first = probe.every_object(start, "resync pass").await?;
    let (wall, cpu_used) = (start.elapsed(), cpu_time().saturating_sub(cpu));
    let after = probe.settled(seq).await?;
    let relist = memory(base);
    let relist_peak_live = delta(peak(), peak_base) + delta(peak_base, base);
    let metrics = probe.metrics().await?;
    let resync = Pass {
        name: "relist, then the resync pass (converged)",
        wall,
        cpu: cpu_used,
        first,
        api: diff(after.api, settled.api),
        portal: after.portal,
        metrics: metrics.since(metrics_before),
    };

    let _ = stop.send(());
    let ended = tokio::time::timeout(Duration::from_secs(30), controller).await;
    anyhow::ensure!(
        matches!(ended, Ok(Ok(Ok(())))),
        "the controller did not stop cleanly: {ended:?}"
    );

    print_tables(
        &info,
        &stores,
        &[
            (
                "process start (runtime, before the controller)",
                start_memory,
                None,
            ),
            ("every object reconciled once (first pass)", once, None),
            (
                "steady, after the first pass's status patches",
                steady,
                None,
            ),
            (
                "relist + resync pass: peak (VmHWM since the relist)",
                relist,
                Some(relist_peak_live),
            ),
        ],
        &[&first_pass, &resync],
    );
    // The converged resync must be clean, and the first pass must have reached the portal: a
    // probe whose reconciles all fail (a misconfigured cluster or portal) measures nothing.
    // A few first-pass errors are normal on a loaded machine (a dependant reconciled before its
    // parent is Ready is retried), so they are reported, not refused.
    anyhow::ensure!(
        resync.metrics.errors == 0 && first_pass.metrics.portal_reads > 0,
        "reconciles failed ({} errors in the resync; {} portal reads in the first pass): the \
         probe's cluster or portal is misconfigured",
        resync.metrics.errors,
        first_pass.metrics.portal_reads
    );
    anyhow::ensure!(
        resync.metrics.portal_writes == 0
            && resync.portal.writes == 0
            && resync.metrics.status_patches == 0
            && resync.api.status_patches == 0
            && resync.api.object_writes == 0
            && resync.api.secret_creates == 0,
        "the converged resync wrote: {} portal write(s), {} status patch(es), {} other object \
         write(s), {} Secret(s)",
        resync.metrics.portal_writes.max(resync.portal.writes),
        resync.api.status_patches,
        resync.api.object_writes,
        resync.api.secret_creates
    );
    Ok(())
}

fn diff(after: Counters, before: Counters) -> Counters {
    Counters {
        list_pages: after.list_pages - before.list_pages,
        watches: after.watches - before.watches,
        status_patches: after.status_patches - before.status_patches,
        object_writes: after.object_writes - before.object_writes,
        events: after.events - before.events,
        secret_reads: after.secret_reads - before.secret_reads,
        secret_creates: after.secret_creates - before.secret_creates,
        lease_calls: after.lease_calls - before.lease_calls,
        expiries: after.expiries - before.expiries,
        open_watches: after.open_watches,
    }
}

/// Live heap of one kind's objects as the stores hold them: kind, objects, bytes in all, and
/// the heap bytes of each part (`Parts`).
type Share = (&'static str, usize, usize, Parts);

/// Heap bytes (beyond the inline struct) that parts of the stored objects own.
#[derive(Default, Clone, Copy)]
struct Parts {
    metadata: usize,
    spec: usize,
    conditions: usize,
    applied: usize,
    external_ids: usize,
    other_status: usize,
}

/// What the stores alone hold: every object listed again and kept as the controller keeps
/// it (typed, `Arc`, `managedFields` and last-applied stripped), measured, then dropped.
async fn stores_alone(client: &kube::Client) -> anyhow::Result<Vec<Share>> {
    Ok(vec![
        held::<Tenant>(client, "Tenant", |t| t.status.as_mut()).await?,
        held::<TenantAdmin>(client, "TenantAdmin", |a| a.status.as_mut()).await?,
        held::<ServiceBinding>(client, "ServiceBinding", |b| b.status.as_mut()).await?,
        held::<PartialObjectMeta<Secret>>(client, "Secret (metadata)", |_| None).await?,
    ])
}

async fn held<K>(
    client: &kube::Client,
    kind: &'static str,
    status: fn(&mut K) -> Option<&mut ObjectStatus>,
) -> anyhow::Result<Share>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: kube::Api<K> = kube::Api::all(client.clone());
    let mut objects: Vec<K> = Vec::new();
    let mut params = kube::api::ListParams::default().limit(500);
    let before = live();
    loop {
        let page = api.list(&params).await?;
        for mut o in page.items {
            tenantry::controller::strip(&mut o);
            objects.push(o);
        }
        match page.metadata.continue_ {
            Some(next) if !next.is_empty() => params = params.continue_token(&next),
            _ => break,
        }
    }
    // As the stores hold them: one `Arc` each. Not `collect()`: that reuses the list's buffer
    // in place, and the measure would keep the inline size of every object a second time.
    let mut arcs: Vec<Arc<K>> = Vec::with_capacity(objects.len());
    arcs.extend(objects.drain(..).map(Arc::new));
    drop(objects);
    let objects = arcs;
    let bytes = delta(live(), before);
    // The parts, taken out one at a time: what dropping each frees is the heap it owned.
    let mut objects: Vec<K> = objects
        .into_iter()
        .map(|o| Arc::try_unwrap(o).unwrap_or_else(|o| (*o).clone()))
        .collect();
    let mut freed = |take: &mut dyn FnMut(&mut K)| {
        let before = live();
        objects.iter_mut().for_each(&mut *take);
        delta(before, live())
    };
    let parts = Parts {
        conditions: freed(&mut |o| {
            if let Some(s) = status(o) {
                s.conditions = Vec::new();
            }
        }),
        applied: freed(&mut |o| {
            if let Some(s) = status(o) {
                s.applied = Default::default();
            }
        }),
        external_ids: freed(&mut |o| {
            if let Some(s) = status(o) {
                s.external_ids = Default::default();
            }
        }),
        other_status: freed(&mut |o| {
            if let Some(s) = status(o) {
                *s = ObjectStatus::default();
            }
        }),
        metadata: freed(&mut |o| *o.meta_mut() = Default::default()),
        spec: 0,
    };
    // What is left is the spec's heap and the inline structs.
    let (n, inline) = (objects.len(), objects.capacity() * std::mem::size_of::<K>());
    let before = live();
    drop(objects);
    let parts = Parts {
        spec: delta(before, live()).saturating_sub(inline),
        ..parts
    };
    Ok((kind, n, bytes, parts))
}

fn print_tables(
    info: &Info,
    stores: &[Share],
    memory: &[(&str, Memory, Option<usize>)],
    passes: &[&Pass],
) {
    println!(
        "\n### Controller ({} objects, {} Secrets; concurrency {} per kind; leader election {})\n",
        info.objects,
        info.secrets,
        info.concurrency,
        if info.lease { "on" } else { "off" }
    );
    println!("| when | VmRSS MB | VmHWM MB | live heap MB | note |");
    println!("|---|---:|---:|---:|---|");
    let steady = memory.get(2).map_or(1, |m| m.1.rss.max(1));
    for (what, m, peak_live) in memory {
        let note = match peak_live {
            Some(p) => format!(
                "live peak {} MB; VmHWM = {:.2} × steady VmRSS; VmRSS after {} MB",
                mb(*p),
                m.hwm as f64 / steady as f64,
                mb(m.rss)
            ),
            None => String::new(),
        };
        let hwm = if peak_live.is_some() || m.hwm > 0 {
            mb(m.hwm)
        } else {
            String::new()
        };
        println!(
            "| {what} | {} | {hwm} | {} | {note} |",
            mb(m.rss),
            mb(m.live)
        );
    }
    println!(
        "\n| what the stores hold (typed, stripped, with status) | objects | live heap MB | B / object | of which (heap B / object): metadata, spec, status conditions, status applied, status externalIds, rest of status |"
    );
    println!("|---|---:|---:|---:|---|");
    for (kind, n, bytes, parts) in stores {
        let per = |b: usize| b / (*n).max(1);
        println!(
            "| {kind} | {n} | {} | {} | {}, {}, {}, {}, {}, {} |",
            mb(*bytes),
            per(*bytes),
            per(parts.metadata),
            per(parts.spec),
            per(parts.conditions),
            per(parts.applied),
            per(parts.external_ids),
            per(parts.other_status),
        );
    }
    let (n, bytes) = stores
        .iter()
        .fold((0, 0), |(n, b), (_, n2, b2, _)| (n + n2, b + b2));
    println!("| **all** | {n} | {} | {} | |", mb(bytes), bytes / n.max(1));
    println!(
        "\nInline sizes: Tenant {} B, TenantAdmin {} B, ServiceBinding {} B.",
        std::mem::size_of::<Tenant>(),
        std::mem::size_of::<TenantAdmin>(),
        std::mem::size_of::<ServiceBinding>()
    );
    println!(
        "\n| pass | wall s | to first reconcile s | controller CPU s | objects / s (wall) | objects / CPU s | reconciles run | errors | status patches | portal reads | portal writes (controller / sandbox log) | events | Secret reads | list pages | watches |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for p in passes {
        let per = |d: Duration| info.objects as f64 / d.as_secs_f64().max(1e-9);
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {} | {} | {} | {} | {} / {}{} | {} | {} | {} | {} |",
            p.name,
            p.wall.as_secs_f64(),
            p.first.map_or(0.0, |d| d.as_secs_f64()),
            p.cpu.as_secs_f64(),
            per(p.wall),
            per(p.cpu),
            p.metrics.reconciles,
            p.metrics.errors,
            p.api.status_patches,
            p.metrics.portal_reads,
            p.metrics.portal_writes,
            p.portal.writes,
            if p.portal.cut {
                " (log cut: lower bound)"
            } else {
                ""
            },
            p.api.events,
            p.api.secret_reads,
            p.api.list_pages,
            p.api.watches,
        );
    }
}

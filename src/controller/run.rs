//! Wiring: shared watches (reflector stores with `managedFields` stripped), the four
//! controllers (three for the declared kinds, one for PortalConnection health), the
//! notifications task, leader election, the operations endpoint and graceful shutdown.

use futures::future::{BoxFuture, FutureExt};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::controller::{Config, Controller};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;

use super::Declaring;
use super::context::{Context, Settings, Stores};
use super::error::Error;
use super::leader::{self, LeaseSettings};
use super::metrics::Metrics;
use super::reconcile::{error_policy, reconcile};
use super::related::Related;
use super::relist::{self, InPlace};
use super::server::{self, Health};
use super::shard::Shards;
use super::shard_lease;
use super::watches;
use crate::api::{NotificationSink, PortalConnection, ServiceBinding, Tenant, TenantAdmin};
use crate::portal::{BudgetShare, CallObserver, Connection, Pool, Providers};
use kube::runtime::controller::Action;

/// Name of the connection used when no PortalConnection applies (`--portal URL`).
pub const FALLBACK_CONNECTION: &str = "default";

/// Buffer of each shared watch stream.
const BUFFER: usize = 1024;

/// How to run the controller.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Portal URL used when no PortalConnection applies (`--portal`).
    pub portal: Option<String>,
    /// Bearer token for `portal`.
    pub portal_token: Option<crate::api::Sensitive>,
    /// Address of `/healthz`, `/readyz` and `/metrics`.
    pub listen: SocketAddr,
    /// Tunables.
    pub settings: Settings,
    /// Reconciles in flight per kind.
    pub concurrency: u16,
    /// Leader election; `None` runs the controllers at once (a single replica, tests).
    pub lease: Option<LeaseSettings>,
    /// This replica's name in Events.
    pub instance: Option<String>,
}

/// Runs until SIGTERM or Ctrl-C (or `stop` resolves); with `options.lease`, the controllers
/// run only while leading, and `lease_client` (see [`lease_client`](super::lease_client), with
/// timeouts shorter than the renewal grace) renews the Lease.
pub async fn run(
    client: Client,
    lease_client: Option<Client>,
    options: RunOptions,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(AtomicBool::new(false));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            () = stop => {}
            () = signal() => {}
        }
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
    });
    let health = Health {
        ready: Arc::clone(&ready),
        metrics: Arc::clone(&metrics),
    };
    let listener = server::bind(options.listen)
        .await
        .map_err(|e| Error::Startup(format!("listening on {}: {e}", options.listen)))?;
    let server = tokio::spawn(server::serve(
        listener,
        health,
        wait_for(shutdown_rx.clone()),
    ));

    match options.lease.clone() {
        None => {
            let running = controllers(
                client,
                &options,
                Arc::clone(&metrics),
                Arc::clone(&ready),
                None,
                wait_for(shutdown_rx.clone()),
            );
            running.await;
        }
        Some(lease) if options.settings.shards > 1 => {
            // The controllers run on every replica; each reconcile checks its shard.
            let shards = Arc::new(
                Shards::new(
                    options.settings.shards,
                    Arc::new(BudgetShare::new(options.settings.shards)),
                )
                .with_gauge(metrics.shards_held()),
            );
            let lease_client = lease_client.unwrap_or_else(|| client.clone());
            let holding = tokio::spawn(shard_lease::hold(
                lease_client,
                lease,
                Arc::clone(&shards),
                shutdown_rx.clone(),
            ));
            controllers(
                client,
                &options,
                Arc::clone(&metrics),
                Arc::clone(&ready),
                Some(shards),
                wait_for(shutdown_rx.clone()),
            )
            .await;
            if let Err(e) = holding.await {
                tracing::warn!(error = %e, "shard Lease task failed");
            }
        }
        Some(lease) => {
            let start = |stop| {
                controllers(
                    client.clone(),
                    &options,
                    Arc::clone(&metrics),
                    Arc::clone(&ready),
                    None,
                    stop,
                )
                .boxed()
            };
            let lease_client = lease_client.unwrap_or_else(|| client.clone());
            leader::lead(lease_client, &lease, &ready, shutdown_rx.clone(), start).await?;
        }
    }
    match server.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "operations endpoint failed"),
        Err(e) => tracing::warn!(error = %e, "operations endpoint task failed"),
        Ok(Ok(())) => {}
    }
    Ok(())
}

/// Builds the shared watches and runs the controllers until `stop` resolves.
fn controllers(
    client: Client,
    options: &RunOptions,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
    shards: Option<Arc<Shards>>,
    stop: BoxFuture<'static, ()>,
) -> impl Future<Output = ()> + Send + 'static {
    let wc = watcher::Config::default();
    // Operators who label `tenantry.dev/shard` narrow what this replica even caches.
    let declared_wc = match &options.settings.shard_selector {
        Some(selector) => wc.clone().labels(selector),
        None => wc.clone(),
    };
    let (tenants, tenant_w) = reflector::store_shared::<Tenant>(BUFFER);
    let (admins, admin_w) = reflector::store_shared::<TenantAdmin>(BUFFER);
    let (bindings, binding_w) = reflector::store_shared::<ServiceBinding>(BUFFER);
    let (connections, connection_w) = reflector::store_shared::<PortalConnection>(BUFFER);
    let (secrets, secret_w) = reflector::store_shared::<PartialObjectMeta<Secret>>(BUFFER);
    // Read by the notifications task only (no controller subscribes).
    let (sinks, sink_w) = reflector::store_shared::<NotificationSink>(BUFFER);
    let mut tenant_s = subscribe(3, &tenant_w);
    let mut admin_s = subscribe(2, &admin_w);
    let mut binding_s = subscribe(3, &binding_w);
    let mut connection_s = subscribe(4, &connection_w);
    let mut secret_s = subscribe(4, &secret_w);

    let admin_index = Arc::new(Related::default());
    let binding_index = Arc::new(Related::default());
    let feeds = futures::future::join_all(vec![
        feed(
            watcher(Api::<Tenant>::all(client.clone()), declared_wc.clone()),
            tenant_w,
            |_, _| {},
        ),
        feed(
            watcher(Api::<TenantAdmin>::all(client.clone()), declared_wc.clone()),
            admin_w,
            indexing(Arc::clone(&admin_index)),
        ),
        feed(
            watcher(
                Api::<ServiceBinding>::all(client.clone()),
                declared_wc.clone(),
            ),
            binding_w,
            indexing(Arc::clone(&binding_index)),
        ),
        feed(
            watcher(Api::<PortalConnection>::all(client.clone()), wc.clone()),
            connection_w,
            |_, _| {},
        ),
        feed(
            watcher(
                Api::<PartialObjectMeta<Secret>>::all(client.clone()),
                wc.clone(),
            ),
            secret_w,
            |_, _| {},
        ),
        feed(
            watcher(Api::<NotificationSink>::all(client.clone()), wc.clone()),
            sink_w,
            |_, _| {},
        ),
    ]);

    let stores = Stores {
        tenants: tenants.clone(),
        admins: admins.clone(),
        bindings: bindings.clone(),
        connections: connections.clone(),
        sinks,
        secrets: Some(secrets.clone()),
        admin_index,
        binding_index,
    };
    let observer: Arc<dyn CallObserver> = metrics.clone();
    let pool = Pool::new(
        Arc::new(Providers::with_observer(observer)),
        options.portal.as_deref().map(|url| {
            // The sandbox accepts any non-empty token; `tenantry` when none is given.
            let token = options
                .portal_token
                .clone()
                .unwrap_or_else(|| crate::api::Sensitive::new("tenantry"));
            Connection::contract(FALLBACK_CONNECTION, url, Some(token))
        }),
    );
    let pool = match &shards {
        Some(shards) => pool.with_share(shards.share()),
        None => pool,
    };
    let ctx = Arc::new(Context::new(
        client,
        pool,
        stores.clone(),
        metrics,
        options.settings.clone(),
        options.instance.clone(),
    ));
    // Off the reconcile path: reconciles only queue what they saw (see `notifications`).
    let notifier = super::notifications::run(Arc::clone(&ctx));
    let config = Config::default().concurrency(options.concurrency);
    let stop = stop.shared();

    let s = stores.clone();
    let s2 = stores.clone();
    let t1 = stores.clone();
    let t2 = stores.clone();
    let s3 = stores.clone();
    let s4 = stores.clone();
    let tenant_ctl = Controller::for_shared_stream(pop(&mut tenant_s), tenants.clone())
        .with_config(config.clone())
        .watches_shared_stream(pop(&mut admin_s), move |a: Arc<TenantAdmin>| {
            watches::deleting_tenant_of(&t1, a.as_ref())
        })
        .watches_shared_stream(pop(&mut binding_s), move |b: Arc<ServiceBinding>| {
            watches::deleting_tenant_of(&t2, b.as_ref())
        })
        .watches_shared_stream(pop(&mut connection_s), move |c: Arc<PortalConnection>| {
            watches::users_of_connection(&s, &c, watches::tenant_itself)
        })
        .watches_shared_stream(
            pop(&mut secret_s),
            move |m: Arc<PartialObjectMeta<Secret>>| {
                watches::users_of_secret(
                    &s2,
                    &m.namespace().unwrap_or_default(),
                    &m.name_any(),
                    |_, _, _| Vec::new(),
                    watches::tenant_itself,
                )
            },
        )
        .graceful_shutdown_on(stop.clone())
        .reconcile_all_on(changes(shards.as_ref()))
        .reconcile_on(super::resync::due::<Tenant>(Arc::clone(&ctx.resync)))
        .run(
            gated::<Tenant>(shards.clone()),
            error_policy::<Tenant>,
            Arc::clone(&ctx),
        )
        .for_each(|_| std::future::ready(()));

    let a1 = stores.clone();
    let a2 = stores.clone();
    let a3 = stores.clone();
    let admin_ctl = Controller::for_shared_stream(pop(&mut admin_s), admins.clone())
        .with_config(config.clone())
        .watches_shared_stream(pop(&mut tenant_s), move |t: Arc<Tenant>| {
            watches::admins_of(&a1, &t)
        })
        .watches_shared_stream(pop(&mut connection_s), move |c: Arc<PortalConnection>| {
            watches::users_of_connection(&a2, &c, watches::admins_of)
        })
        .watches_shared_stream(
            pop(&mut secret_s),
            move |m: Arc<PartialObjectMeta<Secret>>| {
                watches::users_of_secret(
                    &a3,
                    &m.namespace().unwrap_or_default(),
                    &m.name_any(),
                    |st, ns, n| st.admin_index.using_secret(ns, n),
                    watches::admins_of,
                )
            },
        )
        .graceful_shutdown_on(stop.clone())
        .reconcile_all_on(changes(shards.as_ref()))
        .reconcile_on(super::resync::due::<TenantAdmin>(Arc::clone(&ctx.resync)))
        .run(
            gated::<TenantAdmin>(shards.clone()),
            error_policy::<TenantAdmin>,
            Arc::clone(&ctx),
        )
        .for_each(|_| std::future::ready(()));

    let b1 = stores.clone();
    let b2 = stores.clone();
    let b3 = stores.clone();
    let binding_ctl = Controller::for_shared_stream(pop(&mut binding_s), bindings.clone())
        .with_config(config)
        .watches_shared_stream(pop(&mut tenant_s), move |t: Arc<Tenant>| {
            watches::bindings_of(&b1, &t)
        })
        .watches_shared_stream(pop(&mut binding_s), move |b: Arc<ServiceBinding>| {
            watches::dependants_of(&s3, &b)
        })
        .watches_shared_stream(pop(&mut connection_s), move |c: Arc<PortalConnection>| {
            watches::users_of_connection(&b2, &c, watches::bindings_of)
        })
        .watches_shared_stream(
            pop(&mut secret_s),
            move |m: Arc<PartialObjectMeta<Secret>>| {
                watches::users_of_secret(
                    &b3,
                    &m.namespace().unwrap_or_default(),
                    &m.name_any(),
                    |st, ns, n| st.binding_index.using_secret(ns, n),
                    watches::bindings_of,
                )
            },
        )
        .graceful_shutdown_on(stop.clone())
        .reconcile_all_on(changes(shards.as_ref()))
        .reconcile_on(super::resync::due::<ServiceBinding>(Arc::clone(
            &ctx.resync,
        )))
        .run(
            gated::<ServiceBinding>(shards.clone()),
            error_policy::<ServiceBinding>,
            Arc::clone(&ctx),
        )
        .for_each(|_| std::future::ready(()));

    let c1 = stores.clone();
    let connection_ctl = Controller::for_shared_stream(pop(&mut connection_s), connections.clone())
        .with_config(Config::default().concurrency(2))
        .watches_shared_stream(
            pop(&mut secret_s),
            move |m: Arc<PartialObjectMeta<Secret>>| {
                watches::connections_using_secret(
                    &c1,
                    &m.namespace().unwrap_or_default(),
                    &m.name_any(),
                )
            },
        )
        .graceful_shutdown_on(stop.clone())
        .reconcile_all_on(changes(shards.as_ref()))
        .run(
            connection_gated(shards),
            super::connection_error_policy,
            ctx,
        )
        .for_each(|_| std::future::ready(()));

    let readiness = async move {
        let _ = tenants.wait_until_ready().await;
        let _ = admins.wait_until_ready().await;
        let _ = bindings.wait_until_ready().await;
        let _ = connections.wait_until_ready().await;
        let _ = secrets.wait_until_ready().await;
        ready.store(true, Ordering::Relaxed);
        tracing::info!("caches synced");
        let _ = s4;
    };
    async move {
        tokio::select! {
            _ = futures::future::join5(tenant_ctl, admin_ctl, binding_ctl, connection_ctl, readiness) => {}
            _ = feeds => {}
            () = notifier => {}
        }
    }
}

/// The reconcile of `K`, only for objects of shards this replica holds, and cut short the
/// moment their shard is lost (its in-flight writes are cancelled, as when a leader loses
/// its Lease; idempotency keys make the next holder's repeat harmless).
fn gated<K: Declaring>(
    shards: Option<Arc<Shards>>,
) -> impl FnMut(Arc<K>, Arc<Context>) -> BoxFuture<'static, Result<Action, Error>> {
    move |object, ctx| {
        let shards = shards.clone();
        async move {
            let Some(shards) = shards else {
                return reconcile(object, ctx).await;
            };
            let shard = shards.of(object.as_ref());
            // Another replica's objects resync there; a gain of the shard reconciles
            // everything again.
            let forget = |ctx: &Context| {
                let namespace = object.namespace().unwrap_or_default();
                ctx.resync.cancel(K::KIND, &namespace, &object.name_any());
            };
            if !shards.holds(shard) {
                forget(&ctx);
                return Ok(Action::await_change());
            }
            tokio::select! {
                result = reconcile(Arc::clone(&object), Arc::clone(&ctx)) => result,
                () = shards.lost(shard) => {
                    forget(&ctx);
                    Ok(Action::await_change())
                }
            }
        }
        .boxed()
    }
}

/// The PortalConnection health check, on the holder of shard 0 only (one writer of their
/// status).
fn connection_gated(
    shards: Option<Arc<Shards>>,
) -> impl FnMut(Arc<PortalConnection>, Arc<Context>) -> BoxFuture<'static, Result<Action, Error>> {
    move |connection, ctx| {
        let shards = shards.clone();
        async move {
            match shards {
                Some(shards) if !shards.holds(0) => Ok(Action::await_change()),
                Some(shards) => tokio::select! {
                    result = super::reconcile_connection(connection, ctx) => result,
                    () = shards.lost(0) => Ok(Action::await_change()),
                },
                None => super::reconcile_connection(connection, ctx).await,
            }
        }
        .boxed()
    }
}

/// A tick per gain or loss of a shard; never one without sharding.
fn changes(shards: Option<&Arc<Shards>>) -> BoxStream<'static, ()> {
    match shards {
        Some(shards) => shards.changes().boxed(),
        None => futures::stream::pending().boxed(),
    }
}

/// `n` subscriber streams of a shared store (each controller gets its own).
fn subscribe<K>(n: usize, writer: &reflector::store::Writer<K>) -> Vec<BoxStream<'static, Arc<K>>>
where
    K: Resource + Clone + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Default + Send + Sync,
{
    (0..n)
        .filter_map(|_| writer.subscribe())
        .map(StreamExt::boxed)
        .collect()
}

/// Takes the next subscriber stream.
fn pop<K: Send + Sync + 'static>(
    streams: &mut Vec<BoxStream<'static, Arc<K>>>,
) -> BoxStream<'static, Arc<K>> {
    streams
        .pop()
        .unwrap_or_else(|| futures::stream::pending().boxed())
}

/// Drives one watch into its shared store, with `managedFields` and the last-applied
/// annotation stripped first and relists applied in place (memory; see `relist`).
fn feed<K>(
    stream: impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    writer: reflector::store::Writer<K>,
    mut follow: impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static,
) -> BoxFuture<'static, ()>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone + Default,
{
    let store = writer.as_reader();
    let mut in_place = InPlace::new(store.clone());
    stream
        .default_backoff()
        .modify(relist::strip::<K>)
        .flat_map(move |event| {
            futures::stream::iter(match event {
                Ok(event) => {
                    let events = in_place.events(event);
                    for e in &events {
                        follow(e, &store);
                    }
                    events.into_iter().map(Ok).collect()
                }
                Err(e) => vec![Err(e)],
            })
        })
        .reflect_shared(writer)
        .for_each(|event| {
            if let Err(e) = event {
                tracing::warn!(error = %e, "watch failed; retrying with backoff");
            }
            std::future::ready(())
        })
        .boxed()
}

/// Keeps `index` in step with a watch of admins or bindings.
fn indexing<K: Declaring>(
    index: Arc<Related>,
) -> impl FnMut(&watcher::Event<K>, &Store<K>) + Send + 'static {
    move |event, store| index.apply(event, store)
}

/// Resolves once `rx` says stop (or its sender is gone); holds no guard across awaits.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

pub(crate) fn wait_for(mut rx: watch::Receiver<bool>) -> BoxFuture<'static, ()> {
    async move {
        let _ = rx.wait_for(|s| *s).await;
    }
    .boxed()
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

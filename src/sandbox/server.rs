//! Starting and stopping a sandbox: binds the listener, serves HTTP/1.1 connections on tokio
//! tasks (closing a connection without an answer when a fault says so), runs the operation
//! worker, and offers tests a few direct reads of the state.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::clock::TimeScale;
use super::config::SandboxConfig;
use super::edge::{DropConnection, StallThenDrop};
use super::faults::{FaultConfig, Faults};
use super::fixtures;
use super::object;
use super::outbox::{self, Email};
use super::request_log::LoggedRequest;
use super::routes;
use super::state::Shared;
use super::store::Store;

/// Why a sandbox did not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot open the sandbox database {path}: {source}")]
    Store {
        path: String,
        source: rusqlite::Error,
    },
    /// The state file cannot be made readable by its owner only.
    #[error(transparent)]
    Private(#[from] super::private::PrivateStateError),
    /// Another sandbox (in this process or another) runs on the same database file.
    #[error(
        "the sandbox database {db} is in use by another sandbox{}; stop it first, or give this one another database (--db, or --state-dir for plan and apply)",
        .holder.map(|pid| format!(" (process {pid})")).unwrap_or_default()
    )]
    Busy {
        /// The database file.
        db: String,
        /// The process holding it, when its lock file says.
        holder: Option<u32>,
    },
    /// The lock file beside the database cannot be created or locked.
    #[error("cannot lock the sandbox database with {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    /// The fault rules (`--faults`, `SandboxConfig::faults`) cannot be used.
    #[error("invalid fault rules: {0}")]
    Faults(#[from] super::faults::FaultConfigError),
    #[error("cannot load the fixtures: {0}")]
    Fixtures(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running sandbox. Dropping it stops it; [`Sandbox::shutdown`] also waits.
///
/// ```no_run
/// # async fn demo() -> Result<(), tenantry::sandbox::SandboxError> {
/// use tenantry::sandbox::{Sandbox, SandboxConfig};
/// let sandbox = Sandbox::start(SandboxConfig::default()).await?;
/// let url = sandbox.url(); // http://127.0.0.1:PORT
/// # let _ = url;
/// sandbox.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Held while the sandbox runs (a file database only).
    _db_lock: Option<super::lock::DbLock>,
}

impl Sandbox {
    /// Opens the store, loads the fixtures, binds `config.listen` and starts serving.
    pub async fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        config.faults.check()?;
        let db_lock = if config.db == ":memory:" {
            None
        } else {
            let db = std::path::Path::new(&config.db);
            // Locked before the file is touched: a second sandbox changes nothing.
            let lock = super::lock::lock(db)?;
            super::private::db_file(db)?;
            Some(lock)
        };
        let store = Store::open(&config.db).map_err(|source| SandboxError::Store {
            path: config.db.clone(),
            source,
        })?;
        let fixtures_to_load = config.fixtures.clone();
        store
            .write(move |tx| fixtures::apply(tx, &fixtures_to_load))
            .await
            .map_err(|e| {
                SandboxError::Fixtures(format!(
                    "{}{}",
                    e.message,
                    e.field.map(|f| format!(" ({f})")).unwrap_or_default()
                ))
            })?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            started: std::time::Instant::now(),
            seed: config.seed,
            time_scale: TimeScale(config.time_scale),
            tokens: config.tokens,
            identity: config.identity,
            wire: Default::default(),
            c2t: super::vendors::connecttoteams::Emulator::new(config.c2t),
            mitel: super::vendors::cloudlink::Emulator::new(config.mitel),
            tcr: super::vendors::campaignregistry::Emulator::with_registered(
                config.tcr,
                &config.fixtures.campaigns,
            ),
            pc: Default::default(),
            graph: super::vendors::graph::Emulator::new(config.graph),
            issued: Default::default(),
            body_limit: config.body_limit,
            body_read_timeout: config.body_read_timeout,
            idempotency_ttl_ms: i64::try_from(config.idempotency_ttl.as_millis())
                .unwrap_or(i64::MAX),
            store,
            faults: Faults::new(config.seed, config.faults),
            claims: Default::default(),
            log: Default::default(),
            wake: Default::default(),
        });
        let (stop, stopped) = watch::channel(false);
        let router = routes::router(Arc::clone(&shared));
        let tasks = vec![
            tokio::spawn(serve(
                listener,
                router,
                config.header_read_timeout,
                stopped.clone(),
            )),
            tokio::spawn(super::operations::worker(Arc::clone(&shared), stopped)),
        ];
        tracing::info!(%addr, "sandbox listening");
        Ok(Self {
            addr,
            shared,
            stop,
            tasks,
            _db_lock: db_lock,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, closes every connection at once (like a crash: nothing half-written
    /// survives, since every write is one transaction) and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }

    /// The outbox, or the e-mails to one recipient.
    pub async fn outbox(&self, to: Option<&str>) -> Vec<Email> {
        let to = to.map(str::to_owned);
        self.shared
            .store
            .read(move |tx| outbox::list(tx, to.as_deref()))
            .await
            .unwrap_or_default()
    }

    /// How many objects of portal/kind carry `external_ref`.
    pub async fn count_objects(&self, portal: &str, kind: &str, external_ref: &str) -> usize {
        let (p, k, r) = (portal.to_owned(), kind.to_owned(), external_ref.to_owned());
        let n = self
            .shared
            .store
            .read(move |tx| object::count_by_ref(tx, &p, &k, &r))
            .await
            .unwrap_or(0);
        usize::try_from(n).unwrap_or(0)
    }

    /// How many objects the store holds (all kinds).
    pub async fn object_count(&self) -> usize {
        let n = self.shared.store.read(object::count_all).await.unwrap_or(0);
        usize::try_from(n).unwrap_or(0)
    }

    /// The requests `vendor`'s emulator (`c2t`, ...) received so far (bodies included,
    /// secrets not).
    pub fn wire_requests(&self, vendor: &str) -> Vec<super::vendors::WireRequest> {
        self.shared.wire.of(vendor)
    }

    /// The contract requests received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.entries()
    }

    /// Replaces the fault rules (as `PUT /sandbox/faults`).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.faults.replace(faults);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let router = router.clone();
                        async move {
                            let response = match router.oneshot(req.map(Body::new)).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            };
                            if let Some(StallThenDrop(stall)) = response.extensions().get() {
                                tokio::time::sleep(*stall).await;
                            }
                            if response.extensions().get::<DropConnection>().is_some() {
                                Err(Dropped)
                            } else {
                                Ok(response)
                            }
                        }
                    });
                    // hyper's header timeout needs its timer; without it a client that never
                    // finishes its headers keeps the connection (and its task) forever.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

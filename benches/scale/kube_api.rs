//! A fake Kubernetes API server on 127.0.0.1 for the controller benchmark: just enough of the
//! API for `tenantry::controller::run` — paged lists with a resourceVersion and watches
//! (replayed from that version, then live) for Tenants, TenantAdmins, ServiceBindings,
//! PortalConnections and Secrets (metadata only, as the controller asks), status patches
//! (stored, and sent to the watches like a real API server does), Secret reads and creates,
//! Events and Leases. `POST /bench/expire` ends every watch with `410 Gone`, so the
//! reflectors relist. It runs in the parent process, so the probe's memory is the controller's.
//!
//! The sharding test (tests/it/controller/sharding.rs) shares this file by `#[path]`: Lease
//! writes are guarded like a real API server's (a create of an existing Lease and a patch at
//! a stale resourceVersion are refused with 409), Leases can be listed and deleted, Events
//! are kept, and objects can be added while the controllers watch.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The collections the controller lists and watches, by their plural.
pub const WATCHED: [&str; 5] = [
    "tenants",
    "tenantadmins",
    "servicebindings",
    "portalconnections",
    "secrets",
];

/// What the server saw, for the probe's tables (cumulative; the probe takes differences).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Counters {
    /// List pages served.
    pub list_pages: u64,
    /// Watches opened.
    pub watches: u64,
    /// Status patches.
    pub status_patches: u64,
    /// Any other write to a tenantry object (e.g. a finalizer patch).
    pub object_writes: u64,
    /// Events created or patched.
    pub events: u64,
    /// Secret reads (GET of one Secret).
    pub secret_reads: u64,
    /// Secrets created.
    pub secret_creates: u64,
    /// Lease calls (reads and writes).
    pub lease_calls: u64,
    /// Relists forced with `POST /bench/expire`.
    pub expiries: u64,
    /// Watches currently open.
    pub open_watches: u64,
}

/// What `GET /bench/info` tells the probe about the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Info {
    /// Tenants + TenantAdmins + ServiceBindings: the objects the controllers reconcile.
    pub objects: usize,
    /// Secrets served.
    pub secrets: usize,
    /// Reconciles in flight per kind.
    pub concurrency: u16,
    /// Run with leader election (a Lease).
    pub lease: bool,
}

/// One watched collection: its objects by `namespace/name`, every change since the start
/// (for watches that start from an older version) and the open watches.
#[derive(Default)]
struct Collection {
    items: BTreeMap<String, Value>,
    log: Vec<(u64, Bytes)>,
    watchers: Vec<mpsc::UnboundedSender<Bytes>>,
}

#[derive(Default)]
struct Inner {
    version: u64,
    collections: HashMap<&'static str, Collection>,
    leases: BTreeMap<String, Value>,
    events: Vec<Value>,
    counters: Counters,
}

/// The server's state, shared with its handlers.
#[derive(Clone)]
pub struct ApiServer {
    inner: Arc<Mutex<Inner>>,
    info: Arc<Info>,
    /// Extra counters merged into `/bench/stats` (the sandbox's requests after `?since=`).
    extra: Arc<dyn Fn(u64) -> Value + Send + Sync>,
}

impl ApiServer {
    /// A server holding `objects` (each with `apiVersion`, `kind` and `metadata`), keyed by
    /// their collection's plural.
    pub fn new(
        objects: Vec<(&'static str, Value)>,
        info: Info,
        extra: Arc<dyn Fn(u64) -> Value + Send + Sync>,
    ) -> Self {
        let mut inner = Inner {
            version: 1000,
            ..Inner::default()
        };
        for plural in WATCHED {
            inner.collections.insert(plural, Collection::default());
        }
        for (plural, mut object) in objects {
            inner.version += 1;
            object["metadata"]["resourceVersion"] = json!(inner.version.to_string());
            let key = key_of(&object);
            if let Some(c) = inner.collections.get_mut(plural) {
                c.items.insert(key, object);
            }
        }
        Self {
            inner: Arc::new(Mutex::new(inner)),
            info: Arc::new(info),
            extra,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Serves on a free port of 127.0.0.1 until the runtime stops; returns the base URL.
    pub async fn serve(self) -> anyhow::Result<String> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = Router::new().fallback(handle).with_state(self);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("fake API server: {e}");
            }
        });
        Ok(url)
    }
}

// `allow`, not `expect`: the bench does not call these, the sharding test (tests/it) does.
#[allow(
    dead_code,
    reason = "read by the sharding test in tests/it, which shares this file"
)]
impl ApiServer {
    /// Every Lease as stored now.
    pub fn leases(&self) -> Vec<Value> {
        self.lock().leases.values().cloned().collect()
    }

    /// Every Event created so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    /// The objects of collection `plural` as stored now.
    pub fn items(&self, plural: &str) -> Vec<Value> {
        self.lock()
            .collections
            .get(plural)
            .map(|c| c.items.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds `object` to collection `plural` and tells the watches, as a create would.
    pub fn insert(&self, plural: &'static str, object: Value) {
        let mut inner = self.lock();
        store(&mut inner, plural, "ADDED", object);
    }
}

/// `namespace/name`, or `name` for cluster-scoped objects.
fn key_of(object: &Value) -> String {
    let meta = &object["metadata"];
    let name = meta["name"].as_str().unwrap_or_default();
    match meta["namespace"].as_str() {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

fn plural_of(segment: &str) -> Option<&'static str> {
    WATCHED.into_iter().find(|p| *p == segment)
}

async fn handle(State(server): State<ApiServer>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), percent_decoded(v)))
                .collect()
        })
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = parts.method.clone();
    match segments.as_slice() {
        ["bench", "info"] => reply(StatusCode::OK, &json!(*server.info)),
        ["bench", "stats"] => {
            let counters = server.lock().counters;
            let mut stats = json!(counters);
            let since = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            stats["portal"] = (server.extra)(since);
            reply(StatusCode::OK, &stats)
        }
        ["bench", "expire"] => {
            expire(&server);
            reply(StatusCode::OK, &json!({}))
        }
        ["apis", "tenantry.dev", "v1alpha1", plural] | ["api", "v1", plural]
            if method == Method::GET =>
        {
            match plural_of(plural) {
                Some(p) => collection(&server, p, &query, &parts.headers),
                None => not_found(&path),
            }
        }
        [
            "apis",
            "tenantry.dev",
            "v1alpha1",
            "namespaces",
            ns,
            plural,
            name,
            rest @ ..,
        ] => match plural_of(plural) {
            Some(p) => object(&server, &method, p, &format!("{ns}/{name}"), rest, &body),
            None => not_found(&path),
        },
        ["apis", "tenantry.dev", "v1alpha1", plural, name] => match plural_of(plural) {
            Some(p) => object(&server, &method, p, name, &[], &body),
            None => not_found(&path),
        },
        ["api", "v1", "namespaces", ns, "secrets", rest @ ..] => {
            secret(&server, &method, ns, rest.first().copied(), body)
        }
        ["apis", "events.k8s.io", "v1", "namespaces", _, "events", ..] => {
            let mut inner = server.lock();
            inner.counters.events += 1;
            inner.events.push(body.clone());
            reply(StatusCode::CREATED, &body)
        }
        [
            "apis",
            "coordination.k8s.io",
            "v1",
            "namespaces",
            ns,
            "leases",
            rest @ ..,
        ] => lease(&server, &method, ns, rest.first().copied(), body),
        _ => not_found(&path),
    }
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .unwrap_or_default()
}

fn status_error(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "reason": reason, "message": message, "code": code})
}

fn not_found(what: &str) -> Response {
    reply(
        StatusCode::NOT_FOUND,
        &status_error(404, "NotFound", &format!("{what} not found")),
    )
}

/// The object as a metadata-only watch or list item (what `PartialObjectMeta` asks for).
fn metadata_only(object: &Value) -> Value {
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
           "metadata": object["metadata"]})
}

fn list_kind(plural: &str) -> (&'static str, &'static str) {
    match plural {
        "tenants" => ("tenantry.dev/v1alpha1", "TenantList"),
        "tenantadmins" => ("tenantry.dev/v1alpha1", "TenantAdminList"),
        "servicebindings" => ("tenantry.dev/v1alpha1", "ServiceBindingList"),
        "portalconnections" => ("tenantry.dev/v1alpha1", "PortalConnectionList"),
        _ => ("meta.k8s.io/v1", "PartialObjectMetadataList"),
    }
}

/// A list page (`limit`, `continue` = the last key served) or a watch.
fn collection(
    server: &ApiServer,
    plural: &'static str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let metadata = plural == "secrets"
        || headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("PartialObjectMetadata"));
    let item = |o: &Value| {
        if metadata {
            metadata_only(o)
        } else {
            o.clone()
        }
    };
    if query.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let since: u64 = query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        return watch(server, plural, since);
    }
    let mut inner = server.lock();
    inner.counters.list_pages += 1;
    let version = inner.version;
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let Some(c) = inner.collections.get(plural) else {
        return not_found(plural);
    };
    let start = query.get("continue").cloned().unwrap_or_default();
    let mut range = c
        .items
        .range::<String, _>((
            if start.is_empty() {
                std::ops::Bound::Unbounded
            } else {
                std::ops::Bound::Excluded(&start)
            },
            std::ops::Bound::Unbounded,
        ))
        .peekable();
    let mut items = Vec::new();
    let mut last = String::new();
    let selected = |o: &Value| selects(query.get("labelSelector").map(String::as_str), o);
    while items.len() < limit {
        let Some((k, o)) = range.next() else { break };
        if selected(o) {
            items.push(item(o));
        }
        last.clone_from(k);
    }
    let more = range.peek().is_some();
    let (api_version, kind) = list_kind(plural);
    let mut meta = json!({"resourceVersion": version.to_string()});
    if more {
        meta["continue"] = json!(last);
    }
    drop(inner);
    reply(
        StatusCode::OK,
        &json!({"apiVersion": api_version, "kind": kind, "metadata": meta, "items": items}),
    )
}

/// Whether `object` matches an equality label selector (`k=v,k2=v2`; lists only: the
/// sharding test's objects exist before the controller lists them).
fn selects(selector: Option<&str>, object: &Value) -> bool {
    selector.is_none_or(|s| {
        s.split(',').filter(|p| !p.is_empty()).all(|pair| {
            pair.split_once('=').is_some_and(|(k, v)| {
                object["metadata"]["labels"][k.trim()].as_str() == Some(v.trim())
            })
        })
    })
}

/// A watch: the changes after `since`, then every change as it happens.
fn watch(server: &ApiServer, plural: &'static str, since: u64) -> Response {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    {
        let mut inner = server.lock();
        inner.counters.watches += 1;
        inner.counters.open_watches += 1;
        let Some(c) = inner.collections.get_mut(plural) else {
            return not_found(plural);
        };
        for (v, event) in &c.log {
            if *v > since {
                let _ = tx.send(event.clone());
            }
        }
        c.watchers.push(tx);
    }
    let closing = Closing(server.clone());
    let stream = futures::stream::unfold((rx, closing), |(mut rx, closing)| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, Infallible>(chunk), (rx, closing)))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

/// Counts a watch as closed when its response stream is dropped.
struct Closing(ApiServer);

impl Drop for Closing {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.counters.open_watches = inner.counters.open_watches.saturating_sub(1);
    }
}

/// Ends every open watch with `410 Gone` (the reflectors then relist).
fn expire(server: &ApiServer) {
    let gone = event_bytes(
        "ERROR",
        &status_error(410, "Expired", "too old resource version (bench relist)"),
    );
    let mut inner = server.lock();
    inner.counters.expiries += 1;
    for c in inner.collections.values_mut() {
        for w in c.watchers.drain(..) {
            let _ = w.send(gone.clone());
        }
    }
}

fn event_bytes(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// Stores `object` under a new resourceVersion and tells the watches.
fn store(inner: &mut Inner, plural: &'static str, kind: &str, mut object: Value) -> Value {
    inner.version += 1;
    let version = inner.version;
    object["metadata"]["resourceVersion"] = json!(version.to_string());
    let Some(c) = inner.collections.get_mut(plural) else {
        return object;
    };
    let sent = if plural == "secrets" {
        metadata_only(&object)
    } else {
        object.clone()
    };
    let event = event_bytes(kind, &sent);
    c.log.push((version, event.clone()));
    c.watchers.retain(|w| w.send(event.clone()).is_ok());
    c.items.insert(key_of(&object), object.clone());
    object
}

/// GET or PATCH of one tenantry object; `rest` is `["status"]` for the status subresource.
fn object(
    server: &ApiServer,
    method: &Method,
    plural: &'static str,
    key: &str,
    rest: &[&str],
    body: &Value,
) -> Response {
    let mut inner = server.lock();
    let Some(current) = inner
        .collections
        .get(plural)
        .and_then(|c| c.items.get(key))
        .cloned()
    else {
        return not_found(key);
    };
    match (method.as_str(), rest) {
        ("GET", []) => reply(StatusCode::OK, &current),
        ("PATCH", ["status"]) => {
            inner.counters.status_patches += 1;
            let mut updated = current;
            // The controller is the status's only field manager and forces: its apply
            // replaces the status.
            updated["status"] = body["status"].clone();
            let stored = store(&mut inner, plural, "MODIFIED", updated);
            reply(StatusCode::OK, &stored)
        }
        _ => {
            // A finalizer patch or any other write: counted; the objects already carry the
            // finalizer, so a converged controller sends none.
            inner.counters.object_writes += 1;
            reply(StatusCode::OK, &current)
        }
    }
}

/// GET of one Secret (whole, with data) or a create.
fn secret(
    server: &ApiServer,
    method: &Method,
    namespace: &str,
    name: Option<&str>,
    body: Value,
) -> Response {
    let mut inner = server.lock();
    match (method.as_str(), name) {
        ("GET", Some(name)) => {
            inner.counters.secret_reads += 1;
            let key = format!("{namespace}/{name}");
            match inner
                .collections
                .get("secrets")
                .and_then(|c| c.items.get(&key))
            {
                Some(s) => reply(StatusCode::OK, s),
                None => not_found(&key),
            }
        }
        ("POST", None) => {
            inner.counters.secret_creates += 1;
            let mut secret = body;
            secret["metadata"]["namespace"] = json!(namespace);
            let key = key_of(&secret);
            let exists = inner
                .collections
                .get("secrets")
                .is_some_and(|c| c.items.contains_key(&key));
            if exists {
                return reply(
                    StatusCode::CONFLICT,
                    &status_error(409, "AlreadyExists", &format!("{key} exists")),
                );
            }
            let stored = store(&mut inner, "secrets", "ADDED", secret);
            reply(StatusCode::CREATED, &stored)
        }
        _ => not_found(namespace),
    }
}

/// Leases: a JSON merge of every patch (what kube-lease-manager's patches amount to).
fn lease(
    server: &ApiServer,
    method: &Method,
    namespace: &str,
    name: Option<&str>,
    body: Value,
) -> Response {
    let mut inner = server.lock();
    inner.counters.lease_calls += 1;
    inner.version += 1;
    let version = inner.version.to_string();
    match (method.as_str(), name) {
        ("GET", Some(name)) => match inner.leases.get(&format!("{namespace}/{name}")) {
            Some(l) => reply(StatusCode::OK, l),
            None => not_found(name),
        },
        ("GET", None) => {
            let prefix = format!("{namespace}/");
            let items: Vec<Value> = inner
                .leases
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(_, l)| l.clone())
                .collect();
            reply(
                StatusCode::OK,
                &json!({"apiVersion": "coordination.k8s.io/v1", "kind": "LeaseList",
                        "metadata": {"resourceVersion": version}, "items": items}),
            )
        }
        ("POST", None) => {
            let mut lease = body;
            lease["metadata"]["namespace"] = json!(namespace);
            lease["metadata"]["resourceVersion"] = json!(version);
            let key = key_of(&lease);
            if inner.leases.contains_key(&key) {
                return reply(
                    StatusCode::CONFLICT,
                    &status_error(409, "AlreadyExists", &format!("{key} exists")),
                );
            }
            inner.leases.insert(key, lease.clone());
            reply(StatusCode::CREATED, &lease)
        }
        ("PATCH", Some(name)) => {
            let key = format!("{namespace}/{name}");
            let Some(current) = inner.leases.get_mut(&key) else {
                return not_found(name);
            };
            // A patch that names a resourceVersion applies only at that version.
            if let Some(expected) = body["metadata"]["resourceVersion"].as_str()
                && current["metadata"]["resourceVersion"].as_str() != Some(expected)
            {
                return reply(
                    StatusCode::CONFLICT,
                    &status_error(409, "Conflict", &format!("{key} was modified")),
                );
            }
            merge(current, &body);
            current["metadata"]["resourceVersion"] = json!(version);
            let answer = current.clone();
            reply(StatusCode::OK, &answer)
        }
        ("DELETE", Some(name)) => match inner.leases.remove(&format!("{namespace}/{name}")) {
            Some(l) => reply(StatusCode::OK, &l),
            None => not_found(name),
        },
        _ => not_found(namespace),
    }
}

/// RFC 7386 JSON merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Value::Object(t) = target {
                for (k, v) in fields {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// A query value with `%XX` escapes and `+` decoded.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

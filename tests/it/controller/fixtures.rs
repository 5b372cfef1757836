//! Test objects and a recording Kubernetes API server on `tower_test::mock` (the model is
//! kube-rs/controller-rs's fixtures): it answers every request the reconcile makes and records
//! method, path and body so a scenario can assert the exact sequence of API calls. It keeps
//! what it is sent (status patches, finalizer patches, Secrets), so a test can restart the
//! controller with a fresh `Context` on the same cluster state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use http::{Request, Response, StatusCode};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::client::Body;
use kube::{Client, Resource};
use serde_json::{Value, json};
use tenantry::api::{PortalConnection, Sensitive, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{Context, Metrics, Settings, Stores};
use tenantry::portal::{Connection, Connector, HttpPortal, Pool, PortalClient, PortalError};
use tenantry::sandbox::{Sandbox, SandboxConfig};

/// One request the reconcile made.
#[derive(Debug, Clone)]
pub struct Call {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string.
    pub query: String,
    /// JSON body (`null` when empty).
    pub body: Value,
    /// The `Accept` header (metadata-only lists and watches ask for `PartialObjectMetadata`).
    pub accept: String,
}

impl Call {
    /// `METHOD path`, for sequence assertions.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The recording API server: objects and Secrets it knows are served and kept up to date by
/// status and finalizer patches; everything else is echoed back.
#[derive(Clone, Default)]
pub struct ApiServer {
    calls: Arc<Mutex<Vec<Call>>>,
    objects: Arc<Mutex<BTreeMap<String, Value>>>,
    fail_status: Arc<std::sync::atomic::AtomicBool>,
    secrets: Arc<Mutex<BTreeMap<String, Value>>>,
    crds_deleting: Arc<std::sync::atomic::AtomicBool>,
    fail_crds: Arc<std::sync::atomic::AtomicBool>,
    configmaps: Arc<Mutex<BTreeMap<String, Value>>>,
}

impl ApiServer {
    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `METHOD path` of every call so far.
    pub fn lines(&self) -> Vec<String> {
        self.calls().iter().map(Call::line).collect()
    }

    /// Forgets the calls so far.
    pub fn clear(&self) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Serves `object` at its path (answers to patches of it and its status).
    pub fn add_object<K: Resource<DynamicType = ()> + serde::Serialize>(&self, object: &K) {
        let path = format!(
            "{}/{}",
            K::url_path(&(), object.meta().namespace.as_deref()),
            object.meta().name.clone().unwrap_or_default()
        );
        let value = serde_json::to_value(object).unwrap_or(Value::Null);
        self.objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path, value);
    }

    /// The last status patch body (`status` only).
    pub fn last_status(&self) -> Option<Value> {
        self.calls()
            .iter()
            .rev()
            .find(|c| c.path.ends_with("/status"))
            .map(|c| c.body["status"].clone())
    }

    /// Serves the Secrets of a declaration (password Secrets of examples).
    pub fn add_secrets(&self, declared: &tenantry::api::Declared) {
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, value) in &declared.secrets {
            let path = format!("/api/v1/namespaces/{}/secrets/{}", key.namespace, key.name);
            let secret = secrets.entry(path).or_insert_with(|| {
                json!({"apiVersion": "v1", "kind": "Secret",
                       "metadata": {"name": key.name, "namespace": key.namespace}, "data": {}})
            });
            secret["data"][&key.key] =
                serde_json::to_value(k8s_openapi::ByteString(value.expose().as_bytes().to_vec()))
                    .unwrap_or(Value::Null);
        }
    }

    /// Every Secret the server holds (served and created), by path.
    pub fn secrets(&self) -> BTreeMap<String, Value> {
        self.secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Holds these Secrets too (carried over from another server).
    pub fn load_secrets(&self, secrets: BTreeMap<String, Value>) {
        self.secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(secrets);
    }

    /// The stored object `namespace/name` of kind `K` as it is now (status and finalizers as
    /// patched), or `None` once deleted.
    pub fn get<K>(&self, namespace: &str, name: &str) -> Option<K>
    where
        K: Resource<DynamicType = ()> + serde::de::DeserializeOwned,
    {
        let path = format!("{}/{name}", K::url_path(&(), Some(namespace)));
        let value = self
            .objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&path)?
            .clone();
        Some(from_json(value))
    }

    /// Every stored object of kind `K`.
    pub fn all<K>(&self) -> Vec<K>
    where
        K: Resource<DynamicType = ()> + serde::de::DeserializeOwned,
    {
        let kind = K::kind(&()).into_owned();
        self.objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|o| o["kind"] == kind.as_str())
            .map(|o| from_json(o.clone()))
            .collect()
    }

    /// Marks the stored object `K namespace/name` as being deleted (as `kubectl delete` does
    /// to an object with finalizers).
    #[cfg_attr(
        not(feature = "crash-points"),
        expect(dead_code, reason = "used by the crash tests")
    )]
    pub fn delete<K: Resource<DynamicType = ()>>(&self, namespace: &str, name: &str) {
        let path = format!("{}/{name}", K::url_path(&(), Some(namespace)));
        if let Some(object) = self
            .objects
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&path)
        {
            object["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
    }

    /// Every ConfigMap the server holds, by path.
    pub fn configmaps(&self) -> BTreeMap<String, Value> {
        self.configmaps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes every stored ConfigMap in place (as `kubectl edit` would, without moving the
    /// resourceVersion: the test stands for time having passed).
    pub fn edit_configmaps(&self, mut edit: impl FnMut(&mut Value)) {
        for map in self
            .configmaps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values_mut()
        {
            edit(map);
        }
    }

    /// ConfigMaps as the API server keeps them: a create of an existing name is 409
    /// AlreadyExists, a replace whose resourceVersion is not the stored one is 409 Conflict,
    /// every write moves the resourceVersion on.
    fn configmap(&self, call: &Call) -> (StatusCode, Value) {
        let mut maps = self
            .configmaps
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let conflict = |reason: &str| {
            (
                StatusCode::CONFLICT,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "reason": reason, "message": format!("{}: {reason}", call.path), "code": 409}),
            )
        };
        let next = |maps: &BTreeMap<String, Value>| {
            let n = maps
                .values()
                .filter_map(|m| {
                    m["metadata"]["resourceVersion"]
                        .as_str()?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0);
            (n + 1).to_string()
        };
        match call.method.as_str() {
            "POST" => {
                let name = call.body["metadata"]["name"].as_str().unwrap_or_default();
                let path = format!("{}/{name}", call.path);
                if maps.contains_key(&path) {
                    return conflict("AlreadyExists");
                }
                let mut map = call.body.clone();
                map["metadata"]["resourceVersion"] = json!(next(&maps));
                maps.insert(path, map.clone());
                (StatusCode::CREATED, map)
            }
            "PUT" => {
                let Some(stored) = maps.get(&call.path) else {
                    return (StatusCode::NOT_FOUND, not_found(&call.path));
                };
                if stored["metadata"]["resourceVersion"] != call.body["metadata"]["resourceVersion"]
                {
                    return conflict("Conflict");
                }
                let mut map = call.body.clone();
                map["metadata"]["resourceVersion"] = json!(next(&maps));
                maps.insert(call.path.clone(), map.clone());
                (StatusCode::OK, map)
            }
            _ => match maps.get(&call.path) {
                Some(map) => (StatusCode::OK, map.clone()),
                None => (StatusCode::NOT_FOUND, not_found(&call.path)),
            },
        }
    }

    /// Makes every status patch fail with 500 (a crash between a portal write and the status
    /// write looks the same to the next reconcile), or succeed again.
    pub fn fail_status_patches(&self, fail: bool) {
        self.fail_status
            .store(fail, std::sync::atomic::Ordering::Relaxed);
    }

    /// Marks tenantry's CustomResourceDefinitions as being deleted (`kubectl delete -f
    /// crds/`: each keeps a deletionTimestamp until every object of its kind is gone).
    pub fn delete_crds(&self) {
        self.crds_deleting
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Makes every read of a CustomResourceDefinition fail with 403 (RBAC without it), or
    /// succeed again.
    pub fn fail_crd_reads(&self, fail: bool) {
        self.fail_crds
            .store(fail, std::sync::atomic::Ordering::Relaxed);
    }

    fn answer(&self, call: &Call) -> (StatusCode, Value) {
        if let Some(name) = call.path.strip_prefix(CRDS) {
            if self.fail_crds.load(std::sync::atomic::Ordering::Relaxed) {
                return (
                    StatusCode::FORBIDDEN,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "reason": "Forbidden", "message": "injected", "code": 403}),
                );
            }
            let deleting = self
                .crds_deleting
                .load(std::sync::atomic::Ordering::Relaxed);
            return match crd(name, deleting) {
                Some(crd) if call.method == "GET" => (StatusCode::OK, crd),
                _ => (StatusCode::NOT_FOUND, not_found(&call.path)),
            };
        }
        if call.path.ends_with("/status")
            && self.fail_status.load(std::sync::atomic::Ordering::Relaxed)
        {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "reason": "InternalError", "message": "injected", "code": 500}),
            );
        }
        if call.path.starts_with("/api/v1/namespaces/") && call.path.contains("/configmaps") {
            return self.configmap(call);
        }
        if call.path.starts_with("/api/v1/namespaces/") && call.path.contains("/secrets") {
            // Known Secrets are served; creates are echoed back.
            let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
            if call.method == "POST" {
                let name = call.body["metadata"]["name"].as_str().unwrap_or_default();
                secrets.insert(format!("{}/{name}", call.path), call.body.clone());
                return (StatusCode::CREATED, call.body.clone());
            }
            return match (call.method.as_str(), secrets.get(&call.path)) {
                ("GET", Some(secret)) => (StatusCode::OK, secret.clone()),
                _ => (StatusCode::NOT_FOUND, not_found(&call.path)),
            };
        }
        let mut objects = self.objects.lock().unwrap_or_else(PoisonError::into_inner);
        if call.method == "PATCH" {
            if let Some(base) = call.path.strip_suffix("/status")
                && let Some(object) = objects.get_mut(base)
            {
                object["status"] = call.body["status"].clone();
                return (StatusCode::OK, object.clone());
            }
            if let Some(object) = objects.get_mut(&call.path) {
                patch_finalizers(object, &call.body);
                patch_annotations(object, &call.body);
                let answer = object.clone();
                // The API server removes an object being deleted once its finalizers are gone.
                if !answer["metadata"]["deletionTimestamp"].is_null()
                    && answer["metadata"]["finalizers"]
                        .as_array()
                        .is_none_or(Vec::is_empty)
                {
                    objects.remove(&call.path);
                }
                return (StatusCode::OK, answer);
            }
        }
        if call.method == "GET"
            && !objects.contains_key(&call.path)
            && let Some(list) = list_of(&objects, &call.path)
        {
            return (StatusCode::OK, list);
        }
        if let Some(base) = call.path.strip_suffix("/status")
            && let Some(object) = objects.get(base)
        {
            let mut object = object.clone();
            object["status"] = call.body["status"].clone();
            return (StatusCode::OK, object);
        }
        if let Some(object) = objects.get(&call.path) {
            return (StatusCode::OK, object.clone());
        }
        (StatusCode::OK, call.body.clone())
    }
}

/// Applies the finalizer operations of a JSON patch (what `kube::runtime::finalizer` sends).
fn patch_finalizers(object: &mut Value, patch: &Value) {
    for op in patch.as_array().into_iter().flatten() {
        let path = op["path"].as_str().unwrap_or_default();
        let Some(rest) = path.strip_prefix("/metadata/finalizers") else {
            continue;
        };
        let list = &mut object["metadata"]["finalizers"];
        match (op["op"].as_str(), rest) {
            (Some("add"), "") => *list = op["value"].clone(),
            (Some("add"), "/-") => match list.as_array_mut() {
                Some(items) => items.push(op["value"].clone()),
                None => *list = json!([op["value"].clone()]),
            },
            (Some("remove"), index) => {
                let index = index.trim_start_matches('/').parse::<usize>().ok();
                if let (Some(items), Some(i)) = (list.as_array_mut(), index)
                    && i < items.len()
                {
                    items.remove(i);
                }
            }
            _ => {}
        }
    }
}

/// Applies the annotations of a merge patch (`null` removes one).
fn patch_annotations(object: &mut Value, patch: &Value) {
    let Some(changes) = patch["metadata"]["annotations"].as_object() else {
        return;
    };
    for (key, value) in changes {
        if value.is_null() {
            if let Some(annotations) = object["metadata"]["annotations"].as_object_mut() {
                annotations.remove(key);
            }
        } else {
            object["metadata"]["annotations"][key] = value.clone();
        }
    }
}

/// The answer to a cluster-wide list (`/apis/{group}/{version}/{plural}`, `/api/v1/secrets`).
fn list_of(objects: &BTreeMap<String, Value>, path: &str) -> Option<Value> {
    let (prefix, plural) = path.rsplit_once('/')?;
    if prefix.contains("/namespaces") {
        return None;
    }
    let items: Vec<Value> = objects
        .iter()
        .filter(|(p, _)| {
            let segments: Vec<&str> = p.split('/').collect();
            p.starts_with(&format!("{prefix}/namespaces/"))
                && segments.len() >= 2
                && segments[segments.len() - 2] == plural
        })
        .map(|(_, o)| o.clone())
        .collect();
    let (api_version, kind) = if plural == "secrets" {
        ("meta.k8s.io/v1", "PartialObjectMetadataList".to_owned())
    } else {
        (prefix.trim_start_matches("/apis/"), "List".to_owned())
    };
    Some(json!({"apiVersion": api_version, "kind": kind,
                "metadata": {"resourceVersion": "1"}, "items": items}))
}

const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/";

/// tenantry's CustomResourceDefinition `name`, as installed (optionally being deleted).
fn crd(name: &str, deleting: bool) -> Option<Value> {
    use kube::CustomResourceExt;
    let mut crd = [
        tenantry::api::Tenant::crd(),
        tenantry::api::TenantAdmin::crd(),
        tenantry::api::ServiceBinding::crd(),
        PortalConnection::crd(),
    ]
    .into_iter()
    .find(|c| c.metadata.name.as_deref() == Some(name))?;
    crd.metadata.uid = Some(format!("uid-{name}"));
    if deleting {
        crd.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
        crd.metadata.finalizers = Some(vec![
            "customresourcecleanup.apiextensions.k8s.io".to_owned(),
        ]);
    }
    serde_json::to_value(crd).ok()
}

fn not_found(name: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
           "message": format!("secrets \"{name}\" not found"), "code": 404})
}

/// A mock Kubernetes client whose requests are answered and recorded by the returned server.
pub fn mock_api() -> (Client, ApiServer) {
    let server = ApiServer::default();
    (client_of(&server), server)
}

/// A new client on `server`'s state (a restarted controller talks to the same cluster).
pub fn client_of(server: &ApiServer) -> Client {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let recorder = server.clone();
    tokio::spawn(async move {
        // Watches are left open (never answered) until the client goes away.
        let mut open_watches = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = body.collect_bytes().await.unwrap_or_default();
            let call = Call {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or_default().to_owned(),
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                accept: parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            };
            let watch = call.method == "GET" && call.query.contains("watch=true");
            let (status, answer) = recorder.answer(&call);
            recorder
                .calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(call);
            if watch {
                open_watches.push(send);
                continue;
            }
            let body = serde_json::to_vec(&answer).unwrap_or_default();
            match Response::builder().status(status).body(Body::from(body)) {
                Ok(response) => send.send_response(response),
                Err(e) => panic!("mock response: {e}"),
            }
        }
    });
    Client::new(service, "default")
}

/// Everything a scenario needs: the mock API, a real sandbox and a context on both.
pub struct Harness {
    /// The recording API server.
    pub api: ApiServer,
    /// The in-process portal emulator.
    pub sandbox: Sandbox,
    /// The controllers' context.
    pub ctx: Arc<Context>,
    /// The portal clients the context's pool built.
    pub clients: Arc<Keeping>,
}

/// The contract's connector, keeping every client it builds so a test can read its budget.
#[derive(Default)]
pub struct Keeping {
    built: Mutex<Vec<(String, HttpPortal)>>,
}

impl Keeping {
    /// The clients built so far, with their connection names, in order.
    pub fn built(&self) -> Vec<(String, HttpPortal)> {
        self.built.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Connector for Keeping {
    fn connect(&self, connection: &Connection) -> Result<PortalClient, PortalError> {
        let client = HttpPortal::new(connection.client_config())?;
        self.built
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((connection.name.clone(), client.clone()));
        Ok(PortalClient::new(client))
    }
}

/// A pool of the contract's clients whose fallback is the sandbox at `url`.
fn pool(url: &str, clients: &Arc<Keeping>) -> Pool {
    let fallback = Connection::contract("default", url, Some(Sensitive::new("tenantry")));
    Pool::new(Arc::clone(clients) as Arc<dyn Connector>, Some(fallback))
}

impl Harness {
    /// A harness whose stores hold `tenants`, `admins` and `bindings`.
    pub async fn start(
        tenants: Vec<Tenant>,
        admins: Vec<TenantAdmin>,
        bindings: Vec<ServiceBinding>,
    ) -> Self {
        let sandbox = match Sandbox::start(SandboxConfig::default()).await {
            Ok(sandbox) => sandbox,
            Err(e) => panic!("sandbox: {e}"),
        };
        Self::with_sandbox(sandbox, tenants, admins, bindings, Vec::new())
    }

    /// A harness on an existing sandbox.
    pub fn with_sandbox(
        sandbox: Sandbox,
        tenants: Vec<Tenant>,
        admins: Vec<TenantAdmin>,
        bindings: Vec<ServiceBinding>,
        connections: Vec<PortalConnection>,
    ) -> Self {
        let (client, api) = mock_api();
        for t in &tenants {
            api.add_object(t);
        }
        for a in &admins {
            api.add_object(a);
        }
        for b in &bindings {
            api.add_object(b);
        }
        let clients = Arc::new(Keeping::default());
        let ctx = Arc::new(Context::new(
            client,
            pool(&sandbox.url(), &clients),
            Stores::from_objects(tenants, admins, bindings, connections),
            Arc::new(Metrics::new()),
            Settings::default(),
            Some("test".to_owned()),
        ));
        Self {
            api,
            sandbox,
            ctx,
            clients,
        }
    }

    /// A harness whose portal clients `connector` makes (another provider), with the
    /// sandbox as the fallback connection's URL.
    pub fn with_connector(
        sandbox: Sandbox,
        connector: Arc<dyn Connector>,
        tenants: Vec<Tenant>,
    ) -> Self {
        let mut h = Self::with_sandbox(sandbox, tenants, Vec::new(), Vec::new(), Vec::new());
        let fallback = Connection::contract("default", &h.sandbox.url(), None);
        h.ctx = Arc::new(Context::new(
            client_of(&h.api),
            Pool::new(connector, Some(fallback)),
            Stores::from_objects(h.api.all(), Vec::new(), Vec::new(), Vec::new()),
            Arc::new(Metrics::new()),
            Settings::default(),
            Some("test".to_owned()),
        ));
        h
    }

    /// A harness whose portal clients the built-in providers make (the vendor adapters
    /// included), with `connections` in its stores and its API server.
    pub fn with_providers(
        sandbox: Sandbox,
        tenants: Vec<Tenant>,
        bindings: Vec<ServiceBinding>,
        connections: Vec<PortalConnection>,
    ) -> Self {
        Self::with_providers_and_admins(sandbox, tenants, Vec::new(), bindings, connections)
    }

    /// [`Self::with_providers`] with TenantAdmins in the stores too.
    pub fn with_providers_and_admins(
        sandbox: Sandbox,
        tenants: Vec<Tenant>,
        admins: Vec<TenantAdmin>,
        bindings: Vec<ServiceBinding>,
        connections: Vec<PortalConnection>,
    ) -> Self {
        let mut h = Self::with_sandbox(
            sandbox,
            tenants.clone(),
            admins.clone(),
            bindings.clone(),
            connections.clone(),
        );
        for c in &connections {
            h.api.add_object(c);
        }
        let fallback = Connection::contract("default", &h.sandbox.url(), None);
        h.ctx = Arc::new(Context::new(
            client_of(&h.api),
            Pool::new(
                Arc::new(tenantry::portal::Providers::default()),
                Some(fallback),
            ),
            Stores::from_objects(tenants, admins, bindings, connections),
            Arc::new(Metrics::new()),
            Settings::default(),
            Some("test".to_owned()),
        ));
        h
    }

    /// A restart: a fresh `Context` (no in-memory state survives) on the same API server state
    /// and the same sandbox; its stores hold the objects as they are now.
    pub fn restart(self) -> Self {
        let clients = Arc::new(Keeping::default());
        let ctx = Arc::new(Context::new(
            client_of(&self.api),
            pool(&self.sandbox.url(), &clients),
            Stores::from_objects(self.api.all(), self.api.all(), self.api.all(), Vec::new())
                .with_sinks(self.api.all()),
            Arc::new(Metrics::new()),
            Settings::default(),
            Some("test".to_owned()),
        ));
        Self {
            api: self.api,
            sandbox: self.sandbox,
            ctx,
            clients,
        }
    }

    /// This harness with `sinks` in its API server and its stores (a restart on them).
    pub fn with_sinks(self, sinks: &[tenantry::api::NotificationSink]) -> Self {
        for sink in sinks {
            self.api.add_object(sink);
        }
        self.restart()
    }

    /// Portal writes the sandbox received (everything but GET).
    pub fn portal_writes(&self) -> Vec<String> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.route))
            .collect()
    }
}

/// Namespace of every test object.
pub const NS: &str = "customers";

/// A Tenant `name` in the CloudLink portal (one synchronous object) with the given management
/// and deletion policies, with the finalizer already in place.
pub fn tenant(name: &str, management: &str, deletion: &str) -> Tenant {
    let mut t: Tenant = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"), "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {
            "displayName": "Kenton Electronics",
            "contact": {"name": "Jane Roe", "email": "jane@kenton-electronics.com", "phone": "+15555550100"},
            "billingId": "RQ-10042",
            "domains": ["kenton-electronics.com"],
            "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
            "businessType": "Manufacturing",
            "supportContacts": [
                {"role": "Maintainer", "name": "Max Maintainer", "email": "max@kenton-electronics.com"},
                {"role": "OnsiteAdmin", "name": "Olga Onsite", "email": "olga@kenton-electronics.com"}
            ],
            "portals": ["cloudlink"],
            "managementPolicy": management,
            "deletionPolicy": deletion
        }
    }));
    t.meta_mut().resource_version = Some("1".to_owned());
    t
}

/// An SMS ServiceBinding of Tenant `tenant` for `did`.
pub fn sms_binding(name: &str, tenant: &str, did: &str) -> ServiceBinding {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"), "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": tenant}, "sms": {"did": did, "licenseType": "Standard"}}
    }))
}

/// A Citrix ServiceBinding of Tenant `tenant`.
pub fn citrix_binding(name: &str, tenant: &str) -> ServiceBinding {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"), "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": tenant}, "citrix": {}}
    }))
}

/// A TenantAdmin Jane Roe of Tenant `tenant` with a generated password.
pub fn admin(name: &str, tenant: &str) -> TenantAdmin {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "TenantAdmin",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"), "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": tenant}, "firstName": "Jane", "lastName": "Roe",
                 "upnDomain": "kenton-electronics.com", "externalEmail": "jane.roe@example.net",
                 "generatePassword": true}
    }))
}

/// Marks an object Ready (as a finished reconcile would have).
/// The condition `type_` of a status as JSON (`Null` when absent).
pub fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

pub fn ready<K: serde::Serialize + serde::de::DeserializeOwned>(object: &K) -> K {
    with_status(
        object,
        &json!({"conditions": [{"type": "Ready", "status": "True", "reason": "Available",
                                "message": "ok", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}),
    )
}

/// Applies a status patch body to an object, as the API server would.
pub fn with_status<K: serde::Serialize + serde::de::DeserializeOwned>(
    object: &K,
    status: &Value,
) -> K {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    value["status"] = status.clone();
    from_json(value)
}

/// Marks an object as being deleted.
pub fn deleting<K: Resource>(mut object: K) -> K {
    object.meta_mut().deletion_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
    object
}

/// Deserializes a test object, panicking with the reason on a broken fixture.
pub fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    match serde_json::from_value(value) {
        Ok(object) => object,
        Err(e) => panic!("fixture: {e}"),
    }
}

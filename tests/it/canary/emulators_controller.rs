//! The controller over all the vendor APIs (issue 15): the connections of
//! `examples/connections/emulators.yaml` with a canary for every credential (see
//! `emulators.rs`), through the recording proxy, and a Tenant (DaaS customer on the contract,
//! CloudLink account adopted on Mitel), a Graph admin with a generated password, a Partner
//! Center Azure AD tenant and a ConnectToTeams enterprise reconciled, then the admin deleted.
//! No credential, issued token or password on the wire reaches a call the controller made to
//! the Kubernetes API (status, conditions, Events, finalizers) but the generated Secret itself,
//! its log at trace level, its errors, `/metrics` or its context's `Debug`.

use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::api::{Portal, PortalConnection, ServiceBinding, TenantAdmin};
use tenantry::manifest::{Input, LoadOptions, load};
use tenantry::sandbox::{Fixtures, Sandbox};

use super::Search;
use super::controller::{Logs, reconcile_once};
use super::emulators::Credentials;
use super::wire::Wire;
use crate::controller::fixtures::{Harness, NS, deleting, from_json, tenant, with_status};

#[test]
fn no_vendor_credential_or_token_reaches_any_channel_of_the_controller() {
    // The emulators and the proxy run on their own runtime, so the log captured below holds
    // the controller's lines only (see `controller.rs`).
    let portal_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let credentials = Credentials::new();
    let (sandbox, wire) = portal_runtime.block_on(async {
        let config = credentials.sandbox_config().with_fixtures(Fixtures::demo());
        let sb = Sandbox::start(config)
            .await
            .unwrap_or_else(|e| panic!("sandbox: {e}"));
        crate::vendors::control(
            &sb,
            "/sandbox/mitel/accounts",
            &json!({"name": "Kenton Electronics"}),
        )
        .await;
        crate::vendors::customers_approve_gdap_at_once(&sb).await;
        let wire = Wire::start(&sb.url()).await;
        (sb, wire)
    });
    let (logs, _capture, runtime) = Logs::capture();
    let mut search = runtime.block_on(scenario(sandbox, &wire, &credentials));
    let log = logs.text();
    assert!(log.contains(" TRACE "), "the capture holds trace lines");
    search.channel("the controller's log at trace level", log);

    let issued = wire.issued_tokens();
    assert!(
        issued.len() >= 4,
        "tokens from Partner Center's, Graph's, ConnectToTeams' and Mitel's endpoints: {}",
        issued.len()
    );
    for (i, token) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), token.as_str());
    }
    let mut sent = Vec::new();
    for e in wire.exchanges() {
        super::emulators::passwords(&e.request, &mut sent);
        if let Ok(answer) = serde_json::from_str::<Value>(&e.response) {
            super::emulators::passwords(&answer, &mut sent);
        }
    }
    assert!(
        sent.len() >= 2,
        "Graph's and Partner Center's admin passwords"
    );
    for (i, p) in sent.iter().enumerate() {
        search.secret(format!("password on the wire #{i}"), p.as_str());
    }
    let (secrets, channels) = search.size();
    assert!(
        secrets >= 14 && channels >= 20,
        "{secrets} secrets, {channels} channels"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
    drop(runtime);
    drop(portal_runtime);
}

fn binding(name: &str, service: Value) -> ServiceBinding {
    let mut spec = json!({"tenantRef": {"name": "kenton"}});
    if let (Some(m), Some(s)) = (spec.as_object_mut(), service.as_object()) {
        m.extend(s.clone());
    }
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"),
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": spec,
    }))
}

async fn scenario(sandbox: Sandbox, wire: &Wire, credentials: &Credentials) -> Search {
    let mut search = Search::default();
    credentials.search_for(&mut search);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("emulators.yaml");
    std::fs::write(&file, credentials.example(wire.url())).unwrap_or_else(|e| panic!("{e}"));
    let loaded =
        load(&[Input::Path(file)], &LoadOptions::default()).unwrap_or_else(|e| panic!("load: {e}"));
    let connections: Vec<PortalConnection> = loaded
        .declared
        .connections
        .iter()
        .map(|c| c.object.clone())
        .collect();

    let mut t = tenant("kenton", "Apply", "Delete");
    t.spec.portals = vec![Portal::Daas, Portal::CloudLink, Portal::TeamMate];
    let mut admin = serde_json::to_value(crate::controller::fixtures::admin("jroe", "kenton"))
        .unwrap_or(Value::Null);
    admin["spec"]["deletionPolicy"] = json!("Delete");
    let admin: TenantAdmin = from_json(admin);
    let aad = binding("kenton-aad", json!({"azureAD": {"mode": "CreateNew"}}));
    let teams = binding(
        "kenton-teams",
        json!({"teamsConnector": {"enterpriseName": "Kenton Teams",
                "adminEmail": "globaladmin@kenton-electronics.com",
                "sbcRegions": ["UsEast"], "services": ["Trunk"]}}),
    );
    let h = Harness::with_providers_and_admins(
        sandbox,
        vec![t.clone()],
        vec![admin.clone()],
        vec![aad.clone(), teams.clone()],
        connections,
    );
    h.api.add_secrets(&loaded.declared);

    let mut errors = Vec::new();
    let mut note = |name: &str, result: Result<(), String>| {
        if let Err(e) = result {
            errors.push(format!("{name}: {e}"));
        }
    };
    note("the tenant", reconcile_once(&h, &t).await);
    let h = restart(h);
    note("jroe", reconcile_once(&h, &admin).await);
    let admin = with_status(&admin, &h.api.last_status().unwrap_or_default());
    for _ in 0..5 {
        note("the Azure AD tenant", reconcile_once(&h, &aad).await);
    }
    note("the enterprise", reconcile_once(&h, &teams).await);
    note("jroe deleted", reconcile_once(&h, &deleting(admin)).await);
    assert!(errors.is_empty(), "{errors:#?}");

    let wrote = |vendor: &str| {
        h.sandbox
            .wire_requests(vendor)
            .iter()
            .any(|r| r.method == "POST" || r.method == "PUT")
    };
    for vendor in ["pc", "graph", "c2t", "mitel"] {
        assert!(wrote(vendor), "the controller wrote nothing to {vendor}");
    }

    // The generated password: in the Secret the controller created, and nowhere else.
    let calls = h.api.calls();
    let created: Vec<&Value> = calls
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/secrets"))
        .map(|c| &c.body)
        .collect();
    // jroe's generated password, and the admin password Partner Center generated for the new
    // customer (`<tenant>-microsoft-admin`): each only in its Secret.
    let mut names: Vec<&str> = created
        .iter()
        .filter_map(|s| s["metadata"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names.len(),
        2,
        "jroe's and Partner Center's generated passwords: {names:?}"
    );
    assert!(names.contains(&"kenton-microsoft-admin"), "{names:?}");
    for secret in &created {
        let name = secret["metadata"]["name"].as_str().unwrap_or_default();
        let bytes: k8s_openapi::ByteString =
            serde_json::from_value(secret["data"]["password"].clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let generated = String::from_utf8(bytes.0).unwrap_or_else(|e| panic!("{e}"));
        search.secret(
            format!("generated password in Secret {name}"),
            generated.as_str(),
        );
    }
    for (i, call) in calls.iter().enumerate() {
        if call.method == "POST" && call.path.ends_with("/secrets") {
            continue;
        }
        search.channel(
            format!("API call {i}: {} {}", call.method, call.path),
            format!("{}?{} {}", call.path, call.query, call.body),
        );
    }
    assert!(
        calls.iter().any(|c| c.path.ends_with("/events"))
            && calls.iter().any(|c| c.path.ends_with("/status")),
        "events and status were written"
    );
    search.channel("/metrics", h.ctx.metrics.encode());
    search.channel("the controller's context (Debug)", format!("{:?}", h.ctx));
    search
}

/// The stores as they are after the Tenant's reconcile (its DaaS customer recorded), so the
/// admin and the bindings find it Ready; the same API server and emulators.
fn restart(h: Harness) -> Harness {
    let ctx = Arc::new(tenantry::controller::Context::new(
        crate::controller::fixtures::client_of(&h.api),
        tenantry::portal::Pool::new(
            Arc::new(tenantry::portal::Providers::default()),
            Some(tenantry::portal::Connection::contract(
                "default",
                &h.sandbox.url(),
                None,
            )),
        ),
        tenantry::controller::Stores::from_objects(
            h.api.all(),
            h.api.all(),
            h.api.all(),
            h.api.all(),
        ),
        Arc::new(tenantry::controller::Metrics::new()),
        tenantry::controller::Settings::default(),
        Some("test".to_owned()),
    ));
    Harness { ctx, ..h }
}

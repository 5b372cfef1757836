//! The controller's channels: every call it made to the Kubernetes API but the generated
//! Secret itself (status patches, Events, finalizer patches), its `/metrics` text, its log at
//! trace level and its errors, over create, a failing write, Plan and approval, and deletion.

use std::sync::{Arc, Mutex, PoisonError};

use kube::ResourceExt;
use serde_json::{Value, json};
use tenantry::api::{Declared, SecretKey, Sensitive, ServiceBinding, TenantAdmin};
use tenantry::controller::{APPROVE_ANNOTATION, Declaring, Error, error_policy, reconcile};
use tenantry::sandbox::{FaultConfig, FaultRule, Sandbox, SandboxConfig};

use super::{Search, canary};
use crate::controller::fixtures::*;

/// The controller's log lines, captured as a collector would read them.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Logs {
    /// Captures every log line of this thread at trace level until the guard drops, and a
    /// current-thread runtime to run the controller on (so its lines are this thread's).
    pub(crate) fn capture() -> (
        Self,
        tracing::subscriber::DefaultGuard,
        tokio::runtime::Runtime,
    ) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        (logs, guard, runtime)
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Reconciles `object` as the controller does: an error goes through `error_policy` (which
/// logs it); its text and `Debug` are returned for the search.
pub(super) async fn reconcile_once<K: Declaring>(h: &Harness, object: &K) -> Result<(), String> {
    let object = Arc::new(object.clone());
    match reconcile(Arc::clone(&object), Arc::clone(&h.ctx)).await {
        Ok(_) => Ok(()),
        Err(e) => {
            error_policy(object, &e, Arc::clone(&h.ctx));
            Err(describe(&e))
        }
    }
}

pub(super) fn describe(e: &Error) -> String {
    format!("{} | {e} | {e:?}", e.code())
}

pub(super) fn admin_with_secret() -> TenantAdmin {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "TenantAdmin",
        "metadata": {"name": "jroe", "namespace": NS, "uid": "uid-jroe", "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "firstName": "Jane", "lastName": "Roe",
                 "upnDomain": "kenton-electronics.com", "externalEmail": "jane.roe@example.net",
                 "passwordSecretRef": {"name": "kenton-admin", "key": "password"}}
    }))
}

fn admin_generated_on_approval() -> TenantAdmin {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "TenantAdmin",
        "metadata": {"name": "mchen", "namespace": NS, "uid": "uid-mchen", "generation": 1,
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "firstName": "Marcus", "lastName": "Chen",
                 "username": "marcus.chen", "upnDomain": "kenton-electronics.com",
                 "externalEmail": "m.chen@example.org", "generatePassword": true,
                 "managementPolicy": "Plan"}
    }))
}

fn contact_center() -> ServiceBinding {
    from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-cc", "namespace": NS, "uid": "uid-kenton-cc",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"},
                 "contactCenter": {"template": "standard", "name": "KentonElectronics",
                                   "shortName": "ke", "upnSuffix": "kenton-electronics.com",
                                   "adminUser": "keAdmin", "ani": "+15555550100",
                                   "notificationEmail": "it@kenton-electronics.com",
                                   "passwordSecretRef": {"name": "kenton-cc", "key": "password"}}}
    }))
}

pub(super) fn secret(
    namespace: &str,
    name: &str,
    key: &str,
    value: &str,
) -> (SecretKey, Sensitive) {
    let key = SecretKey {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    (key, Sensitive::new(value))
}

/// The value of a generated-password Secret the controller created.
fn generated_password(body: &Value) -> String {
    let bytes: k8s_openapi::ByteString =
        serde_json::from_value(body["data"]["password"].clone()).unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(bytes.0).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn no_secret_reaches_any_channel_of_the_controller() {
    // The sandbox (the portal, not the controller) runs on its own runtime, so the log
    // captured below holds the controller's lines only: everything the controller spawns runs
    // on this thread's current-thread runtime, under this thread's subscriber.
    let portal_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let echo = FaultConfig {
        seed: Some(8),
        rules: vec![FaultRule {
            echo_secrets: true,
            ..FaultRule::default()
        }],
    };
    let sandbox = portal_runtime
        .block_on(Sandbox::start(SandboxConfig::default().with_faults(echo)))
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let (logs, _capture, runtime) = Logs::capture();
    let mut search = runtime.block_on(scenario(sandbox));
    let log = logs.text();
    assert!(
        log.contains(" TRACE ")
            && log
                .lines()
                .any(|l| l.contains("reconcile failed") && l.contains("(sensitive)")),
        "the capture holds trace lines and the logged, scrubbed echo"
    );
    search.channel("the controller's log at trace level", log);
    let (secrets, channels) = search.size();
    assert!(
        secrets >= 4 && channels >= 20,
        "{secrets} secrets, {channels} channels"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
    drop(runtime);
    drop(portal_runtime);
}

async fn scenario(sandbox: Sandbox) -> Search {
    let mut search = Search::default();
    let token = canary("Token");
    let admin_password = canary("Admin");
    let cc_password = canary("ContactCenter");
    search.secret("the PortalConnection's token", token.as_str());
    search.secret("jroe's password (Secret)", admin_password.as_str());
    search.secret("the contact-center password (Secret)", cc_password.as_str());

    let mut t = tenant("kenton", "Apply", "Delete");
    t.spec.portals = vec![
        tenantry::api::Portal::CloudLink,
        tenantry::api::Portal::Daas,
        tenantry::api::Portal::ContactCenter,
    ];
    let connection: tenantry::api::PortalConnection = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "default"},
        "spec": {"url": sandbox.url(),
                 "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal-token", "key": "token"}}
    }));
    let (jroe, mchen, cc) = (
        admin_with_secret(),
        admin_generated_on_approval(),
        contact_center(),
    );
    let h = Harness::with_sandbox(
        sandbox,
        vec![ready(&t)],
        vec![jroe.clone(), mchen.clone()],
        vec![cc.clone()],
        vec![connection],
    );
    let declared = Declared {
        secrets: [
            secret("tenantry-system", "portal-token", "token", &token),
            secret(NS, "kenton-admin", "password", &admin_password),
            secret(NS, "kenton-cc", "password", &cc_password),
        ]
        .into_iter()
        .collect(),
        ..Declared::default()
    };
    h.api.add_secrets(&declared);

    reconcile_once(&h, &t).await.expect("the tenant");

    // A write that fails, with the request's passwords echoed into the portal's error.
    let squatter = super::squat_contact_center_name(&h.sandbox, "KentonElectronics").await;
    let failed = reconcile_once(&h, &cc)
        .await
        .expect_err("the name is taken");
    assert!(
        failed.contains("(sensitive)"),
        "echoed and scrubbed: {failed}"
    );
    search.channel("the failed write's error", failed);
    crate::sandbox::Client::new(&h.sandbox)
        .delete(&format!(
            "/sandbox/objects/contactcenter/tenants/{}",
            squatter
        ))
        .await;
    reconcile_once(&h, &cc).await.expect("the contact center");
    let cc = with_status(&cc, &h.api.last_status().expect("binding status"));

    reconcile_once(&h, &jroe).await.expect("jroe");
    let jroe = with_status(&jroe, &h.api.last_status().expect("jroe status"));

    // Plan: the generated password is made, the plan published, nothing written; then the
    // approval applies it.
    let writes = h.portal_writes().len();
    reconcile_once(&h, &mchen).await.expect("mchen's plan");
    let status = h.api.last_status().expect("mchen status");
    let diff = status["plan"]["diff"].as_str().unwrap_or_default();
    assert!(diff.contains("password: (sensitive)"), "{status}");
    assert_eq!(h.portal_writes().len(), writes, "Plan writes nothing");
    let mut approved = with_status(&mchen, &status);
    let hash = status["plan"]["hash"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    approved
        .annotations_mut()
        .insert(APPROVE_ANNOTATION.to_owned(), hash);
    reconcile_once(&h, &approved).await.expect("mchen approved");
    assert!(
        h.portal_writes().len() > writes,
        "the approval applied the plan"
    );

    // Deletion with deletionPolicy Delete (inherited from the Tenant).
    reconcile_once(&h, &deleting(jroe))
        .await
        .expect("jroe deleted");
    if let Err(waiting) = reconcile_once(&h, &deleting(cc)).await {
        assert!(waiting.contains("DeleteBlocked"), "{waiting}");
        search.channel("the delete's error", waiting);
    }
    assert_eq!(
        h.sandbox
            .count_objects("daas", "admins", "customers/jroe")
            .await,
        0,
        "the delete went through"
    );

    // Generated passwords: in the Secrets the controller created, and nowhere else.
    let calls = h.api.calls();
    let created: Vec<&Value> = calls
        .iter()
        .filter(|c| c.method == "POST" && c.path.ends_with("/secrets"))
        .map(|c| &c.body)
        .collect();
    assert_eq!(created.len(), 1, "mchen's generated-password Secret");
    let generated = generated_password(created[0]);
    search.secret("mchen's generated password", generated.as_str());

    // The outbox is the one place a temporary password appears.
    let outbox = serde_json::to_string(&h.sandbox.outbox(None).await).unwrap_or_default();
    assert!(outbox.contains(&admin_password), "jroe's e-mail is missing");
    assert!(outbox.contains(&generated), "mchen's e-mail is missing");

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
        calls.iter().any(|c| c.path.ends_with("/events")) && h.api.last_status().is_some(),
        "events and status were written"
    );
    search.channel("/metrics", h.ctx.metrics.encode());
    search.channel("the controller's context (Debug)", format!("{:?}", h.ctx));
    search
}

//! `controller::run`: the shared watches, the three controllers and shutdown, against the
//! recording API server (lists answered from its objects, watches held open) and the sandbox.

use std::net::SocketAddr;
use std::time::Duration;

use tenantry::controller::{RunOptions, Settings, run};
use tenantry::sandbox::{Sandbox, SandboxConfig};
use tokio::sync::oneshot;

use super::fixtures::{ApiServer, mock_api, tenant};

/// Polls `done` every 50 ms, up to 20 s (a bound for a stuck test, not a timing assertion).
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// `controller::run` in this process over the recording API server (holding one Tenant) and
/// a sandbox.
struct Running {
    sandbox: Sandbox,
    api: ApiServer,
    stop: oneshot::Sender<()>,
    controller: tokio::task::JoinHandle<Result<(), tenantry::controller::Error>>,
}

impl Running {
    async fn start(settings: Settings) -> Self {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .expect("sandbox");
        let (client, api) = mock_api();
        api.add_object(&tenant("kenton", "Apply", "Orphan"));
        let (stop, stopped) = oneshot::channel::<()>();
        let options = RunOptions {
            portal: Some(sandbox.url()),
            portal_token: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            settings,
            concurrency: 2,
            lease: None,
            instance: Some("wiring-test".to_owned()),
        };
        let controller = tokio::spawn(run(client, None, options, async move {
            let _ = stopped.await;
        }));
        Self {
            sandbox,
            api,
            stop,
            controller,
        }
    }

    /// Waits for the Tenant's portal object.
    async fn tenant_created(&self) {
        eventually("the Tenant's portal object", async || {
            self.sandbox
                .count_objects("cloudlink", "accounts", "customers/kenton")
                .await
                == 1
        })
        .await;
    }

    /// Stops the controller and checks it ends cleanly.
    async fn shut_down(self) {
        let _ = self.stop.send(());
        let ended = tokio::time::timeout(Duration::from_secs(20), self.controller).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "clean shutdown: {ended:?}");
    }
}

#[tokio::test]
async fn run_watches_reconciles_what_it_lists_and_shuts_down() {
    let running = Running::start(Settings::default()).await;
    running.tenant_created().await;
    let api = &running.api;
    eventually("the status patch", async || {
        api.lines().iter().any(|l| {
            l == "PATCH /apis/tenantry.dev/v1alpha1/namespaces/customers/tenants/kenton/status"
        })
    })
    .await;
    let lists: Vec<String> = api
        .calls()
        .iter()
        .filter(|c| c.method == "GET" && !c.query.contains("watch=true"))
        .map(|c| c.path.clone())
        .collect();
    for watched in [
        "/apis/tenantry.dev/v1alpha1/tenants",
        "/apis/tenantry.dev/v1alpha1/tenantadmins",
        "/apis/tenantry.dev/v1alpha1/servicebindings",
        "/apis/tenantry.dev/v1alpha1/portalconnections",
        "/apis/tenantry.dev/v1alpha1/notificationsinks",
        "/api/v1/secrets",
    ] {
        assert!(
            lists.iter().any(|p| p == watched),
            "{watched} listed: {lists:?}"
        );
    }

    // Secrets are watched as metadata only: their values never reach the controller's memory
    // through the watch (a reconcile reads the one Secret it needs).
    let calls = api.calls();
    let secret_reads: Vec<&str> = calls
        .iter()
        .filter(|c| c.method == "GET" && c.path == "/api/v1/secrets")
        .map(|c| c.accept.as_str())
        .collect();
    assert!(!secret_reads.is_empty());
    for accept in secret_reads {
        assert!(
            accept.contains("as=PartialObjectMetadata"),
            "the Secrets list or watch asks for metadata only: {accept:?}"
        );
    }

    running.shut_down().await;
}

#[tokio::test]
async fn a_converged_object_is_read_again_at_each_resync_without_any_watch_event() {
    let running = Running::start(Settings {
        resync: Duration::from_secs(1),
        poll: Duration::from_millis(500),
        ..Settings::default()
    })
    .await;
    let reads = || {
        running
            .sandbox
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.route.contains("accounts"))
            .count()
    };
    running.tenant_created().await;
    // The mock API server's watches stay silent: only the resync wakes the Tenant again.
    let converged = reads();
    eventually(
        "three more reconciles of the converged Tenant",
        async || reads() >= converged + 3,
    )
    .await;
    running.shut_down().await;
}

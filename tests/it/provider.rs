//! The provider seam: another provider plugs in through `PortalApi` and `Connector` for the
//! CLI's path (engine observe → plan → decide → run) and the controller alike, and both
//! callers compute the same plan hash for the same object and portal state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use tenantry::api::{Declared, Located, Location, Portal, Tenant};
use tenantry::controller::reconcile;
use tenantry::engine::{self, ApplyOptions, Approval, Quiet};
use tenantry::model::{self, PortalObject};
use tenantry::plan::{PlanOptions, Scope};
use tenantry::portal::{
    Connection, Connector, DeleteOutcome, ListFilter, Operation, PortalApi, PortalClient,
    PortalError, WriteOutcome, WriteRequest,
};
use tenantry::sandbox::{Sandbox, SandboxConfig};

use crate::controller::fixtures::{Harness, NS, tenant};

/// A second provider: portal objects in memory, keyed by (portal, kind), ids counted.
/// Clones share the objects.
#[derive(Clone, Default)]
struct Memory(Arc<State>);

#[derive(Default)]
struct State {
    objects: Mutex<BTreeMap<(String, String), Vec<PortalObject>>>,
    writes: Mutex<Vec<String>>,
}

impl std::ops::Deref for Memory {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl Memory {
    fn count(&self, portal: &str, kind: &str) -> usize {
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        objects
            .get(&(portal.to_owned(), kind.to_owned()))
            .map_or(0, Vec::len)
    }

    fn writes(&self) -> Vec<String> {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn wrote(&self, line: String) {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
}

impl PortalApi for Memory {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        let objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let all = objects
            .get(&(portal.id().to_owned(), kind.to_owned()))
            .cloned()
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|o| {
                filter
                    .external_ref
                    .as_ref()
                    .is_none_or(|r| &o.external_ref == r)
                    && filter
                        .external_ref_prefix
                        .as_ref()
                        .is_none_or(|p| o.external_ref.starts_with(p.as_str()))
            })
            .collect())
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.wrote(format!(
            "create {}/{kind} {}",
            portal.id(),
            req.external_ref
        ));
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let list = objects
            .entry((portal.id().to_owned(), kind.to_owned()))
            .or_default();
        let object = PortalObject {
            id: format!("mem-{}", list.len() + 1),
            external_ref: req.external_ref.clone(),
            deletion_policy: req.deletion_policy,
            version: 1,
            spec: req.spec.clone(),
            status: Default::default(),
        };
        list.push(object.clone());
        Ok(WriteOutcome::Done(object))
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        self.wrote(format!("update {}/{kind} {id}", portal.id()));
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let list = objects
            .entry((portal.id().to_owned(), kind.to_owned()))
            .or_default();
        match list.iter_mut().find(|o| o.id == id) {
            Some(object) => {
                object.spec = req.spec.clone();
                object.version += 1;
                Ok(WriteOutcome::Done(object.clone()))
            }
            None => Err(PortalError::Setup(format!("no object {id}"))),
        }
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        self.wrote(format!("delete {}/{kind} {id}", portal.id()));
        let mut objects = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = objects.get_mut(&(portal.id().to_owned(), kind.to_owned())) {
            list.retain(|o| o.id != id);
        }
        Ok(DeleteOutcome::Deleted)
    }

    async fn operation(
        &self,
        _portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        Err(PortalError::Setup(format!(
            "no operation {id}: every write is synchronous"
        )))
    }
}

/// Connects every connection to the one in-memory portal.
struct MemoryConnector(Memory);

impl Connector for MemoryConnector {
    fn connect(&self, _connection: &Connection) -> Result<PortalClient, PortalError> {
        Ok(PortalClient::new(self.0.clone()))
    }
}

fn declared(tenant: &Tenant) -> Declared {
    Declared {
        tenants: vec![Located {
            object: tenant.clone(),
            location: Location::default(),
        }],
        ..Declared::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_provider_serves_the_cli_path_and_the_controller() {
    let memory = Memory::default();
    let connector = MemoryConnector(memory.clone());
    let connection = Connection::contract("memory", "http://127.0.0.1:1", None);
    let client = connector
        .connect(&connection)
        .expect("the connector connects");

    // The CLI's path: observe and plan by namespace, decide on a confirmation, run.
    let cli_tenant = tenant("from-the-cli", "Apply", "Orphan");
    let model = model::expand(&declared(&cli_tenant)).expect("the tenant expands");
    let options = PlanOptions {
        prune: false,
        scope: Scope::namespaces_of(&model),
        ..PlanOptions::default()
    };
    let (observed, plan) = engine::observe_and_plan(&client, &model, &options)
        .await
        .expect("observe");
    assert_eq!(plan.summary().add, 1, "{:?}", plan.actions);
    let decision = engine::decide(&plan, &Approval::Confirmed, engine::ReplaceAllowance::All);
    let report = engine::run(
        &client,
        &decision,
        &model,
        &observed,
        &ApplyOptions::default(),
        &Quiet,
    )
    .await;
    assert!(!report.has_failures(), "{:?}", report.steps);
    let (_, again) = engine::observe_and_plan(&client, &model, &options)
        .await
        .expect("observe");
    assert!(!again.has_changes(), "converged: {:?}", again.actions);

    // The controller, with the same provider in its pool.
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let object = tenant("from-the-cluster", "Apply", "Orphan");
    let h = Harness::with_connector(
        sandbox,
        Arc::new(MemoryConnector(memory.clone())),
        vec![object.clone()],
    );
    reconcile(Arc::new(object), Arc::clone(&h.ctx))
        .await
        .expect("the reconcile succeeds");
    assert_eq!(memory.count("cloudlink", "accounts"), 2);
    assert_eq!(
        memory.writes(),
        [
            format!("create cloudlink/accounts {NS}/from-the-cli"),
            format!("create cloudlink/accounts {NS}/from-the-cluster"),
        ]
    );
    assert!(
        h.sandbox.requests().is_empty(),
        "nothing reached the contract's sandbox"
    );
    let status = h.api.last_status().expect("a status patch");
    let ready = status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(ready["status"], "True", "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_and_the_controller_hash_the_same_change_alike() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    let mut object = tenant("kenton", "Apply", "Orphan");
    let h = Harness::with_sandbox(
        sandbox,
        vec![object.clone()],
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx))
        .await
        .expect("created");

    // A change, planned but not applied by the controller (managementPolicy Plan).
    object.spec.business_type = Some("Retail".to_owned());
    object.spec.management_policy = tenantry::api::ManagementPolicy::Plan;
    let h = Harness::with_sandbox(
        h.sandbox,
        vec![object.clone()],
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    reconcile(Arc::new(object.clone()), Arc::clone(&h.ctx))
        .await
        .expect("planned");
    let status = h.api.last_status().expect("a status patch");
    let cluster_hash = status["plan"]["hash"]
        .as_str()
        .unwrap_or_else(|| panic!("a published plan: {status}"))
        .to_owned();

    // The same declaration through the CLI binary against the same portal state.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut manifest = object.clone();
    manifest.metadata.uid = None;
    manifest.metadata.generation = None;
    manifest.metadata.finalizers = None;
    manifest.status = None;
    let file = dir.path().join("tenant.yaml");
    std::fs::write(&file, serde_yaml::to_string(&manifest).expect("yaml")).expect("write");
    let output = Command::cargo_bin("tenantry")
        .expect("the binary builds")
        .args([
            "plan",
            "--output",
            "json",
            "--portal",
            &h.sandbox.url(),
            "-f",
        ])
        .arg(&file)
        .env("TENANTRY_PORTAL_TOKEN", "tenantry")
        .output()
        .expect("tenantry plan runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "changes: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["hash"], cluster_hash.as_str(), "{json}");
    let changes = json["summary"]["change"].as_u64();
    assert_eq!(changes, Some(1), "{json}");
}

//! Issue 16 in the cluster: the `manual` provider served by the controller. The examples'
//! DaaS, contact-center and apps portals go to a manual connection (a delegate of the
//! contract connection `default`, which keeps teammate and cloudlink on the sandbox); the
//! work orders live in the Tenant's ConfigMap on the recording API server, a person confirms
//! them by annotation, and every object reaches Ready with the values read back. A second
//! `Context` on the same API server is a second replica.

use std::collections::BTreeSet;
use std::sync::Arc;

use kube::{Resource, ResourceExt};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tenantry::api::{Declared, PortalConnection, ServiceBinding, Tenant, TenantAdmin};
use tenantry::controller::{
    CONFIRM_PREFIX, Context, Declaring, Metrics, Settings, Stores, configmap_name, reconcile,
};
use tenantry::manifest::{Input, LoadOptions, load};
use tenantry::portal::{Connection, Pool, Providers};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use super::fixtures::{ApiServer, Harness, NS, client_of, from_json, tenant};
use crate::seam::{secret_manifest, write};
use crate::support::{example_secrets, examples_copy, tenantry_in};

/// The sandbox's token in the Secret `default` names.
fn token() -> Declared {
    let mut declared = Declared::default();
    declared.secrets.insert(
        tenantry::api::SecretKey {
            namespace: "tenantry-system".to_owned(),
            name: "portal-token".to_owned(),
            key: "token".to_owned(),
        },
        tenantry::api::Sensitive::new("tenantry"),
    );
    declared
}

/// The contract connection `default` (teammate, cloudlink) delegating to `manual`.
fn connections(url: &str) -> Vec<PortalConnection> {
    vec![
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "default", "uid": "uid-default"},
            "spec": {"url": url, "portals": ["teammate", "cloudlink"],
                     "delegates": [{"name": "manual"}],
                     "credentialsSecretRef": {"namespace": "tenantry-system",
                                              "name": "portal-token", "key": "token"}}
        })),
        from_json(json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": "manual", "uid": "uid-manual"},
            "spec": {"api": "manual", "portals": ["daas", "contactcenter", "apps"]}
        })),
    ]
}

fn prepare<K: Declaring>(mut object: K) -> K {
    let uid = format!("uid-{}-{}", K::KIND, object.name_any());
    let meta = object.meta_mut();
    meta.uid = Some(uid);
    meta.generation = Some(1);
    meta.finalizers = Some(vec![tenantry::controller::FINALIZER.to_owned()]);
    object
}

/// An example customer on the recording API server, the sandbox behind `default`.
struct World {
    h: Harness,
    connections: Vec<PortalConnection>,
    /// `Kind/namespace/name` of every declared object.
    objects: BTreeSet<String>,
}

async fn world(folder: &str) -> World {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let loaded = load(
        &[Input::from_arg(&root.to_string_lossy())],
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let declared: Declared = loaded.declared;
    let tenants: Vec<Tenant> = declared
        .tenants
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let admins: Vec<TenantAdmin> = declared
        .admins
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let bindings: Vec<ServiceBinding> = declared
        .bindings
        .iter()
        .map(|l| prepare(l.object.clone()))
        .collect();
    let mut objects = BTreeSet::new();
    objects.extend(tenants.iter().map(id_of));
    objects.extend(admins.iter().map(id_of));
    objects.extend(bindings.iter().map(id_of));
    let sandbox = Sandbox::start(SandboxConfig::default().with_fixtures(Fixtures::demo()))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let connections = connections(&sandbox.url());
    let h =
        Harness::with_providers_and_admins(sandbox, tenants, admins, bindings, connections.clone());
    h.api.add_secrets(&declared);
    h.api.add_secrets(&token());
    World {
        h,
        connections,
        objects,
    }
}

fn id_of<K: Declaring>(object: &K) -> String {
    format!(
        "{}/{}/{}",
        K::KIND,
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// A controller replica on `api`: its own client, pool, recorder and stores (filled with
/// the objects as the API server holds them now, as its watches would be).
fn replica(
    api: &ApiServer,
    url: &str,
    connections: &[PortalConnection],
    name: &str,
) -> Arc<Context> {
    let fallback = Connection::contract("default", url, None);
    Arc::new(Context::new(
        client_of(api),
        Pool::new(Arc::new(Providers::default()), Some(fallback)),
        Stores::from_objects(api.all(), api.all(), api.all(), connections.to_vec()),
        Arc::new(Metrics::new()),
        Settings::default(),
        Some(name.to_owned()),
    ))
}

impl World {
    fn replica(&self, name: &str) -> Arc<Context> {
        replica(&self.h.api, &self.h.sandbox.url(), &self.connections, name)
    }

    /// Reconciles every object once (as stored now) on `ctx`; returns those not Ready.
    async fn round(&self, ctx: &Arc<Context>) -> Vec<String> {
        let mut waiting = Vec::new();
        waiting.extend(each::<Tenant>(&self.h.api, ctx).await);
        waiting.extend(each::<TenantAdmin>(&self.h.api, ctx).await);
        waiting.extend(each::<ServiceBinding>(&self.h.api, ctx).await);
        waiting
    }

    /// The Tenant's work-order document (empty before the first order).
    fn state(&self, tenant: &str) -> Value {
        let suffix = format!("/configmaps/{}", configmap_name(tenant));
        self.h
            .api
            .configmaps()
            .into_iter()
            .find(|(path, _)| path.ends_with(&suffix))
            .map_or(Value::Null, |(_, m)| {
                let text = m["data"]["work-orders.json"].as_str().unwrap_or("{}");
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"))
            })
    }

    /// (id, state) of every order of the Tenant's ConfigMap.
    fn orders(&self, tenant: &str) -> Vec<(String, String)> {
        self.state(tenant)["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["order"]["id"].as_str().unwrap_or_default().to_owned(),
                    o["state"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The notes of the Events with `reason` created so far.
    fn events(&self, reason: &str) -> Vec<String> {
        self.h
            .api
            .calls()
            .iter()
            .filter(|c| c.method == "POST" && c.path.ends_with("/events"))
            .filter(|c| c.body["reason"] == reason)
            .map(|c| c.body["note"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Sets an annotation on the stored object `Kind/namespace/name`.
    fn annotate(&self, object: &str, key: &str, value: &str) {
        let mut parts = object.splitn(3, '/');
        let (kind, ns, name) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        match kind {
            "Tenant" => annotate::<Tenant>(&self.h.api, ns, name, key, value),
            "TenantAdmin" => annotate::<TenantAdmin>(&self.h.api, ns, name, key, value),
            _ => annotate::<ServiceBinding>(&self.h.api, ns, name, key, value),
        }
    }

    /// The person: performs every open order of the Tenant and confirms it by annotation
    /// with the values the sandbox's portal shows; returns how many.
    fn human(&self, tenant: &str) -> usize {
        let state = self.state(tenant);
        let records: Vec<&Value> = state["records"].as_array().into_iter().flatten().collect();
        let mut done = 0;
        for stored in state["orders"].as_array().into_iter().flatten() {
            if stored["state"] != "open" {
                continue;
            }
            let order = &stored["order"];
            let spec: Map<String, Value> = stored["spec"].as_object().cloned().unwrap_or_default();
            let parent = order["parentId"].as_str().and_then(|p| {
                records
                    .iter()
                    .find(|r| r["object"]["id"] == p)
                    .and_then(|r| r["object"]["spec"].as_object())
            });
            let kind = format!(
                "{}/{}",
                order["portalId"].as_str().unwrap_or_default(),
                order["kind"].as_str().unwrap_or_default()
            );
            let values: Vec<String> = order["readBack"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let key = r["key"].as_str()?;
                    let value = tenantry::sandbox::human::read_back(&kind, key, &spec, parent, 0)?;
                    Some(format!("{key}={value}"))
                })
                .collect();
            let id = order["id"].as_str().unwrap_or_default();
            let by = order["declaredBy"].as_str().unwrap_or_default();
            self.annotate(by, &format!("{CONFIRM_PREFIX}{id}"), &values.join(","));
            done += 1;
        }
        done
    }
}

fn annotate<K>(api: &ApiServer, ns: &str, name: &str, key: &str, value: &str)
where
    K: Resource<DynamicType = ()> + serde::Serialize + serde::de::DeserializeOwned,
{
    let mut object: K = api
        .get(ns, name)
        .unwrap_or_else(|| panic!("{ns}/{name} is not stored"));
    object
        .meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(key.to_owned(), value.to_owned());
    api.add_object(&object);
}

async fn each<K>(api: &ApiServer, ctx: &Arc<Context>) -> Vec<String>
where
    K: Declaring + serde::de::DeserializeOwned,
{
    let mut waiting = Vec::new();
    for object in api.all::<K>() {
        let result = reconcile(Arc::new(object.clone()), Arc::clone(ctx)).await;
        let now: K = api
            .get(&object.namespace().unwrap_or_default(), &object.name_any())
            .unwrap_or_else(|| panic!("{} is gone", id_of(&object)));
        let ready = ready_of(&now);
        if ready["status"] != "True" {
            waiting.push(format!(
                "{} ({}: {}) {:?}",
                id_of(&now),
                ready["reason"],
                ready["message"],
                result.err()
            ));
        }
    }
    waiting
}

fn ready_of<K: Declaring>(object: &K) -> Value {
    let status = serde_json::to_value(object.object_status()).unwrap_or(Value::Null);
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or(Value::Null)
}

const KENTON: &str = "kenton-electronics";

/// The work orders `tenantry plan -o json` lists for the same examples and connections.
async fn cli_orders(url: &str) -> Vec<Value> {
    let (_tmp, examples) = examples_copy();
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {url}\n  portals: [teammate, cloudlink]\n  delegates: [{{name: manual}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n\
         apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: manual}}\n\
         spec:\n  api: manual\n  portals: [daas, contactcenter, apps]\n---\n{}",
        secret_manifest("tenantry-system", "portal-token", "token", "tenantry"),
    );
    write(&examples.join("connection.yaml"), &text);
    let dir = examples.parent().unwrap_or_else(|| panic!("no parent"));
    let plan = tenantry_in(dir, &["plan", "-f", "examples/", "-o", "json"]).await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let value: Value = serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}"));
    value["workOrders"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_examples_wait_for_work_orders_and_converge_by_annotation_with_the_cli_s_ids() {
    let w = world("examples/customers/kenton-electronics").await;
    let ctx = w.replica("a");
    w.round(&ctx).await;

    // The Tenant waits for its customer order: Ready=False AwaitingManualStep, the message
    // names the order, the portal's screen and the annotation to confirm it with.
    let t: Tenant =
        w.h.api
            .get(NS, KENTON)
            .unwrap_or_else(|| panic!("no tenant"));
    let ready = ready_of(&t);
    let orders = w.orders(KENTON);
    assert_eq!(orders.len(), 1, "{orders:?} {ready}");
    let (customer, _) = &orders[0];
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "AwaitingManualStep", "{ready}");
    let message = ready["message"].as_str().unwrap_or_default();
    for part in [
        format!("Work order {customer} (create customer `customers/{KENTON}`)"),
        "Connected Workspace Portal".to_owned(),
        format!("kubectl annotate tenant {KENTON} tenantry.dev/confirm-{customer}='code=…'"),
    ] {
        assert!(message.contains(&part), "{part}\n{message}");
    }
    let status = t.status.clone().unwrap_or_default();
    assert_eq!(status.work_orders.len(), 1, "{status:?}");
    assert!(status.work_orders[0].starts_with(&format!("{customer} create daas/customers")));
    // Dependants wait, as in the CLI.
    let admin = w.h.api.all::<TenantAdmin>().remove(0);
    assert_eq!(ready_of(&admin)["reason"], "AwaitingDependency");

    // The record is a ConfigMap the Tenant owns, holding no secret.
    let maps = w.h.api.configmaps();
    assert_eq!(maps.len(), 1, "{:?}", maps.keys());
    let map = maps.values().next().cloned().unwrap_or_default();
    assert_eq!(
        map["metadata"]["name"],
        format!("tenantry-workorders-{KENTON}")
    );
    let owner = &map["metadata"]["ownerReferences"][0];
    assert_eq!(
        (&owner["kind"], &owner["name"], &owner["uid"]),
        (
            &json!("Tenant"),
            &json!(KENTON),
            &json!(format!("uid-Tenant-{KENTON}"))
        )
    );

    // A person works through the orders round after round.
    let mut waiting = Vec::new();
    for _ in 0..12 {
        w.human(KENTON);
        waiting = w.round(&w.replica("a")).await;
        if waiting.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(waiting.is_empty(), "not Ready:\n{}", waiting.join("\n"));
    let orders = w.orders(KENTON);
    assert!(orders.iter().all(|(_, s)| s == "confirmed"), "{orders:?}");
    // Confirmed with the values read back: the customer code is in status.
    let t: Tenant =
        w.h.api
            .get(NS, KENTON)
            .unwrap_or_else(|| panic!("no tenant"));
    let status = t.status.clone().unwrap_or_default();
    assert!(
        status
            .observed
            .customer_code
            .as_deref()
            .is_some_and(|c| c.starts_with("KEN")),
        "{status:?}"
    );
    assert!(status.work_orders.is_empty());
    assert!(
        !t.annotations()
            .keys()
            .any(|k| k.starts_with(CONFIRM_PREFIX))
    );
    // One Event per order, and every confirmation recorded.
    assert_eq!(w.events("WorkOrderIssued").len(), orders.len());
    assert_eq!(w.events("WorkOrderConfirmed").len(), orders.len());
    assert!(w.events("ConfirmationRefused").is_empty());
    let text = serde_json::to_string(&w.h.api.configmaps()).unwrap_or_default();
    for secret in example_secrets() {
        assert!(!text.contains(&secret), "a secret in the ConfigMap");
    }

    // The same ids as the CLI computes for the same changes; but for the admin whose
    // password tenantry generates: the controller keeps it in a Secret and the order points
    // there (a different change from the CLI's "choose one in the portal").
    let generated = "TenantAdmin/customers/mchen";
    let ours: BTreeSet<String> = w.state(KENTON)["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["order"]["declaredBy"] != generated)
        .map(|o| o["order"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let cli: BTreeSet<String> = cli_orders(&w.h.sandbox.url())
        .await
        .iter()
        .filter(|o| o["declaredBy"] != generated)
        .filter(|o| {
            w.objects
                .contains(o["declaredBy"].as_str().unwrap_or_default())
        })
        .map(|o| o["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ours.len(), orders.len() - 1);
    assert_eq!(ours, cli);
    let mchen = w.state(KENTON)["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["order"]["declaredBy"] == generated)
        .map(|o| o["order"]["secrets"][0]["from"].clone())
        .unwrap_or_default();
    assert!(
        mchen
            .as_str()
            .is_some_and(|f| f.starts_with("Secret customers/")),
        "{mchen}"
    );

    // Converged: another pass writes nothing (no ConfigMap, status, annotation or Event).
    w.h.api.clear();
    let waiting = w.round(&w.replica("a")).await;
    assert!(waiting.is_empty(), "{waiting:?}");
    let writes: Vec<String> =
        w.h.api
            .lines()
            .into_iter()
            .filter(|l| !l.starts_with("GET "))
            .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

/// A Tenant `kenton` on the DaaS portal only, served by the manual connection.
fn daas_tenant(ns: &str) -> Tenant {
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.meta_mut().namespace = Some(ns.to_owned());
    t.spec.portals = vec![tenantry::api::Portal::Daas];
    t
}

async fn daas_world(ns: &str) -> World {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let connections = connections(&sandbox.url());
    let t = daas_tenant(ns);
    let objects = BTreeSet::from([id_of(&t)]);
    let h = Harness::with_providers_and_admins(
        sandbox,
        vec![t],
        Vec::new(),
        Vec::new(),
        connections.clone(),
    );
    h.api.add_secrets(&token());
    World {
        h,
        connections,
        objects,
    }
}

fn kenton(w: &World, ns: &str) -> Tenant {
    w.h.api
        .get(ns, "kenton")
        .unwrap_or_else(|| panic!("no tenant"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_reconciling_at_once_record_one_order_and_one_event() {
    let w = daas_world(NS).await;
    let (a, b) = (w.replica("a"), w.replica("b"));
    for _ in 0..3 {
        let t = Arc::new(kenton(&w, NS));
        let (ra, rb) = tokio::join!(
            tokio::spawn(reconcile(Arc::clone(&t), Arc::clone(&a))),
            tokio::spawn(reconcile(Arc::clone(&t), Arc::clone(&b)))
        );
        for r in [ra, rb] {
            r.unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert_eq!(w.h.api.configmaps().len(), 1);
    let orders = w.orders("kenton");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(w.events("WorkOrderIssued").len(), 1);
    let ready = ready_of(&kenton(&w, NS));
    assert_eq!(ready["reason"], "AwaitingManualStep");
    assert!(
        ready["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&orders[0].0)
    );
}

#[tokio::test]
async fn a_wrong_or_stale_confirmation_is_refused_and_changes_nothing() {
    let w = daas_world(NS).await;
    w.round(&w.replica("a")).await;
    let first = w.orders("kenton")[0].0.clone();
    let version = |w: &World| {
        w.h.api
            .configmaps()
            .values()
            .map(|m| m["metadata"]["resourceVersion"].clone())
            .collect::<Vec<_>>()
    };
    let tenant_id = format!("Tenant/{NS}/kenton");
    let refused = |w: &World, annotation: &str, expect: &str| {
        let t = kenton(w, NS);
        let ready = ready_of(&t);
        assert_eq!(ready["reason"], "ConfirmationRefused", "{ready}");
        let message = ready["message"].as_str().unwrap_or_default();
        assert!(message.contains(expect), "{expect}\n{message}");
        assert!(message.contains(&format!("fix the annotation {annotation} or remove it")));
        assert!(
            w.events("ConfirmationRefused")
                .iter()
                .any(|n| n.contains(expect)),
            "{:?}",
            w.events("ConfirmationRefused")
        );
        // The annotation stays for the person to fix.
        assert!(t.annotations().contains_key(annotation));
    };

    // A wrong id, a missing read-back value, a value the order does not ask for.
    let before = version(&w);
    let cases = [
        (
            "WO-0000000000".to_owned(),
            "code=KEN1",
            "no work order WO-0000000000 in ConfigMap customers/tenantry-workorders-kenton; open orders: ".to_owned(),
        ),
        (first.clone(), "", format!("work order {first} needs --set code=VALUE")),
        (
            first.clone(),
            "code=KEN1,prp=x",
            format!("work order {first} reads back no `prp`; it reads back: code"),
        ),
        (first.clone(), "KEN1", format!("work order {first}: \"KEN1\" is not KEY=VALUE")),
    ];
    for (id, value, expect) in cases {
        let annotation = format!("{CONFIRM_PREFIX}{id}");
        w.annotate(&tenant_id, &annotation, value);
        w.round(&w.replica("a")).await;
        refused(&w, &annotation, &expect);
        assert_eq!(
            version(&w),
            before,
            "a refused confirmation wrote the record"
        );
        remove_annotation(&w, &annotation);
    }

    // The declaration changes: the open order is stale before and after the new one is issued.
    let mut t = kenton(&w, NS);
    t.spec.billing_id = Some("RQ-20000".to_owned());
    w.h.api.add_object(&t);
    let annotation = format!("{CONFIRM_PREFIX}{first}");
    w.annotate(&tenant_id, &annotation, "code=KEN1");
    w.round(&w.replica("a")).await;
    refused(
        &w,
        &annotation,
        &format!(
            "work order {first} is stale: the plan changed since it was issued and now asks for work order WO-"
        ),
    );
    let orders = w.orders("kenton");
    assert_eq!(orders.len(), 2, "{orders:?}");
    let current = orders[1].0.clone();
    w.round(&w.replica("a")).await;
    refused(
        &w,
        &annotation,
        &format!(
            "work order {first} is stale: the plan changed since it was issued, and work order {current} replaced it"
        ),
    );
    assert!(
        w.state("kenton")["records"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );

    // The current order, confirmed: recorded, the annotation removed, Ready.
    remove_annotation(&w, &annotation);
    w.annotate(
        &tenant_id,
        &format!("{CONFIRM_PREFIX}{current}"),
        "code=KEN1",
    );
    let waiting = w.round(&w.replica("a")).await;
    assert!(waiting.is_empty(), "{waiting:?}");
    let t = kenton(&w, NS);
    assert_eq!(
        t.status
            .clone()
            .and_then(|s| s.observed.customer_code)
            .as_deref(),
        Some("KEN1")
    );
    assert!(t.annotations().is_empty(), "{:?}", t.annotations());
}

fn remove_annotation(w: &World, key: &str) {
    let mut t = kenton(w, NS);
    t.meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .remove(key);
    w.h.api.add_object(&t);
}

#[cfg(feature = "crash-points")]
#[tokio::test]
async fn a_crash_at_an_engine_point_issues_no_second_work_order() {
    for point in ["create.sent", "operation.accepted", "reconcile.applied"] {
        let ns = format!("crash-manual-{}", point.replace('.', "-"));
        let w = daas_world(&ns).await;
        let armed =
            tenantry::crash::arm(&format!("{point}:{ns}/")).unwrap_or_else(|e| panic!("{e}"));
        let crashed = tokio::spawn(reconcile(Arc::new(kenton(&w, &ns)), w.replica("a"))).await;
        drop(armed);
        assert!(
            crashed
                .as_ref()
                .is_err_and(tokio::task::JoinError::is_panic),
            "{point}: no crash: {crashed:?}"
        );
        let orders = w.orders("kenton");
        // A restart (a fresh replica, nothing in memory) finds the order, never adds one.
        for _ in 0..2 {
            w.round(&w.replica("b")).await;
        }
        let after = w.orders("kenton");
        assert_eq!(after.len(), 1, "{point}: {after:?}");
        assert!(
            orders.is_empty() || orders == after,
            "{point}: {orders:?} then {after:?}"
        );
        let ready = ready_of(&kenton(&w, &ns));
        assert_eq!(ready["reason"], "AwaitingManualStep", "{point}: {ready}");
    }
}

#[tokio::test]
async fn a_record_older_than_attest_every_is_an_attest_order_and_the_object_stays_ready() {
    let w = daas_world(NS).await;
    let tenant_id = format!("Tenant/{NS}/kenton");
    w.round(&w.replica("a")).await;
    w.human("kenton");
    assert!(w.round(&w.replica("a")).await.is_empty());
    let confirmed_at = |w: &World| {
        w.state("kenton")["records"][0]["confirmedAt"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(confirmed_at(&w).starts_with("20"), "{}", w.state("kenton"));

    // The record ages past the default 90 days.
    w.h.api.edit_configmaps(|map| {
        let text = map["data"]["work-orders.json"].as_str().unwrap_or("{}");
        let mut state: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        state["records"][0]["confirmedAt"] = json!("2020-01-01T00:00:00Z");
        map["data"]["work-orders.json"] = json!(state.to_string());
    });
    let waiting = w.round(&w.replica("a")).await;
    assert!(
        waiting.is_empty(),
        "an Attest order leaves it Ready: {waiting:?}"
    );
    let orders = w.orders("kenton");
    assert_eq!(orders.len(), 2, "{orders:?}");
    let (attest, state) = &orders[1];
    assert_eq!(state, "open");
    let t = kenton(&w, NS);
    let lines = t.status.clone().unwrap_or_default().work_orders;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("{attest} attest daas/customers customers/kenton")),
        "{lines:?}"
    );
    let issued = w.events("WorkOrderIssued");
    assert_eq!(issued.len(), 2, "{issued:?}");
    assert!(
        issued[1].contains(&format!("{attest} attest")),
        "{issued:?}"
    );
    // Another pass issues nothing more.
    w.round(&w.replica("b")).await;
    assert_eq!(w.orders("kenton").len(), 2);
    assert_eq!(w.events("WorkOrderIssued").len(), 2);

    // Confirmed (nothing to read back): the record's date is renewed, the order closed.
    w.annotate(&tenant_id, &format!("{CONFIRM_PREFIX}{attest}"), "");
    assert!(w.round(&w.replica("a")).await.is_empty());
    assert!(
        !confirmed_at(&w).starts_with("2020"),
        "{}",
        w.state("kenton")
    );
    assert!(w.orders("kenton").iter().all(|(_, s)| s == "confirmed"));
    let t = kenton(&w, NS);
    assert!(t.status.clone().unwrap_or_default().work_orders.is_empty());
    // The values read back stay as they were.
    let recorded = w.state("kenton")["records"][0]["object"]["status"]["code"].clone();
    assert!(recorded.is_string());
    assert_eq!(
        t.status
            .and_then(|s| s.observed.customer_code)
            .map(Value::String),
        Some(recorded)
    );
}

#[tokio::test]
async fn the_cluster_role_grants_every_configmap_call_the_controller_makes() {
    let w = daas_world(NS).await;
    w.round(&w.replica("a")).await;
    w.human("kenton");
    w.round(&w.replica("a")).await;
    let verbs: BTreeSet<&str> =
        w.h.api
            .calls()
            .iter()
            .filter(|c| c.path.contains("/configmaps"))
            .map(|c| match c.method.as_str() {
                "GET" if c.query.contains("watch") => "watch",
                "GET" if !c.path.contains("/configmaps/") => "list",
                "GET" => "get",
                "POST" => "create",
                "PUT" => "update",
                "PATCH" => "patch",
                _ => "delete",
            })
            .collect();
    assert!(
        verbs.contains("create") && verbs.contains("update"),
        "{verbs:?}"
    );
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/rbac.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut granted = BTreeSet::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let doc = serde_yaml::Value::deserialize(doc).unwrap_or_else(|e| panic!("{e}"));
        if doc["kind"] != "ClusterRole" {
            continue;
        }
        for rule in doc["rules"].as_sequence().into_iter().flatten() {
            let core = rule["apiGroups"]
                .as_sequence()
                .is_some_and(|g| g.iter().any(|g| g == ""));
            let maps = rule["resources"]
                .as_sequence()
                .is_some_and(|r| r.iter().any(|r| r == "configmaps"));
            if core && maps {
                granted.extend(
                    rule["verbs"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                );
            }
        }
    }
    for verb in verbs {
        assert!(
            granted.contains(verb),
            "manifests/rbac.yaml lacks configmaps {verb}"
        );
    }
}

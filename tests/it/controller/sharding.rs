//! Sharding across replicas: two real `tenantry controller --shards 4` processes against the
//! scale bench's fake Kubernetes API server (shared by `#[path]`) and the real sandbox.
//! They split the shard Leases, each reconciles only its Tenants (the Events say who wrote),
//! a `kill -9` of one hands its shards to the other within the Lease duration, every Tenant
//! exists once in the portal, and the two together stay within the connection's budget.

#[path = "../../../benches/scale/kube_api.rs"]
mod kube_api;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry::controller::shard_of;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use kube_api::{ApiServer, Info};

const SHARDS: u32 = 4;
const NS: &str = "customers";
const SYSTEM: &str = "tenantry-system";
const LEASE: &str = "tenantry-controller";
/// The connection's budget: requests per second and burst.
const RPS: u32 = 10;
const BURST: u32 = 10;
/// Seconds a Lease stays valid (the controller's `leader::DURATION`).
const LEASE_SECONDS: u64 = 20;
/// Upper bound of every wait that is not the takeover (shared, slow machines).
const WAIT: Duration = Duration::from_secs(180);

/// A controller process, killed when dropped.
struct Replica {
    child: Child,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, identity: &str) -> Replica {
    let log = std::fs::File::create(dir.join(format!("{identity}.log")))
        .unwrap_or_else(|e| panic!("log file: {e}"));
    let err = log.try_clone().unwrap_or_else(|e| panic!("log file: {e}"));
    let child = Command::new(assert_cmd::cargo::cargo_bin!("tenantry"))
        .args([
            "controller",
            "--shards",
            &SHARDS.to_string(),
            "--identity",
            identity,
            "--lease-namespace",
            SYSTEM,
            "--listen",
            "127.0.0.1:0",
            "--resync",
            "3600",
        ])
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .env_remove("TENANTRY_PORTAL")
        .env_remove("TENANTRY_PORTAL_TOKEN")
        .env_remove("POD_NAMESPACE")
        .env("RUST_LOG", "tenantry=info")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start tenantry controller: {e}"));
    Replica { child }
}

fn kubeconfig(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"{url}\"}}\n\
         users:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: fake, namespace: {SYSTEM}}}\n\
         current-context: fake\n"
    )
}

/// The `default` PortalConnection to the sandbox, with a small budget, and its token.
fn cluster(sandbox_url: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "portalconnections",
            json!({"apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
                   "metadata": {"name": "default", "uid": "uid-connection"},
                   "spec": {"url": sandbox_url,
                            "credentialsSecretRef": {"namespace": SYSTEM, "name": "portal-token"},
                            "rateLimit": {"requestsPerSecond": RPS, "burst": BURST, "maxConcurrency": 8}}}),
        ),
        (
            "secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": "portal-token", "namespace": SYSTEM, "uid": "uid-token"},
                   // base64 of "sharding-portal-token"
                   "data": {"token": "c2hhcmRpbmctcG9ydGFsLXRva2Vu"}}),
        ),
    ]
}

/// A CloudLink Tenant as the API server stores it (finalizer already present: the fake
/// server does not apply finalizer patches).
fn tenant(i: usize) -> Value {
    let name = format!("customer-{i:02}");
    json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{name}"), "generation": 1,
                     "creationTimestamp": "2026-01-01T00:00:00Z",
                     "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {
            "displayName": format!("Customer {i:02}"),
            "contact": {"name": "Jane Roe", "email": "jane@example.com", "phone": "+15555550100"},
            "billingId": format!("RQ-{i:05}"),
            "domains": [format!("customer-{i:02}.example.com")],
            "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"},
            "businessType": "Manufacturing",
            "supportContacts": [
                {"role": "Maintainer", "name": "Max Maintainer", "email": "max@example.com"},
                {"role": "OnsiteAdmin", "name": "Olga Onsite", "email": "olga@example.com"}
            ],
            "portals": ["cloudlink"]
        }
    })
}

/// Holder of each shard whose Lease is unexpired now.
fn holders(server: &ApiServer) -> BTreeMap<u32, String> {
    let now = jiff::Timestamp::now();
    server
        .leases()
        .iter()
        .filter_map(|l| {
            let name = l["metadata"]["name"].as_str()?;
            let shard: u32 = name
                .strip_prefix(&format!("{LEASE}-shard-"))?
                .parse()
                .ok()?;
            let holder = l["spec"]["holderIdentity"].as_str()?;
            let renewed: jiff::Timestamp = l["spec"]["renewTime"].as_str()?.parse().ok()?;
            let seconds = l["spec"]["leaseDurationSeconds"].as_i64()?;
            let expiry = renewed
                .checked_add(jiff::SignedDuration::from_secs(seconds))
                .ok()?;
            (expiry > now).then(|| (shard, holder.to_owned()))
        })
        .collect()
}

/// Names of the Tenants whose `Ready` condition is `True`.
fn ready(server: &ApiServer) -> BTreeSet<String> {
    server
        .items("tenants")
        .iter()
        .filter(|t| {
            t["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
        .filter_map(|t| t["metadata"]["name"].as_str().map(str::to_owned))
        .collect()
}

/// Polls `check` every 250 ms until it gives a value, or fails after `limit` with `what`.
async fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < limit, "{what} not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// (object name, reporting replica) of every portal-write Event about a Tenant.
fn writers(server: &ApiServer) -> Vec<(String, String, String)> {
    server
        .events()
        .iter()
        .filter(|e| e["action"] == "PortalWrite" && e["regarding"]["kind"] == "Tenant")
        .filter_map(|e| {
            Some((
                e["regarding"]["name"].as_str()?.to_owned(),
                e["reportingInstance"].as_str()?.to_owned(),
                e["reason"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_the_shards_and_one_takes_over_after_a_kill() {
    let sandbox = Arc::new(
        Sandbox::start(SandboxConfig::default())
            .await
            .unwrap_or_else(|e| panic!("sandbox: {e}")),
    );
    let info = Info {
        objects: 0,
        secrets: 1,
        concurrency: 8,
        lease: true,
    };
    let server = ApiServer::new(cluster(&sandbox.url()), info, Arc::new(|_| Value::Null));
    let url = server
        .clone()
        .serve()
        .await
        .unwrap_or_else(|e| panic!("fake API server: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    std::fs::write(dir.path().join("kubeconfig"), kubeconfig(&url))
        .unwrap_or_else(|e| panic!("kubeconfig: {e}"));
    let logs = dir.path().to_path_buf();
    let show_logs = move || {
        for r in ["replica-a", "replica-b"] {
            let log = std::fs::read_to_string(logs.join(format!("{r}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- {r} (last lines, newest first)\n{}", tail.join("\n"));
        }
    };

    let mut a = start(dir.path(), "replica-a");
    let _b = start(dir.path(), "replica-b");

    // 1. The replicas split the shards: two each, every shard held.
    let split = wait_for(WAIT, "a fair split of the shard Leases", || {
        let h = holders(&server);
        let per: BTreeMap<&String, usize> = h.values().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r).or_default() += 1;
            m
        });
        (h.len() == SHARDS as usize && per.len() == 2 && per.values().all(|n| *n == 2))
            .then_some(h.clone())
    })
    .await;
    eprintln!("shards: {split:?}");

    // 2. A first batch converges, each Tenant written by the holder of its shard only.
    let first: Vec<usize> = (0..24).collect();
    let seq_before = sandbox.requests().last().map_or(0, |r| r.seq);
    for i in &first {
        server.insert("tenants", tenant(*i));
    }
    let names = |is: &[usize]| -> BTreeSet<String> {
        is.iter().map(|i| format!("customer-{i:02}")).collect()
    };
    let want = names(&first);
    let check = || ready(&server).is_superset(&want).then_some(());
    if tokio::time::timeout(WAIT, wait_for(WAIT, "the first batch Ready", check))
        .await
        .is_err()
    {
        show_logs();
        panic!("the first batch did not converge");
    }
    let mut by_replica: BTreeMap<String, usize> = BTreeMap::new();
    for (name, replica, _) in writers(&server) {
        let shard = shard_of(NS, &name, SHARDS);
        assert_eq!(
            Some(&replica),
            split.get(&shard),
            "{name} (shard {shard}) was written by {replica}, not by its shard's holder"
        );
        *by_replica.entry(replica).or_default() += 1;
    }
    assert_eq!(
        by_replica.len(),
        2,
        "both replicas reconcile a share: {by_replica:?}"
    );

    // 3. A second batch, and replica-a killed with SIGKILL while it works on it.
    let second: Vec<usize> = (24..36).collect();
    for i in &second {
        server.insert("tenants", tenant(*i));
    }
    a.child
        .kill()
        .unwrap_or_else(|e| panic!("kill -9 replica-a: {e}"));
    let _ = a.child.wait();
    let killed = Instant::now();
    let takeover = Duration::from_secs(LEASE_SECONDS + 40);
    wait_for(takeover, "replica-b holding every shard", || {
        let h = holders(&server);
        (h.len() == SHARDS as usize && h.values().all(|r| r == "replica-b")).then_some(())
    })
    .await;
    eprintln!("takeover after {:?}", killed.elapsed());
    let all: Vec<usize> = (0..36).collect();
    let want = names(&all);
    let check = || ready(&server).is_superset(&want).then_some(());
    if tokio::time::timeout(WAIT, wait_for(WAIT, "every Tenant Ready", check))
        .await
        .is_err()
    {
        show_logs();
        panic!("not every Tenant converged after the takeover");
    }

    // 4. Exactly once: one CloudLink account per Tenant, none twice.
    for name in &want {
        let n = sandbox
            .count_objects("cloudlink", "accounts", &format!("{NS}/{name}"))
            .await;
        assert_eq!(n, 1, "{name} has {n} portal accounts");
    }
    let created: BTreeMap<String, usize> = writers(&server)
        .into_iter()
        .filter(|(_, _, reason)| reason == "Created")
        .fold(BTreeMap::new(), |mut m, (name, _, _)| {
            *m.entry(name).or_default() += 1;
            m
        });
    assert!(
        created.values().all(|n| *n <= 1),
        "a Tenant was created twice: {created:?}"
    );

    // 5. The two replicas together stayed within the connection's budget: in any second,
    // at most burst + rate requests (the token bucket's bound).
    let mut per_second: BTreeMap<u64, u32> = BTreeMap::new();
    for r in sandbox.requests().iter().filter(|r| r.seq > seq_before) {
        *per_second.entry(r.received_ms / 1000).or_default() += 1;
    }
    // And over any five seconds, the burst plus five seconds' rate.
    for start in per_second.keys() {
        let five: u32 = per_second.range(start..&(start + 5)).map(|(_, n)| n).sum();
        assert!(
            five <= 5 * RPS + BURST,
            "{five} requests in the 5 s from second {start}; the budget allows {}",
            5 * RPS + BURST
        );
    }
    let busiest = per_second.values().copied().max().unwrap_or(0);
    eprintln!("requests per second: {per_second:?}");
    assert!(
        busiest <= RPS + BURST,
        "the replicas together sent {busiest} requests in one second; the budget allows {}",
        RPS + BURST
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_selector_limits_what_the_replica_reconciles() {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let mut objects = cluster(&sandbox.url());
    for (i, shard) in [(0, "eu"), (1, "us"), (2, "eu"), (3, "us")] {
        let mut t = tenant(i);
        t["metadata"]["labels"] = json!({"tenantry.dev/shard": shard});
        objects.push(("tenants", t));
    }
    let info = Info {
        objects: 4,
        secrets: 1,
        concurrency: 8,
        lease: false,
    };
    let server = ApiServer::new(objects, info, Arc::new(|_| Value::Null));
    let url = server
        .clone()
        .serve()
        .await
        .unwrap_or_else(|e| panic!("fake API server: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    std::fs::write(dir.path().join("kubeconfig"), kubeconfig(&url))
        .unwrap_or_else(|e| panic!("kubeconfig: {e}"));
    let _eu = Replica {
        child: Command::new(assert_cmd::cargo::cargo_bin!("tenantry"))
            .args([
                "controller",
                "--no-leader-election",
                "--shard-selector",
                "tenantry.dev/shard=eu",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("KUBECONFIG", dir.path().join("kubeconfig"))
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tenantry controller: {e}")),
    };
    let eu: BTreeSet<String> = ["customer-00", "customer-02"].map(str::to_owned).into();
    wait_for(WAIT, "the eu Tenants Ready", || {
        ready(&server).is_superset(&eu).then_some(())
    })
    .await;
    // The us Tenants were never listed: no status, no portal account, no Event.
    assert_eq!(ready(&server), eu);
    for name in ["customer-01", "customer-03"] {
        let n = sandbox
            .count_objects("cloudlink", "accounts", &format!("{NS}/{name}"))
            .await;
        assert_eq!(n, 0, "{name} is outside the selector but has {n} accounts");
    }
    assert!(
        writers(&server)
            .iter()
            .all(|(name, _, _)| eu.contains(name))
    );
}

#[tokio::test]
async fn shards_need_leader_election() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let run = crate::support::run_binary(
        dir.path(),
        &["controller", "--shards", "2", "--no-leader-election"],
        |_| {},
    )
    .await;
    // A usage error: 1 (clap's 2 means "changes" for `plan`).
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("--no-leader-election"), "{}", run.all());
}

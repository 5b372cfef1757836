//! The crash-point matrix over the vendor emulators (issue 15, RELIABILITY.md "Crash points"):
//! the examples applied through `examples/connections/emulators.yaml` (every vendor API
//! delegated from the contract `default`), the real binary killed at each engine point on each
//! kind a vendor adapter writes, plain reruns until `plan` is empty, and then each emulator
//! counted through its own state: one Partner Center customer per tenant and one order each,
//! one Graph user per UPN, one ConnectToTeams enterprise per name, each CloudLink tag and admin
//! user once. The human steps (CloudLink accounts made in the Accounts portal, Meridian's
//! existing Microsoft tenant already a customer) are done before the first apply, so that one
//! rerun can converge; the waits that stay (consent, gateway appliances) are no change.

mod census;
mod controller;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use serde_json::json;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use crate::support::{Run, examples_copy, run_binary, sandbox};
use crate::vendors::control;
use census::Census;

/// Every kind a vendor adapter writes in the examples. TCR's `apps/campaigns` is left out: its
/// adapter adopts the registered campaign and never writes, so no point fires there.
const VENDOR_KINDS: [&str; 6] = [
    "daas/azure-ad/",
    "daas/microsoft-online/",
    "daas/admins/",
    "teammate/enterprises/",
    "cloudlink/accounts/",
    "cloudlink/gateways/",
];

/// The vendor kinds whose write leaves an operation to poll (a pending Partner Center
/// customer or order, a consent, a gateway appliance): `operation.accepted` fires there.
const ASYNC_KINDS: [&str; 4] = [
    "daas/azure-ad/",
    "daas/microsoft-online/",
    "teammate/enterprises/",
    "cloudlink/gateways/",
];

/// The vendor kinds a prune deletes through the vendor's API (Partner Center and CloudLink
/// accounts are deleted by a person; Graph users are pruned only while declared, see
/// docs/providers.md).
const DELETABLE_KINDS: [&str; 2] = ["teammate/enterprises/", "cloudlink/gateways/"];

/// Cases run at once (each has its own sandbox).
const AT_ONCE: usize = 4;

/// Reruns allowed to converge; one is what it takes today.
const MAX_RERUNS: usize = 3;

/// The emulators' default address in the example file.
const ADDRESS: &str = "http://127.0.0.1:8480";

const APPLY: [&str; 6] = [
    "apply",
    "-f",
    "examples/",
    "-f",
    "examples/connections/emulators.yaml",
    "--auto-approve",
];
const PLAN: [&str; 5] = [
    "plan",
    "-f",
    "examples/",
    "-f",
    "examples/connections/emulators.yaml",
];

/// One case's sandbox, with the human steps done, and its copy of the examples.
struct Case {
    sb: Sandbox,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    name: String,
}

impl Case {
    async fn new(name: String) -> Self {
        let sb = sandbox(SandboxConfig::default()).await;
        crate::vendors::customers_approve_gdap_at_once(&sb).await;
        // What people do outside tenantry: the CloudLink accounts in Mitel's Accounts portal,
        // and Meridian's existing Microsoft tenant accepted the reseller relationship.
        for account in ["Kenton Electronics", "Meridian Dental Group"] {
            control(&sb, "/sandbox/mitel/accounts", &json!({"name": account})).await;
        }
        control(
            &sb,
            "/sandbox/pc/customers",
            &json!({"tenantId": "3f2b9c1e-5d4a-4e8b-9a7c-0d1e2f3a4b5c",
                    "domain": "meridiandental.onmicrosoft.com",
                    "companyName": "Meridian Dental Group"}),
        )
        .await;
        let (tmp, examples) = examples_copy();
        let file = examples.join("connections/emulators.yaml");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains(ADDRESS), "the example names {ADDRESS}");
        std::fs::write(&file, text.replace(ADDRESS, &sb.url())).unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path().to_path_buf();
        Self {
            sb,
            _tmp: tmp,
            dir,
            name,
        }
    }

    fn examples(&self) -> PathBuf {
        self.dir.join("examples")
    }

    /// `tenantry ARGS` with the input's connections, `crash` set when given.
    async fn run(&self, args: &[&str], crash: Option<&str>) -> Run {
        let crash = crash.map(str::to_owned);
        run_binary(&self.dir, args, move |command| {
            command
                .env_remove("TENANTRY_PORTAL")
                .env_remove("TENANTRY_PORTAL_TOKEN")
                .env_remove("TENANTRY_CRASH")
                .env_remove("TENANTRY_CRASH_SEED");
            if let Some(crash) = crash {
                command.env("TENANTRY_CRASH", crash);
            }
        })
        .await
    }

    /// Runs `args` with `crash` set and asserts the process died there, on `kind`.
    async fn crash(&self, args: &[&str], crash: &str, kind: &str) {
        let run = self.run(args, Some(crash)).await;
        let line = (run.status.signal() == Some(libc::SIGABRT))
            .then(|| {
                run.stderr
                    .lines()
                    .find(|l| l.starts_with("tenantry: crash point "))
            })
            .flatten()
            .unwrap_or_else(|| panic!("{}: did not die at the point\n{}", self.name, run.all()));
        let point = crash.split(':').next().unwrap_or_default();
        assert!(
            line.starts_with(&format!("tenantry: crash point {point} hit ")) && line.contains(kind),
            "{}: {line}",
            self.name
        );
    }

    /// Reruns `args` (no crash) until `plan` reports no changes; every rerun must succeed.
    async fn converge(&self, args: &[&str], plan: &[&str]) {
        for rerun in 1..=MAX_RERUNS {
            let run = self.run(args, None).await;
            assert_eq!(
                run.code,
                0,
                "{}: rerun {rerun} failed\n{}",
                self.name,
                run.all()
            );
            let check = self.run(plan, None).await;
            if check.code == 0 {
                assert!(check.stdout.contains("No changes."), "{}", check.stdout);
                return;
            }
        }
        let last = self.run(plan, None).await;
        panic!(
            "{}: not converged after {MAX_RERUNS} reruns\n{}",
            self.name,
            last.all()
        );
    }

    /// The vendors' state, with no identity counted twice.
    async fn census(&self) -> Census {
        let census = census::take(&self.sb).await;
        let duplicates = census.duplicates();
        assert!(
            duplicates.is_empty(),
            "{}: duplicates {duplicates:#?}\n{census:#?}",
            self.name
        );
        census
    }
}

/// The census of the examples fully applied: what every crash case must end with.
fn expected_after_apply(census: &Census) -> Vec<String> {
    let mut missing = Vec::new();
    let mut want = |ok: bool, what: &str| {
        if !ok {
            missing.push(what.to_owned());
        }
    };
    for name in ["Kenton Electronics", "Meridian Dental Group"] {
        want(census.pc_customers.get(name) == Some(&1), name);
        want(census.pc_orders.get(name) == Some(&1), name);
    }
    want(census.pc_customers.len() == 2, "two PC customers");
    for upn in [
        "jroe@kenton-electronics.example",
        "marcus.chen@kenton-labs.example",
        "sokafor@meridian-dental.example",
    ] {
        want(census.graph_users.get(upn) == Some(&1), upn);
    }
    want(census.graph_users.len() == 3, "three Graph users");
    for name in ["Bluewater Logistics Ltd", "Meridian Dental Group"] {
        want(census.c2t_enterprises.get(name) == Some(&1), name);
    }
    want(census.c2t_enterprises.len() == 2, "two enterprises");
    for name in ["Kenton Electronics", "Meridian Dental Group"] {
        for tag in ["tenantry", "tenantry-gateway"] {
            let key = format!("{name} {tag}");
            want(census.mitel_tags.get(&key) == Some(&1), &key);
        }
    }
    // One ACCOUNT_ADMIN user per admin contact (Kenton 1, Meridian 2).
    want(census.mitel_users.len() == 3, "three CloudLink users");
    missing
}

/// One apply case: crash at `point` on `kind`, converge, count.
async fn apply_case(point: &str, kind: &str) {
    let case = Case::new(format!("TENANTRY_CRASH={point}:{kind} (emulators)")).await;
    case.crash(&APPLY, &format!("{point}:{kind}"), kind).await;
    case.converge(&APPLY, &PLAN).await;
    let census = case.census().await;
    let missing = expected_after_apply(&census);
    assert!(
        missing.is_empty(),
        "{}: {missing:?}\n{census:#?}",
        case.name
    );
}

/// Runs `cases` (point, kind) at most [`AT_ONCE`] at a time.
async fn matrix(cases: Vec<(&'static str, &'static str)>) {
    futures::stream::iter(cases)
        .map(|(point, kind)| apply_case(point, kind))
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_vendor_write_survives_a_crash_after_it_was_sent_or_before_its_step() {
    let mut cases = Vec::new();
    for kind in VENDOR_KINDS {
        cases.push(("create.sent", kind));
        cases.push(("apply.step", kind));
    }
    for kind in ASYNC_KINDS {
        cases.push(("operation.accepted", kind));
    }
    matrix(cases).await;
}

/// The examples with their tenants' objects deleted from the portals when pruned.
fn deletable(examples: &Path) {
    crate::support::edit(
        &examples.join("customers/kenton-electronics/tenant.yaml"),
        "deletionPolicy: Orphan",
        "deletionPolicy: Delete",
    );
    for customer in ["meridian-dental", "bluewater-logistics"] {
        let path = examples.join(format!("customers/{customer}/tenant.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("{}\n  deletionPolicy: Delete\n", text.trim_end());
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Removes the ConnectToTeams and CloudLink gateway bindings from the input (the tenants and
/// the rest stay).
fn without_vendor_bindings(examples: &Path) {
    for customer in [
        "kenton-electronics",
        "meridian-dental",
        "bluewater-logistics",
    ] {
        let path = examples.join(format!("customers/{customer}/services.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let kept: Vec<&str> = text
            .split("\n---\n")
            .filter(|doc| {
                !doc.lines().any(|l| {
                    l.starts_with("  name: ")
                        && (l.ends_with("-teams") || l.ends_with("-cloudlink"))
                })
            })
            .collect();
        std::fs::write(&path, kept.join("\n---\n")).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A prune case: apply everything, drop the vendor bindings, prune with `delete.sent` on
/// `kind`, converge, and find them gone from the emulators with nothing else touched.
async fn prune_case(kind: &str) {
    let case = Case::new(format!(
        "TENANTRY_CRASH=delete.sent:{kind} (emulators, prune)"
    ))
    .await;
    deletable(&case.examples());
    let setup = case.run(&APPLY, None).await;
    assert_eq!(setup.code, 0, "{}: setup\n{}", case.name, setup.all());
    without_vendor_bindings(&case.examples());
    let mut prune = APPLY.to_vec();
    prune.extend(["--prune", "--max-delete-share", "1"]);
    let mut plan = PLAN.to_vec();
    plan.push("--prune");
    case.crash(&prune, &format!("delete.sent:{kind}"), kind)
        .await;
    case.converge(&prune, &plan).await;
    let census = case.census().await;
    assert!(
        census.c2t_enterprises.is_empty(),
        "{}: {census:#?}",
        case.name
    );
    for name in ["Kenton Electronics", "Meridian Dental Group"] {
        assert_eq!(
            census.mitel_tags.get(&format!("{name} tenantry-gateway")),
            None,
            "{}: {census:#?}",
            case.name
        );
        assert_eq!(
            census.mitel_tags.get(&format!("{name} tenantry")),
            Some(&1),
            "{}: the account stays: {census:#?}",
            case.name
        );
    }
    assert_eq!(census.graph_users.len(), 3, "{}: {census:#?}", case.name);
    assert_eq!(census.pc_customers.len(), 2, "{}: {census:#?}", case.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_vendor_delete_survives_a_crash_after_it_was_sent() {
    futures::stream::iter(DELETABLE_KINDS)
        .map(prune_case)
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<()>>()
        .await;
}

//! Issue 16, the `manual` provider through the binary: the examples with the DaaS,
//! contact-center and apps portals on a manual connection (a delegate of the contract
//! connection `default`, which keeps teammate and cloudlink on the sandbox). Plan lists the
//! work orders, apply reports them waiting, the sandbox human confirms them, and the run
//! converges with the read-back values as outputs; reruns, crashes and wrong confirmations
//! never make a second order or change the record.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use tenantry::sandbox::{Sandbox, SandboxConfig};

use crate::canary::canary;
use crate::seam::{secret_manifest, write};
use crate::support::{Run, edit, example_secrets, examples_copy, sandbox, tenantry_in};

/// The examples in a private directory, routed as the module doc says.
struct Setup {
    sb: Sandbox,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    token: String,
}

async fn setup() -> Setup {
    let sb = sandbox(SandboxConfig::default().with_time_scale(0.0001)).await;
    let (tmp, examples) = examples_copy();
    let dir = examples
        .parent()
        .unwrap_or_else(|| panic!("no parent"))
        .to_path_buf();
    let token = canary("ManualToken");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: default}}\n\
         spec:\n  url: {}\n  portals: [teammate, cloudlink]\n  delegates: [{{name: manual}}]\n\
         \x20 credentialsSecretRef: {{namespace: tenantry-system, name: portal-token, key: token}}\n---\n\
         apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {{name: manual}}\n\
         spec:\n  api: manual\n  portals: [daas, contactcenter, apps]\n---\n{}",
        sb.url(),
        secret_manifest("tenantry-system", "portal-token", "token", &token),
    );
    write(&examples.join("connection.yaml"), &text);
    Setup {
        sb,
        _tmp: tmp,
        dir,
        token,
    }
}

impl Setup {
    async fn run(&self, args: &[&str], code: i32) -> Run {
        let out = tenantry_in(&self.dir, args).await;
        assert_eq!(out.code, code, "tenantry {args:?}\n{}", out.all());
        self.no_secret(&out);
        out
    }

    fn no_secret(&self, run: &Run) {
        let mut secrets = example_secrets();
        secrets.push(self.token.clone());
        for s in &secrets {
            assert!(
                !run.all().contains(s.as_str()),
                "a secret leaked: {}",
                run.all()
            );
        }
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join(".tenantry/work-orders.json")
    }

    /// The state file as it is now (empty when absent).
    fn state(&self) -> String {
        std::fs::read_to_string(self.state_path()).unwrap_or_default()
    }

    /// Every order the state holds: (id, state, address).
    fn orders(&self) -> Vec<(String, String, String)> {
        let text = self.state();
        if text.is_empty() {
            return Vec::new();
        }
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        value["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                let f = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (
                    f(&o["order"]["id"]),
                    f(&o["state"]),
                    f(&o["order"]["address"]),
                )
            })
            .collect()
    }

    /// The ids of the work orders `plan -o json` lists.
    async fn planned(&self) -> BTreeSet<String> {
        let plan = tenantry_in(&self.dir, &["plan", "-f", "examples/", "-o", "json"]).await;
        assert!(plan.code == 0 || plan.code == 2, "{}", plan.all());
        let value: Value =
            serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {}", plan.stdout));
        value["workOrders"]
            .as_array()
            .unwrap_or_else(|| panic!("no workOrders: {}", plan.stdout))
            .iter()
            .map(|o| o["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Apply, then the human, until nothing waits; returns the rounds it took.
    async fn converge(&self) -> usize {
        for round in 1..=5 {
            let apply = self.run(&APPLY, 0).await;
            if apply.stdout.contains("Apply finished: nothing to do.") {
                return round;
            }
            self.run(&["sandbox", "human"], 0).await;
        }
        panic!("not converged after 5 rounds");
    }
}

const APPLY: [&str; 4] = ["apply", "-f", "examples/", "--auto-approve"];

#[tokio::test]
async fn the_examples_converge_through_work_orders_the_sandbox_human_confirms() {
    let s = setup().await;
    let text = s.run(&["plan", "-f", "examples/"], 2).await;
    assert!(
        text.stdout
            .contains("Work orders this apply would issue (28;"),
        "{}",
        text.stdout
    );
    let planned = s.planned().await;
    assert_eq!(planned.len(), 28, "{planned:?}");
    let markdown = s
        .run(&["plan", "-f", "examples/", "-o", "markdown"], 2)
        .await;
    assert!(
        markdown.stdout.contains("## Work orders (28)"),
        "{}",
        markdown.stdout
    );

    let apply = s.run(&APPLY, 0).await;
    assert!(
        apply.stdout.contains(
            "create daas/customers/customers/kenton-electronics: AwaitingManualStep: work order WO-"
        ),
        "{}",
        apply.stdout
    );
    // Dependants wait for their parent's order.
    assert!(
        apply.stdout.contains(
            "create daas/admins/customers/jroe: skipped: waits for daas/customers/customers/kenton-electronics (still AwaitingManualStep)"
        ),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("work order(s) wait for a person"));

    s.converge().await;
    // Every order the rounds issued is one the first plan listed, and the other way round.
    let issued: BTreeSet<String> = s.orders().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(issued, planned);
    assert!(
        s.orders().iter().all(|(_, state, _)| state == "confirmed"),
        "{:?}",
        s.orders()
    );
    let open = s.run(&["workorders", "-o", "json"], 0).await;
    assert!(
        open.stdout.contains("\"workOrders\": []"),
        "{}",
        open.stdout
    );

    // Observed from the record: the next plan is empty, with the values read back.
    let plan = s.run(&["plan", "-f", "examples/"], 0).await;
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    for output in [
        "customerCode = KEN",
        "personnelId = prpbwlAdmin",
        "onmicrosoftDomain = kentonelectronics.onmicrosoft.com",
    ] {
        assert!(plan.stdout.contains(output), "{output}\n{}", plan.stdout);
    }
    assert!(!plan.stdout.contains("Work orders this apply would issue"));
    // Nothing of the manual portals reached the contract sandbox.
    assert_eq!(
        s.sb.count_objects("daas", "customers", "customers/kenton-electronics")
            .await,
        0
    );
}

#[tokio::test]
async fn a_rerun_issues_no_second_work_order_and_a_lost_record_re_asks_the_same_orders() {
    let s = setup().await;
    s.run(&APPLY, 0).await;
    let first = s.orders();
    assert_eq!(first.len(), 14, "{first:?}");
    s.run(&APPLY, 0).await;
    assert_eq!(s.orders(), first, "a rerun issued another order");

    s.converge().await;
    let issued: BTreeSet<String> = s.orders().into_iter().map(|(id, _, _)| id).collect();
    let objects = s.sb.object_count().await;
    // The record is lost: the plan asks for the same orders again (look it up first, then
    // confirm), never for new ones, and nothing is created anywhere by it.
    std::fs::remove_file(s.state_path()).unwrap_or_else(|e| panic!("{e}"));
    let asked = s.planned().await;
    assert!(asked.is_subset(&issued), "{asked:?} vs {issued:?}");
    s.run(&APPLY, 0).await;
    let orders = s.run(&["workorders"], 0).await;
    assert!(
        orders.stdout.contains("First look it up in the portal"),
        "{}",
        orders.stdout
    );
    assert_eq!(s.sb.object_count().await, objects);
}

#[tokio::test]
async fn a_wrong_or_stale_confirmation_is_refused_and_changes_nothing() {
    let s = setup().await;
    s.run(&APPLY, 0).await;
    let before = s.state();

    let missing = s
        .run(&["sandbox", "human", "--mistake", "missing-value"], 1)
        .await;
    assert!(
        missing
            .stderr
            .contains("confirmation refused, nothing was recorded: work order WO-"),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("needs --set code=VALUE"),
        "{}",
        missing.stderr
    );
    let unknown = s
        .run(&["sandbox", "human", "--mistake", "unknown-id"], 1)
        .await;
    assert!(
        unknown.stderr.contains("no work order WO-0000000000"),
        "{}",
        unknown.stderr
    );
    let customer = s
        .orders()
        .into_iter()
        .find(|(_, _, a)| a == "daas/customers/customers/kenton-electronics")
        .map(|(id, _, _)| id)
        .unwrap_or_else(|| panic!("no customer order"));
    let extra = s
        .run(
            &[
                "confirm",
                &customer,
                "--set",
                "code=KE1234",
                "--set",
                "colour=blue",
            ],
            1,
        )
        .await;
    assert!(
        extra
            .stderr
            .contains("reads back no `colour`; it reads back: code"),
        "{}",
        extra.stderr
    );
    assert_eq!(
        s.state(),
        before,
        "a refused confirmation changed the record"
    );

    // The declaration changes: a confirmation checked against the plan computed now is
    // refused before any apply; the next apply issues a new order and the old one is stale.
    edit(
        &s.dir
            .join("examples/customers/kenton-electronics/tenant.yaml"),
        "billingId: ",
        "billingId: X",
    );
    let changed = s
        .run(
            &[
                "confirm",
                &customer,
                "--set",
                "code=KE1234",
                "-f",
                "examples/",
            ],
            1,
        )
        .await;
    assert!(
        changed.stderr.contains(&format!(
            "work order {customer} is stale: the plan changed since it was issued and now asks for work order WO-"
        )),
        "{}",
        changed.stderr
    );
    assert_eq!(s.state(), before, "a stale confirmation changed the record");
    s.run(&APPLY, 0).await;
    let current = s
        .orders()
        .into_iter()
        .find(|(_, state, a)| state == "open" && a == "daas/customers/customers/kenton-electronics")
        .map(|(id, _, _)| id)
        .unwrap_or_else(|| panic!("no new order: {:?}", s.orders()));
    assert_ne!(current, customer);
    let before = s.state();
    let stale = s
        .run(&["confirm", &customer, "--set", "code=KE1234"], 1)
        .await;
    assert!(
        stale.stderr.contains(&format!(
            "work order {customer} is stale: the plan changed since it was issued, and work order {current} replaced it"
        )),
        "{}",
        stale.stderr
    );
    assert!(stale.stderr.contains("hint: "), "{}", stale.stderr);
    s.run(&["sandbox", "human", "--mistake", "stale"], 1).await;
    assert_eq!(s.state(), before, "a stale confirmation changed the record");

    let ok = s
        .run(
            &["confirm", &current, "--set", "code=KE1234", "--by", "jane"],
            0,
        )
        .await;
    assert!(
        ok.stdout.contains(&format!("Confirmed {current}")),
        "{}",
        ok.stdout
    );
    assert!(ok.stdout.contains("by jane: code=KE1234"), "{}", ok.stdout);
    let again = s
        .run(&["confirm", &current, "--set", "code=KE1234"], 1)
        .await;
    assert!(
        again.stderr.contains("already confirmed by jane"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn a_changed_declaration_is_an_update_order_of_the_changed_fields_only() {
    let s = setup().await;
    s.converge().await;
    let code = |plan: &str| {
        plan.lines()
            .find(|l| l.contains("customerCode = KEN"))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no customer code: {plan}"))
    };
    let before = code(&s.run(&["plan", "-f", "examples/"], 0).await.stdout);
    edit(
        &s.dir
            .join("examples/customers/kenton-electronics/tenant.yaml"),
        "billingId: ",
        "billingId: X",
    );
    let plan = s.run(&["plan", "-f", "examples/", "-o", "json"], 2).await;
    let value: Value = serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}"));
    let orders = value["workOrders"].as_array().cloned().unwrap_or_default();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["action"], "update");
    assert_eq!(
        orders[0]["values"],
        serde_json::json!([{"field": "billingId", "label": "Billing Identifier",
                            "value": "XRQ-10042", "was": "RQ-10042"}])
    );
    let apply = s.run(&APPLY, 0).await;
    assert!(
        apply
            .stdout
            .contains("update daas/customers/customers/kenton-electronics: AwaitingManualStep"),
        "{}",
        apply.stdout
    );
    let text = s.run(&["workorders"], 0).await.stdout;
    assert!(text.contains("Change (old → new):"), "{text}");
    assert!(
        text.contains("1. Billing Identifier: RQ-10042 → XRQ-10042\n\nThen:"),
        "{text}"
    );
    s.converge().await;
    let after = s.run(&["plan", "-f", "examples/"], 0).await.stdout;
    assert!(after.contains("No changes."), "{after}");
    assert_eq!(
        code(&after),
        before,
        "the customer code read back at creation is kept"
    );
}

/// `tenantry apply` in `dir` dying at `crash` (the crash-point feature).
#[cfg(feature = "crash-points")]
async fn crashing(dir: &std::path::Path, crash: String) -> Run {
    crate::support::run_binary(dir, &APPLY, move |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN")
            .env_remove("TENANTRY_CRASH_SEED")
            .env("TENANTRY_CRASH", crash);
    })
    .await
}

#[cfg(feature = "crash-points")]
#[tokio::test]
async fn a_crash_at_an_engine_point_never_issues_a_second_work_order() {
    use std::os::unix::process::ExitStatusExt;
    for (point, kind) in [
        ("create.sent", "daas/customers/"),
        ("operation.accepted", "contactcenter/tenants/"),
        ("apply.step", "apps/licenses/"),
    ] {
        let s = setup().await;
        let planned = s.planned().await;
        let crashed = crashing(&s.dir, format!("{point}:{kind}")).await;
        assert_eq!(
            crashed.status.signal(),
            Some(libc::SIGABRT),
            "{point}:{kind}\n{}",
            crashed.all()
        );
        s.converge().await;
        let orders = s.orders();
        let ids: BTreeSet<String> = orders.iter().map(|(id, _, _)| id.clone()).collect();
        assert_eq!(ids.len(), orders.len(), "{point}:{kind}: {orders:?}");
        assert_eq!(ids, planned, "{point}:{kind}: another order than planned");
        let plan = s.run(&["plan", "-f", "examples/"], 0).await;
        assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    }
}

#[tokio::test]
async fn a_work_order_names_every_value_in_the_portal_s_words_and_no_secret() {
    let s = setup().await;
    s.run(&APPLY, 0).await;
    let all = s.run(&["workorders"], 0).await.stdout;
    let pick = |address: &str| -> String {
        all.split("\n### ")
            .find(|o| o.contains(address))
            .map(|o| format!("### {}", o.trim_end()))
            .unwrap_or_else(|| panic!("no order for {address}: {all}"))
    };
    insta::assert_snapshot!(
        "work_order_daas_customer",
        pick("customer `customers/kenton-electronics`")
    );
    insta::assert_snapshot!(
        "work_order_contact_center_tenant",
        pick("tenant `customers/bluewater-logistics-contact-center`")
    );
    let json = s.run(&["workorders", "-o", "json"], 0).await.stdout;
    let value: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["formatVersion"], 1);
    assert!(
        json.contains("\"label\": \"Minimum Password Length\""),
        "{json}"
    );
    assert!(!json.contains("Fingerprint"), "{json}");
}

#[test]
fn the_manual_steps_page_quotes_the_rendered_work_orders() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/manual-steps.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    for snap in [
        "daas_customer",
        "contact_center_tenant",
        "daas_customer_attest",
    ] {
        let path = root.join(format!(
            "tests/it/snapshots/it__manual__work_order_{snap}.snap"
        ));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let body = text.splitn(3, "---\n").nth(2).unwrap_or_default().trim();
        assert!(
            page.contains(body),
            "docs/manual-steps.md does not quote {}; copy it in",
            path.display()
        );
    }
}

#[tokio::test]
async fn each_issued_work_order_is_a_notification_event_once() {
    let s = setup().await;
    let notify = [
        "apply",
        "-f",
        "examples/",
        "--auto-approve",
        "--notify=print",
    ];
    let first = s.run(&notify, 0).await;
    let events: Vec<Value> = first
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &Value| e["type"] == "WorkOrder")
        .collect();
    let issued = s.orders();
    assert_eq!(events.len(), issued.len(), "{}", first.stderr);
    for (id, _, address) in &issued {
        assert!(
            events.iter().any(|e| e["address"] == address.as_str()
                && e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(id.as_str())),
            "no event for {id} ({address}): {}",
            first.stderr
        );
    }
    // The same orders give the same event ids: a sink deduplicates a rerun's.
    let again = s.run(&notify, 0).await;
    let ids = |text: &str| -> BTreeSet<String> {
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["type"] == "WorkOrder")
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (a, b) = (ids(&first.stderr), ids(&again.stderr));
    assert!(
        b.is_subset(&a),
        "a rerun's orders are the same events: {a:?} {b:?}"
    );
}

impl Setup {
    /// Backdates every record's confirmation (a record kept since then), as a clock would.
    fn backdate_records(&self, at: &str) {
        let mut value: Value =
            serde_json::from_str(&self.state()).unwrap_or_else(|e| panic!("{e}"));
        for record in value["records"].as_array_mut().into_iter().flatten() {
            record["confirmedAt"] = Value::String(at.to_owned());
        }
        write(
            &self.state_path(),
            &serde_json::to_string_pretty(&value).unwrap_or_default(),
        );
    }

    /// `confirmedAt` of every record.
    fn confirmed_dates(&self) -> Vec<String> {
        let value: Value = serde_json::from_str(&self.state()).unwrap_or_else(|e| panic!("{e}"));
        value["records"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["confirmedAt"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_record_older_than_attest_every_is_an_attest_order_and_confirming_it_renews_the_date() {
    let s = setup().await;
    s.converge().await;
    let records = s.confirmed_dates().len();
    assert!(records > 0);
    assert!(
        s.confirmed_dates().iter().all(|d| d.starts_with("20")),
        "confirming records the date: {:?}",
        s.confirmed_dates()
    );
    s.backdate_records("2020-01-01T00:00:00Z");

    // The objects stay as they are (no change, exit 0), but the plan lists one Attest order
    // per record, with the recorded values to check.
    let plan = s.run(&["plan", "-f", "examples/"], 0).await;
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains(&format!("Work orders this apply would issue ({records};")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains(" attest daas/customers customers/kenton-electronics ("),
        "{}",
        plan.stdout
    );
    let planned = s.planned().await;
    assert_eq!(planned.len(), records);

    let apply = s.run(&APPLY, 0).await;
    assert!(
        apply.stdout.contains("Apply finished: nothing to do."),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains(&format!(
            "{records} attestation work order(s) wait for a person"
        )),
        "{}",
        apply.stdout
    );
    let attest: Vec<String> = s
        .orders()
        .into_iter()
        .filter(|(_, state, _)| state == "open")
        .map(|(id, _, _)| id)
        .collect();
    assert_eq!(
        attest.iter().cloned().collect::<BTreeSet<_>>(),
        planned,
        "apply issues the orders the plan listed"
    );
    // A rerun issues none again.
    let before = s.orders();
    s.run(&APPLY, 0).await;
    assert_eq!(s.orders(), before);

    let markdown = s.run(&["workorders"], 0).await;
    assert!(
        markdown
            .stdout
            .contains("— Attest customer `customers/kenton-electronics`"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains("Check that the portal still shows:\n\n1. Full Name: Kenton Electronics"),
        "{}",
        markdown.stdout
    );
    // The read-back values are part of what must still hold.
    assert!(
        markdown.stdout.contains("2. Code: KEN"),
        "{}",
        markdown.stdout
    );
    let customer = markdown
        .stdout
        .split("\n### ")
        .find(|o| o.contains("Attest customer `customers/kenton-electronics`"))
        .map(|o| format!("### {}", o.trim_start_matches("### ").trim_end()))
        .unwrap_or_default();
    insta::assert_snapshot!("work_order_daas_customer_attest", customer);

    // Confirming one renews its record's date; nothing is read back.
    let one = &attest[0];
    let refused = s.run(&["confirm", one, "--set", "code=X"], 1).await;
    assert!(
        refused
            .all()
            .contains("reads back no `code`; it reads back: nothing"),
        "{}",
        refused.all()
    );
    s.run(&["confirm", one, "--by", "jane"], 0).await;
    let renewed = s
        .confirmed_dates()
        .into_iter()
        .filter(|d| !d.starts_with("2020-"))
        .count();
    assert_eq!(renewed, 1, "{:?}", s.confirmed_dates());
    assert!(!s.planned().await.contains(one));

    // The human checks the rest: every record renewed, nothing left to attest.
    s.run(&["sandbox", "human"], 0).await;
    assert!(
        s.confirmed_dates().iter().all(|d| !d.starts_with("2020-")),
        "{:?}",
        s.confirmed_dates()
    );
    let plan = s.run(&["plan", "-f", "examples/"], 0).await;
    assert!(
        !plan.stdout.contains("Work orders this apply would issue"),
        "{}",
        plan.stdout
    );
}

#[tokio::test]
async fn attest_every_never_turns_attestation_off() {
    let s = setup().await;
    s.converge().await;
    s.backdate_records("2020-01-01T00:00:00Z");
    edit(
        &s.dir.join("examples/connection.yaml"),
        "  api: manual\n",
        "  api: manual\n  attestEvery: never\n",
    );
    let plan = s.run(&["plan", "-f", "examples/"], 0).await;
    assert!(
        !plan.stdout.contains("Work orders this apply would issue"),
        "{}",
        plan.stdout
    );
    // A period longer than the record's age is not due yet.
    edit(
        &s.dir.join("examples/connection.yaml"),
        "attestEvery: never",
        "attestEvery: 36500d",
    );
    let plan = s.run(&["plan", "-f", "examples/"], 0).await;
    assert!(
        !plan.stdout.contains("Work orders this apply would issue"),
        "{}",
        plan.stdout
    );
}

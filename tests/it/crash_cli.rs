//! The crash-point matrix of `tenantry apply` (issue 8, DESIGN.md §7): the real binary dies at
//! each named engine point on each resource kind, and plain reruns converge to exactly one
//! portal object per declared resource with no manual step. Runs with `--features crash-points`.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;
use tenantry::crash::{ENGINE_POINTS, Trigger};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};

use crate::support::{Run, edit, examples_copy, run_binary};

/// Every kind the examples declare (all thirteen), as the address prefix a filter matches.
const KINDS: [&str; 13] = [
    "daas/customers/",
    "daas/admins/",
    "daas/azure-ad/",
    "daas/microsoft-online/",
    "daas/citrix/",
    "daas/file-sharing/",
    "contactcenter/tenants/",
    "contactcenter/callback-folders/",
    "teammate/enterprises/",
    "apps/licenses/",
    "apps/sms-numbers/",
    "cloudlink/accounts/",
    "cloudlink/gateways/",
];

/// The kinds whose create answers 202 with an operation (the others have no such moment).
const ASYNC_KINDS: [&str; 4] = [
    "daas/azure-ad/",
    "daas/microsoft-online/",
    "contactcenter/tenants/",
    "teammate/enterprises/",
];

/// Scenarios of one matrix test run at once (each has its own sandbox).
const AT_ONCE: usize = 4;

/// Reruns allowed to converge; one is what it takes today.
const MAX_RERUNS: usize = 3;

/// The line the crash printed, if the process died at a crash point.
fn crash_line(run: &Run) -> Option<&str> {
    if run.status.signal() != Some(libc::SIGABRT) {
        return None;
    }
    run.stderr
        .lines()
        .find(|l| l.starts_with("tenantry: crash point "))
}

/// `tenantry ARGS --portal URL` in `dir` with `env` set, off the async executor.
async fn tenantry(dir: &Path, url: &str, args: &[&str], env: &[(&str, String)]) -> Run {
    let url = url.to_owned();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    run_binary(dir, args, move |command| {
        command
            .args(["--portal", &url])
            .env("TENANTRY_PORTAL_TOKEN", "test-token")
            .env_remove("TENANTRY_CRASH")
            .env_remove("TENANTRY_CRASH_SEED")
            .envs(env);
    })
    .await
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default().with_fixtures(Fixtures::demo()))
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// A portal object: (portal, kind, externalRef).
type Object = (String, String, String);

/// The objects the first plan of `dir` creates (on a fresh sandbox).
async fn declared(dir: &Path) -> Vec<Object> {
    let sb = sandbox().await;
    let plan = tenantry(
        dir,
        &sb.url(),
        &["plan", "-f", "examples/", "-o", "json"],
        &[],
    )
    .await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    let value: serde_json::Value =
        serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {}", plan.stdout));
    let objects: Vec<Object> = value["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let field = |f: &str| a[f].as_str().unwrap_or_default().to_owned();
            (field("portal"), field("kind"), field("externalRef"))
        })
        .collect();
    for kind in KINDS {
        assert!(
            objects.iter().any(|(p, k, _)| format!("{p}/{k}/") == kind),
            "the examples declare no {kind}"
        );
    }
    objects
}

/// Reruns `args` (no crash) until `plan` reports no changes; every rerun must succeed by
/// itself (no manual step). Returns how many reruns it took.
async fn converge(dir: &Path, url: &str, args: &[&str], plan: &[&str], case: &str) -> usize {
    for rerun in 1..=MAX_RERUNS {
        let run = tenantry(dir, url, args, &[]).await;
        assert_eq!(run.code, 0, "{case}: rerun {rerun} failed\n{}", run.all());
        let check = tenantry(dir, url, plan, &[]).await;
        if check.code == 0 {
            assert!(
                check.stdout.contains("No changes."),
                "{case}\n{}",
                check.stdout
            );
            return rerun;
        }
    }
    panic!("{case}: not converged after {MAX_RERUNS} reruns");
}

/// Exactly one portal object per declared resource, and nothing else.
async fn assert_one_each(sb: &Sandbox, objects: &[Object], case: &str) {
    for (portal, kind, external_ref) in objects {
        assert_eq!(
            sb.count_objects(portal, kind, external_ref).await,
            1,
            "{case}: {portal}/{kind} {external_ref}"
        );
    }
    // A pruned Tenant's GDAP relationship stays: tenantry never deletes one (Orphan).
    let declared_gdap = objects
        .iter()
        .filter(|(_, kind, _)| kind == "admin-relationships")
        .count();
    let gdap = crate::sandbox::Client::new(sb)
        .get("/v1/daas/admin-relationships?limit=500")
        .await
        .body["items"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(
        sb.object_count().await - gdap.saturating_sub(declared_gdap),
        objects.len(),
        "{case}: stray objects"
    );
}

/// Asserts the run died at `point` on `kind` and returns the crash line.
fn assert_crashed(run: &Run, point: &str, kind: &str, case: &str) -> String {
    let Some(line) = crash_line(run) else {
        panic!(
            "{case}: did not die at the crash point ({:?})\n{}",
            run.status,
            run.all()
        );
    };
    assert!(
        line.starts_with(&format!("tenantry: crash point {point} hit ")),
        "{case}: {line}"
    );
    assert!(line.contains(kind), "{case}: {line}");
    assert!(
        line.contains("replay with TENANTRY_CRASH"),
        "{case}: {line}"
    );
    line.to_owned()
}

const APPLY: [&str; 4] = ["apply", "-f", "examples/", "--auto-approve"];
const PLAN: [&str; 3] = ["plan", "-f", "examples/"];

/// Apply with `crash` set on a fresh sandbox, then converge and count.
async fn apply_case(dir: &Path, objects: &[Object], crash: (&str, String), case: &str) -> Run {
    let sb = sandbox().await;
    let url = sb.url();
    let crashed = tenantry(dir, &url, &APPLY, &[crash]).await;
    if crash_line(&crashed).is_some() {
        converge(dir, &url, &APPLY, &PLAN, case).await;
        assert_one_each(&sb, objects, case).await;
    }
    crashed
}

/// Runs `point` on every kind in `kinds` against the examples.
async fn apply_matrix(point: &'static str, kinds: &[&'static str]) {
    let (_tmp, examples) = examples_copy();
    let dir: Arc<PathBuf> = Arc::new(parent(&examples));
    let objects = Arc::new(declared(&dir).await);
    futures::stream::iter(kinds.iter().copied())
        .map(|kind| {
            let (dir, objects) = (Arc::clone(&dir), Arc::clone(&objects));
            async move {
                let case = format!("TENANTRY_CRASH={point}:{kind}");
                let crash = ("TENANTRY_CRASH", format!("{point}:{kind}"));
                let run = apply_case(&dir, &objects, crash, &case).await;
                assert_crashed(&run, point, kind, &case);
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<()>>()
        .await;
}

fn parent(examples: &Path) -> PathBuf {
    examples
        .parent()
        .unwrap_or_else(|| panic!("{} has no parent", examples.display()))
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_a_create_is_sent_converges_on_every_kind() {
    apply_matrix("create.sent", &KINDS).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_a_202_before_the_first_poll_converges_on_every_async_kind() {
    apply_matrix("operation.accepted", &ASYNC_KINDS).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_the_step_of_each_kind_converges() {
    apply_matrix("apply.step", &KINDS).await;
}

/// A copy of the examples whose customers are deleted from the portals when pruned, plus a
/// `keeper` customer that stays (a plan's prune scope is the namespaces it declares).
fn deletable_examples() -> (tempfile::TempDir, PathBuf) {
    let (tmp, examples) = examples_copy();
    edit(
        &examples.join("customers/kenton-electronics/tenant.yaml"),
        "deletionPolicy: Orphan",
        "deletionPolicy: Delete",
    );
    for customer in ["meridian-dental", "bluewater-logistics"] {
        let path = examples.join(format!("customers/{customer}/tenant.yaml"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!text.contains("deletionPolicy"), "{}", path.display());
        let text = format!("{}\n  deletionPolicy: Delete\n", text.trim_end());
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(examples.join("keeper.yaml"), KEEPER).unwrap_or_else(|e| panic!("{e}"));
    edit(
        &examples.join("kustomization.yaml"),
        "  - namespace.yaml\n",
        "  - namespace.yaml\n  - keeper.yaml\n",
    );
    (tmp, examples)
}

/// The same input with the three example customers removed (the keeper stays).
fn without_customers(examples: &Path) {
    std::fs::remove_dir_all(examples.join("customers")).unwrap_or_else(|e| panic!("{e}"));
    let path = examples.join("kustomization.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("customers/")).collect();
    std::fs::write(&path, kept.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
}

const KEEPER: &str = r#"apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata:
  name: keeper
  namespace: customers
spec:
  displayName: Keeper Inc
  contact: {name: Kim Keeper, email: kim@keeper.example, phone: "+15555550111"}
  billingId: RQ-20001
  domains: [keeper.example]
  address: {line1: 1 Keep St, city: Springfield, postalCode: "12345", country: US}
  businessType: Manufacturing
  supportContacts:
    - {role: Maintainer, name: Max Maintainer, email: max@keeper.example}
    - {role: OnsiteAdmin, name: Olga Onsite, email: olga@keeper.example}
  portals: [cloudlink]
"#;

const PRUNE: [&str; 7] = [
    "apply",
    "-f",
    "examples/",
    "--auto-approve",
    "--prune",
    "--max-delete-share",
    "1",
];
const PLAN_PRUNE: [&str; 4] = ["plan", "-f", "examples/", "--prune"];

/// Two inputs sharing one sandbox per case: the full one to set up, the pruned one to crash.
struct PruneInputs {
    _full_tmp: tempfile::TempDir,
    full: PathBuf,
    _pruned_tmp: tempfile::TempDir,
    pruned: PathBuf,
    /// Every object the full input declares (the keeper's included).
    objects: Vec<Object>,
}

impl PruneInputs {
    async fn new() -> Self {
        let (full_tmp, full) = deletable_examples();
        let (pruned_tmp, pruned) = deletable_examples();
        without_customers(&pruned);
        let objects = declared(&parent(&full)).await;
        Self {
            full: parent(&full),
            _full_tmp: full_tmp,
            pruned: parent(&pruned),
            _pruned_tmp: pruned_tmp,
            objects,
        }
    }

    /// Applies the full input, prunes with `crash` set, converges, and checks that only the
    /// keeper is left.
    async fn case(&self, crash: (&str, String), case: &str) -> Run {
        let sb = sandbox().await;
        let url = sb.url();
        let setup = tenantry(&self.full, &url, &APPLY, &[]).await;
        assert_eq!(setup.code, 0, "{case}: setup\n{}", setup.all());
        let crashed = tenantry(&self.pruned, &url, &PRUNE, &[crash]).await;
        if crash_line(&crashed).is_some() {
            converge(&self.pruned, &url, &PRUNE, &PLAN_PRUNE, case).await;
            // The keeper, and the adopted 10DLC campaigns, which a prune never deletes.
            let keeper: Vec<Object> = self
                .objects
                .iter()
                .filter(|(_, k, r)| r == "customers/keeper" || k == "campaigns")
                .cloned()
                .collect();
            assert_eq!(keeper.len(), 2, "{:?}", self.objects);
            assert_one_each(&sb, &keeper, case).await;
        }
        crashed
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_a_delete_is_sent_converges_on_every_kind() {
    let inputs = Arc::new(PruneInputs::new().await);
    futures::stream::iter(KINDS)
        .map(|kind| {
            let inputs = Arc::clone(&inputs);
            async move {
                let case = format!("TENANTRY_CRASH=delete.sent:{kind} (prune)");
                let crash = ("TENANTRY_CRASH", format!("delete.sent:{kind}"));
                let run = inputs.case(crash, &case).await;
                assert_crashed(&run, "delete.sent", kind, &case);
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<()>>()
        .await;
}

/// Seeds to run: `TENANTRY_TEST_CRASH_SEEDS=1,2,3` replays given ones; otherwise a few random.
fn seeds() -> Vec<u64> {
    if let Ok(list) = std::env::var("TENANTRY_TEST_CRASH_SEEDS") {
        return list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("TENANTRY_TEST_CRASH_SEEDS: {s:?}: {e}"))
            })
            .collect();
    }
    (0..4).map(|_| rand::random::<u64>()).collect()
}

/// Random seeds pick a point and hit; apply (or prune, for `delete.sent`) dies there, and the
/// reruns converge. A failure names the seed: `TENANTRY_TEST_CRASH_SEEDS=<seed>` replays it.
#[tokio::test(flavor = "multi_thread")]
async fn seeded_crashes_converge() {
    let seeds = seeds();
    eprintln!("crash seeds: {seeds:?} (replay with TENANTRY_TEST_CRASH_SEEDS)");
    let (_tmp, examples) = examples_copy();
    let dir = parent(&examples);
    let objects = declared(&dir).await;
    let prune = PruneInputs::new().await;
    for seed in seeds {
        let trigger = Trigger::from_seed(seed);
        assert!(ENGINE_POINTS.contains(&trigger.point.as_str()));
        let case = format!(
            "seed {seed} ({}@{}; replay with TENANTRY_TEST_CRASH_SEEDS={seed})",
            trigger.point, trigger.hit
        );
        let crash = ("TENANTRY_CRASH_SEED", seed.to_string());
        let run = if trigger.point == "delete.sent" {
            prune.case(crash, &case).await
        } else {
            apply_case(&dir, &objects, crash, &case).await
        };
        let line = assert_crashed(&run, &trigger.point, "", &case);
        assert!(
            line.contains(&format!(" hit {} ", trigger.hit))
                && line.ends_with(&format!("replay with TENANTRY_CRASH_SEED={seed}")),
            "{case}: {line}"
        );
    }
}

/// The same seed dies at the same point, hit and place again (one step at a time, so the
/// order of hits is fixed).
#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_replays_the_same_crash() {
    let seed = std::iter::repeat_with(rand::random::<u64>)
        .find(|s| Trigger::from_seed(*s).point != "delete.sent")
        .unwrap_or_default();
    let (_tmp, examples) = examples_copy();
    let dir = parent(&examples);
    let mut lines = Vec::new();
    for _ in 0..2 {
        let sb = sandbox().await;
        let mut args = APPLY.to_vec();
        args.extend(["--parallelism", "1"]);
        let run = tenantry(
            &dir,
            &sb.url(),
            &args,
            &[("TENANTRY_CRASH_SEED", seed.to_string())],
        )
        .await;
        let case = format!("seed {seed}");
        lines.push(assert_crashed(
            &run,
            &Trigger::from_seed(seed).point,
            "",
            &case,
        ));
    }
    assert_eq!(lines[0], lines[1], "seed {seed}");
}

//! Values the portals generate are reported by the CLI, like Terraform outputs (issue 14,
//! item 1): the apply report, the text plan and the plan JSON.

use std::path::Path;

use serde_json::Value;

use crate::support::{Run, examples_copy, run_binary};

/// `tenantry ARGS` in `dir` against the embedded sandbox (state in `dir/.tenantry`).
async fn embedded(dir: &Path, args: &[&str]) -> Run {
    run_binary(dir, args, |command| {
        command
            .env_remove("TENANTRY_PORTAL")
            .env_remove("TENANTRY_PORTAL_TOKEN");
    })
    .await
}

/// The `name = value` lines under `object:` in the block that starts with `title`.
fn outputs_of<'a>(text: &'a str, title: &str, object: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(title))
        .take_while(|l| !l.trim().is_empty())
        .skip_while(|l| l.trim() != format!("{object}:"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(str::trim)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_and_plan_report_the_generated_code_domain_and_personnel_id() {
    let (tmp, _) = examples_copy();
    let apply = embedded(tmp.path(), &["apply", "-f", "examples/", "--auto-approve"]).await;
    assert_eq!(apply.code, 0, "{}", apply.all());
    let title = "Outputs (values the portals generated for what this apply created or changed):";
    assert!(apply.stdout.contains(title), "{}", apply.stdout);

    // Kenton declares no code: the portal generated one, and the apply says which.
    let kenton = outputs_of(&apply.stdout, title, "Tenant customers/kenton-electronics");
    let code = kenton
        .iter()
        .find_map(|l| l.strip_prefix("customerCode = "))
        .unwrap_or_else(|| panic!("no customer code in {kenton:?}\n{}", apply.stdout));
    assert!(!code.is_empty());
    assert_eq!(
        outputs_of(
            &apply.stdout,
            title,
            "ServiceBinding customers/kenton-electronics-azure-ad"
        ),
        ["onmicrosoftDomain = kentonelectronics.onmicrosoft.com"],
        "{}",
        apply.stdout
    );
    assert_eq!(
        outputs_of(
            &apply.stdout,
            title,
            "ServiceBinding customers/bluewater-logistics-contact-center"
        ),
        ["personnelId = prpbwlAdmin"],
        "{}",
        apply.stdout
    );

    // A converged plan has no changes and still shows them, in text and JSON.
    let plan = embedded(tmp.path(), &["plan", "-f", "examples/"]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let plan_title = "Outputs (values the portals generated):";
    assert_eq!(
        outputs_of(
            &plan.stdout,
            plan_title,
            "Tenant customers/kenton-electronics"
        )
        .iter()
        .find_map(|l| l.strip_prefix("customerCode = ")),
        Some(code),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("    onmicrosoftDomain = kentonelectronics.onmicrosoft.com\n"),
        "{}",
        plan.stdout
    );

    let json = embedded(tmp.path(), &["plan", "-f", "examples/", "-o", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.all());
    let doc: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("plan JSON: {e}\n{}", json.stdout));
    let output = |object: &str, name: &str| -> Option<String> {
        doc["outputs"].as_array()?.iter().find_map(|o| {
            (o["declaredBy"]["name"] == object && o["name"] == name)
                .then(|| o["value"].as_str().map(str::to_owned))
                .flatten()
        })
    };
    assert_eq!(
        output("kenton-electronics", "customerCode").as_deref(),
        Some(code)
    );
    assert_eq!(
        output("kenton-electronics-azure-ad", "onmicrosoftDomain").as_deref(),
        Some("kentonelectronics.onmicrosoft.com")
    );
    assert_eq!(
        output("bluewater-logistics-contact-center", "personnelId").as_deref(),
        Some("prpbwlAdmin")
    );
    let kenton = doc["outputs"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == "customerCode"))
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(
        kenton["address"],
        "daas/customers/customers/kenton-electronics"
    );
    assert_eq!(kenton["declaredBy"]["kind"], "Tenant");
    assert_eq!(kenton["tenant"], "customers/kenton-electronics");
    assert!(kenton["id"].as_str().is_some_and(|id| !id.is_empty()));
}

//! `tenantry validate` on the real binary: exit codes, text and JSON output, every invalid example.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;

fn tenantry() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("tenantry");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs `tenantry validate ARGS` and returns (exit code, stdout, stderr).
fn validate(args: &[&str]) -> (i32, String, String) {
    let output = tenantry()
        .arg("validate")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_examples_are_valid() {
    let (code, stdout, stderr) = validate(&["-f", "examples/"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("0 errors, "), "{stdout}");
    assert!(summary.ends_with("in 24 objects (12 files)"), "{stdout}");
}

/// What each file of examples/invalid/ must report: (rule, object, field).
///
/// The loader catches the first group; the rest are the portal rules of `validate`.
const INVALID: &[(&str, &str, &str, &str)] = &[
    (
        "customer-type",
        "type-error",
        "Tenant customer-type/acme",
        "spec.type",
    ),
    (
        "missing-name",
        "missing-name",
        "Tenant missing-name/",
        "metadata.name",
    ),
    (
        "type-error",
        "type-error",
        "ServiceBinding type-error/acme-teams",
        "spec.teamsConnector.userLimit",
    ),
    (
        "unknown-kind",
        "unknown-kind",
        "Customer unknown-kind/acme",
        "kind",
    ),
    (
        "wrong-api-version",
        "api-version",
        "Tenant wrong-api-version/acme",
        "apiVersion",
    ),
    ("yaml-syntax", "yaml-syntax", "Tenant yaml-syntax/acme", ""),
    (
        "duplicate-key",
        "duplicate-key",
        "Tenant duplicate-key/acme",
        "spec",
    ),
    // The namespace is the typo: the object is shown where it would have gone.
    (
        "metadata-typo",
        "unknown-field",
        "Tenant default/acme",
        "metadata.namspace",
    ),
    // Portal rules (src/validate).
    (
        "weak-password",
        "password-policy",
        "TenantAdmin weak-password/alovelace",
        "spec.passwordSecretRef",
    ),
    (
        "password-contains-username",
        "password-policy",
        "TenantAdmin password-contains-username/alovelace",
        "spec.passwordSecretRef",
    ),
    (
        "upn-domain",
        "upn-domain",
        "TenantAdmin upn-domain/alovelace",
        "spec.upnDomain",
    ),
    (
        "bad-email",
        "email-syntax",
        "TenantAdmin bad-email/alovelace",
        "spec.externalEmail",
    ),
    (
        "bad-domain",
        "domain-syntax",
        "Tenant bad-domain/acme",
        "spec.domains[0]",
    ),
    (
        "contact-center-name",
        "contact-center-name",
        "ServiceBinding contact-center-name/acme-contact-center",
        "spec.contactCenter.name",
    ),
    (
        "ani",
        "phone-syntax",
        "ServiceBinding ani/acme-contact-center",
        "spec.contactCenter.ani",
    ),
    (
        "duplicate-teammate-email",
        "duplicate-admin-email",
        "ServiceBinding duplicate-teammate-email/globex-teams",
        "spec.teamsConnector.adminEmail",
    ),
    (
        "pbx-without-type",
        "pbx-type",
        "ServiceBinding pbx-without-type/acme-teams",
        "spec.teamsConnector.pbxTypes",
    ),
    (
        "no-sbc-region",
        "sbc-region",
        "ServiceBinding no-sbc-region/acme-teams",
        "spec.teamsConnector.sbcRegions",
    ),
    (
        "cloudlink-contacts",
        "cloudlink-support-contacts",
        "Tenant cloudlink-contacts/acme",
        "spec.supportContacts",
    ),
    (
        "cloudlink-business-type",
        "cloudlink-business-type",
        "Tenant cloudlink-business-type/acme",
        "spec.businessType",
    ),
    (
        "sms-us-campaign",
        "sms-10dlc-campaign",
        "ServiceBinding sms-us-campaign/acme-sms",
        "spec.sms.campaignId",
    ),
    (
        "unknown-tenant",
        "tenant-ref",
        "ServiceBinding unknown-tenant/acme-citrix",
        "spec.tenantRef.name",
    ),
    (
        "dependency-cycle",
        "dependency-cycle",
        "ServiceBinding dependency-cycle/acme-citrix",
        "spec.dependsOn",
    ),
    (
        "two-services",
        "service-block",
        "ServiceBinding two-services/acme-workspace",
        "spec",
    ),
    (
        "duplicate-name",
        "duplicate-object",
        "Tenant duplicate-name/acme",
        "metadata.name",
    ),
];

/// Every file in examples/invalid/ exits 1 and names file, object and field, with only its
/// own rule among the errors (each file shows one rule).
#[test]
fn every_invalid_example_is_caught() {
    let table: BTreeMap<&str, (&str, &str, &str)> = INVALID
        .iter()
        .map(|(file, rule, object, field)| (*file, (*rule, *object, *field)))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/invalid");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for name in &files {
        let stem = name.trim_end_matches(".yaml");
        let Some((rule, object, field)) = table.get(stem) else {
            failures.push(format!("{name}: not in the INVALID table of this test"));
            continue;
        };
        let path = format!("examples/invalid/{name}");
        let (code, stdout, _) = validate(&["-f", &path]);
        let wanted = if field.is_empty() {
            format!(": {object}: ")
        } else {
            format!(": {object}: {field}: ")
        };
        let hit = stdout.lines().any(|line| {
            line.starts_with(&format!("{path}:"))
                && line.contains(&wanted)
                && line.ends_with(&format!("[{rule}]"))
        });
        let other_errors: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with(&path) && !l.contains(": warning: "))
            .filter(|l| !l.ends_with(&format!("[{rule}]")))
            .collect();
        if code != 1 || !hit || !other_errors.is_empty() {
            failures.push(format!(
                "{name}: exit {code}, want 1 and `{path}:LINE{wanted}... [{rule}]` only; got:\n{stdout}"
            ));
        }
    }
    let missing: Vec<&&str> = table
        .keys()
        .filter(|k| !files.contains(&format!("{k}.yaml")))
        .collect();
    assert!(
        missing.is_empty(),
        "table entries without a file: {missing:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_output_snapshots() {
    for name in [
        "customer-type",
        "yaml-syntax",
        "unknown-kind",
        "missing-name",
        "duplicate-key",
        "metadata-typo",
    ] {
        let path = format!("examples/invalid/{name}.yaml");
        let (code, stdout, _) = validate(&["-f", &path]);
        assert_eq!(code, 1);
        insta::assert_snapshot!(format!("invalid_{}", name.replace('-', "_")), stdout);
    }
}

#[test]
fn json_output_follows_the_documented_schema() {
    let (code, stdout, _) = validate(&[
        "-f",
        "examples/",
        "examples/invalid/type-error.yaml",
        "examples/invalid/yaml-syntax.yaml",
        "--output",
        "json",
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["apiVersion"], "tenantry.dev/validate/v1");
    for key in ["objects", "files", "errors", "warnings"] {
        assert!(report[key].is_u64(), "{key}: {report}");
    }
    assert_eq!(report["files"], 14);
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    let errors = problems.iter().filter(|p| p["severity"] == "error").count();
    assert_eq!(report["errors"].as_u64(), Some(errors as u64));
    assert_eq!(
        report["warnings"].as_u64(),
        Some((problems.len() - errors) as u64)
    );
    let keys = [
        "file",
        "line",
        "kind",
        "namespace",
        "name",
        "field",
        "rule",
        "severity",
        "message",
    ];
    for problem in &problems {
        let object = problem.as_object().unwrap_or_else(|| panic!("{problem}"));
        let mut got: Vec<&str> = object.keys().map(String::as_str).collect();
        got.sort_unstable();
        let mut want = keys.to_vec();
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(problem["line"].is_u64());
        assert!(["error", "warning"].contains(&problem["severity"].as_str().unwrap_or_default()));
    }
    let type_error = problems
        .iter()
        .find(|p| p["rule"] == "type-error")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(type_error["file"], "examples/invalid/type-error.yaml");
    assert_eq!(type_error["line"], 20);
    assert_eq!(type_error["kind"], "ServiceBinding");
    assert_eq!(type_error["namespace"], "type-error");
    assert_eq!(type_error["name"], "acme-teams");
    assert_eq!(type_error["field"], "spec.teamsConnector.userLimit");
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/invalid/wrong-api-version.yaml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = tenantry()
        .args(["validate", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout.starts_with("<stdin>:2: Tenant wrong-api-version/acme: apiVersion: "),
        "{stdout}"
    );
}

#[test]
fn a_missing_path_exits_1_and_says_what_to_do() {
    let (code, stdout, stderr) = validate(&["-f", "examples/", "no/such/dir"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("cannot read no/such/dir"), "{stderr}");
    assert!(stderr.contains("check that the path exists"), "{stderr}");
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().display().to_string();
    let (code, stdout, _) = validate(&["-f", &path]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("[no-manifests]"), "{stdout}");
    assert!(
        stdout.ends_with("0 errors, 1 warning in 0 objects (0 files)\n"),
        "{stdout}"
    );
}

/// A typo in a top-level key (`stauts:`, `sepc:`, a Secret's `stringdata:`) is refused on its
/// line with the key it meant, as `kubectl apply` refuses it, instead of being ignored.
#[test]
fn an_unknown_top_level_key_is_refused_on_its_line() {
    let text = "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: a, namespace: t}\n\
                stauts: {}\nspec:\n  displayName: A\n---\napiVersion: v1\nkind: Secret\n\
                metadata: {name: s, namespace: t}\nstringdata: {password: x}\n---\n\
                apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\n\
                metadata: {name: b, namespace: t}\nstatus: {}\nspec:\n  displayName: B\n";
    let output = tenantry()
        .args(["validate", "-f", "-"])
        .write_stdin(text)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "<stdin>:4: Tenant t/a: stauts: not a top-level field (did you mean `status`?)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "<stdin>:11: Secret t/s: stringdata: not a top-level field (did you mean `stringData`?)"
        ),
        "{stdout}"
    );
    // `status` (the controller's, in `kubectl get -o yaml` output) stays allowed.
    assert!(!stdout.contains("Tenant t/b: status"), "{stdout}");
}

/// Runs `tenantry validate -f - --output json` on `input`; returns the exit code and the
/// problems as (line, object name, field, rule), in report order.
fn validate_json(input: &str) -> (i32, Vec<(u64, String, String, String)>) {
    let output = tenantry()
        .args(["validate", "-f", "-", "--output", "json"])
        .write_stdin(input.to_owned())
        .output()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let problems = report["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or_default().to_owned();
            (
                p["line"].as_u64().unwrap_or_default(),
                text("name"),
                text("field"),
                text("rule"),
            )
        })
        .collect();
    (output.status.code().unwrap_or(-1), problems)
}

const TEAMS_TENANT: &str = "apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: acme, namespace: every}
spec:
  displayName: Acme Widgets
  contact: {name: Ada Lovelace, email: ada@acme-widgets.example}
  domains: [acme-widgets.example]
  portals: [teammate]
";

/// serde stops at a spec's first error; validate reports the missing field and then the
/// portal rules of the rest of the object (issue 14 item 5).
#[test]
fn a_binding_missing_sbc_regions_and_pbx_types_reports_both() {
    let input = format!(
        "{TEAMS_TENANT}---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: acme-teams, namespace: every}}
spec:
  tenantRef: {{name: acme}}
  teamsConnector:
    adminEmail: m365-admin@acme-widgets.example
    services: [PBX, Trunk]
"
    );
    let (code, problems) = validate_json(&input);
    assert_eq!(code, 1, "{problems:?}");
    let want = [
        (10, "acme-teams", "spec.teamsConnector.pbxTypes", "pbx-type"),
        (
            16,
            "acme-teams",
            "spec.teamsConnector.sbcRegions",
            "type-error",
        ),
    ];
    let got: Vec<(u64, &str, &str, &str)> = problems
        .iter()
        .map(|(l, n, f, r)| (*l, n.as_str(), f.as_str(), r.as_str()))
        .collect();
    // sbcRegions once: the rule sbc-region does not repeat the missing field.
    assert_eq!(got, want);
    let output = tenantry()
        .args(["validate", "-f", "-"])
        .write_stdin(input)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(
            "<stdin>:16: ServiceBinding every/acme-teams: spec.teamsConnector.sbcRegions: \
             required field is missing [type-error]"
        ),
        "{text}"
    );
    assert!(
        text.contains("ServiceBinding every/acme-teams: spec.teamsConnector.pbxTypes: ")
            && text.contains("[pbx-type]"),
        "{text}"
    );
    assert!(
        text.ends_with("2 errors, 0 warnings in 1 object (1 file)\n"),
        "{text}"
    );
}

/// A wrong enum value, a wrong type and an unknown field in one spec: three problems, each
/// on its own line, none twice; the admin of the broken tenant is not judged by placeholders.
#[test]
fn three_schema_errors_in_one_spec_are_three_problems() {
    let input = "apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: acme, namespace: every}
spec:
  displayName: Acme Widgets
  type: Premium
  contact:
    name: Ada Lovelace
    email: ada@acme-widgets.example
    fax: \"+15555550100\"
  domains: acme-widgets.example
  portals: [daas]
---
apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {name: alovelace, namespace: every}
spec:
  tenantRef: {name: acme}
  firstName: Ada
  lastName: Lovelace
  upnDomain: acme-widgets.example
  externalEmail: ada.lovelace@example.net
  generatePassword: true
";
    let (code, problems) = validate_json(input);
    assert_eq!(code, 1, "{problems:?}");
    let errors: Vec<(u64, &str, &str)> = problems
        .iter()
        .filter(|(_, name, _, _)| name == "acme")
        .map(|(l, _, f, r)| (*l, f.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (6, "spec.type", "type-error"),
            (10, "spec.contact.fax", "type-error"),
            (11, "spec.domains", "type-error"),
        ]
    );
    // The admin only hears that its tenant is declared but invalid (a warning).
    let admin: Vec<&str> = problems
        .iter()
        .filter(|(_, name, _, _)| name == "alovelace")
        .map(|(_, _, _, rule)| rule.as_str())
        .collect();
    assert_eq!(admin, ["tenant-invalid"], "{problems:?}");
}

/// Where serde and the schema find the same fault, it is reported once, as before.
#[test]
fn a_single_type_error_is_reported_once() {
    for name in ["customer-type", "type-error"] {
        let path = format!("examples/invalid/{name}.yaml");
        let (code, stdout, _) = validate(&["-f", &path]);
        assert_eq!(code, 1);
        let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with(&path)).collect();
        assert_eq!(lines.len(), 1, "{stdout}");
        assert!(stdout.contains("\n1 error, 0 warnings in "), "{stdout}");
    }
}

/// A password pasted where a Secret reference belongs is never echoed: the type error says
/// what was expected and that the value is not shown, in text and JSON.
#[test]
fn a_value_in_a_field_about_a_secret_is_never_quoted() {
    let canary = "Canary-Pasted-Password-4711";
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: TenantAdmin\nmetadata: {{name: a, namespace: t}}\n\
         spec:\n  tenantRef: {{name: x}}\n  firstName: A\n  lastName: B\n  upnDomain: x.com\n  \
         externalEmail: a@b.com\n  passwordSecretRef: \"{canary}\"\n"
    );
    for format in ["text", "json"] {
        let output = tenantry()
            .args(["validate", "-f", "-", "--output", format])
            .write_stdin(text.clone())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(all.contains("spec.passwordSecretRef"), "{all}");
        assert!(all.contains("not shown"), "{all}");
        assert!(
            !all.contains(canary),
            "the pasted password was echoed: {all}"
        );
    }
}

/// An accepted deviation's expiry and kind are checked where they are written (issue 17).
#[test]
fn an_accepted_deviation_with_an_unreadable_expiry_or_kind_is_refused() {
    let input = format!(
        "{TEAMS_TENANT}  acceptedDeviations:
    - field: billingId
      value: X
      reason: finance
      expires: next tuesday
    - field: billingId
      kind: daas/customer
      value: X
      reason: finance
      expires: \"2027-01-31\"
"
    );
    let (code, problems) = validate_json(&input);
    assert_eq!(code, 1, "{problems:?}");
    let fields: Vec<(&str, &str)> = problems
        .iter()
        .map(|(_, _, field, rule)| (field.as_str(), rule.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("spec.acceptedDeviations[0].expires", "accepted-deviation"),
            ("spec.acceptedDeviations[1].kind", "accepted-deviation"),
        ]
    );
    assert!(problems.iter().all(|(line, ..)| *line > 0), "{problems:?}");
}

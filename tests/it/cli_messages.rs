//! What `tenantry validate` says about bad input, through the binary: every problem of an
//! object, the line of the problem, and the user's words (no Rust type names, no prefix twice).

const TENANT: &str = "apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata: {name: acme, namespace: t}
spec:
  displayName: Acme
  contact: {name: Ada, email: ada@acme.example}
  domains: [acme.example]
  portals: [daas, teammate]
";

/// Runs `tenantry validate -f -` on `input`; returns (exit code, stdout and stderr).
fn validate(input: &str) -> (i32, String) {
    let output = assert_cmd::cargo::cargo_bin_cmd!("tenantry")
        .args(["validate", "-f", "-"])
        .write_stdin(input.to_owned())
        .output()
        .unwrap_or_else(|e| panic!("cannot run tenantry: {e}"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

/// A Tenant whose spec has `line` added.
fn tenant_with(line: &str) -> String {
    format!("{TENANT}  {line}\n")
}

fn binding(block: &str) -> String {
    format!(
        "{TENANT}---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: b, namespace: t}}
spec:
  tenantRef: {{name: acme}}
  {block}
"
    )
}

/// Bad inputs, one mistake each, for the kinds of message the loader produces.
fn corpus() -> Vec<(&'static str, String)> {
    let meta = "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\n";
    vec![
        ("negative u32", tenant_with("passwordPolicy: {minLength: -3}")),
        ("text for u32", tenant_with("passwordPolicy: {minLength: abc}")),
        ("fraction for u32", tenant_with("passwordPolicy: {minLength: 8.5}")),
        ("list for a struct", tenant_with("address: [1]")),
        ("text for a struct", tenant_with("address: somewhere")),
        ("list for spec", format!("{meta}metadata: {{name: a}}\nspec: [1, 2]\n")),
        ("text for spec", format!("{meta}metadata: {{name: a}}\nspec: hello\n")),
        ("empty spec", format!("{meta}metadata: {{name: a}}\nspec:\n")),
        ("a list document", "- a\n- b\n".to_owned()),
        ("a text document", "just text\n".to_owned()),
        ("unknown enum value", tenant_with("type: Bogus")),
        ("list for an enum", tenant_with("type: [Standard]")),
        ("mapping for an enum", tenant_with("type: {a: 1}")),
        ("unknown field", tenant_with("bogus: 1")),
        ("number for a bool", tenant_with("dnsZone: 7")),
        ("text for a bool", tenant_with("dnsZone: maybe")),
        ("mapping for text", tenant_with("billingId: {a: 1}")),
        ("list for text", tenant_with("billingId: [1]")),
        ("list for labels", format!("{meta}metadata: {{name: a, labels: [x]}}\nspec: {{}}\n")),
        ("list for metadata", format!("{meta}metadata: [1]\nspec: {{}}\n")),
        ("mapping for kind", "apiVersion: v1\nkind: {a: 1}\nmetadata: {name: a}\n".to_owned()),
        ("u32 overflow", binding("teamsConnector: {adminEmail: a@acme.example, sbcRegions: [UsEast], services: [Trunk], userLimit: 99999999999}")),
        ("negative limit", binding("teamsConnector: {adminEmail: a@acme.example, sbcRegions: [UsEast], services: [Trunk], userLimit: -1}")),
        ("number for an enum", binding("azureAD: {mode: 7}")),
        ("text for a reference", binding("microsoftOnline: {}").replace("tenantRef: {name: acme}", "tenantRef: acme")),
        ("empty reference", binding("microsoftOnline: {}").replace("{name: acme}", "{name: \"\"}")),
        ("list of text for structs", tenant_with("supportContacts: [hello]")),
        ("Secret data of a list", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: t}\ndata: {password: [1]}\n".to_owned()),
        ("connection url of a list", "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\nmetadata: {name: c}\nspec: {url: [1], rateLimit: abc}\n".to_owned()),
        ("text for a bool of an admin", format!("{TENANT}---\napiVersion: tenantry.dev/v1alpha1\nkind: TenantAdmin\nmetadata: {{name: ad, namespace: t}}\nspec: {{tenantRef: {{name: acme}}, firstName: A, lastName: B, upnDomain: acme.example, externalEmail: x@y.example, generatePassword: yes}}\n")),
        ("YAML syntax", tenant_with("billingId: [a")),
        ("merge key", tenant_with("contact2: &c {name: A}\n  address:\n    <<: *c")),
        ("control character", tenant_with("billingId: a\u{7}b")),
    ]
}

/// Rust's words: type names and paths that mean nothing to someone writing YAML.
const RUST_ISMS: &[&str] = &[
    "u8", "u16", "u32", "u64", "i32", "i64", "usize", "f64", "struct ", "enum ", "Vec<", "Option<",
    "::", "sequence", "a map,", "YAML tag",
];

#[test]
fn messages_use_the_users_words_and_each_prefix_once() {
    let mut failures = Vec::new();
    let cases = corpus();
    for (name, input) in &cases {
        let (code, output) = validate(input);
        if code != 1 {
            failures.push(format!("{name}: exit {code}, want 1:\n{output}"));
        }
        for line in output.lines() {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '<' || c == ':'))
                .collect();
            let rust = RUST_ISMS.iter().find(|r| {
                if r.chars().all(char::is_alphanumeric) {
                    words.contains(r)
                } else {
                    line.contains(*r)
                }
            });
            if let Some(r) = rust {
                failures.push(format!("{name}: `{r}` in: {line}"));
            }
            let parts: Vec<&str> = line.split(": ").collect();
            if let Some(w) = parts.windows(2).find(|w| {
                let next = w[1].split_whitespace().next().unwrap_or_default();
                !w[0].is_empty() && (w[0] == w[1] || w[0].ends_with(next) && next.contains('.'))
            }) {
                failures.push(format!("{name}: `{}` twice in: {line}", w[0]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} inputs; problems:\n{}",
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn merge_keys_are_not_supported_rather_than_unknown() {
    let input = tenant_with("address:\n    <<: {line1: 1 Main St, city: Springfield, country: US}");
    let (code, output) = validate(&input);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("<stdin>:10: Tenant t/acme: spec.address.<<: YAML merge keys (`<<`) are not supported: write the fields out"),
        "{output}"
    );
    assert!(output.contains("[merge-key]"), "{output}");
    assert!(!output.contains("unknown field"), "{output}");
}

#[test]
fn a_control_character_is_reported_at_its_line() {
    let input = format!("{TENANT}---\n{}", tenant_with("billingId: RQ\u{1b}1"))
        .replace("name: acme, namespace: t}\nspec:\n  displayName: Acme\n  contact: {name: Ada, email: ada@acme.example}\n  domains: [acme.example]\n  portals: [daas, teammate]\n  billingId", "name: acme2, namespace: t}\nspec:\n  displayName: Acme\n  contact: {name: Ada, email: ada@acme.example}\n  domains: [acme.example]\n  portals: [daas, teammate]\n  billingId");
    let (code, output) = validate(&input);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("<stdin>:18: ") && output.contains("control character U+001B at column 16"),
        "{output}"
    );
}

#[test]
fn a_rejected_tenant_is_declared_but_invalid_and_its_admins_pile_up_nothing() {
    let input = format!(
        "{}---
apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {{name: ad, namespace: t}}
spec: {{tenantRef: {{name: acme}}, firstName: A, lastName: B, upnDomain: other.example, externalEmail: x@y.example, generatePassword: true}}
---
apiVersion: tenantry.dev/v1alpha1
kind: ServiceBinding
metadata: {{name: b, namespace: t}}
spec: {{tenantRef: {{name: acme}}, citrix: {{}}}}
",
        tenant_with("type: Premium")
    );
    let (code, output) = validate(&input);
    assert_eq!(code, 1, "{output}");
    assert!(!output.contains("is not declared"), "{output}");
    for object in ["TenantAdmin t/ad", "ServiceBinding t/b"] {
        assert!(
            output.contains(&format!(
                "{object}: spec.tenantRef.name: warning: Tenant \"acme\" is declared (<stdin>:9) but invalid"
            )),
            "{output}"
        );
    }
    // The admin's UPN domain is not checked against a Tenant that did not read.
    assert!(!output.contains("upn-domain"), "{output}");
    assert!(output.contains("1 error, 2 warnings"), "{output}");
}

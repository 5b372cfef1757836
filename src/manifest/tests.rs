//! Loader tests on in-memory streams (directories are tested in tests/it/manifest.rs).

use proptest::prelude::*;

use super::*;
use crate::api::{Declared, SecretKey};

fn load_with(text: &str, namespace: &str) -> Loaded {
    let options = LoadOptions {
        namespace: namespace.to_owned(),
    };
    match load_reader("t.yaml", text.as_bytes(), &options) {
        Ok(loaded) => loaded,
        Err(err) => panic!("reading from memory cannot fail: {err}"),
    }
}

fn load_str(text: &str) -> Loaded {
    load_with(text, "default")
}

/// (line, rule, field, object) of every problem.
fn problems(loaded: &Loaded) -> Vec<(usize, &'static str, String, String)> {
    loaded
        .problems
        .iter()
        .map(|p| {
            (
                p.location.line,
                p.rule,
                p.field.clone(),
                p.object.to_string(),
            )
        })
        .collect()
}

const TENANT: &str = "apiVersion: tenantry.dev/v1alpha1
kind: Tenant
metadata:
  name: kenton
spec:
  displayName: Kenton
  contact: {name: Jane Roe, email: jane@kenton.example}
  domains: [kenton.example]
  portals: [daas]
";

const ADMIN: &str = "apiVersion: tenantry.dev/v1alpha1
kind: TenantAdmin
metadata: {name: jroe, namespace: customers}
spec:
  tenantRef: {name: kenton}
  firstName: Jane
  lastName: Roe
  upnDomain: kenton.example
  externalEmail: jane@example.net
  passwordSecretRef: {name: kenton-admin}
";

#[test]
fn multi_document_stream_keeps_order_and_start_lines() {
    let text = format!("# customers\n---\n{TENANT}---\n# nothing here\n---\n{ADMIN}...\n");
    let loaded = load_str(&text);
    assert_eq!(problems(&loaded), vec![]);
    assert_eq!(loaded.files, 1);
    let tenant = &loaded.declared.tenants[0];
    assert_eq!(tenant.location.to_string(), "t.yaml:3");
    assert_eq!(tenant.object.metadata.namespace.as_deref(), Some("default"));
    let admin = &loaded.declared.admins[0];
    assert_eq!(admin.location.to_string(), "t.yaml:15");
    assert_eq!(
        admin.object.metadata.namespace.as_deref(),
        Some("customers")
    );
    assert_eq!(admin.object.spec.effective_username(), "jroe");
}

#[test]
fn empty_and_comment_only_streams_hold_nothing() {
    for text in [
        "",
        "\n\n",
        "# just a comment\n",
        "---\n---\n",
        "--- ~\n",
        "{}\n",
    ] {
        let loaded = load_str(text);
        assert!(loaded.declared.is_empty(), "{text:?}");
        assert_eq!(problems(&loaded), vec![], "{text:?}");
    }
}

#[test]
fn namespace_option_fills_only_missing_namespaces() {
    let connection = "apiVersion: tenantry.dev/v1alpha1\nkind: PortalConnection\n\
                      metadata: {name: default}\nspec: {url: 'http://127.0.0.1:8080'}\n";
    let loaded = load_with(&format!("{TENANT}---\n{ADMIN}---\n{connection}"), "msp");
    let d = &loaded.declared;
    assert_eq!(
        d.tenants[0].object.metadata.namespace.as_deref(),
        Some("msp")
    );
    assert_eq!(
        d.admins[0].object.metadata.namespace.as_deref(),
        Some("customers")
    );
    // PortalConnection is cluster-scoped.
    assert_eq!(d.connections[0].object.metadata.namespace, None);
}

#[test]
fn load_problems_name_line_rule_field_and_object() {
    /// A stream and its problems as (line, rule, field, object).
    type Case<'a> = (&'a str, &'a [(usize, &'a str, &'a str, &'a str)]);
    let cases: &[Case<'_>] = &[
        (
            "foo: [\n",
            &[(1, rules::YAML_SYNTAX, "", "(unknown object)")],
        ),
        (
            "a: 1\n  b: 2\n",
            &[(2, rules::YAML_SYNTAX, "", "(unknown object)")],
        ),
        ("- a\n", &[(1, rules::TYPE_ERROR, "", "(unknown object)")]),
        (
            "kind: Tenent\napiVersion: tenantry.dev/v1alpha1\nmetadata: {name: k}\n",
            &[(1, rules::UNKNOWN_KIND, "kind", "Tenent default/k")],
        ),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k}\n",
            &[(1, rules::UNKNOWN_KIND, "kind", "ConfigMap default/k")],
        ),
        (
            "metadata: {name: k}\nspec: {}\n",
            &[(1, rules::UNKNOWN_KIND, "kind", "(unknown object)")],
        ),
        (
            "apiVersion: tenantry.dev/v1\nkind: Tenant\nmetadata: {name: k}\n",
            &[(1, rules::API_VERSION, "apiVersion", "Tenant default/k")],
        ),
        (
            "kind: ServiceBinding\nmetadata: {name: k, namespace: c}\n",
            &[(1, rules::API_VERSION, "apiVersion", "ServiceBinding c/k")],
        ),
        (
            "apiVersion: v2\nkind: Secret\nmetadata: {name: k}\n",
            &[(1, rules::API_VERSION, "apiVersion", "Secret default/k")],
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {namespace: c}\nspec: {}\n",
            &[
                (4, rules::TYPE_ERROR, "spec.contact", "Tenant c/"),
                (4, rules::TYPE_ERROR, "spec.displayName", "Tenant c/"),
                (4, rules::TYPE_ERROR, "spec.domains", "Tenant c/"),
                (4, rules::TYPE_ERROR, "spec.portals", "Tenant c/"),
            ],
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {}\n",
            &[(1, rules::MISSING_NAME, "metadata.name", "Tenant default/")],
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\n",
            &[(1, rules::TYPE_ERROR, "spec", "Tenant default/k")],
        ),
    ];
    for (text, want) in cases {
        let loaded = load_str(text);
        let want: Vec<_> = want
            .iter()
            .map(|(l, r, f, o)| (*l, *r, (*f).to_owned(), (*o).to_owned()))
            .collect();
        assert_eq!(problems(&loaded), want, "{text:?}");
    }
}

#[test]
fn type_errors_point_at_the_offending_line_with_the_field_path() {
    let text = TENANT
        .replace("  portals: [daas]", "  portals:\n    - daas\n    - nowhere")
        .replace(
            "  displayName: Kenton\n",
            "  displayName: Kenton\n  type: Premium\n",
        );
    let text = format!("# first\n{TENANT}---\n{text}");
    let loaded = load_str(&text);
    let problem = &loaded.problems[0];
    // serde stops at the first error of a document; the schema check finds the second.
    let lines: Vec<(usize, &str)> = loaded
        .problems
        .iter()
        .map(|p| (p.location.line, p.field.as_str()))
        .collect();
    assert_eq!(lines, [(18, "spec.type"), (23, "spec.portals[1]")]);
    assert_eq!(problem.field, "spec.type");
    assert!(problem.message.contains("`Premium`"), "{}", problem.message);
    assert!(problem.message.contains("one of: Standard, Test, Demo"));
    assert!(!problem.message.contains("column"), "{}", problem.message);
    assert_eq!(
        loaded.declared.tenants.len(),
        1,
        "the first document still loads"
    );

    let text = TENANT.replace("  portals: [daas]", "  portals:\n    - daas\n    - nowhere");
    let loaded = load_str(&format!("{TENANT}---\n{text}"));
    assert_eq!(problems(&loaded)[0].0, 21);
    assert_eq!(problems(&loaded)[0].2, "spec.portals[1]");
}

#[test]
fn a_syntax_error_in_one_document_leaves_the_others() {
    let text = format!("{TENANT}---\nkind: [\n---\n{ADMIN}");
    let loaded = load_str(&text);
    assert_eq!(
        problems(&loaded),
        vec![(
            11,
            rules::YAML_SYNTAX,
            String::new(),
            "(unknown object)".to_owned()
        )]
    );
    assert!(
        loaded.problems[0]
            .message
            .starts_with("YAML syntax error: ")
    );
    assert_eq!(loaded.declared.tenants.len(), 1);
    assert_eq!(loaded.declared.admins.len(), 1);
}

#[test]
fn kind_after_spec_still_reads_the_spec() {
    let text = "spec:\n  displayName: K\n  contact: {name: J, email: j@k.example}\n  \
                domains: [k.example]\n  portals: [daas]\nmetadata: {name: k}\nkind: Tenant\n\
                apiVersion: tenantry.dev/v1alpha1\n";
    let loaded = load_str(text);
    assert_eq!(problems(&loaded), vec![]);
    assert_eq!(loaded.declared.tenants[0].object.spec.display_name, "K");
}

#[test]
fn namespaces_and_kustomizations_are_skipped() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: customers}\n---\n\
                apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                resources: [tenant.yaml]\n---\n\
                apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
                metadata: {name: customers, namespace: flux-system}\nspec: {path: ./customers}\n";
    let loaded = load_str(text);
    assert_eq!(problems(&loaded), vec![]);
    assert!(loaded.declared.is_empty());
}

fn secret_value(declared: &Declared, ns: &str, name: &str, key: &str) -> Option<String> {
    let key = SecretKey {
        namespace: ns.to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    declared.secrets.get(&key).map(|s| s.expose().to_owned())
}

#[test]
fn secret_manifests_feed_data_and_string_data() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: kenton-admin, namespace: customers}\n\
                type: Opaque\ndata:\n  password: RXhhbXBsZS1Pbmx5LTc0MzEh\n\
                stringData:\n  pin: '0042'\n---\n\
                stringData: {token: t0k3n}\nkind: Secret\napiVersion: v1\nmetadata: {name: portal}\n";
    let loaded = load_str(text);
    assert_eq!(problems(&loaded), vec![]);
    let d = &loaded.declared;
    assert_eq!(d.len(), 0, "Secrets are not tenantry objects");
    assert_eq!(
        secret_value(d, "customers", "kenton-admin", "password").as_deref(),
        Some("Example-Only-7431!")
    );
    assert_eq!(
        secret_value(d, "customers", "kenton-admin", "pin").as_deref(),
        Some("0042")
    );
    assert_eq!(
        secret_value(d, "default", "portal", "token").as_deref(),
        Some("t0k3n")
    );
}

#[test]
fn malformed_secret_values_never_appear_in_messages() {
    for text in [
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: 'Canary-Value-123'}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: 3141592.6}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: 'Canary-Value-123'\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: [Canary-Value-123]}\n",
        "stringData: {password: [Canary-Value-123]}\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    ] {
        let loaded = load_str(text);
        assert_eq!(loaded.problems.len(), 1, "{text:?}");
        let shown = format!("{}", loaded.problems[0]);
        assert!(
            !shown.contains("Canary") && !shown.contains("3141592"),
            "{shown}"
        );
        assert_eq!(loaded.problems[0].rule, rules::TYPE_ERROR);
    }
}

#[test]
fn env_vars_fill_secrets_no_manifest_provides() {
    let binding = "apiVersion: tenantry.dev/v1alpha1\nkind: ServiceBinding\n\
                   metadata: {name: cc, namespace: customers}\nspec:\n  tenantRef: {name: kenton}\n  \
                   contactCenter:\n    template: standard\n    name: Kenton\n    shortName: ke\n    \
                   upnSuffix: kenton.example\n    adminUser: keAdmin\n    \
                   passwordSecretRef: {name: kenton-cc, key: admin}\n    ani: '+15555550100'\n    \
                   notificationEmail: ops@kenton.example\n";
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: kenton-admin, namespace: customers}\n\
                  stringData: {password: From-Manifest-1}\n";
    let text = format!("{ADMIN}---\n{binding}---\n{secret}");
    let mut loaded = load_str(&text);
    assert_eq!(problems(&loaded), vec![]);
    let lookup = |name: &str| match name {
        "TENANTRY_SECRET_CUSTOMERS_KENTON_ADMIN_PASSWORD" => Some("From-Env-1".to_owned()),
        _ => None,
    };
    let missing = fill_secrets_from_env(&mut loaded.declared, lookup);
    let d = &loaded.declared;
    // The manifest wins over the environment.
    assert_eq!(
        secret_value(d, "customers", "kenton-admin", "password").as_deref(),
        Some("From-Manifest-1")
    );
    assert_eq!(
        missing.into_iter().map(|k| k.name).collect::<Vec<_>>(),
        vec!["kenton-cc"]
    );
    let from_env = |name: &str| {
        (name == "TENANTRY_SECRET_CUSTOMERS_KENTON_CC_ADMIN").then(|| "Env-Value-42".to_owned())
    };
    let missing = fill_secrets_from_env(&mut loaded.declared, from_env);
    assert!(missing.is_empty());
    assert_eq!(
        secret_value(&loaded.declared, "customers", "kenton-cc", "admin").as_deref(),
        Some("Env-Value-42")
    );
}

#[test]
fn encodings_line_endings_and_byte_order_marks() {
    let crlf = format!("\u{feff}{}", TENANT.replace('\n', "\r\n"));
    let loaded = load_str(&crlf);
    assert_eq!(problems(&loaded), vec![]);
    assert_eq!(loaded.declared.tenants.len(), 1);

    let options = LoadOptions::default();
    let bytes: &[u8] = b"a: 1\nb: \xff\n";
    let loaded = load_reader("bin.yaml", bytes, &options).unwrap_or_default();
    assert_eq!(
        problems(&loaded),
        vec![(
            2,
            rules::YAML_SYNTAX,
            String::new(),
            "(unknown object)".to_owned()
        )]
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load_reader("fuzz.yaml", bytes.as_slice(), &LoadOptions::default());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = load_str(&text);
    }

    /// Manifest-shaped text: fragments of real documents, shuffled and cut.
    #[test]
    fn manifest_like_text_never_panics_and_keeps_lines_in_range(
        parts in proptest::collection::vec(prop::sample::select(vec![
            "---\n", "...\n", "# c\n", "apiVersion: tenantry.dev/v1alpha1\n", "apiVersion: v1\n",
            "kind: Tenant\n", "kind: Secret\n", "kind: TenantAdmin\n", "kind: ServiceBinding\n",
            "metadata: {name: x}\n", "metadata:\n  name: y\n", "spec:\n", "  displayName: X\n",
            "  portals: [daas]\n", "  domains: [x.example]\n", "  contact: {name: a, email: a@x.example}\n",
            "data: {k: eA==}\n", "stringData: {k: v}\n", "  tenantRef: {name: x}\n", "  sms: {did: '+1'}\n",
            "\t\n", "[\n", "{\n", "'\n", "&a x\n", "*a\n", "key: *b\n", "- \n", ": :\n", "\u{feff}",
        ]), 0..40),
    ) {
        let text: String = parts.concat();
        let loaded = load_str(&text);
        let total = text.lines().count().max(1);
        for p in &loaded.problems {
            prop_assert!(p.location.line >= 1 && p.location.line <= total, "{p} in {text:?}");
        }
    }
}

#[test]
fn duplicate_keys_at_any_depth_name_their_line_and_key() {
    /// A stream and its one problem as (line, field, object).
    type Case<'a> = (&'a str, (usize, &'a str, &'a str));
    let cases: &[Case<'_>] = &[
        // The last `spec` would have won.
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\nspec: {displayName: A, contact: {name: J, email: j@k.example}, domains: [k.example], portals: [daas]}\nspec: {}\n",
            (5, "spec", "Tenant default/k"),
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\nmetadata: {name: j}\n",
            (4, "metadata", "Tenant default/k"),
        ),
        (
            "kind: Tenant\napiVersion: tenantry.dev/v1alpha1\nkind: TenantAdmin\n",
            (3, "kind", "Tenant default/"),
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: k\n  labels: {a: '1', a: '2'}\n",
            (5, "metadata.labels.a", "Tenant default/k"),
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\nspec:\n  displayName: K\n  contact:\n    name: J\n    email: j@k.example\n    email: x@k.example\n",
            (9, "spec.contact.email", "Tenant default/k"),
        ),
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\nspec:\n  supportContacts:\n  - {role: Maintainer, role: OnsiteAdmin}\n",
            (6, "spec.supportContacts[0].role", "Tenant default/k"),
        ),
        // Under fields tenantry does not read, and before `kind`.
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata: {name: k}\nstatus: {a: 1, a: 2}\n",
            (4, "status.a", "Tenant default/k"),
        ),
        (
            "spec: {x: 1, x: 2}\nkind: Tenant\n",
            (1, "spec.x", "(unknown object)"),
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: a\n  password: b\n",
            (6, "stringData.password", "Secret default/s"),
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\nmetadata: {name: m}\n",
            (4, "metadata", "Namespace n"),
        ),
        // A number and its quoted text are one key to Kubernetes (JSON).
        (
            "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: k\n  labels: {1: a, '1': b}\n",
            (5, "metadata.labels.1", "Tenant default/k"),
        ),
    ];
    for (text, (line, field, object)) in cases {
        let loaded = load_str(text);
        assert_eq!(
            problems(&loaded),
            vec![(
                *line,
                rules::DUPLICATE_KEY,
                (*field).to_owned(),
                (*object).to_owned()
            )],
            "{text:?}"
        );
        assert!(loaded.declared.is_empty(), "{text:?}");
    }
    let message = &load_str(cases[0].0).problems[0].message;
    assert!(message.contains("`spec` appears twice"), "{message}");
}

#[test]
fn a_duplicate_in_a_big_mapping_is_found_and_long_keys_are_cut() {
    let mut labels: String = (0..500).map(|i| format!("  l{i}: v\n")).collect();
    labels.push_str("  l250: again\n");
    let text = format!(
        "apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: k\n  labels:\n{}",
        labels.replace("  l", "    l")
    );
    let loaded = load_str(&text);
    assert_eq!(
        problems(&loaded),
        vec![(
            506,
            rules::DUPLICATE_KEY,
            "metadata.labels.l250".to_owned(),
            "Tenant default/k".to_owned()
        )]
    );
    let long = "k".repeat(10_000);
    // Explicit keys: YAML limits implicit ones to 1024 characters.
    let loaded = load_str(&format!("? {long}\n: 1\n? {long}\n: 2\n"));
    let shown = loaded.problems[0].to_string();
    assert!(shown.len() < 600, "{shown}");
    assert!(shown.contains("(10000 characters)"), "{shown}");
}

#[test]
fn distinct_keys_in_sibling_and_nested_mappings_are_not_duplicates() {
    let text = format!(
        "{}---\n{}",
        TENANT.replace(
            "metadata:\n  name: kenton\n",
            "metadata:\n  name: kenton\n  labels: {name: a, spec: b}\n  annotations: {name: a}\n"
        ),
        ADMIN
    );
    let loaded = load_str(&text);
    assert_eq!(problems(&loaded), vec![]);
    assert_eq!(loaded.declared.len(), 2);
}

#[test]
fn unknown_metadata_fields_are_errors_with_a_hint() {
    /// The metadata lines, and the problem as (line, field, hint in the message).
    type Case<'a> = (&'a str, usize, &'a str, Option<&'a str>);
    let cases: &[Case<'_>] = &[
        (
            "  name: k\n  namspace: t\n",
            5,
            "metadata.namspace",
            Some("`namespace`"),
        ),
        (
            "  name: k\n  Labels: {a: b}\n",
            5,
            "metadata.Labels",
            Some("`labels`"),
        ),
        ("  nmae: k\n", 4, "metadata.nmae", Some("`name`")),
        ("  name: k\n  owner: me\n", 5, "metadata.owner", None),
    ];
    for (meta, line, field, hint) in cases {
        let text = format!("apiVersion: tenantry.dev/v1alpha1\nkind: Tenant\nmetadata:\n{meta}");
        let loaded = load_str(&text);
        assert_eq!(
            problems(&loaded)
                .into_iter()
                .map(|(l, r, f, _)| (l, r, f))
                .collect::<Vec<_>>(),
            vec![(*line, rules::UNKNOWN_FIELD, (*field).to_owned())],
            "{text:?}"
        );
        let message = &loaded.problems[0].message;
        match hint {
            Some(hint) => assert!(
                message.contains(&format!("did you mean {hint}?")),
                "{message}"
            ),
            None => assert!(!message.contains("did you mean"), "{message}"),
        }
    }
}

#[test]
fn every_object_meta_field_is_allowed() {
    let text = TENANT.replace(
        "metadata:\n  name: kenton\n",
        "metadata:\n  name: kenton\n  namespace: c\n  labels: {a: b}\n  annotations: {a: b}\n  \
         uid: 0b0c\n  resourceVersion: '7'\n  generation: 2\n  \
         creationTimestamp: '2024-01-01T00:00:00Z'\n  finalizers: [tenantry.dev/cleanup]\n  \
         ownerReferences: []\n  managedFields: []\n  generateName: k-\n  \
         deletionTimestamp: '2024-01-02T00:00:00Z'\n  deletionGracePeriodSeconds: 0\n  \
         selfLink: /x\n",
    );
    let loaded = load_str(&text);
    assert_eq!(problems(&loaded), vec![]);
    assert_eq!(
        loaded.declared.tenants[0]
            .object
            .metadata
            .namespace
            .as_deref(),
        Some("c")
    );
    // Only metadata itself is checked: labels and annotations hold any key.
    let loaded = load_str(&TENANT.replace(
        "metadata:\n  name: kenton\n",
        "metadata:\n  name: kenton\n  labels: {namspace: x}\n",
    ));
    assert_eq!(problems(&loaded), vec![]);
}

/// A connection with type errors is reported in full, read with placeholders for the rules,
/// and kept out of `declared`: `tenantry import` ignores load problems and must never use it.
#[test]
fn patched_objects_stay_out_of_the_declared_set() {
    let text = "apiVersion: tenantry.dev/v1alpha1
kind: PortalConnection
metadata: {name: default}
spec:
  url: [1]
  rateLimit: abc
  bogus: 1
";
    let loaded = load_str(text);
    let fields: Vec<String> = problems(&loaded).into_iter().map(|p| p.2).collect();
    assert_eq!(fields.len(), 3, "{fields:?}");
    for field in ["spec.url", "spec.rateLimit", "spec.bogus"] {
        assert!(fields.contains(&field.to_owned()), "{field}: {fields:?}");
    }
    assert!(loaded.declared.connections.is_empty());
    assert!(
        loaded
            .declared
            .rejected
            .keys()
            .any(|id| id.kind == "PortalConnection" && id.name == "default")
    );
    assert!(!loaded.patched.is_empty());
}

/// The file line of a field: the value's line, a block mapping's first key, a list item.
#[test]
fn fields_are_found_at_their_lines() {
    use crate::api::schema::Step;
    let text = "# a comment
kind: Tenant
spec:
  contact:
    name: Ada
  domains:
    - a.example
    - [b]
  type: {x: 1}
";
    let chunk = split::split_documents(text)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("one document"));
    let key = |k: &str| Step::Key(k.to_owned());
    for (steps, want) in [
        (vec![key("spec"), key("contact")], Some(5)),
        (vec![key("spec"), key("contact"), key("name")], Some(5)),
        (vec![key("spec"), key("domains"), Step::Index(1)], Some(8)),
        (vec![key("spec"), key("type")], Some(9)),
        (vec![key("spec"), key("nothing")], None),
        (vec![key("spec"), key("domains"), Step::Index(5)], None),
    ] {
        assert_eq!(locate::line_of(&chunk, &steps), want, "{steps:?}");
    }
}

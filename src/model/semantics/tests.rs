use serde_json::json;

use super::{Mark, OPENAPI, Order, Semantics, SemanticsError};
use crate::model::Kind;

fn contract() -> Semantics {
    Semantics::from_openapi(OPENAPI).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_contract_document_parses() {
    let table = contract();
    for kind in Kind::ALL {
        assert!(
            !table.spec(kind).members.is_empty(),
            "{kind} has spec fields"
        );
    }
    assert_eq!(&table, Semantics::contract());
}

/// The whole table, one mark a line: a change to the contract's semantics shows in review.
#[test]
fn the_table_as_read_from_the_contract() {
    let lines: Vec<String> = contract()
        .marks()
        .into_iter()
        .map(|(kind, path, mark)| {
            let f = &contract_field(kind, &path);
            let detail = match mark {
                Mark::Immutable => format!(" ({})", f.immutable.clone().unwrap_or_default()),
                Mark::Default => format!(" = {}", f.default.clone().unwrap_or_default()),
                Mark::Set => format!(" ({:?})", f.order),
                Mark::CaseInsensitive | Mark::Generated => String::new(),
            };
            format!("{kind} {path}: {mark:?}{detail}")
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// The kinds whose replacement loses data, as the contract declares them (`x-destroys-data`).
#[test]
fn replacing_these_kinds_destroys_data() {
    let table = Semantics::contract();
    let kinds: Vec<String> = Kind::ALL
        .into_iter()
        .filter(|k| table.destroys_data(*k).is_some())
        .map(|k| k.to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "daas/customers",
            "daas/admins",
            "daas/azure-ad",
            "daas/file-sharing",
            "contactcenter/tenants",
            "cloudlink/accounts"
        ]
    );
    assert_eq!(
        table.destroys_data(Kind::FileSharing),
        Some("the CorpShare (X:) drive and the Users folder, with every file in them")
    );
    let reduced = table.without_destroys_data(Kind::AzureAd);
    assert_eq!(reduced.destroys_data(Kind::AzureAd), None);
    assert!(reduced.destroys_data(Kind::DaasCustomer).is_some());
}

fn contract_field(kind: Kind, path: &str) -> super::FieldSemantics {
    let mut copy = contract();
    super::node_mut(&mut copy.specs[kind as usize], path)
        .cloned()
        .unwrap_or_else(|| panic!("{kind} {path}"))
}

#[test]
fn lookups_answer_from_the_table() {
    let table = Semantics::contract();
    assert_eq!(
        table.default_of(Kind::FileSharing, "driveLetter"),
        Some(&json!("X"))
    );
    assert!(table.is_immutable(Kind::DaasCustomer, "name"));
    assert!(!table.is_immutable(Kind::DaasCustomer, "billingId"));
    assert!(table.is_generated(Kind::DaasCustomer, "code"));
    let domains = table.field(Kind::DaasCustomer, "domains");
    assert_eq!(domains.map(|f| f.order), Some(Order::FirstThenAny));
    let role = table
        .field(Kind::CloudLinkAccount, "supportContacts")
        .and_then(|f| f.item())
        .and_then(|i| i.member("role"));
    assert_eq!(role.map(|r| r.case_insensitive), Some(true));
    // Through a `$ref` to the shared Person schema.
    let email = table
        .field(Kind::DaasCustomer, "contact")
        .and_then(|f| f.member("email"));
    assert_eq!(email.map(|e| e.case_insensitive), Some(true));
}

#[test]
fn without_removes_exactly_one_mark() {
    let table = contract();
    let all = table.marks();
    for (kind, path, mark) in &all {
        let reduced = table
            .without(*kind, path, *mark)
            .unwrap_or_else(|| panic!("{kind} {path} {mark:?}"));
        let left = reduced.marks();
        assert_eq!(left.len() + 1, all.len(), "{kind} {path} {mark:?}");
        assert!(!left.contains(&(*kind, path.clone(), *mark)));
    }
    assert!(
        table
            .without(Kind::DaasCustomer, "billingId", Mark::CaseInsensitive)
            .is_none()
    );
    assert!(
        table
            .without(Kind::DaasCustomer, "nope", Mark::Set)
            .is_none()
    );
}

/// A contract with one kind whose spec schema says `spec`.
fn document(spec: serde_json::Value) -> String {
    let mut paths = serde_json::Map::new();
    for kind in Kind::ALL {
        paths.insert(
            format!("/v1/{}", kind.path()),
            json!({"post": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Create"}}}}}}),
        );
    }
    json!({
        "paths": paths,
        "components": {"schemas": {
            "Create": {"properties": {"spec": {"$ref": "#/components/schemas/Spec"}}},
            "Spec": spec,
        }}
    })
    .to_string()
}

#[test]
fn a_document_without_the_table_is_refused() {
    let cases = [
        (
            document(json!({"properties": {"a": {"x-set": "sometimes"}}})),
            "x-set",
        ),
        (
            document(json!({"properties": {"a": {"x-immutable": true}}})),
            "x-immutable",
        ),
        (
            document(json!({"properties": {"a": {"$ref": "#/components/schemas/Gone"}}})),
            "Gone",
        ),
        (
            document(json!({"x-destroys-data": true, "properties": {"a": {}}})),
            "x-destroys-data",
        ),
        ("{\"paths\": {}}".to_owned(), "POST /v1/daas/customers"),
        ("[unclosed".to_owned(), "not YAML"),
    ];
    for (text, says) in cases {
        let err = Semantics::from_openapi(&text).err();
        let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(message.contains(says), "{text}: {message}");
    }
    let ok = Semantics::from_openapi(&document(json!({"properties": {"a": {
        "oneOf": [{"type": "string", "x-case-insensitive": true}, {"type": "null"}]}}})));
    assert_eq!(
        ok.map(|t| t.field(Kind::Citrix, "a").map(|f| f.case_insensitive)),
        Ok(Some(true))
    );
    assert!(matches!(
        Semantics::from_openapi("[unclosed"),
        Err(SemanticsError::Syntax(_))
    ));
}

/// docs/portal-contract.md mirrors the table for readers: every immutable, set-like and
/// case-insensitive spec field of the table is marked there (case-insensitive enumerated
/// values may be named once, in the sentence that lists them).
#[test]
fn the_contract_page_marks_what_the_table_says() {
    let page = include_str!("../../../docs/portal-contract.md");
    let Some((_, fields)) = page.split_once("## Spec fields") else {
        panic!("the page has a Spec fields section");
    };
    let enumerated: Vec<&str> = fields
        .split_once("Enumerated")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(list, _)| ticked(list))
        .unwrap_or_default();
    // (kind, field) → the notes of its row.
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut kind = String::new();
    for line in fields.lines().filter(|l| l.starts_with("| ")) {
        // `\|` stands inside a cell (`Standard` \| `Test`); it does not end one.
        let line = line.replace("\\|", "/");
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, k, names, _, notes, ..] = cells[..] else {
            continue;
        };
        if !k.is_empty() {
            kind = k.trim_matches('`').to_owned();
        }
        for name in ticked(names) {
            rows.push((
                kind.clone(),
                name.trim_end_matches('?').to_owned(),
                notes.to_owned(),
            ));
        }
    }
    let table = Semantics::contract();
    for (kind, path, mark) in table.marks() {
        let word = match mark {
            Mark::Immutable => "**imm**",
            Mark::Set => "*set*",
            Mark::CaseInsensitive if !path.contains(['.', '[']) => "*ci*",
            _ => continue,
        };
        let notes = rows
            .iter()
            .find(|(k, f, _)| k == kind.path() && *f == path)
            .map(|(_, _, notes)| notes.as_str());
        let Some(notes) = notes else {
            panic!("docs/portal-contract.md has no row for {kind} {path}");
        };
        let named_enum = mark == Mark::CaseInsensitive && enumerated.contains(&path.as_str());
        assert!(
            notes.contains(word) || named_enum,
            "docs/portal-contract.md: {kind} {path} is {word} in openapi/portal.yaml; say so"
        );
    }
}

/// The names in backticks in `text`.
fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

//! The OpenAPI document and the server agree: every documented operation answers, and every
//! route of the server is documented.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::json;

use super::start;

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_yaml::Value = serde_yaml::from_str(tenantry::sandbox::OPENAPI).expect("YAML");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "put", "post", "delete", "patch"].contains(&method) {
                out.insert((method.to_uppercase(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_server() {
    let served: BTreeSet<(String, String)> = tenantry::sandbox::route_table().into_iter().collect();
    let documented = documented();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(extra.is_empty(), "documented but not served: {extra:?}");
}

#[tokio::test]
async fn every_documented_operation_answers() {
    let (_sandbox, client) = start().await;
    let served = client.get("/openapi.yaml").await;
    assert_eq!(served.status.as_u16(), 200);
    assert_eq!(served.bytes, tenantry::sandbox::OPENAPI.as_bytes());
    for (method, path) in documented() {
        let concrete = path
            .replace("{portal}", "daas")
            .replace("{kind}", "customers")
            .replace("{id}", "nonexistent")
            .replace("{tenant}", "contoso");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != Method::GET).then(|| json!({}));
        let answer = client
            .send(method.clone(), &concrete, body.as_ref(), None)
            .await;
        assert_ne!(answer.code(), "RouteNotFound", "{method} {path}");
        assert_ne!(answer.status.as_u16(), 405, "{method} {path}");
        assert!(
            !answer.status.is_server_error(),
            "{method} {path}: {} {:#}",
            answer.status,
            answer.body
        );
        if path.contains("/oauth2/") {
            // The identity endpoint answers in AAD's shape, not the contract's.
            assert_eq!(answer.status.as_u16(), 400, "{method} {path}");
            assert!(
                answer.body["error"].is_string(),
                "{method} {path}: {:#}",
                answer.body
            );
        } else if !answer.status.is_success() && !answer.bytes.is_empty() {
            assert!(
                answer.body["error"]["code"].is_string(),
                "{method} {path}: {:?}",
                answer.bytes
            );
        }
    }
}

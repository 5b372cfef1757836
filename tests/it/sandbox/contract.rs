//! The envelope, create/replace/delete, lists, errors and authentication.

use reqwest::Method;
use serde_json::{Value, json};
use tenantry::sandbox::SandboxConfig;

use super::{Client, customer, customer_spec, start, start_with};

#[tokio::test]
async fn create_returns_the_envelope_with_a_location() {
    let (_sandbox, client) = start().await;
    let answer = client
        .create(
            "/v1/daas/customers",
            "customers/kenton",
            customer_spec("Kenton Electronics", "kenton-electronics.com"),
        )
        .await;
    let obj = answer.expect(201).clone();
    let id = obj["id"].as_str().unwrap();
    assert!(id.starts_with("cus_"), "{id}");
    assert_eq!(
        answer.headers["location"].to_str().unwrap(),
        format!("/v1/daas/customers/{id}")
    );
    assert_eq!(obj["externalRef"], "customers/kenton");
    assert_eq!(obj["deletionPolicy"], "Orphan");
    assert_eq!(obj["version"], 1);
    assert_eq!(
        obj["spec"],
        customer_spec("Kenton Electronics", "kenton-electronics.com")
    );
    assert_eq!(obj["status"]["phase"], "Ready");
    let keys: Vec<&str> = obj
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "externalRef",
        "deletionPolicy",
        "version",
        "createdAt",
        "updatedAt",
        "spec",
        "status",
    ] {
        assert!(keys.contains(&key), "{key} missing from {obj:#}");
    }
    assert!(obj["createdAt"].as_str().unwrap().ends_with('Z'));
    let got = client.get(&format!("/v1/daas/customers/{id}")).await;
    assert_eq!(got.expect(200), &obj);
}

#[tokio::test]
async fn replace_delete_and_gone() {
    let (_sandbox, client) = start().await;
    let id = customer(&client, "Kenton Electronics", "kenton-electronics.com").await;
    let path = format!("/v1/daas/customers/{id}");

    let mut spec = customer_spec("Kenton Electronics", "kenton-electronics.com");
    spec["billingId"] = json!("RQ-2");
    let put = client
        .put(&path, &json!({"spec": spec, "deletionPolicy": "Delete"}))
        .await;
    let obj = put.expect(200);
    assert_eq!(obj["version"], 2);
    assert_eq!(obj["spec"]["billingId"], "RQ-2");
    assert_eq!(obj["deletionPolicy"], "Delete");

    // The same spec again changes nothing: no new version.
    let again = client.put(&path, &json!({"spec": spec})).await;
    assert_eq!(again.expect(200)["version"], 2);

    client.delete(&path).await.expect(204);
    client.get(&path).await.expect_error(404, "NotFound");
    client.delete(&path).await.expect_error(404, "NotFound");
    client
        .put(&path, &json!({"spec": spec}))
        .await
        .expect_error(404, "NotFound");
}

#[tokio::test]
async fn delete_is_refused_while_dependents_exist() {
    let (_sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let citrix = client
        .create(
            "/v1/daas/citrix",
            "ns/citrix",
            json!({"customerId": customer}),
        )
        .await;
    citrix.expect(201);
    client
        .delete(&format!("/v1/daas/customers/{customer}"))
        .await
        .expect_error(409, "HasDependents");
    client
        .delete(&format!("/v1/daas/citrix/{}", citrix.id()))
        .await
        .expect(204);
    client
        .delete(&format!("/v1/daas/customers/{customer}"))
        .await
        .expect(204);
}

async fn license(client: &Client, n: usize, reference: &str) -> String {
    let answer = client
        .create(
            "/v1/apps/licenses",
            reference,
            json!({"app": "Meet", "user": format!("user{n}@kenton.com"), "licenseType": "Basic"}),
        )
        .await;
    answer.expect(201);
    answer.id()
}

#[tokio::test]
async fn lists_paginate_and_filter() {
    let (_sandbox, client) = start().await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let reference = if n < 5 {
            format!("team-a/licenses/user{n}")
        } else {
            format!("team-b/licenses/user{n}")
        };
        ids.push(license(&client, n, &reference).await);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            None => "/v1/apps/licenses?limit=3".to_owned(),
            Some(c) => format!("/v1/apps/licenses?limit=3&cursor={c}"),
        };
        let page = client.get(&path).await.expect(200).clone();
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(page["nextCursor"].is_null());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "every object once, in creation order");

    let all = client.get("/v1/apps/licenses").await.expect(200).clone();
    assert_eq!(all["items"].as_array().unwrap().len(), 7);
    assert!(all["nextCursor"].is_null());

    let exact = client
        .get("/v1/apps/licenses?externalRef=team-a/licenses/user3")
        .await
        .expect(200)
        .clone();
    assert_eq!(exact["items"].as_array().unwrap().len(), 1);
    assert_eq!(exact["items"][0]["id"], json!(ids[3]));

    let prefix = client
        .get("/v1/apps/licenses?externalRefPrefix=team-b/")
        .await
        .expect(200)
        .clone();
    let got: Vec<&Value> = prefix["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(got, vec![&json!(ids[5]), &json!(ids[6])]);

    // Large limits are capped, bad ones refused.
    client
        .get("/v1/apps/licenses?limit=100000")
        .await
        .expect(200);
    for bad in [
        "limit=0",
        "limit=-1",
        "limit=ten",
        "cursor=zz",
        "cursor=abc",
        "color=red",
    ] {
        let answer = client.get(&format!("/v1/apps/licenses?{bad}")).await;
        assert_eq!(answer.status.as_u16(), 400, "{bad}: {:#}", answer.body);
        assert!(answer.code() == "InvalidParameter" || answer.code() == "InvalidCursor");
    }
}

#[tokio::test]
async fn a_bearer_token_is_required() {
    let (_sandbox, client) = start().await;
    let anonymous = Client::for_url(client.base.clone()).with_token("");
    let answer = anonymous.get("/v1/daas/customers").await;
    answer.expect_error(401, "Unauthorized");
    assert_eq!(answer.headers["www-authenticate"], "Bearer");
    anonymous
        .post("/v1/daas/customers", &json!({}))
        .await
        .expect_error(401, "Unauthorized");
    // The document and the health probe need none.
    anonymous.get("/openapi.yaml").await.expect(200);
    anonymous.get("/healthz").await.expect(200);

    let (_locked, client) = start_with(SandboxConfig::default().with_tokens(["s3cret"])).await;
    client
        .get("/v1/daas/customers")
        .await
        .expect_error(401, "Unauthorized");
    let allowed = Client::for_url(client.base.clone()).with_token("s3cret");
    allowed.get("/v1/daas/customers").await.expect(200);
}

/// The control endpoints show e-mailed passwords and change the portals' state: they take
/// the contract's token (issue 18 item 3), a wrong one or none gets 401.
#[tokio::test]
async fn control_endpoints_need_the_token_too() {
    let (_locked, client) = start_with(SandboxConfig::default().with_tokens(["s3cret"])).await;
    let base = client.base.clone();
    let controls: [(Method, &str, Option<serde_json::Value>); 8] = [
        (Method::GET, "/sandbox/outbox", None),
        (Method::GET, "/sandbox/requests", None),
        (Method::DELETE, "/sandbox/requests", None),
        (Method::GET, "/sandbox/faults", None),
        (Method::PUT, "/sandbox/faults", Some(json!({"rules": []}))),
        (Method::DELETE, "/sandbox/faults", None),
        (Method::GET, "/sandbox/contactcenter/off-peak", None),
        (
            Method::DELETE,
            "/sandbox/objects/daas/customers/nothing",
            None,
        ),
    ];
    for token in ["", "test-token"] {
        let caller = Client::for_url(base.clone()).with_token(token);
        for (method, path, body) in &controls {
            caller
                .send(method.clone(), path, body.as_ref(), None)
                .await
                .expect_error(401, "Unauthorized");
        }
    }
    let allowed = Client::for_url(base.clone()).with_token("s3cret");
    for (method, path, body) in &controls {
        let answer = allowed
            .send(method.clone(), path, body.as_ref(), None)
            .await;
        assert_ne!(
            answer.status.as_u16(),
            401,
            "{method} {path}: {:#}",
            answer.body
        );
    }
    allowed.get("/sandbox/outbox").await.expect(200);
    let anonymous = Client::for_url(base).with_token("");
    anonymous.get("/openapi.yaml").await.expect(200);
    anonymous.get("/healthz").await.expect(200);
}

#[tokio::test]
async fn unknown_routes_and_methods_have_the_error_shape() {
    let (_sandbox, client) = start().await;
    client
        .get("/v1/daas/nothing")
        .await
        .expect_error(404, "RouteNotFound");
    client
        .get("/nowhere")
        .await
        .expect_error(404, "RouteNotFound");
    client
        .send(Method::PATCH, "/v1/daas/customers", Some(&json!({})), None)
        .await
        .expect_error(405, "MethodNotAllowed");
    client
        .get("/v1/operations/op_missing")
        .await
        .expect_error(404, "NotFound");
}

#[tokio::test]
async fn bad_requests_get_4xx_and_change_nothing() {
    let (sandbox, client) = start_with(SandboxConfig::default().with_body_limit(4096)).await;
    let id = customer(&client, "Kenton", "kenton.com").await;
    let before = client.get(&format!("/v1/daas/customers/{id}")).await.body;

    let valid = json!({"externalRef": "ns/x", "spec": customer_spec("Other", "other.com")});
    let mut unknown_top = valid.clone();
    unknown_top["color"] = json!("red");
    let mut unknown_spec = valid.clone();
    unknown_spec["spec"]["color"] = json!("red");
    let mut wrong_type = valid.clone();
    wrong_type["spec"]["minPasswordLength"] = json!("eight");
    let mut wrong_enum = valid.clone();
    wrong_enum["spec"]["type"] = json!("Gold");
    let mut no_spec = valid.clone();
    no_spec.as_object_mut().unwrap().remove("spec");
    let mut spec_array = valid.clone();
    spec_array["spec"] = json!([1, 2]);
    let mut bad_ref = valid.clone();
    bad_ref["externalRef"] = json!("no-slash");
    let mut huge = valid.clone();
    huge["spec"]["billingId"] = json!("x".repeat(10_000));

    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("malformed", b"{\"externalRef\": ".to_vec(), 400),
        ("not json", b"hello".to_vec(), 400),
        ("array", b"[]".to_vec(), 400),
        ("empty", Vec::new(), 400),
        (
            "unknown top-level field",
            serde_json::to_vec(&unknown_top).unwrap(),
            400,
        ),
        (
            "unknown spec field",
            serde_json::to_vec(&unknown_spec).unwrap(),
            400,
        ),
        ("wrong type", serde_json::to_vec(&wrong_type).unwrap(), 400),
        ("wrong enum", serde_json::to_vec(&wrong_enum).unwrap(), 400),
        ("missing spec", serde_json::to_vec(&no_spec).unwrap(), 400),
        (
            "spec not an object",
            serde_json::to_vec(&spec_array).unwrap(),
            400,
        ),
        (
            "bad externalRef",
            serde_json::to_vec(&bad_ref).unwrap(),
            422,
        ),
        ("oversized", serde_json::to_vec(&huge).unwrap(), 413),
    ];
    for (name, body, status) in &cases {
        for key in [None, Some("k-bad")] {
            let answer = client
                .send_raw(Method::POST, "/v1/daas/customers", Some(body.clone()), key)
                .await
                .unwrap();
            assert_eq!(answer.status.as_u16(), *status, "{name}: {:#}", answer.body);
            assert!(
                answer.body["error"]["code"].is_string(),
                "{name}: {:?}",
                answer.bytes
            );
            assert!(answer.body["error"]["message"].is_string(), "{name}");
        }
        let put = client
            .send_raw(
                Method::PUT,
                &format!("/v1/daas/customers/{id}"),
                Some(body.clone()),
                None,
            )
            .await
            .unwrap();
        assert!(put.status.is_client_error(), "PUT {name}: {}", put.status);
        assert!(put.body["error"]["code"].is_string(), "PUT {name}");
    }
    let field = client
        .send_raw(
            Method::POST,
            "/v1/daas/customers",
            Some(serde_json::to_vec(&wrong_type).unwrap()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(field.body["error"]["field"], "spec.minPasswordLength");

    assert_eq!(sandbox.object_count().await, 1, "no object was created");
    assert_eq!(
        client.get(&format!("/v1/daas/customers/{id}")).await.body,
        before,
        "the object is unchanged"
    );
    assert!(sandbox.outbox(None).await.is_empty());
    // A failed request released its key: the same key now works with a valid body.
    client
        .post_key("/v1/daas/customers", &valid, "k-bad")
        .await
        .expect(201);
}

#[tokio::test]
async fn out_of_band_changes_show_in_the_portal() {
    let (_sandbox, client) = start().await;
    let id = customer(&client, "Kenton", "kenton.com").await;
    let patched = client
        .send(
            Method::PATCH,
            &format!("/sandbox/objects/daas/customers/{id}"),
            Some(&json!({"spec": {"billingId": "CHANGED-IN-UI"}})),
            None,
        )
        .await;
    assert_eq!(patched.expect(200)["version"], 2);
    let got = client.get(&format!("/v1/daas/customers/{id}")).await;
    assert_eq!(got.expect(200)["spec"]["billingId"], "CHANGED-IN-UI");
    client
        .delete(&format!("/sandbox/objects/daas/customers/{id}"))
        .await
        .expect(204);
    client
        .get(&format!("/v1/daas/customers/{id}"))
        .await
        .expect_error(404, "NotFound");
}

#[tokio::test]
async fn restart_keeps_objects_and_idempotency_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.db").to_string_lossy().into_owned();
    let body = json!({"externalRef": "ns/kenton", "spec": customer_spec("Kenton", "kenton.com")});

    let (sandbox, client) = start_with(SandboxConfig::default().with_db(&db)).await;
    let first = client.post_key("/v1/daas/customers", &body, "key-1").await;
    first.expect(201);
    let id = first.id();
    sandbox.shutdown().await;

    let (sandbox, client) = start_with(SandboxConfig::default().with_db(&db)).await;
    let got = client.get(&format!("/v1/daas/customers/{id}")).await;
    assert_eq!(
        got.expect(200)["status"]["code"],
        first.body["status"]["code"]
    );
    let replay = client.post_key("/v1/daas/customers", &body, "key-1").await;
    assert_eq!(replay.status.as_u16(), 201);
    assert_eq!(
        replay.bytes, first.bytes,
        "replayed byte for byte after a restart"
    );
    assert_eq!(
        sandbox
            .count_objects("daas", "customers", "ns/kenton")
            .await,
        1
    );
    // New ids do not collide with those made before the restart.
    let other = client
        .create(
            "/v1/daas/customers",
            "ns/other",
            customer_spec("Other", "other.com"),
        )
        .await;
    other.expect(201);
    assert_ne!(other.id(), id);
    sandbox.shutdown().await;
}

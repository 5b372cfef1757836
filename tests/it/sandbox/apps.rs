//! Apps license management (seed 003).

use serde_json::{Value, json};
use tenantry::sandbox::{Campaign, Did, Fixtures, SandboxConfig};

use super::{start, start_with};

#[tokio::test]
async fn licenses_send_a_welcome_email() {
    let (_sandbox, client) = start().await;
    let spec = json!({"app": "Meet", "user": "jane@kenton.com", "licenseType": "Pro"});
    let created = client
        .create("/v1/apps/licenses", "ns/lic/jane", spec.clone())
        .await;
    created.expect(201);
    let mails = client.outbox("jane@kenton.com").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["kind"], "welcome");
    assert_eq!(mails[0]["subject"], "Welcome to Sangoma Meet");
    client
        .create("/v1/apps/licenses", "ns/lic/jane-2", spec.clone())
        .await
        .expect_error(409, "AlreadyExists");
    for app in ["Chat", "Connector"] {
        client
            .create(
                "/v1/apps/licenses",
                &format!("ns/lic/jane-{app}"),
                json!({"app": app, "user": "jane@kenton.com", "licenseType": "Basic"}),
            )
            .await
            .expect(201);
    }
    client
        .create(
            "/v1/apps/licenses",
            "ns/x",
            json!({"app": "Fax", "user": "a@b.com", "licenseType": "x"}),
        )
        .await
        .expect_error(400, "InvalidRequest");
    client
        .create(
            "/v1/apps/licenses",
            "ns/x",
            json!({"app": "Chat", "user": "nobody", "licenseType": "x"}),
        )
        .await
        .expect_error(422, "InvalidField");

    let path = format!("/v1/apps/licenses/{}", created.id());
    let mut changed = spec.clone();
    changed["licenseType"] = json!("Basic");
    client
        .put(&path, &json!({"spec": changed}))
        .await
        .expect(200);
    changed["app"] = json!("Chat");
    client
        .put(&path, &json!({"spec": changed}))
        .await
        .expect_error(422, "ImmutableField");
    assert_eq!(
        client.outbox("jane@kenton.com").await.len(),
        3,
        "no e-mail on update"
    );
}

fn inventory() -> Fixtures {
    let did = |number: &str, purchased, registered, assigned| Did {
        number: number.into(),
        purchased,
        registered,
        assigned,
    };
    Fixtures {
        dids: vec![
            did("+15555550101", true, true, false),
            did("+15555550102", true, true, false),
            did("+15555550103", false, false, false),
            did("+15555550104", true, false, false),
            did("+15555550105", true, true, true),
            did("+15555550106", true, true, false),
            did("+442071838750", true, true, false),
        ],
        campaigns: vec![Campaign {
            id: "C1".into(),
            name: "Kenton notifications".into(),
            registered: true,
            dids: vec!["+15555550101".into(), "+15555550105".into()],
        }],
        ..Fixtures::default()
    }
}

fn sms(did: &str, campaign: Option<&str>) -> Value {
    let mut spec = json!({"did": did, "licenseType": "SMS", "user": "jane@kenton.com"});
    if let Some(c) = campaign {
        spec["campaignId"] = json!(c);
    }
    spec
}

#[tokio::test]
async fn sms_needs_a_purchased_registered_unassigned_did_in_a_campaign() {
    let (_sandbox, client) = start_with(SandboxConfig::default().with_fixtures(inventory())).await;
    client
        .post(
            "/sandbox/apps/campaigns",
            &json!({"id": "C2", "name": "pending", "registered": false, "dids": ["+15555550106"]}),
        )
        .await
        .expect(200);
    client
        .post("/sandbox/apps/dids", &json!({"number": "+15555550107"}))
        .await
        .expect(200);
    client
        .post("/sandbox/apps/dids", &json!({"number": "12345"}))
        .await
        .expect_error(422, "InvalidField");

    let created = client
        .create(
            "/v1/apps/sms-numbers",
            "ns/sms1",
            sms("+15555550101", Some("C1")),
        )
        .await;
    assert_eq!(created.expect(201)["status"]["campaignId"], "C1");

    let cases: Vec<(Value, u16, &str)> = vec![
        (sms("+15555550101", Some("C1")), 409, "DidAssigned"),
        (sms("+15555550199", None), 422, "DidNotFound"),
        (sms("+15555550103", None), 422, "DidNotPurchased"),
        (sms("+15555550104", None), 422, "DidNotRegistered"),
        (sms("+15555550105", Some("C1")), 409, "DidAssigned"),
        (sms("+15555550102", None), 422, "CampaignRequired"),
        (sms("+15555550107", None), 422, "CampaignRequired"),
        (sms("+15555550106", None), 422, "CampaignRequired"),
        (sms("+15555550106", Some("C2")), 422, "CampaignRequired"),
        (sms("+15555550102", Some("C1")), 422, "CampaignRequired"),
        (sms("+15555550102", Some("C9")), 422, "CampaignNotFound"),
        (sms("5555550102", None), 422, "InvalidField"),
    ];
    for (spec, status, code) in cases {
        let answer = client
            .create("/v1/apps/sms-numbers", "ns/sms", spec.clone())
            .await;
        answer.expect_error(status, code);
        if code == "CampaignRequired" {
            assert!(
                answer.body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("2023-06-01")
            );
        }
    }
    // Outside the US no campaign is needed.
    client
        .create(
            "/v1/apps/sms-numbers",
            "ns/sms-uk",
            sms("+442071838750", None),
        )
        .await
        .expect(201);

    let dids = client.get("/v1/apps/dids?limit=100").await.body;
    let one = dids["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["number"] == "+15555550101")
        .unwrap()
        .clone();
    assert_eq!(one["assigned"], true);
    assert_eq!(one["campaignId"], "C1");
    let campaigns = client.get("/sandbox/apps/campaigns").await.body;
    assert_eq!(campaigns["items"].as_array().unwrap().len(), 2);

    // Unbinding frees the DID.
    client
        .delete(&format!("/v1/apps/sms-numbers/{}", created.id()))
        .await
        .expect(204);
    client
        .create("/v1/apps/sms-numbers", "ns/sms1", sms("+15555550101", None))
        .await
        .expect(201);
}

#[tokio::test]
async fn inventory_lists_paginate() {
    let (_sandbox, client) = start_with(SandboxConfig::default().with_fixtures(inventory())).await;
    let mut numbers = Vec::new();
    let mut path = "/v1/apps/dids?limit=3".to_owned();
    loop {
        let page = client.get(&path).await.expect(200).clone();
        numbers.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["number"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/apps/dids?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(numbers.len(), 7);
    let mut sorted = numbers.clone();
    sorted.sort();
    assert_eq!(numbers, sorted);
    client
        .get("/v1/apps/dids?externalRef=x/y")
        .await
        .expect_error(400, "InvalidParameter");
}

//! TeamMate / Teams connector (seed 002).

use serde_json::{Value, json};
use tenantry::sandbox::{AccountRole, Fixtures, ResellerAccount, SandboxConfig};

use super::{Client, start, start_with};

fn enterprise_spec(email: &str) -> Value {
    json!({
        "name": "Kenton Electronics",
        "adminEmail": email,
        "userLimit": 50,
        "musicOnHold": true,
        "sipDataAccess": false,
        "requestConsent": true,
        "sbcRegions": ["us-east"],
        "services": ["PBX", "Trunk"],
        "pbxTypes": ["Ringlogix"],
    })
}

async fn invitation_code(client: &Client, email: &str) -> String {
    let mails = client.outbox(email).await;
    let last = mails.last().expect("an invitation e-mail");
    assert_eq!(last["kind"], "invitation");
    last["data"]["invitationCode"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_invitation_is_emailed_and_consent_takes_two_steps() {
    let (_sandbox, client) = start().await;
    let email = "admin@kenton.onmicrosoft.com";
    let created = client
        .create("/v1/teammate/enterprises", "ns/ent", enterprise_spec(email))
        .await;
    let body = created.expect(202).clone();
    assert_eq!(body["operation"]["state"], "awaitingHuman");
    assert_eq!(body["operation"]["reason"], "AwaitingConsent");
    assert_eq!(body["object"]["status"]["phase"], "AwaitingConsent");
    assert_eq!(body["object"]["status"]["consent"], "Pending");
    assert_eq!(body["object"]["status"]["invitation"]["sentCount"], 1);
    let code = invitation_code(&client, email).await;
    let path = format!("/v1/teammate/enterprises/{}", created.id());
    for bytes in [
        created.bytes.clone(),
        client.get(&path).await.bytes,
        client.get("/v1/teammate/enterprises").await.bytes,
    ] {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&code),
            "the code is never returned"
        );
    }

    client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": "NOPE-NOPE"}),
        )
        .await
        .expect_error(404, "NotFound");
    let first = client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": code}),
        )
        .await;
    assert_eq!(first.expect(200)["consent"], "Partial");
    let op_id = body["operation"]["id"].as_str().unwrap();
    let op = client.get(&format!("/v1/operations/{op_id}")).await.body;
    assert_eq!(op["state"], "awaitingHuman");
    assert!(op["message"].as_str().unwrap().contains("step 2 of 2"));
    let second = client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": code.to_lowercase()}),
        )
        .await;
    assert_eq!(second.expect(200)["consent"], "Granted");
    assert_eq!(
        client.wait_op(op_id, &["succeeded", "failed"]).await["state"],
        "succeeded"
    );
    let obj = client.get(&path).await.body;
    assert_eq!(obj["status"]["phase"], "Ready");
    assert_eq!(obj["status"]["consent"], "Granted");

    client
        .post(&format!("{path}/resend-invitation"), &json!({}))
        .await
        .expect_error(409, "ConsentAlreadyGranted");
    client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": code}),
        )
        .await
        .expect_error(409, "ConsentAlreadyGranted");
}

#[tokio::test]
async fn admin_emails_are_unique_across_accounts() {
    let fixtures = Fixtures {
        reseller_accounts: vec![ResellerAccount {
            email: "master@reseller.com".into(),
            role: AccountRole::MasterReseller,
        }],
        ..Fixtures::default()
    };
    let (_sandbox, client) = start_with(SandboxConfig::default().with_fixtures(fixtures)).await;
    client
        .post(
            "/sandbox/teammate/reseller-accounts",
            &json!({"email": "sales@reseller.com", "role": "Reseller"}),
        )
        .await
        .expect(200);
    let accounts = client.get("/sandbox/teammate/reseller-accounts").await;
    assert_eq!(accounts.body["items"].as_array().unwrap().len(), 2);
    for taken in ["master@reseller.com", "SALES@reseller.com"] {
        let answer = client
            .create("/v1/teammate/enterprises", "ns/e", enterprise_spec(taken))
            .await;
        answer.expect_error(409, "EmailInUse");
        assert_eq!(answer.body["error"]["field"], "spec.adminEmail");
    }
    client
        .create(
            "/v1/teammate/enterprises",
            "ns/e1",
            enterprise_spec("ga@kenton.com"),
        )
        .await
        .expect(202);
    client
        .create(
            "/v1/teammate/enterprises",
            "ns/e2",
            enterprise_spec("GA@kenton.com"),
        )
        .await
        .expect_error(409, "EmailInUse");
}

#[tokio::test]
async fn enterprise_fields_are_checked() {
    let (_sandbox, client) = start().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("pbxTypes", json!([]), "PbxTypeRequired", "spec.pbxTypes"),
        ("sbcRegions", json!([]), "InvalidField", "spec.sbcRegions"),
        ("services", json!([]), "InvalidField", "spec.services"),
        (
            "adminEmail",
            json!("not-an-email"),
            "InvalidField",
            "spec.adminEmail",
        ),
        ("userLimit", json!(0), "InvalidField", "spec.userLimit"),
    ];
    for (field, value, code, at) in cases {
        let mut spec = enterprise_spec("ga@kenton.com");
        spec[field] = value;
        let answer = client
            .create("/v1/teammate/enterprises", "ns/e", spec)
            .await;
        answer.expect_error(422, code);
        assert_eq!(answer.body["error"]["field"], at);
    }
    let mut trunk_only = enterprise_spec("ga@kenton.com");
    trunk_only["services"] = json!(["Trunk"]);
    client
        .create("/v1/teammate/enterprises", "ns/e", trunk_only.clone())
        .await
        .expect_error(422, "InvalidField");
    trunk_only.as_object_mut().unwrap().remove("pbxTypes");
    client
        .create("/v1/teammate/enterprises", "ns/e", trunk_only)
        .await
        .expect(202);
}

#[tokio::test]
async fn edit_disable_and_resend() {
    let (_sandbox, client) = start().await;
    let created = client
        .create(
            "/v1/teammate/enterprises",
            "ns/e",
            enterprise_spec("ga@kenton.com"),
        )
        .await;
    let path = format!("/v1/teammate/enterprises/{}", created.id());
    let code = invitation_code(&client, "ga@kenton.com").await;

    let resent = client
        .post(&format!("{path}/resend-invitation"), &json!({}))
        .await;
    assert_eq!(resent.expect(200)["status"]["invitation"]["sentCount"], 2);
    assert_eq!(invitation_code(&client, "ga@kenton.com").await, code);
    assert_eq!(client.outbox("ga@kenton.com").await.len(), 2);

    let mut edited = enterprise_spec("ga@kenton.com");
    edited["userLimit"] = json!(75);
    let answer = client.put(&path, &json!({"spec": edited})).await;
    assert_eq!(answer.expect(200)["spec"]["userLimit"], 75);
    assert_eq!(answer.body["status"]["phase"], "AwaitingConsent");

    let mut disabled = edited.clone();
    disabled["enabled"] = json!(false);
    let answer = client.put(&path, &json!({"spec": disabled})).await;
    assert_eq!(answer.expect(200)["status"]["phase"], "Disabled");
    client
        .post(&format!("{path}/resend-invitation"), &json!({}))
        .await
        .expect_error(409, "EnterpriseDisabled");
    client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": code}),
        )
        .await
        .expect_error(409, "EnterpriseDisabled");
    disabled["enabled"] = json!(true);
    let answer = client.put(&path, &json!({"spec": disabled})).await;
    assert_eq!(answer.expect(200)["status"]["phase"], "AwaitingConsent");

    // A new Global Admin gets a new invitation; the old code stops working.
    let mut moved = edited.clone();
    moved["adminEmail"] = json!("new-ga@kenton.com");
    client.put(&path, &json!({"spec": moved})).await.expect(200);
    let new_code = invitation_code(&client, "new-ga@kenton.com").await;
    assert_ne!(new_code, code);
    client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": code}),
        )
        .await
        .expect_error(404, "NotFound");
    client
        .post(
            "/sandbox/teammate/consent",
            &json!({"invitationCode": new_code}),
        )
        .await
        .expect(200);

    client.delete(&path).await.expect(204);
    client.get(&path).await.expect_error(404, "NotFound");
}

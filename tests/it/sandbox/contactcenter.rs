//! Contact-center Provisioning Portal (seed 001).

use serde_json::{Value, json};
use tenantry::sandbox::{FaultConfig, FaultRule, SandboxConfig};

use super::{Client, start, start_with};

fn tenant_spec(template: &str) -> Value {
    json!({
        "template": template,
        "name": "KentonElectronics",
        "shortName": "ke",
        "upnSuffix": "kenton-electronics.com",
        "adminUser": "keAdmin",
        "password": "Summer-Harbor-42",
        "passwordConfirmation": "Summer-Harbor-42",
        "passwordFingerprint": "fp-cc",
        "ani": "+15555550100",
        "contact": {"name": "Jane Roe", "email": "jane@kenton-electronics.com"},
    })
}

async fn tenant(client: &Client, template: &str) -> super::Answer {
    client
        .create(
            "/v1/contactcenter/tenants",
            "ns/tenant",
            tenant_spec(template),
        )
        .await
}

#[tokio::test]
async fn tenants_are_provisioned_with_a_prp_personnel_id_and_a_notification() {
    let (_sandbox, client) = start().await;
    let created = tenant(&client, "standard").await;
    let body = created.expect(202).clone();
    assert_eq!(body["object"]["status"]["personnelId"], "prpkeAdmin");
    assert_eq!(body["operation"]["state"], "pending");
    assert!(body["operation"]["notBefore"].is_null());
    assert!(body["object"]["spec"].get("password").is_none());
    assert!(body["object"]["spec"].get("passwordConfirmation").is_none());
    assert_eq!(body["object"]["spec"]["passwordFingerprint"], "fp-cc");
    assert_eq!(client.finish(&created).await["state"], "succeeded");
    let obj = client
        .get(&format!("/v1/contactcenter/tenants/{}", created.id()))
        .await;
    assert_eq!(obj.body["status"]["phase"], "Ready");
    let mails = client.outbox("jane@kenton-electronics.com").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["kind"], "notification");
    assert_eq!(mails[0]["data"]["outcome"], "succeeded");
    assert!(mails[0]["body"].as_str().unwrap().contains("prpkeAdmin"));
    assert!(
        !mails[0]["body"]
            .as_str()
            .unwrap()
            .contains("Summer-Harbor-42")
    );

    // The callback folder comes after the tenant is provisioned.
    let folder = client
        .create(
            "/v1/contactcenter/callback-folders",
            "ns/folder",
            json!({"tenantId": created.id(), "email": "callbacks@kenton-electronics.com"}),
        )
        .await;
    folder.expect(201);
    // Fields the tenant was cloned with are fixed.
    let mut renamed = tenant_spec("standard");
    renamed["name"] = json!("Other");
    client
        .put(
            &format!("/v1/contactcenter/tenants/{}", created.id()),
            &json!({"spec": renamed}),
        )
        .await
        .expect_error(422, "ImmutableField");
    let mut new_ani = tenant_spec("standard");
    new_ani["ani"] = json!("+15555550199");
    new_ani.as_object_mut().unwrap().remove("password");
    new_ani
        .as_object_mut()
        .unwrap()
        .remove("passwordConfirmation");
    client
        .put(
            &format!("/v1/contactcenter/tenants/{}", created.id()),
            &json!({"spec": new_ani}),
        )
        .await
        .expect(200);
}

#[tokio::test]
async fn callback_folders_wait_for_the_tenant() {
    let (_sandbox, client) = start().await;
    client
        .put("/sandbox/contactcenter/off-peak", &json!({"all": true}))
        .await
        .expect(200);
    let created = tenant(&client, "standard").await;
    client
        .create(
            "/v1/contactcenter/callback-folders",
            "ns/folder",
            json!({"tenantId": created.id(), "email": "callbacks@kenton-electronics.com"}),
        )
        .await
        .expect_error(409, "DependencyNotReady");
}

#[tokio::test]
async fn off_peak_templates_are_scheduled() {
    let (_sandbox, client) = start().await;
    client
        .put(
            "/sandbox/contactcenter/off-peak",
            &json!({"templates": ["enterprise-large"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        client.get("/sandbox/contactcenter/off-peak").await.body["templates"],
        json!(["enterprise-large"])
    );
    let created = tenant(&client, "enterprise-large").await;
    let body = created.expect(202).clone();
    assert_eq!(body["operation"]["state"], "scheduled");
    assert_eq!(body["operation"]["reason"], "Scheduled");
    assert_eq!(body["object"]["status"]["phase"], "Scheduled");
    let not_before: jiff::Timestamp = body["operation"]["notBefore"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let created_at: jiff::Timestamp = body["operation"]["createdAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(not_before > created_at, "{body:#}");
    assert_eq!(client.finish(&created).await["state"], "succeeded");
}

#[tokio::test]
async fn tenant_rules() {
    let (sandbox, client) = start().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "name",
            json!("Kenton Electronics"),
            "InvalidField",
            "spec.name",
        ),
        (
            "name",
            json!("Kenton_Electronics"),
            "InvalidField",
            "spec.name",
        ),
        ("shortName", json!("k-e"), "InvalidField", "spec.shortName"),
        (
            "upnSuffix",
            json!("kenton"),
            "InvalidField",
            "spec.upnSuffix",
        ),
        ("ani", json!("5555550100"), "InvalidField", "spec.ani"),
        (
            "passwordConfirmation",
            json!("Summer-Harbor-43"),
            "PasswordMismatch",
            "spec.passwordConfirmation",
        ),
        (
            "password",
            json!("short"),
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "contact",
            json!({"name": "J", "email": "x"}),
            "InvalidField",
            "spec.contact.email",
        ),
    ];
    for (field, value, code, at) in cases {
        let mut spec = tenant_spec("standard");
        spec[field] = value;
        if field == "password" {
            spec["passwordConfirmation"] = json!("short");
        }
        let answer = client
            .create("/v1/contactcenter/tenants", "ns/t", spec)
            .await;
        answer.expect_error(422, code);
        assert_eq!(answer.body["error"]["field"], at);
    }
    assert_eq!(sandbox.object_count().await, 0);
    tenant(&client, "standard").await.expect(202);
    client
        .create(
            "/v1/contactcenter/tenants",
            "ns/other-tenant",
            tenant_spec("standard"),
        )
        .await
        .expect_error(409, "NameInUse");
}

#[tokio::test]
async fn a_failed_provisioning_sends_a_failure_notice() {
    let faults = FaultConfig {
        seed: None,
        rules: vec![FaultRule {
            portal: Some("contactcenter".into()),
            fail_operations: 1.0,
            retry_after_seconds: 1,
            ..FaultRule::default()
        }],
    };
    let (_sandbox, client) = start_with(SandboxConfig::default().with_faults(faults)).await;
    let created = tenant(&client, "standard").await;
    let op = client.finish(&created).await;
    assert_eq!(op["state"], "failed");
    let mails = client.outbox("jane@kenton-electronics.com").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["data"]["outcome"], "failed");
    assert!(
        mails[0]["body"]
            .as_str()
            .unwrap()
            .contains("What to do next")
    );
}

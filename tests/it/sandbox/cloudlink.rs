//! CloudLink onboarding (seed 004).

use serde_json::{Value, json};

use super::start;

fn account_spec(roles: &[&str]) -> Value {
    let support: Vec<Value> = roles
        .iter()
        .enumerate()
        .map(|(i, role)| json!({"role": role, "name": format!("Person {i}"), "email": format!("p{i}@kenton.com")}))
        .collect();
    json!({
        "name": "Kenton Electronics",
        "address": {"line1": "1 Main St", "city": "Springfield", "postalCode": "62701", "country": "US"},
        "businessType": "Manufacturing",
        "adminContacts": [{"name": "Jane Roe", "email": "jane@kenton.com"}, {"name": "Joe Roe", "email": "joe@kenton.com"}],
        "supportContacts": support,
    })
}

#[tokio::test]
async fn a_maintainer_and_an_onsite_admin_are_mandatory() {
    let (sandbox, client) = start().await;
    for roles in [
        &[][..],
        &["Maintainer"][..],
        &["OnsiteAdmin", "Other"][..],
        &["Other"][..],
    ] {
        let answer = client
            .create("/v1/cloudlink/accounts", "ns/acct", account_spec(roles))
            .await;
        answer.expect_error(422, "SupportContactsMissing");
        assert_eq!(answer.body["error"]["field"], "spec.supportContacts");
    }
    assert_eq!(sandbox.object_count().await, 0);
    let created = client
        .create(
            "/v1/cloudlink/accounts",
            "ns/acct",
            account_spec(&["Maintainer", "OnsiteAdmin", "Other", "Other"]),
        )
        .await;
    created.expect(201);

    // The name belongs to Mitel; everything else can be edited.
    let path = format!("/v1/cloudlink/accounts/{}", created.id());
    let mut renamed = account_spec(&["Maintainer", "OnsiteAdmin"]);
    renamed["name"] = json!("Kenton Renamed");
    let refused = client.put(&path, &json!({"spec": renamed})).await;
    refused.expect_error(422, "ImmutableField");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Mitel")
    );
    let mut edited = account_spec(&["Maintainer", "OnsiteAdmin"]);
    edited["businessType"] = json!("Retail");
    let answer = client.put(&path, &json!({"spec": edited})).await;
    assert_eq!(answer.expect(200)["spec"]["businessType"], "Retail");
    let mut dropped = edited.clone();
    dropped["supportContacts"] =
        json!([{"role": "Maintainer", "name": "M", "email": "m@kenton.com"}]);
    client
        .put(&path, &json!({"spec": dropped}))
        .await
        .expect_error(422, "SupportContactsMissing");
    let mut bad_role = edited.clone();
    bad_role["supportContacts"][0]["role"] = json!("Janitor");
    client
        .put(&path, &json!({"spec": bad_role}))
        .await
        .expect_error(400, "InvalidRequest");
}

#[tokio::test]
async fn the_gateway_step_depends_on_the_platform() {
    let (_sandbox, client) = start().await;
    let mut steps = Vec::new();
    for (n, platform) in ["MiVoice", "SMBC", "VA"].iter().enumerate() {
        let mut spec = account_spec(&["Maintainer", "OnsiteAdmin"]);
        spec["name"] = json!(format!("Account {n}"));
        let account = client
            .create("/v1/cloudlink/accounts", &format!("ns/acct{n}"), spec)
            .await;
        let gateway = client
            .create(
                "/v1/cloudlink/gateways",
                &format!("ns/gw{n}"),
                json!({"accountId": account.id(), "platform": platform}),
            )
            .await;
        steps.push((
            gateway.expect(201)["status"]["step"].clone(),
            gateway.body["status"]["steps"].clone(),
        ));
        client
            .create(
                "/v1/cloudlink/gateways",
                "ns/again",
                json!({"accountId": account.id(), "platform": platform}),
            )
            .await
            .expect_error(409, "AlreadyExists");
    }
    assert_eq!(
        steps,
        vec![
            (json!("Gateway"), json!(["PBX", "Connect"])),
            (json!("Sync"), json!(["Sync"])),
            (json!("Sync"), json!(["Sync"])),
        ]
    );
    client
        .create(
            "/v1/cloudlink/gateways",
            "ns/gw",
            json!({"accountId": "cla_missing", "platform": "VA"}),
        )
        .await
        .expect_error(422, "ReferenceNotFound");
}

/// The platform is immutable in the contract's table (`x-immutable`); the sandbox once let it
/// change while the plan replaced the gateway: both now read the same table.
#[tokio::test]
async fn a_gateway_keeps_its_platform() {
    let (_sandbox, client) = start().await;
    let account = client
        .create(
            "/v1/cloudlink/accounts",
            "ns/acct",
            account_spec(&["Maintainer", "OnsiteAdmin"]),
        )
        .await;
    let gateway = client
        .create(
            "/v1/cloudlink/gateways",
            "ns/gw",
            json!({"accountId": account.id(), "platform": "MiVoice"}),
        )
        .await;
    gateway.expect(201);
    let path = format!("/v1/cloudlink/gateways/{}", gateway.id());
    let refused = client
        .put(
            &path,
            &json!({"spec": {"accountId": account.id(), "platform": "SMBC"}}),
        )
        .await;
    refused.expect_error(422, "ImmutableField");
    assert_eq!(refused.body["error"]["field"], "spec.platform");
    assert!(tenantry::model::Kind::CloudLinkGateway.is_immutable("platform"));
    client
        .put(
            &path,
            &json!({"spec": {"accountId": account.id(), "platform": "MiVoice"}}),
        )
        .await
        .expect(200);
}

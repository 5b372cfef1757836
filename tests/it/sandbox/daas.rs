//! Connected Workspace / DaaS (seed 000).

use serde_json::{Value, json};

use super::{Client, customer, customer_spec, start, start_with};

#[tokio::test]
async fn customer_codes_are_generated_unless_given() {
    let (_sandbox, client) = start().await;
    let generated = client
        .create(
            "/v1/daas/customers",
            "ns/a",
            customer_spec("Kenton Electronics", "kenton.com"),
        )
        .await;
    let code = generated.expect(201)["status"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(code.starts_with("KEN") && code.len() == 7, "{code}");
    assert!(
        generated.body["spec"].get("code").is_none(),
        "spec stays as declared"
    );

    let mut spec = customer_spec("Acme", "acme.com");
    spec["code"] = json!("ACME01");
    let given = client
        .create("/v1/daas/customers", "ns/b", spec.clone())
        .await;
    assert_eq!(given.expect(201)["status"]["code"], "ACME01");

    let mut taken = customer_spec("Other", "other.com");
    taken["code"] = json!(code);
    client
        .create("/v1/daas/customers", "ns/c", taken)
        .await
        .expect_error(409, "CodeInUse");

    // Code and name cannot change; restating the code is fine.
    let path = format!("/v1/daas/customers/{}", given.id());
    spec["code"] = json!("ACME02");
    let answer = client.put(&path, &json!({"spec": spec})).await;
    answer.expect_error(422, "ImmutableField");
    assert_eq!(answer.body["error"]["field"], "spec.code");
    spec["code"] = json!("ACME01");
    spec["name"] = json!("Acme Renamed");
    client
        .put(&path, &json!({"spec": spec}))
        .await
        .expect_error(422, "ImmutableField");
    spec["name"] = json!("Acme");
    spec["dnsZone"] = json!(false);
    client.put(&path, &json!({"spec": spec})).await.expect(200);
}

#[tokio::test]
async fn customer_fields_are_checked() {
    let (_sandbox, client) = start().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("minPasswordLength", json!(6), "spec.minPasswordLength"),
        ("domains", json!([]), "spec.domains"),
        ("domains", json!(["not a domain"]), "spec.domains[0]"),
        ("domains", json!(["a.com", "A.com"]), "spec.domains[1]"),
        ("phone", json!("555-0100"), "spec.phone"),
        (
            "contact",
            json!({"name": "Jane", "email": "nope"}),
            "spec.contact.email",
        ),
    ];
    for (field, value, at) in cases {
        let mut spec = customer_spec("Kenton", "kenton.com");
        spec[field] = value;
        let answer = client.create("/v1/daas/customers", "ns/x", spec).await;
        answer.expect_error(422, "InvalidField");
        assert_eq!(answer.body["error"]["field"], at);
    }
    for t in ["Standard", "Test", "Demo"] {
        let mut spec = customer_spec("Kenton", "kenton.com");
        spec["type"] = json!(t);
        client
            .create("/v1/daas/customers", &format!("ns/x-{t}"), spec)
            .await
            .expect(201);
    }
}

fn admin_spec(customer: &str) -> Value {
    json!({
        "customerId": customer,
        "firstName": "Jane",
        "lastName": "Roe",
        "upnDomain": "kenton.com",
        "externalEmail": "jane.roe@example.net",
        "password": "Summer-Harbor-42",
        "passwordFingerprint": "fp-1",
    })
}

#[tokio::test]
async fn admins_get_a_upn_and_a_temporary_password_by_email() {
    let (sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let created = client
        .create("/v1/daas/admins", "ns/jane", admin_spec(&customer))
        .await;
    let obj = created.expect(201).clone();
    assert_eq!(obj["status"]["username"], "jroe");
    assert_eq!(obj["status"]["upn"], "jroe@kenton.com");
    assert_eq!(obj["status"]["role"], "DaaSPartnerAdmin");
    assert_eq!(obj["status"]["changePasswordAtNextLogon"], true);
    assert_eq!(obj["status"]["accountDisabled"], false);
    assert_eq!(obj["status"]["accountLocked"], false);
    assert_eq!(obj["status"]["accountExpires"], "Never");
    assert_eq!(obj["spec"]["passwordFingerprint"], "fp-1");
    assert!(obj["spec"].get("password").is_none());

    // The password appears nowhere but in the outbox.
    for path in [
        format!("/v1/daas/admins/{}", created.id()),
        "/v1/daas/admins".to_owned(),
        "/sandbox/requests".to_owned(),
    ] {
        let answer = client.get(&path).await;
        assert!(
            !String::from_utf8_lossy(&answer.bytes).contains("Summer-Harbor-42"),
            "{path}"
        );
    }
    assert!(!String::from_utf8_lossy(&created.bytes).contains("Summer-Harbor-42"));
    let mails = client.outbox("jane.roe@example.net").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["kind"], "temporaryPassword");
    assert_eq!(mails[0]["data"]["temporaryPassword"], "Summer-Harbor-42");
    assert_eq!(mails[0]["data"]["upn"], "jroe@kenton.com");
    assert_eq!(sandbox.outbox(Some("JANE.ROE@example.net")).await.len(), 1);

    // A second administrator with the same UPN is refused.
    client
        .create("/v1/daas/admins", "ns/jane2", admin_spec(&customer))
        .await
        .expect_error(409, "UpnInUse");
    // An explicit username is kept.
    let mut spec = admin_spec(&customer);
    spec["username"] = json!("jane.admin");
    let other = client
        .create("/v1/daas/admins", "ns/jane3", spec.clone())
        .await;
    assert_eq!(other.expect(201)["status"]["upn"], "jane.admin@kenton.com");

    // Username is fixed; a new password is e-mailed; a changed fingerprint needs the password.
    let path = format!("/v1/daas/admins/{}", other.id());
    let mut renamed = spec.clone();
    renamed["username"] = json!("someone");
    client
        .put(&path, &json!({"spec": renamed}))
        .await
        .expect_error(422, "ImmutableField");
    let mut no_secret = spec.clone();
    no_secret.as_object_mut().unwrap().remove("password");
    no_secret["passwordFingerprint"] = json!("fp-2");
    client
        .put(&path, &json!({"spec": no_secret}))
        .await
        .expect_error(422, "FingerprintRequired");
    let mut new_password = spec.clone();
    new_password["password"] = json!("Winter-Harbor-43");
    new_password["passwordFingerprint"] = json!("fp-2");
    let changed = client.put(&path, &json!({"spec": new_password})).await;
    assert_eq!(changed.expect(200)["spec"]["passwordFingerprint"], "fp-2");
    assert_eq!(client.outbox("jane.roe@example.net").await.len(), 3);
}

#[tokio::test]
async fn admin_rules() {
    let (sandbox, client) = start().await;
    let mut strict = customer_spec("Strict", "strict.com");
    strict["minPasswordLength"] = json!(14);
    strict["domains"] = json!(["strict.com", "strict.io"]);
    let strict = client
        .create("/v1/daas/customers", "ns/strict", strict)
        .await;
    let customer = strict.id();
    let base = || {
        let mut s = admin_spec(&customer);
        s["upnDomain"] = json!("strict.io");
        s
    };
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "upnDomain",
            json!("kenton.com"),
            422,
            "UpnDomainNotOwned",
            "spec.upnDomain",
        ),
        (
            "password",
            json!("Short-1"),
            422,
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "password",
            json!("Harbor-Bay-42"),
            422,
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "password",
            json!("aaaaaaaaaaaaaaaa"),
            422,
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "password",
            json!("Xx-JROE-1234567"),
            422,
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "password",
            json!("jr0e-Harbor-2024"),
            422,
            "PasswordPolicy",
            "spec.password",
        ),
        (
            "password",
            Value::Null,
            422,
            "InvalidField",
            "spec.password",
        ),
        (
            "passwordFingerprint",
            Value::Null,
            422,
            "FingerprintRequired",
            "spec.passwordFingerprint",
        ),
        (
            "role",
            json!("GlobalAdmin"),
            422,
            "InvalidField",
            "spec.role",
        ),
        (
            "externalEmail",
            json!("nobody"),
            422,
            "InvalidField",
            "spec.externalEmail",
        ),
        (
            "customerId",
            json!("cus_missing"),
            422,
            "ReferenceNotFound",
            "spec.customerId",
        ),
    ];
    for (field, value, status, code, at) in cases {
        let mut spec = base();
        if value.is_null() {
            spec.as_object_mut().unwrap().remove(field);
        } else {
            spec[field] = value.clone();
        }
        let answer = client.create("/v1/daas/admins", "ns/a", spec).await;
        answer.expect_error(status, code);
        assert_eq!(answer.body["error"]["field"], at, "{field}={value}");
        if let Some(pw) = value.as_str().filter(|_| field == "password") {
            assert!(
                !String::from_utf8_lossy(&answer.bytes).contains(pw),
                "message leaks {pw}"
            );
        }
    }
    assert!(
        sandbox.outbox(None).await.is_empty(),
        "no e-mail for refused admins"
    );
    let mut ok = base();
    ok["password"] = json!("Summer-Harbor-2024!");
    let admin = client.create("/v1/daas/admins", "ns/a", ok).await;
    assert_eq!(admin.expect(201)["status"]["upn"], "jroe@strict.io");

    // The customer cannot drop a domain an administrator uses.
    let mut shrunk = customer_spec("Strict", "strict.com");
    shrunk["minPasswordLength"] = json!(14);
    client
        .put(
            &format!("/v1/daas/customers/{customer}"),
            &json!({"spec": shrunk}),
        )
        .await
        .expect_error(422, "DomainInUse");
}

async fn azure_ad(client: &Client, customer: &str, reference: &str) -> super::Answer {
    client
        .create(
            "/v1/daas/azure-ad",
            reference,
            json!({"customerId": customer, "mode": "CreateNew"}),
        )
        .await
}

#[tokio::test]
async fn azure_ad_derives_the_onmicrosoft_domain() {
    let (_sandbox, client) = start().await;
    let first = customer(&client, "Kenton Electronics", "kenton.com").await;
    let created = azure_ad(&client, &first, "ns/aad1").await;
    let body = created.expect(202).clone();
    assert_eq!(body["operation"]["state"], "pending");
    assert_eq!(body["operation"]["action"], "create");
    assert_eq!(body["operation"]["objectId"], body["object"]["id"]);
    assert_eq!(body["object"]["status"]["phase"], "Provisioning");
    assert_eq!(
        body["object"]["status"]["termsAcceptedBy"]["email"],
        "jane@kenton.com"
    );
    let op = client.finish(&created).await;
    assert_eq!(op["state"], "succeeded", "{op:#}");
    let obj = client
        .get(&format!("/v1/daas/azure-ad/{}", created.id()))
        .await
        .body;
    assert_eq!(obj["status"]["phase"], "Ready");
    assert_eq!(
        obj["status"]["onmicrosoftDomain"],
        "kentonelectronics.onmicrosoft.com"
    );
    assert!(
        obj["status"]["tenantId"]
            .as_str()
            .is_some_and(|t| t.len() == 36)
    );

    // A second customer of the same name gets its code appended.
    let second = client
        .create(
            "/v1/daas/customers",
            "ns/second",
            customer_spec("Kenton Electronics", "kenton2.com"),
        )
        .await;
    let code = second.body["status"]["code"]
        .as_str()
        .unwrap()
        .to_lowercase();
    let created = azure_ad(&client, &second.id(), "ns/aad2").await;
    client.finish(&created).await;
    let obj = client
        .get(&format!("/v1/daas/azure-ad/{}", created.id()))
        .await
        .body;
    assert_eq!(
        obj["status"]["onmicrosoftDomain"],
        format!("kentonelectronics{code}.onmicrosoft.com")
    );

    // One Azure AD per customer.
    azure_ad(&client, &first, "ns/aad3")
        .await
        .expect_error(409, "AlreadyExists");
}

#[tokio::test]
async fn azure_ad_fails_when_both_domains_are_taken() {
    let (_sandbox, client) = start().await;
    let created = client
        .create(
            "/v1/daas/customers",
            "ns/c",
            customer_spec("Kenton Electronics", "kenton.com"),
        )
        .await;
    let code = created.body["status"]["code"]
        .as_str()
        .unwrap()
        .to_lowercase();
    client
        .post(
            "/sandbox/microsoft-domains",
            &json!({"domain": "kentonelectronics"}),
        )
        .await
        .expect(200);
    client
        .post(
            "/sandbox/microsoft-domains",
            &json!({"domain": format!("kentonelectronics{code}.onmicrosoft.com")}),
        )
        .await
        .expect(200);
    let domains = client.get("/sandbox/microsoft-domains").await;
    assert_eq!(domains.body["items"].as_array().unwrap().len(), 2);
    let aad = azure_ad(&client, &created.id(), "ns/aad").await;
    let op = client.finish(&aad).await;
    assert_eq!(op["state"], "failed");
    assert_eq!(op["reason"], "DomainUnavailable");
    assert!(op["message"].as_str().unwrap().contains("TTU"), "{op:#}");
    let obj = client
        .get(&format!("/v1/daas/azure-ad/{}", aad.id()))
        .await
        .body;
    assert_eq!(obj["status"]["phase"], "Failed");
    // The object itself says why, as the operation does (issue 14, item 4).
    assert_eq!(obj["status"]["failure"]["action"], "create");
    assert_eq!(obj["status"]["failure"]["reason"], "DomainUnavailable");
    assert_eq!(obj["status"]["failure"]["message"], op["message"]);
}

#[tokio::test]
async fn azure_ad_connects_an_existing_tenant() {
    let (_sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    client
        .create(
            "/v1/daas/azure-ad",
            "ns/a",
            json!({"customerId": customer, "mode": "ConnectExisting"}),
        )
        .await
        .expect_error(422, "InvalidField");
    client
        .create(
            "/v1/daas/azure-ad",
            "ns/a",
            json!({"customerId": customer, "mode": "CreateNew", "existingTenantId": "t"}),
        )
        .await
        .expect_error(422, "InvalidField");
    let created = client
        .create(
            "/v1/daas/azure-ad",
            "ns/a",
            json!({"customerId": customer, "mode": "ConnectExisting", "existingTenantId": "1111-2222",
                   "acceptedBy": {"name": "Boss", "email": "boss@kenton.com"}}),
        )
        .await;
    created.expect(202);
    assert_eq!(client.finish(&created).await["state"], "succeeded");
    let obj = client
        .get(&format!("/v1/daas/azure-ad/{}", created.id()))
        .await
        .body;
    assert_eq!(obj["status"]["tenantId"], "1111-2222");
    assert_eq!(obj["status"]["termsAcceptedBy"]["name"], "Boss");
}

#[tokio::test]
async fn microsoft_online_waits_for_azure_ad() {
    // Azure AD must still be provisioning when it is edited below: at the default scale it
    // finishes in milliseconds, which a loaded machine overshoots; here it takes about a second.
    let (_sandbox, client) =
        start_with(tenantry::sandbox::SandboxConfig::default().with_time_scale(0.01)).await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let mso = json!({"customerId": customer});
    client
        .create("/v1/daas/microsoft-online", "ns/mso", mso.clone())
        .await
        .expect_error(409, "DependencyNotReady");
    let aad = azure_ad(&client, &customer, "ns/aad").await;
    client
        .create("/v1/daas/microsoft-online", "ns/mso", mso.clone())
        .await
        .expect_error(409, "DependencyNotReady");
    // Busy objects refuse changes until their operation ends.
    client
        .put(
            &format!("/v1/daas/azure-ad/{}", aad.id()),
            &json!({"spec": {"customerId": customer, "mode": "CreateNew"}}),
        )
        .await
        .expect_error(409, "OperationInProgress");
    client.finish(&aad).await;
    let created = client
        .create("/v1/daas/microsoft-online", "ns/mso", mso)
        .await;
    created.expect(202);
    assert_eq!(client.finish(&created).await["state"], "succeeded");

    // Azure AD cannot go while Microsoft Online depends on it; deletes are long-running.
    client
        .delete(&format!("/v1/daas/azure-ad/{}", aad.id()))
        .await
        .expect_error(409, "HasDependents");
    let path = format!("/v1/daas/microsoft-online/{}", created.id());
    let deleting = client.delete(&path).await;
    assert_eq!(deleting.expect(202)["operation"]["action"], "delete");
    assert_eq!(deleting.body["object"]["status"]["phase"], "Deleting");
    assert_eq!(client.finish(&deleting).await["state"], "succeeded");
    client.get(&path).await.expect_error(404, "NotFound");
    client.delete(&path).await.expect_error(404, "NotFound");
}

#[tokio::test]
async fn citrix_and_file_sharing() {
    let (_sandbox, client) = start().await;
    let customer = customer(&client, "Kenton", "kenton.com").await;
    let citrix = client
        .create(
            "/v1/daas/citrix",
            "ns/citrix",
            json!({"customerId": customer, "applications": [], "desktops": []}),
        )
        .await;
    assert_eq!(citrix.expect(201)["status"]["phase"], "Ready");
    let files = client
        .create(
            "/v1/daas/file-sharing",
            "ns/files",
            json!({"customerId": customer}),
        )
        .await;
    let obj = files.expect(201);
    assert_eq!(obj["status"]["drive"], "CorpShare (X:)");
    assert_eq!(obj["status"]["folders"], json!(["Users"]));
    client
        .create(
            "/v1/daas/file-sharing",
            "ns/files2",
            json!({"customerId": customer}),
        )
        .await
        .expect_error(409, "AlreadyExists");
}

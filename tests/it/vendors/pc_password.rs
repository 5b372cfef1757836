//! Partner Center's generated admin password (issue 15): `POST /v1/customers` returns the new
//! customer's admin credentials once. The CLI saves them as a Secret manifest in its state
//! directory, the controller as the Secret `<tenant>-microsoft-admin` owned by the Tenant;
//! never in any output. And the controller's condition of a relationship waiting for the
//! customer's approval shows the approval link.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use serde_json::{Value, json};
use tenantry::api::{Declared, Portal, PortalConnection, SecretKey, Sensitive, ServiceBinding};
use tenantry::controller::reconcile;

use super::gdap::{APPLY, PLAN, connect_with, setup};
use super::partnercenter::{Vendor, partner_connection, vendor};
use super::run;
use crate::canary::canary;
use crate::controller::fixtures::{Harness, NS, from_json, ready, tenant};
use crate::support::examples_copy;

/// Every admin password the emulator generated.
async fn passwords(v: &Vendor) -> Vec<String> {
    crate::sandbox::Client::new(&v.sb)
        .get("/sandbox/pc/state")
        .await
        .body["passwords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_saves_the_new_admin_password_once_and_shows_it_nowhere() {
    let v = vendor().await;
    setup(&v, 0).await;
    let (tmp, dir) = examples_copy();
    connect_with(&dir, &v, false);
    let apply = run(tmp.path(), &APPLY, 0).await;
    let generated = passwords(&v).await;
    assert_eq!(generated.len(), 1, "Kenton is new, Meridian adopted");
    let file = tmp
        .path()
        .join(".tenantry/secrets/customers/kenton-electronics-microsoft-admin.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}: {}", apply.all()));
    let secret: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(
        secret["metadata"]["name"],
        "kenton-electronics-microsoft-admin"
    );
    assert_eq!(secret["stringData"]["password"], generated[0].as_str());
    assert_eq!(
        secret["stringData"]["username"],
        "admin@kentonelectronics.onmicrosoft.com"
    );
    let mode = std::fs::metadata(&file)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_default();
    assert_eq!(mode, 0o600, "readable by the user only");
    assert!(
        apply
            .stdout
            .contains("saved as Secret customers/kenton-electronics-microsoft-admin"),
        "{}",
        apply.stdout
    );

    // A rerun writes nothing again (Partner Center does not return it again), and no run
    // shows it.
    let again = run(tmp.path(), &APPLY, 0).await;
    assert!(
        !again.stdout.contains("saved as Secret"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), text);
    let plan = run(tmp.path(), &["plan", "-f", "examples/", "-o", "json"], 0).await;
    let quiet = run(tmp.path(), &PLAN, 0).await;
    for r in [&apply, &again, &plan, &quiet] {
        assert!(
            !r.all().contains(generated[0].as_str()),
            "leaked: {}",
            r.all()
        );
    }
}

fn condition(status: &Value, type_: &str) -> Value {
    status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .cloned()
        .unwrap_or_default()
}

/// The controller's pipeline: the Tenant's Azure AD through Partner Center (its password into
/// the Tenant's Secret), its GDAP relationship through Graph, waiting with the link.
#[tokio::test(flavor = "multi_thread")]
async fn the_controller_stores_the_password_in_the_tenants_secret_and_shows_the_approval_link() {
    let v = vendor().await;
    setup(&v, 0).await;
    let mut t = tenant("kenton", "Apply", "Orphan");
    t.spec.portals = vec![Portal::Daas];
    let t = ready(&t);
    let aad: ServiceBinding = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "ServiceBinding",
        "metadata": {"name": "kenton-aad", "namespace": NS, "uid": "uid-kenton-aad",
                     "generation": 1, "finalizers": ["tenantry.dev/cleanup"]},
        "spec": {"tenantRef": {"name": "kenton"}, "azureAD": {"mode": "CreateNew"}},
    }));
    let url = v.sb.url();
    let pc: PortalConnection = from_json(
        serde_yaml::from_str::<Value>(
            partner_connection(&v)
                .split("---")
                .next()
                .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let default: PortalConnection = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "default", "generation": 1},
        "spec": {"url": url, "delegates": [{"name": "partnercenter"}, {"name": "graph"}],
                 "credentialsSecretRef": {"namespace": "tenantry-system", "name": "portal", "key": "token"}}
    }));
    let graph: PortalConnection = from_json(json!({
        "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
        "metadata": {"name": "graph", "generation": 1},
        "spec": {"api": "graph", "url": format!("{url}/graph/v1.0"), "portals": ["daas"],
                 "auth": {"clientCredentials": {
                    "tokenUrl": format!("{url}/{{tenant}}/oauth2/v2.0/token"),
                    "clientId": "00000000-0000-4000-8000-000000000000",
                    "clientSecretRef": {"namespace": "tenantry-system", "name": "graph", "key": "clientSecret"},
                    "scope": "https://graph.microsoft.com/.default"}}}
    }));
    let h = Harness::with_providers(
        v.sb,
        vec![t.clone()],
        vec![aad.clone()],
        vec![default, pc, graph],
    );
    let key = |name: &str, key: &str| SecretKey {
        namespace: "tenantry-system".to_owned(),
        name: name.to_owned(),
        key: key.to_owned(),
    };
    let mut declared = Declared::default();
    for (name, k, value) in [
        ("portal", "token", canary("Token")),
        ("partnercenter-app", "clientSecret", v.client_secret.clone()),
        ("partnercenter-app", "refreshToken", v.refresh_token.clone()),
        ("graph", "clientSecret", canary("GraphClient")),
    ] {
        declared.secrets.insert(key(name, k), Sensitive::new(value));
    }
    h.api.add_secrets(&declared);
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The binding until its relationship waits for the customer (the azure-ad polled first).
    let mut status = Value::Null;
    for _ in 0..20 {
        reconcile(Arc::new(aad.clone()), Arc::clone(&h.ctx))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        status = h.api.last_status().unwrap_or_default();
        if condition(&status, "Ready")["reason"] == "AwaitingCustomerApproval" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ready_condition = condition(&status, "Ready");
    assert_eq!(
        ready_condition["reason"], "AwaitingCustomerApproval",
        "{status:#}"
    );
    let message = ready_condition["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/"
        ),
        "{message}"
    );

    // The password Partner Center returned once is in the Tenant's Secret, and nowhere else.
    let generated = passwords_of(&h).await;
    assert_eq!(generated.len(), 1);
    let secrets = h.api.secrets();
    let (_, secret) = secrets
        .iter()
        .find(|(path, _)| path.ends_with("/kenton-microsoft-admin"))
        .unwrap_or_else(|| panic!("no Secret kenton-microsoft-admin: {:?}", secrets.keys()));
    let stored = secret["data"]["password"].clone();
    let expected = serde_json::to_value(k8s_openapi::ByteString(generated[0].as_bytes().to_vec()))
        .unwrap_or_default();
    assert_eq!(stored, expected);
    let owners = &secret["metadata"]["ownerReferences"];
    assert_eq!(owners[0]["kind"], "Tenant", "{secret:#}");
    assert_eq!(owners[0]["name"], "kenton");
    assert!(
        !status.to_string().contains(generated[0].as_str()),
        "not in status"
    );
}

async fn passwords_of(h: &Harness) -> Vec<String> {
    crate::sandbox::Client::new(&h.sandbox)
        .get("/sandbox/pc/state")
        .await
        .body["passwords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

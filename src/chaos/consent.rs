//! The customers' part: each TeamMate enterprise waits for its customer's Microsoft Global
//! Admin to accept an e-mailed invitation and grant consent in two steps. No tenantry command
//! can do that; the runner does it as the customers would, with the invitation codes from the
//! sandbox outbox and `POST /sandbox/teammate/consent`, and reports how many it granted.

use std::collections::{BTreeMap, BTreeSet};

use super::Error;
use crate::sandbox::Sandbox;
use serde_json::{Value, json};

/// Grants consent for every invited enterprise not granted yet; returns how many it granted.
pub async fn grant(sandbox: &Sandbox, granted: &mut BTreeSet<String>) -> Result<usize, Error> {
    // The latest invitation of each enterprise (a resent or renewed one replaces the first).
    let mut codes: BTreeMap<String, String> = BTreeMap::new();
    for mail in sandbox.outbox(None).await {
        if mail.kind != "invitation" {
            continue;
        }
        if let (Some(id), Some(code)) = (
            mail.data["enterpriseId"].as_str(),
            mail.data["invitationCode"].as_str(),
        ) {
            codes.insert(id.to_owned(), code.to_owned());
        }
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let url = format!("{}/sandbox/teammate/consent", sandbox.url());
    let mut count = 0;
    for (enterprise, code) in codes {
        if granted.contains(&enterprise) {
            continue;
        }
        // Two steps: the first set of permissions, then the application permissions.
        for _ in 0..2 {
            let response = http
                .post(&url)
                .bearer_auth("customer")
                .json(&json!({ "invitationCode": code }))
                .send()
                .await
                .map_err(|e| Error::Consent {
                    enterprise: enterprise.clone(),
                    detail: e.to_string(),
                })?;
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            match (
                status,
                body["consent"].as_str(),
                body["error"]["code"].as_str(),
            ) {
                (200, Some("Granted"), _) | (409, _, Some("ConsentAlreadyGranted")) => {
                    granted.insert(enterprise.clone());
                    count += 1;
                    break;
                }
                (200, _, _) => {}
                // An invitation of an enterprise that is gone or not inviting: nothing to grant.
                (404 | 409, _, _) => break,
                _ => {
                    return Err(Error::Consent {
                        enterprise,
                        detail: format!("{status} {body}"),
                    });
                }
            }
        }
    }
    Ok(count)
}

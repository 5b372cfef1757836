//! The Mitel CloudLink adapter (seed 004): the `cloudlink` portal's `accounts` and `gateways`
//! on Mitel's admin API (vendor-apis.md §4, docs/providers.md "Mitel CloudLink").
//!
//! Calls go through the connection's [`HttpPortal`] (password grant with `account_id`, renewed
//! with the refresh token; retries honouring `Retry-After`; budget; scrubbing), with
//! `x-mitel-app` on every request and each answer's `x-mitel-correlation-id` logged at debug
//! and quoted in errors.
//!
//! Mitel creates accounts only in its Accounts portal, so a create never POSTs an account: it
//! adopts the partner's account of the declared name (or the one already tagged for this
//! object) and PUTs the fields the API may change, and adds the admin contacts as users
//! (`ACCOUNT_ADMIN`); with no such account yet it waits (`AwaitingManualStep`) with the values
//! a person enters there. The gateway appliance and PBX connection are a person's too: a
//! gateway waits until the account reports its `pbxType`. tenantry's `externalRef` and
//! deletion policy travel in the account's `tags`; deleting an account is never an API call.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::api::{DeletionPolicy, Portal};
use crate::portal::http::{HttpPortal, VendorHeaders};
use crate::portal::wire::{
    Accepted, DeleteOutcome, Operation, OperationState, PortalObject, WriteOutcome,
};
use crate::portal::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};

const ACCOUNTS: &str = "accounts";
const GATEWAYS: &str = "gateways";
const REF_TAG: &str = "tenantry:";
const POLICY_TAG: &str = "tenantry-deletion-policy:";
const GATEWAY_TAG: &str = "tenantry-gateway:";
const PLATFORM_TAG: &str = "tenantry-gateway-platform:";
const GATEWAY_POLICY_TAG: &str = "tenantry-gateway-deletion-policy:";
/// The role of an account's administrators (seed 004's admin contacts).
const ADMIN_ROLE: &str = "ACCOUNT_ADMIN";
/// Where a person creates and deletes CloudLink accounts.
const ACCOUNTS_PORTAL: &str = "https://accounts.mitel.io";
/// Page size of the account list (`$top`).
const PAGE: usize = 100;
/// Id of an account that does not exist yet (the operation that waits for a person).
const AWAITING: &str = "awaiting-account:";
/// The phase of an object waiting for a person's step in Mitel's portals.
const MANUAL: &str = "AwaitingManualStep";

/// The CloudLink client of one connection; clones share the token and the budget.
#[derive(Clone)]
pub struct CloudLink {
    http: HttpPortal,
}

impl CloudLink {
    /// The adapter over `http` (whose credential is the password grant with `accountId`).
    pub fn new(http: HttpPortal, connection: &str) -> Self {
        let app = format!(
            "app=tenantry/{};platform={}/{};session-id={connection}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
        );
        Self {
            http: http.with_vendor_headers(VendorHeaders {
                sent: vec![("x-mitel-app", app)],
                trace: Some("x-mitel-correlation-id"),
            }),
        }
    }

    fn portal() -> &'static str {
        Portal::CloudLink.id()
    }

    /// One call; a 404 is `(404, Null)`, anything else decoded as JSON (empty: `Null`).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), PortalError> {
        let bytes = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| PortalError::Setup(e.to_string()))?),
            None => None,
        };
        let (status, resp) = self
            .http
            .call(Self::portal(), method, path, bytes.as_deref())
            .await
            .map_err(vendor_code)?;
        if status == StatusCode::NOT_FOUND || resp.is_empty() {
            return Ok((status, Value::Null));
        }
        let value = serde_json::from_slice(&resp).map_err(|e| PortalError::Protocol {
            portal: Self::portal().to_owned(),
            status: status.as_u16(),
            detail: format!("{path}: {e}"),
        })?;
        Ok((status, value))
    }

    /// Every page of a list (`_embedded.items`, OData `$top`/`$skip`).
    async fn list_all(&self, path: &str) -> Result<Vec<Value>, PortalError> {
        let mut out = Vec::new();
        loop {
            let page = format!("{path}?$top={PAGE}&$skip={}", out.len());
            let (_, body) = self.send(Method::GET, &page, None).await?;
            let items = body["_embedded"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < PAGE {
                return Ok(out);
            }
        }
    }

    async fn accounts(&self) -> Result<Vec<Value>, PortalError> {
        self.list_all(ACCOUNTS).await
    }

    async fn account(&self, id: &str) -> Result<Value, PortalError> {
        match self
            .send(Method::GET, &format!("accounts/{id}"), None)
            .await?
        {
            (StatusCode::NOT_FOUND, _) => Err(not_found(id)),
            (_, account) => Ok(account),
        }
    }

    async fn users(&self, id: &str) -> Result<Vec<Value>, PortalError> {
        self.list_all(&format!("accounts/{id}/users")).await
    }

    async fn observed_account(&self, account: &Value) -> Result<PortalObject, PortalError> {
        let users = self.users(&id_of(account)).await?;
        Ok(account_object(account, &users))
    }

    /// PUTs `fields` (plus the account's tags with `tags` replacing those of `prefixes`).
    async fn put(
        &self,
        account: &Value,
        mut fields: Map<String, Value>,
        prefixes: &[&str],
        tags: Vec<String>,
    ) -> Result<Value, PortalError> {
        let mut kept: Vec<Value> = account["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t.as_str()
                    .is_none_or(|t| !prefixes.iter().any(|p| t.starts_with(p)))
            })
            .cloned()
            .collect();
        kept.extend(tags.into_iter().map(Value::String));
        fields.insert("tags".into(), Value::Array(kept));
        let id = id_of(account);
        match self
            .send(
                Method::PUT,
                &format!("accounts/{id}"),
                Some(&Value::Object(fields)),
            )
            .await?
        {
            (StatusCode::NOT_FOUND, _) => Err(not_found(&id)),
            (_, answer) => Ok(answer),
        }
    }

    /// Brings an existing account to the declared fields and admin contacts.
    async fn write_account(
        &self,
        account: &Value,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let mut fields = Map::new();
        // The name is Mitel's (immutable); it is never sent.
        for key in ["address", "businessType", "supportContacts"] {
            if let Some(v) = req.spec.get(key) {
                fields.insert(key.to_owned(), v.clone());
            }
        }
        let tags = vec![
            format!("{REF_TAG}{}", req.external_ref),
            format!("{POLICY_TAG}{}", policy_name(req.deletion_policy)),
        ];
        let updated = self
            .put(account, fields, &[REF_TAG, POLICY_TAG], tags)
            .await?;
        self.sync_admins(&id_of(&updated), req).await?;
        Ok(WriteOutcome::Done(self.observed_account(&updated).await?))
    }

    /// Admin contacts are the account's `ACCOUNT_ADMIN` users: missing ones are added (they
    /// stay unverified until they complete Mitel's e-mail), undeclared ones removed, and one
    /// whose name changed is added again (users have no update call).
    async fn sync_admins(&self, id: &str, req: &WriteRequest) -> Result<(), PortalError> {
        let users = self.users(id).await?;
        let declared: Vec<(String, String)> = req
            .spec
            .get("adminContacts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().to_owned(),
                    c["email"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let admins: Vec<&Value> = users.iter().filter(|u| u["role"] == ADMIN_ROLE).collect();
        for user in &admins {
            let email = user["email"].as_str().unwrap_or_default();
            let keep = declared
                .iter()
                .any(|(n, e)| e.eq_ignore_ascii_case(email) && *n == user_name(user));
            if !keep {
                let user_id = user["userId"].as_str().unwrap_or_default();
                self.send(
                    Method::DELETE,
                    &format!("accounts/{id}/users/{user_id}"),
                    None,
                )
                .await?;
            }
        }
        for (name, email) in &declared {
            let present = admins.iter().any(|u| {
                u["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
                    && user_name(u) == *name
            });
            if !present {
                let (first, last) = split_name(name);
                let body = json!({"email": email, "firstName": first, "lastName": last,
                                  "role": ADMIN_ROLE});
                self.send(Method::POST, &format!("accounts/{id}/users"), Some(&body))
                    .await?;
            }
        }
        Ok(())
    }

    /// The account this create adopts: the one tagged for it, else the untagged one of the
    /// declared name; one of that name tagged for another object is a clear error.
    async fn adoptable(&self, req: &WriteRequest) -> Result<Option<Value>, PortalError> {
        let accounts = self.accounts().await?;
        if let Some(mine) = accounts
            .iter()
            .find(|a| tag(a, REF_TAG) == Some(req.external_ref.as_str()))
        {
            return Ok(Some(mine.clone()));
        }
        let name = req.spec.get("name").and_then(Value::as_str).unwrap_or("");
        let Some(found) = accounts.into_iter().find(|a| {
            a["name"]
                .as_str()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name.trim()))
        }) else {
            return Ok(None);
        };
        match tag(&found, REF_TAG) {
            Some(owner) => Err(PortalError::Rejected {
                portal: Self::portal().to_owned(),
                status: 409,
                code: "AccountNameTaken".to_owned(),
                message: format!(
                    "CloudLink account {name:?} ({}) belongs to {owner}; give the Tenant's spec.displayName another value",
                    id_of(&found)
                ),
                field: Some("spec.displayName".to_owned()),
            }),
            None => Ok(Some(found)),
        }
    }

    /// Records the declared gateway step on its account; waits until the PBX is connected.
    async fn write_gateway(&self, req: &WriteRequest) -> Result<WriteOutcome, PortalError> {
        let account_id = req
            .spec
            .get("accountId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let account = self.account(account_id).await?;
        let platform = req
            .spec
            .get("platform")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let tags = vec![
            format!("{GATEWAY_TAG}{}", req.external_ref),
            format!("{PLATFORM_TAG}{platform}"),
            format!("{GATEWAY_POLICY_TAG}{}", policy_name(req.deletion_policy)),
        ];
        let updated = self
            .put(
                &account,
                Map::new(),
                &[GATEWAY_TAG, PLATFORM_TAG, GATEWAY_POLICY_TAG],
                tags,
            )
            .await?;
        let object = gateway_object(&updated);
        Ok(match gateway_operation(&object, &updated) {
            Some(operation) => WriteOutcome::Accepted(Box::new(Accepted { object, operation })),
            None => WriteOutcome::Done(object),
        })
    }
}

impl PortalApi for CloudLink {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        served(portal, kind)?;
        let prefix = if kind == ACCOUNTS {
            REF_TAG
        } else {
            GATEWAY_TAG
        };
        let mut out = Vec::new();
        for account in self.accounts().await? {
            // Accounts tenantry never adopted are not its objects.
            let Some(r) = tag(&account, prefix) else {
                continue;
            };
            let wanted = filter.external_ref.as_ref().is_none_or(|x| x == r)
                && filter
                    .external_ref_prefix
                    .as_ref()
                    .is_none_or(|p| r.starts_with(p.as_str()));
            if !wanted {
                continue;
            }
            out.push(if kind == ACCOUNTS {
                self.observed_account(&account).await?
            } else {
                gateway_object(&account)
            });
        }
        Ok(out)
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        served(portal, kind)?;
        if kind == GATEWAYS {
            return self.write_gateway(req).await;
        }
        match self.adoptable(req).await? {
            Some(account) => self.write_account(&account, req).await,
            None => Ok(awaiting_account(req)),
        }
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        served(portal, kind)?;
        if kind == GATEWAYS {
            return self.write_gateway(req).await;
        }
        let account = self.account(id).await?;
        self.write_account(&account, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        served(portal, kind)?;
        let account = match self.account(id).await {
            Ok(a) => a,
            // Already gone counts as deleted.
            Err(PortalError::Rejected { status: 404, .. }) => return Ok(DeleteOutcome::Deleted),
            Err(e) => return Err(e),
        };
        if kind == GATEWAYS {
            // The appliance stays where it is installed; tenantry stops tracking the step.
            self.put(
                &account,
                Map::new(),
                &[GATEWAY_TAG, PLATFORM_TAG, GATEWAY_POLICY_TAG],
                vec![],
            )
            .await?;
            return Ok(DeleteOutcome::Deleted);
        }
        // Mitel deletes accounts only in its Accounts portal: a person's job.
        Ok(DeleteOutcome::Accepted(Operation {
            id: format!("delete-account:{id}"),
            object_id: Some(id.to_owned()),
            state: OperationState::AwaitingHuman,
            reason: Some(MANUAL.to_owned()),
            message: Some(format!(
                "delete the CloudLink account {:?} ({id}) in the Mitel Accounts portal ({ACCOUNTS_PORTAL}); its API cannot delete accounts",
                account["name"].as_str().unwrap_or_default()
            )),
            not_before: None,
        }))
    }

    async fn operation(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        served(portal, kind)?;
        if kind == GATEWAYS {
            let account = self.account(id).await?;
            let object = gateway_object(&account);
            return Ok(
                gateway_operation(&object, &account).unwrap_or_else(|| Operation {
                    id: id.to_owned(),
                    object_id: Some(id.to_owned()),
                    state: OperationState::Succeeded,
                    reason: None,
                    message: None,
                    not_before: None,
                }),
            );
        }
        // Only a person ends an account's wait; the next plan or reconcile looks again.
        Ok(Operation {
            id: id.to_owned(),
            object_id: None,
            state: OperationState::AwaitingHuman,
            reason: Some(MANUAL.to_owned()),
            message: Some(format!(
                "waiting for a person in the Mitel Accounts portal ({ACCOUNTS_PORTAL})"
            )),
            not_before: None,
        })
    }

    fn calls(&self) -> CallCounts {
        self.http.calls()
    }
}

fn served(portal: Portal, kind: &str) -> Result<(), PortalError> {
    super::served(crate::api::ConnectionApi::CloudLink, portal, kind)
}

fn not_found(id: &str) -> PortalError {
    PortalError::Rejected {
        portal: Portal::CloudLink.id().to_owned(),
        status: 404,
        code: "NotFound".to_owned(),
        message: format!(
            "CloudLink account {id} does not exist any more; the next plan will look for it again"
        ),
        field: None,
    }
}

/// The vendor's status codes as stable tenantry codes (its bodies carry only a name).
fn vendor_code(err: PortalError) -> PortalError {
    match err {
        PortalError::Rejected {
            portal,
            status,
            code,
            message,
            field,
        } if code.starts_with("Http") => {
            let code = match status {
                400 => "CloudLinkBadRequest",
                401 => "CloudLinkUnauthorized",
                403 => "CloudLinkForbidden",
                409 => "CloudLinkConflict",
                _ => "CloudLinkRejected",
            };
            let field = field.or_else(|| {
                (message.contains("upport contact") || message.contains("supportContacts"))
                    .then(|| "spec.supportContacts".to_owned())
            });
            PortalError::Rejected {
                portal,
                status,
                code: code.to_owned(),
                message: format!("Mitel CloudLink: {message}"),
                field,
            }
        }
        other => other,
    }
}

fn policy_name(policy: DeletionPolicy) -> String {
    serde_json::to_value(policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn policy_of(account: &Value, prefix: &str) -> DeletionPolicy {
    tag(account, prefix)
        .and_then(|p| serde_json::from_value(Value::String(p.to_owned())).ok())
        .unwrap_or(DeletionPolicy::Orphan)
}

fn id_of(account: &Value) -> String {
    match &account["accountId"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn tag<'a>(account: &'a Value, prefix: &str) -> Option<&'a str> {
    account["tags"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|t| t.strip_prefix(prefix))
}

/// `"Dr. Alicia Moreno"` → `("Dr. Alicia", "Moreno")`; one word is a first name.
fn split_name(name: &str) -> (String, String) {
    match name.trim().rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_owned(), last.to_owned()),
        None => (name.trim().to_owned(), String::new()),
    }
}

fn user_name(user: &Value) -> String {
    let first = user["firstName"].as_str().unwrap_or_default();
    let last = user["lastName"].as_str().unwrap_or_default();
    format!("{first} {last}").trim().to_owned()
}

/// An account (and its users) in tenantry's observed shape.
fn account_object(account: &Value, users: &[Value]) -> PortalObject {
    let mut spec = Map::new();
    spec.insert("name".into(), account["name"].clone());
    for key in ["address", "businessType"] {
        if let Some(v) = account.get(key).filter(|v| !v.is_null()) {
            spec.insert(key.into(), v.clone());
        }
    }
    let admins: Vec<&Value> = users.iter().filter(|u| u["role"] == ADMIN_ROLE).collect();
    spec.insert(
        "adminContacts".into(),
        admins
            .iter()
            .map(|u| json!({"name": user_name(u), "email": u["email"]}))
            .collect(),
    );
    spec.insert(
        "supportContacts".into(),
        account
            .get("supportContacts")
            .filter(|v| v.is_array())
            .cloned()
            .unwrap_or_else(|| json!([])),
    );
    let mut status = Map::new();
    status.insert("phase".into(), "Ready".into());
    status.insert("nextStep".into(), "Gateway".into());
    // Reported, not a failure: a user verifies by completing Mitel's e-mail.
    let unverified: Vec<Value> = admins
        .iter()
        .filter(|u| u["emailVerified"] != true)
        .map(|u| u["email"].clone())
        .collect();
    if !unverified.is_empty() {
        status.insert("unverifiedAdmins".into(), Value::Array(unverified));
    }
    PortalObject {
        id: id_of(account),
        external_ref: tag(account, REF_TAG).unwrap_or_default().to_owned(),
        deletion_policy: policy_of(account, POLICY_TAG),
        version: 0,
        spec,
        status,
    }
}

/// The gateway step recorded on an account, in tenantry's observed shape.
fn gateway_object(account: &Value) -> PortalObject {
    let platform = tag(account, PLATFORM_TAG).unwrap_or_default();
    let mut spec = Map::new();
    spec.insert("accountId".into(), id_of(account).into());
    spec.insert("platform".into(), platform.into());
    let pbx = account["pbxType"].as_str().unwrap_or_default();
    let (step, steps) = if platform == "MiVoice" {
        ("Gateway", json!(["PBX", "Connect"]))
    } else {
        ("Sync", json!(["Sync"]))
    };
    let mut status = Map::new();
    status.insert(
        "phase".into(),
        if pbx.is_empty() { MANUAL } else { "Ready" }.into(),
    );
    status.insert("step".into(), step.into());
    status.insert("steps".into(), steps);
    if !pbx.is_empty() {
        status.insert("pbxType".into(), pbx.into());
    }
    PortalObject {
        id: id_of(account),
        external_ref: tag(account, GATEWAY_TAG).unwrap_or_default().to_owned(),
        deletion_policy: policy_of(account, GATEWAY_POLICY_TAG),
        version: 0,
        spec,
        status,
    }
}

/// The wait for the gateway appliance and PBX connection, while the account has no PBX type.
fn gateway_operation(object: &PortalObject, account: &Value) -> Option<Operation> {
    if object.phase() != Some(MANUAL) {
        return None;
    }
    let step = object.status["step"].as_str().unwrap_or("Gateway");
    Some(Operation {
        id: object.id.clone(),
        object_id: Some(object.id.clone()),
        state: OperationState::AwaitingHuman,
        reason: Some(MANUAL.to_owned()),
        message: Some(format!(
            "the CloudLink {step} step of account {:?} ({}) is a person's: install the CloudLink Gateway and connect the PBX in the CloudLink Gateway portal; it is done when the account reports its PBX type",
            account["name"].as_str().unwrap_or_default(),
            object.id
        )),
        not_before: None,
    })
}

/// A create of an account that does not exist yet: a person makes it in the Accounts portal.
fn awaiting_account(req: &WriteRequest) -> WriteOutcome {
    let text = |k: &str| req.spec.get(k).and_then(Value::as_str).unwrap_or_default();
    let address = req.spec.get("address").map_or_else(String::new, |a| {
        ["line1", "line2", "city", "region", "postalCode", "country"]
            .iter()
            .filter_map(|k| a[*k].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let id = format!("{AWAITING}{}", req.external_ref);
    let message = format!(
        "create the CloudLink customer account in the Mitel Accounts portal ({ACCOUNTS_PORTAL}); its API cannot: name {:?}, mailing address {address:?}, business type {:?}. The next apply adopts it by name and adds the admin and support contacts",
        text("name"),
        text("businessType"),
    );
    let mut status = Map::new();
    status.insert("phase".into(), MANUAL.into());
    WriteOutcome::Accepted(Box::new(Accepted {
        object: PortalObject {
            id: id.clone(),
            external_ref: req.external_ref.clone(),
            deletion_policy: req.deletion_policy,
            version: 0,
            spec: req.spec.clone(),
            status,
        },
        operation: Operation {
            id: id.clone(),
            object_id: Some(id),
            state: OperationState::AwaitingHuman,
            reason: Some(MANUAL.to_owned()),
            message: Some(message),
            not_before: None,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_last_space() {
        assert_eq!(
            split_name("Dr. Alicia Moreno"),
            ("Dr. Alicia".to_owned(), "Moreno".to_owned())
        );
        assert_eq!(split_name("Cher"), ("Cher".to_owned(), String::new()));
        assert_eq!(
            user_name(&json!({"firstName": "Cher", "lastName": ""})),
            "Cher"
        );
    }

    #[test]
    fn a_gateway_waits_until_the_account_has_a_pbx_type() {
        let account = json!({"accountId": "858000001", "name": "Kenton",
            "tags": ["tenantry-gateway:customers/kenton-cloudlink", "tenantry-gateway-platform:SMBC"],
            "pbxType": ""});
        let object = gateway_object(&account);
        assert_eq!(object.phase(), Some(MANUAL));
        assert_eq!(object.status["step"], "Sync");
        assert!(gateway_operation(&object, &account).is_some());
        let onboarded = json!({"accountId": "858000001", "pbxType": "MiVoice Business",
            "tags": ["tenantry-gateway-platform:MiVoice"]});
        assert!(gateway_operation(&gateway_object(&onboarded), &onboarded).is_none());
    }
}

//! The Microsoft Graph adapter (seed 000's customer admin): the `daas` portal's `admins` as
//! users of each customer's Entra tenant, made Global Administrator (or User Administrator)
//! by a directory role assignment (vendor-apis.md §2, docs/providers.md).
//!
//! Graph acts inside one tenant per token: every call goes through
//! [`HttpPortal::in_tenant`] with the admin's `upnDomain`, which fills the `{tenant}` of the
//! connection's token URL (one cached token per tenant). Lists need to know the tenants, so
//! the engine passes the declared admins' domains ([`ListFilter::partitions`]).
//!
//! Graph has no idempotency key and no field for tenantry's reference, so the `externalRef`
//! travels in `onPremisesExtensionAttributes.extensionAttribute1` (`tenantry:<ref>`; Graph
//! documents these 15 attributes as writable on cloud-only users and filterable as an
//! advanced query, unlike `employeeId`'s 16 characters or a schema extension that needs an
//! app registration per tenant), and the deletion policy, parent customer id, password
//! fingerprint and change-at-next-logon flag in `extensionAttribute2` (compact JSON). A
//! create that meets "userPrincipalName already exists" adopts the user of that UPN unless
//! another tenantry object claims it; reads right after a write that answer 404
//! `Request_ResourceNotFound` are retried with a bounded backoff.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::api::{DeletionPolicy, Portal};
use crate::portal::http::HttpPortal;
use crate::portal::retry::RetryPolicy;
use crate::portal::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use crate::portal::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};

const KIND: &str = "admins";
const REF_ATTRIBUTE: &str = "extensionAttribute1";
const META_ATTRIBUTE: &str = "extensionAttribute2";
const REF_TAG: &str = "tenantry:";
/// Global Administrator's role template id (Graph accepts it as `roleDefinitionId`).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// User Administrator's role template id.
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
/// tenantry's admin roles and the directory roles they become.
const ROLES: [(&str, &str); 2] = [
    ("DaaSPartnerAdmin", GLOBAL_ADMINISTRATOR),
    ("DaaSPartnerManager", USER_ADMINISTRATOR),
];
/// The user properties read back.
const SELECT: &str = "id,userPrincipalName,mailNickname,displayName,givenName,surname,otherMails,mobilePhone,usageLocation,onPremisesExtensionAttributes";
/// Tries of a read right after a write (Graph's replication lag), backoff between them.
const LAG_ATTEMPTS: u32 = 8;

/// The Graph client of one connection; clones share the tokens, budget and counters.
#[derive(Clone)]
pub struct Graph {
    http: HttpPortal,
}

impl Graph {
    /// The adapter over `http` (whose token URL holds `{tenant}`).
    pub fn new(http: HttpPortal) -> Self {
        Self { http }
    }

    fn portal() -> &'static str {
        Portal::Daas.id()
    }

    /// One request inside `h`'s tenant: the status (2xx or 404) and the JSON answer.
    async fn send(
        &self,
        h: &HttpPortal,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), PortalError> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| PortalError::Setup(e.to_string()))?;
        let (status, answer) = h
            .call(Self::portal(), method, path, bytes.as_deref())
            .await
            .map_err(graph_error)?;
        if status == StatusCode::NOT_FOUND || answer.is_empty() {
            return Ok((status, Value::Null));
        }
        let value = serde_json::from_slice(&answer).map_err(|e| PortalError::Protocol {
            portal: Self::portal().to_owned(),
            status: status.as_u16(),
            detail: format!("Microsoft Graph {path}: {e}"),
        })?;
        Ok((status, value))
    }

    /// [`Self::send`], retrying a 404 a few times: right after a write Graph may not know
    /// the object yet (eventual consistency). Still 404 after that: 404.
    async fn send_visible(
        &self,
        h: &HttpPortal,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), PortalError> {
        let policy = RetryPolicy::default();
        for attempt in 0..LAG_ATTEMPTS {
            let answer = self.send(h, method.clone(), path, body).await?;
            if answer.0 != StatusCode::NOT_FOUND {
                return Ok(answer);
            }
            tracing::debug!(path, attempt, "Graph does not see the object yet; retrying");
            tokio::time::sleep(policy.backoff(attempt)).await;
        }
        Ok((StatusCode::NOT_FOUND, Value::Null))
    }

    /// Every item of a collection, following `@odata.nextLink` (which must stay under the
    /// connection's URL: the token is not sent elsewhere).
    async fn pages(&self, h: &HttpPortal, first: String) -> Result<Vec<Value>, PortalError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        while let Some(path) = next.take() {
            let (_, page) = self.send(h, Method::GET, &path, None).await?;
            if let Some(values) = page["value"].as_array() {
                items.extend(values.iter().cloned());
            }
            if let Some(link) = page["@odata.nextLink"].as_str() {
                if !link.starts_with(self.http.base_url()) {
                    return Err(PortalError::Protocol {
                        portal: Self::portal().to_owned(),
                        status: 200,
                        detail: format!(
                            "Microsoft Graph sent a next page outside the connection's URL: {link}"
                        ),
                    });
                }
                next = Some(link.to_owned());
            }
        }
        Ok(items)
    }

    /// The directory roles tenantry manages, by user id: `(assignment id, template id)`.
    async fn roles(
        &self,
        h: &HttpPortal,
    ) -> Result<HashMap<String, Vec<(String, String)>>, PortalError> {
        let mut by_user: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (_, template) in ROLES {
            let path = format!(
                "roleManagement/directory/roleAssignments?$filter={}",
                encode(&format!("roleDefinitionId eq '{template}'"))
            );
            for a in self.pages(h, path).await? {
                if let (Some(user), Some(id)) = (a["principalId"].as_str(), a["id"].as_str()) {
                    by_user
                        .entry(user.to_owned())
                        .or_default()
                        .push((id.to_owned(), template.to_owned()));
                }
            }
        }
        Ok(by_user)
    }

    /// The user of `upn`, waiting out the replication lag (the duplicate a create met may be
    /// too new to be listed).
    async fn by_upn(&self, h: &HttpPortal, upn: &str) -> Result<Option<Value>, PortalError> {
        let path = format!(
            "users?$filter={}&$select={SELECT}",
            encode(&format!(
                "userPrincipalName eq '{}'",
                upn.replace('\'', "''")
            ))
        );
        let policy = RetryPolicy::default();
        for attempt in 0..LAG_ATTEMPTS {
            if let Some(user) = self.pages(h, path.clone()).await?.into_iter().next() {
                return Ok(Some(user));
            }
            tokio::time::sleep(policy.backoff(attempt)).await;
        }
        Ok(None)
    }

    /// Gives `user` the declared role and takes away the other role tenantry manages.
    async fn set_role(
        &self,
        h: &HttpPortal,
        user: &str,
        role: Option<&str>,
        current: &[(String, String)],
    ) -> Result<(), PortalError> {
        let wanted = role.and_then(template_of);
        if let Some(template) = wanted
            && !current.iter().any(|(_, t)| t == template)
        {
            let body =
                json!({"principalId": user, "roleDefinitionId": template, "directoryScopeId": "/"});
            let result = self
                .send_visible(
                    h,
                    Method::POST,
                    "roleManagement/directory/roleAssignments",
                    Some(&body),
                )
                .await;
            match result {
                Ok((StatusCode::NOT_FOUND, _)) => {
                    return Err(rejected(
                        404,
                        "GraphNotFound",
                        format!(
                            "user {user} is still unknown to Microsoft Graph after the create; the next run assigns its role"
                        ),
                        None,
                    ));
                }
                // Assigned already (a try whose answer was lost, or the list lags behind).
                Err(PortalError::Rejected { message, .. })
                    if message.contains("conflicting object") => {}
                other => {
                    other?;
                }
            }
        }
        for (id, template) in current {
            if Some(template.as_str()) != wanted {
                self.send(
                    h,
                    Method::DELETE,
                    &format!("roleManagement/directory/roleAssignments/{id}"),
                    None,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The user's assignments of the roles tenantry manages.
    async fn roles_of(
        &self,
        h: &HttpPortal,
        user: &str,
    ) -> Result<Vec<(String, String)>, PortalError> {
        let path = format!(
            "roleManagement/directory/roleAssignments?$filter={}",
            encode(&format!("principalId eq '{user}'"))
        );
        Ok(self
            .pages(h, path)
            .await?
            .iter()
            .filter_map(|a| {
                let template = a["roleDefinitionId"].as_str()?;
                ROLES
                    .iter()
                    .any(|(_, t)| *t == template)
                    .then(|| Some((a["id"].as_str()?.to_owned(), template.to_owned())))?
            })
            .collect())
    }

    /// Brings user `id` (read first) to the declared spec: a PATCH of the changed
    /// properties, then the role.
    async fn converge(
        &self,
        h: &HttpPortal,
        tenant: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let (status, current) = self
            .send_visible(
                h,
                Method::GET,
                &format!("users/{id}?$select={SELECT}"),
                None,
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "NotFound",
                format!(
                    "user {id} does not exist any more in tenant {tenant}; the next plan will create it"
                ),
                None,
            ));
        }
        let desired = to_user(req, false);
        let stored_print = meta(&current)["passwordFingerprint"].clone();
        let mut changed = Map::new();
        for (k, v) in desired {
            let same = match k.as_str() {
                "passwordProfile" => {
                    req.spec.get("passwordFingerprint").is_some()
                        && req.spec.get("passwordFingerprint") == Some(&stored_print)
                }
                "onPremisesExtensionAttributes" => [REF_ATTRIBUTE, META_ATTRIBUTE]
                    .iter()
                    .all(|a| current[k.as_str()][*a] == v[*a]),
                _ => current.get(&k).unwrap_or(&Value::Null) == &v,
            };
            if !same {
                changed.insert(k, v);
            }
        }
        if !changed.is_empty() {
            let (status, _) = self
                .send_visible(
                    h,
                    Method::PATCH,
                    &format!("users/{id}"),
                    Some(&Value::Object(changed)),
                )
                .await?;
            if status == StatusCode::NOT_FOUND {
                return Err(rejected(
                    404,
                    "NotFound",
                    format!(
                        "user {id} disappeared from tenant {tenant}; the next plan will create it"
                    ),
                    None,
                ));
            }
        }
        let current_roles = self.roles_of(h, id).await?;
        let role = req.spec.get("role").and_then(Value::as_str);
        self.set_role(h, id, role, &current_roles).await?;
        Ok(WriteOutcome::Done(declared_object(tenant, id, req)))
    }
}

impl PortalApi for Graph {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        served(portal, kind)?;
        let clause = match (&filter.external_ref, &filter.external_ref_prefix) {
            (Some(r), _) => format!(
                "onPremisesExtensionAttributes/{REF_ATTRIBUTE} eq '{}'",
                quote(&format!("{REF_TAG}{r}"))
            ),
            (None, p) => format!(
                "startswith(onPremisesExtensionAttributes/{REF_ATTRIBUTE},'{}')",
                quote(&format!("{REF_TAG}{}", p.as_deref().unwrap_or("")))
            ),
        };
        // Filtering on an extension attribute is an advanced query: it needs both.
        let path = format!(
            "users?$filter={}&$count=true&$select={SELECT}&$top=999",
            encode(&clause)
        );
        let mut out = Vec::new();
        let mut tenants = filter.partitions.clone();
        tenants.sort();
        tenants.dedup();
        for tenant in tenants {
            let h = self
                .http
                .in_tenant(&tenant)
                .with_header("ConsistencyLevel", "eventual");
            let users = self.pages(&h, path.clone()).await?;
            if users.is_empty() {
                continue;
            }
            let roles = self.roles(&h).await?;
            for user in users {
                let id = user["id"].as_str().unwrap_or_default();
                let role = roles
                    .get(id)
                    .and_then(|r| r.iter().find_map(|(_, t)| role_of(t)));
                out.push(to_object(&tenant, &user, role));
            }
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
        let tenant = tenant_of(req)?;
        let h = self.http.in_tenant(&tenant);
        h.remember(&req.secrets);
        let body = Value::Object(to_user(req, true));
        match self.send(&h, Method::POST, "users", Some(&body)).await {
            Ok((StatusCode::NOT_FOUND, _)) => Err(PortalError::Protocol {
                portal: Self::portal().to_owned(),
                status: 404,
                detail: "POST users does not exist at this URL; check the PortalConnection's spec.url (https://graph.microsoft.com/v1.0)".to_owned(),
            }),
            Ok((_, user)) => {
                let id = user["id"].as_str().unwrap_or_default().to_owned();
                // Trust the write's answer; only the role needs the user to be visible.
                let role = req.spec.get("role").and_then(Value::as_str);
                self.set_role(&h, &id, role, &[]).await?;
                Ok(WriteOutcome::Done(declared_object(&tenant, &id, req)))
            }
            // No idempotency key: a create retried after a lost answer, or a user a person
            // made, meets its own UPN. Adopt it unless another object claims it.
            Err(PortalError::Rejected { code, .. }) if code == "GraphUpnExists" => {
                let upn = upn_of(req);
                let Some(existing) = self.by_upn(&h, &upn).await? else {
                    return Err(rejected(
                        400,
                        "GraphUpnExists",
                        format!("Microsoft Graph reports {upn} exists in tenant {tenant} but does not list it; retry later"),
                        Some("spec.username"),
                    ));
                };
                match external_ref(&existing) {
                    Some(owner) if owner != req.external_ref => Err(rejected(
                        409,
                        "UpnTaken",
                        format!("{upn} belongs to {owner}; give spec.username another value"),
                        Some("spec.username"),
                    )),
                    _ => {
                        let id = existing["id"].as_str().unwrap_or_default().to_owned();
                        self.converge(&h, &tenant, &id, req).await
                    }
                }
            }
            Err(e) => Err(e),
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
        let (tenant, user) = split_id(id)?;
        let h = self.http.in_tenant(tenant);
        h.remember(&req.secrets);
        self.converge(&h, tenant, user, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        served(portal, kind)?;
        let (tenant, user) = split_id(id)?;
        let h = self.http.in_tenant(tenant);
        // 404: already gone, which counts as deleted. Graph keeps it 30 days in deletedItems.
        self.send(&h, Method::DELETE, &format!("users/{user}"), None)
            .await?;
        Ok(DeleteOutcome::Deleted)
    }

    async fn operation(
        &self,
        portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        served(portal, KIND)?;
        Err(rejected(
            404,
            "OperationNotFound",
            format!("operation {id}: Graph's user writes complete at once"),
            None,
        ))
    }

    fn calls(&self) -> CallCounts {
        self.http.calls()
    }
}

fn served(portal: Portal, kind: &str) -> Result<(), PortalError> {
    if portal == Portal::Daas && kind == KIND {
        return Ok(());
    }
    Err(PortalError::Protocol {
        portal: portal.id().to_owned(),
        status: 0,
        detail: format!(
            "the graph adapter serves daas/admins only, not {}/{kind}",
            portal.id()
        ),
    })
}

fn rejected(status: u16, code: &str, message: String, field: Option<&str>) -> PortalError {
    PortalError::Rejected {
        portal: Portal::Daas.id().to_owned(),
        status,
        code: code.to_owned(),
        message,
        field: field.map(str::to_owned),
    }
}

/// Graph's errors (`{"error": {"code", "message"}}`) as stable tenantry codes.
fn graph_error(err: PortalError) -> PortalError {
    let PortalError::Rejected {
        portal,
        status,
        code,
        message,
        field,
    } = err
    else {
        return err;
    };
    let (code, message, field) = if message.contains("password complexity") {
        (
            "PasswordPolicy",
            "Microsoft Entra refused the password in spec.passwordSecretRef: it needs 8 to 256 characters (no Unicode) with 3 of lower-case letters, upper-case letters, digits and symbols; put a compliant password in that Secret".to_owned(),
            Some("spec.passwordSecretRef".to_owned()),
        )
    } else if message.contains("userPrincipalName already exists") {
        ("GraphUpnExists", message, Some("spec.username".to_owned()))
    } else {
        let stable = match (status, code.as_str()) {
            (401, _) => "GraphUnauthorized",
            (403, _) => "GraphForbidden",
            (_, "Request_UnsupportedQuery") => "GraphUnsupportedQuery",
            (400, _) => "GraphBadRequest",
            _ => "GraphRejected",
        };
        let hint = if status == 403 {
            "; the app needs User.ReadWrite.All and RoleManagement.ReadWrite.Directory, admin-consented in the customer's tenant"
        } else {
            ""
        };
        (
            stable,
            format!("Microsoft Graph {code}: {message}{hint}"),
            field,
        )
    };
    PortalError::Rejected {
        portal,
        status,
        code: code.to_owned(),
        message,
        field,
    }
}

/// The customer tenant of a declared admin: its UPN domain.
fn tenant_of(req: &WriteRequest) -> Result<String, PortalError> {
    req.spec
        .get("upnDomain")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            rejected(
                422,
                "GraphTenantUnknown",
                "spec.upnDomain is empty: it names the customer's Entra tenant".to_owned(),
                Some("spec.upnDomain"),
            )
        })
}

/// `tenant/objectId`: the id tenantry records carries the tenant, so an update or delete
/// knows which token to use.
fn split_id(id: &str) -> Result<(&str, &str), PortalError> {
    id.split_once('/')
        .filter(|(t, u)| !t.is_empty() && !u.is_empty())
        .ok_or_else(|| PortalError::Protocol {
            portal: Portal::Daas.id().to_owned(),
            status: 0,
            detail: format!("{id:?} is not a Graph admin id (tenant/objectId)"),
        })
}

fn text<'a>(spec: &'a Map<String, Value>, key: &str) -> &'a str {
    spec.get(key).and_then(Value::as_str).unwrap_or("")
}

fn upn_of(req: &WriteRequest) -> String {
    format!(
        "{}@{}",
        text(&req.spec, "username"),
        text(&req.spec, "upnDomain")
    )
}

fn template_of(role: &str) -> Option<&'static str> {
    ROLES.iter().find(|(r, _)| *r == role).map(|(_, t)| *t)
}

fn role_of(template: &str) -> Option<&'static str> {
    ROLES.iter().find(|(_, t)| *t == template).map(|(r, _)| *r)
}

/// What tenantry keeps on the user besides its reference (`extensionAttribute2`).
fn meta_of(req: &WriteRequest) -> String {
    let policy = match req.deletion_policy {
        DeletionPolicy::Orphan => "Orphan",
        DeletionPolicy::Delete => "Delete",
    };
    let mut m = json!({"deletionPolicy": policy});
    for key in [
        "customerId",
        "passwordFingerprint",
        "changePasswordAtNextLogon",
    ] {
        if let Some(v) = req.spec.get(key) {
            m[key] = v.clone();
        }
    }
    m.to_string()
}

fn meta(user: &Value) -> Value {
    user["onPremisesExtensionAttributes"][META_ATTRIBUTE]
        .as_str()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null)
}

fn external_ref(user: &Value) -> Option<String> {
    user["onPremisesExtensionAttributes"][REF_ATTRIBUTE]
        .as_str()
        .and_then(|r| r.strip_prefix(REF_TAG))
        .map(str::to_owned)
}

/// The Graph user of a declared admin (the password only on create or when it changed).
fn to_user(req: &WriteRequest, create: bool) -> Map<String, Value> {
    let spec = &req.spec;
    let mut user = Map::new();
    if create {
        user.insert("accountEnabled".into(), true.into());
    }
    user.insert(
        "displayName".into(),
        spec.get("displayName").cloned().unwrap_or_default(),
    );
    user.insert("mailNickname".into(), text(spec, "username").into());
    user.insert("userPrincipalName".into(), upn_of(req).into());
    user.insert(
        "givenName".into(),
        spec.get("firstName").cloned().unwrap_or_default(),
    );
    user.insert(
        "surname".into(),
        spec.get("lastName").cloned().unwrap_or_default(),
    );
    user.insert("otherMails".into(), json!([text(spec, "externalEmail")]));
    user.insert(
        "mobilePhone".into(),
        spec.get("phone").cloned().unwrap_or(Value::Null),
    );
    if let Some(location) = spec.get("usageLocation") {
        user.insert("usageLocation".into(), location.clone());
    }
    if let Some(password) = spec.get("password") {
        user.insert(
            "passwordProfile".into(),
            json!({"password": password,
                   "forceChangePasswordNextSignIn": spec.get("changePasswordAtNextLogon").and_then(Value::as_bool).unwrap_or(true)}),
        );
    }
    user.insert(
        "onPremisesExtensionAttributes".into(),
        json!({REF_ATTRIBUTE: format!("{REF_TAG}{}", req.external_ref), META_ATTRIBUTE: meta_of(req)}),
    );
    user
}

/// A user in tenantry's observed shape.
fn to_object(tenant: &str, user: &Value, role: Option<&str>) -> PortalObject {
    let m = meta(user);
    let upn = user["userPrincipalName"].as_str().unwrap_or_default();
    let (username, domain) = upn.split_once('@').unwrap_or((upn, ""));
    let mut spec = Map::new();
    for (key, value) in [
        ("customerId", m["customerId"].clone()),
        ("upnDomain", domain.into()),
        ("username", username.into()),
        ("firstName", user["givenName"].clone()),
        ("lastName", user["surname"].clone()),
        ("displayName", user["displayName"].clone()),
        ("externalEmail", user["otherMails"][0].clone()),
        ("phone", user["mobilePhone"].clone()),
        ("usageLocation", user["usageLocation"].clone()),
        ("role", role.map_or(Value::Null, Value::from)),
        (
            "changePasswordAtNextLogon",
            m["changePasswordAtNextLogon"].clone(),
        ),
        ("passwordFingerprint", m["passwordFingerprint"].clone()),
    ] {
        if !value.is_null() {
            spec.insert(key.into(), value);
        }
    }
    let deletion_policy = match m["deletionPolicy"].as_str() {
        Some("Delete") => DeletionPolicy::Delete,
        _ => DeletionPolicy::Orphan,
    };
    let id = user["id"].as_str().unwrap_or_default();
    let mut status = Map::new();
    status.insert("upn".into(), upn.into());
    status.insert("tenant".into(), tenant.into());
    status.insert("objectId".into(), id.into());
    PortalObject {
        id: format!("{tenant}/{id}"),
        external_ref: external_ref(user).unwrap_or_default(),
        deletion_policy,
        version: 0,
        spec,
        status,
    }
}

/// The object as declared, after a write Graph answered (its reads may lag behind).
fn declared_object(tenant: &str, id: &str, req: &WriteRequest) -> PortalObject {
    let mut user = Value::Object(to_user(req, false));
    user["id"] = id.into();
    let role = req
        .spec
        .get("role")
        .and_then(Value::as_str)
        .and_then(template_of)
        .and_then(role_of);
    to_object(tenant, &user, role)
}

/// An OData string literal's content (`'` doubled).
fn quote(s: &str) -> String {
    s.replace('\'', "''")
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> WriteRequest {
        WriteRequest {
            uid: "customers/jroe".into(),
            external_ref: "customers/jroe".into(),
            deletion_policy: DeletionPolicy::Orphan,
            spec: json!({"customerId": "cus_1", "upnDomain": "Kenton.example", "username": "jroe",
                         "firstName": "Jane", "lastName": "Roe", "displayName": "Jane Roe",
                         "externalEmail": "jane@example.net", "role": "DaaSPartnerAdmin",
                         "changePasswordAtNextLogon": true, "password": "Canary-Pass-1!",
                         "passwordFingerprint": "abc"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            secrets: vec![],
        }
    }

    #[test]
    fn a_declared_admin_round_trips_through_the_graph_user() {
        let r = req();
        let user = to_user(&r, true);
        assert_eq!(user["userPrincipalName"], "jroe@Kenton.example");
        assert_eq!(
            user["passwordProfile"]["forceChangePasswordNextSignIn"],
            true
        );
        let object = declared_object("kenton.example", "u1", &r);
        assert_eq!(object.id, "kenton.example/u1");
        assert_eq!(object.external_ref, "customers/jroe");
        for key in [
            "customerId",
            "username",
            "firstName",
            "role",
            "passwordFingerprint",
            "externalEmail",
        ] {
            assert_eq!(object.spec.get(key), r.spec.get(key), "{key}");
        }
        assert!(object.spec.get("password").is_none());
    }

    #[test]
    fn error_codes_are_stable_and_the_password_is_named_by_its_field() {
        let e = graph_error(rejected(
            400,
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements.".into(),
            None,
        ));
        let PortalError::Rejected { code, field, .. } = e else {
            panic!("rejected")
        };
        assert_eq!(code, "PasswordPolicy");
        assert_eq!(field.as_deref(), Some("spec.passwordSecretRef"));
        assert_eq!(encode("a eq 'b'"), "a%20eq%20%27b%27");
    }
}

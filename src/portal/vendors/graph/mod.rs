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

use crate::api::Portal;
use crate::portal::http::HttpPortal;
use crate::portal::retry::RetryPolicy;
use crate::portal::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use crate::portal::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};

mod relationships;
mod user;

use user::{
    declared_object, encode, external_ref, graph_error, meta, quote, rejected, role_of, served,
    split_id, template_of, tenant_of, to_object, to_user, upn_of,
};

const KIND: &str = "admins";
/// The partner's GDAP relationships (relationships.rs).
const RELATIONSHIPS: &str = "admin-relationships";
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
        if kind == RELATIONSHIPS {
            return self.list_relationships(filter).await;
        }
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
        if kind == RELATIONSHIPS {
            return self.create_relationship(req).await;
        }
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
        if kind == RELATIONSHIPS {
            return self.update_relationship(id, req).await;
        }
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
        if kind == RELATIONSHIPS {
            // Declared Orphan: ending it takes the partner's access away from the customer.
            return Err(rejected(
                409,
                "GdapTerminateByHand",
                format!(
                    "tenantry does not terminate GDAP relationship {id}: a person ends it in Partner Center (Customers > Admin relationships)"
                ),
                None,
            ));
        }
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
        kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        served(portal, kind)?;
        if kind == RELATIONSHIPS {
            return self.relationship_operation(id).await;
        }
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

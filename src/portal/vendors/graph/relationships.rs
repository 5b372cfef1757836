//! `daas/admin-relationships` on Microsoft Graph: the partner's GDAP relationship with a
//! customer's tenant (vendor-apis.md §1.3), in the PARTNER's tenant. Microsoft supports these
//! calls with a delegated token only (a partner user's, the connection's refresh token), so
//! the connection names no partner tenant: its token comes from the `organizations`
//! endpoint (`{tenant}` = [`PARTNER_TENANT`]), which issues it for the user's home tenant,
//! the partner's.
//!
//! A create posts the relationship (`displayName` `tenantry:<externalRef>`, which is how
//! tenantry finds it again: Graph has no other free field) and locks it for approval
//! (`requests` `lockForApproval`); the customer's Global Administrator approves it at the
//! link of [`gdap_approval_link`], a person's step reported as `AwaitingCustomerApproval`.
//! Microsoft then moves it `approved → activating → active`. A relationship a person made
//! with the same displayName is adopted, not duplicated (Graph has no idempotency key: the
//! list before the create is also what keeps a retried create from making two).
//!
//! Two states need a write the plan cannot see in the declared fields: a relationship
//! created but never locked (a crash between the two calls) and one whose approval request
//! expired (90 days). Both read back without `autoExtendDuration`, so the plan proposes an
//! update, and the update locks it, or asks again with a new relationship.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::Graph;
use super::user::rejected;
use crate::api::DeletionPolicy;
use crate::plan::gdap_approval_link;
use crate::portal::http::HttpPortal;
use crate::portal::wire::{Accepted, Operation, OperationState, PortalObject, WriteOutcome};
use crate::portal::{ListFilter, PortalError, WriteRequest};

/// What fills `{tenant}` of the token URL for the partner's own calls: Entra's endpoint for
/// "the signed-in user's home tenant".
pub const PARTNER_TENANT: &str = "organizations";
/// The displayName prefix of tenantry's relationships.
const TAG: &str = "tenantry:";
/// Graph's limit on a relationship's displayName.
const NAME_MAX: usize = 50;
/// Prefix of the operation ids of a relationship on its way to `active`.
const OP_PREFIX: &str = "gdap:";
const PATH: &str = "tenantRelationships/delegatedAdminRelationships";

impl Graph {
    /// This client in the partner's own tenant, where relationships live.
    fn partner(&self) -> Result<HttpPortal, PortalError> {
        Ok(self.http.in_tenant(PARTNER_TENANT))
    }

    /// Every relationship of the partner.
    async fn relationships(&self, h: &HttpPortal) -> Result<Vec<Value>, PortalError> {
        self.pages(h, PATH.to_owned()).await
    }

    /// tenantry's relationships as objects: per `externalRef` the live one, else the newest.
    pub(super) async fn list_relationships(
        &self,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        let h = self.partner()?;
        let mut chosen: Vec<(PortalObject, bool)> = Vec::new();
        for rel in self.relationships(&h).await? {
            let Some(object) = to_object(&rel) else {
                continue;
            };
            let keep = filter
                .external_ref
                .as_ref()
                .is_none_or(|r| *r == object.external_ref)
                && filter
                    .external_ref_prefix
                    .as_ref()
                    .is_none_or(|p| object.external_ref.starts_with(p.as_str()));
            if !keep {
                continue;
            }
            let live = !is_over(status_of(&rel));
            match chosen
                .iter_mut()
                .find(|(o, _)| o.external_ref == object.external_ref)
            {
                // An expired request stays in the partner's history next to the new one.
                Some(slot) if live || !slot.1 => *slot = (object, live),
                Some(_) => {}
                None => chosen.push((object, live)),
            }
        }
        Ok(chosen.into_iter().map(|(o, _)| o).collect())
    }

    pub(super) async fn create_relationship(
        &self,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let h = self.partner()?;
        let name = display_name(&req.external_ref)?;
        // Made by hand in Partner Center with this name, or by a create whose answer was lost.
        let existing = self
            .relationships(&h)
            .await?
            .into_iter()
            .find(|r| r["displayName"] == name.as_str() && !is_over(status_of(r)));
        if let Some(rel) = existing {
            return self.bring_on(&h, rel).await;
        }
        self.ask(&h, req, &name).await
    }

    pub(super) async fn update_relationship(
        &self,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let h = self.partner()?;
        let (status, rel) = self
            .send(&h, Method::GET, &format!("{PATH}/{id}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "NotFound",
                format!("GDAP relationship {id} is gone; the next plan asks for a new one"),
                None,
            ));
        }
        if is_over(status_of(&rel)) {
            let name = display_name(&req.external_ref)?;
            return self.ask(&h, req, &name).await;
        }
        self.bring_on(&h, rel).await
    }

    /// The state of relationship `op` (`gdap:<id>`) on its way to `active`.
    pub(super) async fn relationship_operation(&self, op: &str) -> Result<Operation, PortalError> {
        let h = self.partner()?;
        let id = op.strip_prefix(OP_PREFIX).unwrap_or(op);
        let (status, rel) = self
            .send(&h, Method::GET, &format!("{PATH}/{id}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "OperationNotFound",
                format!("GDAP relationship {id} is gone"),
                None,
            ));
        }
        match outcome(&rel)? {
            WriteOutcome::Done(_) => Ok(Operation {
                id: op.to_owned(),
                object_id: Some(id.to_owned()),
                state: OperationState::Succeeded,
                reason: None,
                message: None,
                not_before: None,
            }),
            WriteOutcome::Accepted(a) => Ok(a.operation),
        }
    }

    /// A new relationship for `req`, locked for the customer's approval.
    async fn ask(
        &self,
        h: &HttpPortal,
        req: &WriteRequest,
        name: &str,
    ) -> Result<WriteOutcome, PortalError> {
        let spec = Value::Object(req.spec.clone());
        let tenant = spec["azureAdId"].as_str().unwrap_or_default();
        if tenant.is_empty() {
            return Err(rejected(
                422,
                "GdapTenantUnknown",
                "spec.azureAdId is empty: the customer's Microsoft tenant id comes from its Azure AD service".to_owned(),
                Some("spec.azureAdId"),
            ));
        }
        let roles: Vec<Value> = spec["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| json!({"roleDefinitionId": r}))
            .collect();
        let body = json!({
            "displayName": name,
            "duration": spec["duration"],
            "autoExtendDuration": spec["autoExtendDuration"],
            "customer": {"tenantId": tenant},
            "accessDetails": {"unifiedRoles": roles},
        });
        let (status, rel) = self.send(h, Method::POST, PATH, Some(&body)).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(PortalError::Protocol {
                portal: Graph::portal().to_owned(),
                status: 404,
                detail: format!(
                    "POST {PATH} does not exist at this URL; check the PortalConnection's spec.url (https://graph.microsoft.com/v1.0)"
                ),
            });
        }
        self.bring_on(h, rel).await
    }

    /// Locks `rel` for approval when nobody has yet, then reports where it stands.
    async fn bring_on(&self, h: &HttpPortal, rel: Value) -> Result<WriteOutcome, PortalError> {
        if status_of(&rel) != "created" {
            return outcome(&rel);
        }
        let id = rel["id"].as_str().unwrap_or_default();
        // Eventual consistency: the relationship may be unknown for a moment after the POST.
        let (status, _) = self
            .send_visible(
                h,
                Method::POST,
                &format!("{PATH}/{id}/requests"),
                Some(&json!({"action": "lockForApproval"})),
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "GraphNotFound",
                format!(
                    "GDAP relationship {id} is still unknown to Microsoft Graph after the create; the next run locks it for approval"
                ),
                None,
            ));
        }
        // Where it stands now (approvalPending, unless the customer was quicker).
        let (status, locked) = self
            .send_visible(h, Method::GET, &format!("{PATH}/{id}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND {
            let mut pending = rel;
            pending["status"] = "approvalPending".into();
            return outcome(&pending);
        }
        outcome(&locked)
    }
}

/// `tenantry:<externalRef>`, within Graph's 50 characters.
fn display_name(external_ref: &str) -> Result<String, PortalError> {
    let name = format!("{TAG}{external_ref}");
    if name.chars().count() > NAME_MAX {
        return Err(rejected(
            422,
            "GdapNameTooLong",
            format!(
                "the GDAP relationship's displayName {name:?} is longer than Microsoft's {NAME_MAX} characters; shorten the Tenant's namespace/name"
            ),
            Some("metadata.name"),
        ));
    }
    Ok(name)
}

fn status_of(rel: &Value) -> &str {
    rel["status"].as_str().unwrap_or_default()
}

/// The relationship ended: expired (its request too), terminated, or on its way out.
fn is_over(status: &str) -> bool {
    matches!(
        status,
        "expired" | "expiring" | "terminated" | "terminating" | "terminationRequested"
    )
}

/// A tagged relationship as tenantry's object; `None` for one tenantry did not make.
fn to_object(rel: &Value) -> Option<PortalObject> {
    let external_ref = rel["displayName"].as_str()?.strip_prefix(TAG)?.to_owned();
    let id = rel["id"].as_str()?.to_owned();
    let status = status_of(rel);
    let mut spec = Map::new();
    spec.insert(
        "azureAdId".into(),
        rel["customer"]["tenantId"]
            .as_str()
            .unwrap_or_default()
            .into(),
    );
    let roles: Vec<Value> = rel["accessDetails"]["unifiedRoles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["roleDefinitionId"].as_str().map(Value::from))
        .collect();
    spec.insert("roles".into(), Value::Array(roles));
    spec.insert("duration".into(), rel["duration"].clone());
    // Left out while a write is due (see the module's doc): the plan proposes an update.
    if status != "created" && !is_over(status) {
        spec.insert(
            "autoExtendDuration".into(),
            rel["autoExtendDuration"].clone(),
        );
    }
    let mut st = Map::new();
    st.insert("relationshipStatus".into(), status.into());
    let (phase, message) = phase_of(&id, status, rel);
    st.insert("phase".into(), phase.into());
    if let Some(m) = &message {
        st.insert("message".into(), m.clone().into());
    }
    if is_over(status) {
        st.insert(
            "failure".into(),
            json!({"action": "create", "reason": "GdapExpired", "message": message}),
        );
    }
    if status == "approvalPending" {
        st.insert("approvalUrl".into(), gdap_approval_link(&id).into());
    }
    Some(PortalObject {
        id,
        external_ref,
        // tenantry never terminates a relationship (the model declares them Orphan).
        deletion_policy: DeletionPolicy::Orphan,
        version: 0,
        spec,
        status: st,
    })
}

/// The phase of a relationship in `status`, and what a person needs to know.
fn phase_of(id: &str, status: &str, rel: &Value) -> (&'static str, Option<String>) {
    match status {
        "active" => ("Ready", None),
        "created" | "approvalPending" => (
            "AwaitingCustomerApproval",
            Some(format!(
                "the customer's Global Administrator approves GDAP relationship {id} at {} (the request expires 90 days after it was sent)",
                gdap_approval_link(id)
            )),
        ),
        s if is_over(s) => (
            "Failed",
            Some(format!(
                "GDAP relationship {id} is {s} (the customer's Global Administrator did not approve it within 90 days, or it was ended{}); agree with the customer, then run apply again: tenantry asks with a new relationship and a new approval link",
                rel["endDateTime"]
                    .as_str()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default()
            )),
        ),
        _ => (
            "Provisioning",
            Some(format!(
                "the customer approved GDAP relationship {id}; Microsoft is activating it ({status})"
            )),
        ),
    }
}

/// Where `rel` stands, as the outcome of a write.
fn outcome(rel: &Value) -> Result<WriteOutcome, PortalError> {
    let object = to_object(rel).ok_or_else(|| PortalError::Protocol {
        portal: Graph::portal().to_owned(),
        status: 200,
        detail: "Microsoft Graph answered a relationship without tenantry's displayName".to_owned(),
    })?;
    let status = status_of(rel).to_owned();
    let (state, reason) = match status.as_str() {
        "active" => return Ok(WriteOutcome::Done(object)),
        "created" | "approvalPending" => {
            (OperationState::AwaitingHuman, "AwaitingCustomerApproval")
        }
        s if is_over(s) => {
            return Err(rejected(
                409,
                "GdapExpired",
                object
                    .status
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                None,
            ));
        }
        _ => (OperationState::Running, "Provisioning"),
    };
    let message = object
        .status
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(WriteOutcome::Accepted(Box::new(Accepted {
        operation: Operation {
            id: format!("{OP_PREFIX}{}", object.id),
            object_id: Some(object.id.clone()),
            state,
            reason: Some(reason.to_owned()),
            message,
            not_before: None,
        },
        object,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relationship_reads_back_by_status() {
        let rel = |status: &str| {
            json!({"id": "r-1", "displayName": "tenantry:customers/kenton", "status": status,
                   "duration": "P730D", "autoExtendDuration": "P180D",
                   "customer": {"tenantId": "t-1"},
                   "accessDetails": {"unifiedRoles": [{"roleDefinitionId": "a"}]}})
        };
        let pending = to_object(&rel("approvalPending")).unwrap_or_else(|| panic!("tagged"));
        assert_eq!(pending.external_ref, "customers/kenton");
        assert_eq!(pending.phase(), Some("AwaitingCustomerApproval"));
        assert!(
            pending.status["message"]
                .as_str()
                .is_some_and(|m| m.contains("granularAdminRelationships/r-1"))
        );
        assert_eq!(
            to_object(&rel("activating"))
                .and_then(|o| o.phase().map(str::to_owned))
                .as_deref(),
            Some("Provisioning")
        );
        let expired = to_object(&rel("expired")).unwrap_or_else(|| panic!("tagged"));
        assert_eq!(
            expired.failure().map(|f| f.reason).as_deref(),
            Some("GdapExpired")
        );
        assert!(
            !expired.spec.contains_key("autoExtendDuration"),
            "a write is due"
        );
        assert!(to_object(&json!({"id": "x", "displayName": "by hand"})).is_none());
        assert!(display_name(&"n".repeat(42)).is_err());
    }
}

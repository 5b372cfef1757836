//! `daas/azure-ad` on Partner Center: the customer's Microsoft tenant is a Partner Center
//! customer. CreateNew picks the onmicrosoft domain by seed 000's rule (the name, then the
//! name + the customer code, then a clear failure) with `HEAD /v1/domains/{d}` (200 = TAKEN),
//! then `POST /v1/customers`; ConnectExisting adopts the customer by its tenant id, and a
//! customer made by hand with the chosen domain is adopted too.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::PartnerCenter;
use super::wire::{Tag, candidates, guid_of, object, policy_name, rejected, text};
use crate::api::Sensitive;
use crate::portal::idempotency_key;
use crate::portal::wire::{Accepted, Operation, OperationState, PortalObject, WriteOutcome};
use crate::portal::{Captured, PortalError, WriteRequest};

/// Prefix of the operation ids of a customer being created (`pc-tenant:<tenantId>`).
const OP_PREFIX: &str = "pc-tenant:";

impl PartnerCenter {
    /// Every customer tenantry tagged, as azure-ad objects.
    pub(super) async fn list_tenants(&self) -> Result<Vec<PortalObject>, PortalError> {
        Ok(self
            .customers()
            .await?
            .iter()
            .filter_map(to_object)
            .collect())
    }

    pub(super) async fn create_tenant(
        &self,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let spec = Value::Object(req.spec.clone());
        let tag = tag_of(req);
        if tag.mode == "ConnectExisting" {
            let id = text(&spec, "existingTenantId").to_owned();
            let (status, customer) = self
                .send(Method::GET, &format!("v1/customers/{id}"), None, None, &[])
                .await?;
            if status == StatusCode::NOT_FOUND {
                // Not a failure: the tenant becomes a customer once its Global Admin accepts
                // the reseller relationship, a person's step; the next apply adopts it.
                return Ok(awaiting_relationship(req, &id));
            }
            return self.adopt(&customer, req, &tag).await;
        }
        let customers = self.customers().await?;
        // A create retried after its answer was lost, or a rerun after a crash: ours already.
        if let Some(c) = customers
            .iter()
            .find(|c| to_object(c).is_some_and(|o| o.external_ref == req.external_ref))
        {
            return self.adopt(c, req, &tag).await;
        }
        let name = text(&spec, "customerName");
        let tries = candidates(name, tag.code.as_deref());
        if tries.is_empty() {
            return Err(rejected(
                422,
                "DomainUnavailable",
                format!(
                    "the customer name {name:?} has no letter or digit to make an onmicrosoft domain of; change the Tenant's spec.displayName"
                ),
                Some("spec.customerName"),
            ));
        }
        // A customer made by hand in Partner Center with the name's domain is adopted.
        if let Some(c) = customers.iter().find(|c| {
            to_object(c).is_none()
                && text(&c["companyProfile"], "domain").eq_ignore_ascii_case(&tries[0])
        }) {
            return self.adopt(c, req, &tag).await;
        }
        let mut free = None;
        for domain in &tries {
            let (status, _) = self
                .send(
                    Method::HEAD,
                    &format!("v1/domains/{domain}"),
                    None,
                    None,
                    &[],
                )
                .await?;
            // Inverted: 404 means nobody has the domain.
            if status == StatusCode::NOT_FOUND {
                free = Some(domain.clone());
                break;
            }
        }
        // Every candidate taken: the last one is still sent with this create's MS-RequestId,
        // because the one taking it may be this very create, answered before a crash (its
        // customer is not listed while Partner Center finishes it); anyone else's domain is
        // refused and reported below.
        let domain = free
            .clone()
            .unwrap_or_else(|| tries[tries.len() - 1].clone());
        let body = create_body(req, &tag, &domain)?;
        let request_id = self.request_id(req, "create");
        let result = self
            .send(
                Method::POST,
                "v1/customers",
                Some(&body),
                Some(&request_id),
                &[],
            )
            .await;
        let customer = match result {
            Ok((_, c)) => c,
            Err(PortalError::Rejected { code, .. })
                if code == "PcDomainTaken" || free.is_none() =>
            {
                return Err(domain_unavailable(&tries));
            }
            Err(e) => return Err(e),
        };
        // Returned once: handed to the caller to store in a Secret, never in tenantry's
        // output; later errors are scrubbed of it.
        if let Some(p) = customer["userCredentials"]["password"].as_str() {
            self.http.remember(&[Sensitive::new(p)]);
            let user = text(&customer["userCredentials"], "userName");
            let user = if user.is_empty() { "admin" } else { user };
            self.captured.push(Captured {
                kind: "daas/azure-ad",
                external_ref: req.external_ref.clone(),
                username: format!("{user}@{domain}"),
                value: Sensitive::new(p),
            });
        }
        let id = customer["id"].as_str().unwrap_or_default().to_owned();
        let mut object = to_object(&customer).ok_or_else(|| {
            super::wire::protocol(
                201,
                "POST v1/customers answered a customer without tenantry's tag".to_owned(),
            )
        })?;
        object.status.insert("phase".into(), "Provisioning".into());
        Ok(WriteOutcome::Accepted(Box::new(Accepted {
            object,
            operation: Operation {
                id: format!("{OP_PREFIX}{id}"),
                object_id: Some(id),
                state: OperationState::Running,
                reason: Some("Provisioning".to_owned()),
                message: Some(format!(
                    "Partner Center is creating the Microsoft tenant {domain}"
                )),
                not_before: None,
            },
        })))
    }

    pub(super) async fn update_tenant(
        &self,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let (status, customer) = self
            .send(Method::GET, &format!("v1/customers/{id}"), None, None, &[])
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "NotFound",
                format!(
                    "customer {id} is not in Partner Center any more; the next plan will create it"
                ),
                None,
            ));
        }
        self.adopt(&customer, req, &tag_of(req)).await
    }

    /// Writes the declared billing profile and tenantry's tag onto an existing customer
    /// (`PUT /v1/customers/{id}/profiles/billing`, ⚠ not in the derived description).
    async fn adopt(
        &self,
        customer: &Value,
        req: &WriteRequest,
        tag: &Tag,
    ) -> Result<WriteOutcome, PortalError> {
        if let Some(owner) = to_object(customer).filter(|o| o.external_ref != req.external_ref) {
            return Err(rejected(
                409,
                "PcCustomerClaimed",
                format!(
                    "Partner Center customer {} ({}) belongs to {}; point spec.azureAD elsewhere",
                    owner.id,
                    text(&customer["companyProfile"], "domain"),
                    owner.external_ref
                ),
                Some("spec.azureAD"),
            ));
        }
        let id = customer["id"].as_str().unwrap_or_default();
        let billing = billing_profile(req, tag, Some(&customer["billingProfile"]))?;
        let (status, written) = self
            .send(
                Method::PUT,
                &format!("v1/customers/{id}/profiles/billing"),
                Some(&billing),
                Some(&self.request_id(req, &format!("billing {id}"))),
                &[],
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "NotFound",
                format!("customer {id} vanished from Partner Center; the next plan will create it"),
                None,
            ));
        }
        let mut updated = customer.clone();
        updated["billingProfile"] = written;
        updated.as_object_mut().map(|m| m.remove("userCredentials"));
        let object = to_object(&updated).ok_or_else(|| {
            super::wire::protocol(200, "the billing profile lost tenantry's tag".to_owned())
        })?;
        Ok(WriteOutcome::Done(object))
    }

    /// A customer being created: running until Partner Center serves it.
    pub(super) async fn tenant_operation(&self, op: &str) -> Result<Operation, PortalError> {
        let id = op.strip_prefix(OP_PREFIX).unwrap_or(op);
        let (status, _) = self
            .send(Method::GET, &format!("v1/customers/{id}"), None, None, &[])
            .await?;
        let ready = status != StatusCode::NOT_FOUND;
        Ok(Operation {
            id: op.to_owned(),
            object_id: Some(id.to_owned()),
            state: if ready {
                OperationState::Succeeded
            } else {
                OperationState::Running
            },
            reason: (!ready).then(|| "Provisioning".to_owned()),
            message: (!ready).then(|| {
                "Partner Center is creating the Microsoft tenant; it is not usable yet".to_owned()
            }),
            not_before: None,
        })
    }

    /// The `MS-RequestId` of a write: tenantry's idempotency key of the declared request,
    /// so every retry and every rerun of the same write sends the same one.
    fn request_id(&self, req: &WriteRequest, action: &str) -> String {
        let body = serde_json::to_vec(&req.spec).unwrap_or_default();
        let key = idempotency_key(self.http.name(), &req.uid, "daas/azure-ad", action, &body);
        guid_of(&key)
    }
}

fn domain_unavailable(tries: &[String]) -> PortalError {
    let shown = tries.join(" and ");
    let what = if tries.len() > 1 {
        "are both taken"
    } else {
        "is taken and the Tenant declares no spec.code to append"
    };
    rejected(
        409,
        "DomainUnavailable",
        format!(
            "{shown} {what}; consult the Star2Star TTU team for guidance (or declare another spec.code)"
        ),
        Some("spec.azureAD"),
    )
}

fn tag_of(req: &WriteRequest) -> Tag {
    let spec = Value::Object(req.spec.clone());
    Tag {
        external_ref: req.external_ref.clone(),
        policy: policy_name(req.deletion_policy),
        customer: text(&spec, "customerId").to_owned(),
        mode: text(&spec, "mode").to_owned(),
        code: Some(text(&spec, "customerCode").to_owned()).filter(|c| !c.is_empty()),
    }
}

/// `(first, last)` of a person's name; Partner Center wants both.
fn split_name(name: &str) -> (&str, &str) {
    match name.trim().split_once(' ') {
        Some((first, last)) => (first, last.trim()),
        None => (name.trim(), name.trim()),
    }
}

/// The billing profile of the declared customer, over `existing` when adopting one.
fn billing_profile(
    req: &WriteRequest,
    tag: &Tag,
    existing: Option<&Value>,
) -> Result<Value, PortalError> {
    let spec = Value::Object(req.spec.clone());
    let person = &spec["acceptedBy"];
    let (first, last) = split_name(text(person, "name"));
    let mut billing: Map<String, Value> = existing
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    billing.remove("id");
    billing.remove("attributes");
    billing.remove("links");
    let name = text(&spec, "customerName");
    for (k, v) in object(&[
        ("email", Some(text(person, "email"))),
        ("companyName", Some(name)),
        ("firstName", Some(first)),
        ("lastName", Some(last)),
    ]) {
        billing.insert(k, v);
    }
    billing.entry("culture").or_insert_with(|| "en-US".into());
    billing.entry("language").or_insert_with(|| "en".into());
    let mut address: Map<String, Value> = billing
        .get("defaultAddress")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let declared = &spec["address"];
    let own_line2 = if declared.is_object() {
        address = object(&[
            ("addressLine1", Some(text(declared, "line1"))),
            ("city", Some(text(declared, "city"))),
            ("state", Some(text(declared, "region"))),
            ("postalCode", Some(text(declared, "postalCode"))),
            ("country", Some(text(declared, "country"))),
        ]);
        Some(text(declared, "line2").to_owned())
    } else if existing.is_none() {
        return Err(rejected(
            422,
            "PcAddressRequired",
            "Partner Center bills a new customer at an address: set the Tenant's spec.address"
                .to_owned(),
            Some("spec.address"),
        ));
    } else {
        Tag::parse(text(&Value::Object(address.clone()), "addressLine2")).0
    };
    for (k, v) in object(&[
        ("firstName", Some(first)),
        ("lastName", Some(last)),
        ("phoneNumber", Some(text(person, "phone"))),
    ]) {
        address.insert(k, v);
    }
    address.insert(
        "addressLine2".into(),
        tag.line2(own_line2.as_deref().filter(|l| !l.is_empty()))
            .into(),
    );
    billing.insert("defaultAddress".into(), Value::Object(address));
    Ok(Value::Object(billing))
}

/// The `POST /v1/customers` body of a new customer with `domain`.
fn create_body(req: &WriteRequest, tag: &Tag, domain: &str) -> Result<Value, PortalError> {
    let name = req.spec.get("customerName").cloned().unwrap_or_default();
    Ok(json!({
        "companyProfile": {"domain": domain, "companyName": name},
        "billingProfile": billing_profile(req, tag, None)?,
    }))
}

/// A tagged customer as tenantry's azure-ad object; `None` for a customer tenantry did not
/// make or adopt.
pub(super) fn to_object(customer: &Value) -> Option<PortalObject> {
    let billing = &customer["billingProfile"];
    let address = &billing["defaultAddress"];
    let (own_line2, tag) = Tag::parse(text(address, "addressLine2"));
    let tag = tag?;
    let id = customer["id"].as_str()?.to_owned();
    let mut spec = Map::new();
    spec.insert("customerId".into(), tag.customer.clone().into());
    spec.insert("mode".into(), tag.mode.clone().into());
    if tag.mode == "ConnectExisting" {
        spec.insert("existingTenantId".into(), id.clone().into());
    }
    let name = format!(
        "{} {}",
        text(billing, "firstName"),
        text(billing, "lastName")
    );
    let mut person = object(&[
        ("name", Some(name.trim())),
        ("email", Some(text(billing, "email"))),
    ]);
    if !text(address, "phoneNumber").is_empty() {
        person.insert("phone".into(), text(address, "phoneNumber").into());
    }
    // A first-name-only contact was sent as first = last.
    if text(billing, "firstName") == text(billing, "lastName") {
        person.insert("name".into(), text(billing, "firstName").into());
    }
    spec.insert("acceptedBy".into(), Value::Object(person));
    spec.insert("customerName".into(), text(billing, "companyName").into());
    if let Some(code) = &tag.code {
        spec.insert("customerCode".into(), code.clone().into());
    }
    if !text(address, "addressLine1").is_empty() {
        let mut a = object(&[
            ("line1", Some(text(address, "addressLine1"))),
            ("line2", own_line2.as_deref()),
            ("city", Some(text(address, "city"))),
            ("region", Some(text(address, "state"))),
            ("postalCode", Some(text(address, "postalCode"))),
            ("country", Some(text(address, "country"))),
        ]);
        a.retain(|_, v| v.as_str().is_some_and(|s| !s.is_empty()));
        spec.insert("address".into(), Value::Object(a));
    }
    let mut status = Map::new();
    status.insert("phase".into(), "Ready".into());
    status.insert("tenantId".into(), id.clone().into());
    let domain = text(&customer["companyProfile"], "domain");
    if !domain.is_empty() {
        status.insert("onmicrosoftDomain".into(), domain.into());
    }
    Some(PortalObject {
        id,
        external_ref: tag.external_ref.clone(),
        deletion_policy: tag.deletion_policy(),
        version: 0,
        spec,
        status,
    })
}

/// Prefix of the placeholder id of a ConnectExisting customer that is not ours yet.
const AWAITING_RELATIONSHIP: &str = "awaiting-relationship:";

/// The wait of a ConnectExisting tenant that is not yet a customer of this partner.
fn awaiting_relationship(req: &WriteRequest, tenant: &str) -> WriteOutcome {
    let id = format!("{AWAITING_RELATIONSHIP}{}", req.external_ref);
    WriteOutcome::Accepted(Box::new(Accepted {
        object: PortalObject {
            id: id.clone(),
            external_ref: req.external_ref.clone(),
            deletion_policy: req.deletion_policy,
            version: 0,
            spec: req.spec.clone(),
            status: Map::new(),
        },
        operation: Operation {
            id,
            object_id: None,
            state: OperationState::AwaitingHuman,
            reason: Some("AwaitingCustomerApproval".to_owned()),
            message: Some(format!(
                "tenant {tenant} is not a customer of this partner yet: send its Global Admin the reseller relationship link (Partner Center: Customers > Request a reseller relationship); the next apply adopts the tenant once they accept"
            )),
            not_before: None,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DeletionPolicy;

    fn request() -> WriteRequest {
        let spec = json!({
            "customerId": "cus_1", "mode": "CreateNew", "customerName": "Kenton Electronics",
            "acceptedBy": {"name": "Jane Roe", "email": "jane@kenton.example", "phone": "+15555550188"},
            "address": {"line1": "1200 Foundry Road", "line2": "Building 4", "city": "Dayton", "region": "OH", "postalCode": "45402", "country": "US"},
        });
        WriteRequest {
            uid: "customers/kenton-azure-ad".into(),
            external_ref: "customers/kenton-azure-ad".into(),
            deletion_policy: DeletionPolicy::Orphan,
            spec: spec.as_object().cloned().unwrap_or_default(),
            secrets: vec![],
            secret_sources: vec![],
        }
    }

    #[test]
    fn a_created_customer_reads_back_as_the_declared_spec() {
        let req = request();
        let body = create_body(&req, &tag_of(&req), "kentonelectronics.onmicrosoft.com")
            .unwrap_or_else(|e| panic!("{e}"));
        let customer = json!({"id": "t-1", "companyProfile": body["companyProfile"], "billingProfile": body["billingProfile"]});
        let object = to_object(&customer).unwrap_or_else(|| panic!("untagged"));
        assert_eq!(object.external_ref, req.external_ref);
        assert_eq!(Value::Object(object.spec), Value::Object(req.spec));
        assert_eq!(
            object.status["onmicrosoftDomain"],
            "kentonelectronics.onmicrosoft.com"
        );
    }
}

//! `daas/microsoft-online` on Partner Center: the partner attests the customer's Microsoft
//! Customer Agreement (`GET /v1/agreements?agreementType=MicrosoftCustomerAgreement` for the
//! template, then `POST /v1/customers/{id}/agreements` with the contact who accepted), and only
//! then orders Microsoft 365 (`POST /v1/customers/{id}/orders`), whose `pending` → `completed`
//! is polled as an operation.
//!
//! Orders, not carts: one request (one `MS-RequestId` makes it idempotent) gives the one
//! object to list and poll, and its line item's `provisioningContext` carries tenantry's
//! reference; a cart adds a second call and a cart that expires after 7 days.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::PartnerCenter;
use super::customers::to_object as tenant_object;
use super::wire::{guid_of, object, policy_name, rejected, text};
use crate::portal::idempotency_key;
use crate::portal::wire::{Accepted, Operation, OperationState, PortalObject, WriteOutcome};
use crate::portal::{PortalError, WriteRequest};

/// The offer ordered (⚠ a legacy Microsoft 365 Business Basic offer id; docs/providers.md).
pub(super) const OFFER_ID: &str = "031C9E47-4802-4248-838E-778FB1D2CC05";
const MCA: &str = "MicrosoftCustomerAgreement";
/// Keys of tenantry's reference in an order line's `provisioningContext`.
const REF_KEY: &str = "tenantryRef";
const POLICY_KEY: &str = "tenantryDeletionPolicy";
const CUSTOMER_KEY: &str = "tenantryCustomerId";
/// Prefix of the operation ids of an order (`pc-order:<tenantId>:<orderId>`).
const OP_PREFIX: &str = "pc-order:";

impl PartnerCenter {
    /// Every order tenantry placed, as microsoft-online objects.
    pub(super) async fn list_orders(&self) -> Result<Vec<PortalObject>, PortalError> {
        let mut out = Vec::new();
        for customer in self.customers().await? {
            if tenant_object(&customer).is_none() {
                continue;
            }
            let id = customer["id"].as_str().unwrap_or_default();
            out.extend(
                self.orders_of(id)
                    .await?
                    .iter()
                    .filter_map(|o| to_object(id, o)),
            );
        }
        Ok(out)
    }

    async fn orders_of(&self, tenant: &str) -> Result<Vec<Value>, PortalError> {
        let (status, list) = self
            .send(
                Method::GET,
                &format!("v1/customers/{tenant}/orders"),
                None,
                None,
                &[],
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        Ok(list["items"].as_array().cloned().unwrap_or_default())
    }

    pub(super) async fn create_order(
        &self,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        let customer_id = req
            .spec
            .get("customerId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let customers = self.customers().await?;
        let Some(customer) = customers.iter().find(|c| {
            tenant_object(c).is_some_and(|o| {
                o.spec.get("customerId").and_then(Value::as_str) == Some(customer_id)
            })
        }) else {
            return Err(rejected(
                409,
                "DependencyNotReady",
                format!(
                    "customer {customer_id} has no Microsoft tenant in Partner Center yet; Microsoft Online is ordered after its Azure AD service, retry then"
                ),
                None,
            ));
        };
        let tenant = customer["id"].as_str().unwrap_or_default().to_owned();
        // Placed before (a lost answer, a crash): poll that order.
        if let Some(existing) = self.our_order(&tenant, &req.external_ref).await? {
            return Ok(outcome(existing));
        }
        self.attest(&tenant, &customer["billingProfile"]).await?;
        let body = json!({
            "referenceCustomerId": tenant,
            "billingCycle": "monthly",
            "lineItems": [{
                "lineItemNumber": 0,
                "offerId": OFFER_ID,
                "quantity": 1,
                "friendlyName": "Microsoft 365",
                "provisioningContext": {
                    REF_KEY: req.external_ref,
                    POLICY_KEY: policy_name(req.deletion_policy),
                    CUSTOMER_KEY: customer_id,
                },
            }],
        });
        let key = idempotency_key(
            self.http.name(),
            &req.uid,
            "daas/microsoft-online",
            "create",
            &serde_json::to_vec(&body).unwrap_or_default(),
        );
        let result = self
            .send(
                Method::POST,
                &format!("v1/customers/{tenant}/orders"),
                Some(&body),
                Some(&guid_of(&key)),
                &[],
            )
            .await;
        match result {
            Ok((_, order)) => to_object(&tenant, &order).map(outcome).ok_or_else(|| {
                super::wire::protocol(
                    201,
                    "the order came back without tenantry's reference".to_owned(),
                )
            }),
            // Another order of the customer is still pending: ours if it carries our reference.
            Err(PortalError::Rejected { code, message, .. }) if code == "PcOrderInProgress" => {
                match self.our_order(&tenant, &req.external_ref).await? {
                    Some(existing) => Ok(outcome(existing)),
                    None => Err(PortalError::Rejected {
                        portal: crate::api::Portal::Daas.id().to_owned(),
                        status: 409,
                        code,
                        message: format!(
                            "{message}; the next apply orders Microsoft 365 once it has completed"
                        ),
                        field: None,
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn our_order(
        &self,
        tenant: &str,
        external_ref: &str,
    ) -> Result<Option<PortalObject>, PortalError> {
        Ok(self
            .orders_of(tenant)
            .await?
            .iter()
            .filter_map(|o| to_object(tenant, o))
            .find(|o| o.external_ref == external_ref))
    }

    /// The MCA attestation, unless the customer has one: never order without it (403 13605).
    async fn attest(&self, tenant: &str, billing: &Value) -> Result<(), PortalError> {
        let path = format!("v1/customers/{tenant}/agreements");
        let (_, existing) = self.send(Method::GET, &path, None, None, &[]).await?;
        let signed = existing["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| text(x, "type") == MCA));
        if signed {
            return Ok(());
        }
        let (_, templates) = self
            .send(
                Method::GET,
                &format!("v1/agreements?agreementType={MCA}"),
                None,
                None,
                &[],
            )
            .await?;
        let template = templates["items"]
            .as_array()
            .and_then(|a| a.first())
            .map(|t| text(t, "templateId").to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                super::wire::protocol(
                    200,
                    "Partner Center offers no Microsoft Customer Agreement template".to_owned(),
                )
            })?;
        let address = &billing["defaultAddress"];
        let contact: Map<String, Value> = object(&[
            ("firstName", Some(text(billing, "firstName"))),
            ("lastName", Some(text(billing, "lastName"))),
            ("email", Some(text(billing, "email"))),
            ("phoneNumber", Some(text(address, "phoneNumber"))),
        ]);
        let body = json!({
            "primaryContact": contact,
            "templateId": template,
            "dateAgreed": jiff::Timestamp::now().to_string(),
            "type": MCA,
        });
        self.send(Method::POST, &path, Some(&body), None, &[])
            .await?;
        Ok(())
    }

    /// The order behind an object id (`<tenantId>:<orderId>`) as a write outcome.
    pub(super) async fn order_outcome(&self, id: &str) -> Result<WriteOutcome, PortalError> {
        let order = self.order(id).await?;
        Ok(outcome(order))
    }

    async fn order(&self, id: &str) -> Result<PortalObject, PortalError> {
        let id = id.strip_prefix(OP_PREFIX).unwrap_or(id);
        let (tenant, order) = id.split_once(':').ok_or_else(|| {
            super::wire::protocol(
                0,
                format!("{id:?} is not a Partner Center order id (<tenantId>:<orderId>)"),
            )
        })?;
        let (status, answer) = self
            .send(
                Method::GET,
                &format!("v1/customers/{tenant}/orders/{order}"),
                None,
                None,
                &[],
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(rejected(
                404,
                "OperationNotFound",
                format!("order {order} of customer {tenant} is unknown to Partner Center"),
                None,
            ));
        }
        to_object(tenant, &answer).ok_or_else(|| {
            super::wire::protocol(200, format!("order {order} has no tenantry reference"))
        })
    }

    pub(super) async fn order_operation(&self, id: &str) -> Result<Operation, PortalError> {
        Ok(operation_of(&self.order(id).await?))
    }
}

fn outcome(object: PortalObject) -> WriteOutcome {
    let operation = operation_of(&object);
    if operation.state == OperationState::Succeeded {
        WriteOutcome::Done(object)
    } else {
        WriteOutcome::Accepted(Box::new(Accepted { object, operation }))
    }
}

fn operation_of(object: &PortalObject) -> Operation {
    let done = object.phase() == Some("Ready");
    let failed = object.phase() == Some("Failed");
    Operation {
        id: format!("{OP_PREFIX}{}", object.id),
        object_id: Some(object.id.clone()),
        state: if done {
            OperationState::Succeeded
        } else if failed {
            OperationState::Failed
        } else {
            OperationState::Running
        },
        reason: (!done).then(|| {
            if failed {
                "OrderCancelled"
            } else {
                "Provisioning"
            }
            .to_owned()
        }),
        message: (!done).then(|| {
            if failed {
                "Partner Center cancelled the Microsoft 365 order; see the order in Partner Center"
                    .to_owned()
            } else {
                "the Microsoft 365 order is pending in Partner Center".to_owned()
            }
        }),
        not_before: None,
    }
}

/// An order tenantry placed as a microsoft-online object; `None` for any other order.
fn to_object(tenant: &str, order: &Value) -> Option<PortalObject> {
    let context = order["lineItems"]
        .as_array()?
        .iter()
        .map(|l| &l["provisioningContext"])
        .find(|c| !text(c, REF_KEY).is_empty())?;
    let id = order["id"].as_str()?;
    let phase = match order["status"].as_str().unwrap_or_default() {
        "completed" => "Ready",
        "cancelled" => "Failed",
        _ => "Provisioning",
    };
    let mut spec = Map::new();
    spec.insert("customerId".into(), text(context, CUSTOMER_KEY).into());
    let mut status = Map::new();
    status.insert("phase".into(), phase.into());
    status.insert("tenantId".into(), tenant.into());
    status.insert("orderId".into(), id.into());
    Some(PortalObject {
        id: format!("{tenant}:{id}"),
        external_ref: text(context, REF_KEY).to_owned(),
        deletion_policy: serde_json::from_value(Value::String(
            text(context, POLICY_KEY).to_owned(),
        ))
        .unwrap_or_default(),
        version: 0,
        spec,
        status,
    })
}

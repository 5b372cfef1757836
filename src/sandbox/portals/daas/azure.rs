//! Azure AD (onmicrosoft domain derivation, async) and Microsoft Online (after Azure AD).

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{Created, Cx, Person, Removal, Rules, not_blank, one_per_parent};
use super::{PORTAL, customer_of};
use crate::sandbox::body::typed;
use crate::sandbox::clock::{minutes, secs};
use crate::sandbox::error::ApiError;
use crate::sandbox::fixtures;
use crate::sandbox::ids;
use crate::sandbox::object::{self, Object};
use crate::sandbox::operations::{Action, Failure, OpPlan, Operation, Start};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AzureAdSpec {
    customer_id: String,
    mode: Mode,
    #[serde(default)]
    existing_tenant_id: Option<String>,
    #[serde(default)]
    accepted_by: Option<Person>,
    /// For vendor portals (Partner Center); this portal reads the customer itself.
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for vendor portals, not used here")]
    customer_name: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for vendor portals, not used here")]
    customer_code: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for vendor portals, not used here")]
    address: Option<Value>,
}

#[derive(Deserialize, PartialEq, Eq)]
enum Mode {
    CreateNew,
    ConnectExisting,
}

impl AzureAdSpec {
    fn check(&self) -> Result<(), ApiError> {
        let _ = &self.customer_id;
        match (&self.mode, &self.existing_tenant_id) {
            (Mode::ConnectExisting, None) => Err(ApiError::invalid(
                "existingTenantId",
                "ConnectExisting needs the id of the tenant imported into the Partner Center",
            )),
            (Mode::ConnectExisting, Some(t)) => not_blank(t, "existingTenantId"),
            (Mode::CreateNew, Some(_)) => Err(ApiError::invalid(
                "existingTenantId",
                "existingTenantId applies only to mode ConnectExisting",
            )),
            (Mode::CreateNew, None) => Ok(()),
        }?;
        if let Some(person) = &self.accepted_by {
            person.check("acceptedBy")?;
        }
        Ok(())
    }

    fn accepted_by(&self, customer: &Object) -> Value {
        match &self.accepted_by {
            Some(p) => json!({"name": p.name, "email": p.email}),
            None => json!({
                "name": customer.spec["contact"]["name"],
                "email": customer.spec["contact"]["email"],
            }),
        }
    }
}

/// The onmicrosoft label of a customer name: lower case, no spaces (and nothing a domain
/// label cannot hold).
pub(crate) fn domain_label(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

pub(crate) struct AzureAd;

impl Rules for AzureAd {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: AzureAdSpec = typed(spec, "spec")?;
        s.check()?;
        let customer = customer_of(cx, spec)?;
        one_per_parent(cx, PORTAL, "azure-ad", &customer)?;
        Ok(Created {
            status: json!({
                "termsAcceptedBy": s.accepted_by(&customer),
                "customerCode": customer.status_str("code"),
            }),
            parent: Some(customer.id),
            operation: Some(OpPlan {
                action: Action::Create,
                start: Start::Pending(secs(5)),
                run: secs(150),
                message: "creating the Microsoft 365 tenant; this takes 2-3 minutes".to_owned(),
            }),
        })
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: AzureAdSpec = typed(spec, "spec")?;
        s.check()?;
        let customer = customer_of(cx, spec)?;
        obj.set_status("termsAcceptedBy", s.accepted_by(&customer));
        obj.set_status("customerCode", customer.status_str("code"));
        Ok(None)
    }

    fn delete(&self, _cx: &Cx<'_, '_>, _obj: &Object) -> Result<Removal, ApiError> {
        Ok(Removal::Later(OpPlan {
            action: Action::Delete,
            start: Start::Pending(secs(2)),
            run: minutes(1),
            message: "disconnecting the Microsoft tenant".to_owned(),
        }))
    }

    fn operation_started(
        &self,
        cx: &Cx<'_, '_>,
        op: &Operation,
        obj: &mut Object,
    ) -> Result<Option<Failure>, ApiError> {
        if op.action != Action::Create {
            return Ok(None);
        }
        if obj.spec["mode"] == "ConnectExisting" {
            let tenant = obj.spec_str("existingTenantId").to_owned();
            obj.set_status("tenantId", tenant);
            return Ok(None);
        }
        let Some(customer) = object::by_id(cx.tx, obj.parent_id.as_deref().unwrap_or(""))? else {
            return Ok(Some(Failure {
                reason: "CustomerNotFound",
                message: "the customer was deleted".to_owned(),
            }));
        };
        let label = domain_label(customer.spec_str("name"));
        let code = customer.status_str("code").to_lowercase();
        let candidates = [label.clone(), format!("{label}{code}")];
        for candidate in &candidates {
            if !label.is_empty() && !fixtures::domain_taken(cx.tx, candidate)? {
                fixtures::reserve_domain(cx.tx, candidate, &obj.id)?;
                obj.set_status("onmicrosoftDomain", fixtures::onmicrosoft(candidate));
                return Ok(None);
            }
        }
        Ok(Some(Failure {
            reason: "DomainUnavailable",
            message: format!(
                "{} and {} are both taken; consult the Star2Star TTU team for guidance",
                fixtures::onmicrosoft(&candidates[0]),
                fixtures::onmicrosoft(&candidates[1])
            ),
        }))
    }

    fn operation_succeeded(
        &self,
        cx: &Cx<'_, '_>,
        op: &Operation,
        obj: &mut Object,
    ) -> Result<(), ApiError> {
        if op.action == Action::Create && obj.spec["mode"] == "CreateNew" {
            let t = ids::token(cx.shared.seed, "tenant", cx.counter("tenant")?, 32);
            let guid = format!(
                "{}-{}-{}-{}-{}",
                &t[..8],
                &t[8..12],
                &t[12..16],
                &t[16..20],
                &t[20..32]
            );
            obj.set_status("tenantId", guid);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerOnly {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
}

pub(crate) struct MicrosoftOnline;

impl Rules for MicrosoftOnline {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let _: CustomerOnly = typed(spec, "spec")?;
        let customer = customer_of(cx, spec)?;
        let azure = object::children_of_kind(cx.tx, PORTAL, "azure-ad", &customer.id)?;
        let Some(azure) = azure.first() else {
            return Err(ApiError::conflict(
                "DependencyNotReady",
                "the customer has no Azure AD service; provision azure-ad first and retry when \
                 its operation has succeeded",
            ));
        };
        if azure.phase() != "Ready" {
            return Err(ApiError::conflict(
                "DependencyNotReady",
                format!(
                    "the customer's Azure AD ({}) is {}; Microsoft Online can be provisioned only \
                     after it has succeeded, retry then",
                    azure.id,
                    azure.phase()
                ),
            ));
        }
        one_per_parent(cx, PORTAL, "microsoft-online", azure)?;
        Ok(Created {
            status: json!({}),
            parent: Some(azure.id.clone()),
            operation: Some(OpPlan {
                action: Action::Create,
                start: Start::Pending(secs(5)),
                run: minutes(1),
                message: "provisioning Microsoft Online".to_owned(),
            }),
        })
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        _obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let _: CustomerOnly = typed(spec, "spec")?;
        Ok(None)
    }

    fn delete(&self, _cx: &Cx<'_, '_>, _obj: &Object) -> Result<Removal, ApiError> {
        Ok(Removal::Later(OpPlan {
            action: Action::Delete,
            start: Start::Pending(secs(2)),
            run: minutes(1),
            message: "removing Microsoft Online".to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onmicrosoft_labels() {
        assert_eq!(domain_label("Kenton Electronics"), "kentonelectronics");
        assert_eq!(domain_label("A & B, Inc."), "abinc");
    }
}

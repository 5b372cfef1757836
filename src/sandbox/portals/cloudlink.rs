//! CloudLink onboarding (seed 004): customer accounts with admin and support contacts (a
//! Maintainer and an Onsite Admin are mandatory; the vendor owns the name) and the gateway
//! step (Gateway for MiVoice, Sync for SMBC and VA).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Address, Created, Cx, Rules, not_blank, one_per_parent, referenced, require, status};
use crate::sandbox::body::typed;
use crate::sandbox::error::ApiError;
use crate::sandbox::object::Object;
use crate::sandbox::operations::OpPlan;
use crate::validate::syntax::is_email;

const PORTAL: &str = "cloudlink";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountSpec {
    name: String,
    address: Address,
    business_type: String,
    #[serde(default)]
    admin_contacts: Vec<Contact>,
    support_contacts: Vec<SupportContact>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Contact {
    name: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SupportContact {
    role: Role,
    name: String,
    email: String,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy)]
enum Role {
    Maintainer,
    OnsiteAdmin,
    Other,
}

fn contact(name: &str, email: &str, field: &str) -> Result<(), ApiError> {
    not_blank(name, &format!("{field}.name"))?;
    require(
        is_email(email),
        &format!("{field}.email"),
        "not an e-mail address",
    )
}

impl AccountSpec {
    fn check(&self) -> Result<(), ApiError> {
        not_blank(&self.name, "name")?;
        self.address.check("address")?;
        not_blank(&self.business_type, "businessType")?;
        for (i, c) in self.admin_contacts.iter().enumerate() {
            contact(&c.name, &c.email, &format!("adminContacts[{i}]"))?;
        }
        for (i, c) in self.support_contacts.iter().enumerate() {
            contact(&c.name, &c.email, &format!("supportContacts[{i}]"))?;
        }
        let has = |role| self.support_contacts.iter().any(|c| c.role == role);
        let missing: Vec<&str> = [
            (Role::Maintainer, "Maintainer"),
            (Role::OnsiteAdmin, "OnsiteAdmin"),
        ]
        .into_iter()
        .filter(|(role, _)| !has(*role))
        .map(|(_, name)| name)
        .collect();
        if !missing.is_empty() {
            return Err(ApiError::unprocessable(
                "SupportContactsMissing",
                format!(
                    "at least one Maintainer and one OnsiteAdmin support contact are mandatory; \
                     add: {}",
                    missing.join(", ")
                ),
            )
            .field("spec.supportContacts"));
        }
        let _ = Role::Other;
        Ok(())
    }
}

pub(crate) struct Accounts;

impl Rules for Accounts {
    fn create(&self, _cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: AccountSpec = typed(spec, "spec")?;
        s.check()?;
        Ok(Created::ready(status(json!({"nextStep": "Gateway"})), None))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        _obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: AccountSpec = typed(spec, "spec")?;
        s.check()?;
        Ok(None)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GatewaySpec {
    account_id: String,
    platform: Platform,
}

#[derive(Deserialize, Clone, Copy)]
enum Platform {
    MiVoice,
    #[serde(rename = "SMBC")]
    Smbc,
    #[serde(rename = "VA")]
    Va,
}

impl GatewaySpec {
    fn status(&self) -> Value {
        match self.platform {
            Platform::MiVoice => status(json!({"step": "Gateway", "steps": ["PBX", "Connect"]})),
            Platform::Smbc | Platform::Va => status(json!({"step": "Sync", "steps": ["Sync"]})),
        }
    }
}

pub(crate) struct Gateways;

impl Rules for Gateways {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: GatewaySpec = typed(spec, "spec")?;
        let account = referenced(cx, PORTAL, "accounts", &s.account_id, "accountId")?;
        one_per_parent(cx, PORTAL, "gateways", &account)?;
        Ok(Created::ready(s.status(), Some(account.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: GatewaySpec = typed(spec, "spec")?;
        obj.status = s.status();
        Ok(None)
    }
}

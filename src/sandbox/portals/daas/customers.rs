//! DaaS customers: generated codes, domains, password policy.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{Address, Created, Cx, Person, Rules, not_blank, require, status};
use super::PORTAL;
use crate::sandbox::body::typed;
use crate::sandbox::error::ApiError;
use crate::sandbox::ids;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::OpPlan;
use crate::validate::syntax::{is_domain, is_e164};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerSpec {
    name: String,
    #[serde(default)]
    code: Option<String>,
    // Fields with a contract default arrive filled in (`with_defaults`), so they are required.
    #[serde(rename = "type")]
    customer_type: CustomerType,
    contact: Person,
    #[serde(default)]
    address: Option<Address>,
    #[serde(default)]
    phone: Option<String>,
    min_password_length: u32,
    #[serde(default)]
    billing_id: Option<String>,
    domains: Vec<String>,
    dns_zone: bool,
    /// The "Change password at next logon" advanced property.
    change_password_at_next_logon: bool,
}

#[derive(Deserialize)]
enum CustomerType {
    Standard,
    Test,
    Demo,
}

impl CustomerSpec {
    fn check(&self) -> Result<(), ApiError> {
        not_blank(&self.name, "name")?;
        require(self.name.len() <= 128, "name", "at most 128 characters")?;
        if let Some(code) = &self.code {
            require(
                (2..=16).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()),
                "code",
                "a customer code has 2 to 16 letters and digits; leave it out to have one generated",
            )?;
        }
        let _ = (&self.customer_type, &self.billing_id, &self.dns_zone);
        self.contact.check("contact")?;
        if let Some(address) = &self.address {
            address.check("address")?;
        }
        if let Some(phone) = &self.phone {
            require(
                is_e164(phone),
                "phone",
                "not an E.164 number such as +15555550100",
            )?;
        }
        require(
            (8..=256).contains(&self.min_password_length),
            "minPasswordLength",
            "the minimum password length is at least 8",
        )?;
        require(
            !self.domains.is_empty(),
            "domains",
            "add the customer's primary domain",
        )?;
        for (i, domain) in self.domains.iter().enumerate() {
            require(
                is_domain(domain),
                &format!("domains[{i}]"),
                "not a domain name such as kenton-electronics.com",
            )?;
            if self.domains[..i]
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
            {
                return Err(ApiError::invalid(&format!("domains[{i}]"), "listed twice"));
            }
        }
        Ok(())
    }
}

fn code_taken(cx: &Cx<'_, '_>, code: &str, except: Option<&str>) -> Result<bool, ApiError> {
    Ok(
        object::find_by_field(cx.tx, PORTAL, "customers", Part::Status, "code", code)?
            .iter()
            .any(|o| Some(o.id.as_str()) != except),
    )
}

pub(crate) struct Customers;

impl Rules for Customers {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: CustomerSpec = typed(spec, "spec")?;
        s.check()?;
        let code = match &s.code {
            Some(code) => {
                if code_taken(cx, code, None)? {
                    return Err(ApiError::conflict(
                        "CodeInUse",
                        format!("customer code {code} is taken; choose another or leave it out"),
                    )
                    .field("spec.code"));
                }
                code.clone()
            }
            None => generate_code(cx, &s.name)?,
        };
        Ok(Created::ready(
            status(
                json!({"code": code, "changePasswordAtNextLogon": s.change_password_at_next_logon}),
            ),
            None,
        ))
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: CustomerSpec = typed(spec, "spec")?;
        s.check()?;
        for admin in object::children_of_kind(cx.tx, PORTAL, "admins", &obj.id)? {
            let domain = admin.spec_str("upnDomain");
            if !s.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
                return Err(ApiError::unprocessable(
                    "DomainInUse",
                    format!(
                        "administrator {} has a UPN in {domain}; move it before removing the domain",
                        admin.status_str("upn")
                    ),
                )
                .field("spec.domains"));
            }
        }
        Ok(None)
    }
}

fn generate_code(cx: &Cx<'_, '_>, name: &str) -> Result<String, ApiError> {
    for _ in 0..1000 {
        let code = ids::customer_code(cx.shared.seed, name, cx.counter("customer-code")?);
        if !code_taken(cx, &code, None)? {
            return Ok(code);
        }
    }
    Err(ApiError::internal(
        "could not generate a free customer code",
    ))
}

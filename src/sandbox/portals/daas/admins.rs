//! DaaS customer administrators: UPN, password policy, temporary password by e-mail.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{
    Created, Cx, Rules, check_fingerprint, check_password, not_blank, require, status,
    with_defaults,
};
use super::{PORTAL, customer_of};
use crate::sandbox::body::{Secret, typed};
use crate::sandbox::error::ApiError;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::OpPlan;
use crate::sandbox::outbox::Message;
use crate::validate::password::ABSOLUTE_MIN_LENGTH;
use crate::validate::syntax::{is_e164, is_email};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdminSpec {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
    first_name: String,
    last_name: String,
    #[serde(default)]
    username: Option<String>,
    upn_domain: String,
    #[serde(default)]
    display_name: Option<String>,
    external_email: String,
    // Fields with a contract default arrive filled in (`with_defaults`), so they are required.
    role: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    password: Option<Secret>,
    #[serde(default)]
    #[expect(dead_code, reason = "checked on the raw spec by check_fingerprint")]
    password_fingerprint: Option<String>,
    /// "Change Password at Logon".
    change_password_at_next_logon: bool,
}

/// The Common Roles a customer administrator can hold (the contract's default is the first).
const ROLES: [&str; 2] = ["DaaSPartnerAdmin", "DaaSPartnerManager"];

impl AdminSpec {
    /// The username: declared, or first initial + last name in lower case (`jroe`).
    fn username(&self) -> String {
        match &self.username {
            Some(u) => u.clone(),
            None => self
                .first_name
                .chars()
                .take(1)
                .chain(self.last_name.chars())
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase(),
        }
    }

    fn check(&self, customer: &Object) -> Result<(), ApiError> {
        not_blank(&self.first_name, "firstName")?;
        not_blank(&self.last_name, "lastName")?;
        let username = self.username();
        require(
            !username.is_empty()
                && username.len() <= 64
                && username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "username",
            "a username has 1 to 64 letters, digits, dots, underscores or hyphens",
        )?;
        let domains: Vec<&str> = customer.spec["domains"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&self.upn_domain))
        {
            return Err(ApiError::unprocessable(
                "UpnDomainNotOwned",
                format!(
                    "{} is not one of the customer's domains ({}); use one of them or add it to \
                     the customer",
                    self.upn_domain,
                    domains.join(", ")
                ),
            )
            .field("spec.upnDomain"));
        }
        require(
            is_email(&self.external_email),
            "externalEmail",
            "not an e-mail address; the temporary password is sent there",
        )?;
        require(
            ROLES.contains(&self.role.as_str()),
            "role",
            "the customer administrator's common role is DaaSPartnerAdmin (or DaaSPartnerManager)",
        )?;
        if let Some(phone) = &self.phone {
            require(
                is_e164(phone),
                "phone",
                "not an E.164 number such as +15555550100",
            )?;
        }
        Ok(())
    }

    fn upn(&self) -> String {
        format!("{}@{}", self.username(), self.upn_domain.to_lowercase())
    }

    fn display_name(&self) -> String {
        self.display_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", self.first_name, self.last_name))
    }
}

/// The customer's minimum password length (the contract's default when it declares none).
fn min_length(customer: &Object) -> u32 {
    with_defaults(PORTAL, "customers", &customer.spec)["minPasswordLength"]
        .as_u64()
        .map_or(ABSOLUTE_MIN_LENGTH, |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        })
}

fn upn_taken(cx: &Cx<'_, '_>, upn: &str, except: Option<&str>) -> Result<(), ApiError> {
    let taken = object::find_by_field(cx.tx, PORTAL, "admins", Part::Status, "upn", upn)?
        .iter()
        .any(|o| Some(o.id.as_str()) != except);
    if taken {
        return Err(ApiError::conflict(
            "UpnInUse",
            format!("{upn} is already an account; choose another username"),
        )
        .field("spec.username"));
    }
    Ok(())
}

fn send_temporary_password(
    cx: &Cx<'_, '_>,
    id: &str,
    s: &AdminSpec,
    password: &Secret,
) -> Result<(), ApiError> {
    let upn = s.upn();
    cx.send(Message {
        to: &s.external_email,
        subject: format!("Your Connected Workspace account {upn}"),
        body: format!(
            "Hello {},\n\nAn administrator account was created for you: {upn}.\nTemporary \
             password: {}\nYou will be asked to change it at your first logon.\n",
            s.first_name,
            password.expose()
        ),
        kind: "temporaryPassword",
        data: json!({"upn": upn, "temporaryPassword": password.expose()}),
        object_id: Some(id),
    })
}

fn admin_status(s: &AdminSpec) -> Value {
    status(json!({
        "username": s.username(),
        "upn": s.upn(),
        "displayName": s.display_name(),
        "emailAddress": s.upn(),
        "role": s.role,
        "changePasswordAtNextLogon": s.change_password_at_next_logon,
        "accountDisabled": false,
        "accountLocked": false,
        "accountExpires": "Never",
    }))
}

pub(crate) struct Admins;

impl Rules for Admins {
    fn create(&self, cx: &Cx<'_, '_>, id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: AdminSpec = typed(spec, "spec")?;
        let customer = customer_of(cx, spec)?;
        s.check(&customer)?;
        let Some(password) = &s.password else {
            return Err(ApiError::invalid(
                "password",
                "an initial password is required (it is e-mailed to externalEmail)",
            ));
        };
        check_fingerprint(spec, None, true)?;
        check_password(password.expose(), &s.username(), min_length(&customer))?;
        upn_taken(cx, &s.upn(), None)?;
        send_temporary_password(cx, id, &s, password)?;
        Ok(Created::ready(admin_status(&s), Some(customer.id)))
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: AdminSpec = typed(spec, "spec")?;
        let customer = customer_of(cx, spec)?;
        s.check(&customer)?;
        if s.username() != obj.status_str("username") {
            return Err(ApiError::immutable(
                "username",
                format!(
                    "the username is {} and cannot be changed; create a new administrator",
                    obj.status_str("username")
                ),
            ));
        }
        check_fingerprint(spec, Some(&obj.spec), s.password.is_some())?;
        upn_taken(cx, &s.upn(), Some(&obj.id))?;
        if let Some(password) = &s.password {
            check_password(password.expose(), &s.username(), min_length(&customer))?;
            send_temporary_password(cx, &obj.id, &s, password)?;
        }
        let operation_id = obj.status.get("operationId").cloned();
        obj.status = admin_status(&s);
        if let Some(op) = operation_id {
            obj.set_status("operationId", op);
        }
        Ok(None)
    }
}

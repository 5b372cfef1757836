//! Connected Workspace / DaaS portal (seed 000): customers, their administrators and the
//! services Azure AD → Microsoft Online, Citrix and File Sharing.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Created, Cx, Person, Removal, Rules, check_fingerprint, check_password, not_blank,
    one_per_parent, referenced, require, status, unchanged,
};
use crate::sandbox::body::{Secret, typed};
use crate::sandbox::clock::{minutes, secs};
use crate::sandbox::error::ApiError;
use crate::sandbox::fixtures;
use crate::sandbox::ids;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::{Action, Failure, OpPlan, Operation, Start};
use crate::sandbox::outbox::Message;
use crate::validate::syntax::{is_domain, is_e164, is_email};

const PORTAL: &str = "daas";

// ---------------------------------------------------------------- customers

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomerSpec {
    name: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default, rename = "type")]
    customer_type: Option<CustomerType>,
    contact: Person,
    #[serde(default)]
    address: Option<super::Address>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    min_password_length: Option<u32>,
    #[serde(default)]
    billing_id: Option<String>,
    domains: Vec<String>,
    #[serde(default)]
    dns_zone: Option<bool>,
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
        if let Some(min) = self.min_password_length {
            require(
                (8..=256).contains(&min),
                "minPasswordLength",
                "the minimum password length is at least 8",
            )?;
        }
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
            status(json!({"code": code, "changePasswordAtNextLogon": true})),
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
        unchanged(
            &obj.spec,
            spec,
            "name",
            "the portal keys the customer by it",
        )?;
        if let Some(code) = &s.code
            && code != obj.status_str("code")
        {
            return Err(ApiError::immutable(
                "code",
                format!(
                    "the customer code is {} and cannot be changed; remove code or set it to that",
                    obj.status_str("code")
                ),
            ));
        }
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

fn customer_of(cx: &Cx<'_, '_>, spec: &Value) -> Result<Object, ApiError> {
    let id = spec.get("customerId").and_then(Value::as_str).unwrap_or("");
    referenced(cx, PORTAL, "customers", id, "customerId")
}

// ---------------------------------------------------------------- admins

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
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    password: Option<Secret>,
    #[serde(default)]
    #[expect(dead_code, reason = "checked on the raw spec by check_fingerprint")]
    password_fingerprint: Option<String>,
}

const ROLE: &str = "DaaSPartnerAdmin";

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
        if let Some(role) = &self.role {
            require(
                role == ROLE,
                "role",
                "the customer administrator's role is DaaSPartnerAdmin",
            )?;
        }
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

fn min_length(customer: &Object) -> u32 {
    customer.spec["minPasswordLength"]
        .as_u64()
        .map_or(8, |n| u32::try_from(n).unwrap_or(u32::MAX))
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
        "role": ROLE,
        "changePasswordAtNextLogon": true,
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
        unchanged(
            &obj.spec,
            spec,
            "customerId",
            "an administrator belongs to one customer",
        )?;
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

// ---------------------------------------------------------------- azure-ad

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AzureAdSpec {
    customer_id: String,
    mode: Mode,
    #[serde(default)]
    existing_tenant_id: Option<String>,
    #[serde(default)]
    accepted_by: Option<Person>,
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
            status: json!({"termsAcceptedBy": s.accepted_by(&customer)}),
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
        for field in ["customerId", "mode", "existingTenantId"] {
            unchanged(
                &obj.spec,
                spec,
                field,
                "the Microsoft tenant is bound to it",
            )?;
        }
        let customer = customer_of(cx, spec)?;
        obj.set_status("termsAcceptedBy", s.accepted_by(&customer));
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

// ---------------------------------------------------------------- microsoft-online

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
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let _: CustomerOnly = typed(spec, "spec")?;
        unchanged(
            &obj.spec,
            spec,
            "customerId",
            "the service belongs to one customer",
        )?;
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

// ---------------------------------------------------------------- citrix

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CitrixSpec {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
    #[serde(default)]
    applications: Vec<String>,
    #[serde(default)]
    desktops: Vec<String>,
}

impl CitrixSpec {
    fn status(&self) -> Value {
        status(json!({
            "publishedApplications": self.applications.len(),
            "publishedDesktops": self.desktops.len(),
        }))
    }
}

pub(crate) struct Citrix;

impl Rules for Citrix {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        // Provisions even with no applications or desktops: they are published later.
        let s: CitrixSpec = typed(spec, "spec")?;
        let customer = customer_of(cx, spec)?;
        one_per_parent(cx, PORTAL, "citrix", &customer)?;
        Ok(Created::ready(s.status(), Some(customer.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: CitrixSpec = typed(spec, "spec")?;
        unchanged(
            &obj.spec,
            spec,
            "customerId",
            "the service belongs to one customer",
        )?;
        obj.status = s.status();
        Ok(None)
    }
}

// ---------------------------------------------------------------- file-sharing

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileSharingSpec {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
    #[serde(default)]
    drive_letter: Option<String>,
}

impl FileSharingSpec {
    fn letter(&self) -> Result<char, ApiError> {
        let letter = self.drive_letter.as_deref().unwrap_or("X");
        let mut chars = letter.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => Ok(c),
            _ => Err(ApiError::invalid(
                "driveLetter",
                "one upper-case drive letter such as X",
            )),
        }
    }

    fn status(&self) -> Result<Value, ApiError> {
        let letter = self.letter()?;
        Ok(status(json!({
            "drive": format!("CorpShare ({letter}:)"),
            "folders": ["Users"],
        })))
    }
}

pub(crate) struct FileSharing;

impl Rules for FileSharing {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: FileSharingSpec = typed(spec, "spec")?;
        let status = s.status()?;
        let customer = customer_of(cx, spec)?;
        one_per_parent(cx, PORTAL, "file-sharing", &customer)?;
        Ok(Created::ready(status, Some(customer.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: FileSharingSpec = typed(spec, "spec")?;
        unchanged(
            &obj.spec,
            spec,
            "customerId",
            "the service belongs to one customer",
        )?;
        obj.status = s.status()?;
        Ok(None)
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

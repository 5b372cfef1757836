//! The five portals: which kinds each has and the rules each kind enforces.
//!
//! A kind's [`Rules`] validate a spec against the vendor's procedure (seeds 000–004), compute
//! the status the portal generates, ask for long-running work, and react when that work
//! starts, succeeds or fails. Everything runs inside the request's transaction.

mod apps;
mod cloudlink;
mod contactcenter;
mod daas;
mod teammate;

pub(crate) use teammate::{consent, resend_invitation};

use serde_json::{Value, json};

use super::error::ApiError;
use super::ids;
use super::object::{self, Object};
use super::operations::{self, Failure, OpPlan, Operation};
use super::outbox::{self, Message};
use super::state::Shared;
use crate::model::Semantics;
use crate::validate::TextFault;

/// One portal kind served at `/v1/{portal}/{kind}`.
pub(crate) struct Kind {
    pub portal: &'static str,
    pub kind: &'static str,
    /// Prefix of generated ids.
    pub prefix: &'static str,
    pub rules: &'static dyn Rules,
}

/// Every writable kind, in the order of docs/portal-contract.md.
pub(crate) static KINDS: &[Kind] = &[
    kind("daas", "customers", "cus", &daas::Customers),
    kind("daas", "admins", "adm", &daas::Admins),
    kind("daas", "azure-ad", "aad", &daas::AzureAd),
    kind("daas", "microsoft-online", "mso", &daas::MicrosoftOnline),
    kind(
        "daas",
        "admin-relationships",
        "gdap",
        &daas::AdminRelationships,
    ),
    kind("daas", "citrix", "ctx", &daas::Citrix),
    kind("daas", "file-sharing", "fsh", &daas::FileSharing),
    kind("contactcenter", "tenants", "cct", &contactcenter::Tenants),
    kind(
        "contactcenter",
        "callback-folders",
        "cbf",
        &contactcenter::CallbackFolders,
    ),
    kind("teammate", "enterprises", "ent", &teammate::Enterprises),
    kind("apps", "licenses", "lic", &apps::Licenses),
    kind("apps", "campaigns", "cmp", &apps::Campaigns),
    kind("apps", "sms-numbers", "sms", &apps::SmsNumbers),
    kind("cloudlink", "accounts", "cla", &cloudlink::Accounts),
    kind("cloudlink", "gateways", "gw", &cloudlink::Gateways),
];

const fn kind(
    portal: &'static str,
    kind: &'static str,
    prefix: &'static str,
    rules: &'static dyn Rules,
) -> Kind {
    Kind {
        portal,
        kind,
        prefix,
        rules,
    }
}

/// The rules of portal/kind (rules that do nothing for an unknown kind).
pub(crate) fn rules_of(portal: &str, kind: &str) -> &'static dyn Rules {
    KINDS
        .iter()
        .find(|k| k.portal == portal && k.kind == kind)
        .map_or(&NoRules, |k| k.rules)
}

struct NoRules;
impl Rules for NoRules {
    fn create(&self, _: &Cx<'_, '_>, _: &str, _: &Value) -> Result<Created, ApiError> {
        Err(ApiError::internal("no rules for this kind"))
    }
    fn update(
        &self,
        _: &Cx<'_, '_>,
        _: &mut Object,
        _: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        Err(ApiError::internal("no rules for this kind"))
    }
}

/// The context of one change: the transaction, the sandbox, the time, the request method.
pub(crate) struct Cx<'a, 't> {
    pub tx: &'a rusqlite::Transaction<'t>,
    pub shared: &'a Shared,
    pub now_ms: i64,
    /// The method of the request that caused the change (for operation faults).
    pub method: &'static str,
    /// Request secrets an `echoSecrets` fault reflects into the failure of an operation the
    /// change starts (empty otherwise).
    pub echo: &'a [String],
}

impl Cx<'_, '_> {
    pub fn new_id(&self, prefix: &str) -> Result<String, ApiError> {
        Ok(ids::new_id(self.tx, self.shared.seed, prefix)?)
    }

    pub fn send(&self, message: Message<'_>) -> Result<(), ApiError> {
        outbox::send(self.tx, self.now_ms, message)
    }

    /// A fresh number from a named counter (codes, invitations).
    pub fn counter(&self, name: &str) -> Result<i64, ApiError> {
        Ok(super::store::next_counter(self.tx, name)?)
    }

    /// Starts long-running work for `obj`.
    pub fn operation(&self, obj: &mut Object, plan: &OpPlan) -> Result<Operation, ApiError> {
        operations::create(self, obj, plan)
    }
}

/// What a create produces besides the stored spec.
pub(crate) struct Created {
    /// Portal-generated values; `phase` defaults to `Ready` (or mirrors the operation).
    pub status: Value,
    /// The object this one belongs to (a delete of the parent is refused while it exists).
    pub parent: Option<String>,
    pub operation: Option<OpPlan>,
}

impl Created {
    pub fn ready(status: Value, parent: Option<String>) -> Self {
        Self {
            status,
            parent,
            operation: None,
        }
    }
}

/// How a delete proceeds.
pub(crate) enum Removal {
    Now,
    Later(OpPlan),
}

/// A kind's rules. Specs arrive with their secrets; the caller stores them without.
pub(crate) trait Rules: Sync {
    /// Validates a new object and returns what the portal generates.
    fn create(&self, cx: &Cx<'_, '_>, id: &str, spec: &Value) -> Result<Created, ApiError>;

    /// Validates a replacement spec for `obj` (whose `spec` is still the old one); may change
    /// the status and may ask for long-running work.
    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError>;

    /// Decides how a delete proceeds.
    fn delete(&self, _cx: &Cx<'_, '_>, _obj: &Object) -> Result<Removal, ApiError> {
        Ok(Removal::Now)
    }

    /// An operation leaves `pending`/`scheduled`; a `Failure` fails it.
    fn operation_started(
        &self,
        _cx: &Cx<'_, '_>,
        _op: &Operation,
        _obj: &mut Object,
    ) -> Result<Option<Failure>, ApiError> {
        Ok(None)
    }

    fn operation_succeeded(
        &self,
        _cx: &Cx<'_, '_>,
        _op: &Operation,
        _obj: &mut Object,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    fn operation_failed(
        &self,
        _cx: &Cx<'_, '_>,
        _op: &Operation,
        _obj: &mut Object,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The object `id` of portal/kind that `field` refers to: `422 ReferenceNotFound` otherwise.
pub(crate) fn referenced(
    cx: &Cx<'_, '_>,
    portal: &str,
    kind: &str,
    id: &str,
    field: &str,
) -> Result<Object, ApiError> {
    object::get(cx.tx, portal, kind, id)?.ok_or_else(|| {
        ApiError::unprocessable(
            "ReferenceNotFound",
            format!("no {portal} {kind} object has id {id:?}; create it first or fix the id"),
        )
        .field(format!("spec.{field}"))
    })
}

/// `409 AlreadyExists` when `parent` already has an object of portal/kind.
pub(crate) fn one_per_parent(
    cx: &Cx<'_, '_>,
    portal: &str,
    kind: &str,
    parent: &Object,
) -> Result<(), ApiError> {
    if let Some(existing) = object::children_of_kind(cx.tx, portal, kind, &parent.id)?.first() {
        return Err(ApiError::conflict(
            "AlreadyExists",
            format!(
                "{} already has a {portal} {kind} object ({}); update that one instead",
                parent.id, existing.id
            ),
        ));
    }
    Ok(())
}

/// `422 ImmutableField` when `new` changes a field the contract's table marks immutable
/// (`x-immutable`, whose text says why). A generated field (`x-generated`) may be left out;
/// when sent it must equal the value the portal generated (in `status`).
pub(crate) fn check_immutable(
    portal: &str,
    kind: &str,
    obj: &Object,
    new: &Value,
) -> Result<(), ApiError> {
    let Some(kind) = crate::model::Kind::from_parts(portal, kind) else {
        return Ok(());
    };
    let table = Semantics::contract();
    for (field, why) in table.immutable_fields(kind) {
        let after = new.get(field).unwrap_or(&Value::Null);
        if table.is_generated(kind, field) {
            let current = obj.status_str(field);
            if !after.is_null() && after.as_str() != Some(current) {
                return Err(ApiError::immutable(
                    field,
                    format!(
                        "{field} is {current} and cannot be changed ({why}); leave {field} out or set it to that"
                    ),
                ));
            }
            continue;
        }
        if obj.spec.get(field).unwrap_or(&Value::Null) != after {
            return Err(ApiError::immutable(
                field,
                format!(
                    "{field} cannot be changed after creation ({why}); create a new object instead"
                ),
            ));
        }
    }
    Ok(())
}

/// `spec` with every field the client left out (or sent as `null`) set to the contract's
/// default (`default` in openapi/portal.yaml), as the rules see it; the portal stores the spec
/// as sent.
pub(crate) fn with_defaults(portal: &str, kind: &str, spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let (Some(kind), Value::Object(fields)) =
        (crate::model::Kind::from_parts(portal, kind), &mut spec)
    {
        for (name, field) in &Semantics::contract().spec(kind).members {
            if let Some(default) = &field.default
                && fields.get(name).is_none_or(Value::is_null)
            {
                fields.insert(name.clone(), default.clone());
            }
        }
    }
    spec
}

/// Checks a password against the portal policy for `username` (never echoing it).
pub(crate) fn check_password(
    password: &str,
    username: &str,
    min_length: u32,
) -> Result<(), ApiError> {
    let problems = crate::validate::password::check(password, username, min_length);
    if problems.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(ApiError::unprocessable("PasswordPolicy", text.join("; ")).field("spec.password"))
}

/// Requires `{field}Fingerprint` with a secret, and a secret to change the fingerprint.
pub(crate) fn check_fingerprint(
    spec: &Value,
    old_spec: Option<&Value>,
    secret_present: bool,
) -> Result<(), ApiError> {
    let new = spec.get("passwordFingerprint").and_then(Value::as_str);
    if secret_present && new.is_none_or(str::is_empty) {
        return Err(ApiError::unprocessable(
            "FingerprintRequired",
            "send passwordFingerprint (an opaque digest of the password) with the password",
        )
        .field("spec.passwordFingerprint"));
    }
    if !secret_present
        && let Some(old) = old_spec
        && new.is_some()
        && old.get("passwordFingerprint").and_then(Value::as_str) != new
    {
        return Err(ApiError::unprocessable(
            "FingerprintRequired",
            "passwordFingerprint changed but no password was sent; send the new password with it",
        )
        .field("spec.password"));
    }
    Ok(())
}

/// The status of a ready object with these generated values.
pub(crate) fn status(values: Value) -> Value {
    let mut status = json!({"phase": "Ready"});
    if let (Value::Object(out), Value::Object(values)) = (&mut status, values) {
        out.extend(values);
    }
    status
}

/// Validates a syntactic rule on a spec field.
pub(crate) fn require(ok: bool, field: &str, message: &str) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(field, message))
    }
}

/// A person: name and e-mail (contacts, acceptors of terms).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Person {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Person {
    pub fn check(&self, field: &str) -> Result<(), ApiError> {
        not_blank(&self.name, &format!("{field}.name"))?;
        require(
            crate::validate::syntax::is_email(&self.email),
            &format!("{field}.email"),
            "not an e-mail address (local@domain)",
        )?;
        if let Some(phone) = &self.phone {
            require(
                crate::validate::syntax::is_e164(phone),
                &format!("{field}.phone"),
                "not an E.164 number such as +15555550100",
            )?;
        }
        Ok(())
    }
}

/// A mailing address.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Address {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: String,
}

impl Address {
    pub fn check(&self, field: &str) -> Result<(), ApiError> {
        for (name, value) in [
            ("line1", &self.line1),
            ("city", &self.city),
            ("country", &self.country),
        ] {
            not_blank(value, &format!("{field}.{name}"))?;
        }
        let _ = (&self.line2, &self.region, &self.postal_code);
        Ok(())
    }
}

/// A required one-line text (a name): not blank, no control characters — the validate
/// layer's rule, so the sandbox accepts exactly the names the CLI accepts.
pub(crate) fn not_blank(value: &str, field: &str) -> Result<(), ApiError> {
    match crate::validate::one_line_text(value) {
        Ok(()) => Ok(()),
        Err(TextFault::Blank) => Err(ApiError::invalid(field, "must not be empty")),
        Err(TextFault::ControlCharacters) => Err(ApiError::invalid(
            field,
            "contains line breaks, tabs, NUL or other control characters: write it on one line",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::with_defaults;

    #[test]
    fn the_rules_see_the_contract_defaults() {
        let cases = [
            (
                ("daas", "file-sharing"),
                json!({"customerId": "c"}),
                json!({"customerId": "c", "driveLetter": "X"}),
            ),
            (
                ("daas", "file-sharing"),
                json!({"customerId": "c", "driveLetter": null}),
                json!({"customerId": "c", "driveLetter": "X"}),
            ),
            (
                ("daas", "file-sharing"),
                json!({"customerId": "c", "driveLetter": "Y"}),
                json!({"customerId": "c", "driveLetter": "Y"}),
            ),
            (
                ("teammate", "enterprises"),
                json!({"name": "K"}),
                json!({"name": "K", "enabled": true, "musicOnHold": false,
                       "sipDataAccess": false, "requestConsent": false}),
            ),
            (("apps", "dids"), json!({"did": "+1"}), json!({"did": "+1"})),
        ];
        for ((portal, kind), sent, seen) in cases {
            assert_eq!(with_defaults(portal, kind, &sent), seen, "{portal}/{kind}");
        }
    }
}

//! The mapping between a declared admin and a Graph user, and Graph's errors as tenantry's.

use serde_json::{Map, Value, json};

use super::{KIND, META_ATTRIBUTE, REF_ATTRIBUTE, REF_TAG, RELATIONSHIPS, ROLES};
use crate::api::{DeletionPolicy, Portal};
use crate::portal::wire::PortalObject;
use crate::portal::{PortalError, WriteRequest};

pub(super) fn served(portal: Portal, kind: &str) -> Result<(), PortalError> {
    if portal == Portal::Daas && (kind == KIND || kind == RELATIONSHIPS) {
        return Ok(());
    }
    Err(PortalError::Protocol {
        portal: portal.id().to_owned(),
        status: 0,
        detail: format!(
            "the graph adapter serves daas/admins and daas/admin-relationships only, not {}/{kind}",
            portal.id()
        ),
    })
}

pub(super) fn rejected(
    status: u16,
    code: &str,
    message: String,
    field: Option<&str>,
) -> PortalError {
    PortalError::Rejected {
        portal: Portal::Daas.id().to_owned(),
        status,
        code: code.to_owned(),
        message,
        field: field.map(str::to_owned),
    }
}

/// Graph's errors (`{"error": {"code", "message"}}`) as stable tenantry codes.
pub(super) fn graph_error(err: PortalError) -> PortalError {
    let PortalError::Rejected {
        portal,
        status,
        code,
        message,
        field,
    } = err
    else {
        return err;
    };
    let (code, message, field) = if message.contains("password complexity") {
        (
            "PasswordPolicy",
            "Microsoft Entra refused the password in spec.passwordSecretRef: it needs 8 to 256 characters (no Unicode) with 3 of lower-case letters, upper-case letters, digits and symbols; put a compliant password in that Secret".to_owned(),
            Some("spec.passwordSecretRef".to_owned()),
        )
    } else if message.contains("userPrincipalName already exists") {
        ("GraphUpnExists", message, Some("spec.username".to_owned()))
    } else {
        let stable = match (status, code.as_str()) {
            (401, _) => "GraphUnauthorized",
            (403, _) => "GraphForbidden",
            (_, "Request_UnsupportedQuery") => "GraphUnsupportedQuery",
            (400, _) => "GraphBadRequest",
            _ => "GraphRejected",
        };
        let hint = if status == 403 {
            "; the app needs User.ReadWrite.All and RoleManagement.ReadWrite.Directory, admin-consented in the customer's tenant"
        } else {
            ""
        };
        (
            stable,
            format!("Microsoft Graph {code}: {message}{hint}"),
            field,
        )
    };
    PortalError::Rejected {
        portal,
        status,
        code: code.to_owned(),
        message,
        field,
    }
}

/// The customer tenant of a declared admin: its UPN domain.
pub(super) fn tenant_of(req: &WriteRequest) -> Result<String, PortalError> {
    req.spec
        .get("upnDomain")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            rejected(
                422,
                "GraphTenantUnknown",
                "spec.upnDomain is empty: it names the customer's Entra tenant".to_owned(),
                Some("spec.upnDomain"),
            )
        })
}

/// `tenant/objectId`: the id tenantry records carries the tenant, so an update or delete
/// knows which token to use.
pub(super) fn split_id(id: &str) -> Result<(&str, &str), PortalError> {
    id.split_once('/')
        .filter(|(t, u)| !t.is_empty() && !u.is_empty())
        .ok_or_else(|| PortalError::Protocol {
            portal: Portal::Daas.id().to_owned(),
            status: 0,
            detail: format!("{id:?} is not a Graph admin id (tenant/objectId)"),
        })
}

pub(super) fn text<'a>(spec: &'a Map<String, Value>, key: &str) -> &'a str {
    spec.get(key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn upn_of(req: &WriteRequest) -> String {
    format!(
        "{}@{}",
        text(&req.spec, "username"),
        text(&req.spec, "upnDomain")
    )
}

pub(super) fn template_of(role: &str) -> Option<&'static str> {
    ROLES.iter().find(|(r, _)| *r == role).map(|(_, t)| *t)
}

pub(super) fn role_of(template: &str) -> Option<&'static str> {
    ROLES.iter().find(|(_, t)| *t == template).map(|(r, _)| *r)
}

/// What tenantry keeps on the user besides its reference (`extensionAttribute2`).
pub(super) fn meta_of(req: &WriteRequest) -> String {
    let policy = match req.deletion_policy {
        DeletionPolicy::Orphan => "Orphan",
        DeletionPolicy::Delete => "Delete",
    };
    let mut m = json!({"deletionPolicy": policy});
    for key in [
        "customerId",
        "passwordFingerprint",
        "changePasswordAtNextLogon",
    ] {
        if let Some(v) = req.spec.get(key) {
            m[key] = v.clone();
        }
    }
    m.to_string()
}

pub(super) fn meta(user: &Value) -> Value {
    user["onPremisesExtensionAttributes"][META_ATTRIBUTE]
        .as_str()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null)
}

pub(super) fn external_ref(user: &Value) -> Option<String> {
    user["onPremisesExtensionAttributes"][REF_ATTRIBUTE]
        .as_str()
        .and_then(|r| r.strip_prefix(REF_TAG))
        .map(str::to_owned)
}

/// The Graph user of a declared admin (the password only on create or when it changed).
pub(super) fn to_user(req: &WriteRequest, create: bool) -> Map<String, Value> {
    let spec = &req.spec;
    let mut user = Map::new();
    if create {
        user.insert("accountEnabled".into(), true.into());
    }
    user.insert(
        "displayName".into(),
        spec.get("displayName").cloned().unwrap_or_default(),
    );
    user.insert("mailNickname".into(), text(spec, "username").into());
    user.insert("userPrincipalName".into(), upn_of(req).into());
    user.insert(
        "givenName".into(),
        spec.get("firstName").cloned().unwrap_or_default(),
    );
    user.insert(
        "surname".into(),
        spec.get("lastName").cloned().unwrap_or_default(),
    );
    user.insert("otherMails".into(), json!([text(spec, "externalEmail")]));
    user.insert(
        "mobilePhone".into(),
        spec.get("phone").cloned().unwrap_or(Value::Null),
    );
    if let Some(location) = spec.get("usageLocation") {
        user.insert("usageLocation".into(), location.clone());
    }
    if let Some(password) = spec.get("password") {
        user.insert(
            "passwordProfile".into(),
            json!({"password": password,
                   "forceChangePasswordNextSignIn": spec.get("changePasswordAtNextLogon").and_then(Value::as_bool).unwrap_or(true)}),
        );
    }
    user.insert(
        "onPremisesExtensionAttributes".into(),
        json!({REF_ATTRIBUTE: format!("{REF_TAG}{}", req.external_ref), META_ATTRIBUTE: meta_of(req)}),
    );
    user
}

/// A user in tenantry's observed shape.
pub(super) fn to_object(tenant: &str, user: &Value, role: Option<&str>) -> PortalObject {
    let m = meta(user);
    let upn = user["userPrincipalName"].as_str().unwrap_or_default();
    let (username, domain) = upn.split_once('@').unwrap_or((upn, ""));
    let mut spec = Map::new();
    for (key, value) in [
        ("customerId", m["customerId"].clone()),
        ("upnDomain", domain.into()),
        ("username", username.into()),
        ("firstName", user["givenName"].clone()),
        ("lastName", user["surname"].clone()),
        ("displayName", user["displayName"].clone()),
        ("externalEmail", user["otherMails"][0].clone()),
        ("phone", user["mobilePhone"].clone()),
        ("usageLocation", user["usageLocation"].clone()),
        ("role", role.map_or(Value::Null, Value::from)),
        (
            "changePasswordAtNextLogon",
            m["changePasswordAtNextLogon"].clone(),
        ),
        ("passwordFingerprint", m["passwordFingerprint"].clone()),
    ] {
        if !value.is_null() {
            spec.insert(key.into(), value);
        }
    }
    let deletion_policy = match m["deletionPolicy"].as_str() {
        Some("Delete") => DeletionPolicy::Delete,
        _ => DeletionPolicy::Orphan,
    };
    let id = user["id"].as_str().unwrap_or_default();
    let mut status = Map::new();
    status.insert("upn".into(), upn.into());
    status.insert("tenant".into(), tenant.into());
    status.insert("objectId".into(), id.into());
    PortalObject {
        id: format!("{tenant}/{id}"),
        external_ref: external_ref(user).unwrap_or_default(),
        deletion_policy,
        version: 0,
        spec,
        status,
    }
}

/// The object as declared, after a write Graph answered (its reads may lag behind).
pub(super) fn declared_object(tenant: &str, id: &str, req: &WriteRequest) -> PortalObject {
    let mut user = Value::Object(to_user(req, false));
    user["id"] = id.into();
    let role = req
        .spec
        .get("role")
        .and_then(Value::as_str)
        .and_then(template_of)
        .and_then(role_of);
    to_object(tenant, &user, role)
}

/// An OData string literal's content (`'` doubled).
pub(super) fn quote(s: &str) -> String {
    s.replace('\'', "''")
}

/// Percent-encodes a query value.
pub(super) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> WriteRequest {
        WriteRequest {
            uid: "customers/jroe".into(),
            external_ref: "customers/jroe".into(),
            deletion_policy: DeletionPolicy::Orphan,
            spec: json!({"customerId": "cus_1", "upnDomain": "Kenton.example", "username": "jroe",
                         "firstName": "Jane", "lastName": "Roe", "displayName": "Jane Roe",
                         "externalEmail": "jane@example.net", "role": "DaaSPartnerAdmin",
                         "changePasswordAtNextLogon": true, "password": "Canary-Pass-1!",
                         "passwordFingerprint": "abc"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            secrets: vec![],
            secret_sources: vec![],
        }
    }

    #[test]
    fn a_declared_admin_round_trips_through_the_graph_user() {
        let r = req();
        let user = to_user(&r, true);
        assert_eq!(user["userPrincipalName"], "jroe@Kenton.example");
        assert_eq!(
            user["passwordProfile"]["forceChangePasswordNextSignIn"],
            true
        );
        let object = declared_object("kenton.example", "u1", &r);
        assert_eq!(object.id, "kenton.example/u1");
        assert_eq!(object.external_ref, "customers/jroe");
        for key in [
            "customerId",
            "username",
            "firstName",
            "role",
            "passwordFingerprint",
            "externalEmail",
        ] {
            assert_eq!(object.spec.get(key), r.spec.get(key), "{key}");
        }
        assert!(object.spec.get("password").is_none());
    }

    #[test]
    fn error_codes_are_stable_and_the_password_is_named_by_its_field() {
        let e = graph_error(rejected(
            400,
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements.".into(),
            None,
        ));
        let PortalError::Rejected { code, field, .. } = e else {
            panic!("rejected")
        };
        assert_eq!(code, "PasswordPolicy");
        assert_eq!(field.as_deref(), Some("spec.passwordSecretRef"));
        assert_eq!(encode("a eq 'b'"), "a%20eq%20%27b%27");
    }
}

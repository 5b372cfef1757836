//! `TenantAdmin`: the customer's administrator account in the DaaS portal.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common::{
    AcceptedDeviation, DNS_NAME_PATTERN, DeletionPolicy, DriftPolicy, E164_PATTERN, LocalRef,
    ManagementPolicy, SecretKeyRef,
};
use super::status::ObjectStatus;

/// A customer administrator: UPN `username@upnDomain`, temporary password e-mailed to `externalEmail`.
#[expect(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) entries repeat `type_ = \"string\"` by design"
)]
#[derive(CustomResource, KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "tenantry.dev",
    version = "v1alpha1",
    kind = "TenantAdmin",
    doc = "An administrator account of a customer in the DaaS portal.",
    namespaced,
    status = "ObjectStatus",
    shortname = "tadm",
    category = "tenantry",
    printcolumn(name = "Tenant", type_ = "string", json_path = ".spec.tenantRef.name"),
    printcolumn(name = "UPN", type_ = "string", json_path = ".status.observed.upn"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Synced",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Synced\")].status"
    ),
    printcolumn(name = "Plan", type_ = "string", json_path = ".status.plan.summary"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("has(self.passwordSecretRef) != (has(self.generatePassword) && self.generatePassword)").message("set exactly one of spec.passwordSecretRef and spec.generatePassword: true"),
    validation = Rule::new("self.tenantRef == oldSelf.tenantRef").message("spec.tenantRef cannot change; create a new TenantAdmin instead"),
)]
pub struct TenantAdminSpec {
    /// The Tenant this admin belongs to (same namespace).
    pub tenant_ref: LocalRef,
    /// Given name.
    #[schemars(length(min = 1, max = 64))]
    pub first_name: String,
    /// Family name.
    #[schemars(length(min = 1, max = 64))]
    pub last_name: String,
    /// Display name; "First Last" when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub display_name: Option<String>,
    /// Logon name; first initial + last name in lower case when absent (Jane Roe → jroe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9._-]{0,63}$"), length(max = 64))]
    pub username: Option<String>,
    /// Domain of the UPN; one of the tenant's domains.
    #[schemars(regex(pattern = DNS_NAME_PATTERN), length(min = 1, max = 253))]
    pub upn_domain: String,
    /// Personal e-mail that receives the temporary password.
    #[schemars(email, length(max = 254))]
    pub external_email: String,
    /// Phone number in E.164 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = E164_PATTERN), length(max = 16))]
    pub phone: Option<String>,
    /// Portal role of the account.
    #[serde(default)]
    pub role: AdminRole,
    /// Secret key holding the initial password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
    /// Generate a policy-compliant password into a Secret owned by this object.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generate_password: bool,
    /// Orphan or Delete; inherits the Tenant's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    /// Apply, Plan or Observe; inherits the Tenant's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_policy: Option<ManagementPolicy>,
    /// Allow replacements of this object's portal objects that destroy data; inherits the
    /// Tenant's when absent. Set it for the change, then remove it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_replace: Option<bool>,
    /// Remediate, Alert or Report a change made by hand in a portal; inherits the Tenant's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_policy: Option<DriftPolicy>,
    /// Known differences from the portals that do not count as drift until they expire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub accepted_deviations: Vec<AcceptedDeviation>,
}

/// Common role of a DaaS customer admin.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum AdminRole {
    /// "DaaS Partner Admin" (the procedure's choice).
    #[default]
    DaaSPartnerAdmin,
    /// "DaaS Partner Manager".
    DaaSPartnerManager,
}

impl TenantAdminSpec {
    /// The username the portal will use: declared, or first initial + last name in lower case.
    pub fn effective_username(&self) -> String {
        match &self.username {
            Some(u) => u.clone(),
            None => derive_username(&self.first_name, &self.last_name),
        }
    }
}

/// First initial + last name, lower case, letters and digits only (Jane Roe → jroe; Zoë O'Neil → zoneil).
///
/// Non-ASCII letters are folded to their closest ASCII letter where one is obvious and dropped otherwise.
pub fn derive_username(first_name: &str, last_name: &str) -> String {
    let initial = first_name
        .chars()
        .filter_map(fold_ascii)
        .next()
        .map(String::from)
        .unwrap_or_default();
    let last: String = last_name.chars().filter_map(fold_ascii).collect();
    format!("{initial}{last}")
}

fn fold_ascii(c: char) -> Option<char> {
    let c = c.to_lowercase().next().unwrap_or(c);
    if c.is_ascii_alphanumeric() {
        return Some(c);
    }
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'č' | 'ć' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ł' => 'l',
        _ => return None,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::derive_username;

    #[test]
    fn username_derivation() {
        for (first, last, want) in [
            ("Jane", "Roe", "jroe"),
            ("jane", "ROE", "jroe"),
            ("Zoë", "O'Neil", "zoneil"),
            ("Émile", "Zola-Brün", "ezolabrun"),
            ("Mary Ann", "van der Berg", "mvanderberg"),
            ("李", "王", ""),
            ("", "Roe", "roe"),
        ] {
            assert_eq!(derive_username(first, last), want, "{first} {last}");
        }
    }
}

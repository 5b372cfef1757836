//! Types shared by every resource kind: references, policies, portals, contacts.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of every tenantry resource.
pub const GROUP: &str = "tenantry.dev";
/// The API version of every tenantry resource.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` as written in manifests.
pub const API_VERSION: &str = "tenantry.dev/v1alpha1";

/// Schema pattern of an E.164 phone number (`+`, then 8 to 15 digits, the first not 0).
pub(crate) const E164_PATTERN: &str = r"^\+[1-9][0-9]{7,14}$";
/// Schema pattern of a lower-case DNS name with at least two labels, e.g. `kenton-electronics.com`.
pub(crate) const DNS_NAME_PATTERN: &str = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])+[a-z]{2,63}$";

/// A portal a customer can be provisioned in (the provider id of DESIGN.md §1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Portal {
    /// Connected Workspace / DaaS portal: customer, admins, Azure AD, Microsoft Online, Citrix, file sharing.
    Daas,
    /// Contact-center provisioning portal.
    #[serde(rename = "contactcenter")]
    ContactCenter,
    /// TeamMate (Microsoft Teams connector).
    #[serde(rename = "teammate")]
    TeamMate,
    /// App license management: Meet, Chat, Connector, SMS.
    Apps,
    /// Mitel CloudLink onboarding.
    #[serde(rename = "cloudlink")]
    CloudLink,
}

impl Portal {
    /// Every portal, in a fixed order.
    pub const ALL: [Portal; 5] = [
        Portal::Daas,
        Portal::ContactCenter,
        Portal::TeamMate,
        Portal::Apps,
        Portal::CloudLink,
    ];

    /// The provider id used in URLs and manifests.
    pub fn id(self) -> &'static str {
        match self {
            Portal::Daas => "daas",
            Portal::ContactCenter => "contactcenter",
            Portal::TeamMate => "teammate",
            Portal::Apps => "apps",
            Portal::CloudLink => "cloudlink",
        }
    }
}

impl fmt::Display for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

// kube shows this description, not the field's, for `Option<DeletionPolicy>` fields, so it
// says what the optional fields mean too.
/// What happens in the portals when the object is deleted: Orphan or Delete; a TenantAdmin or ServiceBinding without one inherits its Tenant's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Leave the portal objects in place (the default: nothing is ever deleted by accident).
    #[default]
    Orphan,
    /// Delete the portal objects, in reverse dependency order.
    Delete,
}

// As for DeletionPolicy, this description stands for the optional fields too.
/// How far tenantry may act on the portals for an object: Apply, Plan or Observe; a TenantAdmin or ServiceBinding without one inherits its Tenant's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ManagementPolicy {
    /// Make the portals match the declaration.
    #[default]
    Apply,
    /// Compute and publish the plan; apply only an approved plan hash.
    Plan,
    /// Adopt existing portal objects and report drift; never write.
    Observe,
}

// As for DeletionPolicy, this description stands for the optional fields too.
/// What a change made by hand in a portal leads to: Remediate, Alert or Report; a TenantAdmin or ServiceBinding without one inherits its Tenant's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DriftPolicy {
    /// Put the portal back to the declaration (the default).
    #[default]
    Remediate,
    /// Report the drift and notify; never write it back.
    Alert,
    /// Report the drift in the plan and the status only; never write it back.
    Report,
}

impl DriftPolicy {
    /// The policy's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remediate => "Remediate",
            Self::Alert => "Alert",
            Self::Report => "Report",
        }
    }

    /// True for the default (`Remediate`): manifests leave it out.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// True when drift is written back to the declaration.
    pub fn remediates(self) -> bool {
        self == Self::Remediate
    }
}

/// A known difference between the declaration and a portal that stops counting as drift
/// until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptedDeviation {
    /// The portal field as the plan names it, e.g. `billingId`.
    #[schemars(length(min = 1, max = 128))]
    pub field: String,
    /// Only this kind's objects (e.g. `daas/customers`); every object of the declaration when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub kind: Option<String>,
    /// The value the portal may hold instead of the declared one, as the plan shows it (a string as is; numbers and booleans as `"8"`, `"true"`).
    #[schemars(length(max = 1024))]
    pub value: String,
    /// Why it is accepted (shown in plans and status).
    #[schemars(length(min = 1, max = 512))]
    pub reason: String,
    /// When it stops being accepted: an RFC 3339 time (`2027-03-31T00:00:00Z`) or a date (`2027-03-31`, the start of that day in UTC).
    #[schemars(length(min = 10, max = 64))]
    pub expires: String,
}

/// A reference to an object of the same namespace by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalRef {
    /// Name of the referenced object (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// A key of a Kubernetes Secret in the same namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Name of the Secret (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key within the Secret's data.
    #[serde(default = "default_password_key")]
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

fn default_password_key() -> String {
    "password".to_owned()
}

/// A reference to a Secret in a given namespace (for cluster-scoped objects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamespacedSecretRef {
    /// Namespace of the Secret.
    #[schemars(length(min = 1, max = 63))]
    pub namespace: String,
    /// Name of the Secret.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key within the Secret's data.
    #[serde(default = "default_token_key")]
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

fn default_token_key() -> String {
    "token".to_owned()
}

/// A person to reach: a business contact, or the one accepting terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    /// Full name.
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    /// E-mail address.
    #[schemars(email, length(max = 254))]
    pub email: String,
    /// Phone number in E.164 form, e.g. `+15555550100`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = E164_PATTERN), length(max = 16))]
    pub phone: Option<String>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// Street and number.
    #[schemars(length(min = 1, max = 256))]
    pub line1: String,
    /// Suite, floor, building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub line2: Option<String>,
    /// City.
    #[schemars(length(min = 1, max = 128))]
    pub city: String,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub region: Option<String>,
    /// Postal code (where the country has them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, e.g. `US`.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"), length(min = 2, max = 2))]
    pub country: String,
}

//! `Tenant`: one customer, and the portals it must exist in.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use super::common::{
    AcceptedDeviation, Address, Contact, DNS_NAME_PATTERN, DeletionPolicy, DriftPolicy, LocalRef,
    ManagementPolicy, Portal,
};
use super::status::ObjectStatus;

/// A customer of the reseller, provisioned in every portal listed in `portals`.
#[expect(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) entries repeat `type_ = \"string\"` by design"
)]
#[derive(CustomResource, KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "tenantry.dev",
    version = "v1alpha1",
    kind = "Tenant",
    doc = "A customer of the reseller and the portals it must exist in.",
    namespaced,
    status = "ObjectStatus",
    shortname = "tnt",
    category = "tenantry",
    printcolumn(
        name = "Code",
        type_ = "string",
        json_path = ".status.observed.customerCode"
    ),
    printcolumn(
        name = "Portals",
        type_ = "string",
        json_path = ".spec.portals",
        priority = 1
    ),
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
    validation = Rule::new("!('cloudlink' in self.portals) || (has(self.supportContacts) && self.supportContacts.exists(c, c.role == 'Maintainer') && self.supportContacts.exists(c, c.role == 'OnsiteAdmin'))").message("CloudLink needs at least one Maintainer and one OnsiteAdmin in spec.supportContacts").field_path(".supportContacts"),
    validation = Rule::new("!('cloudlink' in self.portals) || has(self.address)").message("CloudLink needs the customer's mailing address in spec.address").field_path(".address"),
    validation = Rule::new("!('cloudlink' in self.portals) || has(self.businessType)").message("CloudLink needs the customer's business type in spec.businessType").field_path(".businessType"),
    validation = Rule::new("!has(oldSelf.code) || (has(self.code) && self.code == oldSelf.code)").message("spec.code cannot change or be removed once set: the portal keys the customer by it").field_path(".code"),
)]
pub struct TenantSpec {
    /// The customer's company name (DaaS "Full Name", CloudLink customer name).
    #[schemars(length(min = 1, max = 128))]
    pub display_name: String,
    /// Customer code; the DaaS portal generates one when absent (reported in status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$"), length(max = 32))]
    pub code: Option<String>,
    /// Standard customer, Test (lab system) or Demo (extended demo).
    #[serde(default, rename = "type")]
    pub customer_type: CustomerType,
    /// Primary business contact.
    pub contact: Contact,
    /// Mailing address (required for CloudLink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Billing identifier (the customer id in the quoting system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub billing_id: Option<String>,
    /// The customer's domains (lower-case DNS names, no duplicates); the first is the primary domain.
    #[schemars(
        length(min = 1, max = 32),
        inner(regex(pattern = DNS_NAME_PATTERN), length(max = 253)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub domains: Vec<String>,
    /// Let the provider host the customer's public DNS zone (off unless it really does).
    #[serde(default)]
    pub dns_zone: bool,
    /// Password policy for the customer's accounts.
    #[serde(default)]
    pub password_policy: PasswordPolicy,
    /// Business type (CloudLink statistics; required for CloudLink), e.g. Manufacturing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub business_type: Option<String>,
    /// CloudLink site administrators (any number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub admin_contacts: Vec<Contact>,
    /// CloudLink support contacts: at least one Maintainer and one OnsiteAdmin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub support_contacts: Vec<SupportContact>,
    /// Portals where this customer must exist.
    #[schemars(length(min = 1, max = 5), extend("x-kubernetes-list-type" = "set"))]
    pub portals: Vec<Portal>,
    /// PortalConnection to use; the one named `default` (or the embedded sandbox) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_connection_ref: Option<LocalRef>,
    /// Orphan (default) leaves portal objects on delete; Delete removes them.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// Apply (default), Plan (wait for approval) or Observe (never write).
    #[serde(default)]
    pub management_policy: ManagementPolicy,
    /// Allow replacements that destroy a customer's data (its workspace, Microsoft 365 tenant,
    /// files...) for this Tenant's objects and those of its admins and bindings that set none;
    /// without it apply and the controller refuse them. Set it for the change, then remove it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_replace: bool,
    /// Remediate (default: put the portal back), Alert (report and notify, never write) or
    /// Report (status only) a change made by hand in a portal.
    #[serde(default, skip_serializing_if = "DriftPolicy::is_default")]
    pub drift_policy: DriftPolicy,
    /// Known differences from the portals that do not count as drift until they expire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub accepted_deviations: Vec<AcceptedDeviation>,
}

/// Kind of customer in the DaaS portal.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum CustomerType {
    /// A standard customer.
    #[default]
    Standard,
    /// A lab system.
    Test,
    /// An extended demo (sets "Demo Customer").
    Demo,
}

/// Password policy of the customer's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Minimum password length; never below 8.
    #[serde(default = "default_min_length")]
    #[schemars(range(min = 8, max = 128), extend("format" = "int32"))]
    pub min_length: u32,
    /// Users must change the password at next logon.
    #[serde(default = "default_true")]
    pub change_at_next_logon: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: default_min_length(),
            change_at_next_logon: true,
        }
    }
}

fn default_min_length() -> u32 {
    8
}

fn default_true() -> bool {
    true
}

/// A CloudLink support contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportContact {
    /// Maintainer, OnsiteAdmin or Other.
    pub role: SupportRole,
    /// Full name.
    #[schemars(length(min = 1, max = 128))]
    pub name: String,
    /// E-mail address; issue reports are sent here.
    #[schemars(email, length(max = 254))]
    pub email: String,
}

/// Role of a CloudLink support contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum SupportRole {
    /// Maintains the system for the customer.
    Maintainer,
    /// Administers the system from the site.
    OnsiteAdmin,
    /// Any other support contact.
    Other,
}

/// The policies in force for one object: worked out here only, for the model and the
/// controller alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policies {
    /// What happens in the portals when the object is deleted.
    pub deletion: DeletionPolicy,
    /// How far tenantry may act on the portals.
    pub management: ManagementPolicy,
    /// What a change made by hand in a portal leads to.
    pub drift: DriftPolicy,
}

impl Policies {
    /// An object's own policies where it sets them, else its Tenant's (when known), else
    /// the defaults.
    pub fn inherit(
        deletion: Option<DeletionPolicy>,
        management: Option<ManagementPolicy>,
        drift: Option<DriftPolicy>,
        tenant: Option<&TenantSpec>,
    ) -> Self {
        Self {
            drift: drift.or(tenant.map(|t| t.drift_policy)).unwrap_or_default(),
            deletion: deletion
                .or(tenant.map(|t| t.deletion_policy))
                .unwrap_or_default(),
            management: management
                .or(tenant.map(|t| t.management_policy))
                .unwrap_or_default(),
        }
    }
}

//! `ServiceBinding`: one service of a customer in one portal.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    AcceptedDeviation, Contact, DNS_NAME_PATTERN, DeletionPolicy, DriftPolicy, E164_PATTERN,
    LocalRef, ManagementPolicy, Portal, SecretKeyRef,
};
use super::status::ObjectStatus;

/// One service of a Tenant: exactly one service block is set.
#[derive(CustomResource, KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "tenantry.dev",
    version = "v1alpha1",
    kind = "ServiceBinding",
    doc = "One service of a customer in one portal.",
    namespaced,
    status = "ObjectStatus",
    shortname = "tsb",
    category = "tenantry",
    printcolumn(name = "Tenant", type_ = "string", json_path = ".spec.tenantRef.name"),
    printcolumn(name = "Service", type_ = "string", json_path = ".status.service"),
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
    derive = "PartialEq",
    validation = Rule::new("!has(self.spec.dependsOn) || !self.spec.dependsOn.exists(d, d.name == self.metadata.name)").message("a ServiceBinding cannot depend on itself: remove its own name from spec.dependsOn").field_path(".spec.dependsOn")
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("[has(self.azureAD), has(self.microsoftOnline), has(self.citrix), has(self.fileSharing), has(self.teamsConnector), has(self.contactCenter), has(self.licenses), has(self.sms), has(self.cloudlinkGateway)].filter(x, x).size() == 1").message("set exactly one service block: azureAD, microsoftOnline, citrix, fileSharing, teamsConnector, contactCenter, licenses, sms or cloudlinkGateway"),
    validation = Rule::new("self.tenantRef == oldSelf.tenantRef").message("spec.tenantRef cannot change; create a new ServiceBinding instead"),
    validation = Rule::new("[has(self.azureAD), has(self.microsoftOnline), has(self.citrix), has(self.fileSharing), has(self.teamsConnector), has(self.contactCenter), has(self.licenses), has(self.sms), has(self.cloudlinkGateway)] == [has(oldSelf.azureAD), has(oldSelf.microsoftOnline), has(oldSelf.citrix), has(oldSelf.fileSharing), has(oldSelf.teamsConnector), has(oldSelf.contactCenter), has(oldSelf.licenses), has(oldSelf.sms), has(oldSelf.cloudlinkGateway)]").message("the service block of a binding cannot change; create a new ServiceBinding instead"),
)]
// The service blocks are boxed: a binding holds one of nine, and inline they made every
// ServiceBinding 1.5 kB before any heap (controller memory, DESIGN.md §8).
pub struct ServiceBindingSpec {
    /// The Tenant this service belongs to (same namespace).
    pub tenant_ref: LocalRef,
    /// Bindings that must be Ready first (implicit edges such as microsoftOnline → azureAD are added too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 32),
        extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"])
    )]
    pub depends_on: Vec<LocalRef>,
    /// DaaS: Azure AD / Microsoft 365 tenant.
    #[serde(default, rename = "azureAD", skip_serializing_if = "Option::is_none")]
    pub azure_ad: Option<Box<AzureAd>>,
    /// DaaS: Microsoft Online service (after Azure AD); it has no settings: `microsoftOnline: {}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_online: Option<Box<MicrosoftOnline>>,
    /// DaaS: Citrix applications and desktops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citrix: Option<Box<Citrix>>,
    /// DaaS: file sharing (CorpShare drive and Users folder); `fileSharing: {}` takes drive X.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sharing: Option<Box<FileSharing>>,
    /// TeamMate: Microsoft Teams connector enterprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_connector: Option<Box<TeamsConnector>>,
    /// Contact-center tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_center: Option<Box<ContactCenter>>,
    /// Apps: Meet, Chat or Connector licenses per user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Box<Licenses>>,
    /// Apps: SMS license bound to a DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<Box<Sms>>,
    /// CloudLink: the gateway (or sync) step after the customer step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudlink_gateway: Option<Box<CloudlinkGateway>>,
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

/// The kind of service a binding declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKind {
    /// `azureAD`
    AzureAd,
    /// `microsoftOnline`
    MicrosoftOnline,
    /// `citrix`
    Citrix,
    /// `fileSharing`
    FileSharing,
    /// `teamsConnector`
    TeamsConnector,
    /// `contactCenter`
    ContactCenter,
    /// `licenses`
    Licenses,
    /// `sms`
    Sms,
    /// `cloudlinkGateway`
    CloudlinkGateway,
}

impl ServiceKind {
    /// The field name of the service block in the spec.
    pub fn field(self) -> &'static str {
        match self {
            Self::AzureAd => "azureAD",
            Self::MicrosoftOnline => "microsoftOnline",
            Self::Citrix => "citrix",
            Self::FileSharing => "fileSharing",
            Self::TeamsConnector => "teamsConnector",
            Self::ContactCenter => "contactCenter",
            Self::Licenses => "licenses",
            Self::Sms => "sms",
            Self::CloudlinkGateway => "cloudlinkGateway",
        }
    }

    /// The portal that provides the service.
    pub fn portal(self) -> Portal {
        match self {
            Self::AzureAd | Self::MicrosoftOnline | Self::Citrix | Self::FileSharing => {
                Portal::Daas
            }
            Self::TeamsConnector => Portal::TeamMate,
            Self::ContactCenter => Portal::ContactCenter,
            Self::Licenses | Self::Sms => Portal::Apps,
            Self::CloudlinkGateway => Portal::CloudLink,
        }
    }
}

impl ServiceBindingSpec {
    /// The service blocks that are set (exactly one in a valid binding).
    pub fn services(&self) -> Vec<ServiceKind> {
        let set = [
            (self.azure_ad.is_some(), ServiceKind::AzureAd),
            (
                self.microsoft_online.is_some(),
                ServiceKind::MicrosoftOnline,
            ),
            (self.citrix.is_some(), ServiceKind::Citrix),
            (self.file_sharing.is_some(), ServiceKind::FileSharing),
            (self.teams_connector.is_some(), ServiceKind::TeamsConnector),
            (self.contact_center.is_some(), ServiceKind::ContactCenter),
            (self.licenses.is_some(), ServiceKind::Licenses),
            (self.sms.is_some(), ServiceKind::Sms),
            (
                self.cloudlink_gateway.is_some(),
                ServiceKind::CloudlinkGateway,
            ),
        ];
        set.into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, k)| k)
            .collect()
    }

    /// The one service of a valid binding.
    pub fn service(&self) -> Option<ServiceKind> {
        match self.services().as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// Azure AD: create a new Microsoft 365 tenant or connect an existing one.
#[derive(KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("(self.mode == 'ConnectExisting') == has(self.existingTenantId)").message("existingTenantId (the tenant imported into Partner Center) is required with mode ConnectExisting and not allowed with CreateNew").field_path(".existingTenantId"),
    validation = Rule::new("self.mode == oldSelf.mode").message("azureAD.mode cannot change after provisioning"),
)]
pub struct AzureAd {
    /// CreateNew or ConnectExisting.
    pub mode: AzureAdMode,
    /// Microsoft tenant id of an existing tenant (ConnectExisting only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(
            pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        ),
        length(max = 36)
    )]
    pub existing_tenant_id: Option<String>,
    /// Who accepts the Microsoft terms; the tenant's contact when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_by: Option<Contact>,
}

/// How Azure AD is provisioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AzureAdMode {
    /// Create a new Microsoft 365 tenant (onmicrosoft domain from the customer name).
    CreateNew,
    /// Connect a tenant already imported into Partner Center.
    ConnectExisting,
}

/// Microsoft Online: no settings; provisioned after Azure AD.
///
/// Its schema is an object that keeps unknown fields but may hold none (`maxProperties: 0`):
/// a plain `{type: object}` gives the API server's CEL no type for `has(self.microsoftOnline)`,
/// and every rule of the binding then fails on `microsoftOnline: {}` (issue 13).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true, "maxProperties" = 0))]
pub struct MicrosoftOnline {}

/// Citrix: published applications and desktops (both may be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Citrix {
    /// Published applications to make available.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 200),
        inner(length(min = 1, max = 256)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub applications: Vec<String>,
    /// Desktop resources to make available.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 200),
        inner(length(min = 1, max = 256)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub desktops: Vec<String>,
}

/// File sharing: the CorpShare drive and Users folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileSharing {
    /// Drive letter of CorpShare.
    #[serde(default = "default_drive")]
    #[schemars(regex(pattern = "^[D-Z]$"), length(min = 1, max = 1))]
    pub drive_letter: String,
}

fn default_drive() -> String {
    "X".to_owned()
}

/// TeamMate enterprise: Microsoft Teams connector for the customer.
#[derive(KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(validation = Rule::new("!('PBX' in self.services) || (has(self.pbxTypes) && size(self.pbxTypes) > 0)").message("services include PBX: set pbxTypes, e.g. [Ringlogix]").field_path(".pbxTypes"))]
pub struct TeamsConnector {
    /// Enterprise name; the tenant's display name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub enterprise_name: Option<String>,
    /// E-mail of the customer's Microsoft Global Admin; receives the invitation code.
    #[schemars(email, length(max = 254))]
    pub admin_email: String,
    /// Number of Teams users allowed; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000), extend("format" = "int32"))]
    pub user_limit: Option<u32>,
    /// Play the PBX's music on hold instead of TeamMate's built-in one.
    #[serde(default)]
    pub music_on_hold: bool,
    /// Give the enterprise admin access to SIP data (CDRs).
    #[serde(default)]
    pub sip_data_access: bool,
    /// Ask the Global Admin to grant consent for enterprise management by the reseller.
    #[serde(default)]
    pub request_consent: bool,
    /// SBC regions to link to Teams (closest first).
    #[schemars(length(min = 1, max = 8), extend("x-kubernetes-list-type" = "set"))]
    pub sbc_regions: Vec<SbcRegion>,
    /// Services: PBX and/or Trunk.
    #[schemars(length(min = 1, max = 2), extend("x-kubernetes-list-type" = "set"))]
    pub services: Vec<TeamsService>,
    /// Assigned PBX types (required with PBX), e.g. Ringlogix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 8),
        inner(length(min = 1, max = 64)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub pbx_types: Vec<String>,
    /// Set false to disable the enterprise.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

fn default_true() -> bool {
    true
}

/// A TeamMate SBC region.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum SbcRegion {
    /// North America, east.
    UsEast,
    /// North America, west.
    UsWest,
    /// Canada.
    Canada,
    /// Europe.
    Europe,
    /// United Kingdom.
    UnitedKingdom,
    /// Asia Pacific.
    AsiaPacific,
}

/// A TeamMate service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum TeamsService {
    /// PBX connector (needs a PBX type).
    #[serde(rename = "PBX")]
    Pbx,
    /// SIP trunk.
    Trunk,
}

/// Contact-center tenant, cloned from a template.
#[derive(KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("has(self.passwordSecretRef) != (has(self.generatePassword) && self.generatePassword)").message("set exactly one of contactCenter.passwordSecretRef and contactCenter.generatePassword: true"),
    validation = Rule::new("self.name == oldSelf.name && self.shortName == oldSelf.shortName").message("contactCenter name and shortName cannot change after the tenant is created"),
)]
pub struct ContactCenter {
    /// Template (service package) to clone.
    #[schemars(length(min = 1, max = 64))]
    pub template: String,
    /// Tenant name: letters and digits only, e.g. KentonElectronics.
    #[schemars(regex(pattern = "^[A-Za-z0-9]+$"), length(min = 1, max = 64))]
    pub name: String,
    /// Short name: letters and digits only, e.g. ke.
    #[schemars(regex(pattern = "^[A-Za-z0-9]+$"), length(min = 1, max = 16))]
    pub short_name: String,
    /// E-mail and logon suffix of every user, e.g. kenton-electronics.com.
    #[schemars(regex(pattern = DNS_NAME_PATTERN), length(min = 1, max = 253))]
    pub upn_suffix: String,
    /// Tenant administrator user name; the portal prefixes `prp` for the personnel id.
    #[schemars(regex(pattern = "^[A-Za-z0-9._-]+$"), length(min = 1, max = 64))]
    pub admin_user: String,
    /// Secret key holding the admin password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
    /// Generate a policy-compliant password into a Secret owned by the binding.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generate_password: bool,
    /// ANI presented on outgoing calls, E.164 (usually the main number).
    #[schemars(regex(pattern = E164_PATTERN), length(max = 16))]
    pub ani: String,
    /// Receives the success or failure notification; the contact's e-mail when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(email, length(max = 254))]
    pub notification_email: Option<String>,
    /// Callback Folder e-mail, configured after the tenant is provisioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(email, length(max = 254))]
    pub callback_folder_email: Option<String>,
    /// Contact details of the tenant; the Tenant's contact when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// App licenses (Meet, Chat or Connector) for a set of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Licenses {
    /// The application.
    pub app: LicensedApp,
    /// One license per user.
    #[schemars(length(min = 1, max = 1000), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["user"]))]
    pub assignments: Vec<LicenseAssignment>,
}

/// An application with per-user licenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LicensedApp {
    /// Meet.
    Meet,
    /// Chat.
    Chat,
    /// Connector.
    Connector,
}

/// One user's license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseAssignment {
    /// The user's e-mail; the welcome e-mail goes here.
    #[schemars(email, length(max = 254))]
    pub user: String,
    /// License type.
    #[serde(rename = "type")]
    pub license_type: LicenseType,
}

/// Type of an app or SMS license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LicenseType {
    /// Basic license.
    Basic,
    /// Standard license.
    Standard,
    /// Professional license.
    Professional,
}

/// SMS license bound to a purchased, registered, unassigned DID.
#[derive(KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(validation = Rule::new("!self.did.startsWith('+1') || has(self.campaignId)").message("US numbers need a registered 10DLC campaign (campaignId): since 2023-06-01 SMS from numbers outside a registered campaign is not delivered to US mobiles").field_path(".campaignId"))]
pub struct Sms {
    /// The DID, E.164.
    #[schemars(regex(pattern = E164_PATTERN), length(max = 16))]
    pub did: String,
    /// User the SMS license is assigned to (e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(email, length(max = 254))]
    pub user: Option<String>,
    /// License type.
    pub license_type: LicenseType,
    /// 10DLC campaign id from The Campaign Registry (required for US numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^C[A-Z0-9]{6}$"), length(max = 7))]
    pub campaign_id: Option<String>,
}

/// CloudLink gateway step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudlinkGateway {
    /// The PBX platform: MiVoice (Gateway step: PBX + Connect) or SMBC / VA (Sync step).
    pub platform: CloudlinkPlatform,
}

/// A platform connected through CloudLink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CloudlinkPlatform {
    /// MiVoice: PBX and Connect steps.
    MiVoice,
    /// SMB Controller: Sync step.
    #[serde(rename = "SMBC")]
    Smbc,
    /// Virtual Appliance: Sync step.
    #[serde(rename = "VA")]
    Va,
}

//! `Kind`: one kind of portal object (`daas/customers`, `apps/licenses`, …) and its wire rules.

use std::fmt;

use serde::{Serialize, Serializer};

use super::Semantics;
use crate::api::Portal;

/// A kind of portal object, as listed in docs/portal-contract.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `daas/customers`
    DaasCustomer,
    /// `daas/admins`
    DaasAdmin,
    /// `daas/azure-ad`
    AzureAd,
    /// `daas/microsoft-online`
    MicrosoftOnline,
    /// `daas/admin-relationships`: the partner's GDAP relationship with a customer's tenant,
    /// which tenantry needs active before it acts inside that tenant (the customer's admins).
    AdminRelationship,
    /// `daas/citrix`
    Citrix,
    /// `daas/file-sharing`
    FileSharing,
    /// `contactcenter/tenants`
    ContactCenterTenant,
    /// `contactcenter/callback-folders`
    CallbackFolder,
    /// `teammate/enterprises`
    Enterprise,
    /// `apps/licenses`
    License,
    /// `apps/campaigns`: a 10DLC campaign, observed and adopted, never registered by tenantry.
    Campaign,
    /// `apps/sms-numbers`
    SmsNumber,
    /// `cloudlink/accounts`
    CloudLinkAccount,
    /// `cloudlink/gateways`
    CloudLinkGateway,
}

impl Kind {
    /// Every kind a declaration can expand to, in a fixed order.
    pub const ALL: [Kind; 15] = [
        Kind::DaasCustomer,
        Kind::DaasAdmin,
        Kind::AzureAd,
        Kind::MicrosoftOnline,
        Kind::AdminRelationship,
        Kind::Citrix,
        Kind::FileSharing,
        Kind::ContactCenterTenant,
        Kind::CallbackFolder,
        Kind::Enterprise,
        Kind::License,
        Kind::Campaign,
        Kind::SmsNumber,
        Kind::CloudLinkAccount,
        Kind::CloudLinkGateway,
    ];

    /// The portal that holds objects of this kind.
    pub fn portal(self) -> Portal {
        match self {
            Kind::DaasCustomer
            | Kind::DaasAdmin
            | Kind::AzureAd
            | Kind::MicrosoftOnline
            | Kind::AdminRelationship
            | Kind::Citrix
            | Kind::FileSharing => Portal::Daas,
            Kind::ContactCenterTenant | Kind::CallbackFolder => Portal::ContactCenter,
            Kind::Enterprise => Portal::TeamMate,
            Kind::License | Kind::Campaign | Kind::SmsNumber => Portal::Apps,
            Kind::CloudLinkAccount | Kind::CloudLinkGateway => Portal::CloudLink,
        }
    }

    /// The kind segment of the URL (`/v1/{portal}/{kind}`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::DaasCustomer => "customers",
            Kind::DaasAdmin => "admins",
            Kind::AzureAd => "azure-ad",
            Kind::MicrosoftOnline => "microsoft-online",
            Kind::AdminRelationship => "admin-relationships",
            Kind::Citrix => "citrix",
            Kind::FileSharing => "file-sharing",
            Kind::ContactCenterTenant => "tenants",
            Kind::CallbackFolder => "callback-folders",
            Kind::Enterprise => "enterprises",
            Kind::License => "licenses",
            Kind::Campaign => "campaigns",
            Kind::SmsNumber => "sms-numbers",
            Kind::CloudLinkAccount => "accounts",
            Kind::CloudLinkGateway => "gateways",
        }
    }

    /// `portal/kind`, e.g. `daas/customers`.
    pub fn path(self) -> &'static str {
        match self {
            Kind::DaasCustomer => "daas/customers",
            Kind::DaasAdmin => "daas/admins",
            Kind::AzureAd => "daas/azure-ad",
            Kind::MicrosoftOnline => "daas/microsoft-online",
            Kind::AdminRelationship => "daas/admin-relationships",
            Kind::Citrix => "daas/citrix",
            Kind::FileSharing => "daas/file-sharing",
            Kind::ContactCenterTenant => "contactcenter/tenants",
            Kind::CallbackFolder => "contactcenter/callback-folders",
            Kind::Enterprise => "teammate/enterprises",
            Kind::License => "apps/licenses",
            Kind::Campaign => "apps/campaigns",
            Kind::SmsNumber => "apps/sms-numbers",
            Kind::CloudLinkAccount => "cloudlink/accounts",
            Kind::CloudLinkGateway => "cloudlink/gateways",
        }
    }

    /// The kind named by a portal id and a kind segment, e.g. (`daas`, `customers`).
    pub fn from_parts(portal: &str, kind: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.portal().id() == portal && k.name() == kind)
    }

    /// The spec field that holds the parent object's portal id, when the kind has a parent.
    pub fn parent_field(self) -> Option<&'static str> {
        match self {
            Kind::DaasAdmin
            | Kind::AzureAd
            | Kind::MicrosoftOnline
            | Kind::Citrix
            | Kind::FileSharing => Some("customerId"),
            // The Azure AD tenant's portal id: Partner Center's customer id is the tenant id
            // a GDAP relationship names.
            Kind::AdminRelationship => Some("azureAdId"),
            Kind::CallbackFolder => Some("tenantId"),
            Kind::CloudLinkGateway => Some("accountId"),
            _ => None,
        }
    }

    /// The spec field naming where an object of the kind lives in an API partitioned per
    /// customer: a TenantAdmin is a user in the customer's directory tenant (Graph), which
    /// its UPN domain names.
    pub fn partition_field(self) -> Option<&'static str> {
        match self {
            Kind::DaasAdmin => Some("upnDomain"),
            _ => None,
        }
    }

    /// True when `field` cannot change after creation (`422 ImmutableField`): a change to it
    /// replaces the object. Read from the contract's table ([`Semantics`]).
    pub fn is_immutable(self, field: &str) -> bool {
        Semantics::contract().is_immutable(self, field)
    }

    /// Write-only secret fields; each travels with a `{field}Fingerprint` spec field.
    pub fn secret_fields(self) -> &'static [&'static str] {
        match self {
            Kind::DaasAdmin | Kind::ContactCenterTenant => &["password"],
            _ => &[],
        }
    }

    /// True for kinds tenantry only observes and adopts (10DLC campaigns: registering one is a
    /// paid, human step in the vendor's portal): never deleted, never reported as orphans.
    pub fn is_adopted_only(self) -> bool {
        self == Kind::Campaign
    }

    /// True for kinds whose dependants wait while an observed object is not ready (a 10DLC
    /// campaign under carrier review, a GDAP relationship awaiting the customer's approval):
    /// no portal checks a dependency held by another vendor, so the engine does.
    pub fn holds_dependants(self) -> bool {
        matches!(self, Kind::Campaign | Kind::AdminRelationship)
    }

    /// Depth in the parent chain: parents have a lower rank, so deletes run by descending rank.
    pub fn rank(self) -> u8 {
        match self {
            Kind::DaasCustomer
            | Kind::ContactCenterTenant
            | Kind::Enterprise
            | Kind::License
            | Kind::Campaign
            | Kind::SmsNumber
            | Kind::CloudLinkAccount => 0,
            Kind::DaasAdmin
            | Kind::AzureAd
            | Kind::Citrix
            | Kind::FileSharing
            | Kind::CallbackFolder
            | Kind::CloudLinkGateway => 1,
            Kind::MicrosoftOnline | Kind::AdminRelationship => 2,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn paths_round_trip_through_their_parts() {
        for kind in Kind::ALL {
            let (portal, name) = kind.path().split_once('/').unwrap_or_default();
            assert_eq!(portal, kind.portal().id(), "{kind}");
            assert_eq!(name, kind.name(), "{kind}");
            assert_eq!(Kind::from_parts(portal, name), Some(kind));
        }
        assert_eq!(Kind::from_parts("apps", "dids"), None);
    }

    #[test]
    fn parent_fields_are_immutable_and_ranked_below_their_parent() {
        for kind in Kind::ALL {
            if let Some(field) = kind.parent_field() {
                assert!(kind.is_immutable(field), "{kind}");
                assert!(kind.rank() >= 1, "{kind}");
            }
        }
    }
}

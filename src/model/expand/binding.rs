//! A ServiceBinding → the objects of its one service block, in the service's portal module.

use std::collections::BTreeMap;

use super::origin::{Origin, tenant_object};
use super::{apps, cloudlink, contactcenter, daas, teammate};
use crate::api::{Located, Portal, SecretKey, Sensitive, ServiceBinding, ServiceKind, Tenant};
use crate::model::address::Address;
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// What a service's expansion needs of its binding.
pub(super) struct Binding<'a> {
    /// Origin of every resource of the binding.
    pub origin: Origin,
    /// `namespace/name` of the binding: the `externalRef` of its main resource.
    pub own_ref: String,
    /// The binding's Tenant.
    pub tenant: &'a Tenant,
    /// Secret values of the input.
    pub secrets: &'a BTreeMap<SecretKey, Sensitive>,
}

impl Binding<'_> {
    /// The address of the Tenant's main object in `portal`, or why there is none.
    pub fn tenant_object(&self, portal: Portal, kind: Kind) -> Result<Address, ModelError> {
        tenant_object(self.tenant, portal, kind, &self.origin.declared_by)
    }
}

/// The portal objects of one binding (one, or one per license assignment, or a contact-center
/// tenant plus its callback folder).
pub(super) fn expand_binding(
    located: &Located<ServiceBinding>,
    tenant: &Located<Tenant>,
    secrets: &BTreeMap<SecretKey, Sensitive>,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let binding = &located.object;
    let s = &binding.spec;
    let origin = Origin::new(
        "ServiceBinding",
        binding,
        &located.location,
        &tenant.object,
        s.deletion_policy,
        s.management_policy,
        s.drift_policy,
    )
    .allowing_replace(s.allow_replace)
    .deviating(&s.accepted_deviations)?;
    let b = Binding {
        own_ref: origin.external_ref(),
        origin,
        tenant: &tenant.object,
        secrets,
    };
    let service_block = || ModelError::ServiceBlock {
        object: b.origin.declared_by.clone(),
    };
    let service = s.service().ok_or_else(service_block)?;
    match service {
        ServiceKind::AzureAd => {
            daas::azure_ad(&b, s.azure_ad.as_ref().ok_or_else(service_block)?, out)
        }
        ServiceKind::MicrosoftOnline => daas::microsoft_online(&b, out),
        ServiceKind::Citrix => daas::citrix(&b, s.citrix.as_ref().ok_or_else(service_block)?, out),
        ServiceKind::FileSharing => {
            daas::file_sharing(&b, s.file_sharing.as_ref().ok_or_else(service_block)?, out)
        }
        ServiceKind::TeamsConnector => {
            let teams = s.teams_connector.as_ref().ok_or_else(service_block)?;
            teammate::enterprise(&b, teams, out);
            Ok(())
        }
        ServiceKind::ContactCenter => {
            let cc = s.contact_center.as_ref().ok_or_else(service_block)?;
            contactcenter::tenant(&b, cc, out)
        }
        ServiceKind::Licenses => {
            apps::licenses(&b, s.licenses.as_ref().ok_or_else(service_block)?, out);
            Ok(())
        }
        ServiceKind::Sms => {
            apps::sms(&b, s.sms.as_ref().ok_or_else(service_block)?, out);
            Ok(())
        }
        ServiceKind::CloudlinkGateway => {
            let gateway = s.cloudlink_gateway.as_ref().ok_or_else(service_block)?;
            cloudlink::gateway(&b, gateway, out)
        }
    }
}

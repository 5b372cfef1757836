//! ServiceBindings → the service objects of DaaS, contact center, TeamMate, apps and CloudLink.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Origin, contact_json, enum_str, strings, tenant_object};
use crate::api::{
    AzureAdMode, Located, Portal, SecretKey, Sensitive, ServiceBinding, ServiceKind, Tenant,
};
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

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
    let t = &tenant.object;
    let origin = Origin::new(
        "ServiceBinding",
        binding,
        &located.location,
        t,
        s.deletion_policy,
        s.management_policy,
    );
    let service_block = || ModelError::ServiceBlock {
        object: origin.declared_by.clone(),
    };
    let service = s.service().ok_or_else(service_block)?;
    let own_ref = origin.external_ref();
    let customer = || tenant_object(t, Portal::Daas, Kind::DaasCustomer, &origin.declared_by);
    let mut spec = Map::new();
    match service {
        ServiceKind::AzureAd => {
            let azure = s.azure_ad.as_ref().ok_or_else(service_block)?;
            spec.insert("mode".into(), enum_str(&azure.mode));
            if azure.mode == AzureAdMode::ConnectExisting
                && let Some(id) = &azure.existing_tenant_id
            {
                spec.insert("existingTenantId".into(), id.clone().into());
            }
            let accepted_by = azure.accepted_by.as_ref().unwrap_or(&t.spec.contact);
            spec.insert("acceptedBy".into(), contact_json(accepted_by));
            out.push(
                origin
                    .resource(Kind::AzureAd, own_ref, spec)
                    .with_parent(customer()?),
            );
        }
        ServiceKind::MicrosoftOnline => {
            out.push(
                origin
                    .resource(Kind::MicrosoftOnline, own_ref, spec)
                    .with_parent(customer()?),
            );
        }
        ServiceKind::Citrix => {
            let citrix = s.citrix.as_ref().ok_or_else(service_block)?;
            spec.insert("applications".into(), strings(&citrix.applications));
            spec.insert("desktops".into(), strings(&citrix.desktops));
            out.push(
                origin
                    .resource(Kind::Citrix, own_ref, spec)
                    .with_parent(customer()?),
            );
        }
        ServiceKind::FileSharing => {
            let sharing = s.file_sharing.as_ref().ok_or_else(service_block)?;
            spec.insert("driveLetter".into(), sharing.drive_letter.clone().into());
            out.push(
                origin
                    .resource(Kind::FileSharing, own_ref, spec)
                    .with_parent(customer()?),
            );
        }
        ServiceKind::TeamsConnector => {
            let teams = s.teams_connector.as_ref().ok_or_else(service_block)?;
            let name = teams
                .enterprise_name
                .clone()
                .unwrap_or_else(|| t.spec.display_name.clone());
            spec.insert("name".into(), name.into());
            spec.insert("adminEmail".into(), teams.admin_email.clone().into());
            if let Some(limit) = teams.user_limit {
                spec.insert("userLimit".into(), limit.into());
            }
            spec.insert("musicOnHold".into(), teams.music_on_hold.into());
            spec.insert("sipDataAccess".into(), teams.sip_data_access.into());
            spec.insert("requestConsent".into(), teams.request_consent.into());
            let regions = teams.sbc_regions.iter().map(enum_str).collect();
            spec.insert("sbcRegions".into(), Value::Array(regions));
            let services = teams.services.iter().map(enum_str).collect();
            spec.insert("services".into(), Value::Array(services));
            spec.insert("pbxTypes".into(), strings(&teams.pbx_types));
            spec.insert("enabled".into(), teams.enabled.into());
            out.push(origin.resource(Kind::Enterprise, own_ref, spec));
        }
        ServiceKind::ContactCenter => {
            let cc = s.contact_center.as_ref().ok_or_else(service_block)?;
            spec.insert("template".into(), cc.template.clone().into());
            spec.insert("name".into(), cc.name.clone().into());
            spec.insert("shortName".into(), cc.short_name.clone().into());
            spec.insert("upnSuffix".into(), cc.upn_suffix.clone().into());
            spec.insert("adminUser".into(), cc.admin_user.clone().into());
            spec.insert("ani".into(), cc.ani.clone().into());
            spec.insert(
                "notificationEmail".into(),
                cc.notification_email.clone().into(),
            );
            let contact = cc.contact.as_ref().unwrap_or(&t.spec.contact);
            spec.insert("contact".into(), contact_json(contact));
            let password = origin.password(
                "spec.contactCenter.passwordSecretRef",
                cc.password_secret_ref.as_ref(),
                secrets,
            )?;
            let tenant = origin
                .resource(Kind::ContactCenterTenant, own_ref.clone(), spec)
                .with_password(password);
            let tenant_address = tenant.address.clone();
            out.push(tenant);
            if let Some(email) = &cc.callback_folder_email {
                let mut spec = Map::new();
                spec.insert("email".into(), email.clone().into());
                out.push(
                    origin
                        .resource(
                            Kind::CallbackFolder,
                            format!("{own_ref}/callback-folder"),
                            spec,
                        )
                        .with_parent(tenant_address),
                );
            }
        }
        ServiceKind::Licenses => {
            let licenses = s.licenses.as_ref().ok_or_else(service_block)?;
            for assignment in &licenses.assignments {
                let mut spec = Map::new();
                spec.insert("app".into(), enum_str(&licenses.app));
                spec.insert("user".into(), assignment.user.clone().into());
                spec.insert("licenseType".into(), enum_str(&assignment.license_type));
                // E-mail addresses compare case-insensitively, so the part is lower-cased.
                let part = assignment.user.to_lowercase();
                out.push(origin.resource(Kind::License, format!("{own_ref}/{part}"), spec));
            }
        }
        ServiceKind::Sms => {
            let sms = s.sms.as_ref().ok_or_else(service_block)?;
            spec.insert("did".into(), sms.did.clone().into());
            if let Some(user) = &sms.user {
                spec.insert("user".into(), user.clone().into());
            }
            spec.insert("licenseType".into(), enum_str(&sms.license_type));
            if let Some(campaign) = &sms.campaign_id {
                spec.insert("campaignId".into(), campaign.clone().into());
            }
            out.push(origin.resource(Kind::SmsNumber, own_ref, spec));
        }
        ServiceKind::CloudlinkGateway => {
            let gateway = s.cloudlink_gateway.as_ref().ok_or_else(service_block)?;
            let account = tenant_object(
                t,
                Portal::CloudLink,
                Kind::CloudLinkAccount,
                &origin.declared_by,
            )?;
            spec.insert("platform".into(), enum_str(&gateway.platform));
            out.push(
                origin
                    .resource(Kind::CloudLinkGateway, own_ref, spec)
                    .with_parent(account),
            );
        }
    }
    Ok(())
}

//! Contact center (seed 001): a binding's tenant and its callback folder.

use serde_json::Map;

use super::binding::Binding;
use super::wire::contact_json;
use crate::api::ContactCenter;
use crate::model::error::ModelError;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// The contact-center tenant of a binding, and its callback folder when an e-mail is declared.
pub(super) fn tenant(
    b: &Binding<'_>,
    cc: &ContactCenter,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let mut spec = Map::new();
    spec.insert("template".into(), cc.template.clone().into());
    spec.insert("name".into(), cc.name.clone().into());
    spec.insert("shortName".into(), cc.short_name.clone().into());
    spec.insert("upnSuffix".into(), cc.upn_suffix.clone().into());
    spec.insert("adminUser".into(), cc.admin_user.clone().into());
    spec.insert("ani".into(), cc.ani.clone().into());
    if let Some(email) = &cc.notification_email {
        spec.insert("notificationEmail".into(), email.clone().into());
    }
    let contact = cc.contact.as_ref().unwrap_or(&b.tenant.spec.contact);
    spec.insert("contact".into(), contact_json(contact));
    let password = b.origin.password(
        "spec.contactCenter.passwordSecretRef",
        cc.password_secret_ref.as_ref(),
        b.secrets,
    )?;
    let tenant = b
        .origin
        .resource(Kind::ContactCenterTenant, b.own_ref.clone(), spec)
        .with_password(
            password,
            b.origin.secret_from(cc.password_secret_ref.as_ref()),
        );
    let tenant_address = tenant.address.clone();
    out.push(tenant);
    if let Some(email) = &cc.callback_folder_email {
        let mut spec = Map::new();
        spec.insert("email".into(), email.clone().into());
        out.push(
            b.origin
                .resource(
                    Kind::CallbackFolder,
                    format!("{}/callback-folder", b.own_ref),
                    spec,
                )
                .with_parent(tenant_address),
        );
    }
    Ok(())
}

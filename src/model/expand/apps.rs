//! Apps license management (seed 003): per-user app licenses and SMS numbers.

use serde_json::Map;

use super::binding::Binding;
use super::wire::enum_str;
use crate::api::{DeletionPolicy, Licenses, Sms};
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// One license per assigned user.
pub(super) fn licenses(b: &Binding<'_>, licenses: &Licenses, out: &mut Vec<Resource>) {
    for assignment in &licenses.assignments {
        let mut spec = Map::new();
        spec.insert("app".into(), enum_str(&licenses.app));
        spec.insert("user".into(), assignment.user.clone().into());
        spec.insert("licenseType".into(), enum_str(&assignment.license_type));
        // E-mail addresses compare case-insensitively, so the part is lower-cased.
        let part = assignment.user.to_lowercase();
        out.push(
            b.origin
                .resource(Kind::License, format!("{}/{part}", b.own_ref), spec),
        );
    }
}

/// The `externalRef` of the adopted 10DLC campaign `id`: one object per campaign, whichever
/// bindings name it (TCR keeps no reference of ours, so the adapter derives it from the id).
pub fn campaign_ref(id: &str) -> String {
    format!("{CAMPAIGN_NAMESPACE}/{id}")
}

/// The first segment of a campaign's `externalRef` (see [`campaign_ref`]).
pub const CAMPAIGN_NAMESPACE: &str = "10dlc";

/// An SMS license bound to a DID; with a campaign, the campaign it waits for.
pub(super) fn sms(b: &Binding<'_>, sms: &Sms, out: &mut Vec<Resource>) {
    let mut spec = Map::new();
    spec.insert("did".into(), sms.did.clone().into());
    if let Some(user) = &sms.user {
        spec.insert("user".into(), user.clone().into());
    }
    spec.insert("licenseType".into(), enum_str(&sms.license_type));
    let mut number = b.origin.resource(Kind::SmsNumber, b.own_ref.clone(), spec);
    if let Some(campaign) = &sms.campaign_id {
        number
            .spec
            .insert("campaignId".into(), campaign.clone().into());
        // A dependency, not a parent: the number names the campaign by TCR's id, not by the
        // portal id of the adopted object.
        let mut adopted = Map::new();
        adopted.insert("campaignId".into(), campaign.clone().into());
        let mut adopted = b
            .origin
            .resource(Kind::Campaign, campaign_ref(campaign), adopted);
        // The registry's object, shared by bindings with different policies: never deleted.
        adopted.deletion_policy = DeletionPolicy::Orphan;
        number.depends_on.push(adopted.address.clone());
        out.push(adopted);
    }
    out.push(number);
}

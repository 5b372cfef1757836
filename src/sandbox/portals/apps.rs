//! Apps license management (seed 003): per-user Meet, Chat and Connector licenses with a
//! welcome e-mail, and SMS licenses bound to purchased, registered, unassigned DIDs with the
//! US 10DLC campaign rule.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Created, Cx, Rules, not_blank, require, status};
use crate::sandbox::body::typed;
use crate::sandbox::error::ApiError;
use crate::sandbox::fixtures;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::OpPlan;
use crate::sandbox::outbox::Message;
use crate::validate::syntax::{is_e164, is_email, is_us_number};

const PORTAL: &str = "apps";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LicenseSpec {
    app: App,
    user: String,
    license_type: String,
}

#[derive(Deserialize, Debug, Clone, Copy)]
enum App {
    Meet,
    Chat,
    Connector,
}

impl LicenseSpec {
    fn check(&self) -> Result<(), ApiError> {
        require(
            is_email(&self.user),
            "user",
            "the user's e-mail address (the welcome e-mail goes there)",
        )?;
        not_blank(&self.license_type, "licenseType")
    }
}

pub(crate) struct Licenses;

impl Rules for Licenses {
    fn create(&self, cx: &Cx<'_, '_>, id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: LicenseSpec = typed(spec, "spec")?;
        s.check()?;
        let app = format!("{:?}", s.app);
        if let Some(existing) =
            object::find_by_field(cx.tx, PORTAL, "licenses", Part::Spec, "user", &s.user)?
                .into_iter()
                .find(|o| o.spec_str("app") == app)
        {
            return Err(ApiError::conflict(
                "AlreadyExists",
                format!(
                    "{} already has a {app} license ({}); change its licenseType instead",
                    s.user, existing.id
                ),
            ));
        }
        cx.send(Message {
            to: &s.user,
            subject: format!("Welcome to Sangoma {app}"),
            body: format!(
                "A {app} license ({}) was assigned to you.\nGet started with the {app} guide: \
                 https://help.sangoma.com/apps/{}\n",
                s.license_type,
                app.to_lowercase()
            ),
            kind: "welcome",
            data: json!({"app": app, "licenseType": s.license_type}),
            object_id: Some(id),
        })?;
        Ok(Created::ready(status(json!({})), None))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        _obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: LicenseSpec = typed(spec, "spec")?;
        s.check()?;
        Ok(None)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SmsSpec {
    did: String,
    license_type: String,
    #[serde(default)]
    campaign_id: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

impl SmsSpec {
    fn check(&self) -> Result<(), ApiError> {
        require(
            is_e164(&self.did),
            "did",
            "a DID in E.164 form such as +15555550100",
        )?;
        not_blank(&self.license_type, "licenseType")?;
        if let Some(user) = &self.user {
            require(is_email(user), "user", "not an e-mail address")?;
        }
        Ok(())
    }

    /// The campaign rule; returns the DID's campaign.
    fn check_campaign(&self, cx: &Cx<'_, '_>) -> Result<Option<String>, ApiError> {
        let campaign = fixtures::campaign_of(cx.tx, &self.did)?;
        let rule = "since 2023-06-01 SMS/MMS from US numbers outside a registered 10DLC campaign \
                    is not delivered to US mobiles";
        if let Some(wanted) = &self.campaign_id {
            match fixtures::campaign(cx.tx, wanted)? {
                None => {
                    return Err(ApiError::unprocessable(
                        "CampaignNotFound",
                        format!("no 10DLC campaign has id {wanted}; register it in the TCR portal"),
                    )
                    .field("spec.campaignId"));
                }
                Some(c) if !c.dids.contains(&self.did) => {
                    return Err(ApiError::unprocessable(
                        "CampaignRequired",
                        format!(
                            "{} is not registered to campaign {wanted}; add it to the campaign \
                             in the TCR portal ({rule})",
                            self.did
                        ),
                    )
                    .field("spec.campaignId"));
                }
                Some(_) => {}
            }
        }
        if !is_us_number(&self.did) {
            return Ok(campaign.map(|c| c.id));
        }
        match campaign {
            Some(c) if c.registered => Ok(Some(c.id)),
            Some(c) => Err(ApiError::unprocessable(
                "CampaignRequired",
                format!(
                    "campaign {} of {} is not registered yet; finish its registration ({rule})",
                    c.id, self.did
                ),
            )
            .field("spec.campaignId")),
            None => Err(ApiError::unprocessable(
                "CampaignRequired",
                format!(
                    "{} belongs to no registered 10DLC campaign; register it to a campaign in \
                     the TCR portal first ({rule})",
                    self.did
                ),
            )
            .field("spec.campaignId")),
        }
    }
}

pub(crate) struct SmsNumbers;

impl Rules for SmsNumbers {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: SmsSpec = typed(spec, "spec")?;
        s.check()?;
        let did_error = |code: &'static str, message: String| {
            ApiError::unprocessable(code, message).field("spec.did")
        };
        let Some(did) = fixtures::did(cx.tx, &s.did)? else {
            return Err(did_error(
                "DidNotFound",
                format!("{} is not in the DID inventory; purchase it first", s.did),
            ));
        };
        if !did.purchased {
            return Err(did_error(
                "DidNotPurchased",
                format!("{} is not purchased; purchase it first", s.did),
            ));
        }
        if !did.registered {
            return Err(did_error(
                "DidNotRegistered",
                format!(
                    "{} is purchased but not registered; register it first",
                    s.did
                ),
            ));
        }
        let bound = object::find_by_field(cx.tx, PORTAL, "sms-numbers", Part::Spec, "did", &s.did)?;
        if did.assigned || !bound.is_empty() {
            return Err(ApiError::conflict(
                "DidAssigned",
                format!(
                    "{} is already assigned{}; choose an unassigned DID",
                    s.did,
                    bound
                        .first()
                        .map(|o| format!(" ({})", o.id))
                        .unwrap_or_default()
                ),
            )
            .field("spec.did"));
        }
        let campaign = s.check_campaign(cx)?;
        Ok(Created::ready(
            status(json!({"campaignId": campaign})),
            None,
        ))
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: SmsSpec = typed(spec, "spec")?;
        s.check()?;
        let campaign = s.check_campaign(cx)?;
        obj.set_status("campaignId", campaign);
        Ok(None)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CampaignSpec {
    campaign_id: String,
}

/// Adoption of a 10DLC campaign registered in the TCR portal (the fixtures): the contract
/// never registers one, and only adopts a registered campaign, which it reports as accepted
/// (the carrier review's wait is the `campaignRegistry` adapter's; see docs/providers.md).
pub(crate) struct Campaigns;

impl Campaigns {
    fn adopt(cx: &Cx<'_, '_>, spec: &Value) -> Result<Value, ApiError> {
        let s: CampaignSpec = typed(spec, "spec")?;
        not_blank(&s.campaign_id, "campaignId")?;
        match fixtures::campaign(cx.tx, &s.campaign_id)? {
            None => Err(ApiError::unprocessable(
                "CampaignNotFound",
                format!(
                    "no 10DLC campaign has id {}; register it in the TCR portal, or fix the id",
                    s.campaign_id
                ),
            )
            .field("spec.campaignId")),
            Some(c) if !c.registered => Err(ApiError::unprocessable(
                "CampaignNotRegistered",
                format!(
                    "campaign {} is not registered yet; finish its registration in the TCR portal",
                    c.id
                ),
            )
            .field("spec.campaignId")),
            Some(c) => Ok(status(json!({
                "campaignStatus": "ACTIVE",
                "sharingStatus": "ACCEPTED",
                "name": c.name,
            }))),
        }
    }
}

impl Rules for Campaigns {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        Ok(Created::ready(Self::adopt(cx, spec)?, None))
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let status = Self::adopt(cx, spec)?;
        for key in ["campaignStatus", "sharingStatus", "name"] {
            obj.set_status(key, status[key].clone());
        }
        Ok(None)
    }
}

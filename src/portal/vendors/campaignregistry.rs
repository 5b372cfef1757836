//! The Campaign Registry adapter (seed 003, 10DLC): the `apps` portal's `campaigns` on TCR's
//! CSP API (vendor-apis.md §5, docs/providers.md).
//!
//! tenantry never registers or pays for a brand or a campaign: people do that in the TCR
//! portal. A campaign object is observed, and its create only looks the campaign up and adopts
//! it. Calls go through the connection's [`HttpPortal`] (HTTP Basic with the CSP's API key and
//! secret on every call, retries, budget, scrubbing). TCR keeps no reference of ours, so an
//! adopted campaign's `externalRef` is derived from its id ([`campaign_ref`]) and a list
//! returns every campaign of the CSP.
//!
//! A campaign's state comes from three reads: the campaign (`ACTIVE` or `EXPIRED`, terminal),
//! its brand (`identityStatus`: absent while TCR scores it, `UNVERIFIED` may not run
//! campaigns), its sharing with the upstream connectivity partner (`PENDING` for days, then
//! `ACCEPTED` or `DECLINED` with feedback) and, once accepted, the carriers' operation status
//! (`SUSPENDED` is reversible). Waiting states are phase `AwaitingCarrierApproval`.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::api::{DeletionPolicy, Portal};
use crate::model::{CAMPAIGN_NAMESPACE, campaign_ref};
use crate::portal::http::HttpPortal;
use crate::portal::wire::{
    Accepted, DeleteOutcome, Operation, OperationState, PortalObject, WriteOutcome,
};
use crate::portal::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};

const KIND: &str = "campaigns";
/// Prefix of the operation ids this adapter hands out (`tcr-<campaignId>`).
const OP_PREFIX: &str = "tcr-";
/// Campaigns per page of `GET /campaign` (TCR's maximum).
const PAGE: usize = 500;

/// The Campaign Registry client of one connection.
#[derive(Clone)]
pub struct CampaignRegistry {
    http: HttpPortal,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Campaign {
    campaign_id: String,
    brand_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    usecase: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Brand {
    #[serde(default)]
    identity_status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sharing {
    #[serde(default)]
    shared_by_me: Option<SharingStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SharingStatus {
    #[serde(default)]
    upstream_cnp_id: Option<String>,
    #[serde(default)]
    sharing_status: Option<String>,
    #[serde(default)]
    shared_date: Option<String>,
    /// ⚠ Not in the published schema: the partner's feedback on a decline.
    #[serde(default)]
    explanation: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    records: Vec<Campaign>,
    #[serde(default)]
    total_records: usize,
}

/// What the registry says about one campaign.
struct Observation {
    campaign: Campaign,
    brand: Brand,
    sharing: Option<SharingStatus>,
    /// Carriers (MNO ids) that suspended the campaign.
    suspended_by: Vec<String>,
}

impl CampaignRegistry {
    /// The adapter over `http` (whose credential is the CSP's API key and secret).
    pub fn new(http: HttpPortal) -> Self {
        Self { http }
    }

    fn portal() -> &'static str {
        Portal::Apps.id()
    }

    /// `GET path`: `None` when TCR has no such record (it answers 400 or 404).
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, PortalError> {
        let result = self
            .http
            .call(Self::portal(), Method::GET, path, None)
            .await;
        match result {
            Ok((StatusCode::NOT_FOUND, _)) | Err(PortalError::Rejected { status: 400, .. }) => {
                Ok(None)
            }
            Ok((status, bytes)) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| PortalError::Protocol {
                        portal: Self::portal().to_owned(),
                        status: status.as_u16(),
                        detail: format!("TCR {path}: {e}"),
                    })
            }
            Err(e) => Err(tcr_code(e)),
        }
    }

    async fn brand(&self, id: &str) -> Result<Brand, PortalError> {
        Ok(self.get(&format!("brand/{id}")).await?.unwrap_or(Brand {
            identity_status: None,
        }))
    }

    /// The rest of a campaign's state, `brands` caching the brands read in one pass.
    async fn observe(
        &self,
        campaign: Campaign,
        brands: &mut HashMap<String, Option<String>>,
    ) -> Result<Observation, PortalError> {
        let identity = match brands.get(&campaign.brand_id) {
            Some(known) => known.clone(),
            None => {
                let brand = self.brand(&campaign.brand_id).await?;
                brands.insert(campaign.brand_id.clone(), brand.identity_status.clone());
                brand.identity_status
            }
        };
        let brand = Brand {
            identity_status: identity,
        };
        // An expired campaign is terminal: nothing else about it matters.
        if campaign.status.as_deref() == Some("EXPIRED") {
            return Ok(Observation {
                campaign,
                brand,
                sharing: None,
                suspended_by: Vec::new(),
            });
        }
        let id = &campaign.campaign_id;
        let sharing: Option<Sharing> = self.get(&format!("campaign/{id}/sharing")).await?;
        let sharing = sharing.and_then(|s| s.shared_by_me);
        let accepted = sharing
            .as_ref()
            .is_some_and(|s| s.sharing_status.as_deref() == Some("ACCEPTED"));
        let mut suspended_by = Vec::new();
        if accepted {
            let carriers: Option<Map<String, Value>> =
                self.get(&format!("campaign/{id}/operationStatus")).await?;
            suspended_by = carriers
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, v)| v == "SUSPENDED")
                .map(|(k, _)| k)
                .collect();
        }
        Ok(Observation {
            campaign,
            brand,
            sharing,
            suspended_by,
        })
    }

    async fn campaign(&self, id: &str) -> Result<Option<Observation>, PortalError> {
        let Some(campaign) = self
            .get::<Campaign>(&format!("campaign/{}", path_segment(id)))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(self.observe(campaign, &mut HashMap::new()).await?))
    }

    /// Every campaign of the CSP, a page of [`PAGE`] at a time.
    async fn all(&self) -> Result<Vec<PortalObject>, PortalError> {
        let mut out = Vec::new();
        let mut brands = HashMap::new();
        for page in 1.. {
            let path = format!("campaign?page={page}&recordsPerPage={PAGE}");
            let Some(p) = self.get::<Page>(&path).await? else {
                break;
            };
            let n = p.records.len();
            for c in p.records {
                out.push(to_object(&self.observe(c, &mut brands).await?));
            }
            if n < PAGE || page * PAGE >= p.total_records {
                break;
            }
        }
        Ok(out)
    }

    /// Adoption: the campaign named by the spec, as it is; nothing is written to TCR.
    async fn adopt(&self, req: &WriteRequest) -> Result<WriteOutcome, PortalError> {
        let id = req
            .spec
            .get("campaignId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(observed) = self.campaign(id).await? else {
            return Err(PortalError::Rejected {
                portal: Self::portal().to_owned(),
                status: 422,
                code: "CampaignNotFound".to_owned(),
                message: format!(
                    "The Campaign Registry has no campaign {id} for this CSP: check spec.sms.campaignId, or register the campaign in the TCR portal first (tenantry does not register or pay for campaigns)"
                ),
                field: Some("spec.sms.campaignId".to_owned()),
            });
        };
        let object = to_object(&observed);
        let operation = operation_of(&object);
        Ok(match operation.state {
            OperationState::Succeeded => WriteOutcome::Done(object),
            _ => WriteOutcome::Accepted(Box::new(Accepted { object, operation })),
        })
    }
}

impl PortalApi for CampaignRegistry {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        served(portal, kind)?;
        // One campaign by its reference; otherwise the CSP's campaigns, all under one prefix.
        if let Some(wanted) = &filter.external_ref {
            let Some(id) = wanted
                .strip_prefix(CAMPAIGN_NAMESPACE)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|id| !id.contains('/'))
            else {
                return Ok(Vec::new());
            };
            return Ok(self
                .campaign(id)
                .await?
                .map(|o| to_object(&o))
                .into_iter()
                .collect());
        }
        if let Some(prefix) = &filter.external_ref_prefix
            && !campaign_ref("").starts_with(prefix.as_str())
        {
            return Ok(Vec::new());
        }
        self.all().await
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        served(portal, kind)?;
        self.adopt(req).await
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        _id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        // The one spec field is immutable, so an update only reads the campaign again.
        served(portal, kind)?;
        self.adopt(req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        _id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        // Deactivating a campaign stops a customer's messaging and its fee is not refunded:
        // tenantry only forgets it (the plan never deletes an adopted-only kind anyway).
        served(portal, kind)?;
        Ok(DeleteOutcome::Deleted)
    }

    async fn operation(
        &self,
        portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        served(portal, KIND)?;
        let campaign = id.strip_prefix(OP_PREFIX).unwrap_or(id);
        match self.campaign(campaign).await? {
            Some(o) => Ok(operation_of(&to_object(&o))),
            None => Err(PortalError::Rejected {
                portal: Self::portal().to_owned(),
                status: 404,
                code: "OperationNotFound".to_owned(),
                message: format!("campaign {campaign} is unknown to The Campaign Registry"),
                field: None,
            }),
        }
    }

    fn calls(&self) -> CallCounts {
        self.http.calls()
    }
}

fn served(portal: Portal, kind: &str) -> Result<(), PortalError> {
    super::served(crate::api::ConnectionApi::CampaignRegistry, portal, kind)
}

/// A campaign id as one path segment (ids are alphanumeric; anything else is escaped).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// TCR's refusals as stable tenantry codes (its error bodies are arrays without a code of
/// tenantry's kind).
fn tcr_code(err: PortalError) -> PortalError {
    match err {
        PortalError::Rejected {
            portal,
            status,
            code,
            message,
            field,
        } if code.starts_with("Http") => {
            let code = match status {
                401 => "TcrUnauthorized",
                403 => "TcrForbidden",
                _ => "TcrRejected",
            };
            let hint = if status == 401 {
                ": check the API key and secret in the PortalConnection's spec.auth.apiKey Secret"
            } else {
                ""
            };
            PortalError::Rejected {
                portal,
                status,
                code: code.to_owned(),
                message: format!("The Campaign Registry: {message}{hint}"),
                field,
            }
        }
        other => other,
    }
}

/// Phase, reason and message of a campaign, from what the registry says.
fn state(o: &Observation) -> (&'static str, Option<&'static str>, String) {
    let c = &o.campaign;
    let id = &c.campaign_id;
    if c.status.as_deref() == Some("EXPIRED") {
        return (
            "Failed",
            Some("CampaignExpired"),
            format!(
                "10DLC campaign {id} has EXPIRED in The Campaign Registry, which cannot be undone: register a new campaign in the TCR portal and set spec.sms.campaignId to it"
            ),
        );
    }
    match o.brand.identity_status.as_deref() {
        Some("UNVERIFIED") => {
            return (
                "Failed",
                Some("BrandUnverified"),
                format!(
                    "brand {} of campaign {id} is UNVERIFIED: TCR could not verify the business, so its campaigns may not run; correct the brand or order an external vet in the TCR portal",
                    c.brand_id
                ),
            );
        }
        None => {
            return (
                "AwaitingCarrierApproval",
                None,
                format!(
                    "brand {} of campaign {id} is still being verified by The Campaign Registry (identityStatus not assigned yet)",
                    c.brand_id
                ),
            );
        }
        Some(_) => {}
    }
    let Some(sharing) = &o.sharing else {
        return (
            "AwaitingCarrierApproval",
            None,
            format!(
                "campaign {id} is not shared with a connectivity partner yet: share it with the upstream CNP in the TCR portal"
            ),
        );
    };
    let cnp = sharing
        .upstream_cnp_id
        .as_deref()
        .unwrap_or("the upstream CNP");
    match sharing.sharing_status.as_deref() {
        Some("ACCEPTED") if o.suspended_by.is_empty() => ("Ready", None, String::new()),
        Some("ACCEPTED") => (
            "AwaitingCarrierApproval",
            None,
            format!(
                "campaign {id} is suspended by carrier(s) {}; it resumes when they lift the suspension (see the TCR portal)",
                o.suspended_by.join(", ")
            ),
        ),
        Some("DECLINED") => (
            "Failed",
            Some("CampaignDeclined"),
            format!(
                "{cnp} declined campaign {id}: {}; edit the campaign and resubmit it in the TCR portal",
                sharing
                    .explanation
                    .as_deref()
                    .unwrap_or("no feedback given")
            ),
        ),
        _ => (
            "AwaitingCarrierApproval",
            None,
            format!(
                "campaign {id} is shared with {cnp}{} and waits for its review and the carriers' (this takes days); SMS from its numbers is bound once it is ACCEPTED",
                sharing
                    .shared_date
                    .as_deref()
                    .map(|d| format!(" since {d}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// A campaign in tenantry's observed shape.
fn to_object(o: &Observation) -> PortalObject {
    let c = &o.campaign;
    let mut spec = Map::new();
    spec.insert("campaignId".into(), c.campaign_id.clone().into());
    let (phase, reason, message) = state(o);
    let mut status = Map::new();
    status.insert("phase".into(), phase.into());
    status.insert("brandId".into(), c.brand_id.clone().into());
    status.insert(
        "campaignStatus".into(),
        c.status
            .clone()
            .unwrap_or_else(|| "ACTIVE".to_owned())
            .into(),
    );
    if let Some(identity) = &o.brand.identity_status {
        status.insert("identityStatus".into(), identity.clone().into());
    }
    if let Some(sharing) = o.sharing.as_ref().and_then(|s| s.sharing_status.clone()) {
        status.insert("sharingStatus".into(), sharing.into());
    }
    if let Some(usecase) = &c.usecase {
        status.insert("usecase".into(), usecase.clone().into());
    }
    match reason {
        Some(reason) => {
            status.insert(
                "failure".into(),
                json!({"reason": reason, "message": message}),
            );
        }
        None if !message.is_empty() => {
            status.insert("message".into(), message.into());
        }
        None => {}
    }
    PortalObject {
        id: c.campaign_id.clone(),
        external_ref: campaign_ref(&c.campaign_id),
        deletion_policy: DeletionPolicy::Orphan,
        version: 0,
        spec,
        status,
    }
}

/// The registry's wait of an observed campaign as an operation the engine polls.
fn operation_of(object: &PortalObject) -> Operation {
    let text = |key: &str, inner: Option<&str>| {
        let v = object.status.get(key)?;
        match inner {
            Some(k) => v.get(k)?.as_str().map(str::to_owned),
            None => v.as_str().map(str::to_owned),
        }
    };
    let (state, reason, message) = match object.phase() {
        Some("Ready") => (OperationState::Succeeded, None, None),
        Some("Failed") => (
            OperationState::Failed,
            text("failure", Some("reason")),
            text("failure", Some("message")),
        ),
        _ => (
            OperationState::AwaitingHuman,
            Some("AwaitingCarrierApproval".to_owned()),
            text("message", None),
        ),
    };
    Operation {
        id: format!("{OP_PREFIX}{}", object.id),
        object_id: Some(object.id.clone()),
        state,
        reason,
        message,
        not_before: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(identity: Option<&str>, sharing: Option<&str>, suspended: bool) -> Observation {
        Observation {
            campaign: Campaign {
                campaign_id: "CABC123".into(),
                brand_id: "BABC123".into(),
                status: Some("ACTIVE".into()),
                usecase: None,
            },
            brand: Brand {
                identity_status: identity.map(str::to_owned),
            },
            sharing: sharing.map(|s| SharingStatus {
                upstream_cnp_id: Some("CNP".into()),
                sharing_status: Some(s.into()),
                shared_date: None,
                explanation: Some("sample messages lack opt-out".into()),
            }),
            suspended_by: if suspended {
                vec!["10017".into()]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn the_registry_states_map_to_phases() {
        let cases = [
            (
                observation(Some("VERIFIED"), Some("ACCEPTED"), false),
                "Ready",
            ),
            (
                observation(Some("VERIFIED"), Some("PENDING"), false),
                "AwaitingCarrierApproval",
            ),
            (
                observation(Some("VERIFIED"), Some("ACCEPTED"), true),
                "AwaitingCarrierApproval",
            ),
            (
                observation(None, Some("ACCEPTED"), false),
                "AwaitingCarrierApproval",
            ),
            (
                observation(Some("VERIFIED"), Some("DECLINED"), false),
                "Failed",
            ),
            (
                observation(Some("UNVERIFIED"), Some("ACCEPTED"), false),
                "Failed",
            ),
        ];
        for (o, phase) in cases {
            assert_eq!(
                state(&o).0,
                phase,
                "{:?}",
                o.sharing.as_ref().map(|s| &s.sharing_status)
            );
        }
        let declined = state(&observation(Some("VERIFIED"), Some("DECLINED"), false));
        assert!(
            declined.2.contains("sample messages lack opt-out"),
            "{}",
            declined.2
        );
    }
}

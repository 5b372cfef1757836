//! The ConnectToTeams / TeamMate adapter (seed 002): the `teammate` portal's `enterprises`
//! on the vendor's reseller API (vendor-apis.md §3, docs/providers.md).
//!
//! Calls go through the connection's [`HttpPortal`] (password-grant token with HTTP Basic
//! client auth, retries, budget, scrubbing). The reseller id and its SBC regions and PBX
//! types are read once per client and map tenantry's declared names to the vendor's ids.
//! The vendor has no idempotency key and no external id, so tenantry's `externalRef` and
//! deletion policy travel in `billingReferences` (`tenantry:<ref>`,
//! `tenantry-deletion-policy:<policy>`), and a create first looks for an enterprise of the
//! same name: one without a tenantry reference (made by hand in the portal) is adopted, which
//! also makes a create retried after a lost answer safe. Registration and consent are the
//! Global Admin's: the enterprise waits (`AwaitingConsent`) with the action URL to send them,
//! and the outcome is read back by polling.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::api::{DeletionPolicy, Portal};
use crate::portal::http::HttpPortal;
use crate::portal::wire::{
    Accepted, DeleteOutcome, Operation, OperationState, PortalObject, WriteOutcome,
};
use crate::portal::{CallCounts, ListFilter, PortalApi, PortalError, WriteRequest};

const KIND: &str = "enterprises";
const REF_TAG: &str = "tenantry:";
const POLICY_TAG: &str = "tenantry-deletion-policy:";
/// The consent steps the Global Admin completes, in order (see the emulator).
const STEPS: [&str; 2] = ["REGISTRATION", "GET_USER_SYNC_CONSENT"];
/// tenantry's SBC region names (`api::SbcRegion`), to name a vendor region back.
const REGIONS: [&str; 6] = [
    "UsEast",
    "UsWest",
    "Canada",
    "Europe",
    "UnitedKingdom",
    "AsiaPacific",
];
/// Prefix of the operation ids this adapter hands out (`c2t-<enterpriseId>`).
const OP_PREFIX: &str = "c2t-";

/// The ConnectToTeams client of one connection; clones share the token, budget and lookups.
#[derive(Clone)]
pub struct ConnectToTeams {
    http: HttpPortal,
    username: String,
    lookups: Arc<OnceCell<Lookups>>,
}

/// The reseller and what it may assign.
struct Lookups {
    reseller_id: i64,
    /// `(sbcGatewayId, sbcGatewayRegion)`.
    sbc: Vec<(i64, String)>,
    /// `(id, pbxName)` of the enabled PBX types.
    pbx: Vec<(i64, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    reseller_id: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sbc {
    sbc_gateway_id: i64,
    sbc_gateway_region: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pbx {
    id: i64,
    pbx_name: String,
    #[serde(default)]
    is_disabled: bool,
}

#[derive(Deserialize)]
struct ActionUrl {
    url: String,
}

impl ConnectToTeams {
    /// The adapter over `http` (whose credential is the password grant of `username`).
    pub fn new(http: HttpPortal, username: String) -> Self {
        Self {
            http,
            username,
            lookups: Arc::new(OnceCell::new()),
        }
    }

    fn portal() -> &'static str {
        Portal::TeamMate.id()
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, PortalError> {
        let (status, bytes) = self
            .http
            .call(Self::portal(), Method::GET, path, None)
            .await?;
        decode(status, &bytes, path)
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), PortalError> {
        let bytes = serde_json::to_vec(body).map_err(|e| PortalError::Setup(e.to_string()))?;
        let (status, resp) = self
            .http
            .call(Self::portal(), method, path, Some(&bytes))
            .await
            .map_err(vendor_code)?;
        if status == StatusCode::NOT_FOUND {
            return Ok((status, Value::Null));
        }
        Ok((status, decode(status, &resp, path)?))
    }

    async fn lookups(&self) -> Result<&Lookups, PortalError> {
        self.lookups
            .get_or_try_init(|| async {
                let (status, bytes) = self
                    .http
                    .call_read(
                        Self::portal(),
                        Method::PUT,
                        "reseller/getAuthenticatedUser",
                        Some(self.username.as_bytes()),
                    )
                    .await
                    .map_err(vendor_code)?;
                let user: User = decode(status, &bytes, "reseller/getAuthenticatedUser")?;
                let id = user.reseller_id;
                let sbc: Vec<Sbc> = self
                    .get(&format!(
                        "reseller/getAvailableSBCGatewayRegionsByResellerId/{id}"
                    ))
                    .await?;
                let pbx: Vec<Pbx> = self
                    .get(&format!("pbx/getPBXTypesByResellerId?resellerId={id}"))
                    .await?;
                Ok(Lookups {
                    reseller_id: id,
                    sbc: sbc
                        .into_iter()
                        .map(|s| (s.sbc_gateway_id, s.sbc_gateway_region))
                        .collect(),
                    pbx: pbx
                        .into_iter()
                        .filter(|p| !p.is_disabled)
                        .map(|p| (p.id, p.pbx_name))
                        .collect(),
                })
            })
            .await
    }

    async fn enterprises(&self) -> Result<Vec<Value>, PortalError> {
        let id = self.lookups().await?.reseller_id;
        self.get(&format!("reseller/getEnterprisesByResellerId/{id}"))
            .await
    }

    /// The action URL of the Global Admin's next step, when one is pending.
    async fn action_url(&self, enterprise: &Value) -> Result<Option<String>, PortalError> {
        let Some(step) = next_step(enterprise) else {
            return Ok(None);
        };
        let body = json!({"actionType": step, "enterpriseId": enterprise["enterpriseId"]});
        let bytes = serde_json::to_vec(&body).map_err(|e| PortalError::Setup(e.to_string()))?;
        // A POST that only reads: counted as a read, so a converged run reports no writes.
        let path = "enterprise/getActionItemUrl";
        let (status, answer) = self
            .http
            .call_read(Self::portal(), Method::POST, path, Some(&bytes))
            .await
            .map_err(vendor_code)?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let answer: Value = decode(status, &answer, path)?;
        let url: ActionUrl = serde_json::from_value(answer).map_err(|e| protocol(status, &e))?;
        Ok(Some(url.url))
    }

    async fn observed(&self, enterprise: &Value) -> Result<PortalObject, PortalError> {
        let lookups = self.lookups().await?;
        let url = self.action_url(enterprise).await?;
        Ok(to_object(enterprise, lookups, url))
    }

    async fn outcome(&self, enterprise: &Value) -> Result<WriteOutcome, PortalError> {
        let object = self.observed(enterprise).await?;
        let operation = operation_of(&object);
        Ok(match operation.state {
            OperationState::Succeeded => WriteOutcome::Done(object),
            _ => WriteOutcome::Accepted(Box::new(Accepted { object, operation })),
        })
    }

    /// Writes the declared enterprise over `id` (`PUT /reseller/updateEnterprise`).
    async fn put(&self, id: &Value, req: &WriteRequest) -> Result<WriteOutcome, PortalError> {
        let lookups = self.lookups().await?;
        let mut body = to_vendor(req, lookups)?;
        body.insert("enterpriseId".into(), id.clone());
        let (status, answer) = self
            .send_json(
                Method::PUT,
                "reseller/updateEnterprise",
                &Value::Object(body),
            )
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(PortalError::Rejected {
                portal: Self::portal().to_owned(),
                status: 404,
                code: "NotFound".to_owned(),
                message: format!(
                    "enterprise {id} does not exist any more; the next plan will create it"
                ),
                field: None,
            });
        }
        self.outcome(&answer).await
    }

    /// An enterprise named like the declared one: adopted when no tenantry object claims it.
    async fn adoptable(&self, req: &WriteRequest) -> Result<Option<Value>, PortalError> {
        let name = req.spec.get("name").and_then(Value::as_str).unwrap_or("");
        let found = self.enterprises().await?.into_iter().find(|e| {
            e["enterpriseName"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        match found {
            Some(e) => match external_ref(&e) {
                Some(owner) if owner != req.external_ref => Err(PortalError::Rejected {
                    portal: Self::portal().to_owned(),
                    status: 409,
                    code: "EnterpriseNameTaken".to_owned(),
                    message: format!(
                        "enterprise {name:?} ({}) belongs to {owner}; give spec.teamsConnector.enterpriseName another value",
                        e["enterpriseId"]
                    ),
                    field: Some("spec.name".to_owned()),
                }),
                _ => Ok(Some(e)),
            },
            None => Ok(None),
        }
    }
}

impl PortalApi for ConnectToTeams {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        served(portal, kind)?;
        let mut out = Vec::new();
        for e in self.enterprises().await? {
            let r = external_ref(&e).unwrap_or_default();
            let wanted = filter.external_ref.as_ref().is_none_or(|x| *x == r)
                && filter
                    .external_ref_prefix
                    .as_ref()
                    .is_none_or(|p| r.starts_with(p.as_str()));
            if wanted {
                out.push(self.observed(&e).await?);
            }
        }
        Ok(out)
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        served(portal, kind)?;
        if let Some(existing) = self.adoptable(req).await? {
            return self.put(&existing["enterpriseId"], req).await;
        }
        let lookups = self.lookups().await?;
        let body = Value::Object(to_vendor(req, lookups)?);
        match self
            .send_json(Method::POST, "reseller/newEnterprise", &body)
            .await
        {
            Ok((StatusCode::NOT_FOUND, _)) => Err(PortalError::Protocol {
                portal: Self::portal().to_owned(),
                status: 404,
                detail: "reseller/newEnterprise does not exist at this URL; check the PortalConnection's spec.url".to_owned(),
            }),
            Ok((_, created)) => self.outcome(&created).await,
            // Created by a try whose answer was lost, or by someone else meanwhile: adopt.
            Err(PortalError::Rejected { status: 409, .. }) => match self.adoptable(req).await? {
                Some(existing) => self.put(&existing["enterpriseId"], req).await,
                None => Err(PortalError::Rejected {
                    portal: Self::portal().to_owned(),
                    status: 409,
                    code: "EnterpriseNameTaken".to_owned(),
                    message: "ConnectToTeams refused the enterprise name as taken".to_owned(),
                    field: Some("spec.name".to_owned()),
                }),
            },
            Err(e) => Err(e),
        }
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        served(portal, kind)?;
        self.put(&numeric_id(id)?, req).await
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        served(portal, kind)?;
        let id = numeric_id(id)?;
        self.http
            .call(
                Self::portal(),
                Method::DELETE,
                &format!("reseller/deleteEnterprise/{id}"),
                None,
            )
            .await
            .map_err(vendor_code)?;
        // 404: already gone, which counts as deleted.
        Ok(DeleteOutcome::Deleted)
    }

    async fn operation(
        &self,
        portal: Portal,
        _kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        served(portal, KIND)?;
        let enterprise = id.strip_prefix(OP_PREFIX).unwrap_or(id);
        let found = self.enterprises().await?.into_iter().find(|e| {
            e["enterpriseId"].as_i64().map(|n| n.to_string()).as_deref() == Some(enterprise)
        });
        let Some(e) = found else {
            return Err(PortalError::Rejected {
                portal: Self::portal().to_owned(),
                status: 404,
                code: "OperationNotFound".to_owned(),
                message: format!("enterprise {enterprise} is unknown to ConnectToTeams"),
                field: None,
            });
        };
        Ok(operation_of(&self.observed(&e).await?))
    }

    fn calls(&self) -> CallCounts {
        self.http.calls()
    }
}

fn served(portal: Portal, kind: &str) -> Result<(), PortalError> {
    super::served(crate::api::ConnectionApi::ConnectToTeams, portal, kind)
}

fn numeric_id(id: &str) -> Result<Value, PortalError> {
    id.parse::<i64>()
        .map(Value::from)
        .map_err(|_| PortalError::Protocol {
            portal: Portal::TeamMate.id().to_owned(),
            status: 0,
            detail: format!("{id:?} is not a ConnectToTeams enterprise id"),
        })
}

fn decode<T: serde::de::DeserializeOwned>(
    status: StatusCode,
    bytes: &[u8],
    path: &str,
) -> Result<T, PortalError> {
    serde_json::from_slice(bytes).map_err(|e| PortalError::Protocol {
        portal: Portal::TeamMate.id().to_owned(),
        status: status.as_u16(),
        detail: format!("{path}: {e}"),
    })
}

fn protocol(status: StatusCode, e: &serde_json::Error) -> PortalError {
    PortalError::Protocol {
        portal: Portal::TeamMate.id().to_owned(),
        status: status.as_u16(),
        detail: e.to_string(),
    }
}

/// The vendor's status codes as stable tenantry codes (its bodies carry no code of their own).
fn vendor_code(err: PortalError) -> PortalError {
    match err {
        PortalError::Rejected {
            portal,
            status,
            code,
            message,
            field,
        } if code.starts_with("Http") => {
            let code = match status {
                400 => "C2tBadRequest",
                401 => "C2tUnauthorized",
                403 => "C2tForbidden",
                409 => "C2tConflict",
                415 => "C2tUnsupportedMediaType",
                _ => "C2tRejected",
            };
            PortalError::Rejected {
                portal,
                status,
                code: code.to_owned(),
                message: format!("ConnectToTeams: {message}"),
                field,
            }
        }
        other => other,
    }
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn strings(spec: &Map<String, Value>, key: &str) -> Vec<String> {
    spec.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The vendor ids of declared names; an unknown name is a clear error with the valid ones.
fn ids(
    declared: &[String],
    offered: &[(i64, String)],
    field: &str,
    shown: impl Fn(&str) -> String,
) -> Result<Vec<Value>, PortalError> {
    declared
        .iter()
        .map(|name| {
            offered
                .iter()
                .find(|(_, o)| normalize(o) == normalize(name))
                .map(|(id, _)| Value::from(*id))
                .ok_or_else(|| {
                    let valid: Vec<String> = offered.iter().map(|(_, o)| shown(o)).collect();
                    PortalError::Rejected {
                        portal: Portal::TeamMate.id().to_owned(),
                        status: 422,
                        code: "UnknownVendorName".to_owned(),
                        message: format!(
                            "spec.teamsConnector.{field}: {name} is not offered by this ConnectToTeams reseller; valid: {}",
                            valid.join(", ")
                        ),
                        field: Some(format!("spec.{field}")),
                    }
                })
        })
        .collect()
}

/// tenantry's name of a vendor SBC region (the vendor's own when tenantry has none).
fn region_name(vendor: &str) -> String {
    REGIONS
        .iter()
        .find(|r| normalize(r) == normalize(vendor))
        .map_or_else(|| vendor.to_owned(), |r| (*r).to_owned())
}

/// The `NewEnterprise` body of a declared enterprise.
fn to_vendor(req: &WriteRequest, lookups: &Lookups) -> Result<Map<String, Value>, PortalError> {
    let spec = &req.spec;
    let flag = |k: &str| spec.get(k).and_then(Value::as_bool).unwrap_or(false);
    let sbc = ids(
        &strings(spec, "sbcRegions"),
        &lookups.sbc,
        "sbcRegions",
        region_name,
    )?;
    let pbx = ids(
        &strings(spec, "pbxTypes"),
        &lookups.pbx,
        "pbxTypes",
        str::to_owned,
    )?;
    let policy = serde_json::to_value(req.deletion_policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut body = Map::new();
    body.insert(
        "enterpriseName".into(),
        spec.get("name").cloned().unwrap_or_default(),
    );
    body.insert("resellerId".into(), lookups.reseller_id.into());
    body.insert(
        "services".into(),
        spec.get("services").cloned().unwrap_or(json!([])),
    );
    body.insert("sbcGateways".into(), Value::Array(sbc));
    body.insert("pbxId".into(), Value::Array(pbx));
    if let Some(limit) = spec.get("userLimit") {
        body.insert("userLimit".into(), limit.clone());
    }
    body.insert("pbxMOH".into(), flag("musicOnHold").into());
    body.insert(
        "canResellerManageEnterpriseProvisioning".into(),
        flag("requestConsent").into(),
    );
    // ⚠ Not in the KB's NewEnterprise: the Global Admin's e-mail (the portal form's
    // "Enterprise Admin Email"), SIP data access, and enabled.
    body.insert(
        "registeredBy".into(),
        spec.get("adminEmail").cloned().unwrap_or_default(),
    );
    body.insert(
        "entConfigInfos".into(),
        json!([{"value": flag("sipDataAccess").to_string(), "configDetails": {"name": "ACCESS_SIP_DATA"}}]),
    );
    body.insert("enabled".into(), flag("enabled").into());
    body.insert(
        "billingReferences".into(),
        json!([
            format!("{REF_TAG}{}", req.external_ref),
            format!("{POLICY_TAG}{policy}")
        ]),
    );
    Ok(body)
}

fn tag<'a>(enterprise: &'a Value, prefix: &str) -> Option<&'a str> {
    enterprise["billingReferences"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|r| r.strip_prefix(prefix))
}

fn external_ref(enterprise: &Value) -> Option<String> {
    tag(enterprise, REF_TAG).map(str::to_owned)
}

/// The Global Admin's next step, or `None` when registered and consented (or declined).
fn next_step(enterprise: &Value) -> Option<&'static str> {
    if enterprise["registrationStatus"] == "DECLINED" {
        return None;
    }
    STEPS
        .iter()
        .find(|s| enterprise["consents"][**s] != "GRANTED")
        .copied()
}

/// An enterprise in tenantry's observed shape.
fn to_object(e: &Value, lookups: &Lookups, action_url: Option<String>) -> PortalObject {
    let mut spec = Map::new();
    spec.insert("name".into(), e["enterpriseName"].clone());
    spec.insert("adminEmail".into(), e["registeredBy"].clone());
    if let Some(limit) = e.get("userLimit").filter(|v| !v.is_null()) {
        spec.insert("userLimit".into(), limit.clone());
    }
    spec.insert(
        "musicOnHold".into(),
        e["pbxMOH"].as_bool().unwrap_or(false).into(),
    );
    let sip = e["entConfigInfos"].as_array().and_then(|a| {
        a.iter()
            .find(|c| c["configDetails"]["name"] == "ACCESS_SIP_DATA")
            .map(|c| c["value"] == "true")
    });
    spec.insert("sipDataAccess".into(), sip.unwrap_or(false).into());
    spec.insert(
        "requestConsent".into(),
        e["canResellerManageEnterpriseProvisioning"]
            .as_bool()
            .unwrap_or(false)
            .into(),
    );
    let names = |key: &str, offered: &[(i64, String)], show: &dyn Fn(&str) -> String| -> Value {
        Value::Array(
            e[key]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .map(|id| {
                            offered
                                .iter()
                                .find(|(o, _)| id.as_i64() == Some(*o))
                                .map_or_else(|| id.to_string(), |(_, n)| show(n))
                                .into()
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    spec.insert(
        "sbcRegions".into(),
        names("sbcGateways", &lookups.sbc, &region_name),
    );
    spec.insert(
        "services".into(),
        e.get("services").cloned().unwrap_or(json!([])),
    );
    spec.insert(
        "pbxTypes".into(),
        names("pbxId", &lookups.pbx, &str::to_owned),
    );
    spec.insert(
        "enabled".into(),
        e["enabled"].as_bool().unwrap_or(true).into(),
    );

    let declined = e["registrationStatus"] == "DECLINED";
    let step = next_step(e);
    let phase = match (declined, step) {
        (true, _) => "Failed",
        (false, Some(_)) => "AwaitingConsent",
        (false, None) => "Ready",
    };
    let mut status = Map::new();
    status.insert("phase".into(), phase.into());
    status.insert("registrationStatus".into(), e["registrationStatus"].clone());
    status.insert(
        "consent".into(),
        match (declined, step) {
            (true, _) => "Declined",
            (false, None) => "Granted",
            (false, Some("REGISTRATION")) => "Pending",
            (false, Some(_)) => "Partial",
        }
        .into(),
    );
    if let (Some(step), Some(url)) = (step, action_url) {
        // Not a secret: the Global Admin signs in with their own Microsoft account there.
        status.insert("pendingAction".into(), step.into());
        status.insert("actionUrl".into(), url.into());
    }
    if declined {
        status.insert(
            "failure".into(),
            json!({"reason": "ConsentDeclined", "message": "the customer's Global Admin declined the ConnectToTeams consent; ask them to grant it, or delete and re-create the enterprise"}),
        );
    }
    let deletion_policy = tag(e, POLICY_TAG)
        .and_then(|p| serde_json::from_value(Value::String(p.to_owned())).ok())
        .unwrap_or(DeletionPolicy::Orphan);
    PortalObject {
        id: e["enterpriseId"].to_string(),
        external_ref: external_ref(e).unwrap_or_default(),
        deletion_policy,
        version: 0,
        spec,
        status,
    }
}

/// The consent wait of an observed enterprise as an operation the engine polls.
fn operation_of(object: &PortalObject) -> Operation {
    let (state, reason, message) = match object.phase() {
        Some("Ready") => (OperationState::Succeeded, None, None),
        Some("Failed") => (
            OperationState::Failed,
            Some("ConsentDeclined".to_owned()),
            object.status["failure"]["message"]
                .as_str()
                .map(str::to_owned),
        ),
        _ => {
            let step = object.status["pendingAction"]
                .as_str()
                .unwrap_or("REGISTRATION");
            let url = object.status["actionUrl"]
                .as_str()
                .unwrap_or("(not available)");
            (
                OperationState::AwaitingHuman,
                Some("AwaitingConsent".to_owned()),
                Some(format!(
                    "waiting for the customer's Global Admin to complete ConnectToTeams {step}: send them {url}"
                )),
            )
        }
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

    #[test]
    fn vendor_region_names_map_to_tenantry_names() {
        assert_eq!(region_name("US-East"), "UsEast");
        assert_eq!(region_name("United-Kingdom"), "UnitedKingdom");
        assert_eq!(region_name("Mars-North"), "Mars-North");
    }

    #[test]
    fn the_next_step_follows_the_consents() {
        let pending =
            json!({"registrationStatus": "PENDING", "consents": {"REGISTRATION": "PENDING"}});
        assert_eq!(next_step(&pending), Some("REGISTRATION"));
        let partial = json!({"registrationStatus": "REGISTERED", "consents": {"REGISTRATION": "GRANTED", "GET_USER_SYNC_CONSENT": "PENDING"}});
        assert_eq!(next_step(&partial), Some("GET_USER_SYNC_CONSENT"));
        let declined = json!({"registrationStatus": "DECLINED"});
        assert_eq!(next_step(&declined), None);
    }
}

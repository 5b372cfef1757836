//! An emulator of The Campaign Registry's CSP API (10DLC, seed 003; vendor-apis.md §5 and §8
//! "TCR"), on the vendor's own paths under `/tcr/v2`: HTTP Basic with the CSP's API key and
//! secret on every call, brands (`B` + 6), campaigns (`C` + 6), the campaign's sharing with
//! the upstream connectivity partner, and its per-carrier operation status. Errors are TCR's
//! array of `{code, field, description}` (the numeric codes are ⚠ guessed).
//!
//! Brands and campaigns are registered by people in the TCR portal (and paid for), so the
//! emulator has no registration call tenantry would use; a test registers them through the
//! controls under `/sandbox/tcr`, which also play the registry and the carriers: a brand's
//! identity status arrives later (`identityStatus` absent until set), sharing moves from
//! `PENDING` to `ACCEPTED` or `DECLINED` (with feedback), a campaign expires (terminal) or is
//! suspended and resumed by a carrier. State is in memory.

// The checks answer with the vendor's error response itself; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::Sensitive;
use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::edge;
use crate::sandbox::identity::basic_credentials;
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

/// The emulator's name in the wire log (`Sandbox::wire_requests`).
pub const VENDOR: &str = "tcr";

/// Where the emulator is served on the sandbox's port (TCR's base path is `/v2`).
pub const PREFIX: &str = "/tcr/v2";

/// The CSP every API key of the emulator belongs to.
pub const CSP_ID: &str = "SDEMO01";

/// The upstream connectivity partner (DCA) campaigns are shared with.
pub const UPSTREAM_CNP: &str = "SANGOMA";

/// The carriers (MNO ids) that report a campaign's operation status.
const MNOS: [&str; 3] = ["10017", "10035", "10038"];

/// Who may call the emulator.
#[derive(Debug, Clone, Default)]
pub struct TcrConfig {
    /// API keys and secrets (generated in the CSP portal); any non-empty pair when `None`.
    pub keys: Option<Vec<(String, Sensitive)>>,
}

/// The brand of the fixtures' campaigns.
const DEMO_BRAND: &str = "BSANDBX";

#[derive(Debug, Clone)]
struct Brand {
    id: String,
    display_name: String,
    entity_type: String,
    /// `None` while TCR is still scoring the brand.
    identity_status: Option<String>,
}

#[derive(Debug, Clone)]
struct Campaign {
    id: String,
    brand_id: String,
    usecase: String,
    description: String,
    expired: bool,
    suspended: bool,
    /// `PENDING`, `ACCEPTED`, `DECLINED`; `None` when not shared yet.
    sharing: Option<String>,
    feedback: Option<String>,
    shared_ms: i64,
    status_ms: i64,
}

#[derive(Default)]
struct Inner {
    brands: BTreeMap<String, Brand>,
    campaigns: BTreeMap<String, Campaign>,
    serial: u64,
}

/// The emulator's state, part of the sandbox's shared state.
#[derive(Default)]
pub(crate) struct Emulator {
    pub config: TcrConfig,
    inner: Mutex<Inner>,
}

impl Emulator {
    pub fn new(config: TcrConfig) -> Self {
        Self {
            config,
            inner: Mutex::default(),
        }
    }

    /// The emulator with the fixtures' registered campaigns already accepted by the carriers,
    /// under one verified brand: the sandbox's inventory says they are registered in TCR, so
    /// the contract and this emulator describe the same world.
    pub fn with_registered(
        config: TcrConfig,
        campaigns: &[crate::sandbox::fixtures::Campaign],
    ) -> Self {
        let emulator = Self::new(config);
        let registered: Vec<_> = campaigns.iter().filter(|c| c.registered).collect();
        if registered.is_empty() {
            return emulator;
        }
        let mut inner = emulator.lock();
        inner.brands.insert(
            DEMO_BRAND.to_owned(),
            Brand {
                id: DEMO_BRAND.to_owned(),
                display_name: "Sandbox demo brand".to_owned(),
                entity_type: "PRIVATE_PROFIT".to_owned(),
                identity_status: Some("VERIFIED".to_owned()),
            },
        );
        let now = now_ms();
        for c in registered {
            inner.campaigns.insert(
                c.id.clone(),
                Campaign {
                    id: c.id.clone(),
                    brand_id: DEMO_BRAND.to_owned(),
                    usecase: "MIXED".to_owned(),
                    description: c.name.clone(),
                    expired: false,
                    suspended: false,
                    sharing: Some("ACCEPTED".to_owned()),
                    feedback: None,
                    shared_ms: now,
                    status_ms: now,
                },
            );
        }
        drop(inner);
        emulator
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// A fresh id: `prefix` and 6 upper-case alphanumerics, as TCR assigns.
    fn new_id(&mut self, prefix: char) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        self.serial += 1;
        let mut n = self.serial.wrapping_mul(2_654_435_761) ^ 0x5DEE_CE66;
        let mut id = String::from(prefix);
        for _ in 0..6 {
            id.push(char::from(ALPHABET[(n % 32) as usize]));
            n /= 32;
        }
        id
    }
}

type St = State<Arc<Shared>>;

/// The emulator's routes (vendor API under [`PREFIX`], controls under `/sandbox/tcr`).
pub(crate) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let api = Router::new()
        .route(&format!("{PREFIX}/campaign"), get(list_campaigns))
        .route(
            &format!("{PREFIX}/campaign/{{campaignId}}"),
            get(get_campaign),
        )
        .route(
            &format!("{PREFIX}/campaign/{{campaignId}}/sharing"),
            get(get_sharing),
        )
        .route(
            &format!("{PREFIX}/campaign/{{campaignId}}/operationStatus"),
            get(operation_status),
        )
        .route(&format!("{PREFIX}/brand/{{brandId}}"), get(get_brand))
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/tcr/brands", post(put_brand))
        .route("/sandbox/tcr/campaigns", post(put_campaign))
        .route("/sandbox/tcr/sharing", post(set_sharing))
        .route("/sandbox/tcr/campaign-state", post(set_state))
        .route("/sandbox/tcr/requests", get(requests))
        .layer(from_fn_with_state(Arc::clone(shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    api.merge(controls)
}

/// TCR's error body: an array of `{code, field, description}`.
fn tcr_error(status: StatusCode, code: u32, field: Option<&str>, description: &str) -> Response {
    let mut error = json!({"code": code, "description": description});
    if let Some(field) = field {
        error["field"] = field.into();
    }
    (status, Json(json!([error]))).into_response()
}

/// Records the request, then checks HTTP Basic with a known API key and secret.
fn accept(
    shared: &Shared,
    path: &str,
    query: Vec<String>,
    headers: &HeaderMap,
) -> Result<(), Response> {
    record(shared, VENDOR, "GET", path, query, headers, Value::Null);
    let ok = match basic_credentials(headers) {
        Some((key, secret)) => match &shared.tcr.config.keys {
            Some(keys) => keys.iter().any(|(k, s)| *k == key && s.expose() == secret),
            None => !key.is_empty() && !secret.is_empty(),
        },
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(tcr_error(
            StatusCode::UNAUTHORIZED,
            401,
            None,
            "Unauthorized: send the API key and secret as HTTP Basic",
        ))
    }
}

fn campaign_json(c: &Campaign) -> Value {
    json!({
        "campaignId": c.id,
        "cspId": CSP_ID,
        "brandId": c.brand_id,
        "usecase": c.usecase,
        "subUsecases": [],
        "vertical": "TECHNOLOGY",
        "description": c.description,
        "status": if c.expired { "EXPIRED" } else { "ACTIVE" },
        "autoRenewal": true,
        "mock": false,
    })
}

fn not_found(what: &str, field: &str, id: &str) -> Response {
    tcr_error(
        StatusCode::BAD_REQUEST,
        504,
        Some(field),
        &format!("Record ({what}) not found: {id}"),
    )
}

/// `GET /campaign`: the CSP's campaigns, a page at a time (`page` from 1, at most 500).
async fn list_campaigns(
    State(shared): St,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = accept(&shared, "/campaign", q.keys().cloned().collect(), &headers) {
        return r;
    }
    let number = |name: &str, default: usize| {
        q.get(name)
            .map_or(Some(default), |v| v.parse::<usize>().ok())
    };
    let (Some(page), Some(per_page)) = (number("page", 1), number("recordsPerPage", 10)) else {
        return tcr_error(
            StatusCode::BAD_REQUEST,
            400,
            None,
            "page and recordsPerPage are numbers",
        );
    };
    if !(1..=500).contains(&per_page) {
        return tcr_error(
            StatusCode::BAD_REQUEST,
            400,
            Some("recordsPerPage"),
            "Max size is 500",
        );
    }
    let number = page.max(1);
    let inner = shared.tcr.lock();
    let records: Vec<Value> = inner
        .campaigns
        .values()
        .skip((number - 1) * per_page)
        .take(per_page)
        .map(campaign_json)
        .collect();
    Json(json!({"page": number, "totalRecords": inner.campaigns.len(), "records": records}))
        .into_response()
}

/// `GET /campaign/{campaignId}`.
async fn get_campaign(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = accept(&shared, "/campaign/{campaignId}", vec![], &headers) {
        return r;
    }
    match shared.tcr.lock().campaigns.get(&id) {
        Some(c) => Json(campaign_json(c)).into_response(),
        None => not_found("campaign", "campaignId", &id),
    }
}

/// `GET /campaign/{campaignId}/sharing`: the campaign as shared by this CSP (`sharedByMe`).
async fn get_sharing(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = accept(&shared, "/campaign/{campaignId}/sharing", vec![], &headers) {
        return r;
    }
    let inner = shared.tcr.lock();
    let Some(c) = inner.campaigns.get(&id) else {
        return not_found("campaign", "campaignId", &id);
    };
    let by_me = c.sharing.as_ref().map(|status| {
        let mut s = json!({
            "downstreamCnpId": CSP_ID,
            "upstreamCnpId": UPSTREAM_CNP,
            "sharingStatus": status,
            "sharedDate": rfc3339_seconds(c.shared_ms),
            "statusDate": rfc3339_seconds(c.status_ms),
        });
        // ⚠ Not in the published schema: the CNP's feedback on a decline, which the TCR portal
        // shows (vendor-apis.md §5, "DECLINED (with feedback)").
        if let Some(feedback) = &c.feedback {
            s["explanation"] = feedback.clone().into();
        }
        s
    });
    Json(json!({"sharedByMe": by_me, "sharedWithMe": null})).into_response()
}

/// `GET /campaign/{campaignId}/operationStatus`: each carrier's word on the campaign.
async fn operation_status(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = "/campaign/{campaignId}/operationStatus";
    if let Err(r) = accept(&shared, path, vec![], &headers) {
        return r;
    }
    let inner = shared.tcr.lock();
    let Some(c) = inner.campaigns.get(&id) else {
        return not_found("campaign", "campaignId", &id);
    };
    let status = match (c.sharing.as_deref(), c.suspended) {
        (_, true) => "SUSPENDED",
        (Some("ACCEPTED"), false) => "APPROVED",
        (Some("DECLINED"), false) => "REJECTED",
        _ => "REVIEW",
    };
    let map: serde_json::Map<String, Value> = MNOS
        .iter()
        .map(|m| ((*m).to_owned(), status.into()))
        .collect();
    Json(Value::Object(map)).into_response()
}

/// `GET /brand/{brandId}`: `identityStatus` is absent until TCR has scored the brand.
async fn get_brand(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = accept(&shared, "/brand/{brandId}", vec![], &headers) {
        return r;
    }
    let inner = shared.tcr.lock();
    let Some(b) = inner.brands.get(&id) else {
        return not_found("brand", "brandId", &id);
    };
    let mut brand = json!({
        "brandId": b.id,
        "cspId": CSP_ID,
        "displayName": b.display_name,
        "entityType": b.entity_type,
        "country": "US",
        "brandRelationship": "BASIC_ACCOUNT",
        "mock": false,
    });
    if let Some(status) = &b.identity_status {
        brand["identityStatus"] = status.clone().into();
    }
    Json(brand).into_response()
}

/// The body of `POST /sandbox/tcr/brands`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BrandSeed {
    brand_id: Option<String>,
    #[serde(default)]
    display_name: String,
    entity_type: Option<String>,
    identity_status: Option<String>,
}

const IDENTITY: [&str; 4] = ["SELF_DECLARED", "UNVERIFIED", "VERIFIED", "VETTED_VERIFIED"];

/// `POST /sandbox/tcr/brands`: registers (or updates) a brand, as a person does in the TCR
/// portal; `identityStatus` left out is TCR still scoring it (it arrives later, by another
/// post).
async fn put_brand(State(shared): St, Json(seed): Json<BrandSeed>) -> Response {
    if let Some(s) = &seed.identity_status
        && !IDENTITY.contains(&s.as_str())
    {
        return tcr_error(
            StatusCode::BAD_REQUEST,
            400,
            Some("identityStatus"),
            &format!("one of {}", IDENTITY.join(", ")),
        );
    }
    let mut inner = shared.tcr.lock();
    let id = seed.brand_id.unwrap_or_else(|| inner.new_id('B'));
    let brand = Brand {
        id: id.clone(),
        display_name: seed.display_name,
        entity_type: seed
            .entity_type
            .unwrap_or_else(|| "PRIVATE_PROFIT".to_owned()),
        identity_status: seed.identity_status,
    };
    inner.brands.insert(id.clone(), brand);
    (StatusCode::CREATED, Json(json!({"brandId": id}))).into_response()
}

/// The body of `POST /sandbox/tcr/campaigns`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CampaignSeed {
    campaign_id: Option<String>,
    brand_id: String,
    #[serde(default = "marketing")]
    usecase: String,
    #[serde(default)]
    description: String,
    /// `PENDING` (the default: shared with the CNP at registration), `ACCEPTED`, or `null`.
    #[serde(default = "pending")]
    sharing_status: Option<String>,
}

fn marketing() -> String {
    "MARKETING".to_owned()
}

fn pending() -> Option<String> {
    Some("PENDING".to_owned())
}

/// `POST /sandbox/tcr/campaigns`: a campaign registered (and paid for) in the TCR portal and
/// shared with the upstream CNP; its id is `C` + 6 characters unless given.
async fn put_campaign(State(shared): St, Json(seed): Json<CampaignSeed>) -> Response {
    let mut inner = shared.tcr.lock();
    if !inner.brands.contains_key(&seed.brand_id) {
        return not_found("brand", "brandId", &seed.brand_id);
    }
    let id = seed.campaign_id.unwrap_or_else(|| inner.new_id('C'));
    let now = now_ms();
    inner.campaigns.insert(
        id.clone(),
        Campaign {
            id: id.clone(),
            brand_id: seed.brand_id,
            usecase: seed.usecase,
            description: seed.description,
            expired: false,
            suspended: false,
            sharing: seed.sharing_status,
            feedback: None,
            shared_ms: now,
            status_ms: now,
        },
    );
    (StatusCode::CREATED, Json(json!({"campaignId": id}))).into_response()
}

/// The body of `POST /sandbox/tcr/sharing`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SharingOutcome {
    campaign_id: String,
    sharing_status: String,
    explanation: Option<String>,
}

/// `POST /sandbox/tcr/sharing`: the CNP's review, days later in real life: `ACCEPTED` or
/// `DECLINED` (with feedback), or `PENDING` again (the CSP edited and resubmitted).
async fn set_sharing(State(shared): St, Json(outcome): Json<SharingOutcome>) -> Response {
    if !["PENDING", "ACCEPTED", "DECLINED"].contains(&outcome.sharing_status.as_str()) {
        return tcr_error(
            StatusCode::BAD_REQUEST,
            400,
            Some("sharingStatus"),
            "PENDING, ACCEPTED or DECLINED",
        );
    }
    let mut inner = shared.tcr.lock();
    let Some(c) = inner.campaigns.get_mut(&outcome.campaign_id) else {
        return not_found("campaign", "campaignId", &outcome.campaign_id);
    };
    c.feedback = (outcome.sharing_status == "DECLINED").then(|| {
        outcome
            .explanation
            .unwrap_or_else(|| "declined by the connectivity partner".to_owned())
    });
    c.sharing = Some(outcome.sharing_status);
    c.status_ms = now_ms();
    Json(campaign_json(c)).into_response()
}

/// The body of `POST /sandbox/tcr/campaign-state`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CampaignState {
    campaign_id: String,
    expired: Option<bool>,
    suspended: Option<bool>,
}

/// `POST /sandbox/tcr/campaign-state`: a campaign expires (terminal: it cannot be set back)
/// or a carrier suspends or resumes it.
async fn set_state(State(shared): St, Json(state): Json<CampaignState>) -> Response {
    let mut inner = shared.tcr.lock();
    let Some(c) = inner.campaigns.get_mut(&state.campaign_id) else {
        return not_found("campaign", "campaignId", &state.campaign_id);
    };
    if state.expired == Some(false) && c.expired {
        return tcr_error(
            StatusCode::BAD_REQUEST,
            400,
            Some("status"),
            "an EXPIRED campaign cannot be reactivated",
        );
    }
    if let Some(expired) = state.expired {
        c.expired = expired;
    }
    if let Some(suspended) = state.suspended {
        c.suspended = suspended;
    }
    Json(campaign_json(c)).into_response()
}

/// `GET /sandbox/tcr/requests`: what the emulator received.
async fn requests(State(shared): St) -> Response {
    Json(shared.wire.of(VENDOR)).into_response()
}

//! An emulator of the Microsoft Partner Center REST API v1 (seed 000's Azure AD and Microsoft
//! Online; vendor-apis.md §1 and §8 "Partner Center") on the vendor's own paths under `/pc`:
//! domain availability, customers, agreements (MCA attestation) and orders, with Partner
//! Center's error body `{code, description, data, source}`. Tokens come from the sandbox's
//! identity endpoint (the `login.microsoftonline.com` emulation); a bearer it did not issue is
//! refused.
//!
//! Traps reproduced (§8): `HEAD /v1/domains/{d}` answers 200 when the domain is TAKEN and 404
//! when free; `POST /v1/customers` is idempotent on `MS-RequestId` (a replay returns the same
//! customer WITHOUT `userCredentials.password`; a new id with a taken domain fails); a new
//! customer is not usable for a while (404 60003); a purchase before the MCA attestation is 403
//! 13605; orders are `pending` and complete later on the sandbox clock; a second order while
//! one is pending is 409 800060; list throttling (429 + `Retry-After` +
//! `{statusCode, message}`, switched on by a control); `MS-RequestId`/`MS-CorrelationId`
//! echoed and `MS-CV` added; customer lists paged with `links.next` + `MS-ContinuationToken`.
//!
//! Assumed (⚠, docs/providers.md): `PUT /v1/customers/{id}/profiles/billing` (the SDK has
//! it; the derived description does not), the status and error code of a create whose domain
//! is taken (409 / `1000`). State is in memory.

// The checks answer with the vendor's error response itself.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::sandbox::clock::{now_ms, rfc3339_seconds};
use crate::sandbox::edge;
use crate::sandbox::identity::{Verdict, random_token};
use crate::sandbox::state::Shared;
use crate::sandbox::vendors::record;

/// The emulator's name in the wire log (`Sandbox::wire_requests`).
pub const VENDOR: &str = "pc";

/// The MCA template the emulator offers.
pub const MCA_TEMPLATE: &str = "117a77b0-9360-443b-8795-c6dedc750cf9";

/// Customers per page when the caller asks for no size.
const PAGE: usize = 40;

struct Customer {
    id: String,
    company: Map<String, Value>,
    billing: Map<String, Value>,
    /// Not usable (404) before this instant (ms).
    usable_at: i64,
    agreements: Vec<Value>,
    orders: Vec<Order>,
}

struct Order {
    id: String,
    line_items: Vec<Value>,
    created: i64,
    completes_at: i64,
}

impl Order {
    fn to_json(&self, customer: &str) -> Value {
        let done = now_ms() >= self.completes_at;
        json!({
            "id": self.id,
            "referenceCustomerId": customer,
            "lineItems": self.line_items,
            "creationDate": rfc3339_seconds(self.created),
            "status": if done { "completed" } else { "pending" },
            "links": {"provisioningStatus": {"uri": format!("/customers/{customer}/orders/{}/provisioningstatus", self.id), "method": "GET", "headers": []}},
            "attributes": {"objectType": "Order"},
        })
    }
}

impl Customer {
    fn to_json(&self) -> Value {
        let mut company = self.company.clone();
        company.insert("tenantId".into(), self.id.clone().into());
        let mut billing = self.billing.clone();
        billing.insert("id".into(), format!("{}-billing", self.id).into());
        json!({
            "id": self.id,
            "commerceId": format!("c-{}", self.id),
            "companyProfile": company,
            "billingProfile": billing,
            "relationshipToPartner": "reseller",
            "attributes": {"objectType": "Customer"},
        })
    }
}

#[derive(Default)]
struct Inner {
    customers: Vec<Customer>,
    /// `MS-RequestId` of a customer create → the customer's id.
    created_by: BTreeMap<String, String>,
    /// `MS-RequestId` of an order → (customer id, order id).
    ordered_by: BTreeMap<String, (String, String)>,
    /// Domains taken outside this partner's customers (other partners' tenants).
    taken: Vec<String>,
    /// List calls still to throttle.
    throttle: u32,
    /// Admin passwords handed out (for the tests' leak checks).
    passwords: Vec<String>,
    settings: Settings,
}

/// Timings of the emulator (nominal; scaled by the sandbox's time scale).
#[derive(Clone, Copy)]
struct Settings {
    usable_after: Duration,
    order_takes: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            usable_after: Duration::from_secs(30),
            order_takes: Duration::from_secs(120),
        }
    }
}

/// The emulator's state, part of the sandbox's shared state.
#[derive(Default)]
pub(crate) struct Emulator {
    inner: Mutex<Inner>,
}

impl Emulator {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type St = State<Arc<Shared>>;

/// The emulator's routes (vendor API under [`PREFIX`], controls under `/sandbox/pc`).
pub(crate) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    let api = Router::new()
        .route("/pc/v1/domains/{domain}", axum::routing::head(domain))
        .route(
            "/pc/v1/customers",
            post(create_customer).get(list_customers),
        )
        .route("/pc/v1/customers/{id}", get(get_customer))
        .route("/pc/v1/customers/{id}/profiles/billing", put(put_billing))
        .route("/pc/v1/agreements", get(agreement_templates))
        .route(
            "/pc/v1/customers/{id}/agreements",
            get(list_agreements).post(create_agreement),
        )
        .route(
            "/pc/v1/customers/{id}/orders",
            get(list_orders).post(create_order),
        )
        .route("/pc/v1/customers/{id}/orders/{order}", get(get_order))
        .layer(from_fn_with_state(Arc::clone(shared), edge::faults_and_log));
    let controls = Router::new()
        .route("/sandbox/pc/customers", post(seed_customer))
        .route("/sandbox/pc/settings", post(settings))
        .route("/sandbox/pc/state", get(state))
        .layer(from_fn_with_state(Arc::clone(shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    api.merge(controls)
}

/// A request as received: its tracing headers, echoed on the answer.
struct Call {
    request_id: Option<String>,
    correlation_id: Option<String>,
}

impl Call {
    fn answer(&self, status: StatusCode, body: Option<Value>) -> Response {
        let mut response = match body {
            Some(b) => (status, Json(b)).into_response(),
            None => status.into_response(),
        };
        let h = response.headers_mut();
        for (name, value) in [
            ("ms-requestid", &self.request_id),
            ("ms-correlationid", &self.correlation_id),
        ] {
            if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert(name, v);
            }
        }
        if let Ok(cv) = HeaderValue::from_str(&format!("{}.0", &random_token("")[..16])) {
            h.insert("ms-cv", cv);
        }
        response
    }

    fn ok(&self, status: StatusCode, body: Value) -> Response {
        self.answer(status, Some(body))
    }

    /// Partner Center's error body.
    fn fault(&self, status: StatusCode, code: &str, description: impl Into<String>) -> Response {
        self.ok(
            status,
            json!({"code": code, "description": description.into(), "data": [], "source": "PartnerFD"}),
        )
    }
}

/// Records the request, then checks its bearer token; `Err` is the vendor's answer.
fn begin(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Vec<String>,
    headers: &HeaderMap,
    body: Value,
) -> Result<Call, Response> {
    record(shared, VENDOR, method, path, query, headers, body);
    let text = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let call = Call {
        request_id: text("ms-requestid"),
        correlation_id: text("ms-correlationid"),
    };
    let token = text(header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned()))
        .filter(|t| !t.is_empty());
    let valid = token.is_some_and(|t| matches!(shared.issued.verdict(&t), Verdict::Valid));
    if !valid {
        return Err(call.fault(
            StatusCode::UNAUTHORIZED,
            "401",
            "Authentication failed: the access token is missing, expired or not issued for Partner Center",
        ));
    }
    Ok(call)
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Property names are case-insensitive on input (the SDK sends PascalCase).
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    field(v, name).and_then(Value::as_str).unwrap_or("")
}

/// A JSON object with camelCase names, whatever case the caller used at the top level.
fn camel(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let mut c = k.chars();
                    let key = c
                        .next()
                        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                        .unwrap_or_default();
                    (key, v.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn guid() -> String {
    let t = random_token("");
    format!(
        "{}-{}-{}-{}-{}",
        &t[..8],
        &t[8..12],
        &t[12..16],
        &t[16..20],
        &t[20..32]
    )
}

fn domain_taken(inner: &Inner, domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    inner.taken.contains(&d)
        || inner
            .customers
            .iter()
            .any(|c| text(&Value::Object(c.company.clone()), "domain").eq_ignore_ascii_case(&d))
}

/// `HEAD /v1/domains/{domain}`: 200 = the domain EXISTS (taken), 404 = available.
async fn domain(State(shared): St, Path(d): Path<String>, headers: HeaderMap) -> Response {
    let call = match begin(
        &shared,
        "HEAD",
        "/v1/domains/{domain}",
        vec![],
        &headers,
        Value::Null,
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let taken = domain_taken(&shared.pc.lock(), &d);
    call.answer(
        if taken {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        None,
    )
}

/// `POST /v1/customers`.
async fn create_customer(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let body = json_of(&body);
    let call = match begin(
        &shared,
        "POST",
        "/v1/customers",
        vec![],
        &headers,
        body.clone(),
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(request_id) = call.request_id.clone() else {
        return call.fault(
            StatusCode::BAD_REQUEST,
            "400",
            "MS-RequestId header is required",
        );
    };
    let mut inner = shared.pc.lock();
    // The same request id again (a retry after a timeout): the same customer, and the
    // password is not repeated.
    if let Some(id) = inner.created_by.get(&request_id).cloned()
        && let Some(c) = inner.customers.iter().find(|c| c.id == id)
    {
        return call.ok(StatusCode::CREATED, c.to_json());
    }
    let company = camel(field(&body, "companyProfile"));
    let billing = camel(field(&body, "billingProfile"));
    let domain = text(&Value::Object(company.clone()), "domain").to_ascii_lowercase();
    let b = Value::Object(billing.clone());
    let missing: Vec<&str> = ["email", "culture", "language", "companyName"]
        .into_iter()
        .filter(|f| text(&b, f).is_empty())
        .chain(
            field(&b, "defaultAddress")
                .is_none()
                .then_some("defaultAddress"),
        )
        .collect();
    if !domain.ends_with(".onmicrosoft.com") || !missing.is_empty() {
        return call.fault(
            StatusCode::BAD_REQUEST,
            "400",
            format!(
                "invalid customer: companyProfile.domain must be <name>.onmicrosoft.com; missing billingProfile fields: {}",
                missing.join(", ")
            ),
        );
    }
    if domain_taken(&inner, &domain) {
        return call.fault(
            StatusCode::CONFLICT,
            "1000",
            format!("The domain {domain} is already in use by another tenant"),
        );
    }
    let id = guid();
    let usable = now_ms().saturating_add(shared.time_scale.ms(inner.settings.usable_after));
    let customer = Customer {
        id: id.clone(),
        company,
        billing,
        usable_at: usable,
        agreements: Vec::new(),
        orders: Vec::new(),
    };
    let mut answer = customer.to_json();
    // Generated once: shown in this answer only.
    let password = format!("Pc!{}", &random_token("")[..14]);
    answer["userCredentials"] = json!({"userName": "admin", "password": password});
    inner.passwords.push(password);
    inner.customers.push(customer);
    inner.created_by.insert(request_id, id);
    call.ok(StatusCode::CREATED, answer)
}

/// `GET /v1/customers?size=`: pages linked by `links.next` and `MS-ContinuationToken`.
async fn list_customers(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let names = q.keys().cloned().collect();
    let call = match begin(
        &shared,
        "GET",
        "/v1/customers",
        names,
        &headers,
        Value::Null,
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let size = q
        .get("size")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(PAGE)
        .clamp(1, 500);
    let mut inner = shared.pc.lock();
    if inner.throttle > 0 {
        inner.throttle -= 1;
        let mut r = call.ok(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    let start = headers
        .get("ms-continuationtoken")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("ct-"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let now = now_ms();
    let usable: Vec<Value> = inner
        .customers
        .iter()
        .filter(|c| c.usable_at <= now)
        .map(Customer::to_json)
        .collect();
    let page: Vec<Value> = usable.iter().skip(start).take(size).cloned().collect();
    let mut links =
        json!({"self": {"uri": format!("/customers?size={size}"), "method": "GET", "headers": []}});
    if start + page.len() < usable.len() {
        links["next"] = json!({"uri": format!("/customers?size={size}"), "method": "GET",
            "headers": [{"key": "MS-ContinuationToken", "value": format!("ct-{}", start + page.len())}]});
    }
    call.ok(
        StatusCode::OK,
        json!({"totalCount": page.len(), "items": page, "links": links, "attributes": {"objectType": "Collection"}}),
    )
}

/// The usable customer `id`, or Partner Center's 404 60003.
fn usable<'a>(inner: &'a mut Inner, call: &Call, id: &str) -> Result<&'a mut Customer, Response> {
    let now = now_ms();
    inner
        .customers
        .iter_mut()
        .find(|c| c.id.eq_ignore_ascii_case(id) && c.usable_at <= now)
        .ok_or_else(|| {
            call.fault(
                StatusCode::NOT_FOUND,
                "60003",
                format!("Tenant {id} not found"),
            )
        })
}

/// `GET /v1/customers/{id}`.
async fn get_customer(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let call = match begin(
        &shared,
        "GET",
        "/v1/customers/{customer-tenant-id}",
        vec![],
        &headers,
        Value::Null,
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.pc.lock();
    match usable(&mut inner, &call, &id) {
        Ok(c) => call.ok(StatusCode::OK, c.to_json()),
        Err(r) => r,
    }
}

/// `PUT /v1/customers/{id}/profiles/billing` (⚠ not in the derived description).
async fn put_billing(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = json_of(&body);
    let path = "/v1/customers/{customer-tenant-id}/profiles/billing";
    let call = match begin(&shared, "PUT", path, vec![], &headers, body.clone()) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.pc.lock();
    match usable(&mut inner, &call, &id) {
        Ok(c) => {
            c.billing = camel(Some(&body));
            let mut out = c.billing.clone();
            out.insert("id".into(), format!("{}-billing", c.id).into());
            call.ok(StatusCode::OK, Value::Object(out))
        }
        Err(r) => r,
    }
}

/// `GET /v1/agreements?agreementType=`.
async fn agreement_templates(
    State(shared): St,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let names = q.keys().cloned().collect();
    let call = match begin(
        &shared,
        "GET",
        "/v1/agreements",
        names,
        &headers,
        Value::Null,
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let kind = q
        .get("agreementType")
        .map_or("MicrosoftCloudAgreement", String::as_str);
    let items = if kind == "MicrosoftCustomerAgreement" {
        json!([{"templateId": MCA_TEMPLATE, "agreementType": kind, "agreementLink": "https://aka.ms/customeragreement", "versionRank": 0}])
    } else {
        json!([])
    };
    call.ok(StatusCode::OK, json!({"totalCount": items.as_array().map_or(0, Vec::len), "items": items, "attributes": {"objectType": "Collection"}}))
}

/// `GET /v1/customers/{id}/agreements`.
async fn list_agreements(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = "/v1/customers/{customer-tenant-id}/agreements";
    let call = match begin(&shared, "GET", path, vec![], &headers, Value::Null) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.pc.lock();
    match usable(&mut inner, &call, &id) {
        Ok(c) => call.ok(StatusCode::OK, json!({"totalCount": c.agreements.len(), "items": c.agreements, "attributes": {"objectType": "Collection"}})),
        Err(r) => r,
    }
}

/// `POST /v1/customers/{id}/agreements`: the partner attests the customer's MCA acceptance.
async fn create_agreement(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = json_of(&body);
    let path = "/v1/customers/{customer-tenant-id}/agreements";
    let call = match begin(&shared, "POST", path, vec![], &headers, body.clone()) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let contact = field(&body, "primaryContact")
        .cloned()
        .unwrap_or(Value::Null);
    let complete = ["firstName", "lastName", "email"]
        .iter()
        .all(|f| !text(&contact, f).is_empty());
    if text(&body, "templateId") != MCA_TEMPLATE
        || !complete
        || text(&body, "dateAgreed").is_empty()
    {
        return call.fault(
            StatusCode::BAD_REQUEST,
            "400",
            "an agreement needs the MCA templateId, dateAgreed and primaryContact{firstName, lastName, email}",
        );
    }
    let mut inner = shared.pc.lock();
    match usable(&mut inner, &call, &id) {
        Ok(c) => {
            let mut a = camel(Some(&body));
            a.insert("userId".into(), guid().into());
            let a = Value::Object(a);
            c.agreements.push(a.clone());
            call.ok(StatusCode::CREATED, a)
        }
        Err(r) => r,
    }
}

/// `POST /v1/customers/{id}/orders`.
async fn create_order(
    State(shared): St,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = json_of(&body);
    let path = "/v1/customers/{customer-tenant-id}/orders";
    let call = match begin(&shared, "POST", path, vec![], &headers, body.clone()) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let request_id = call.request_id.clone().unwrap_or_default();
    let mut inner = shared.pc.lock();
    let takes = shared.time_scale.ms(inner.settings.order_takes);
    if let Some((cid, oid)) = inner.ordered_by.get(&request_id).cloned()
        && let Some(o) = inner
            .customers
            .iter()
            .find(|c| c.id == cid)
            .and_then(|c| c.orders.iter().find(|o| o.id == oid))
    {
        return call.ok(StatusCode::CREATED, o.to_json(&cid));
    }
    let line_items: Vec<Value> = field(&body, "lineItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if line_items.is_empty() || line_items.iter().any(|l| text(l, "offerId").is_empty()) {
        return call.fault(
            StatusCode::BAD_REQUEST,
            "400",
            "an order needs lineItems with an offerId each",
        );
    }
    let customer = match usable(&mut inner, &call, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !customer
        .agreements
        .iter()
        .any(|a| text(a, "type") == "MicrosoftCustomerAgreement")
    {
        return call.fault(
            StatusCode::FORBIDDEN,
            "13605",
            "The customer has not accepted the Microsoft Customer Agreement; confirm the customer's acceptance first",
        );
    }
    let now = now_ms();
    if customer.orders.iter().any(|o| now < o.completes_at) {
        return call.fault(
            StatusCode::CONFLICT,
            "800060",
            "An order for this customer is in progress; retry when it has completed",
        );
    }
    let order = Order {
        id: guid(),
        line_items,
        created: now,
        completes_at: now.saturating_add(takes),
    };
    let answer = order.to_json(&customer.id);
    let ids = (customer.id.clone(), order.id.clone());
    customer.orders.push(order);
    inner.ordered_by.insert(request_id, ids);
    call.ok(StatusCode::CREATED, answer)
}

/// `GET /v1/customers/{id}/orders`.
async fn list_orders(State(shared): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let path = "/v1/customers/{customer-tenant-id}/orders";
    let call = match begin(&shared, "GET", path, vec![], &headers, Value::Null) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.pc.lock();
    match usable(&mut inner, &call, &id) {
        Ok(c) => {
            let items: Vec<Value> = c.orders.iter().map(|o| o.to_json(&c.id)).collect();
            call.ok(StatusCode::OK, json!({"totalCount": items.len(), "items": items, "attributes": {"objectType": "Collection"}}))
        }
        Err(r) => r,
    }
}

/// `GET /v1/customers/{id}/orders/{order}`.
async fn get_order(
    State(shared): St,
    Path((id, order)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = "/v1/customers/{customer-tenant-id}/orders/{order-id}";
    let call = match begin(&shared, "GET", path, vec![], &headers, Value::Null) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut inner = shared.pc.lock();
    let c = match usable(&mut inner, &call, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match c.orders.iter().find(|o| o.id == order) {
        Some(o) => call.ok(StatusCode::OK, o.to_json(&c.id)),
        None => call.fault(
            StatusCode::NOT_FOUND,
            "800002",
            format!("Order {order} not found"),
        ),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedCustomer {
    domain: String,
    company_name: String,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /sandbox/pc/customers`: a customer made by hand in Partner Center (usable at once).
async fn seed_customer(State(shared): St, Json(s): Json<SeedCustomer>) -> Response {
    let id = s.tenant_id.unwrap_or_else(guid);
    let customer = Customer {
        id: id.clone(),
        company: [
            (
                "domain".to_owned(),
                Value::from(s.domain.to_ascii_lowercase()),
            ),
            ("companyName".to_owned(), s.company_name.clone().into()),
        ]
        .into_iter()
        .collect(),
        billing: [
            ("companyName".to_owned(), Value::from(s.company_name)),
            ("email".to_owned(), s.email.unwrap_or_default().into()),
            ("culture".to_owned(), "en-US".into()),
            ("language".to_owned(), "en".into()),
            ("defaultAddress".to_owned(), json!({})),
        ]
        .into_iter()
        .collect(),
        usable_at: 0,
        agreements: Vec::new(),
        orders: Vec::new(),
    };
    let body = customer.to_json();
    shared.pc.lock().customers.push(customer);
    (StatusCode::CREATED, Json(body)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsBody {
    /// Nominal seconds before a new customer is usable.
    #[serde(default)]
    usable_after_seconds: Option<u64>,
    /// Nominal seconds an order stays pending.
    #[serde(default)]
    order_seconds: Option<u64>,
    /// The next N customer-list calls answer 429.
    #[serde(default)]
    throttle_lists: Option<u32>,
    /// onmicrosoft domains taken by tenants of other partners.
    #[serde(default)]
    taken_domains: Vec<String>,
    /// Every customer becomes usable now.
    #[serde(default)]
    make_usable: bool,
}

/// `POST /sandbox/pc/settings`: timings, throttling and domains taken elsewhere.
async fn settings(State(shared): St, Json(s): Json<SettingsBody>) -> Response {
    let mut inner = shared.pc.lock();
    if let Some(n) = s.usable_after_seconds {
        inner.settings.usable_after = Duration::from_secs(n);
    }
    if let Some(n) = s.order_seconds {
        inner.settings.order_takes = Duration::from_secs(n);
    }
    if let Some(n) = s.throttle_lists {
        inner.throttle = n;
    }
    inner
        .taken
        .extend(s.taken_domains.iter().map(|d| d.to_ascii_lowercase()));
    if s.make_usable {
        for c in &mut inner.customers {
            c.usable_at = 0;
        }
    }
    Json(json!({"throttleLists": inner.throttle, "takenDomains": inner.taken})).into_response()
}

/// `GET /sandbox/pc/state`: customers (usable or not), the `MS-RequestId`s that created
/// them, their agreements and orders, and the admin passwords handed out.
async fn state(State(shared): St) -> Response {
    let inner = shared.pc.lock();
    let customers: Vec<Value> = inner
        .customers
        .iter()
        .map(|c| {
            let created_by: Vec<&String> = inner
                .created_by
                .iter()
                .filter(|(_, id)| **id == c.id)
                .map(|(r, _)| r)
                .collect();
            let mut v = c.to_json();
            v["createdBy"] = json!(created_by);
            v["agreements"] = json!(c.agreements);
            v["orders"] = json!(
                c.orders
                    .iter()
                    .map(|o| o.to_json(&c.id))
                    .collect::<Vec<_>>()
            );
            v
        })
        .collect();
    Json(json!({"customers": customers, "passwords": inner.passwords})).into_response()
}

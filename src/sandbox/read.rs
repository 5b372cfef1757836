//! The read path of the contract: get one object, list with pagination and filters, poll an
//! operation, and the read-only DID and campaign inventory.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::equivalent;
use super::error::ApiError;
use super::faults::FaultPlan;
use super::fixtures;
use super::object::{self, Filter};
use super::operations;
use super::path::PathParams;
use super::portals::Kind;
use super::state::Shared;

/// The seed of an `equivalentData` answer, when the fault layer chose one for this read.
pub(crate) struct Equivalent(Option<u64>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Equivalent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<FaultPlan>()
                .and_then(|p| p.equivalent),
        ))
    }
}

impl Equivalent {
    /// The JSON answer, as is or as equivalent data.
    fn answer(&self, kind: &Kind, body: Value) -> Response {
        match self.0 {
            Some(seed) => equivalent::answer(body, kind.portal, kind.kind, seed),
            None => Json(body).into_response(),
        }
    }
}

/// Default and largest page size.
pub(crate) const DEFAULT_LIMIT: usize = 100;
pub(crate) const MAX_LIMIT: usize = 500;

/// The query of a list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    external_ref: Option<String>,
    #[serde(default)]
    external_ref_prefix: Option<String>,
}

impl ListQuery {
    fn limit(&self) -> Result<usize, ApiError> {
        match &self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(raw) => match raw.parse::<usize>() {
                Ok(0) | Err(_) => Err(ApiError::bad_request(
                    "InvalidParameter",
                    format!("limit is a number from 1 to {MAX_LIMIT}"),
                )
                .field("limit")),
                Ok(n) => Ok(n.min(MAX_LIMIT)),
            },
        }
    }

    /// The position after which the page starts.
    fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

fn query(q: Result<Query<ListQuery>, QueryRejection>) -> Result<ListQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|rejection| {
        ApiError::bad_request(
            "InvalidParameter",
            format!(
                "{}; the list parameters are limit, cursor, externalRef, externalRefPrefix",
                rejection.body_text()
            ),
        )
    })
}

/// Cursors are opaque to clients: the hex of the last position.
fn encode_cursor(position: &str) -> String {
    position.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "InvalidCursor",
            "the cursor is not one this sandbox returned; start the list again without it",
        )
        .field("cursor")
    };
    if !cursor.len().is_multiple_of(2) || cursor.is_empty() {
        return Err(invalid());
    }
    let bytes: Result<Vec<u8>, _> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2).unwrap_or("zz"), 16))
        .collect();
    String::from_utf8(bytes.map_err(|_| invalid())?).map_err(|_| invalid())
}

fn page_value(items: Vec<Value>, next: Option<String>) -> Value {
    json!({"items": items, "nextCursor": next.map(|p| encode_cursor(&p))})
}

fn page_json(items: Vec<Value>, next: Option<String>) -> Response {
    Json(page_value(items, next)).into_response()
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /v1/{portal}/{kind}`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    kind: &'static Kind,
    equivalent: Equivalent,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    answer(list_objects(shared, kind, &equivalent, q).await)
}

async fn list_objects(
    shared: Arc<Shared>,
    kind: &'static Kind,
    equivalent: &Equivalent,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let limit = q.limit()?;
    let after: i64 = match q.after()? {
        None => 0,
        Some(p) => p.parse().map_err(|_| {
            ApiError::bad_request(
                "InvalidCursor",
                "the cursor is not one this sandbox returned",
            )
            .field("cursor")
        })?,
    };
    let filter = Filter {
        external_ref: q.external_ref,
        external_ref_prefix: q.external_ref_prefix,
    };
    let mut rows = shared
        .store
        .read(move |tx| object::page(tx, kind.portal, kind.kind, &filter, after, limit + 1))
        .await?;
    let next = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|(seq, _)| seq.to_string())
    });
    let items = rows.iter().map(|(_, o)| o.envelope()).collect();
    Ok(equivalent.answer(kind, page_value(items, next.flatten())))
}

/// `GET /v1/{portal}/{kind}/{id}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    kind: &'static Kind,
    equivalent: Equivalent,
    PathParams(id): PathParams<String>,
) -> Response {
    let found = shared
        .store
        .read(move |tx| object::get(tx, kind.portal, kind.kind, &id).map(|o| (o, id)))
        .await;
    answer(found.and_then(|(o, id)| match o {
        Some(o) => Ok(equivalent.answer(kind, o.envelope())),
        None => Err(ApiError::not_found(format!(
            "no {} {} object has id {id}",
            kind.portal, kind.kind
        ))),
    }))
}

/// `GET /v1/operations/{id}`.
pub(crate) async fn operation(
    State(shared): State<Arc<Shared>>,
    PathParams(id): PathParams<String>,
) -> Response {
    let found = shared
        .store
        .read(move |tx| operations::get(tx, &id).map(|o| (o, id)))
        .await;
    answer(found.and_then(|(op, id)| match op {
        Some(op) => Ok(Json(op.wire()).into_response()),
        None => Err(ApiError::not_found(format!("no operation has id {id}"))),
    }))
}

/// `GET /v1/apps/dids`: the DID inventory, with `assigned` including tenantry's bindings.
pub(crate) async fn dids(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    answer(inventory(shared, q, Inventory::Dids).await)
}

/// `GET /sandbox/apps/campaigns`: the 10DLC campaigns of the registry (the fixtures an
/// `apps/campaigns` object adopts; `/v1/apps/campaigns` lists the adopted objects).
pub(crate) async fn campaigns(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    answer(inventory(shared, q, Inventory::Campaigns).await)
}

#[derive(Clone, Copy)]
enum Inventory {
    Dids,
    Campaigns,
}

async fn inventory(
    shared: Arc<Shared>,
    q: Result<Query<ListQuery>, QueryRejection>,
    what: Inventory,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    if q.external_ref.is_some() || q.external_ref_prefix.is_some() {
        return Err(ApiError::bad_request(
            "InvalidParameter",
            "inventory lists have no externalRef; use limit and cursor",
        ));
    }
    let limit = q.limit()?;
    let after = q.after()?;
    let (items, next) = shared
        .store
        .read(move |tx| {
            let mut out: Vec<(String, Value)> = match what {
                Inventory::Dids => fixtures::dids_page(tx, after.as_deref(), limit + 1)?
                    .into_iter()
                    .map(|d| {
                        let bound = object::find_by_field(
                            tx,
                            "apps",
                            "sms-numbers",
                            object::Part::Spec,
                            "did",
                            &d.number,
                        )?;
                        let campaign = fixtures::campaign_of(tx, &d.number)?.map(|c| c.id);
                        Ok((
                            d.number.clone(),
                            json!({
                                "number": d.number,
                                "purchased": d.purchased,
                                "registered": d.registered,
                                "assigned": d.assigned || !bound.is_empty(),
                                "campaignId": campaign,
                            }),
                        ))
                    })
                    .collect::<Result<_, ApiError>>()?,
                Inventory::Campaigns => fixtures::campaigns_page(tx, after.as_deref(), limit + 1)?
                    .into_iter()
                    .map(|c| {
                        (
                            c.id.clone(),
                            serde_json::to_value(&c).unwrap_or(Value::Null),
                        )
                    })
                    .collect(),
            };
            let next = (out.len() > limit).then(|| {
                out.truncate(limit);
                out.last().map(|(k, _)| k.clone())
            });
            Ok((
                out.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
                next.flatten(),
            ))
        })
        .await?;
    Ok(page_json(items, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor("12345")).unwrap(), "12345");
        for bad in ["", "z", "zz", "abc"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}

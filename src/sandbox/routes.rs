//! The one table of routes: the router is built from it and the OpenAPI agreement test
//! compares it with `openapi/portal.yaml`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::timeout::RequestBodyTimeoutLayer;

use super::controls;
use super::edge;
use super::error::ApiError;
use super::identity;
use super::path::PathParams;
use super::portals::KINDS;
use super::read;
use super::state::Shared;
use super::write::{self, Write, WriteContext};

/// Who a route is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    /// The portal contract (`/v1`): authenticated, logged, subject to faults.
    Contract,
    /// Sandbox-only control endpoints (`/sandbox/...`): authenticated like the contract,
    /// since they show e-mailed passwords and change the portals' state.
    Sandbox,
    /// The identity endpoint (`/{tenant}/oauth2/...`): logged and subject to faults, but
    /// open, since it is where a credential is exchanged for a token.
    Identity,
    /// The OpenAPI document and the health probe: open.
    Open,
}

pub(crate) struct Route {
    pub method: Method,
    pub path: String,
    pub area: Area,
    pub handler: MethodRouter<Arc<Shared>>,
}

type Body = Result<Bytes, BytesRejection>;
type St = State<Arc<Shared>>;

fn route(
    method: Method,
    path: impl Into<String>,
    area: Area,
    handler: MethodRouter<Arc<Shared>>,
) -> Route {
    Route {
        method,
        path: path.into(),
        area,
        handler,
    }
}

fn filter(method: &Method) -> MethodFilter {
    MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET)
}

/// Every route of the sandbox.
pub(crate) fn routes() -> Vec<Route> {
    use Area::{Contract, Sandbox};
    let mut out = Vec::new();
    let c = |out: &mut Vec<Route>, m: Method, p: String, h: MethodRouter<Arc<Shared>>| {
        out.push(route(m, p, Contract, h));
    };
    for k in KINDS {
        let collection = format!("/v1/{}/{}", k.portal, k.kind);
        let item = format!("{collection}/{{id}}");
        c(
            &mut out,
            Method::GET,
            collection.clone(),
            on(MethodFilter::GET, move |s: St, e, q| read::list(s, k, e, q)),
        );
        c(
            &mut out,
            Method::POST,
            collection,
            on(
                MethodFilter::POST,
                move |State(s): St, ctx: WriteContext, body: Body| {
                    write::run(s, ctx, body, Write::Create(k))
                },
            ),
        );
        c(
            &mut out,
            Method::GET,
            item.clone(),
            on(MethodFilter::GET, move |s: St, e, p| read::get(s, k, e, p)),
        );
        c(
            &mut out,
            Method::PUT,
            item.clone(),
            on(
                MethodFilter::PUT,
                move |State(s): St,
                      PathParams(id): PathParams<String>,
                      ctx: WriteContext,
                      body: Body| {
                    write::run(s, ctx, body, Write::Update(k, id))
                },
            ),
        );
        c(
            &mut out,
            Method::DELETE,
            item,
            on(
                MethodFilter::DELETE,
                move |State(s): St,
                      PathParams(id): PathParams<String>,
                      ctx: WriteContext,
                      body: Body| {
                    write::run(s, ctx, body, Write::Delete(k, id))
                },
            ),
        );
    }
    c(
        &mut out,
        Method::POST,
        "/v1/teammate/enterprises/{id}/resend-invitation".into(),
        on(
            MethodFilter::POST,
            |State(s): St, PathParams(id): PathParams<String>, ctx: WriteContext, body: Body| {
                write::run(s, ctx, body, Write::ResendInvitation(id))
            },
        ),
    );
    c(
        &mut out,
        Method::GET,
        "/v1/apps/dids".into(),
        on(MethodFilter::GET, read::dids),
    );
    c(
        &mut out,
        Method::GET,
        "/v1/operations/{id}".into(),
        on(MethodFilter::GET, read::operation),
    );

    out.push(route(
        Method::POST,
        "/{tenant}/oauth2/token",
        Area::Identity,
        on(MethodFilter::POST, identity::token_v1),
    ));
    out.push(route(
        Method::POST,
        "/{tenant}/oauth2/v2.0/token",
        Area::Identity,
        on(MethodFilter::POST, identity::token_v2),
    ));

    let sandbox: Vec<(Method, &str, MethodRouter<Arc<Shared>>)> = vec![
        (
            Method::GET,
            "/openapi.yaml",
            on(MethodFilter::GET, controls::openapi),
        ),
        (
            Method::GET,
            "/healthz",
            on(MethodFilter::GET, controls::healthz),
        ),
        (
            Method::GET,
            "/sandbox/outbox",
            on(MethodFilter::GET, controls::outbox),
        ),
        (
            Method::GET,
            "/sandbox/requests",
            on(MethodFilter::GET, controls::requests),
        ),
        (
            Method::DELETE,
            "/sandbox/requests",
            on(MethodFilter::DELETE, controls::clear_requests),
        ),
        (
            Method::GET,
            "/sandbox/faults",
            on(MethodFilter::GET, controls::faults),
        ),
        (
            Method::PUT,
            "/sandbox/faults",
            on(MethodFilter::PUT, controls::set_faults),
        ),
        (
            Method::DELETE,
            "/sandbox/faults",
            on(MethodFilter::DELETE, controls::clear_faults),
        ),
        (
            Method::POST,
            "/sandbox/identity/expire",
            on(MethodFilter::POST, identity::expire),
        ),
        (
            Method::POST,
            "/sandbox/teammate/consent",
            on(MethodFilter::POST, controls::consent),
        ),
        (
            Method::GET,
            "/sandbox/teammate/reseller-accounts",
            on(MethodFilter::GET, controls::reseller_accounts),
        ),
        (
            Method::POST,
            "/sandbox/teammate/reseller-accounts",
            on(MethodFilter::POST, controls::add_reseller_account),
        ),
        (
            Method::GET,
            "/sandbox/microsoft-domains",
            on(MethodFilter::GET, controls::microsoft_domains),
        ),
        (
            Method::POST,
            "/sandbox/microsoft-domains",
            on(MethodFilter::POST, controls::reserve_domain),
        ),
        (
            Method::POST,
            "/sandbox/apps/dids",
            on(MethodFilter::POST, controls::put_did),
        ),
        (
            Method::GET,
            "/sandbox/apps/campaigns",
            on(MethodFilter::GET, read::campaigns),
        ),
        (
            Method::POST,
            "/sandbox/apps/campaigns",
            on(MethodFilter::POST, controls::put_campaign),
        ),
        (
            Method::GET,
            "/sandbox/contactcenter/off-peak",
            on(MethodFilter::GET, controls::off_peak),
        ),
        (
            Method::PUT,
            "/sandbox/contactcenter/off-peak",
            on(MethodFilter::PUT, controls::set_off_peak),
        ),
        (
            Method::PATCH,
            "/sandbox/objects/{portal}/{kind}/{id}",
            on(MethodFilter::PATCH, controls::patch_object),
        ),
        (
            Method::DELETE,
            "/sandbox/objects/{portal}/{kind}/{id}",
            on(MethodFilter::DELETE, controls::delete_object),
        ),
    ];
    for (m, p, h) in sandbox {
        let area = if p.starts_with("/sandbox/") {
            Sandbox
        } else {
            Area::Open
        };
        out.push(route(m, p, area, h));
    }
    debug_assert!(
        out.iter()
            .all(|r| filter(&r.method) != MethodFilter::GET || r.method == Method::GET)
    );
    out
}

/// `(METHOD, path)` of every route, in table order.
pub fn route_table() -> Vec<(String, String)> {
    routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect()
}

/// The application: contract routes behind the edge layers, control routes behind
/// authentication only, the OpenAPI document and the health probe open.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut contract = Router::new();
    let mut sandbox = Router::new();
    let mut open = Router::new();
    let mut identity = Router::new();
    for r in routes() {
        match r.area {
            Area::Contract => contract = contract.route(&r.path, r.handler),
            Area::Identity => identity = identity.route(&r.path, r.handler),
            Area::Sandbox => sandbox = sandbox.route(&r.path, r.handler),
            Area::Open => open = open.route(&r.path, r.handler),
        }
    }
    // JSON bodies everywhere but the identity endpoint, which takes OAuth2's form encoding
    // (its handlers refuse anything else, as login.microsoftonline.com does).
    let sandbox = sandbox
        .layer(from_fn_with_state(Arc::clone(&shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies));
    let contract = contract
        .layer(from_fn_with_state(Arc::clone(&shared), edge::authenticate))
        .layer(from_fn(edge::json_bodies))
        .layer(from_fn_with_state(
            Arc::clone(&shared),
            edge::faults_and_log,
        ));
    let identity = identity.layer(from_fn_with_state(
        Arc::clone(&shared),
        edge::faults_and_log,
    ));
    let limit = shared.body_limit;
    let body_timeout = shared.body_read_timeout;
    let vendors = super::vendors::connecttoteams::router(&shared)
        .merge(super::vendors::cloudlink::router(&shared))
        .merge(super::vendors::campaignregistry::router(&shared))
        .merge(super::vendors::partnercenter::router(&shared));
    contract
        .merge(identity)
        .merge(vendors)
        .merge(super::vendors::graph::router(&shared))
        .merge(sandbox)
        .merge(open)
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .with_state(shared)
}

async fn no_route() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "RouteNotFound",
        "no such route; see /openapi.yaml for the routes of the contract",
    )
    .into_response()
}

async fn no_method() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "this route does not accept this method; see /openapi.yaml",
    )
    .into_response()
}

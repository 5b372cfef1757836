//! The Microsoft Partner Center adapter (seed 000): the `daas` portal's `azure-ad` (the
//! customer's Microsoft tenant, created as a Partner Center customer) and
//! `microsoft-online` (the MCA attestation, then the Microsoft 365 order) on Partner Center's
//! REST API v1 (vendor-apis.md §1, docs/providers.md).
//!
//! Calls go through the connection's [`HttpPortal`] (OAuth2 token, retries with
//! `Retry-After`, budget, scrubbing) with Partner Center's `MS-RequestId` (the idempotency key:
//! derived from tenantry's, so a retry or a rerun after a crash sends the same one) and a new
//! `MS-CorrelationId` per call. Partner Center has no tag field, so tenantry's reference rides
//! in the customer's billing address line 2 and the order's `provisioningContext`
//! ([`wire::Tag`]).

mod customers;
mod orders;
mod wire;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api::Portal;
use crate::portal::http::HttpPortal;
use crate::portal::wire::{DeleteOutcome, Operation, PortalObject, WriteOutcome};
use crate::portal::{
    CallCounts, Captured, CapturedSecrets, ListFilter, PortalApi, PortalError, WriteRequest,
};

use wire::{new_guid, protocol, rejected, vendor_error};

const AZURE_AD: &str = "azure-ad";
pub(super) const MICROSOFT_ONLINE: &str = "microsoft-online";
/// Customers per page of `GET /v1/customers`.
const PAGE: usize = 100;

/// The Partner Center client of one connection; clones share the token and budget.
#[derive(Clone)]
pub struct PartnerCenter {
    http: HttpPortal,
    /// New customers' admin passwords, returned once by `POST /v1/customers`.
    captured: CapturedSecrets,
}

impl PartnerCenter {
    /// The adapter over `http` (whose credential is an Entra ID token for Partner Center).
    pub fn new(http: HttpPortal) -> Self {
        Self {
            http,
            captured: CapturedSecrets::default(),
        }
    }

    /// One Partner Center call: `request_id` is the `MS-RequestId` (a new one when `None`),
    /// `extra` more headers. Returns the status (2xx or 404) and the JSON body (`Null` when
    /// empty).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<(StatusCode, Value), PortalError> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| PortalError::Setup(e.to_string()))?;
        let request_id = request_id.map_or_else(new_guid, str::to_owned);
        let correlation = new_guid();
        let mut headers = vec![
            ("MS-RequestId", request_id.as_str()),
            ("MS-CorrelationId", correlation.as_str()),
            ("Accept", "application/json"),
        ];
        headers.extend_from_slice(extra);
        let (status, bytes) = self
            .http
            .call_with_headers(Portal::Daas.id(), method, path, bytes.as_deref(), &headers)
            .await
            .map_err(vendor_error)?;
        if bytes.is_empty() {
            return Ok((status, Value::Null));
        }
        let json = serde_json::from_slice(&bytes)
            .map_err(|e| protocol(status.as_u16(), format!("{path}: {e}")))?;
        Ok((status, json))
    }

    /// Every customer of the partner, following `links.next` with its `MS-ContinuationToken`.
    async fn customers(&self) -> Result<Vec<Value>, PortalError> {
        let path = format!("v1/customers?size={PAGE}");
        let mut out = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let extra: Vec<(&str, &str)> = continuation
                .as_deref()
                .map(|t| ("MS-ContinuationToken", t))
                .into_iter()
                .collect();
            let (status, page) = self.send(Method::GET, &path, None, None, &extra).await?;
            if status == StatusCode::NOT_FOUND {
                return Err(protocol(
                    404,
                    format!(
                        "{path} does not exist at this URL; check the PortalConnection's spec.url (Partner Center's is https://api.partnercenter.microsoft.com)"
                    ),
                ));
            }
            out.extend(page["items"].as_array().cloned().unwrap_or_default());
            let next = page["links"]["next"]["headers"].as_array().and_then(|h| {
                h.iter()
                    .find(|kv| {
                        kv["key"]
                            .as_str()
                            .is_some_and(|k| k.eq_ignore_ascii_case("MS-ContinuationToken"))
                    })
                    .and_then(|kv| kv["value"].as_str().map(str::to_owned))
            });
            match next {
                Some(token) if continuation.as_deref() != Some(token.as_str()) => {
                    continuation = Some(token);
                }
                _ => return Ok(out),
            }
        }
    }
}

impl PortalApi for PartnerCenter {
    async fn list(
        &self,
        portal: Portal,
        kind: &str,
        filter: &ListFilter,
    ) -> Result<Vec<PortalObject>, PortalError> {
        let objects = match served(portal, kind)? {
            Served::AzureAd => self.list_tenants().await?,
            Served::MicrosoftOnline => self.list_orders().await?,
        };
        Ok(objects
            .into_iter()
            .filter(|o| {
                filter
                    .external_ref
                    .as_ref()
                    .is_none_or(|r| *r == o.external_ref)
                    && filter
                        .external_ref_prefix
                        .as_ref()
                        .is_none_or(|p| o.external_ref.starts_with(p.as_str()))
            })
            .collect())
    }

    async fn create(
        &self,
        portal: Portal,
        kind: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        match served(portal, kind)? {
            Served::AzureAd => self.create_tenant(req).await,
            Served::MicrosoftOnline => self.create_order(req).await,
        }
    }

    async fn update(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
        req: &WriteRequest,
    ) -> Result<WriteOutcome, PortalError> {
        match served(portal, kind)? {
            Served::AzureAd => self.update_tenant(id, req).await,
            // Only `customerId` is declared, and it cannot change (a change is a replace).
            Served::MicrosoftOnline => self.order_outcome(id).await,
        }
    }

    async fn delete(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<DeleteOutcome, PortalError> {
        served(portal, kind)?;
        // Partner Center deletes customers only in its integration sandbox, and cancels
        // subscriptions rather than orders: a person does it in Partner Center.
        Err(rejected(
            409,
            "PcDeleteByHand",
            format!(
                "Partner Center cannot delete {kind} {id} through its API: cancel the subscription or remove the customer relationship in Partner Center, or set deletionPolicy: Orphan"
            ),
            None,
        ))
    }

    async fn operation(
        &self,
        portal: Portal,
        kind: &str,
        id: &str,
    ) -> Result<Operation, PortalError> {
        match served(portal, kind)? {
            Served::AzureAd => self.tenant_operation(id).await,
            Served::MicrosoftOnline => self.order_operation(id).await,
        }
    }

    fn calls(&self) -> CallCounts {
        self.http.calls()
    }

    fn take_captured(&self) -> Vec<Captured> {
        self.captured.take()
    }
}

enum Served {
    AzureAd,
    MicrosoftOnline,
}

fn served(portal: Portal, kind: &str) -> Result<Served, PortalError> {
    match (portal, kind) {
        (Portal::Daas, AZURE_AD) => Ok(Served::AzureAd),
        (Portal::Daas, MICROSOFT_ONLINE) => Ok(Served::MicrosoftOnline),
        _ => Err(PortalError::Protocol {
            portal: portal.id().to_owned(),
            status: 0,
            detail: format!(
                "the partnerCenter adapter serves daas/azure-ad and daas/microsoft-online only, not {}/{kind}",
                portal.id()
            ),
        }),
    }
}

//! Connected Workspace / DaaS portal (seed 000): customers, their administrators and the
//! services Azure AD → Microsoft Online, Citrix and File Sharing.

mod admins;
mod azure;
mod customers;
mod relationships;
mod services;

pub(crate) use admins::Admins;
pub(crate) use azure::{AzureAd, MicrosoftOnline};
pub(crate) use customers::Customers;
pub(crate) use relationships::AdminRelationships;
pub(crate) use services::{Citrix, FileSharing};

use serde_json::Value;

use super::{Cx, referenced};
use crate::sandbox::error::ApiError;
use crate::sandbox::object::Object;

const PORTAL: &str = "daas";

fn customer_of(cx: &Cx<'_, '_>, spec: &Value) -> Result<Object, ApiError> {
    let id = spec.get("customerId").and_then(Value::as_str).unwrap_or("");
    referenced(cx, PORTAL, "customers", id, "customerId")
}

//! TeamMate (Teams connector, seed 002): a binding's enterprise.

use serde_json::{Map, Value};

use super::binding::Binding;
use super::wire::{enum_str, strings};
use crate::api::TeamsConnector;
use crate::model::kind::Kind;
use crate::model::resource::Resource;

/// The TeamMate enterprise of a Teams-connector binding.
pub(super) fn enterprise(b: &Binding<'_>, teams: &TeamsConnector, out: &mut Vec<Resource>) {
    let mut spec = Map::new();
    let name = teams
        .enterprise_name
        .clone()
        .unwrap_or_else(|| b.tenant.spec.display_name.clone());
    spec.insert("name".into(), name.into());
    spec.insert("adminEmail".into(), teams.admin_email.clone().into());
    if let Some(limit) = teams.user_limit {
        spec.insert("userLimit".into(), limit.into());
    }
    spec.insert("musicOnHold".into(), teams.music_on_hold.into());
    spec.insert("sipDataAccess".into(), teams.sip_data_access.into());
    spec.insert("requestConsent".into(), teams.request_consent.into());
    let regions = teams.sbc_regions.iter().map(enum_str).collect();
    spec.insert("sbcRegions".into(), Value::Array(regions));
    let services = teams.services.iter().map(enum_str).collect();
    spec.insert("services".into(), Value::Array(services));
    spec.insert("pbxTypes".into(), strings(&teams.pbx_types));
    spec.insert("enabled".into(), teams.enabled.into());
    out.push(b.origin.resource(Kind::Enterprise, b.own_ref.clone(), spec));
}

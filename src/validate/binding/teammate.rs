//! TeamMate enterprise (seed 002): admin e-mail, user limit, SBC regions, services and PBX types.
//!
//! That the admin e-mail is unique across enterprises is a cross-object rule (see `uniqueness`).

use crate::api::Problem;
use crate::api::{TeamsConnector, TeamsService};
use crate::validate::rule;
use crate::validate::subject::{Field, Subject};
use crate::validate::values;

/// The largest user limit the TeamMate portal accepts.
const MAX_USERS: u32 = 100_000;

/// Checks one teamsConnector block.
pub fn check(s: &Subject, t: &TeamsConnector, out: &mut Vec<Problem>) {
    values::optional_text(
        s,
        "spec.teamsConnector.enterpriseName",
        t.enterprise_name.as_deref(),
        128,
        "the enterprise name",
        out,
    );
    values::email(s, "spec.teamsConnector.adminEmail", &t.admin_email, out);
    if let Some(limit) = t.user_limit
        && !(1..=MAX_USERS).contains(&limit)
    {
        out.push(s.error(
            "spec.teamsConnector.userLimit",
            rule::RANGE,
            format!("user limit {limit} is outside 1..{MAX_USERS}: set a positive number of Teams users, or remove it for no limit"),
        ));
    }
    if t.sbc_regions.is_empty() {
        out.push(s.error(
            "spec.teamsConnector.sbcRegions",
            rule::SBC_REGION,
            "no SBC region: choose at least one, the one closest to the enterprise first (UsEast, UsWest, Canada, Europe, UnitedKingdom, AsiaPacific)",
        ));
    }
    values::distinct_small(s, "spec.teamsConnector.sbcRegions", &t.sbc_regions, out);
    if t.services.is_empty() {
        out.push(s.error(
            "spec.teamsConnector.services",
            rule::TEAMS_SERVICES,
            "no service: choose PBX, Trunk or both",
        ));
    }
    values::distinct_small(s, "spec.teamsConnector.services", &t.services, out);
    if t.services.contains(&TeamsService::Pbx) && t.pbx_types.is_empty() {
        out.push(s.error(
            "spec.teamsConnector.pbxTypes",
            rule::PBX_TYPE,
            "services include PBX, so a PBX type is required: set pbxTypes, e.g. [Ringlogix]",
        ));
    }
    for (i, p) in t.pbx_types.iter().enumerate() {
        values::text(
            s,
            Field::from("spec.teamsConnector.pbxTypes").at(i),
            p,
            64,
            "the PBX type",
            out,
        );
    }
    values::distinct(
        s,
        "spec.teamsConnector.pbxTypes",
        t.pbx_types.iter().map(String::as_str),
        out,
    );
}

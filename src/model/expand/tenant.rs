//! A Tenant → its own object in each portal it lists (a DaaS customer, a CloudLink account).

use super::origin::Origin;
use super::{cloudlink, daas};
use crate::api::{Located, Portal, Tenant};
use crate::model::error::ModelError;
use crate::model::resource::Resource;

/// A Tenant's own objects, per `spec.portals`.
pub(super) fn expand_tenant(
    located: &Located<Tenant>,
    out: &mut Vec<Resource>,
) -> Result<(), ModelError> {
    let tenant = &located.object;
    let s = &tenant.spec;
    let origin = Origin::new(
        "Tenant",
        tenant,
        &located.location,
        tenant,
        None,
        None,
        None,
    )
    .deviating(&tenant.spec.accepted_deviations)?;
    if s.portals.contains(&Portal::Daas) {
        out.push(daas::customer(&origin, s));
    }
    if s.portals.contains(&Portal::CloudLink) {
        out.push(cloudlink::account(&origin, s));
    }
    Ok(())
}

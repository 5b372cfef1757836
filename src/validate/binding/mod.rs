//! Rules of a ServiceBinding on its own and against its Tenant: one service block, the portal
//! enabled on the tenant, and each service's form (one module per portal).
//!
//! The CloudLink gateway block has no rule of its own: its portal must be enabled, and the
//! tenant's CloudLink customer step (address, support contacts) is checked on the Tenant.

mod apps;
mod contactcenter;
mod daas;
mod teammate;

use super::Options;
use super::index::Index;
use super::rule;
use super::subject::{Subject, shown};
use crate::api::Problem;
use crate::api::{ServiceBindingSpec, ServiceKind, Tenant};

pub use contactcenter::name_key as contact_center_key;

/// Checks one ServiceBinding; `tenant` is its Tenant when the reference resolves.
pub fn check(
    s: &Subject,
    b: &ServiceBindingSpec,
    service: Option<ServiceKind>,
    tenant: Option<&Tenant>,
    index: &Index,
    options: &Options,
    out: &mut Vec<Problem>,
) {
    // The common case, one block, needs no list of blocks.
    let (one, many);
    let services: &[ServiceKind] = match service {
        Some(kind) => {
            one = [kind];
            &one
        }
        None => {
            many = b.services();
            &many
        }
    };
    service_block(s, services, out);
    if let Some(tenant) = tenant {
        for kind in services {
            portal_enabled(s, b, *kind, tenant, out);
        }
    }
    if let Some(a) = &b.azure_ad {
        daas::azure_ad(s, a, out);
    }
    if let Some(c) = &b.citrix {
        daas::citrix(s, c, out);
    }
    if let Some(f) = &b.file_sharing {
        daas::file_sharing(s, f, out);
    }
    if let Some(t) = &b.teams_connector {
        teammate::check(s, t, out);
    }
    if let Some(c) = &b.contact_center {
        contactcenter::check(s, c, tenant, index, options, out);
    }
    if let Some(l) = &b.licenses {
        apps::licenses(s, l, out);
    }
    if let Some(sms) = &b.sms {
        apps::sms(s, sms, out);
    }
}

/// Exactly one service block: the twin of the CRD's CEL rule, for input that never meets an API server.
fn service_block(s: &Subject, services: &[ServiceKind], out: &mut Vec<Problem>) {
    const ALL: &str = "azureAD, microsoftOnline, citrix, fileSharing, teamsConnector, contactCenter, licenses, sms or cloudlinkGateway";
    let message = match services {
        [_] => return,
        [] => format!("no service block: set exactly one of {ALL}"),
        many => format!(
            "{} service blocks ({}): a binding declares exactly one service; split it into one ServiceBinding per service",
            many.len(),
            many.iter()
                .map(|k| k.field())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    out.push(s.error("spec", rule::SERVICE_BLOCK, message));
}

fn portal_enabled(
    s: &Subject,
    b: &ServiceBindingSpec,
    kind: ServiceKind,
    tenant: &Tenant,
    out: &mut Vec<Problem>,
) {
    let portal = kind.portal();
    if tenant.spec.portals.contains(&portal) {
        return;
    }
    out.push(s.error(
        format!("spec.{}", kind.field()),
        rule::PORTAL_NOT_ENABLED,
        format!(
            "{} is a service of the {portal} portal, but Tenant {} does not list {portal} in spec.portals: add {portal} there",
            kind.field(),
            shown(&b.tenant_ref.name)
        ),
    ));
}

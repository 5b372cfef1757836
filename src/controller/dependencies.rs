//! Dependencies between declaring objects: an admin or binding waits for its Tenant, a
//! binding for its `dependsOn` bindings and Microsoft Online for the Tenant's Azure AD, each
//! to be Ready; the wait shows as `Progressing` with reason `AwaitingDependency`.

use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::Declaring;
use super::context::Context;
use crate::api::{ObjectStatus, ServiceBinding, ServiceKind, Tenant, condition, find_condition};

/// Why the object must wait, if it must: its Tenant, its `dependsOn` bindings, and the
/// implicit Microsoft Online → Azure AD edge must be Ready first.
pub(crate) fn waiting_for<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: &Tenant,
) -> Option<String> {
    let namespace = object.namespace().unwrap_or_default();
    let mut waits = Vec::new();
    if object.as_tenant().is_none() && !is_ready(tenant.status.as_ref()) {
        waits.push(format!("Tenant {}", tenant.name_any()));
    }
    let mut names = object.depends_on();
    if object
        .service()
        .is_some_and(|s| s == ServiceKind::MicrosoftOnline)
    {
        names.extend(
            ctx.stores
                .bindings
                .state()
                .iter()
                .filter(|b| {
                    b.namespace().as_deref() == Some(namespace.as_str())
                        && b.spec.tenant_ref.name == tenant.name_any()
                        && b.spec.azure_ad.is_some()
                })
                .map(|b| b.name_any()),
        );
    }
    for name in names {
        let binding: Option<Arc<ServiceBinding>> = ctx
            .stores
            .bindings
            .get(&ObjectRef::new(&name).within(&namespace));
        match binding {
            Some(b) if is_ready(b.status.as_ref()) => {}
            Some(_) => waits.push(format!("ServiceBinding {name}")),
            None => waits.push(format!("ServiceBinding {name} (not found)")),
        }
    }
    (!waits.is_empty()).then(|| {
        format!(
            "Waiting for {} to be Ready; it is retried automatically.",
            waits.join(", ")
        )
    })
}

fn is_ready(status: Option<&ObjectStatus>) -> bool {
    status
        .and_then(|s| find_condition(&s.conditions, condition::READY))
        .is_some_and(|c| c.status == "True")
}

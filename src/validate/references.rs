//! References between objects: tenantRef, dependsOn, portalConnectionRef, and services that
//! need another service of the same tenant (microsoftOnline needs azureAD).
//!
//! References resolve within the input: a name is looked up in the same namespace only, as the
//! controller does in the cluster.

use super::index::Index;
use super::rule;
use super::subject::{Subject, cut, shown};
use super::values;
use crate::api::Problem;
use crate::api::{LocalRef, ServiceBindingSpec, ServiceKind, Tenant, TenantSpec};

/// The Tenant named by `tenant_ref` in the subject's namespace; reports it when absent.
/// `near` remembers the previous lookup (see [`Index::tenant_near`]).
pub fn tenant<'a>(
    s: &Subject<'a>,
    tenant_ref: &'a LocalRef,
    index: &Index<'a>,
    near: &mut Option<(&'a str, &'a str, Option<&'a Tenant>)>,
    out: &mut Vec<Problem>,
) -> Option<&'a Tenant> {
    let found = index.tenant_near(near, s.namespace, &tenant_ref.name);
    if found.is_none()
        && let Some(at) = index
            .rejected_tenants
            .get(&(s.namespace, tenant_ref.name.as_str()))
    {
        // Its own problems say what is wrong; checks against it wait until it reads.
        out.push(
            s.error(
                "spec.tenantRef.name",
                rule::TENANT_INVALID,
                format!(
                    "Tenant {} is declared ({at}) but invalid: fix the problems reported there; \
                     this object is checked against it once it reads",
                    shown(&tenant_ref.name)
                ),
            )
            .warning(),
        );
    } else if found.is_none() {
        let message = if values::is_blank(&tenant_ref.name) {
            "empty: name the Tenant this object belongs to".to_owned()
        } else {
            format!(
                "Tenant {} is not declared in namespace {}: add it to the input, or fix spec.tenantRef.name (references stay within one namespace)",
                shown(&tenant_ref.name),
                cut(s.namespace)
            )
        };
        out.push(s.error("spec.tenantRef.name", rule::TENANT_REF, message));
    }
    found
}

/// Every `dependsOn` entry names another binding of the namespace, once.
pub fn depends_on(s: &Subject, b: &ServiceBindingSpec, index: &Index, out: &mut Vec<Problem>) {
    for (i, dep) in b.depends_on.iter().enumerate() {
        // A binding depending on itself is a cycle, reported by the graph rule.
        if dep.name == s.name
            || index
                .bindings
                .contains_key(&(s.namespace, dep.name.as_str()))
        {
            continue;
        }
        out.push(s.error(
            format!("spec.dependsOn[{i}].name"),
            rule::DEPENDS_ON,
            format!(
                "ServiceBinding {} is not declared in namespace {}: add it to the input, or remove this dependsOn entry",
                shown(&dep.name),
                cut(s.namespace)
            ),
        ));
    }
    if b.depends_on.len() > 1 {
        values::distinct(
            s,
            "spec.dependsOn",
            b.depends_on.iter().map(|d| d.name.as_str()),
            out,
        );
    }
}

/// Microsoft Online is provisioned on the tenant's Azure AD: the tenant needs an azureAD binding.
pub fn microsoft_online(
    s: &Subject,
    b: &ServiceBindingSpec,
    index: &Index,
    out: &mut Vec<Problem>,
) {
    if b.microsoft_online.is_none() {
        return;
    }
    let key = (
        s.namespace,
        b.tenant_ref.name.as_str(),
        ServiceKind::AzureAd,
    );
    if !index.services.contains_key(&key) {
        out.push(s.error(
            "spec.microsoftOnline",
            rule::MICROSOFT_ONLINE_NEEDS_AZURE_AD,
            format!(
                "Microsoft Online is provisioned only after the tenant's Azure AD: declare a ServiceBinding with azureAD for Tenant {}",
                shown(&b.tenant_ref.name)
            ),
        ));
    }
}

/// `portalConnectionRef` names a declared PortalConnection that serves every portal of the tenant.
pub fn portal_connection(s: &Subject, t: &TenantSpec, index: &Index, out: &mut Vec<Problem>) {
    let Some(r) = &t.portal_connection_ref else {
        return;
    };
    let Some(connection) = index.connections.get(r.name.as_str()) else {
        // In a cluster the connection may exist without being in this input.
        out.push(
            s.error(
                "spec.portalConnectionRef.name",
                rule::CONNECTION_REF,
                format!(
                    "PortalConnection {} is not in the input: add it, or make sure it exists in the cluster",
                    shown(&r.name)
                ),
            )
            .warning(),
        );
        return;
    };
    // The connection and its delegates (those in the input; others may be in the cluster).
    let spec = &connection.object.spec;
    let mut served = spec.served_portals();
    for delegate in &spec.delegates {
        match index.connections.get(delegate.name.as_str()) {
            Some(d) => served.extend(d.object.spec.served_portals()),
            None => return,
        }
    }
    let missing: Vec<&str> = t
        .portals
        .iter()
        .filter(|p| !served.contains(p))
        .map(|p| p.id())
        .collect();
    if !missing.is_empty() {
        out.push(s.error(
            "spec.portalConnectionRef.name",
            rule::CONNECTION_REF,
            format!(
                "PortalConnection {} does not serve {} listed in spec.portals: add them to the connection's spec.portals, add a connection serving them to its spec.delegates, or use another connection",
                shown(&r.name),
                missing.join(", ")
            ),
        ));
    }
}

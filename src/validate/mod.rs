//! Every portal rule as pure functions: the CLI, the controller, the sandbox and tests share them.
//!
//! [`validate`] checks a whole input at once and returns every problem, sorted by file, line and
//! field, so a user fixes them in one pass. The work is linear in the number of objects: one
//! [`index`] of (namespace, name) hash maps is built first and every cross-object rule looks up
//! there (DESIGN.md §8 budgets 40 ms for 54,200 objects).
//!
//! Modules by concept: `tenant`, `admin`, `binding` (one module per portal), `connection` for
//! single objects; `references`, `uniqueness` and `graph` (dependency cycles) across objects;
//! `secrets` for passwords held in Secrets; `rule` lists the stable rule ids.

mod admin;
mod binding;
mod connection;
mod deviation;
mod graph;
mod index;
pub mod password;
mod references;
pub mod rule;
mod secrets;
mod sink;
mod subject;
pub mod syntax;
mod tenant;
mod uniqueness;
mod values;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

pub use secrets::secret_env_var;
pub use subject::DEFAULT_NAMESPACE;
pub use values::{TextFault, one_line_text};

use crate::api::{Declared, Problem};
use subject::Subject;

/// How strict validation is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Report a referenced Secret key missing from the input as an error (standalone runs that
    /// will apply), instead of a warning (the Secret may live in the cluster).
    pub require_secrets: bool,
}

/// Checks every object of `declared` and the references between them, with default options.
///
/// Returns every problem found, sorted by file, line and field (empty when all is well).
pub fn validate(declared: &Declared) -> Vec<Problem> {
    validate_with(declared, &Options::default())
}

/// Checks every object of `declared` and the references between them.
///
/// Returns every problem found, sorted by file, line and field (empty when all is well).
pub fn validate_with(declared: &Declared, options: &Options) -> Vec<Problem> {
    let mut out = Vec::new();
    let index = index::Index::build(declared, &mut out);
    for t in &declared.tenants {
        let s = Subject::namespaced("Tenant", &t.object.metadata, &t.location);
        tenant::check(&s, &t.object.spec, &mut out);
        deviation::check(&s, &t.object.spec.accepted_deviations, &mut out);
        references::portal_connection(&s, &t.object.spec, &index, &mut out);
    }
    let mut near = None;
    for a in &declared.admins {
        let s = Subject::namespaced("TenantAdmin", &a.object.metadata, &a.location);
        let spec = &a.object.spec;
        let tenant = references::tenant(&s, &spec.tenant_ref, &index, &mut near, &mut out);
        admin::check(&s, spec, tenant, &index, options, &mut out);
        deviation::check(&s, &spec.accepted_deviations, &mut out);
    }
    for (i, b) in declared.bindings.iter().enumerate() {
        let s = Subject::namespaced("ServiceBinding", &b.object.metadata, &b.location);
        let spec = &b.object.spec;
        let tenant = references::tenant(&s, &spec.tenant_ref, &index, &mut near, &mut out);
        let service = index.service_of[i];
        binding::check(&s, spec, service, tenant, &index, options, &mut out);
        deviation::check(&s, &spec.accepted_deviations, &mut out);
        references::depends_on(&s, spec, &index, &mut out);
        references::microsoft_online(&s, spec, &index, &mut out);
    }
    for c in &declared.connections {
        let s = Subject::cluster("PortalConnection", &c.object.metadata, &c.location);
        connection::check(&s, &c.object.spec, &mut out);
    }
    for k in &declared.sinks {
        let s = Subject::cluster("NotificationSink", &k.object.metadata, &k.location);
        sink::check(&s, &k.object.spec, &mut out);
    }
    uniqueness::check(declared, &index, &mut out);
    graph::cycles(declared, &index, &mut out);
    out.sort();
    out
}

//! The declared objects by identity, built once: (namespace, name) hash maps for every lookup
//! the rules make, so validation stays linear in the number of objects.
//!
//! Building the index also checks identity itself: Kubernetes names, and duplicate objects
//! (same kind, namespace and name), reported on the later one with the file:line of both.

use foldhash::{HashMap, HashMapExt};
use std::collections::hash_map::Entry;

use super::rule;
use super::subject::{Subject, qualified, shown};
use super::syntax;
use crate::api::Problem;
use crate::api::{
    Declared, Located, Location, PortalConnection, Sensitive, ServiceBindingSpec, ServiceKind,
    Tenant,
};

/// Lookups by identity. The first declaration of a duplicated object is the one indexed.
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Tenants by (namespace, name).
    pub tenants: HashMap<(&'a str, &'a str), &'a Located<Tenant>>,
    /// Bindings by (namespace, name): position in `Declared::bindings`.
    pub bindings: HashMap<(&'a str, &'a str), usize>,
    /// PortalConnections by name.
    pub connections: HashMap<&'a str, &'a Located<PortalConnection>>,
    /// Per binding: false for the second and later declarations of a duplicated name.
    pub binding_is_first: Vec<bool>,
    /// The first binding of each service kind per tenant: (namespace, tenant, kind) → position.
    pub services: HashMap<(&'a str, &'a str, ServiceKind), usize>,
    /// Per binding: its one service, or None when it sets no block or several.
    pub service_of: Vec<Option<ServiceKind>>,
    /// Bindings that declare a service their tenant already has: (binding, first binding).
    pub service_repeats: Vec<(usize, usize)>,
    /// Secret values by (namespace, name, key): looked up without building an owned key.
    pub secrets: HashMap<(&'a str, &'a str, &'a str), &'a Sensitive>,
    /// Tenants declared but not readable, by (namespace, name): where their problem is.
    pub rejected_tenants: HashMap<(&'a str, &'a str), &'a Location>,
}

impl<'a> Index<'a> {
    /// Indexes `declared`, pushing identity problems to `out`.
    pub fn build(declared: &'a Declared, out: &mut Vec<Problem>) -> Self {
        let mut index = Index {
            tenants: HashMap::with_capacity(declared.tenants.len()),
            bindings: HashMap::with_capacity(declared.bindings.len()),
            services: HashMap::with_capacity(declared.bindings.len()),
            secrets: declared
                .secrets
                .iter()
                .map(|(k, v)| ((k.namespace.as_str(), k.name.as_str(), k.key.as_str()), v))
                .collect(),
            rejected_tenants: declared
                .rejected
                .iter()
                .filter(|(id, _)| id.kind == "Tenant")
                .map(|(id, at)| ((id.namespace.as_str(), id.name.as_str()), at))
                .collect(),
            ..Index::default()
        };
        for t in &declared.tenants {
            let s = Subject::namespaced("Tenant", &t.object.metadata, &t.location);
            check_identity(&s, out);
            first_wins(
                &mut index.tenants,
                (s.namespace, s.name),
                t,
                |first| first.location.clone(),
                &s,
                out,
            );
        }
        let mut admins = HashMap::with_capacity(declared.admins.len());
        for a in &declared.admins {
            let s = Subject::namespaced("TenantAdmin", &a.object.metadata, &a.location);
            check_identity(&s, out);
            first_wins(
                &mut admins,
                (s.namespace, s.name),
                a,
                |first| first.location.clone(),
                &s,
                out,
            );
        }
        index.binding_is_first.reserve(declared.bindings.len());
        index.service_of.reserve(declared.bindings.len());
        for (i, b) in declared.bindings.iter().enumerate() {
            let s = Subject::namespaced("ServiceBinding", &b.object.metadata, &b.location);
            check_identity(&s, out);
            let service = one_service(&b.object.spec);
            index.service_of.push(service);
            let first = first_wins(
                &mut index.bindings,
                (s.namespace, s.name),
                i,
                |first| declared.bindings[*first].location.clone(),
                &s,
                out,
            );
            index.binding_is_first.push(first);
            if let (true, Some(kind)) = (first, service) {
                let tenant = b.object.spec.tenant_ref.name.as_str();
                match index.services.entry((s.namespace, tenant, kind)) {
                    Entry::Vacant(slot) => {
                        slot.insert(i);
                    }
                    Entry::Occupied(first) => index.service_repeats.push((i, *first.get())),
                }
            }
        }
        for c in &declared.connections {
            let s = Subject::cluster("PortalConnection", &c.object.metadata, &c.location);
            if !syntax::is_object_name(s.name) {
                out.push(name_problem(&s));
            }
            first_wins(
                &mut index.connections,
                s.name,
                c,
                |first| first.location.clone(),
                &s,
                out,
            );
        }
        index
    }

    /// The tenant `name` of `namespace`, asking `near` first: the objects of one customer
    /// usually come together in the input, so most lookups repeat the previous one.
    pub fn tenant_near(
        &self,
        near: &mut Option<(&'a str, &'a str, Option<&'a Tenant>)>,
        namespace: &'a str,
        name: &'a str,
    ) -> Option<&'a Tenant> {
        if let Some((ns, n, found)) = *near
            && ns == namespace
            && n == name
        {
            return found;
        }
        let found = self.tenant(namespace, name);
        *near = Some((namespace, name, found));
        found
    }

    /// The tenant `name` of `namespace`, if declared.
    pub fn tenant(&self, namespace: &str, name: &str) -> Option<&'a Tenant> {
        self.tenants.get(&(namespace, name)).map(|t| &t.object)
    }

    /// The value of a Secret key, if the input holds it.
    pub fn secret(&self, namespace: &str, name: &str, key: &str) -> Option<&'a Sensitive> {
        self.secrets.get(&(namespace, name, key)).copied()
    }
}

/// The binding's service when exactly one block is set (`ServiceBindingSpec::service` without
/// building the list of blocks: this runs once per binding of the input).
fn one_service(spec: &ServiceBindingSpec) -> Option<ServiceKind> {
    let blocks = [
        (spec.azure_ad.is_some(), ServiceKind::AzureAd),
        (
            spec.microsoft_online.is_some(),
            ServiceKind::MicrosoftOnline,
        ),
        (spec.citrix.is_some(), ServiceKind::Citrix),
        (spec.file_sharing.is_some(), ServiceKind::FileSharing),
        (spec.teams_connector.is_some(), ServiceKind::TeamsConnector),
        (spec.contact_center.is_some(), ServiceKind::ContactCenter),
        (spec.licenses.is_some(), ServiceKind::Licenses),
        (spec.sms.is_some(), ServiceKind::Sms),
        (
            spec.cloudlink_gateway.is_some(),
            ServiceKind::CloudlinkGateway,
        ),
    ];
    let mut set = blocks.iter().filter(|(on, _)| *on).map(|(_, kind)| *kind);
    match (set.next(), set.next()) {
        (Some(kind), None) => Some(kind),
        _ => None,
    }
}

/// Inserts `value` unless `key` is taken; reports the duplicate and returns false then.
fn first_wins<K: Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    location_of: impl Fn(&V) -> crate::api::Location,
    s: &Subject,
    out: &mut Vec<Problem>,
) -> bool {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            true
        }
        Entry::Occupied(first) => {
            out.push(s.error(
                "metadata.name",
                rule::DUPLICATE_OBJECT,
                format!(
                    "{} {} is declared twice, at {} and at {}: rename or remove one",
                    s.kind,
                    qualified(s.namespace, s.name),
                    location_of(first.get()),
                    s.location
                ),
            ));
            false
        }
    }
}

fn check_identity(s: &Subject, out: &mut Vec<Problem>) {
    if !syntax::is_object_name(s.name) {
        out.push(name_problem(s));
    }
    if !syntax::is_namespace(s.namespace) {
        out.push(s.error(
            "metadata.namespace",
            rule::OBJECT_NAME,
            format!(
                "namespace {} is not a Kubernetes namespace name: use lower-case letters, digits and '-', at most 63",
                shown(s.namespace)
            ),
        ));
    }
}

fn name_problem(s: &Subject) -> Problem {
    let message = if s.name.is_empty() {
        "metadata.name is missing: give the object a name".to_owned()
    } else {
        format!(
            "name {} is not a Kubernetes object name: use lower-case letters, digits, '-' and '.', at most 253",
            shown(s.name)
        )
    };
    s.error("metadata.name", rule::OBJECT_NAME, message)
}

//! Expansion: declared Tenants, TenantAdmins and ServiceBindings → portal resources.

mod binding;
mod tenant;

use std::collections::{BTreeMap, HashMap};

use kube::ResourceExt;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Model;
use super::address::Address;
use super::error::ModelError;
use super::fingerprint::{fingerprint, fingerprint_field};
use super::graph;
use super::kind::Kind;
use super::parallel::map_in_parallel;
use super::resource::{ParentLink, Resource, SecretField, SecretSource};
use crate::api::ObjectId;
use crate::api::{
    Address as PostalAddress, Contact, Declared, DeletionPolicy, Located, Location,
    ManagementPolicy, Policies, Portal, SecretKey, SecretKeyRef, Sensitive, Tenant,
};

/// Expands a (validated) declaration into portal resources in dependency order.
///
/// Tenants listing `daas` make a DaaS customer, `cloudlink` a CloudLink account; admins and
/// bindings make the rest. Every resource depends on its parent; Microsoft Online depends on
/// the tenant's Azure AD; `dependsOn` adds edges to every resource of the named binding.
pub fn expand(declared: &Declared) -> Result<Model, ModelError> {
    // Tenants by namespace, then name: looked up with borrowed strings, no key is built.
    let mut tenants: HashMap<&str, HashMap<&str, &Located<Tenant>>> = HashMap::new();
    for t in &declared.tenants {
        let meta = &t.object.metadata;
        tenants
            .entry(meta.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE))
            .or_default()
            .insert(meta.name.as_deref().unwrap_or_default(), t);
    }
    let find_tenant = |object: &ObjectId, name: &str| {
        tenants
            .get(object.namespace.as_str())
            .and_then(|names| names.get(name))
            .copied()
            .ok_or_else(|| ModelError::UnknownTenant {
                object: object.clone(),
                tenant: format!("{}/{name}", object.namespace),
            })
    };
    let secrets = &declared.secrets;
    // Each object expands on its own, so large inputs expand on every core; the results are
    // joined in input order and the first error in that order wins.
    let from_tenants = map_in_parallel(&declared.tenants, |t| {
        let mut out = Vec::new();
        tenant::expand_tenant(t, &mut out);
        Ok(out)
    });
    let from_admins = map_in_parallel(&declared.admins, |a| {
        let origin_id = ObjectId::new("TenantAdmin", &namespace(&a.object), &a.object.name_any());
        let t = find_tenant(&origin_id, &a.object.spec.tenant_ref.name)?;
        let mut out = Vec::new();
        tenant::expand_admin(a, t, secrets, &mut out)?;
        Ok(out)
    });
    let from_bindings = map_in_parallel(&declared.bindings, |b| {
        let origin_id = ObjectId::new(
            "ServiceBinding",
            &namespace(&b.object),
            &b.object.name_any(),
        );
        let t = find_tenant(&origin_id, &b.object.spec.tenant_ref.name)?;
        let mut out = Vec::new();
        binding::expand_binding(b, t, secrets, &mut out)?;
        Ok(out)
    });
    let mut resources = Vec::with_capacity(declared.len() * 2);
    for part in from_tenants
        .into_iter()
        .chain(from_admins)
        .chain(from_bindings)
    {
        resources.extend(part?);
    }
    add_binding_edges(declared, &mut resources)?;
    check_unique(&resources)?;
    let resources = graph::order(resources)?;
    Ok(Model::from_ordered(resources))
}

/// Adds Microsoft Online → Azure AD edges and the explicit `dependsOn` edges.
fn add_binding_edges(declared: &Declared, resources: &mut [Resource]) -> Result<(), ModelError> {
    let mut by_binding: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut azure_by_tenant: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.declared_by.kind == "ServiceBinding" {
            by_binding
                .entry((&r.declared_by.namespace, &r.declared_by.name))
                .or_default()
                .push(i);
        }
        if r.address.kind == Kind::AzureAd {
            azure_by_tenant.entry(&r.tenant).or_default().push(i);
        }
    }
    let mut extra: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.address.kind == Kind::MicrosoftOnline {
            let azure = azure_by_tenant.get(r.tenant.as_str()).into_iter().flatten();
            extra.entry(i).or_default().extend(azure);
        }
    }
    for b in &declared.bindings {
        let ns = namespace(&b.object);
        let name = b.object.name_any();
        let Some(own) = by_binding.get(&(ns.as_str(), name.as_str())) else {
            continue;
        };
        for dep in &b.object.spec.depends_on {
            let targets = by_binding
                .get(&(ns.as_str(), dep.name.as_str()))
                .ok_or_else(|| ModelError::UnknownDependency {
                    object: ObjectId::new("ServiceBinding", &ns, &name),
                    namespace: ns.clone(),
                    name: dep.name.clone(),
                })?;
            for &i in own {
                extra.entry(i).or_default().extend(targets);
            }
        }
    }
    let extra: Vec<(usize, Vec<Address>)> = extra
        .into_iter()
        .map(|(i, deps)| {
            (
                i,
                deps.into_iter()
                    .map(|d| resources[d].address.clone())
                    .collect(),
            )
        })
        .collect();
    for (i, more) in extra {
        let deps = &mut resources[i].depends_on;
        deps.extend(more);
        deps.sort();
        deps.dedup();
    }
    Ok(())
}

/// Two declarations must not expand to the same portal object.
fn check_unique(resources: &[Resource]) -> Result<(), ModelError> {
    let mut seen: HashMap<&Address, &ObjectId> = HashMap::with_capacity(resources.len());
    for r in resources {
        if let Some(first) = seen.insert(&r.address, &r.declared_by) {
            let (first, second) = if first <= &r.declared_by {
                (first, &r.declared_by)
            } else {
                (&r.declared_by, first)
            };
            return Err(ModelError::DuplicateAddress {
                address: r.address.to_string(),
                first: first.clone(),
                second: Box::new(second.clone()),
            });
        }
    }
    Ok(())
}

/// The namespace of objects whose manifest leaves it out.
const DEFAULT_NAMESPACE: &str = "default";

/// The namespace of a declared object (`default` when the manifest leaves it out).
fn namespace<K: ResourceExt>(object: &K) -> String {
    object
        .namespace()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// What every resource of one declared object shares.
struct Origin {
    declared_by: ObjectId,
    location: Location,
    tenant: String,
    policies: Policies,
}

impl Origin {
    /// The origin of `object` (kind `kind`) belonging to Tenant `tenant`, policies inherited
    /// from the Tenant when the object sets none.
    fn new<K: ResourceExt>(
        kind: &str,
        object: &K,
        location: &Location,
        tenant: &Tenant,
        deletion_policy: Option<DeletionPolicy>,
        management_policy: Option<ManagementPolicy>,
    ) -> Self {
        Self {
            declared_by: ObjectId::new(kind, &namespace(object), &object.name_any()),
            location: location.clone(),
            tenant: format!("{}/{}", namespace(tenant), tenant.name_any()),
            policies: Policies::inherit(deletion_policy, management_policy, Some(&tenant.spec)),
        }
    }

    /// `namespace/name` of the declaring object: the `externalRef` of its main resource.
    fn external_ref(&self) -> String {
        format!("{}/{}", self.declared_by.namespace, self.declared_by.name)
    }

    /// A resource of this origin.
    fn resource(&self, kind: Kind, external_ref: String, spec: Map<String, Value>) -> Resource {
        Resource {
            address: Address::new(kind, external_ref),
            declared_by: self.declared_by.clone(),
            location: self.location.clone(),
            tenant: self.tenant.clone(),
            deletion_policy: self.policies.deletion,
            management_policy: self.policies.management,
            spec,
            parent: None,
            secrets: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// Resolves a password: a Secret value from the input, or generated at creation.
    fn password(
        &self,
        field: &'static str,
        secret_ref: Option<&SecretKeyRef>,
        secrets: &BTreeMap<SecretKey, Sensitive>,
    ) -> Result<SecretSource, ModelError> {
        let Some(secret_ref) = secret_ref else {
            return Ok(SecretSource::Generated);
        };
        let key = SecretKey {
            namespace: self.declared_by.namespace.clone(),
            name: secret_ref.name.clone(),
            key: secret_ref.key.clone(),
        };
        secrets
            .get(&key)
            .map(|v| SecretSource::Known(v.clone()))
            .ok_or_else(|| ModelError::MissingSecret {
                object: self.declared_by.clone(),
                field,
                secret: Box::new(key),
            })
    }
}

impl Resource {
    /// Makes `parent` the parent (its id fills `field`) and a dependency.
    fn with_parent(mut self, parent: Address) -> Self {
        if let Some(field) = self.address.kind.parent_field() {
            self.depends_on.push(parent.clone());
            self.parent = Some(ParentLink {
                address: parent,
                field,
            });
        }
        self
    }

    /// Adds a write-only `password`, and its fingerprint to the spec when the value is known.
    fn with_password(mut self, source: SecretSource) -> Self {
        let field = "password";
        if let SecretSource::Known(value) = &source {
            let print = fingerprint(&self.address.external_ref, field, value);
            self.spec
                .insert(fingerprint_field(field), Value::String(print));
        }
        self.secrets.push(SecretField { field, source });
        self
    }
}

/// The address of a Tenant's main object in `portal`, or why there is none.
fn tenant_object(
    tenant: &Tenant,
    portal: Portal,
    kind: Kind,
    object: &ObjectId,
) -> Result<Address, ModelError> {
    let tenant_ref = format!("{}/{}", namespace(tenant), tenant.name_any());
    if tenant.spec.portals.contains(&portal) {
        Ok(Address::new(kind, tenant_ref))
    } else {
        Err(ModelError::PortalNotEnabled {
            object: object.clone(),
            tenant: tenant_ref,
            portal: portal.id(),
        })
    }
}

/// A unit enum as its wire string.
fn enum_str<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A contact on the wire: `{name, email, phone?}`.
fn contact_json(contact: &Contact) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), contact.name.clone().into());
    m.insert("email".into(), contact.email.clone().into());
    if let Some(phone) = &contact.phone {
        m.insert("phone".into(), phone.clone().into());
    }
    Value::Object(m)
}

/// A postal address on the wire: `{line1, line2?, city, region?, postalCode, country}`.
fn address_json(address: &PostalAddress) -> Value {
    let mut m = Map::new();
    m.insert("line1".into(), address.line1.clone().into());
    if let Some(line2) = &address.line2 {
        m.insert("line2".into(), line2.clone().into());
    }
    m.insert("city".into(), address.city.clone().into());
    if let Some(region) = &address.region {
        m.insert("region".into(), region.clone().into());
    }
    m.insert("postalCode".into(), address.postal_code.clone().into());
    m.insert("country".into(), address.country.clone().into());
    Value::Object(m)
}

/// A list of strings on the wire.
fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

//! A whole declaration → portal resources: each object expanded on its own (in parallel), then
//! the edges between bindings, the uniqueness of addresses and the dependency order.

use std::collections::{BTreeMap, HashMap};

use kube::ResourceExt;

use super::origin::{DEFAULT_NAMESPACE, namespace};
use super::{binding, daas, tenant};
use crate::api::{Declared, Located, ObjectId, Tenant};
use crate::model::Model;
use crate::model::address::Address;
use crate::model::error::ModelError;
use crate::model::graph;
use crate::model::kind::Kind;
use crate::model::parallel::map_in_parallel;
use crate::model::resource::Resource;

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
        tenant::expand_tenant(t, &mut out)?;
        Ok(out)
    });
    let from_admins = map_in_parallel(&declared.admins, |a| {
        let origin_id = ObjectId::new("TenantAdmin", &namespace(&a.object), &a.object.name_any());
        let t = find_tenant(&origin_id, &a.object.spec.tenant_ref.name)?;
        let mut out = Vec::new();
        daas::admin(a, t, secrets, &mut out)?;
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
    one_per_adopted_address(&mut resources);
    check_unique(&resources)?;
    let resources = graph::order(resources)?;
    Ok(Model::from_ordered(resources))
}

/// Adds Microsoft Online → Azure AD and admin → GDAP relationship edges, and the explicit
/// `dependsOn` edges.
fn add_binding_edges(declared: &Declared, resources: &mut [Resource]) -> Result<(), ModelError> {
    let mut by_binding: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut azure_by_tenant: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        // A binding's `dependsOn` means its services, not the GDAP relationship an azureAD
        // binding also declares (Microsoft 365 is bought without it).
        if r.declared_by.kind == "ServiceBinding" && r.address.kind != Kind::AdminRelationship {
            by_binding
                .entry((&r.declared_by.namespace, &r.declared_by.name))
                .or_default()
                .push(i);
        }
        if r.address.kind == Kind::AzureAd {
            azure_by_tenant.entry(&r.tenant).or_default().push(i);
        }
    }
    let gdap_by_tenant: HashMap<&str, usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.address.kind == Kind::AdminRelationship)
        .map(|(i, r)| (r.tenant.as_str(), i))
        .collect();
    let mut extra: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        if r.address.kind == Kind::MicrosoftOnline {
            let azure = azure_by_tenant.get(r.tenant.as_str()).into_iter().flatten();
            extra.entry(i).or_default().extend(azure);
        }
        // An admin is a user inside the customer's Microsoft tenant: the partner acts there
        // only through an active GDAP relationship.
        if r.address.kind == Kind::DaasAdmin
            && let Some(&gdap) = gdap_by_tenant.get(r.tenant.as_str())
        {
            extra.entry(i).or_default().push(gdap);
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

/// Keeps the first resource of an adopted-only kind per address: bindings naming the same 10DLC
/// campaign share one adopted object (declared by the first of them, in input order).
fn one_per_adopted_address(resources: &mut Vec<Resource>) {
    let mut seen = std::collections::HashSet::new();
    resources.retain(|r| !r.address.kind.is_adopted_only() || seen.insert(r.address.clone()));
}

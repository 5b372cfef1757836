//! Plan tests: helpers shared with the renderer tests, the diff cases and the properties.

mod cases;
mod drift;
mod property;

use serde_json::Value;

use crate::api::{Declared, Sensitive};
use crate::model::fixtures;
use crate::model::{
    Address, Kind, Model, Observed, PortalObject, SecretSource, expand, fingerprint,
};

/// The generated password the emulated portal "received" for generated secrets.
pub(crate) const GENERATED: &str = "Generated-Pass-9";

pub(crate) fn model_of(declared: &Declared) -> Model {
    expand(declared).unwrap_or_else(|e| panic!("expands: {e}"))
}

/// What the portals hold after applying `model` exactly: ids from the order, parent ids
/// filled in, generated secrets fingerprinted, a generated customer code in status.
pub(crate) fn converge(model: &Model) -> Observed {
    let mut observed = Observed::new();
    let mut ids: std::collections::HashMap<&Address, String> = Default::default();
    let mut codes: std::collections::HashMap<&Address, String> = Default::default();
    for (i, r) in model.resources().iter().enumerate() {
        let id = format!("{}_{i}", r.address.kind.name());
        let mut spec = r.spec.clone();
        if let Some(link) = &r.parent {
            let parent = ids.get(&link.address).cloned().unwrap_or_default();
            spec.insert(link.field.to_owned(), Value::String(parent));
        }
        for s in &r.secrets {
            if s.source == SecretSource::Generated {
                let print =
                    fingerprint(&r.address.external_ref, s.field, &Sensitive::new(GENERATED));
                spec.insert(format!("{}Fingerprint", s.field), print.into());
            }
        }
        let mut status = serde_json::Map::new();
        status.insert("phase".into(), "Ready".into());
        if r.address.kind == Kind::DaasCustomer {
            status.insert("code".into(), format!("C{i:05}").into());
            codes.insert(&r.address, format!("C{i:05}"));
        }
        // The contract's azure-ad reports its customer's code (`x-generated`).
        if r.address.kind == Kind::AzureAd
            && let Some(code) = r.parent.as_ref().and_then(|l| codes.get(&l.address))
        {
            status.insert("customerCode".into(), code.clone().into());
        }
        observed.insert(
            r.address.kind,
            PortalObject {
                id: id.clone(),
                external_ref: r.address.external_ref.clone(),
                deletion_policy: r.deletion_policy,
                version: 1,
                spec,
                status,
            },
        );
        ids.insert(&r.address, id);
    }
    observed
}

/// Applies `edit` to the observed object at (`kind`, `external_ref`).
pub(crate) fn edit_observed(
    observed: &mut Observed,
    kind: Kind,
    external_ref: &str,
    edit: impl FnOnce(&mut PortalObject),
) {
    let mut object = observed
        .get(kind, external_ref)
        .cloned()
        .unwrap_or_else(|| panic!("no observed {kind} {external_ref}"));
    edit(&mut object);
    let mut rebuilt = Observed::new();
    for k in Kind::ALL {
        for o in observed.of_kind(k) {
            if k == kind && o.external_ref == external_ref {
                continue;
            }
            rebuilt.insert(k, o.clone());
        }
    }
    rebuilt.insert(kind, object);
    *observed = rebuilt;
}

/// `copies` copies of the fixture, one namespace each (14 portal objects per copy).
pub(crate) fn many(copies: usize) -> Declared {
    let one = fixtures::kenton();
    let mut all = Declared::default();
    for i in 0..copies {
        let ns = format!("ns{i:05}");
        let mut copy = one.clone();
        for t in &mut copy.tenants {
            t.object.metadata.namespace = Some(ns.clone());
        }
        for a in &mut copy.admins {
            a.object.metadata.namespace = Some(ns.clone());
        }
        for b in &mut copy.bindings {
            b.object.metadata.namespace = Some(ns.clone());
        }
        all.tenants.extend(copy.tenants);
        all.admins.extend(copy.admins);
        all.bindings.extend(copy.bindings);
        for (k, v) in copy.secrets {
            let key = crate::api::SecretKey {
                namespace: ns.clone(),
                ..k
            };
            all.secrets.insert(key, v);
        }
    }
    all
}

//! Observing the portals: the one way every caller reads portal state. One list call per page
//! per kind and namespace, or one filtered list per address; never a read per object.

use std::collections::BTreeSet;

use futures::future::join_all;

use crate::api::{ObjectId, Portal};
use crate::model::{Address, Kind, Model, Observed};
use crate::plan::{self, Plan, PlanOptions, Scope};
use crate::portal::{ListFilter, PortalApi, PortalError};

/// Which portal objects to observe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every object of these kinds whose `externalRef` lies in one of these namespaces (a
    /// plan of some manifests).
    Namespaces {
        /// The kinds to list.
        kinds: Vec<Kind>,
        /// The namespaces.
        namespaces: Vec<String>,
    },
    /// The objects at these addresses, duplicates included (one object's reconcile or
    /// teardown).
    Addresses(BTreeSet<Address>),
    /// Every object of these kinds (an import).
    All(Vec<Kind>),
}

impl Selection {
    /// What a plan of `model` within `scope` must see: every kind in the scope's namespaces;
    /// or, for objects, their portal objects and their parents (whose ids their resources
    /// need); or everything.
    pub fn for_plan(model: &Model, scope: &Scope) -> Selection {
        match scope {
            Scope::Everything => Selection::All(Kind::ALL.to_vec()),
            Scope::Namespaces(namespaces) => Selection::Namespaces {
                kinds: Kind::ALL.to_vec(),
                namespaces: namespaces.iter().cloned().collect(),
            },
            Scope::Objects(ids) => Selection::objects(model, ids),
        }
    }

    /// The portal objects `ids` declare and their parents.
    fn objects(model: &Model, ids: &BTreeSet<ObjectId>) -> Selection {
        let mut addresses = BTreeSet::new();
        for r in model
            .resources()
            .iter()
            .filter(|r| ids.contains(&r.declared_by))
        {
            addresses.insert(r.address.clone());
            if let Some(parent) = &r.parent {
                addresses.insert(parent.address.clone());
            }
        }
        Selection::Addresses(addresses)
    }
}

/// Observes the objects `selection` names.
///
/// The calls run concurrently; the client's shared budget keeps them within the connection's
/// rate limit.
pub async fn observe<P: PortalApi>(
    portal: &P,
    selection: &Selection,
) -> Result<Observed, PortalError> {
    observe_in(portal, selection, &Partitions::new()).await
}

/// Where the declared objects of each kind live, for APIs partitioned per customer (see
/// [`ListFilter::partitions`]).
pub type Partitions = std::collections::BTreeMap<Kind, Vec<String>>;

/// The partitions of `model`'s resources (Graph: the admins' directory tenants).
pub fn partitions(model: &Model) -> Partitions {
    let mut out: std::collections::BTreeMap<Kind, BTreeSet<String>> = Default::default();
    for r in model.resources() {
        if let Some(p) = r.partition() {
            out.entry(r.address.kind).or_default().insert(p);
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

/// [`observe`], telling each list where the kind's declared objects live.
pub async fn observe_in<P: PortalApi>(
    portal: &P,
    selection: &Selection,
    partitions: &Partitions,
) -> Result<Observed, PortalError> {
    let within = |kind: Kind| partitions.get(&kind).cloned().unwrap_or_default();
    let calls: Vec<(Kind, ListFilter)> = match selection {
        Selection::Namespaces { kinds, namespaces } => kinds
            .iter()
            .flat_map(|&kind| {
                // Adopted campaigns live under their own first segment (`10dlc/<id>`), shared
                // by every namespace: one list of that prefix.
                let namespaces: Vec<String> = if kind.is_adopted_only() {
                    vec![crate::model::CAMPAIGN_NAMESPACE.to_owned()]
                } else {
                    namespaces.clone()
                };
                namespaces.into_iter().map(move |ns| {
                    let filter = ListFilter {
                        external_ref: None,
                        external_ref_prefix: Some(format!("{ns}/")),
                        partitions: within(kind),
                    };
                    (kind, filter)
                })
            })
            .collect(),
        Selection::Addresses(addresses) => addresses
            .iter()
            .map(|a| {
                let filter = ListFilter {
                    external_ref: Some(a.external_ref.clone()),
                    external_ref_prefix: None,
                    partitions: within(a.kind),
                };
                (a.kind, filter)
            })
            .collect(),
        Selection::All(kinds) => kinds
            .iter()
            .map(|&k| {
                let filter = ListFilter {
                    partitions: within(k),
                    ..ListFilter::default()
                };
                (k, filter)
            })
            .collect(),
    };
    let lists = calls.iter().map(|(kind, filter)| async move {
        portal
            .list(kind.portal(), kind.name(), filter)
            .await
            .map(|objects| (*kind, objects))
    });
    let mut observed = Observed::new();
    for result in join_all(lists).await {
        let (kind, objects) = result?;
        observed.extend(kind, objects);
    }
    Ok(observed)
}

/// Observes what a plan of `model` under `options` must see, and plans: the one
/// observe-then-plan of the CLI and the controller, so both compute the same plan (and hash)
/// from the same declaration and portal state.
pub async fn observe_and_plan<P: PortalApi>(
    portal: &P,
    model: &Model,
    options: &PlanOptions,
) -> Result<(Observed, Plan), PortalError> {
    let selection = Selection::for_plan(model, &options.scope);
    let observed = observe_in(portal, &selection, &partitions(model)).await?;
    let plan = plan::plan(model, &observed, options);
    Ok((observed, plan))
}

/// An externalRef no declared object has (refs are `namespace/name`, and `.` is no
/// namespace): the connection check's lists are empty.
const CHECK_REF: &str = "./tenantry-connection-check";

/// Proves a connection's URL and credentials: one authenticated read per portal, of a list
/// that is always empty, so it costs one small page each and reads no customer data.
pub async fn check<P: PortalApi>(portal: &P, portals: &[Portal]) -> Result<(), PortalError> {
    let filter = ListFilter {
        external_ref: Some(CHECK_REF.to_owned()),
        external_ref_prefix: None,
        partitions: Vec::new(),
    };
    for &served in portals {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.portal() == served) {
            portal.list(served, kind.name(), &filter).await?;
        }
    }
    Ok(())
}

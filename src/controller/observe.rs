//! Step 4 of the pipeline: observe the portal objects of one declaring object (and its
//! parents, so their ids are known), one list call per object filtered by `externalRef`.

use std::collections::BTreeSet;

use crate::model::{Address, Model, Observed, PortalObject};
use crate::portal::{ListFilter, PortalApi, PortalError};

/// The addresses to observe: the object's own resources and their parents.
pub(crate) fn scope(model: &Model, own: &[Address]) -> BTreeSet<Address> {
    let mut out = BTreeSet::new();
    for address in own {
        out.insert(address.clone());
        if let Some(parent) = model.get(address).and_then(|r| r.parent.as_ref()) {
            out.insert(parent.address.clone());
        }
    }
    out
}

/// Lists every address in `scope` by its `externalRef`.
pub(crate) async fn observe(
    portal: &impl PortalApi,
    scope: &BTreeSet<Address>,
) -> Result<Observed, PortalError> {
    let mut observed = Observed::new();
    for address in scope {
        let kind = address.kind;
        let filter = ListFilter {
            external_ref: Some(address.external_ref.clone()),
            external_ref_prefix: None,
        };
        let items = portal.list(kind.portal(), kind.name(), &filter).await?;
        observed.extend(kind, items.into_iter().map(envelope));
    }
    Ok(observed)
}

/// The portal client's envelope as the model's (the same wire shape).
pub(crate) fn envelope(o: crate::portal::PortalObject) -> PortalObject {
    PortalObject {
        id: o.id,
        external_ref: o.external_ref,
        deletion_policy: o.deletion_policy,
        version: o.version,
        spec: o.spec,
        status: o.status,
    }
}

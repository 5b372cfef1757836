//! Observing the portals: one list call per page per kind and namespace, never a read per object.

use futures::future::join_all;

use crate::model::{Kind, Observed};
use crate::portal::{ListFilter, PortalApi, PortalError};

/// Lists every object of `kinds` whose `externalRef` lies in one of `namespaces`.
///
/// The calls run concurrently; the portal client's shared budget keeps them within the
/// connection's rate limit. Observing N objects costs about N / page size calls.
pub async fn observe<P: PortalApi>(
    portal: &P,
    kinds: &[Kind],
    namespaces: &[String],
) -> Result<Observed, PortalError> {
    let calls = kinds.iter().flat_map(|&kind| {
        namespaces.iter().map(move |ns| async move {
            let filter = ListFilter {
                external_ref: None,
                external_ref_prefix: Some(format!("{ns}/")),
            };
            portal
                .list(kind.portal(), kind.name(), &filter)
                .await
                .map(|objects| (kind, objects))
        })
    });
    let mut observed = Observed::new();
    for result in join_all(calls).await {
        let (kind, objects) = result?;
        observed.extend(kind, objects);
    }
    Ok(observed)
}

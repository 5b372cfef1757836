//! Outputs after an apply: the values the portals generated for what it created or changed.

use std::collections::BTreeSet;

use super::observe::{Selection, observe_in, partitions};
use super::step::{Action, Report};
use crate::model::{Address, Kind, Model};
use crate::plan::{self, Output};
use crate::portal::{PortalApi, PortalError};

/// The outputs of the objects `report` created or changed, read back from the portal: an
/// async object's generated values (the onmicrosoft domain) exist only once its operation
/// has finished, after the write returned. The read costs one filtered list per object, or
/// one list per kind and namespace written when that is fewer calls.
pub async fn outputs_after<P: PortalApi>(
    portal: &P,
    model: &Model,
    report: &Report,
) -> Result<Vec<Output>, PortalError> {
    let written: BTreeSet<Address> = report
        .steps
        .iter()
        .filter(|s| s.action != Action::Delete && s.outcome.id().is_some())
        .map(|s| s.address.clone())
        .collect();
    if written.is_empty() {
        return Ok(Vec::new());
    }
    let kinds: BTreeSet<Kind> = written.iter().map(|a| a.kind).collect();
    let namespaces: BTreeSet<&str> = written.iter().map(Address::namespace).collect();
    let selection = if written.len() <= kinds.len() * namespaces.len() {
        Selection::Addresses(written.clone())
    } else {
        Selection::Namespaces {
            kinds: kinds.into_iter().collect(),
            namespaces: namespaces.into_iter().map(str::to_owned).collect(),
        }
    };
    let observed = observe_in(portal, &selection, &partitions(model)).await?;
    Ok(plan::outputs(model, &observed, |r| {
        written.contains(&r.address)
    }))
}

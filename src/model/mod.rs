//! The model: declared objects expanded into portal resources with stable addresses,
//! desired wire specs and a dependency order (DESIGN.md §3).

mod address;
mod deviation;
mod error;
mod expand;
mod fingerprint;
mod graph;
mod kind;
mod observed;
pub(crate) mod parallel;
mod resource;
pub mod semantics;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use address::{Address, namespace_of};
pub use deviation::{Deviation, parse_expiry, shown_value};
pub use error::ModelError;
pub use expand::{CAMPAIGN_NAMESPACE, campaign_ref, expand};
pub use fingerprint::{fingerprint, fingerprint_field};
pub use kind::Kind;
pub use observed::{Observed, OperationFailure, PortalObject};
pub use resource::{ParentLink, Resource, SecretField, SecretSource, WireError, WireSpec};
pub use semantics::Semantics;

/// The desired portal resources of an input, in dependency order.
#[derive(Debug, Clone, Default)]
pub struct Model {
    resources: Vec<Resource>,
    index: HashMap<Address, usize>,
}

impl Model {
    /// A model from resources already in dependency order.
    fn from_ordered(resources: Vec<Resource>) -> Self {
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.address.clone(), i))
            .collect();
        Self { resources, index }
    }

    /// Every resource, each after everything it depends on.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The resource at `address`.
    pub fn get(&self, address: &Address) -> Option<&Resource> {
        self.index.get(address).map(|&i| &self.resources[i])
    }

    /// Position of `address` in the dependency order.
    pub fn position(&self, address: &Address) -> Option<usize> {
        self.index.get(address).copied()
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

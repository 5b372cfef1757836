//! `Address`: the stable identity of one portal object a declaration expands to.

use std::fmt;

use serde::{Serialize, Serializer};

use super::kind::Kind;

/// A portal object's identity: its kind and its `externalRef` (`namespace/name[/part]`).
///
/// Displayed as `daas/customers/customers/kenton-electronics`; ordered by kind, then reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The kind of portal object.
    pub kind: Kind,
    /// The `externalRef` recorded with the object in the portal.
    pub external_ref: String,
}

impl Address {
    /// An address from its parts.
    pub fn new(kind: Kind, external_ref: impl Into<String>) -> Self {
        Self {
            kind,
            external_ref: external_ref.into(),
        }
    }

    /// The namespace part of the `externalRef` (everything before the first `/`).
    pub fn namespace(&self) -> &str {
        namespace_of(&self.external_ref)
    }
}

/// The namespace part of an `externalRef`.
pub fn namespace_of(external_ref: &str) -> &str {
    external_ref
        .split_once('/')
        .map_or(external_ref, |(ns, _)| ns)
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.path(), self.external_ref)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{Address, Kind};

    #[test]
    fn display_and_namespace() {
        let a = Address::new(Kind::License, "customers/kenton-meet/ann@kenton.com");
        assert_eq!(
            a.to_string(),
            "apps/licenses/customers/kenton-meet/ann@kenton.com"
        );
        assert_eq!(a.namespace(), "customers");
        assert_eq!(Address::new(Kind::DaasCustomer, "x").namespace(), "x");
    }
}

//! What the portals hold: object envelopes as the portal contract returns them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::kind::Kind;
use crate::api::DeletionPolicy;

/// One portal object: the contract's envelope `{id, externalRef, deletionPolicy, version, spec, status}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalObject {
    /// Portal-assigned id.
    pub id: String,
    /// The declaring object's reference (`namespace/name[/part]`).
    #[serde(default)]
    pub external_ref: String,
    /// Recorded deletion policy: may a stateless client delete it once undeclared?
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// Version counter, bumped by every write.
    #[serde(default)]
    pub version: u64,
    /// Client-declared fields (secrets only as `{field}Fingerprint`).
    #[serde(default)]
    pub spec: Map<String, Value>,
    /// Portal-generated values; never drift.
    #[serde(default)]
    pub status: Map<String, Value>,
}

impl PortalObject {
    /// `status.phase`, e.g. `Ready`, `Provisioning`, `Scheduled`, `AwaitingConsent`, `Failed`.
    pub fn phase(&self) -> Option<&str> {
        self.status.get("phase").and_then(Value::as_str)
    }

    /// `status.failure`: why the object's last operation failed, while its phase is `Failed`.
    pub fn failure(&self) -> Option<OperationFailure> {
        if self.phase() != Some("Failed") {
            return None;
        }
        let failure = self.status.get("failure")?;
        let text = |key: &str| {
            failure
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(OperationFailure {
            action: text("action"),
            reason: text("reason"),
            message: text("message"),
        })
    }
}

/// Why an object's last portal operation failed (`status.failure`); the portal does not
/// retry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationFailure {
    /// The operation's action: `create`, `update` or `delete`.
    pub action: String,
    /// Stable CamelCase reason, e.g. `DomainUnavailable`.
    pub reason: String,
    /// What happened and what to do next.
    pub message: String,
}

impl OperationFailure {
    /// True when the object was never provisioned: a replacement of it loses nothing.
    pub fn creation_failed(&self) -> bool {
        self.action == "create"
    }
}

/// Every observed portal object, per kind, indexed by `externalRef`.
///
/// Two objects with the same `externalRef` (e.g. left by a crash before idempotency keys) keep
/// the one with the smallest id; the others are kept as duplicates for the plan to report.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    by_kind: BTreeMap<Kind, HashMap<String, PortalObject>>,
    duplicates: Vec<(Kind, PortalObject)>,
}

impl Observed {
    /// No observed objects.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one object of `kind`.
    pub fn insert(&mut self, kind: Kind, object: PortalObject) {
        let index = self.by_kind.entry(kind).or_default();
        match index.get_mut(&object.external_ref) {
            None => {
                index.insert(object.external_ref.clone(), object);
            }
            Some(kept) if object.id < kept.id => {
                let displaced = std::mem::replace(kept, object);
                self.duplicates.push((kind, displaced));
            }
            Some(_) => self.duplicates.push((kind, object)),
        }
    }

    /// Adds every object of a list of `kind`.
    pub fn extend(&mut self, kind: Kind, objects: impl IntoIterator<Item = PortalObject>) {
        for object in objects {
            self.insert(kind, object);
        }
    }

    /// The object of `kind` recorded under `external_ref`.
    pub fn get(&self, kind: Kind, external_ref: &str) -> Option<&PortalObject> {
        self.by_kind.get(&kind)?.get(external_ref)
    }

    /// The object of `kind` under `external_ref` with portal id `id`, duplicates included.
    pub fn find(&self, kind: Kind, external_ref: &str, id: &str) -> Option<&PortalObject> {
        self.get(kind, external_ref)
            .filter(|o| o.id == id)
            .or_else(|| {
                self.duplicates
                    .iter()
                    .find(|(k, o)| *k == kind && o.external_ref == external_ref && o.id == id)
                    .map(|(_, o)| o)
            })
    }

    /// Every object of `kind` under `external_ref`: the kept one, then its duplicates.
    pub fn all_at(&self, kind: Kind, external_ref: &str) -> Vec<&PortalObject> {
        let mut out: Vec<&PortalObject> = self.get(kind, external_ref).into_iter().collect();
        out.extend(
            self.duplicates
                .iter()
                .filter(|(k, o)| *k == kind && o.external_ref == external_ref)
                .map(|(_, o)| o),
        );
        out
    }

    /// Every kept object of `kind`, in no particular order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &PortalObject> {
        self.by_kind.get(&kind).into_iter().flat_map(|m| m.values())
    }

    /// Number of kept objects of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.by_kind.get(&kind).map_or(0, HashMap::len)
    }

    /// Objects that share an `externalRef` with a kept object.
    pub fn duplicates(&self) -> &[(Kind, PortalObject)] {
        &self.duplicates
    }

    /// Number of kept objects.
    pub fn len(&self) -> usize {
        self.by_kind.values().map(HashMap::len).sum()
    }

    /// True when nothing was observed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Observed, PortalObject};

    fn object(id: &str, external_ref: &str) -> PortalObject {
        serde_json::from_value(serde_json::json!({
            "id": id, "externalRef": external_ref, "deletionPolicy": "Delete", "version": 2,
            "createdAt": "2026-11-23T12:00:00Z",
            "spec": {"name": "Kenton"}, "status": {"phase": "Provisioning"}
        }))
        .unwrap_or_else(|e| panic!("envelope: {e}"))
    }

    #[test]
    fn envelope_decodes_and_indexes_by_external_ref() {
        let mut observed = Observed::new();
        observed.insert(Kind::DaasCustomer, object("cus_b", "customers/kenton"));
        observed.insert(Kind::DaasCustomer, object("cus_a", "customers/kenton"));
        let kept = observed.get(Kind::DaasCustomer, "customers/kenton");
        assert_eq!(kept.map(|o| o.id.as_str()), Some("cus_a"));
        assert_eq!(kept.and_then(PortalObject::phase), Some("Provisioning"));
        assert_eq!(observed.duplicates().len(), 1);
        assert_eq!(observed.len(), 1);
        assert!(observed.get(Kind::DaasAdmin, "customers/kenton").is_none());
    }
}

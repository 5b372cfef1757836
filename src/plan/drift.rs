//! Drift: a difference a person made in a portal, told apart from a declared change by the
//! record of what tenantry last applied, and handled by the object's `driftPolicy` and its
//! accepted deviations.
//!
//! A declared change is a field whose declared value differs from the one recorded at the
//! last apply; drift is a field that still has its recorded declared value while the portal
//! holds another. With no record (the first apply, or a lost record) every difference counts
//! as declared, which is what tenantry did before it knew drift.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::action::{FieldChange, FieldValue};
use crate::api::{DriftPolicy, SmallMap};
use crate::model::{Address, Model, PortalObject, Resource, shown_value};

/// Hex digits kept of a field's digest: enough to tell two declarations apart, short
/// enough to keep in every object's status.
const DIGEST_CHARS: usize = 12;

/// What tenantry last applied: per resource address (`kind/externalRef`), per field, a digest
/// of the declared value (never the value: a secret field records its fingerprint's digest).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Applied(BTreeMap<String, BTreeMap<String, String>>);

impl Applied {
    /// No record.
    pub fn new() -> Self {
        Self::default()
    }

    /// The record from its compact form: per object, `field=digest` pairs separated by spaces
    /// (one string per object, so a status keeps it in little memory).
    pub fn from_compact(compact: &SmallMap) -> Self {
        let fields = |pairs: &str| {
            pairs
                .split(' ')
                .filter_map(|pair| pair.split_once('='))
                .map(|(field, digest)| (field.to_owned(), digest.to_owned()))
                .collect()
        };
        Self(
            compact
                .iter()
                .map(|(k, v)| (k.to_owned(), fields(v)))
                .collect(),
        )
    }

    /// The compact form ([`Applied::from_compact`]).
    pub fn compact(&self) -> SmallMap {
        self.0
            .iter()
            .map(|(address, fields)| {
                let pairs: Vec<String> = fields.iter().map(|(f, d)| format!("{f}={d}")).collect();
                (address.clone(), pairs.join(" "))
            })
            .collect()
    }

    /// Records `resource` as applied.
    pub fn record(&mut self, resource: &Resource) {
        let digests = resource
            .spec
            .iter()
            .map(|(field, value)| (change_field(resource, field).to_owned(), digest(value)))
            .collect();
        self.0.insert(resource.address.to_string(), digests);
    }

    /// The record after a run whose final plan is `plan`: each of `model`'s resources that
    /// `mine` selects, exists in `observed` and has no action left is recorded as applied
    /// (converged, or drift left by policy); the others keep their entry.
    pub fn after(
        mut self,
        model: &Model,
        observed: &crate::model::Observed,
        plan: &super::Plan,
        mine: impl Fn(&Resource) -> bool,
    ) -> Self {
        for r in model.resources().iter().filter(|r| mine(r)) {
            let exists = observed
                .get(r.address.kind, &r.address.external_ref)
                .is_some();
            if exists && plan.action(&r.address).is_none() {
                self.record(r);
            }
        }
        self
    }

    /// The recorded digest of `field` of `address`.
    fn get(&self, address: &Address, field: &str) -> Option<&str> {
        self.0
            .get(&address.to_string())
            .and_then(|fields| fields.get(field))
            .map(String::as_str)
    }
}

/// The name a field's change carries: a secret's fingerprint field is its secret's name.
fn change_field<'a>(resource: &Resource, field: &'a str) -> &'a str {
    field
        .strip_suffix("Fingerprint")
        .filter(|secret| resource.secrets.iter().any(|s| s.field == *secret))
        .unwrap_or(field)
}

fn digest(value: &Value) -> String {
    let hash = Sha256::digest(value.to_string().as_bytes());
    let mut hex = String::with_capacity(DIGEST_CHARS);
    for byte in hash.iter().take(DIGEST_CHARS / 2) {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// One field a person changed in a portal.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// The portal object.
    pub address: Address,
    /// Its portal id.
    pub id: String,
    /// Its Tenant (`namespace/name`).
    pub tenant: String,
    /// The wire field.
    pub field: String,
    /// The declared value.
    pub declared: FieldValue,
    /// The value the portal holds.
    pub observed: FieldValue,
    /// What the plan does about it: Remediate writes it back, Alert and Report leave it.
    pub policy: DriftPolicy,
    /// An accepted deviation covered this value until then.
    pub expired: Option<Timestamp>,
}

/// A difference an accepted deviation covers: not drift until it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The portal object.
    pub address: Address,
    /// Its Tenant (`namespace/name`).
    pub tenant: String,
    /// The wire field.
    pub field: String,
    /// The declared value.
    pub declared: FieldValue,
    /// The value the portal holds, as accepted.
    pub observed: FieldValue,
    /// Why it is accepted.
    pub reason: String,
    /// When it stops being accepted.
    pub expires: Timestamp,
}

/// A resource's changes sorted into what the plan writes and what it reports.
#[derive(Debug, Default)]
pub(super) struct Sorted {
    /// Declared changes, and drift the policy remediates: written.
    pub(super) write: Vec<FieldChange>,
    /// Fields whose portal value an update keeps (drift left in place, accepted deviations).
    pub(super) keep: Vec<String>,
    /// Drift found.
    pub(super) drift: Vec<Drift>,
    /// Differences accepted deviations cover.
    pub(super) accepted: Vec<Accepted>,
}

/// Sorts the `changes` of `r` against `object` by the record `applied` at `now`.
pub(super) fn sort(
    r: &Resource,
    object: &PortalObject,
    changes: Vec<FieldChange>,
    applied: &Applied,
    now: Timestamp,
) -> Sorted {
    let mut out = Sorted::default();
    for c in changes {
        let declared_now = r
            .spec
            .iter()
            .find(|(field, _)| change_field(r, field) == c.field)
            .map(|(_, value)| digest(value));
        let is_drift =
            declared_now.is_some() && applied.get(&r.address, &c.field) == declared_now.as_deref();
        if !is_drift {
            out.write.push(c);
            continue;
        }
        let kind = r.address.kind.path();
        let seen = match &c.before {
            FieldValue::Value(v) => Some(shown_value(v)),
            _ => None,
        };
        let deviation = r
            .deviations
            .iter()
            .find(|d| d.covers(kind, &c.field) && seen.as_deref() == Some(d.value.as_str()));
        if let Some(d) = deviation.filter(|d| !d.expired(now)) {
            out.keep.push(c.field.clone());
            out.accepted.push(Accepted {
                address: r.address.clone(),
                tenant: r.tenant.clone(),
                field: c.field,
                declared: c.after,
                observed: c.before,
                reason: d.reason.clone(),
                expires: d.expires,
            });
            continue;
        }
        out.drift.push(Drift {
            address: r.address.clone(),
            id: object.id.clone(),
            tenant: r.tenant.clone(),
            field: c.field.clone(),
            declared: c.after.clone(),
            observed: c.before.clone(),
            policy: r.drift_policy,
            expired: deviation.map(|d| d.expires),
        });
        if r.drift_policy.remediates() {
            out.write.push(c);
        } else {
            out.keep.push(c.field);
        }
    }
    out
}

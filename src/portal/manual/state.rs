//! The CLI's record of work orders and confirmed objects: one JSON file, written atomically
//! (a temporary file renamed over the old one), holding no secret (specs carry fingerprints,
//! never values).
//!
//! Safe to lose: without it every manual object looks absent, the plan asks to create it
//! again, and the same work order (same id) tells the person to look it up first and only
//! confirm what exists, never to make a second one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::order::{OrderAction, WorkOrder};
use crate::api::DeletionPolicy;
use crate::model::PortalObject;

/// Version of the file's layout.
const FORMAT_VERSION: u32 = 1;

/// Where an order stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum OrderState {
    /// Waits for a person.
    Open,
    /// Done; the values read back and who confirmed.
    Confirmed {
        /// Who confirmed (`--by`, else the OS user).
        by: String,
        /// When (RFC 3339).
        at: String,
    },
    /// Replaced by a newer order for the same object (the declaration changed).
    Superseded {
        /// The newer order.
        by_order: String,
    },
}

/// An order as the state file keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredOrder {
    /// The order.
    pub order: WorkOrder,
    /// The spec to record when it is confirmed (parent id and fingerprints; no secret).
    pub spec: Map<String, Value>,
    /// The deletion policy to record.
    pub deletion_policy: DeletionPolicy,
    /// Where it stands.
    #[serde(flatten)]
    pub state: OrderState,
}

/// A confirmed object: what a manual connection lists.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The connection.
    pub connection: String,
    /// Portal id and kind segment.
    pub portal: String,
    /// The kind segment.
    pub kind: String,
    /// The object as observed: id, externalRef, spec, status (the values read back).
    pub object: PortalObject,
    /// The order that last confirmed it.
    pub order: String,
    /// Who confirmed it.
    pub confirmed_by: String,
    /// When it was last confirmed or attested (RFC 3339); empty in files written before
    /// attestation existed (the confirming order's date is used then).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub confirmed_at: String,
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualState {
    #[serde(default)]
    format_version: u32,
    /// Every order issued, oldest first.
    #[serde(default)]
    pub orders: Vec<StoredOrder>,
    /// Every confirmed object.
    #[serde(default)]
    pub records: Vec<Record>,
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("cannot {doing} the work-order state {}: {source}", .path.display())]
    Io {
        /// What was being done.
        doing: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a state file of this version.
    #[error("the work-order state {} is not valid ({detail}); move it aside and run plan again (it is safe to lose: the plan re-asks, it never re-creates)", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

/// Why a confirmation was refused; nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    /// No order has this id.
    #[error("no work order {id} in {state}; open orders: {open}")]
    Unknown {
        /// The id given.
        id: String,
        /// The state file.
        state: String,
        /// The open orders (ids), or `none`.
        open: String,
    },
    /// The declaration changed since: a newer order replaced this one.
    #[error(
        "work order {id} is stale: the plan changed since it was issued, and work order {current} replaced it; perform and confirm {current} instead"
    )]
    Stale {
        /// The id given.
        id: String,
        /// The order that replaced it.
        current: String,
    },
    /// The plan computed now (`confirm -f`) would not issue this order: its declaration
    /// changed (or went away) since it was issued, and no apply has issued the new one yet.
    #[error(
        "work order {id} is stale: the plan changed since it was issued and now asks for {current}"
    )]
    NotInPlan {
        /// The id given.
        id: String,
        /// What the plan asks for that object now: another order, or nothing.
        current: String,
    },
    /// Confirmed before.
    #[error("work order {id} was already confirmed by {by}")]
    AlreadyConfirmed {
        /// The id given.
        id: String,
        /// Who confirmed it.
        by: String,
    },
    /// A value to read back is missing.
    #[error("work order {id} needs --set {key}=VALUE: {label}")]
    MissingValue {
        /// The order.
        id: String,
        /// The missing key.
        key: String,
        /// What to read in the portal.
        label: String,
    },
    /// The values are not `KEY=VALUE` pairs (the confirm annotation's text).
    #[error(
        "work order {id}: {given:?} is not KEY=VALUE; write each value read back as key=value, separated by commas"
    )]
    Malformed {
        /// The order.
        id: String,
        /// The part that is not a pair.
        given: String,
    },
    /// A value the order does not ask for.
    #[error("work order {id} reads back no `{key}`; it reads back: {expected}")]
    UnknownValue {
        /// The order.
        id: String,
        /// The key given.
        key: String,
        /// The keys it asks for, or `nothing`.
        expected: String,
    },
}

/// The values of a confirmation written as one text (`code=KE1234,prp=prpjroe`, the
/// controller's annotation); an empty text confirms an order that reads nothing back.
pub fn parse_values(id: &str, text: &str) -> Result<BTreeMap<String, String>, ConfirmError> {
    let mut out = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(ConfirmError::Malformed {
                id: id.to_owned(),
                given: pair.to_owned(),
            });
        };
        out.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(out)
}

impl ManualState {
    /// Reads the file at `path`; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(StateError::Io {
                    doing: "read",
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let state: Self = serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        if state.format_version > FORMAT_VERSION {
            return Err(StateError::Corrupt {
                path: path.to_owned(),
                detail: format!(
                    "format version {} is newer than this tenantry's {FORMAT_VERSION}",
                    state.format_version
                ),
            });
        }
        Ok(state)
    }

    /// Reads the state kept as `text` in `source` (a ConfigMap's data).
    pub fn parse(text: &str, source: &str) -> Result<Self, StateError> {
        let path = PathBuf::from(source);
        let state: Self = serde_json::from_str(text).map_err(|e| StateError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        if state.format_version > FORMAT_VERSION {
            return Err(StateError::Corrupt {
                path,
                detail: format!(
                    "format version {} is newer than this tenantry's {FORMAT_VERSION}",
                    state.format_version
                ),
            });
        }
        Ok(state)
    }

    /// The state as the text [`Self::parse`] reads (the file's layout).
    pub fn to_text(&mut self) -> String {
        self.format_version = FORMAT_VERSION;
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// When `record` was last confirmed: its own date, else its confirming order's.
    pub fn confirmed_at(&self, record: &Record) -> Option<jiff::Timestamp> {
        let text = if record.confirmed_at.is_empty() {
            match self.order(&record.order).map(|o| &o.state) {
                Some(OrderState::Confirmed { at, .. }) => at.as_str(),
                _ => "",
            }
        } else {
            record.confirmed_at.as_str()
        };
        text.parse().ok()
    }

    /// The `Attest` orders due at `now` for `connection`'s records confirmed longer than
    /// `every` ago, with the spec and deletion policy to keep: none for an object that has
    /// another open order (that order's confirmation renews the record anyway).
    pub fn due_attestations(
        &self,
        connection: &str,
        now: jiff::Timestamp,
        every: jiff::SignedDuration,
    ) -> Vec<(WorkOrder, Map<String, Value>, DeletionPolicy)> {
        let mut out = Vec::new();
        for record in self.records.iter().filter(|r| r.connection == connection) {
            let Some(at) = self.confirmed_at(record) else {
                continue;
            };
            if now.duration_since(at) < every {
                continue;
            }
            let Some(kind) = crate::model::Kind::from_parts(&record.portal, &record.kind) else {
                continue;
            };
            let address = format!("{}/{}", kind.path(), record.object.external_ref);
            let busy = self.open().any(|o| {
                o.order.connection == connection
                    && o.order.address == address
                    && o.order.action != OrderAction::Attest
            });
            if busy {
                continue;
            }
            let declared_by = self
                .order(&record.order)
                .map(|o| o.order.declared_by.clone())
                .unwrap_or_default();
            let order = WorkOrder::attest(
                connection,
                &declared_by,
                kind,
                &record.object,
                &at.to_string(),
            );
            out.push((
                order,
                record.object.spec.clone(),
                record.object.deletion_policy,
            ));
        }
        out
    }

    /// Writes the file atomically: a reader sees the old state or the new one, never half.
    pub fn save(&mut self, path: &Path) -> Result<(), StateError> {
        self.format_version = FORMAT_VERSION;
        let io = |doing, source| StateError::Io {
            doing,
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        // Never write an empty file over a good one.
        let text = serde_json::to_vec_pretty(self).map_err(|e| io("write", e.into()))?;
        let tmp = path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&tmp).map_err(|e| io("write", e))?;
            file.write_all(&text).map_err(|e| io("write", e))?;
            file.sync_all().map_err(|e| io("write", e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| io("replace", e))
    }

    /// Records `order` unless an order with its id exists (a rerun, a crash, a second
    /// caller: never a second order); an open order for the same object is superseded.
    /// Returns the stored order.
    pub fn issue(
        &mut self,
        order: WorkOrder,
        spec: Map<String, Value>,
        deletion_policy: DeletionPolicy,
    ) -> &StoredOrder {
        let existing = self.orders.iter().position(|o| o.order.id == order.id);
        if let Some(i) = existing {
            let gone = !self.records.iter().any(|r| r.object.id == order.object_id);
            let answered = match self.orders[i].state {
                OrderState::Open => true,
                // Done, unless its object went away since (deleted by a later order): then
                // the same change is asked again rather than answered from the old record.
                OrderState::Confirmed { .. } => !gone || order.action == OrderAction::Delete,
                // The declaration came back to this change: the order is current again.
                OrderState::Superseded { .. } => false,
            };
            if answered {
                return &self.orders[i];
            }
        }
        for other in &mut self.orders {
            if other.state == OrderState::Open
                && other.order.id != order.id
                && other.order.connection == order.connection
                && other.order.address == order.address
            {
                other.state = OrderState::Superseded {
                    by_order: order.id.clone(),
                };
            }
        }
        let i = match existing {
            Some(i) => {
                self.orders[i].state = OrderState::Open;
                i
            }
            None => {
                self.orders.push(StoredOrder {
                    order,
                    spec,
                    deletion_policy,
                    state: OrderState::Open,
                });
                self.orders.len() - 1
            }
        };
        &self.orders[i]
    }

    /// The orders still waiting for a person.
    pub fn open(&self) -> impl Iterator<Item = &StoredOrder> {
        self.orders.iter().filter(|o| o.state == OrderState::Open)
    }

    /// The order `id`.
    pub fn order(&self, id: &str) -> Option<&StoredOrder> {
        self.orders.iter().find(|o| o.order.id == id)
    }

    /// The confirmed objects of a connection's `portal`/`kind`.
    pub fn records(&self, connection: &str, portal: &str, kind: &str) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| r.connection == connection && r.portal == portal && r.kind == kind)
            .collect()
    }

    /// The record of object `id`.
    pub fn record(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.object.id == id)
    }

    /// Records that order `id` was performed, with the values read back; refuses (and
    /// changes nothing) an unknown, stale or confirmed order, a missing or unknown value.
    pub fn confirm(
        &mut self,
        id: &str,
        values: &BTreeMap<String, String>,
        by: &str,
        at: &str,
        state_name: &str,
    ) -> Result<&StoredOrder, ConfirmError> {
        let Some(i) = self.orders.iter().position(|o| o.order.id == id) else {
            let open: Vec<&str> = self.open().map(|o| o.order.id.as_str()).collect();
            return Err(ConfirmError::Unknown {
                id: id.to_owned(),
                state: state_name.to_owned(),
                open: if open.is_empty() {
                    "none".to_owned()
                } else {
                    open.join(", ")
                },
            });
        };
        let stored = &self.orders[i];
        match &stored.state {
            OrderState::Open => {}
            OrderState::Superseded { by_order } => {
                // Follow the chain to the order that is current now (bounded: a declaration
                // that went back and forth may have left a loop of superseded orders).
                let mut current = by_order.clone();
                for _ in 0..self.orders.len() {
                    match self.order(&current).map(|o| &o.state) {
                        Some(OrderState::Superseded { by_order }) => current = by_order.clone(),
                        _ => break,
                    }
                }
                return Err(ConfirmError::Stale {
                    id: id.to_owned(),
                    current,
                });
            }
            OrderState::Confirmed { by, .. } => {
                return Err(ConfirmError::AlreadyConfirmed {
                    id: id.to_owned(),
                    by: by.clone(),
                });
            }
        }
        let order = &stored.order;
        for key in values.keys() {
            if !order.read_back.iter().any(|r| &r.key == key) {
                let expected: Vec<&str> = order.read_back.iter().map(|r| r.key.as_str()).collect();
                return Err(ConfirmError::UnknownValue {
                    id: id.to_owned(),
                    key: key.clone(),
                    expected: if expected.is_empty() {
                        "nothing".to_owned()
                    } else {
                        expected.join(", ")
                    },
                });
            }
        }
        for r in &order.read_back {
            if values.get(&r.key).is_none_or(|v| v.trim().is_empty()) {
                return Err(ConfirmError::MissingValue {
                    id: id.to_owned(),
                    key: r.key.clone(),
                    label: r.label.clone(),
                });
            }
        }
        let order = order.clone();
        let spec = stored.spec.clone();
        let deletion_policy = stored.deletion_policy;
        // An update keeps what was read back before (the customer code stays the code).
        let mut status = self
            .record(&order.object_id)
            .map(|r| r.object.status.clone())
            .unwrap_or_default();
        self.records.retain(|r| r.object.id != order.object_id);
        if order.action != OrderAction::Delete {
            for (k, v) in values {
                status.insert(k.clone(), Value::String(v.trim().to_owned()));
            }
            self.records.push(Record {
                connection: order.connection.clone(),
                portal: order.portal_id.clone(),
                kind: order.kind.clone(),
                object: PortalObject {
                    id: order.object_id.clone(),
                    external_ref: order.external_ref.clone(),
                    deletion_policy,
                    version: 1,
                    spec,
                    status,
                },
                order: order.id.clone(),
                confirmed_by: by.to_owned(),
                confirmed_at: at.to_owned(),
            });
        }
        self.orders[i].state = OrderState::Confirmed {
            by: by.to_owned(),
            at: at.to_owned(),
        };
        Ok(&self.orders[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::portal::manual::order::Change;

    fn order(billing: &str) -> WorkOrder {
        let content = serde_json::json!({"name": "Kenton", "billingId": billing});
        WorkOrder::build(&Change {
            connection: "manual",
            uid: "Tenant/customers/kenton",
            action: OrderAction::Create,
            kind: Kind::DaasCustomer,
            external_ref: "customers/kenton",
            object_id: None,
            content: content.as_object().expect("object"),
            parent_id: None,
            before: None,
            secrets: &[],
        })
    }

    fn states(state: &ManualState) -> Vec<(String, OrderState)> {
        state
            .orders
            .iter()
            .map(|o| (o.order.id.clone(), o.state.clone()))
            .collect()
    }

    #[test]
    fn a_record_is_due_for_attestation_once_per_period_and_not_while_another_order_is_open() {
        let every = jiff::SignedDuration::from_hours(24);
        let now: jiff::Timestamp = "2026-06-10T00:00:00Z".parse().expect("a time");
        let values = BTreeMap::from([("code".to_owned(), "KEN1".to_owned())]);
        let policy = DeletionPolicy::Orphan;
        for (confirmed, open_update, due) in [
            ("2026-06-09T12:00:00Z", false, false),
            ("2026-06-09T00:00:00Z", false, true),
            ("2020-01-01T00:00:00Z", false, true),
            ("2020-01-01T00:00:00Z", true, false),
        ] {
            let mut state = ManualState::default();
            let a = order("RQ-1");
            state.issue(a.clone(), Map::new(), policy);
            state
                .confirm(&a.id, &values, "jane", confirmed, "state")
                .expect("confirmed");
            if open_update {
                state.issue(order("RQ-2"), Map::new(), policy);
            }
            let found = state.due_attestations("manual", now, every);
            assert_eq!(found.len(), usize::from(due), "{confirmed} {open_update}");
            if let Some((attest, spec, _)) = found.first() {
                assert_eq!(attest.action, OrderAction::Attest);
                assert!(attest.read_back.is_empty());
                // Derived from the record's date: the same order until it is confirmed.
                let again = &state.due_attestations("manual", now, every)[0].0;
                assert_eq!(&attest.id, &again.id);
                state.issue(attest.clone(), spec.clone(), policy);
                let none = BTreeMap::new();
                let renewed = now.to_string();
                state
                    .confirm(&attest.id, &none, "jane", &renewed, "state")
                    .expect("attested");
                assert_eq!(state.records[0].confirmed_at, renewed);
                assert_eq!(state.records[0].object.status["code"], "KEN1");
                assert!(state.due_attestations("manual", now, every).is_empty());
            }
        }
    }

    #[test]
    fn annotation_values_are_comma_separated_pairs() {
        let ok = parse_values("WO-1", " code=KE1234 , prp=prpjroe,").expect("pairs");
        assert_eq!(ok["code"], "KE1234");
        assert_eq!(ok["prp"], "prpjroe");
        assert!(parse_values("WO-1", "").expect("nothing").is_empty());
        for bad in ["KE1234", "=x", "code=1,oops"] {
            assert!(
                matches!(
                    parse_values("WO-1", bad),
                    Err(ConfirmError::Malformed { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn one_order_per_change_and_the_newest_change_is_current() {
        let (a, b) = (order("RQ-1"), order("RQ-2"));
        let mut state = ManualState::default();
        let policy = DeletionPolicy::Orphan;
        state.issue(a.clone(), Map::new(), policy);
        state.issue(a.clone(), Map::new(), policy);
        assert_eq!(states(&state), [(a.id.clone(), OrderState::Open)]);
        state.issue(b.clone(), Map::new(), policy);
        let superseded = OrderState::Superseded {
            by_order: b.id.clone(),
        };
        assert_eq!(
            states(&state),
            [(a.id.clone(), superseded), (b.id.clone(), OrderState::Open)]
        );
        // Back to the first declaration: its order is current again, not a third one.
        state.issue(a.clone(), Map::new(), policy);
        let superseded = OrderState::Superseded {
            by_order: a.id.clone(),
        };
        assert_eq!(
            states(&state),
            [(a.id.clone(), OrderState::Open), (b.id.clone(), superseded)]
        );
        let values = BTreeMap::from([("code".to_owned(), "KEN1".to_owned())]);
        let stale = state.confirm(&b.id, &values, "jane", "now", "state");
        assert!(matches!(stale, Err(ConfirmError::Stale { current, .. }) if current == a.id));
        assert!(
            state
                .confirm(&a.id, &values, "jane", "now", "state")
                .is_ok()
        );
        assert_eq!(state.records.len(), 1);
        assert_eq!(state.records[0].object.status["code"], "KEN1");
    }
}

//! `WorkOrder`: one change a person makes in a portal, with a stable id.
//!
//! The id is derived like an idempotency key (`portal::idempotency_key`) from the connection,
//! the declaring object, the address, the action and the change itself, never from time or
//! the parent's portal id, so the plan, a rerun and a run after a crash all name the same
//! order, and a state file holding it is never asked to hold a second one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::screens::{self, screen};
use crate::model::{Kind, PortalObject};
use crate::portal::idempotency_key;

/// What a work order does to the portal object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderAction {
    /// Create it.
    Create,
    /// Change it (only the changed fields are listed as changes).
    Update,
    /// Delete it.
    Delete,
    /// Check that a confirmed object still matches its record (drift by attestation).
    Attest,
}

impl OrderAction {
    /// `create`, `update`, `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Attest => "attest",
        }
    }
}

/// One value to enter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The wire field (`contact.email`).
    pub field: String,
    /// The label on the portal's screen ("Email Address").
    pub label: String,
    /// The value to enter, as shown on the screen.
    pub value: String,
    /// For an update: the value recorded before (`old → new`); none when unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
}

/// A secret to enter: where it is, never what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretEntry {
    /// The label ("Password").
    pub label: String,
    /// Where to find it (`Secret customers/kenton-admin key password`), or how to choose it.
    pub from: String,
}

/// A value the person reports back when confirming (`--set KEY=VALUE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadBack {
    /// The key of `--set` (and of the recorded status).
    pub key: String,
    /// What to read, in the portal's words.
    pub label: String,
}

/// One change for a person to make in a portal, and what to report back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkOrder {
    /// `WO-` and ten hex digits, derived from the change (module doc).
    pub id: String,
    /// The manual PortalConnection that issued it.
    pub connection: String,
    /// Create, update or delete.
    pub action: OrderAction,
    /// The object's address (`daas/customers/customers/kenton-electronics`).
    pub address: String,
    /// Portal id (`daas`) and kind (`customers`).
    pub portal_id: String,
    /// The kind segment.
    pub kind: String,
    /// What the object is called in the portal ("customer", "Azure AD service").
    pub object: String,
    /// The `externalRef` of the object.
    pub external_ref: String,
    /// The declaring object (`Tenant/customers/kenton-electronics`).
    pub declared_by: String,
    /// The id the confirmed object is recorded under.
    pub object_id: String,
    /// The parent's recorded id, when the object has a parent that exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The portal, as its users call it.
    pub portal: String,
    /// The screen to open.
    pub screen: String,
    /// Values to enter, in the procedure's order and words.
    pub values: Vec<Entry>,
    /// Values the procedure sets that the declaration does not carry.
    pub fixed: Vec<Entry>,
    /// Secrets to enter, by reference only.
    pub secrets: Vec<SecretEntry>,
    /// What to do last on the screen.
    pub finish: String,
    /// Values to read back and confirm.
    pub read_back: Vec<ReadBack>,
}

/// Everything a work order is built from (the provider at apply time, the CLI at plan time).
pub struct Change<'a> {
    /// The manual PortalConnection's name.
    pub connection: &'a str,
    /// The declaring object's identity (as in idempotency keys).
    pub uid: &'a str,
    /// Create, update or delete.
    pub action: OrderAction,
    /// The kind.
    pub kind: Kind,
    /// The object's `externalRef`.
    pub external_ref: &'a str,
    /// The recorded id (update, delete); a create derives one.
    pub object_id: Option<&'a str>,
    /// The desired spec without parent id and secret values (fingerprints of declared
    /// secrets included); empty for a delete.
    pub content: &'a Map<String, Value>,
    /// The parent's recorded id, when known.
    pub parent_id: Option<&'a str>,
    /// The recorded spec, for an update.
    pub before: Option<&'a Map<String, Value>>,
    /// Each secret field and where its value is (none: generated).
    pub secrets: &'a [(String, Option<String>)],
}

impl WorkOrder {
    /// The work order of `change`.
    pub fn build(change: &Change<'_>) -> Self {
        let kind = change.kind;
        let address = format!("{}/{}", kind.path(), change.external_ref);
        let object_id = change
            .object_id
            .map_or_else(|| object_id(change.connection, &address), str::to_owned);
        let body = match change.action {
            OrderAction::Delete => object_id.clone().into_bytes(),
            _ => canonical(change.content),
        };
        let key = idempotency_key(
            change.connection,
            change.uid,
            &address,
            change.action.as_str(),
            &body,
        );
        let hex = key.trim_start_matches("tenantry-");
        let id = format!("WO-{}", hex[..10].to_ascii_uppercase());
        let s = screen(kind);
        let (values, secrets, read_back) = if change.action == OrderAction::Delete {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            // An update compares what the screen shows, label by label.
            let old = change.before.map(|before| screens::entries(kind, before));
            let values = screens::entries(kind, change.content)
                .into_iter()
                .filter_map(|(field, label, value)| {
                    let was = old.as_ref().map(|old| {
                        old.iter()
                            .find(|(_, l, _)| *l == label)
                            .map_or_else(String::new, |(_, _, v)| v.clone())
                    });
                    match was {
                        // An update lists only what changed.
                        Some(was) if was == value => None,
                        was => Some(Entry {
                            field,
                            label,
                            value,
                            was,
                        }),
                    }
                })
                .collect();
            let secrets = change
                .secrets
                .iter()
                .map(|(field, from)| SecretEntry {
                    label: label_of(field),
                    from: from.clone().map_or_else(
                        || "choose a policy-compliant value in the portal (tenantry generated none for you to type); never write it in this order".to_owned(),
                        |r| format!("{r} (enter it from there; never copy it into a ticket)"),
                    ),
                })
                .collect();
            // An update keeps the values read back at creation.
            let read_back = s
                .read_back
                .iter()
                .filter(|_| change.action == OrderAction::Create)
                .map(|(key, label)| ReadBack {
                    key: (*key).to_owned(),
                    label: (*label).to_owned(),
                })
                .collect();
            (values, secrets, read_back)
        };
        let fixed = if change.action == OrderAction::Create {
            s.fixed
                .iter()
                .map(|(label, value)| Entry {
                    field: String::new(),
                    label: (*label).to_owned(),
                    value: (*value).to_owned(),
                    was: None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let finish = match change.action {
            OrderAction::Delete => format!(
                "Delete this {} in the portal (recorded as {object_id}).",
                screens::noun(kind)
            ),
            _ => s.finish.to_owned(),
        };
        Self {
            id,
            connection: change.connection.to_owned(),
            action: change.action,
            address,
            portal_id: kind.portal().id().to_owned(),
            kind: kind.name().to_owned(),
            object: screens::noun(kind).to_owned(),
            external_ref: change.external_ref.to_owned(),
            declared_by: change.uid.to_owned(),
            object_id,
            parent_id: change.parent_id.map(str::to_owned),
            portal: s.portal.to_owned(),
            screen: s.screen.to_owned(),
            values,
            fixed,
            secrets,
            finish,
            read_back,
        }
    }

    /// The `Attest` order of a record confirmed at `confirmed_at` (declared by `declared_by`):
    /// every recorded value, shown as the screen shows it, to check in the portal. Its id is
    /// derived from the record's date, so each attestation period asks once.
    pub fn attest(
        connection: &str,
        declared_by: &str,
        kind: Kind,
        object: &PortalObject,
        confirmed_at: &str,
    ) -> Self {
        let address = format!("{}/{}", kind.path(), object.external_ref);
        let body = format!("{}@{confirmed_at}", object.id);
        let key = idempotency_key(connection, declared_by, &address, "attest", body.as_bytes());
        let hex = key.trim_start_matches("tenantry-");
        let s = screen(kind);
        // The values read back when it was made are part of what must still hold: shown
        // where the screen has their field, else after the declared ones.
        let recorded = |key: &str| object.status.get(key).and_then(Value::as_str);
        let mut shown: Vec<&str> = Vec::new();
        let mut values: Vec<Entry> = screens::entries(kind, &object.spec)
            .into_iter()
            .map(|(field, label, value)| {
                let value = match s.read_back.iter().find(|(k, _)| *k == field) {
                    Some((key, _)) if recorded(key).is_some() => {
                        shown.push(key);
                        recorded(key).unwrap_or_default().to_owned()
                    }
                    _ => value,
                };
                Entry {
                    field,
                    label,
                    value,
                    was: None,
                }
            })
            .collect();
        for (key, label) in s.read_back {
            if let Some(value) = recorded(key).filter(|_| !shown.contains(key)) {
                values.push(Entry {
                    field: (*key).to_owned(),
                    label: (*label).to_owned(),
                    value: value.to_owned(),
                    was: None,
                });
            }
        }
        Self {
            id: format!("WO-{}", hex[..10].to_ascii_uppercase()),
            connection: connection.to_owned(),
            action: OrderAction::Attest,
            address,
            portal_id: kind.portal().id().to_owned(),
            kind: kind.name().to_owned(),
            object: screens::noun(kind).to_owned(),
            external_ref: object.external_ref.clone(),
            declared_by: declared_by.to_owned(),
            object_id: object.id.clone(),
            parent_id: None,
            portal: s.portal.to_owned(),
            screen: s.screen.to_owned(),
            values,
            fixed: Vec::new(),
            secrets: Vec::new(),
            finish: format!(
                "Open this {} (recorded {confirmed_at}) and check it still shows every value above; confirm if it does (nothing to read back). If it does not, set the portal back to these values first, or change the declaration (that issues an update order).",
                screens::noun(kind)
            ),
            read_back: Vec::new(),
        }
    }

    /// The kind it changes.
    pub fn kind(&self) -> Option<Kind> {
        Kind::from_parts(&self.portal_id, &self.kind)
    }

    /// One line: `WO-… create daas/customers customers/kenton (Portal › Screen)`.
    pub fn summary_line(&self) -> String {
        format!(
            "{} {} {}/{} {} ({} › {})",
            self.id,
            self.action.as_str(),
            self.portal_id,
            self.kind,
            self.external_ref,
            self.portal,
            self.screen
        )
    }
}

/// The id a created object is recorded under: stable per connection and address, so a
/// re-created object keeps it and its children's parent ids stay valid.
pub fn object_id(connection: &str, address: &str) -> String {
    let mut h = Sha256::new();
    h.update(connection.as_bytes());
    h.update([0]);
    h.update(address.as_bytes());
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("manual-{hex}")
}

/// Keys sorted at every level (whatever order the map keeps), so equal specs hash alike.
fn canonical(content: &Map<String, Value>) -> Vec<u8> {
    fn sorted(value: &Value) -> serde_json::Value {
        match value {
            Value::Object(map) => {
                let ordered: std::collections::BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                serde_json::to_value(ordered).unwrap_or(Value::Null)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let ordered: std::collections::BTreeMap<&String, Value> =
        content.iter().map(|(k, v)| (k, sorted(v))).collect();
    serde_json::to_vec(&ordered).unwrap_or_default()
}

fn label_of(field: &str) -> String {
    match field {
        "password" => "Password (and Confirm Password where the screen asks)".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change<'a>(content: &'a Map<String, Value>, action: OrderAction) -> Change<'a> {
        Change {
            connection: "manual",
            uid: "Tenant/customers/kenton",
            action,
            kind: Kind::DaasCustomer,
            external_ref: "customers/kenton",
            object_id: None,
            content,
            parent_id: None,
            before: None,
            secrets: &[],
        }
    }

    #[test]
    fn the_id_depends_on_the_change_only() {
        let a = json!({"name": "Kenton", "minPasswordLength": 8});
        let b = json!({"name": "Kenton", "minPasswordLength": 9});
        let (a, b) = (
            a.as_object().expect("object"),
            b.as_object().expect("object"),
        );
        let first = WorkOrder::build(&change(a, OrderAction::Create));
        assert_eq!(
            first.id,
            WorkOrder::build(&change(a, OrderAction::Create)).id
        );
        assert_ne!(
            first.id,
            WorkOrder::build(&change(b, OrderAction::Create)).id
        );
        assert_ne!(
            first.id,
            WorkOrder::build(&change(a, OrderAction::Update)).id
        );
        assert!(first.id.starts_with("WO-") && first.id.len() == 13);
        // The screen's words and order.
        let labels: Vec<&str> = first.values.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Full Name",
                "Code",
                "Minimum Password Length",
                "Demo Customer"
            ]
        );
        assert_eq!(first.read_back[0].key, "code");
    }
}

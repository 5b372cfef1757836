//! `Resource`: one desired portal object, ready to be diffed and written.

use std::fmt;

use serde_json::{Map, Value};

use super::address::Address;
use super::deviation::Deviation;
use super::fingerprint::{fingerprint, fingerprint_field};
use crate::api::ObjectId;
use crate::api::{DeletionPolicy, DriftPolicy, Location, ManagementPolicy, Sensitive};

/// A desired portal object, expanded from one declared object.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Kind and `externalRef`.
    pub address: Address,
    /// The Tenant, TenantAdmin or ServiceBinding that declares it.
    pub declared_by: ObjectId,
    /// Where that object was declared.
    pub location: Location,
    /// The Tenant it belongs to (`namespace/name`), to group reports per customer.
    pub tenant: String,
    /// Recorded with the object; `Delete` lets a later prune remove it.
    pub deletion_policy: DeletionPolicy,
    /// Apply, Plan or Observe (inherited from the Tenant when the object sets none).
    pub management_policy: ManagementPolicy,
    /// What a change made by hand in the portal leads to (inherited from the Tenant).
    pub drift_policy: DriftPolicy,
    /// Known differences that do not count as drift until they expire.
    pub deviations: Vec<Deviation>,
    /// The declaring object (or its Tenant) allows replacements that destroy data
    /// (`spec.allowReplace`).
    pub allow_replace: bool,
    /// The desired wire spec: declared fields with defaults filled in, `{field}Fingerprint`
    /// for secrets whose value is known, and neither the parent id nor any secret value.
    pub spec: Map<String, Value>,
    /// The parent whose portal id goes into a spec field (e.g. `customerId`) at apply time.
    pub parent: Option<ParentLink>,
    /// Write-only secret fields.
    pub secrets: Vec<SecretField>,
    /// Resources that must exist (and be ready) first: the parent, implicit and `dependsOn` edges.
    pub depends_on: Vec<Address>,
}

/// A link to the parent object whose portal id fills `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLink {
    /// The parent resource.
    pub address: Address,
    /// The spec field that holds the parent's id, e.g. `customerId`.
    pub field: &'static str,
}

/// A write-only secret field, e.g. `password`.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretField {
    /// The wire field, e.g. `password`.
    pub field: &'static str,
    /// Where the value comes from.
    pub source: SecretSource,
    /// Where a person finds the value, e.g. `Secret customers/kenton-admin key password`
    /// (none when generated); shown in work orders instead of the value.
    pub from: Option<String>,
}

/// Where a secret value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// A value declared through a Secret reference; its fingerprint is in the spec.
    Known(Sensitive),
    /// Generated at creation (`generatePassword: true`). Its fingerprint is unknown until then,
    /// so it is not compared afterwards: a generated secret never shows as drift.
    Generated,
}

/// Why a wire body could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The parent's portal id is not known yet (the parent was not created).
    #[error(
        "{address}: the portal id of its parent {parent} is not known; create the parent first"
    )]
    ParentIdUnknown {
        /// The resource.
        address: String,
        /// Its parent.
        parent: String,
    },
    /// A generated secret was not supplied.
    #[error("{address}: no generated value for secret field {field}")]
    GeneratedSecretMissing {
        /// The resource.
        address: String,
        /// The secret field.
        field: &'static str,
    },
}

/// A spec as sent on the wire, secrets included. Its `Debug` never shows the content.
#[derive(Clone, PartialEq)]
pub struct WireSpec(Map<String, Value>);

impl WireSpec {
    /// The JSON object to send as `spec`.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// The JSON object, borrowed.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl fmt::Debug for WireSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireSpec(sensitive)")
    }
}

impl Resource {
    /// Where the object lives in an API partitioned per customer ([`Kind::partition_field`]),
    /// lower-cased.
    pub fn partition(&self) -> Option<String> {
        let field = self.address.kind.partition_field()?;
        self.spec
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    }

    /// This resource with `fields` as `object` holds them: what an update sends for drift
    /// its policy leaves in place and for accepted deviations. A kept secret is left out,
    /// so the portal keeps its stored value.
    pub fn keeping(&self, object: &super::PortalObject, fields: &[String]) -> Resource {
        let mut out = self.clone();
        for field in fields {
            if out.secrets.iter().any(|s| s.field == field.as_str()) {
                out.secrets.retain(|s| s.field != field.as_str());
                out.spec.remove(&fingerprint_field(field));
                continue;
            }
            match object.spec.get(field) {
                Some(value) => out.spec.insert(field.clone(), value.clone()),
                None => out.spec.remove(field),
            };
        }
        out
    }

    /// The spec to send in a create or update: the desired spec plus the parent's portal id
    /// and every secret with its fingerprint.
    ///
    /// `generated` supplies the values of `Generated` secrets (by field), created by the caller.
    pub fn wire_spec(
        &self,
        parent_id: Option<&str>,
        generated: &[(&str, &Sensitive)],
    ) -> Result<WireSpec, WireError> {
        self.build_wire_spec(parent_id, generated, false)
    }

    /// The spec to send in an update when generated secrets are not at hand: `Generated`
    /// secrets and their fingerprints are left out, and the portal keeps the stored ones
    /// (a PUT that omits a write-only field leaves it unchanged).
    pub fn update_spec(&self, parent_id: Option<&str>) -> Result<WireSpec, WireError> {
        self.build_wire_spec(parent_id, &[], true)
    }

    fn build_wire_spec(
        &self,
        parent_id: Option<&str>,
        generated: &[(&str, &Sensitive)],
        skip_missing_generated: bool,
    ) -> Result<WireSpec, WireError> {
        let mut spec = self.spec.clone();
        if let Some(parent) = &self.parent {
            let id = parent_id.ok_or_else(|| WireError::ParentIdUnknown {
                address: self.address.to_string(),
                parent: parent.address.to_string(),
            })?;
            spec.insert(parent.field.to_owned(), Value::String(id.to_owned()));
        }
        for secret in &self.secrets {
            let supplied = generated
                .iter()
                .find(|(field, _)| *field == secret.field)
                .map(|(_, value)| *value);
            let value = match (&secret.source, supplied) {
                (SecretSource::Known(value), _) => value,
                (SecretSource::Generated, Some(value)) => value,
                (SecretSource::Generated, None) if skip_missing_generated => continue,
                (SecretSource::Generated, None) => {
                    return Err(WireError::GeneratedSecretMissing {
                        address: self.address.to_string(),
                        field: secret.field,
                    });
                }
            };
            let print = fingerprint(&self.address.external_ref, secret.field, value);
            spec.insert(fingerprint_field(secret.field), Value::String(print));
            spec.insert(
                secret.field.to_owned(),
                Value::String(value.expose().to_owned()),
            );
        }
        Ok(WireSpec(spec))
    }
}

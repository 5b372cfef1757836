//! Reading typed values out of a portal object's `spec` and `status`.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::{Kind, PortalObject, Semantics};

/// Why a portal object could not be imported (it is skipped with a warning).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {id}: skipped, spec.{field} {problem}")]
pub struct Skipped {
    /// The kind of object.
    pub kind: Kind,
    /// Its portal id.
    pub id: String,
    /// The field that is missing or unreadable.
    pub field: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// One portal object of a known kind, read field by field.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    /// Its kind.
    pub kind: Kind,
    /// The object.
    pub object: &'a PortalObject,
}

impl<'a> Fields<'a> {
    /// A reader of `object`.
    pub fn new(kind: Kind, object: &'a PortalObject) -> Self {
        Self { kind, object }
    }

    /// A spec field that must be present and of type `T`.
    pub fn req<T: DeserializeOwned>(&self, field: &str) -> Result<T, Skipped> {
        match self.object.spec.get(field) {
            None | Some(Value::Null) => Err(self.skipped(field, "is missing")),
            Some(v) => {
                T::deserialize(v).map_err(|_| self.skipped(field, "has an unexpected value"))
            }
        }
    }

    /// A spec field that may be absent; an unreadable value counts as absent.
    pub fn opt<T: DeserializeOwned>(&self, field: &str) -> Option<T> {
        self.object
            .spec
            .get(field)
            .filter(|v| !v.is_null())
            .and_then(|v| T::deserialize(v).ok())
    }

    /// A spec field, or the contract's default for it when absent (`default` in
    /// openapi/portal.yaml, read through [`Semantics`]).
    pub fn or_default<T: DeserializeOwned>(&self, field: &str) -> Result<T, Skipped> {
        if self.object.spec.get(field).is_some_and(|v| !v.is_null()) {
            return self.req(field);
        }
        let default = Semantics::contract().default_of(self.kind, field);
        default
            .and_then(|v| T::deserialize(v).ok())
            .ok_or_else(|| self.skipped(field, "is missing and has no default"))
    }

    /// A status field (a portal-generated value).
    pub fn status<T: DeserializeOwned>(&self, field: &str) -> Option<T> {
        self.object
            .status
            .get(field)
            .filter(|v| !v.is_null())
            .and_then(|v| T::deserialize(v).ok())
    }

    /// A string spec field, borrowed.
    pub fn str(&self, field: &str) -> Option<&'a str> {
        self.object.spec.get(field).and_then(Value::as_str)
    }

    fn skipped(&self, field: &str, problem: &'static str) -> Skipped {
        Skipped {
            kind: self.kind,
            id: self.object.id.clone(),
            field: field.to_owned(),
            problem,
        }
    }
}

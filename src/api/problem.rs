//! `Problem`: one broken rule, with where it is and what to do about it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{Location, clip};

/// The object a problem is about: kind, namespace and name (any may be unknown for load errors).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, JsonSchema,
)]
pub struct ObjectId {
    /// Kind, e.g. `Tenant`.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// An object id from its parts.
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind.is_empty(), self.namespace.is_empty()) {
            (true, _) => f.write_str("(unknown object)"),
            // Names come from the input: a hostile one can be megabytes long.
            (false, true) => write!(f, "{} {}", clip(&self.kind), clip(&self.name)),
            (false, false) => write!(
                f,
                "{} {}/{}",
                clip(&self.kind),
                clip(&self.namespace),
                clip(&self.name)
            ),
        }
    }
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks plan and apply.
    Error,
    /// Reported; does not block.
    Warning,
}

/// One broken rule: where (file, line, object, field), which rule, and what to do.
///
/// Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Problem {
    /// Where the object was declared.
    #[serde(serialize_with = "ser_location")]
    pub location: Location,
    /// The object, when known.
    pub object: ObjectId,
    /// Field path, e.g. `spec.domains[1]`; empty for whole-object or file problems.
    pub field: String,
    /// Stable rule identifier, e.g. `password-policy`.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to do.
    pub message: String,
}

fn ser_location<S: serde::Serializer>(loc: &Location, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Location", 2)?;
    st.serialize_field("file", &loc.file)?;
    st.serialize_field("line", &loc.line)?;
    st.end()
}

impl Problem {
    /// An error about `field` of `object`.
    pub fn error(
        location: &Location,
        object: &ObjectId,
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            location: location.clone(),
            object: object.clone(),
            field: field.into(),
            rule,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// The same problem as a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.object)?;
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        let tag = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(f, ": {tag}{} [{}]", self.message, self.rule)
    }
}

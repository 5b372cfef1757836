//! `Subject`: the object under check, which turns a finding into a [`Problem`] only when one occurs.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::Location;
use crate::api::{ObjectId, Problem};

/// The namespace of an object declared without one, as `kubectl apply` would place it.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The namespace of a namespaced object (`default` when the manifest omits it).
pub fn namespace_of(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)
}

/// The name of an object (empty when the manifest omits it; reported by the name rule).
pub fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// Borrowed identity and location of one object; cheap to build for every object.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Kind, e.g. `Tenant`.
    pub kind: &'static str,
    /// Namespace (empty for cluster-scoped kinds).
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// Where it was declared.
    pub location: &'a Location,
}

impl<'a> Subject<'a> {
    /// A namespaced object.
    pub fn namespaced(kind: &'static str, meta: &'a ObjectMeta, location: &'a Location) -> Self {
        Self {
            kind,
            namespace: namespace_of(meta),
            name: name_of(meta),
            location,
        }
    }

    /// A cluster-scoped object.
    pub fn cluster(kind: &'static str, meta: &'a ObjectMeta, location: &'a Location) -> Self {
        Self {
            kind,
            namespace: "",
            name: name_of(meta),
            location,
        }
    }

    /// The owned id used in problems.
    pub fn id(&self) -> ObjectId {
        ObjectId::new(self.kind, self.namespace, self.name)
    }

    /// An error about `field` of this object.
    pub fn error(
        &self,
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Problem {
        Problem::error(self.location, &self.id(), field, rule, message)
    }
}

/// A field path such as `spec.adminContacts[2].email`, rendered only when a problem is reported
/// (validation of a large input allocates nothing for the fields that are fine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    base: &'a str,
    index: Option<usize>,
    member: Option<&'a str>,
}

impl<'a> Field<'a> {
    /// The item `i` of this list field.
    pub fn at(self, i: usize) -> Self {
        Self {
            index: Some(i),
            ..self
        }
    }

    /// The member `name` of this field (one level).
    pub fn member(self, name: &'a str) -> Self {
        Self {
            member: Some(name),
            ..self
        }
    }

    /// The path as written in problems.
    pub fn path(&self) -> String {
        let mut path = self.base.to_owned();
        if let Some(i) = self.index {
            path.push_str(&format!("[{i}]"));
        }
        if let Some(m) = self.member {
            path.push('.');
            path.push_str(m);
        }
        path
    }
}

impl<'a> From<&'a str> for Field<'a> {
    fn from(base: &'a str) -> Self {
        Self {
            base,
            index: None,
            member: None,
        }
    }
}

/// A user-supplied value quoted for a message, cut so a 10,000-character value stays readable
/// (the one helper every error path shares: [`crate::api::shown`]).
pub use crate::api::shown;

/// An identifier (name, namespace) for a message, unquoted, cut to a readable length.
pub fn cut(value: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        None => value.into(),
        Some((end, _)) => format!("{}…", &value[..end]).into(),
    }
}

/// `namespace/name` (or `name` when cluster-scoped) for a message, each part cut.
pub fn qualified(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        cut(name).into_owned()
    } else {
        format!("{}/{}", cut(namespace), cut(name))
    }
}

#[cfg(test)]
mod tests {
    use super::{Field, cut};

    #[test]
    fn field_paths() {
        let f = Field::from("spec.adminContacts");
        assert_eq!(f.path(), "spec.adminContacts");
        assert_eq!(f.at(2).path(), "spec.adminContacts[2]");
        assert_eq!(
            f.at(2).member("email").path(),
            "spec.adminContacts[2].email"
        );
        assert_eq!(
            Field::from("spec.contact").member("name").path(),
            "spec.contact.name"
        );
    }

    #[test]
    fn cut_keeps_short_identifiers() {
        assert_eq!(cut("kenton"), "kenton");
        assert_eq!(cut(&"é".repeat(10_000)).chars().count(), 81);
    }
}

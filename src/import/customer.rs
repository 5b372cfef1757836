//! The imported objects of one customer: its Tenant, admins and service bindings, each with
//! the notes written above it as YAML comments.

use crate::api::{ServiceBinding, Tenant, TenantAdmin};

/// An imported object and the notes a person must read before using it.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc<T> {
    /// The object.
    pub object: T,
    /// One line each, written as `# ...` above the object.
    pub notes: Vec<String>,
}

impl<T> Doc<T> {
    /// An object without notes.
    pub fn new(object: T) -> Self {
        Self {
            object,
            notes: Vec::new(),
        }
    }

    /// Adds a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// One customer: a Tenant and everything grouped under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The Tenant.
    pub tenant: Doc<Tenant>,
    /// Its admins, by name.
    pub admins: Vec<Doc<TenantAdmin>>,
    /// Its service bindings, by name.
    pub bindings: Vec<Doc<ServiceBinding>>,
    /// True when the Tenant only carries bindings of a portal that holds no customer object
    /// (TeamMate, contact center, apps): its values come from those bindings.
    pub(super) carrier: bool,
}

impl Customer {
    /// `namespace/name` of the Tenant.
    pub fn key(&self) -> (String, String) {
        (
            self.tenant
                .object
                .metadata
                .namespace
                .clone()
                .unwrap_or_default(),
            self.tenant.object.metadata.name.clone().unwrap_or_default(),
        )
    }

    /// Puts admins and bindings in name order.
    pub(super) fn sort(&mut self) {
        self.admins
            .sort_by(|a, b| a.object.metadata.name.cmp(&b.object.metadata.name));
        self.bindings
            .sort_by(|a, b| a.object.metadata.name.cmp(&b.object.metadata.name));
    }
}

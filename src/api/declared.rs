//! `Declared`: the set of objects a user declared, with where each came from.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::Secret;

use super::ObjectId;
use super::sensitive::Sensitive;
use super::{NotificationSink, PortalConnection, ServiceBinding, Tenant, TenantAdmin};

/// Where an object was declared: a file (or `<stdin>`) and the 1-based line of its document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// Path as given by the user, or `<stdin>`; empty for objects read from a cluster.
    pub file: String,
    /// 1-based line where the object's document starts; 0 when unknown.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => f.write_str("<cluster>"),
            (false, 0) => f.write_str(&self.file),
            (false, line) => write!(f, "{}:{}", self.file, line),
        }
    }
}

/// A declared object and its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The object.
    pub object: T,
    /// Where it was declared.
    pub location: Location,
}

/// Identifies a Secret key in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretKey {
    /// Namespace of the Secret.
    pub namespace: String,
    /// Name of the Secret.
    pub name: String,
    /// Key in its data.
    pub key: String,
}

/// Every object of one input (files, stdin, or a cluster), grouped by kind.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// Tenants.
    pub tenants: Vec<Located<Tenant>>,
    /// Tenant admins.
    pub admins: Vec<Located<TenantAdmin>>,
    /// Service bindings.
    pub bindings: Vec<Located<ServiceBinding>>,
    /// Portal connections (cluster-scoped).
    pub connections: Vec<Located<PortalConnection>>,
    /// Notification sinks (cluster-scoped).
    pub sinks: Vec<Located<NotificationSink>>,
    /// Secret values available to the input (from Secret manifests or the environment).
    pub secrets: BTreeMap<SecretKey, Sensitive>,
    /// Objects the input declares but that could not be read (their problems are reported
    /// where they were found), with where: a reference to one is not "undeclared".
    pub rejected: BTreeMap<ObjectId, Location>,
}

impl Declared {
    /// Number of tenantry objects (Secrets not counted).
    pub fn len(&self) -> usize {
        self.tenants.len()
            + self.admins.len()
            + self.bindings.len()
            + self.connections.len()
            + self.sinks.len()
    }

    /// True when no tenantry object was declared.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the string data of a Secret manifest (`data` is base64-decoded by serde already).
    pub fn add_secret(&mut self, secret: &Secret, default_namespace: &str) {
        let namespace = secret
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| default_namespace.to_owned());
        let name = secret.metadata.name.clone().unwrap_or_default();
        let key = |k: &str| SecretKey {
            namespace: namespace.clone(),
            name: name.clone(),
            key: k.to_owned(),
        };
        for (k, v) in secret.data.iter().flatten() {
            if let Ok(text) = String::from_utf8(v.0.clone()) {
                self.secrets.insert(key(k), Sensitive::new(text));
            }
        }
        for (k, v) in secret.string_data.iter().flatten() {
            self.secrets.insert(key(k), Sensitive::new(v.clone()));
        }
    }
}

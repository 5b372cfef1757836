//! `ModelError`: why declared objects could not be expanded into portal resources.

use crate::api::ObjectId;
use crate::api::SecretKey;

/// A declaration that cannot be expanded. Validation reports most of these first, with file
/// and line; the model re-checks what it relies on so it never panics on unvalidated input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// `spec.tenantRef` names a Tenant that is not declared.
    #[error(
        "{object}: spec.tenantRef names Tenant {tenant}, which is not declared; declare it or fix the name"
    )]
    UnknownTenant {
        /// The referring object.
        object: ObjectId,
        /// `namespace/name` of the missing Tenant.
        tenant: String,
    },
    /// The object needs a portal its Tenant does not list in `spec.portals`.
    #[error(
        "{object}: Tenant {tenant} does not list portal {portal} in spec.portals; add it there"
    )]
    PortalNotEnabled {
        /// The object.
        object: ObjectId,
        /// `namespace/name` of the Tenant.
        tenant: String,
        /// The portal id.
        portal: &'static str,
    },
    /// A ServiceBinding without exactly one service block.
    #[error(
        "{object}: set exactly one service block (azureAD, microsoftOnline, citrix, fileSharing, teamsConnector, contactCenter, licenses, sms or cloudlinkGateway)"
    )]
    ServiceBlock {
        /// The binding.
        object: ObjectId,
    },
    /// A referenced Secret key is not available to the input.
    #[error(
        "{object}: {field} names Secret {}/{} key {}, which is not in the input; add the Secret manifest or use generatePassword: true", secret.namespace, secret.name, secret.key
    )]
    MissingSecret {
        /// The object.
        object: ObjectId,
        /// The referring field, e.g. `spec.passwordSecretRef`.
        field: &'static str,
        /// The Secret key that is missing.
        secret: Box<SecretKey>,
    },
    /// An accepted deviation whose `expires` cannot be read.
    #[error("{object}: spec.acceptedDeviations[{index}].expires: {message}")]
    Deviation {
        /// The declaring object.
        object: ObjectId,
        /// Index in `spec.acceptedDeviations`.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// `spec.dependsOn` names a ServiceBinding that is not declared.
    #[error(
        "{object}: spec.dependsOn names ServiceBinding {name}, which is not declared in namespace {namespace}"
    )]
    UnknownDependency {
        /// The binding.
        object: ObjectId,
        /// Namespace searched.
        namespace: String,
        /// The missing binding's name.
        name: String,
    },
    /// Two declarations expand to the same portal object.
    #[error("{second}: expands to {address}, which {first} already declares; rename one of them")]
    DuplicateAddress {
        /// The portal object address.
        address: String,
        /// The first declaring object.
        first: ObjectId,
        /// The second one.
        second: Box<ObjectId>,
    },
    /// The dependencies form a cycle.
    #[error("dependency cycle: {}; remove one of these dependsOn entries", cycle.join(" → "))]
    Cycle {
        /// The declaring objects along the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
}

//! `Error`: one variant per pipeline step that can fail, each naming what a person must know.

use crate::portal::PortalError;

/// Why a reconcile did not finish. Messages never carry a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes API call failed (reading a Secret, patching status, the finalizer).
    #[error("Kubernetes API: {action}: {source}")]
    Kube {
        /// What was being done, e.g. `reading Secret customers/kenton-admin`.
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// The portal refused a call or was unavailable.
    #[error(transparent)]
    Portal(#[from] PortalError),
    /// The object could not be dereferenced, validated or expanded; status says what to fix.
    #[error("{reason}: {message}")]
    Invalid {
        /// CamelCase reason, e.g. `InvalidSpec`, `TenantNotFound`, `SecretNotFound`.
        reason: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// A portal write of the plan failed (the engine's outcome).
    #[error("{address}: {message}")]
    Write {
        /// The portal object.
        address: String,
        /// Stable error code.
        code: String,
        /// What went wrong (scrubbed).
        message: String,
    },
    /// Deleting the portal objects failed or is still under way; the finalizer stays.
    #[error("deletion blocked: {0}")]
    DeleteBlocked(String),
    /// The finalizer helper failed (adding or removing the finalizer, or cleanup).
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    /// The controller could not start (the operations endpoint, leader election).
    #[error("cannot start the controller: {0}")]
    Startup(String),
    /// An object without a name or namespace (never from the API server).
    #[error("object has no {0}")]
    Malformed(&'static str),
}

impl Error {
    /// A stable code for metrics and the `Synced` condition's reason.
    pub fn code(&self) -> &str {
        match self {
            Self::Kube { .. } => "KubernetesApiError",
            Self::Portal(e) => e.code(),
            Self::Invalid { reason, .. } => reason,
            Self::Write { code, .. } => code,
            Self::DeleteBlocked(_) => "DeleteBlocked",
            Self::Finalizer(inner) => match inner.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(e)
                | kube::runtime::finalizer::Error::CleanupFailed(e) => e.code(),
                _ => "FinalizerError",
            },
            Self::Malformed(_) => "MalformedObject",
            Self::Startup(_) => "StartupError",
        }
    }

    /// True when retrying soon may help (transport failures, conflicts, unavailable portals).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Kube { .. } | Self::DeleteBlocked(_) => true,
            Self::Portal(e) => e.is_transient(),
            Self::Write { code, .. } => code == "PortalUnavailable",
            Self::Finalizer(inner) => match inner.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(e)
                | kube::runtime::finalizer::Error::CleanupFailed(e) => e.is_transient(),
                _ => true,
            },
            Self::Invalid { .. } | Self::Malformed(_) | Self::Startup(_) => false,
        }
    }

    /// Wraps a Kubernetes client error with what was being done.
    pub(crate) fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }
}

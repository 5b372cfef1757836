//! Where a manual connection keeps its orders and records: one seam, two sides. The CLI keeps
//! them in its state file ([`FileStore`]); the controller keeps them in a ConfigMap per Tenant
//! (`controller::workorders`). `ManualPortal` runs every read-modify-write through the same
//! loop over this seam, so the issuing, superseding and confirming logic exists once.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::state::{ManualState, StateError};

/// The state as read, with the version a write must still find (optimistic concurrency).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The orders and records.
    pub state: ManualState,
    /// The store's version of it (a ConfigMap's resourceVersion); none for a file or when
    /// nothing is stored yet.
    pub version: Option<String>,
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The state itself is unreadable or could not be written (the file).
    #[error(transparent)]
    State(#[from] StateError),
    /// Someone else wrote since it was read: read again and redo the change.
    #[error("{0} changed since it was read")]
    Conflict(String),
    /// The store did not answer (the Kubernetes API); retried later.
    #[error("{0}")]
    Unavailable(String),
}

/// A place that keeps a [`ManualState`].
pub trait ManualStore: Send + Sync {
    /// Where it is, in a person's words (`the state file .tenantry/work-orders.json`).
    fn describe(&self) -> String;
    /// The state now.
    fn read(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>>;
    /// Writes `state` if the stored one is still at `version` (else [`StoreError::Conflict`]).
    fn write<'a>(
        &'a self,
        state: &'a mut ManualState,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The CLI's state file (written atomically; one writer at a time within the process).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The state file at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }
}

impl ManualStore for FileStore {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn read(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>> {
        Box::pin(async move {
            Ok(Snapshot {
                state: ManualState::load(&self.path)?,
                version: None,
            })
        })
    }

    fn write<'a>(
        &'a self,
        state: &'a mut ManualState,
        _version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { Ok(state.save(&self.path)?) })
    }
}

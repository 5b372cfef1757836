//! The `manual` provider (docs/manual-steps.md): for portals with no API, every create,
//! update and delete becomes a work order a person performs and confirms; confirmed objects
//! are observed from their record.

mod client;
mod order;
mod planned;
mod render;
mod screens;
mod state;
mod store;

pub use client::{AWAITING_MANUAL_STEP, ManualPortal};
pub use order::{Change, Entry, OrderAction, ReadBack, SecretEntry, WorkOrder, object_id};
pub use planned::planned_orders;
pub use render::{FORMAT_VERSION, json_all, markdown, markdown_all};
pub use screens::{Screen, at, screen};
pub use state::{
    ConfirmError, ManualState, OrderState, Record, StateError, StoredOrder, parse_values,
};
pub use store::{FileStore, ManualStore, Snapshot, StoreError};

/// How long a confirmed record holds before an `Attest` order asks a person to check it
/// (`attestEvery` of a manual PortalConnection, default 90 days).
pub const DEFAULT_ATTEST_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(90 * 24);

/// The state file of the CLI's manual connections inside its `--state-dir`.
pub const STATE_FILE: &str = "work-orders.json";

//! The embedded portal emulator: the portal contract (docs/portal-contract.md,
//! openapi/portal.yaml) over HTTP with the rules of all five portals (seeds 000–004), a SQLite
//! store, idempotency keys, long-running operations on a scaled clock, an e-mail outbox and
//! fault injection.
//!
//! Start one in a test:
//!
//! ```no_run
//! # async fn demo() -> Result<(), tenantry::sandbox::SandboxError> {
//! let sandbox = tenantry::sandbox::Sandbox::start(Default::default()).await?;
//! println!("{}", sandbox.url());
//! # Ok(()) }
//! ```

mod body;
mod clock;
mod config;
mod controls;
mod edge;
mod equivalent;
mod error;
mod faults;
mod fixtures;
pub mod human;
mod idempotency;
mod identity;
mod ids;
mod lock;
mod object;
mod operations;
mod outbox;
mod path;
mod portals;
mod private;
mod read;
mod request_log;
mod routes;
mod server;
mod state;
mod store;
mod vendors;
mod write;

pub use config::SandboxConfig;
pub use faults::{FaultConfig, FaultConfigError, FaultRule};
pub use fixtures::{
    AccountRole, Campaign, DEMO_CAMPAIGN, DEMO_DID_PREFIX, DEMO_GENERATED_DIDS, Did, Fixtures,
    OffPeak, ResellerAccount,
};
pub use identity::IdentityConfig;
pub use object::DeletionPolicy;
pub use outbox::Email;
pub use private::{PrivateStateError, STATE_FILE, state_dir};
pub use request_log::LoggedRequest;
pub use routes::route_table;
pub use server::{Sandbox, SandboxError};
pub use vendors::WireRequest;
pub use vendors::campaignregistry::TcrConfig;
pub use vendors::cloudlink::MitelConfig;
pub use vendors::connecttoteams::C2tConfig;
pub use vendors::graph::GraphConfig;

/// The OpenAPI document of the contract, served at `GET /openapi.yaml`.
pub const OPENAPI: &str = crate::model::semantics::OPENAPI;

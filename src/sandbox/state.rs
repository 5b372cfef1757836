//! What every request handler and the operation worker share.

use tokio::sync::Notify;

use super::clock::TimeScale;
use super::faults::Faults;
use super::idempotency::Claims;
use super::request_log::RequestLog;
use super::store::Store;

pub(crate) struct Shared {
    /// When the sandbox started: request times in the log count from here.
    pub started: std::time::Instant,
    pub seed: u64,
    pub time_scale: TimeScale,
    /// Accepted bearer tokens; any non-empty token when `None`.
    pub tokens: Option<Vec<crate::api::Sensitive>>,
    /// Who may get tokens at the identity endpoint, and their lifetime.
    pub identity: super::identity::IdentityConfig,
    /// Tokens the identity endpoint issued.
    pub issued: super::identity::Issued,
    pub body_limit: usize,
    /// Longest silence inside a request body.
    pub body_read_timeout: std::time::Duration,
    pub idempotency_ttl_ms: i64,
    pub store: Store,
    pub faults: Faults,
    pub claims: Claims,
    pub log: RequestLog,
    /// What the vendor emulators received.
    pub wire: super::vendors::WireLog,
    /// The ConnectToTeams emulator.
    pub c2t: super::vendors::connecttoteams::Emulator,
    /// The Mitel CloudLink emulator.
    pub mitel: super::vendors::cloudlink::Emulator,
    /// The Campaign Registry emulator.
    pub tcr: super::vendors::campaignregistry::Emulator,
    /// The Partner Center emulator.
    pub pc: super::vendors::partnercenter::Emulator,
    /// The Microsoft Graph emulator.
    pub graph: super::vendors::graph::Emulator,
    /// Wakes the operation worker when an operation is created or resumed.
    pub wake: Notify,
}

impl Shared {
    /// Milliseconds since the sandbox started (monotonic).
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

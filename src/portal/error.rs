//! `PortalError`: what can go wrong talking to a portal, scrubbed of secrets.

use std::time::Duration;

/// A failed portal call. Messages are scrubbed of every secret the request carried.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// The portal refused the request (4xx other than 429), with its stable code.
    #[error("{portal} refused the request ({status} {code}): {message}")]
    Rejected {
        /// Portal id.
        portal: String,
        /// HTTP status.
        status: u16,
        /// Stable error code from the portal.
        code: String,
        /// The portal's message (scrubbed).
        message: String,
        /// Field the portal named, if any.
        field: Option<String>,
    },
    /// The portal kept failing (5xx, 429, timeouts, dropped connections) after every retry.
    #[error("{portal} is unavailable after {attempts} attempts: {last}")]
    Unavailable {
        /// Portal id.
        portal: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The portal answered with something that is not the contract.
    #[error("{portal} answered with an unexpected body ({status}): {detail}")]
    Protocol {
        /// Portal id.
        portal: String,
        /// HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// The identity endpoint refused the connection's credentials (bad client secret,
    /// revoked refresh token, wrong password); retrying with the same ones cannot help.
    #[error("{0}")]
    Unauthenticated(Box<AuthRefused>),
    /// No connection of the route table serves the kind.
    #[error(
        "no PortalConnection serves {portal}/{kind} (tried {tried}); add the portal to the spec.portals of one whose api implements it, or add such a connection to spec.delegates"
    )]
    NotRouted {
        /// Portal id.
        portal: String,
        /// Kind name.
        kind: String,
        /// The connections tried, in order.
        tried: String,
    },
    /// The client could not be built (bad URL, TLS setup).
    #[error("cannot set up the portal client: {0}")]
    Setup(String),
}

impl PortalError {
    /// The portal's stable error code, or a code for the transport failure.
    pub fn code(&self) -> &str {
        match self {
            Self::Rejected { code, .. } => code,
            Self::Unavailable { .. } => "PortalUnavailable",
            Self::Protocol { .. } => "PortalProtocolError",
            Self::Unauthenticated(_) => "AuthenticationFailed",
            Self::NotRouted { .. } => "PortalNotServed",
            Self::Setup(_) => "PortalSetupError",
        }
    }

    /// True when retrying later may succeed without changing the request.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Why one attempt failed, for the retry loop.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// Retry after the given delay (429 Retry-After), or after backoff when `None`.
    Retry {
        after: Option<Duration>,
        /// HTTP status, or `None` for a transport failure.
        status: Option<u16>,
        detail: String,
    },
    /// Give up with this error.
    Fatal(PortalError),
}

/// What a token endpoint said when it refused a connection's credentials.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "connection {connection}: the token endpoint {endpoint} refused the credentials ({status} {error}: {description}); check {check}"
)]
pub struct AuthRefused {
    /// The PortalConnection's name.
    pub connection: String,
    /// The token endpoint.
    pub endpoint: String,
    /// HTTP status.
    pub status: u16,
    /// OAuth2 error code (`invalid_client`, `invalid_grant`, ...).
    pub error: String,
    /// The endpoint's description (scrubbed, first line).
    pub description: String,
    /// Which Secrets hold the credentials to check.
    pub check: String,
}

//! Polling long-running portal operations until they finish, wait for a person, or time out.

use std::time::Duration;

use tokio::time::Instant;

use super::step::Outcome;
use crate::model::Kind;
use crate::portal::{Operation, OperationState, PortalApi};

/// How long and how often to poll.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    /// Give up waiting (the object stays `Waiting`) after this long.
    pub timeout: Duration,
    /// First wait between polls; doubles up to `max_interval`.
    pub interval: Duration,
    /// Longest wait between polls.
    pub max_interval: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            interval: Duration::from_millis(200),
            max_interval: Duration::from_secs(5),
        }
    }
}

/// Follows `op` until it is final, or needs a person or an off-peak window (no point waiting),
/// or `policy.timeout` passes (still running: `Waiting` with reason `Provisioning`).
pub async fn follow<P: PortalApi>(
    portal: &P,
    kind: Kind,
    object_id: &str,
    mut op: Operation,
    policy: PollPolicy,
) -> Outcome {
    let deadline = Instant::now() + policy.timeout;
    let mut interval = policy.interval;
    loop {
        match op.state {
            OperationState::Succeeded => {
                return Outcome::Done {
                    id: object_id.to_owned(),
                };
            }
            OperationState::Failed => {
                return Outcome::Failed {
                    code: op
                        .reason
                        .clone()
                        .unwrap_or_else(|| "OperationFailed".to_owned()),
                    message: op
                        .message
                        .clone()
                        .unwrap_or_else(|| "the portal operation failed".to_owned()),
                };
            }
            OperationState::Scheduled | OperationState::AwaitingHuman => {
                return waiting(object_id, &op);
            }
            OperationState::Pending | OperationState::Running => {}
        }
        if Instant::now() + interval > deadline {
            return waiting(object_id, &op);
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(policy.max_interval);
        op = match portal.operation(kind.portal(), kind.name(), &op.id).await {
            Ok(next) => next,
            // A poll that fails after retries leaves the object waiting, not failed: the
            // operation may still succeed, and the next plan or reconcile looks again.
            Err(err) => {
                return Outcome::Waiting {
                    id: object_id.to_owned(),
                    state: op.state,
                    reason: "Provisioning".to_owned(),
                    message: format!("could not poll operation {}: {err}", op.id),
                };
            }
        };
    }
}

fn waiting(object_id: &str, op: &Operation) -> Outcome {
    let reason = op.reason.clone().unwrap_or_else(|| match op.state {
        OperationState::Scheduled => "Scheduled".to_owned(),
        OperationState::AwaitingHuman => "AwaitingHuman".to_owned(),
        _ => "Provisioning".to_owned(),
    });
    let message = op.message.clone().unwrap_or_else(|| match op.state {
        OperationState::Scheduled => match &op.not_before {
            Some(t) => format!("scheduled by the portal to start at {t}"),
            None => "scheduled by the portal for later".to_owned(),
        },
        OperationState::AwaitingHuman => "waits for a person to act in the portal".to_owned(),
        _ => "still provisioning; run plan or apply again later to see it finish".to_owned(),
    });
    Outcome::Waiting {
        id: object_id.to_owned(),
        state: op.state,
        reason,
        message,
    }
}

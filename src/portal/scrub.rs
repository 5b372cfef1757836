//! `Scrubber`: every secret a connection has sent (and its token) is replaced with
//! `(sensitive)` in any text a portal sends back — error messages, operation messages and
//! reasons, transport errors — before that text becomes an error, a status or a log line.
//!
//! A portal may echo a secret long after the request that carried it (an operation that
//! fails minutes later), so the connection remembers the secrets it sent, not only the
//! current request's.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use super::wire::Operation;
use crate::api::Sensitive;

/// How many secrets one connection remembers; past that the set starts again (the current
/// request's secrets are always scrubbed as well).
const CAPACITY: usize = 100_000;

/// The secrets of one connection. Cheap to clone; clones share the set.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    token: Option<Sensitive>,
    known: Arc<RwLock<HashSet<Sensitive>>>,
}

impl Scrubber {
    /// A scrubber that always hides `token`.
    pub fn new(token: Option<Sensitive>) -> Self {
        Self {
            token: token.filter(|t| !t.is_empty()),
            known: Arc::default(),
        }
    }

    /// Remembers secrets about to be sent.
    pub fn remember(&self, secrets: &[Sensitive]) {
        if secrets.iter().all(Sensitive::is_empty) {
            return;
        }
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() + secrets.len() > CAPACITY {
            known.clear();
        }
        known.extend(secrets.iter().filter(|s| !s.is_empty()).cloned());
    }

    /// `text` with every known secret, every one of `extra` and the token replaced.
    pub fn scrub(&self, text: &str, extra: &[&Sensitive]) -> String {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        let mut secrets: Vec<&Sensitive> = extra
            .iter()
            .copied()
            .chain(self.token.iter())
            .chain(known.iter())
            .filter(|s| !s.is_empty())
            .collect();
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        let mut out = text.to_owned();
        for secret in secrets {
            if out.contains(secret.expose()) {
                out = out.replace(secret.expose(), "(sensitive)");
            }
        }
        out
    }

    /// An operation with its message and reason scrubbed.
    pub fn operation(&self, mut op: Operation) -> Operation {
        op.message = op.message.map(|m| self.scrub(&m, &[]));
        op.reason = op.reason.map(|r| self.scrub(&r, &[]));
        op
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::OperationState;

    #[test]
    fn remembered_secrets_are_scrubbed_later() {
        let scrubber = Scrubber::new(Some(Sensitive::new("tok-123")));
        scrubber.remember(&[Sensitive::new("Canary-9x!"), Sensitive::new("")]);
        let clone = scrubber.clone();
        let op = Operation {
            id: "op_1".into(),
            object_id: None,
            state: OperationState::Failed,
            reason: Some("ProvisioningFailed".into()),
            message: Some("failed (request secrets: Canary-9x!) with tok-123".into()),
            not_before: None,
        };
        let op = clone.operation(op);
        assert_eq!(
            op.message.as_deref(),
            Some("failed (request secrets: (sensitive)) with (sensitive)")
        );
        let extra = Sensitive::new("Canary-9x!-longer");
        assert_eq!(
            scrubber.scrub("x Canary-9x!-longer y", &[&extra]),
            "x (sensitive) y"
        );
    }
}

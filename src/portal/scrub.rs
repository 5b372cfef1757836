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

/// The shortest value treated as a secret. Shorter values are never scrubbed: replacing every
/// `x` of a text hides nothing and mangles it. Passwords are at least 8 characters by every
/// portal's policy, and the client refuses shorter credentials (`HttpPortal::new`).
pub(crate) const MIN_SECRET_LEN: usize = 8;

/// How many secrets one connection remembers; past that the set starts again (the current
/// request's secrets are always scrubbed as well).
const CAPACITY: usize = 100_000;

/// The secrets of one connection. Cheap to clone; clones share the set.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    /// The connection's own credentials (token, client secret, ...): always hidden.
    fixed: Vec<Sensitive>,
    known: Arc<RwLock<HashSet<Sensitive>>>,
}

impl Scrubber {
    /// A scrubber that always hides `token`.
    #[cfg(test)]
    pub fn new(token: Option<Sensitive>) -> Self {
        Self::with_credentials(token.into_iter().collect())
    }

    /// A scrubber that always hides every one of `credentials`.
    pub fn with_credentials(credentials: Vec<Sensitive>) -> Self {
        Self {
            fixed: credentials.into_iter().filter(is_secret).collect(),
            known: Arc::default(),
        }
    }

    /// Remembers secrets about to be sent.
    pub fn remember(&self, secrets: &[Sensitive]) {
        if !secrets.iter().any(is_secret) {
            return;
        }
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() + secrets.len() > CAPACITY {
            known.clear();
        }
        known.extend(secrets.iter().filter(|s| is_secret(s)).cloned());
    }

    /// `text` with every known secret, every one of `extra` and the token replaced.
    pub fn scrub(&self, text: &str, extra: &[&Sensitive]) -> String {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        let mut secrets: Vec<&Sensitive> = extra
            .iter()
            .copied()
            .chain(self.fixed.iter())
            .chain(known.iter())
            .filter(|s| is_secret(s))
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

/// True for a value long enough to be a secret.
fn is_secret(value: &Sensitive) -> bool {
    value.expose().chars().count() >= MIN_SECRET_LEN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::OperationState;

    #[test]
    fn remembered_secrets_are_scrubbed_later() {
        let scrubber = Scrubber::new(Some(Sensitive::new("tok-1234")));
        scrubber.remember(&[Sensitive::new("Canary-9x!"), Sensitive::new("")]);
        let clone = scrubber.clone();
        let op = Operation {
            id: "op_1".into(),
            object_id: None,
            state: OperationState::Failed,
            reason: Some("ProvisioningFailed".into()),
            message: Some("failed (request secrets: Canary-9x!) with tok-1234".into()),
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

    #[test]
    fn values_too_short_to_be_secrets_leave_the_text_alone() {
        let scrubber = Scrubber::new(Some(Sensitive::new("x")));
        scrubber.remember(&[Sensitive::new("abc"), Sensitive::new("Long-Enough-1")]);
        assert_eq!(
            scrubber.scrub("x marks abc; Long-Enough-1 is hidden", &[]),
            "x marks abc; (sensitive) is hidden"
        );
    }
}

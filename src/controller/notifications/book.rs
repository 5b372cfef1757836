//! A sink's book: the events owed to it (pending) and the ids it accepted (delivered), as
//! kept in its status. Both lists are bounded: a sink that stays down keeps the newest 200
//! pending events, and the newest 500 delivered ids are remembered (an older event seen again
//! is sent again; its id lets the receiver drop it).

use crate::api::Condition;

use crate::api::{SinkEvent, SinkStatus};
use crate::notify::Event;

/// Most events kept pending per sink.
pub(crate) const MAX_PENDING: usize = 200;
/// Most delivered ids remembered per sink.
pub(crate) const MAX_DELIVERED: usize = 500;

/// One sink's outbox and delivery state, as the delivering replica holds it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    /// Owed and not accepted yet, oldest first.
    pub pending: Vec<SinkEvent>,
    /// Accepted, oldest first.
    pub delivered: Vec<String>,
    /// The sink's conditions.
    pub conditions: Vec<Condition>,
    /// Failed passes in a row (the sink's backoff).
    pub failures: u32,
    /// No delivery before this time (Unix seconds).
    pub retry_at: u64,
    /// The status last written (or read): nothing is patched while it holds.
    pub written: Option<SinkStatus>,
}

impl Book {
    /// The book a sink's published status holds (after a restart or a change of leader).
    pub fn from_status(status: Option<&SinkStatus>) -> Self {
        let status = status.cloned().unwrap_or_default();
        Self {
            pending: status.pending.clone(),
            delivered: status.delivered.clone(),
            conditions: status.conditions.clone(),
            written: Some(status),
            ..Self::default()
        }
    }

    /// Adds `event` unless it is pending or was delivered; true when added. The oldest
    /// pending events make room once there are `MAX_PENDING`.
    pub fn owe(&mut self, event: &Event) -> bool {
        if self.pending.iter().any(|p| p.id == event.id) || self.delivered.contains(&event.id) {
            return false;
        }
        self.pending.push(SinkEvent::from(event));
        if self.pending.len() > MAX_PENDING {
            let extra = self.pending.len() - MAX_PENDING;
            let dropped: Vec<&str> = self.pending[..extra]
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            tracing::warn!(
                ?dropped,
                "notification outbox full; the oldest pending events are dropped"
            );
            self.pending.drain(..extra);
        }
        true
    }

    /// Moves `id` from pending to delivered.
    pub fn accepted(&mut self, id: &str) {
        self.pending.retain(|p| p.id != id);
        if !self.delivered.iter().any(|d| d == id) {
            self.delivered.push(id.to_owned());
        }
        if self.delivered.len() > MAX_DELIVERED {
            let extra = self.delivered.len() - MAX_DELIVERED;
            self.delivered.drain(..extra);
        }
    }

    /// The status this book publishes.
    pub fn status(&self) -> SinkStatus {
        SinkStatus {
            conditions: self.conditions.clone(),
            pending: self.pending.clone(),
            delivered: self.delivered.clone(),
        }
    }

    /// True when the published status differs from the last one written.
    pub fn dirty(&self) -> bool {
        self.written.as_ref() != Some(&self.status())
    }

    /// Counts a failed pass and returns the seconds until the next attempt: 30 s doubling
    /// per failure in a row, up to 15 min.
    pub fn backoff(&mut self, now: u64) -> u64 {
        self.failures = self.failures.saturating_add(1);
        let wait = (30u64 << self.failures.saturating_sub(1).min(5)).min(900);
        self.retry_at = now.saturating_add(wait);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EventType;

    fn event(n: usize) -> Event {
        Event::new(
            EventType::Failed,
            format!("a/b/{n}"),
            "R".into(),
            "m".into(),
            "",
        )
    }

    #[test]
    fn an_event_is_owed_once_and_never_again_after_delivery() {
        let mut book = Book::default();
        assert!(book.owe(&event(1)));
        assert!(!book.owe(&event(1)), "already pending");
        book.accepted(&event(1).id);
        assert!(!book.owe(&event(1)), "already delivered");
        assert!(book.pending.is_empty());
        assert_eq!(book.delivered, [event(1).id]);
    }

    #[test]
    fn both_lists_are_bounded_oldest_first() {
        let mut book = Book::default();
        for n in 0..=MAX_PENDING {
            book.owe(&event(n));
        }
        assert_eq!(book.pending.len(), MAX_PENDING);
        assert_eq!(book.pending[0].id, event(1).id, "the oldest made room");
        for n in 0..=MAX_DELIVERED {
            book.accepted(&format!("id{n}"));
        }
        assert_eq!(book.delivered.len(), MAX_DELIVERED);
        assert_eq!(book.delivered[0], "id1");
    }

    #[test]
    fn a_book_read_back_from_its_status_is_not_dirty_and_backs_off_up_to_15_minutes() {
        let mut book = Book::default();
        book.owe(&event(1));
        let again = Book::from_status(Some(&book.status()));
        assert!(!again.dirty());
        assert_eq!(again.pending, book.pending);
        let waits: Vec<u64> = (0..8).map(|_| book.backoff(0)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900, 900]);
    }
}

//! Notifications from the controller (issue 16, item 4): reconciles offer what they saw (work
//! orders, waits, failures, drift) to a queue and return; one task on the leader delivers it
//! to the NotificationSinks through `crate::notify` (the CLI's payloads, signature and
//! retries), keeping each sink's outbox (pending events, delivered ids) in its status so a
//! restart or a new leader resends what was pending and nothing that was delivered.

mod book;
mod pass;
mod sources;

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::notify::Event;

pub(crate) use book::Book;
pub(crate) use pass::run;
pub use pass::{Pass, deliver_notifications};
pub(crate) use sources::{Sightings, waiting_since};

/// A wait an object is in, and since when (Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct Wait {
    pub event: Event,
    pub since: u64,
}

/// The queue between the reconciles and the delivering task.
#[derive(Debug, Default)]
pub struct Notifications {
    queue: Mutex<Queue>,
    wake: tokio::sync::Notify,
    /// Each sink's book; one pass at a time holds it.
    books: tokio::sync::Mutex<BTreeMap<String, Book>>,
}

#[derive(Debug, Default)]
struct Queue {
    /// Work orders, failures and drift: owed to the sinks once seen.
    once: Vec<Event>,
    /// Each object's current waits: owed once they outlast a sink's threshold.
    waits: BTreeMap<String, Vec<Wait>>,
}

impl Notifications {
    /// Records what a reconcile of `object` saw (replacing its earlier waits) and wakes the
    /// delivering task; never waits for a delivery.
    pub(crate) fn offer(&self, object: &str, events: Vec<Event>, since: Option<u64>, now: u64) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let mut waits = Vec::new();
        for event in events {
            if event.kind == crate::api::EventType::Waiting {
                waits.push(Wait {
                    event,
                    since: since.unwrap_or(now),
                });
            } else if !queue.once.iter().any(|e| e.id == event.id) {
                queue.once.push(event);
            }
        }
        if waits.is_empty() {
            queue.waits.remove(object);
        } else {
            queue.waits.insert(object.to_owned(), waits);
        }
        drop(queue);
        self.wake.notify_one();
    }

    /// Forgets the waits of a deleted object.
    pub(crate) fn forget(&self, object: &str) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.waits.remove(object);
    }

    /// The one-shot events queued so far (taken) and every current wait.
    fn take(&self) -> (Vec<Event>, Vec<Wait>) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let once = std::mem::take(&mut queue.once);
        let waits = queue.waits.values().flatten().cloned().collect();
        (once, waits)
    }
}

//! Kubernetes Events for every portal write and failure. Notes never carry secret values:
//! they are built from addresses, codes and scrubbed portal messages only.

use kube::runtime::events::{Event, EventType};

use super::Declaring;
use super::context::Context;

/// Publishes an event about `object`; a failure to publish is logged, never fatal.
pub(crate) async fn publish<K: Declaring>(
    ctx: &Context,
    object: &K,
    warning: bool,
    reason: &str,
    action: &str,
    note: String,
) {
    let event = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.to_owned(),
        note: Some(cut(note, 1000)),
        action: action.to_owned(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &object.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "could not publish an event");
    }
}

/// Cuts a note to the Events API limit (1 kB) at a character boundary.
fn cut(mut note: String, limit: usize) -> String {
    if note.len() > limit {
        let mut at = limit;
        while !note.is_char_boundary(at) {
            at -= 1;
        }
        note.truncate(at);
    }
    note
}

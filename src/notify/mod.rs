//! Notifications: what needs a person (work orders, long waits, failures, drift), as events
//! with a stable id, rendered for a sink's format, signed, and delivered at least once with
//! retries; an outbox remembers what each sink accepted so a rerun does not send it again.
//!
//! Events carry addresses, reasons and messages that the portal layer already scrubbed;
//! nothing here reads a secret value except the sink's own URL and signing key, which are
//! never printed (errors name the sink, not its URL).

mod deliver;
mod event;
mod outbox;
mod payload;

pub use deliver::{
    Delivered, DeliveryError, SendFailure, Sink, SinkSetupError, client, deliver, send,
};
pub use event::{Event, events_of_plan, events_of_report, events_of_work_orders};
pub use outbox::Outbox;
pub use payload::{SIGNATURE_HEADER, payload, signature};

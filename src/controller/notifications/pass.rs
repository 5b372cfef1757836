//! One delivery pass, and the task that runs passes on the leader: for each sink, record what
//! it is owed in its status first, then send the pending events in order through
//! `crate::notify::send` (signed, 6 attempts with backoff); a sink that still fails backs off
//! on its own (30 s doubling to 15 min) while the others go on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::{Book, Wait};
use crate::api::{Declared, NotificationSink, SecretKey, Sensitive, set_condition, sink_condition};
use crate::controller::context::Context;
use crate::controller::dereference::read_secret;
use crate::controller::status::now as status_now;
use crate::notify::{Event, Sink, send};
use crate::portal::secret_key;

/// How often the task looks again without being woken (waits that come due, backoffs).
const TICK: Duration = Duration::from_secs(30);
/// A burst of reconciles wakes the task once.
const SETTLE: Duration = Duration::from_millis(500);

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// `(sink, event id)` accepted in this pass.
    pub sent: Vec<(String, String)>,
    /// Sinks whose delivery failed in this pass (or whose Secrets are missing).
    pub failed: Vec<String>,
    /// Events still pending over all sinks.
    pub pending: usize,
}

/// Delivers what the sinks are owed (the leader's task calls this; tests call it directly).
pub async fn deliver_notifications(ctx: &Context) -> Pass {
    let now = unix_now();
    let (once, waits) = ctx.notifications.take();
    let sinks = ctx.stores.sinks.state();
    let mut books = ctx.notifications.books.lock().await;
    books.retain(|name, _| sinks.iter().any(|s| &s.name_any() == name));
    let client = crate::notify::client();
    let jobs = sinks.iter().map(|resource| {
        let name = resource.name_any();
        let book = books
            .remove(&name)
            .unwrap_or_else(|| Book::from_status(resource.status.as_ref()));
        let (once, waits, client) = (&once, &waits, &client);
        async move {
            let mut book = book;
            let outcome = serve(ctx, resource, &mut book, once, waits, client, now).await;
            (name, book, outcome)
        }
    });
    let mut pass = Pass::default();
    for (name, book, outcome) in futures::future::join_all(jobs).await {
        pass.sent
            .extend(outcome.sent.into_iter().map(|id| (name.clone(), id)));
        if outcome.failed {
            pass.failed.push(name.clone());
        }
        pass.pending += book.pending.len();
        books.insert(name, book);
    }
    pass
}

/// Runs passes until the controllers stop: when a reconcile offers something, and every
/// `TICK` for waits that come due and sinks that back off.
pub(crate) async fn run(ctx: Arc<Context>) {
    // Before the sinks are listed, their outboxes (status) are unknown: wait for them.
    let _ = ctx.stores.sinks.wait_until_ready().await;
    loop {
        let pass = deliver_notifications(&ctx).await;
        if !pass.sent.is_empty() || !pass.failed.is_empty() {
            tracing::info!(
                sent = pass.sent.len(),
                failed = pass.failed.len(),
                pending = pass.pending,
                "notifications delivered"
            );
        }
        tokio::select! {
            () = ctx.notifications.wake.notified() => tokio::time::sleep(SETTLE).await,
            () = tokio::time::sleep(TICK) => {}
        }
    }
}

#[derive(Default)]
struct Outcome {
    sent: Vec<String>,
    failed: bool,
}

/// One sink: owe it what it wants, persist, send in order, publish its conditions.
async fn serve(
    ctx: &Context,
    resource: &NotificationSink,
    book: &mut Book,
    once: &[Event],
    waits: &[Wait],
    client: &Result<reqwest::Client, String>,
    now: u64,
) -> Outcome {
    let name = resource.name_any();
    let spec = &resource.spec;
    let threshold = u64::from(spec.waiting_after_minutes) * 60;
    let mut owed = false;
    for event in once.iter().filter(|e| spec.wants(e.kind)) {
        owed |= book.owe(event);
    }
    for wait in waits
        .iter()
        .filter(|w| spec.wants(w.event.kind) && now.saturating_sub(w.since) >= threshold)
    {
        owed |= book.owe(&wait.event);
    }
    // Recorded before it is sent: a restart between the two resends, never forgets.
    if owed && !persist(ctx, resource, book).await {
        return Outcome {
            failed: true,
            ..Outcome::default()
        };
    }
    let generation = resource.metadata.generation;
    let mut outcome = Outcome::default();
    let sink = match resolve(ctx, resource).await {
        Ok(sink) => sink,
        Err(message) => {
            set_condition(
                &mut book.conditions,
                sink_condition::READY,
                false,
                "SecretNotFound",
                &message,
                generation,
                status_now(),
            );
            outcome.failed = true;
            persist(ctx, resource, book).await;
            return outcome;
        }
    };
    let client = match client {
        Ok(client) => client,
        Err(why) => {
            tracing::warn!(sink = %name, error = %why, "cannot deliver notifications");
            outcome.failed = true;
            return outcome;
        }
    };
    let mut failure = None;
    if now >= book.retry_at {
        while let Some(next) = book.pending.first().cloned() {
            let event = Event::from(next);
            match send(client, &sink, &event, now).await {
                Ok(()) => {
                    book.accepted(&event.id);
                    outcome.sent.push(event.id);
                }
                Err(f) => {
                    failure = Some((event, f));
                    break;
                }
            }
        }
    }
    match failure {
        Some((event, f)) => {
            let wait = book.backoff(now);
            let reason = f
                .status
                .map_or_else(|| "Unreachable".to_owned(), |s| format!("HTTP{s}"));
            let message = format!(
                "event {} ({}) not delivered: {}; {} pending, next attempt in {wait} s",
                event.id,
                event.kind.name(),
                f.why,
                book.pending.len()
            );
            tracing::warn!(sink = %name, event = %event.id, reason = %reason, "notification not delivered; backing off");
            set_condition(
                &mut book.conditions,
                sink_condition::READY,
                false,
                "DeliveryFailed",
                &message,
                generation,
                status_now(),
            );
            set_condition(
                &mut book.conditions,
                sink_condition::LAST_DELIVERY_FAILED,
                true,
                &reason,
                &message,
                generation,
                status_now(),
            );
            outcome.failed = true;
        }
        None if now >= book.retry_at || !outcome.sent.is_empty() => {
            book.failures = 0;
            let last = if book.delivered.is_empty() {
                ("NoDelivery", "Nothing was delivered yet.")
            } else {
                ("Delivered", "The last delivery was accepted.")
            };
            set_condition(
                &mut book.conditions,
                sink_condition::READY,
                true,
                "Available",
                "The sink's Secrets are readable and no delivery is failing.",
                generation,
                status_now(),
            );
            set_condition(
                &mut book.conditions,
                sink_condition::LAST_DELIVERY_FAILED,
                false,
                last.0,
                last.1,
                generation,
                status_now(),
            );
        }
        // Backing off: the conditions still say why.
        None => {}
    }
    persist(ctx, resource, book).await;
    outcome
}

/// Patches the sink's status when the book changed; false when the write failed (the book
/// stays dirty and the next pass writes it).
async fn persist(ctx: &Context, resource: &NotificationSink, book: &mut Book) -> bool {
    if !book.dirty() {
        return true;
    }
    let name = resource.name_any();
    let status = book.status();
    let patch = json!({
        "apiVersion": "tenantry.dev/v1alpha1",
        "kind": "NotificationSink",
        "status": status,
    });
    let api: Api<NotificationSink> = Api::all(ctx.client.clone());
    match api
        .patch_status(
            &name,
            &PatchParams::apply(crate::controller::FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
    {
        Ok(_) => {
            book.written = Some(status);
            true
        }
        Err(e) => {
            tracing::warn!(sink = %name, error = %e, "could not write the NotificationSink's status");
            false
        }
    }
}

/// The sink with its URL and key read from their Secrets; `Err` says which is missing.
async fn resolve(ctx: &Context, resource: &NotificationSink) -> Result<Sink, String> {
    let mut secrets: BTreeMap<SecretKey, Sensitive> = BTreeMap::new();
    for (_, r) in resource.spec.secret_refs() {
        let secret = read_secret(ctx, &r.namespace, &r.name)
            .await
            .map_err(|e| format!("NotificationSink {}: {e}", resource.name_any()))?;
        let mut values = Declared::default();
        values.add_secret(&secret, &r.namespace);
        let key = secret_key(r);
        if let Some(value) = values.secrets.remove(&key) {
            secrets.insert(key, value);
        }
    }
    Sink::resolve(resource, &secrets).map_err(|e| format!("{e}; add the key to the Secret"))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

//! `--notify`: what needs a person after a plan or apply (long waits, failures), sent to the
//! input's NotificationSinks or printed as JSON Lines.

use std::collections::BTreeMap;
use std::path::Path;

use tenantry::api::{Declared, SecretKey, Sensitive};
use tenantry::notify::{Event, Outbox, Sink, deliver};
use tenantry::portal::secret_key;
use tenantry::validate;

use super::CliError;

/// What `--notify` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// POST each event to the input's NotificationSinks (once per sink; see docs/notifications.md).
    Send,
    /// Write each event as one JSON line on standard error (for a pipeline to forward).
    Print,
}

/// The `--notify` flag of `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// Tell people what needs them (waits longer than a sink's threshold, failures): `send`
    /// (the default) to the input's NotificationSinks, or `print` as JSON Lines on stderr.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, default_missing_value = "send")]
    pub notify: Option<Mode>,
}

/// The input's sinks with their Secrets (from Secret manifests or TENANTRY_SECRET_*).
pub fn sinks(declared: &Declared) -> Result<Vec<Sink>, CliError> {
    let mut secrets: BTreeMap<SecretKey, Sensitive> = BTreeMap::new();
    for sink in &declared.sinks {
        for (field, r) in sink.object.spec.secret_refs() {
            let key = secret_key(r);
            let env_var = validate::secret_env_var(&key);
            let value = declared
                .secrets
                .get(&key)
                .cloned()
                .or_else(|| std::env::var(&env_var).ok().map(Sensitive::new))
                .ok_or_else(|| CliError::MissingSinkSecret {
                    sink: sink.object.metadata.name.clone().unwrap_or_default(),
                    field: field.to_owned(),
                    secret: format!("{}/{} key {}", key.namespace, key.name, key.key),
                    env_var,
                })?;
            secrets.insert(key, value);
        }
    }
    declared
        .sinks
        .iter()
        // Every Secret was just found, so this cannot miss one.
        .map(|s| Sink::resolve(&s.object, &secrets).map_err(|e| CliError::Notify(e.to_string())))
        .collect()
}

/// Sends or prints `events`; a sink that cannot be reached is a warning, not a failed run.
pub async fn notify(
    mode: Option<Mode>,
    sinks: &[Sink],
    state_dir: &Path,
    events: &[Event],
) -> Result<(), CliError> {
    match mode {
        None => Ok(()),
        Some(Mode::Print) => {
            for event in events {
                let line =
                    serde_json::to_string(event).map_err(|e| CliError::Notify(e.to_string()))?;
                eprintln!("{line}");
            }
            Ok(())
        }
        Some(Mode::Send) => {
            if sinks.is_empty() {
                return Err(CliError::NoSinks);
            }
            // Creates the private state directory (0700) when it does not exist yet.
            tenantry::sandbox::state_dir(state_dir)?;
            let mut outbox = Outbox::load(&state_dir.join("notifications.json"));
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let report = deliver(sinks, events, &mut outbox, now).await;
            // Saved even after failures: what was accepted must not be sent again.
            outbox
                .save()
                .map_err(|e| CliError::Notify(format!("cannot save the outbox: {e}")))?;
            for failure in &report.failed {
                eprintln!("warning: {failure}; the next run sends it again");
            }
            // On standard error, so `plan -o json` stays one document.
            eprintln!(
                "Notifications: {} sent, {} held (sent before, not wanted, or a wait not yet due), {} not delivered.",
                report.sent.len(),
                report.held,
                report.failed.len()
            );
            Ok(())
        }
    }
}

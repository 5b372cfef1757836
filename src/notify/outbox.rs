//! The outbox: which events each sink accepted, and since when each wait has been seen, kept
//! in a file for the CLI (written whole and renamed into place, so a crash leaves the old or
//! the new file, never half of one). Losing it only means a sink may see an event again,
//! which its id lets it drop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Most event ids remembered per sink; the oldest are forgotten first.
const REMEMBERED: usize = 10_000;

/// Delivered event ids per sink, and first sightings of waits.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outbox {
    /// Sink name → event ids it accepted, in delivery order.
    #[serde(default)]
    delivered: BTreeMap<String, Vec<String>>,
    /// Event id of a wait → when it was first seen (Unix seconds).
    #[serde(default)]
    waiting_since: BTreeMap<String, u64>,
    #[serde(skip)]
    path: Option<PathBuf>,
}

impl Outbox {
    /// The outbox kept in `path`; a missing or unreadable file starts an empty one.
    pub fn load(path: &Path) -> Self {
        let mut outbox: Outbox = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        outbox.path = Some(path.to_owned());
        outbox
    }

    /// True when `sink` already accepted `event_id`.
    pub fn delivered(&self, sink: &str, event_id: &str) -> bool {
        self.delivered
            .get(sink)
            .is_some_and(|ids| ids.iter().any(|id| id == event_id))
    }

    /// Records that `sink` accepted `event_id`.
    pub fn record(&mut self, sink: &str, event_id: &str) {
        let ids = self.delivered.entry(sink.to_owned()).or_default();
        ids.push(event_id.to_owned());
        if ids.len() > REMEMBERED {
            let extra = ids.len() - REMEMBERED;
            ids.drain(..extra);
        }
    }

    /// How long (seconds) the waits in `current` have been seen, at `now`; waits no longer
    /// current are forgotten, so a wait that ends and comes back starts counting again.
    pub fn waits(&mut self, current: &BTreeSet<String>, now: u64) -> BTreeMap<String, u64> {
        self.waiting_since.retain(|id, _| current.contains(id));
        current
            .iter()
            .map(|id| {
                let since = *self.waiting_since.entry(id.clone()).or_insert(now);
                (id.clone(), now.saturating_sub(since))
            })
            .collect()
    }

    /// Writes the outbox back to its file (owner-only), when it has one.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_counts_from_its_first_sighting_and_restarts_after_it_ends() {
        let mut outbox = Outbox::default();
        let current = BTreeSet::from(["w".to_owned()]);
        assert_eq!(outbox.waits(&current, 100)["w"], 0);
        assert_eq!(outbox.waits(&current, 160)["w"], 60);
        outbox.waits(&BTreeSet::new(), 200);
        assert_eq!(outbox.waits(&current, 300)["w"], 0, "a new wait");
    }

    #[test]
    fn deliveries_survive_a_reload_and_the_oldest_are_forgotten_first() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("notifications.json");
        let mut outbox = Outbox::load(&path);
        for i in 0..=REMEMBERED {
            outbox.record("psa", &format!("e{i}"));
        }
        outbox.save().unwrap_or_else(|e| panic!("{e}"));
        let again = Outbox::load(&path);
        assert!(again.delivered("psa", &format!("e{REMEMBERED}")));
        assert!(!again.delivered("psa", "e0"), "the oldest was forgotten");
        assert!(!again.delivered("chat", "e1"), "per sink");
    }
}

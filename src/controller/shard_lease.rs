//! One Lease per shard (`<lease>-shard-<i>`) and one presence Lease per replica
//! (`<lease>-replica-<identity>`), renewed every `TICK` by this replica's shard holder.
//!
//! Fair share: a replica holds at most ceil(N / live replicas) shards, live replicas being
//! the unexpired presence Leases. A replica over its share hands the extra shards back (it
//! stops reconciling them first), one under it takes free or expired ones. So two replicas
//! started together split the shards, and when one dies its shard and presence Leases expire
//! after `DURATION` and the survivor takes everything over.
//!
//! Fail-stop as with one leader: each confirmed renewal lets this replica reconcile the shard
//! for `DURATION - GRACE` seconds from when the renewal started, and a failed renewal stops
//! the shard at once. Writes carry the Lease's resourceVersion, so two replicas cannot both
//! take one shard.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use tokio::sync::watch;

use super::leader::{DURATION, GRACE, LeaseSettings};
use super::run::stopped;
use super::shard::Shards;

/// Seconds between two rounds of renewals (well inside `DURATION - GRACE`).
const TICK: Duration = Duration::from_secs(3);
/// Label of every Lease of the sharded controller, valued with the base Lease name.
const LABEL: &str = "tenantry.dev/shard-lease";

/// What one shard's Lease says now.
struct Seen {
    exists: bool,
    holder: Option<String>,
    version: Option<String>,
    transitions: i32,
}

/// Holds this replica's share of the shards until `shutdown`, then hands them back.
pub(crate) async fn hold(
    client: Client,
    settings: LeaseSettings,
    shards: Arc<Shards>,
    mut shutdown: watch::Receiver<bool>,
) {
    let api: Api<Lease> = Api::namespaced(client, &settings.namespace);
    tracing::info!(identity = %settings.identity, shards = shards.count(), "sharded: holding a fair share of the shard Leases");
    loop {
        round(&api, &settings, &shards).await;
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            () = tokio::time::sleep(TICK) => {}
        }
    }
    for shard in shards.held() {
        shards.release(shard);
        give_back(&api, &settings, shard).await;
    }
    let member = member_name(&settings);
    if let Err(e) = api.delete(&member, &Default::default()).await {
        tracing::debug!(error = %e, "could not delete the presence Lease");
    }
}

/// One round: presence, live replicas, renewals, hand-backs, takeovers.
async fn round(api: &Api<Lease>, settings: &LeaseSettings, shards: &Shards) {
    let started = Instant::now();
    let now = jiff::Timestamp::now();
    let until = started + Duration::from_secs(DURATION - GRACE);
    let member = member_name(settings);
    let presence = json!({
        "metadata": {"labels": {LABEL: settings.name}},
        "spec": {"holderIdentity": settings.identity, "renewTime": micro(now),
                 "leaseDurationSeconds": DURATION},
    });
    if let Err(e) = write(api, &member, Guard::Any, presence).await {
        tracing::warn!(error = %e, "could not renew the presence Lease");
    }
    let live = match api
        .list(&ListParams::default().labels(&format!("{LABEL}={}", settings.name)))
        .await
    {
        Ok(list) => list
            .items
            .iter()
            .filter(|l| l.name_any().starts_with(&member_prefix(settings)) && unexpired(l, now))
            .count()
            .max(1),
        Err(e) => {
            // Without the members, neither take nor give: renew what we hold.
            tracing::warn!(error = %e, "could not list the replicas' Leases");
            usize::MAX
        }
    };
    let count = shards.count();
    let count_usize = count as usize;
    let cap = if live == usize::MAX {
        shards.held().len()
    } else {
        count_usize.div_ceil(live)
    };
    let mut seen = Vec::with_capacity(count_usize);
    for shard in 0..count {
        seen.push(match api.get_opt(&shard_name(settings, shard)).await {
            Ok(lease) => read(lease.as_ref(), now),
            Err(e) => {
                tracing::warn!(shard, error = %e, "could not read the shard Lease");
                None
            }
        });
    }
    let mut mine = Vec::new();
    for (shard, s) in (0..count).zip(&seen) {
        let ours = s
            .as_ref()
            .is_some_and(|s| s.holder.as_deref() == Some(settings.identity.as_str()));
        if !ours {
            // Unknown or someone else's: not ours to reconcile.
            shards.release(shard);
            continue;
        }
        let Some(s) = s else { continue };
        let renewal = json!({"spec": {"holderIdentity": settings.identity, "renewTime": micro(now),
                                      "leaseDurationSeconds": DURATION}});
        let guard = Guard::At(s.version.clone().unwrap_or_default());
        match write(api, &shard_name(settings, shard), guard, renewal).await {
            Ok(()) => {
                shards.confirm(shard, until);
                mine.push(shard);
            }
            Err(e) => {
                shards.release(shard);
                tracing::warn!(shard, error = %e, "could not renew the shard Lease");
            }
        }
    }
    // Over the fair share: stop the highest shards, then free their Leases.
    while mine.len() > cap {
        let Some(shard) = mine.pop() else { break };
        shards.release(shard);
        give_back(api, settings, shard).await;
        tracing::info!(shard, cap, "handed a shard over (fair share)");
    }
    // Under it: take free shards, starting at a place of our own so replicas collide less.
    let start = super::shard::shard_of(&settings.namespace, &settings.identity, count);
    for shard in (0..count).map(|i| (start + i) % count) {
        if mine.len() >= cap {
            break;
        }
        let Some(s) = &seen[shard as usize] else {
            continue;
        };
        if s.holder.is_some() {
            continue;
        }
        let take = json!({
            "metadata": {"labels": {LABEL: settings.name}},
            "spec": {"holderIdentity": settings.identity, "acquireTime": micro(now),
                     "renewTime": micro(now), "leaseDurationSeconds": DURATION,
                     "leaseTransitions": s.transitions + i32::from(s.exists)},
        });
        let guard = if s.exists {
            Guard::At(s.version.clone().unwrap_or_default())
        } else {
            Guard::New
        };
        match write(api, &shard_name(settings, shard), guard, take).await {
            Ok(()) => {
                shards.confirm(shard, until);
                mine.push(shard);
            }
            Err(e) => tracing::info!(shard, error = %e, "shard taken by another replica"),
        }
    }
}

/// How a Lease write is guarded.
enum Guard {
    /// Only while the Lease is at this resourceVersion.
    At(String),
    /// Only if it does not exist yet.
    New,
    /// Create it or merge into it (this replica's own presence Lease).
    Any,
}

/// Creates the Lease `name` with `body` or merges `body` into it, as `guard` allows.
async fn write(
    api: &Api<Lease>,
    name: &str,
    guard: Guard,
    mut body: serde_json::Value,
) -> Result<(), kube::Error> {
    let create = match guard {
        Guard::At(version) => {
            body["metadata"]["resourceVersion"] = json!(version);
            false
        }
        Guard::New => true,
        Guard::Any => api.get_opt(name).await?.is_none(),
    };
    if !create {
        return api
            .patch(name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .map(|_| ());
    }
    body["apiVersion"] = json!("coordination.k8s.io/v1");
    body["kind"] = json!("Lease");
    body["metadata"]["name"] = json!(name);
    let lease: Lease = serde_json::from_value(body).map_err(kube::Error::SerdeError)?;
    api.create(&PostParams::default(), &lease).await.map(|_| ())
}

/// Frees a shard's Lease for the other replicas now, instead of after its expiry.
async fn give_back(api: &Api<Lease>, settings: &LeaseSettings, shard: u32) {
    let free = json!({"spec": {"holderIdentity": null}});
    if let Err(e) = api
        .patch(
            &shard_name(settings, shard),
            &PatchParams::default(),
            &Patch::Merge(&free),
        )
        .await
    {
        tracing::warn!(shard, error = %e, "could not hand the shard Lease back; it expires instead");
    }
}

/// A shard Lease as seen at `now`: the holder is `None` when free or expired.
fn read(lease: Option<&Lease>, now: jiff::Timestamp) -> Option<Seen> {
    let Some(lease) = lease else {
        return Some(Seen {
            exists: false,
            holder: None,
            version: None,
            transitions: 0,
        });
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec
        .holder_identity
        .filter(|h| !h.is_empty())
        .filter(|_| unexpired(lease, now));
    Some(Seen {
        exists: true,
        holder,
        version: lease.resource_version(),
        transitions: spec.lease_transitions.unwrap_or(0),
    })
}

/// Whether `lease` was renewed less than its duration before `now`.
fn unexpired(lease: &Lease, now: jiff::Timestamp) -> bool {
    let Some(spec) = &lease.spec else {
        return false;
    };
    let (Some(renewed), Some(seconds)) = (&spec.renew_time, spec.lease_duration_seconds) else {
        return false;
    };
    renewed
        .0
        .checked_add(jiff::SignedDuration::from_secs(i64::from(seconds)))
        .is_ok_and(|expiry| expiry > now)
}

fn micro(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `<lease>-shard-<i>`.
pub(crate) fn shard_name(settings: &LeaseSettings, shard: u32) -> String {
    format!("{}-shard-{shard}", settings.name)
}

fn member_prefix(settings: &LeaseSettings) -> String {
    format!("{}-replica-", settings.name)
}

fn member_name(settings: &LeaseSettings) -> String {
    format!("{}{}", member_prefix(settings), settings.identity)
}

//! The diff: desired resources + observed portal objects → an ordered [`Plan`].

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::Value;

use super::action::{
    Action, ActionKind, FieldChange, FieldValue, Orphan, OrphanReason, Pending, Phase, Plan,
    PlanOptions,
};
use super::drift;
use super::hash::plan_hash;
use super::normalize::equivalent_in;
use crate::api::DeletionPolicy;
use crate::model::parallel::map_in_parallel;
use crate::model::{
    Address, Kind, Model, Observed, PortalObject, Resource, Semantics, fingerprint_field,
};

/// True when `serde_json::Map` iterates in key order (it does unless serde_json's
/// `preserve_order` feature is on somewhere in the build).
static SORTED_MAPS: LazyLock<bool> = LazyLock::new(|| {
    let mut probe = serde_json::Map::new();
    probe.insert("b".into(), Value::Null);
    probe.insert("a".into(), Value::Null);
    probe.keys().next().map(String::as_str) == Some("a")
});

/// Computes the plan that makes the portals match `model`. Pure and deterministic.
///
/// Only declared fields are compared, after normalization; `status` never drifts. Undeclared
/// objects in `options.scope` are deleted when their recorded policy is Delete and
/// `options.prune` is set, and reported as orphans otherwise.
pub fn plan(model: &Model, observed: &Observed, options: &PlanOptions) -> Plan {
    plan_with(Semantics::contract(), model, observed, options)
}

/// [`plan`] with the field semantics of `table` (a test may pass a modified copy).
pub fn plan_with(
    table: &Semantics,
    model: &Model,
    observed: &Observed,
    options: &PlanOptions,
) -> Plan {
    let resources = model.resources();
    // Pass 1, independent per resource (so it may run on several threads): find the observed
    // object and compare the declared fields.
    let compared = map_in_parallel(resources, |r| {
        observed
            .get(r.address.kind, &r.address.external_ref)
            .map(|object| (object, spec_changes(table, r, object)))
    });
    // Pass 2, in dependency order: parent ids, then the actions.
    // The portal id each resource keeps after the plan: None when it is created or replaced.
    let mut kept_ids: Vec<Option<&str>> = Vec::with_capacity(resources.len());
    let mut actions = Vec::new();
    let mut pending = Vec::new();
    let mut unchanged = 0;
    let mut drift = Vec::new();
    let mut accepted = Vec::new();
    let mut matched = [0usize; Kind::ALL.len()];
    for (r, compared) in resources.iter().zip(compared) {
        let parent_id = r.parent.as_ref().map(|link| {
            model
                .position(&link.address)
                .and_then(|i| kept_ids.get(i).copied().flatten())
        });
        // Resources outside the scope still pass here: their ids (or their creation) decide
        // what their in-scope children hold, but they make no action of their own.
        let in_scope = options.scope.declares(&r.declared_by);
        let Some((object, changes)) = compared else {
            if in_scope {
                actions.push(create(r, parent_id));
            }
            kept_ids.push(None);
            continue;
        };
        matched[r.address.kind as usize] += 1;
        let phase = object.phase().and_then(Phase::parse);
        if let Some(phase) = phase.filter(|_| in_scope) {
            pending.push(Pending {
                address: r.address.clone(),
                id: object.id.clone(),
                tenant: r.tenant.clone(),
                phase,
                failure: object.failure(),
            });
        }
        // Drift is sorted out before the parent id, which is never a person's change.
        let sorted = drift::sort(r, object, changes, &options.applied, options.now);
        let mut changes = sorted.write;
        if in_scope {
            drift.extend(sorted.drift);
            accepted.extend(sorted.accepted);
        }
        if let Some(c) = parent_change(r, object, parent_id) {
            changes.push(c);
            changes.sort_by(|a, b| a.field.cmp(&b.field));
        }
        if changes.is_empty() {
            unchanged += usize::from(in_scope);
            kept_ids.push(Some(&object.id));
            continue;
        }
        let replace = changes.iter().any(|c| c.forces_replacement);
        kept_ids.push(if replace { None } else { Some(&object.id) });
        let kind = if replace {
            ActionKind::Replace
        } else {
            ActionKind::Update
        };
        if in_scope {
            let mut a = action(kind, r, Some(&object.id), changes, phase);
            a.destroys = destroys(table, &a, object);
            a.keep = sorted.keep;
            actions.push(a);
        }
    }
    let (deletes, orphans) = undeclared(model, observed, options, &matched);
    // A replaced object's generated values are made anew: they are known after apply.
    let replaced: HashSet<&Address> = actions
        .iter()
        .filter(|a| a.kind == ActionKind::Replace)
        .map(|a| &a.address)
        .collect();
    let outputs = super::outputs(model, observed, |r| {
        options.scope.declares(&r.declared_by) && !replaced.contains(&r.address)
    });
    actions.extend(deletes);
    let hash = plan_hash(&actions);
    Plan {
        actions,
        orphans,
        pending,
        unchanged,
        hash,
        outputs,
        scope: options.scope.clone(),
        observed: observed.len(),
        routing: Default::default(),
        drift,
        accepted,
    }
}

fn action(
    kind: ActionKind,
    r: &Resource,
    id: Option<&str>,
    changes: Vec<FieldChange>,
    phase: Option<Phase>,
) -> Action {
    Action {
        kind,
        address: r.address.clone(),
        id: id.map(str::to_owned),
        declared_by: Some(r.declared_by.clone()),
        tenant: Some(r.tenant.clone()),
        deletion_policy: r.deletion_policy,
        management_policy: Some(r.management_policy),
        changes,
        phase,
        destroys: None,
        allow_replace: r.allow_replace,
        keep: Vec::new(),
    }
}

/// What replacing `object` destroys, per the contract; nothing when its creation failed.
fn destroys(table: &Semantics, a: &Action, object: &PortalObject) -> Option<String> {
    if a.kind != ActionKind::Replace || object.failure().is_some_and(|f| f.creation_failed()) {
        return None;
    }
    table.destroys_data(a.address.kind).map(str::to_owned)
}

/// A create: every declared field, the parent id and every secret.
fn create(r: &Resource, parent_id: Option<Option<&str>>) -> Action {
    let mut changes: Vec<FieldChange> = r
        .spec
        .iter()
        .filter(|(field, _)| !is_fingerprint(r, field))
        .map(|(field, value)| change(field, FieldValue::Absent, FieldValue::Value(value.clone())))
        .collect();
    if let (Some(link), Some(id)) = (&r.parent, parent_id) {
        let after = id.map_or(FieldValue::KnownAfterApply, |id| {
            FieldValue::Value(Value::from(id))
        });
        changes.push(change(link.field, FieldValue::Absent, after));
    }
    for secret in &r.secrets {
        let mut c = change(secret.field, FieldValue::Absent, FieldValue::Sensitive);
        let print_field = fingerprint_field(secret.field);
        c.digest = Some(format!(
            "-> {}",
            r.spec
                .get(&print_field)
                .and_then(Value::as_str)
                .unwrap_or("generated")
        ));
        changes.push(c);
    }
    changes.sort_by(|a, b| a.field.cmp(&b.field));
    action(ActionKind::Create, r, None, changes, None)
}

fn change(field: &str, before: FieldValue, after: FieldValue) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        before,
        after,
        forces_replacement: false,
        digest: None,
    }
}

fn is_fingerprint(r: &Resource, field: &str) -> bool {
    field.ends_with("Fingerprint")
        && r.secrets
            .iter()
            .any(|s| field.strip_suffix("Fingerprint") == Some(s.field))
}

/// The declared fields (and the recorded deletion policy) whose observed value differs,
/// sorted by field.
fn spec_changes(table: &Semantics, r: &Resource, object: &PortalObject) -> Vec<FieldChange> {
    let kind = r.address.kind;
    let mut changes = Vec::new();
    let mut observed_fields = object.spec.iter().peekable();
    for (field, desired) in &r.spec {
        let mut seen = if *SORTED_MAPS {
            // Both maps iterate in key order: walk them together instead of searching.
            while observed_fields.next_if(|(k, _)| *k < field).is_some() {}
            observed_fields
                .next_if(|(k, _)| *k == field)
                .map(|(_, v)| v)
        } else {
            object.spec.get(field)
        };
        if seen.is_none() && table.is_generated(kind, field) {
            seen = object.status.get(field);
        }
        if is_fingerprint(r, field) {
            if seen != Some(desired) {
                let secret = field.trim_end_matches("Fingerprint");
                let before = match seen {
                    Some(_) => FieldValue::Sensitive,
                    None => FieldValue::Absent,
                };
                let mut c = change(secret, before, FieldValue::Sensitive);
                c.forces_replacement = table.is_immutable(kind, secret);
                c.digest = Some(format!(
                    "{} -> {}",
                    seen.and_then(Value::as_str).unwrap_or("-"),
                    desired.as_str().unwrap_or("-")
                ));
                changes.push(c);
            }
            continue;
        }
        if !equivalent_in(table, kind, field, desired, seen) {
            let before = seen.map_or(FieldValue::Absent, |v| FieldValue::Value(v.clone()));
            let mut c = change(field, before, FieldValue::Value(desired.clone()));
            c.forces_replacement = table.is_immutable(kind, field);
            changes.push(c);
        }
    }
    if object.deletion_policy != r.deletion_policy {
        // Recorded in the envelope, not the spec; an update sends it with the spec.
        changes.push(change(
            DELETION_POLICY,
            FieldValue::Value(policy_value(object.deletion_policy)),
            FieldValue::Value(policy_value(r.deletion_policy)),
        ));
    }
    changes.sort_by(|a, b| a.field.cmp(&b.field));
    changes
}

/// A change of the parent id: the parent was (re)created, or the object points elsewhere.
fn parent_change(
    r: &Resource,
    object: &PortalObject,
    parent_id: Option<Option<&str>>,
) -> Option<FieldChange> {
    let (link, parent_id) = (r.parent.as_ref()?, parent_id?);
    let seen = object.spec.get(link.field).and_then(Value::as_str);
    if parent_id.is_some() && seen == parent_id {
        return None;
    }
    let before = seen.map_or(FieldValue::Absent, |v| FieldValue::Value(v.into()));
    let after = parent_id.map_or(FieldValue::KnownAfterApply, |id| {
        FieldValue::Value(id.into())
    });
    let mut c = change(link.field, before, after);
    c.forces_replacement = true;
    Some(c)
}

/// The envelope field that records the deletion policy, diffed like a spec field.
pub const DELETION_POLICY: &str = "deletionPolicy";

fn policy_value(policy: DeletionPolicy) -> Value {
    Value::from(match policy {
        DeletionPolicy::Orphan => "Orphan",
        DeletionPolicy::Delete => "Delete",
    })
}

/// Deletes (reverse dependency order) and orphan notes for observed objects not declared.
fn undeclared(
    model: &Model,
    observed: &Observed,
    options: &PlanOptions,
    matched: &[usize; Kind::ALL.len()],
) -> (Vec<Action>, Vec<Orphan>) {
    let mut orphans: Vec<Orphan> = observed
        .duplicates()
        .iter()
        .filter(|(_, o)| options.scope.contains(&o.external_ref))
        .map(|(kind, o)| orphan(*kind, o, OrphanReason::Duplicate))
        .collect();
    let mut deletes: Vec<(Kind, &PortalObject)> = Vec::new();
    let mut declared: Option<HashSet<(Kind, &str)>> = None;
    // An adopted-only kind (10DLC campaigns) is the registry's: never deleted nor reported.
    for kind in Kind::ALL.into_iter().filter(|k| !k.is_adopted_only()) {
        let total = observed.count(kind);
        if total == matched[kind as usize] {
            continue; // every observed object of the kind is declared: the converged fast path
        }
        let declared = declared.get_or_insert_with(|| {
            model
                .resources()
                .iter()
                .map(|r| (r.address.kind, r.address.external_ref.as_str()))
                .collect()
        });
        for o in observed.of_kind(kind) {
            if declared.contains(&(kind, o.external_ref.as_str()))
                || !options.scope.contains(&o.external_ref)
            {
                continue;
            }
            match (o.deletion_policy, options.prune) {
                (DeletionPolicy::Delete, true) => deletes.push((kind, o)),
                (DeletionPolicy::Delete, false) => {
                    orphans.push(orphan(kind, o, OrphanReason::PruneNotRequested));
                }
                (DeletionPolicy::Orphan, _) => {
                    orphans.push(orphan(kind, o, OrphanReason::PolicyOrphan));
                }
            }
        }
    }
    orphans.sort_by(|a, b| (&a.address, &a.id).cmp(&(&b.address, &b.id)));
    (deletes_in_order(deletes), orphans)
}

/// Delete actions for `objects`, children before parents (a higher rank is deleted first).
pub(super) fn deletes_in_order(mut objects: Vec<(Kind, &PortalObject)>) -> Vec<Action> {
    objects.sort_by(|(ka, a), (kb, b)| {
        (std::cmp::Reverse(ka.rank()), ka, &a.external_ref, &a.id).cmp(&(
            std::cmp::Reverse(kb.rank()),
            kb,
            &b.external_ref,
            &b.id,
        ))
    });
    objects
        .into_iter()
        .map(|(kind, o)| Action {
            kind: ActionKind::Delete,
            address: Address::new(kind, o.external_ref.clone()),
            id: Some(o.id.clone()),
            declared_by: None,
            tenant: None,
            deletion_policy: o.deletion_policy,
            management_policy: None,
            changes: Vec::new(),
            phase: o.phase().and_then(Phase::parse),
            destroys: None,
            allow_replace: false,
            keep: Vec::new(),
        })
        .collect()
}

fn orphan(kind: Kind, o: &PortalObject, reason: OrphanReason) -> Orphan {
    Orphan {
        address: Address::new(kind, o.external_ref.clone()),
        id: o.id.clone(),
        deletion_policy: o.deletion_policy,
        reason,
    }
}

//! The last step of the pipeline: status. Built from what the reconcile learned, patched with
//! server-side apply under a fixed field manager, and only when it changed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

use super::Declaring;
use super::context::Context;
use super::error::Error;
use super::messages;
use crate::api::{
    DriftStatus, ObjectStatus, ObservedValues, PlanStatus, clip, condition, set_condition,
};
use crate::model::{Address, Observed};
use crate::plan::{Applied, FieldValue, OutputName, Plan, render, values_of};

/// A status under construction, starting from the published one so that a condition keeps
/// its `lastTransitionTime` unless its status flips.
pub(crate) struct StatusBuilder {
    status: ObjectStatus,
    generation: Option<i64>,
    now: Time,
}

impl StatusBuilder {
    /// Starts from `object`'s published status.
    pub fn new<K: Declaring>(object: &K) -> Self {
        let mut status = object.object_status().cloned().unwrap_or_default();
        let generation = object.meta().generation;
        status.observed_generation = generation;
        status.service = object.service().map(|s| s.field().to_owned());
        Self {
            status,
            generation,
            now: now(),
        }
    }

    fn set(&mut self, type_: &str, value: bool, reason: &str, message: &str) -> &mut Self {
        set_condition(
            &mut self.status.conditions,
            type_,
            value,
            reason,
            message,
            self.generation,
            self.now.clone(),
        );
        self
    }

    /// `Ready`: the portal objects match the declaration (or why not).
    pub fn ready(&mut self, value: bool, reason: &str, message: &str) -> &mut Self {
        self.set(condition::READY, value, reason, message)
    }

    /// `Synced=True`: the last reconcile reached the portal without error.
    pub fn synced(&mut self) -> &mut Self {
        self.set(
            condition::SYNCED,
            true,
            "ReconcileSuccess",
            "The last reconcile reached the portal without error.",
        )
    }

    /// `Synced=False` with the error's code as the reason.
    pub fn not_synced(&mut self, code: &str, message: &str) -> &mut Self {
        self.set(condition::SYNCED, false, &camel(code), message)
    }

    /// `Progressing`: an async operation or a dependency wait (`None`: nothing running).
    pub fn progressing(&mut self, state: Option<(&str, &str)>) -> &mut Self {
        match state {
            Some((reason, message)) => self.set(condition::PROGRESSING, true, reason, message),
            None => self.set(
                condition::PROGRESSING,
                false,
                "Idle",
                "No portal operation is running.",
            ),
        }
    }

    /// `PlanPending`: a plan waits for approval (`None`: nothing waits).
    pub fn plan_pending(&mut self, state: Option<(&str, &str)>) -> &mut Self {
        match state {
            Some((reason, message)) => self.set(condition::PLAN_PENDING, true, reason, message),
            None => self.set(
                condition::PLAN_PENDING,
                false,
                "NoPlanPending",
                "No plan waits for approval.",
            ),
        }
    }

    /// `DeleteBlocked`: a delete cannot finish; `message` says the way out.
    pub fn delete_blocked(&mut self, reason: &str, message: &str) -> &mut Self {
        self.set(condition::DELETE_BLOCKED, true, reason, message)
    }

    /// The published plan (none when there is nothing to change).
    pub fn plan(&mut self, plan: Option<PlanStatus>) -> &mut Self {
        self.status.plan = plan.map(Box::new);
        self
    }

    /// The record of what was applied (`status.applied`).
    pub fn applied(&mut self, applied: Applied) -> &mut Self {
        self.status.applied = applied.compact();
        self
    }

    /// `status.drift` and the `Drifted` condition from the plan's drift.
    pub fn drift(&mut self, plan: &Plan) -> &mut Self {
        self.status.drift = plan
            .drift
            .iter()
            .map(|d| DriftStatus {
                object: d.address.to_string(),
                field: d.field.clone(),
                declared: shown_field(&d.declared),
                observed: shown_field(&d.observed),
                policy: d.policy.as_str().to_owned(),
                deviation_expired: d.expired.map(|t| t.to_string()),
            })
            .collect();
        if plan.drift.is_empty() {
            self.set(
                condition::DRIFTED,
                false,
                "InSync",
                "No portal value differs from what was last applied.",
            )
        } else {
            let message = messages::drift(plan);
            self.set(condition::DRIFTED, true, "ChangedInPortal", &message)
        }
    }

    /// The open work orders of the object (summary lines).
    pub fn work_orders(&mut self, lines: Vec<String>) -> &mut Self {
        self.status.work_orders = lines;
        self
    }

    /// The generated-password Secret's name.
    pub fn generated_secret(&mut self, name: Option<String>) -> &mut Self {
        self.status.generated_secret = name;
        self
    }

    /// External ids and portal-generated values of the object's own portal objects.
    pub fn observed(&mut self, own: &[Address], observed: &Observed) -> &mut Self {
        self.status.external_ids.clear();
        let mut values = ObservedValues::default();
        for address in own {
            let Some(object) = observed.get(address.kind, &address.external_ref) else {
                continue;
            };
            self.status
                .external_ids
                .insert(&address.to_string(), &object.id);
            // The one list of outputs (plan::values_of), as the CLI reports them.
            for (name, value) in values_of(address.kind, object) {
                let slot = match name {
                    OutputName::CustomerCode => &mut values.customer_code,
                    OutputName::Upn => &mut values.upn,
                    OutputName::OnmicrosoftDomain => &mut values.onmicrosoft_domain,
                    OutputName::PersonnelId => &mut values.personnel_id,
                    OutputName::InvitationState => &mut values.invitation_state,
                    OutputName::NextStep => &mut values.next_step,
                    OutputName::ConsentUrl => &mut values.consent_url,
                    OutputName::UnverifiedAdmins => &mut values.unverified_admins,
                };
                *slot = Some(value);
            }
        }
        self.status.observed = values;
        self
    }

    /// The finished status.
    pub fn build(self) -> ObjectStatus {
        self.status
    }
}

/// The plan as published in status: hash, counts, one line per change (up to
/// `change_limit`), and the rendered text cut to `diff_limit` bytes.
pub(crate) fn plan_status(plan: &Plan, change_limit: usize, diff_limit: usize) -> PlanStatus {
    let s = plan.summary();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut changes: Vec<String> = plan
        .actions
        .iter()
        .map(|a| {
            let fields: Vec<&str> = a.changes.iter().map(|c| c.field.as_str()).collect();
            format!("{} {} {}", a.kind.symbol(), a.address, fields.join(", "))
                .trim_end()
                .to_owned()
        })
        .collect();
    let mut truncated = changes.len() > change_limit;
    changes.truncate(change_limit);
    let mut diff = render::text(plan, false);
    if diff.len() > diff_limit {
        let mut cut = diff_limit;
        while !diff.is_char_boundary(cut) {
            cut -= 1;
        }
        diff.truncate(cut);
        diff.push_str("\n… (cut; run `tenantry plan` for the whole plan)\n");
        truncated = true;
    }
    PlanStatus {
        hash: plan.hash.clone(),
        summary: format!("+{} ~{} -{} ±{}", s.add, s.change, s.destroy, s.replace),
        create: count(s.add),
        update: count(s.change),
        delete: count(s.destroy),
        replace: count(s.replace),
        changes,
        diff,
        truncated,
    }
}

/// Patches `status` onto `object` unless it equals the published one. Returns true when a
/// patch was sent.
pub(crate) async fn publish<K: Declaring>(
    ctx: &Context,
    object: &K,
    status: ObjectStatus,
) -> Result<bool, Error> {
    if object.object_status() == Some(&status) {
        return Ok(false);
    }
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.name_any();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let patch = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(
        &name,
        &PatchParams::apply(super::FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(|e| {
        Error::kube(
            format!("patching status of {} {namespace}/{name}", K::KIND),
            e,
        )
    })?;
    crate::crash::point(
        "status.patched",
        &format_args!("{}/{namespace}/{name}", K::KIND),
    );
    ctx.metrics.status_patched(K::KIND);
    Ok(true)
}

/// The current time at whole seconds, as the API server stores it (so a re-read status
/// compares equal and a resync writes nothing).
pub(crate) fn now() -> Time {
    let ts = jiff::Timestamp::now();
    Time(jiff::Timestamp::from_second(ts.as_second()).unwrap_or(ts))
}

/// A condition reason from an error code: CamelCase letters and digits only.
pub(crate) fn camel(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut upper = true;
    for c in code.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() {
        "Error".to_owned()
    } else {
        out
    }
}

/// A drifted value for status: one line, clipped, secrets as `(sensitive)`.
fn shown_field(value: &FieldValue) -> String {
    clip(&render::inline(value)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{camel, plan_status};
    use crate::api::DeletionPolicy;
    use crate::model::{Address, Kind};
    use crate::plan::{Action, ActionKind, Plan};

    fn plan_of(n: usize) -> Plan {
        let actions: Vec<Action> = (0..n)
            .map(|i| Action {
                kind: ActionKind::Create,
                address: Address::new(Kind::License, format!("customers/meet/user{i}@kenton.com")),
                id: None,
                declared_by: None,
                tenant: Some("customers/kenton".to_owned()),
                deletion_policy: DeletionPolicy::Orphan,
                management_policy: None,
                changes: Vec::new(),
                phase: None,
                destroys: None,
                allow_replace: false,
                keep: Vec::new(),
            })
            .collect();
        Plan {
            hash: crate::plan::plan_hash(&actions),
            actions,
            orphans: Vec::new(),
            pending: Vec::new(),
            unchanged: 0,
            outputs: Vec::new(),
            scope: crate::plan::Scope::Everything,
            observed: 0,
            routing: Default::default(),
            drift: Vec::new(),
            accepted: Vec::new(),
        }
    }

    #[test]
    fn published_plans_are_cut_to_their_limits() {
        for (n, change_limit, diff_limit, truncated) in [
            (1, 50, 8192, false),
            (3, 2, 8192, true),
            (40, 50, 200, true),
        ] {
            let plan = plan_of(n);
            let status = plan_status(&plan, change_limit, diff_limit);
            assert_eq!(status.hash, plan.hash);
            assert_eq!(status.create, u32::try_from(n).unwrap_or(0));
            assert_eq!(status.summary, format!("+{n} ~0 -0 ±0"));
            assert_eq!(status.changes.len(), n.min(change_limit));
            assert!(status.changes[0].starts_with("+ apps/licenses/customers/meet/user0"));
            assert_eq!(status.truncated, truncated, "n={n}");
            assert!(status.diff.len() <= diff_limit + 64);
        }
    }

    #[test]
    fn reasons_are_camel_case() {
        for (code, want) in [
            ("DomainUnavailable", "DomainUnavailable"),
            ("server-error", "ServerError"),
            ("", "Error"),
            ("invalid_spec", "InvalidSpec"),
        ] {
            assert_eq!(camel(code), want);
        }
    }
}

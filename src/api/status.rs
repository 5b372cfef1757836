//! Status shared by every kind: conditions, portal-generated values and the current plan.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::compact::{SmallMap, Text};

/// A Kubernetes condition: `metav1.Condition` on the wire and in the schema, its strings
/// shared between objects (the stores hold tens of thousands with the same few texts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Ready, Synced, Progressing, …
    #[serde(rename = "type")]
    pub type_: Text,
    /// `True`, `False` or `Unknown`.
    pub status: Text,
    /// CamelCase reason.
    #[serde(default)]
    pub reason: Text,
    /// What a person reads.
    #[serde(default)]
    pub message: Text,
    /// When `status` last changed.
    pub last_transition_time: Time,
    /// The `metadata.generation` the condition describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

impl JsonSchema for Condition {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition::schema_name()
    }

    fn inline_schema() -> bool {
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition::inline_schema()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition::json_schema(generator)
    }
}

/// Condition types (DESIGN.md §2).
pub mod condition {
    /// External state matches the spec.
    pub const READY: &str = "Ready";
    /// The last reconcile reached the portal without error.
    pub const SYNCED: &str = "Synced";
    /// An async portal operation is running.
    pub const PROGRESSING: &str = "Progressing";
    /// A plan waits for approval (managementPolicy `Plan`).
    pub const PLAN_PENDING: &str = "PlanPending";
    /// A delete keeps failing; the message says the way out.
    pub const DELETE_BLOCKED: &str = "DeleteBlocked";
    /// A portal holds a value a person changed by hand (drift); the message names the fields.
    pub const DRIFTED: &str = "Drifted";
}

/// Observed state of a Tenant, TenantAdmin or ServiceBinding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Kubernetes-style conditions: Ready, Synced, Progressing, PlanPending, DeleteBlocked.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::compact::shrunk"
    )]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Portal object ids, keyed by resource address (e.g. `daas/customers`).
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub external_ids: SmallMap,
    /// The service this binding declares (for `kubectl get`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Values the portals generated.
    #[serde(default, skip_serializing_if = "ObservedValues::is_empty")]
    pub observed: ObservedValues,
    /// The plan computed by the last reconcile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Box<PlanStatus>>,
    /// Name of the Secret holding a generated password (never the password itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_secret: Option<String>,
    /// What tenantry last applied: per portal object, `field=digest` pairs of the declared
    /// values (never the values); tells a change made by hand in a portal (drift) from a
    /// declared change.
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub applied: SmallMap,
    /// Fields a person changed in a portal, and what the drift policy does about them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftStatus>,
    /// Open work orders of a manual connection for this object, one line each
    /// (`WO-… create daas/customers customers/kenton (Portal › Screen)`); confirm one with the
    /// annotation `tenantry.dev/confirm-<id>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub work_orders: Vec<String>,
}

/// One drifted field as status shows it (secrets as `(sensitive)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftStatus {
    /// The portal object (`kind/externalRef`).
    pub object: String,
    /// The field.
    pub field: String,
    /// The declared value.
    pub declared: String,
    /// The value the portal holds.
    pub observed: String,
    /// Remediate (written back), Alert or Report (left in place).
    pub policy: String,
    /// When an accepted deviation of this value expired, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation_expired: Option<String>,
}

/// Values generated by a portal and reported back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservedValues {
    /// DaaS customer code (generated when the spec has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_code: Option<String>,
    /// The Microsoft onmicrosoft.com domain chosen for Azure AD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onmicrosoft_domain: Option<String>,
    /// The contact-center admin's personnel id (`prp` + user name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personnel_id: Option<String>,
    /// TeamMate invitation state (Sent, ConsentPartial, Accepted, Disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_state: Option<String>,
    /// The URL the customer's Global Admin opens for the pending consent step (ConnectToTeams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_url: Option<String>,
    /// The admin's user principal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// The CloudLink onboarding step after the customer step (Gateway or Sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    /// CloudLink admin contacts that have not completed Mitel's verification e-mail yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_admins: Option<String>,
}

impl ObservedValues {
    /// True when nothing has been observed yet.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The plan of the last reconcile, as published in status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanStatus {
    /// Hash identifying the plan; approve it with the `tenantry.dev/approve` annotation.
    pub hash: String,
    /// Short summary, e.g. `+1 ~2 -0`.
    pub summary: String,
    /// Resources to create.
    #[schemars(extend("format" = "int32"))]
    pub create: u32,
    /// Resources to update in place.
    #[schemars(extend("format" = "int32"))]
    pub update: u32,
    /// Resources to delete.
    #[schemars(extend("format" = "int32"))]
    pub delete: u32,
    /// Resources to replace (delete, then create).
    #[schemars(extend("format" = "int32"))]
    pub replace: u32,
    /// One line per change, e.g. `~ daas/customers billingId`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// The rendered plan, cut to a size limit.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub diff: String,
    /// True when `diff` or `changes` were cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// Sets a condition, keeping `lastTransitionTime` unless the status really flips.
///
/// Returns true when anything changed, so callers can skip a status write otherwise.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: Time,
) -> bool {
    let status = Text::new(if status { "True" } else { "False" });
    if let Some(existing) = conditions.iter_mut().find(|c| c.type_ == type_) {
        let flipped = existing.status != status;
        let changed = flipped
            || existing.reason != reason
            || existing.message != message
            || existing.observed_generation != generation;
        if flipped {
            existing.last_transition_time = now;
        }
        existing.status = status;
        existing.reason = Text::new(reason);
        existing.message = Text::new(message);
        existing.observed_generation = generation;
        return changed;
    }
    conditions.push(Condition {
        type_: Text::new(type_),
        status,
        reason: Text::new(reason),
        message: Text::new(message),
        observed_generation: generation,
        last_transition_time: now,
    });
    true
}

/// The condition of a type, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Time {
        Time(jiff::Timestamp::from_second(secs).expect("valid timestamp"))
    }

    #[test]
    fn transition_time_moves_only_on_a_flip() {
        let mut conds = Vec::new();
        assert!(set_condition(
            &mut conds,
            "Ready",
            false,
            "Provisioning",
            "wait",
            Some(1),
            at(10)
        ));
        assert!(!set_condition(
            &mut conds,
            "Ready",
            false,
            "Provisioning",
            "wait",
            Some(1),
            at(20)
        ));
        assert_eq!(conds[0].last_transition_time, at(10));
        assert!(set_condition(
            &mut conds,
            "Ready",
            false,
            "Scheduled",
            "later",
            Some(1),
            at(30)
        ));
        assert_eq!(conds[0].last_transition_time, at(10));
        assert!(set_condition(
            &mut conds,
            "Ready",
            true,
            "Available",
            "ok",
            Some(1),
            at(40)
        ));
        assert_eq!(conds[0].last_transition_time, at(40));
        assert_eq!(conds.len(), 1);
        assert_eq!(
            find_condition(&conds, "Ready").map(|c| c.status.as_str()),
            Some("True")
        );
    }
}

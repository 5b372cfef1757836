//! The machine rendering: a stable, versioned JSON document (docs/plan-json.md).

use serde::Serialize;
use serde_json::Value;

use crate::api::ObjectId;
use crate::model::Address;
use crate::plan::{
    Accepted, Action, Drift, FieldChange, FieldValue, Orphan, Output, Pending, Plan, Scope,
};

/// Version of the JSON schema; bumped only for incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    format_version: u32,
    hash: &'a str,
    has_changes: bool,
    summary: Summary,
    scope: ScopeOut<'a>,
    actions: Vec<ActionOut<'a>>,
    orphans: Vec<OrphanOut<'a>>,
    pending: Vec<PendingOut<'a>>,
    outputs: Vec<OutputOut<'a>>,
    drift: Vec<DriftOut<'a>>,
    accepted_deviations: Vec<AcceptedOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriftOut<'a> {
    #[serde(flatten)]
    target: Target<'a>,
    id: &'a str,
    tenant: &'a str,
    field: &'a str,
    declared: Option<&'a Value>,
    observed: Option<&'a Value>,
    sensitive: bool,
    policy: &'static str,
    remediated: bool,
    deviation_expired: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcceptedOut<'a> {
    #[serde(flatten)]
    target: Target<'a>,
    tenant: &'a str,
    field: &'a str,
    declared: Option<&'a Value>,
    observed: Option<&'a Value>,
    sensitive: bool,
    reason: &'a str,
    expires: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScopeOut<'a> {
    covers: &'static str,
    namespaces: Option<Vec<&'a str>>,
    objects: Option<Vec<&'a ObjectId>>,
    observed: usize,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutputOut<'a> {
    declared_by: &'a ObjectId,
    tenant: &'a str,
    #[serde(flatten)]
    target: Target<'a>,
    id: &'a str,
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    add: usize,
    change: usize,
    destroy: usize,
    replace: usize,
    unchanged: usize,
    destroys_data: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target<'a> {
    address: &'a Address,
    portal: &'static str,
    kind: &'static str,
    external_ref: &'a str,
}

impl<'a> Target<'a> {
    fn of(address: &'a Address) -> Self {
        Self {
            address,
            portal: address.kind.portal().id(),
            kind: address.kind.name(),
            external_ref: &address.external_ref,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionOut<'a> {
    action: &'static str,
    #[serde(flatten)]
    target: Target<'a>,
    id: Option<&'a str>,
    declared_by: Option<&'a ObjectId>,
    tenant: Option<&'a str>,
    deletion_policy: crate::api::DeletionPolicy,
    management_policy: Option<crate::api::ManagementPolicy>,
    phase: Option<&'static str>,
    changes: Vec<ChangeOut<'a>>,
    destroys_data: Option<&'a str>,
    allow_replace: bool,
    connection: Option<ViaOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViaOut<'a> {
    name: &'a str,
    api: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeOut<'a> {
    field: &'a str,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
    before_sensitive: bool,
    after_sensitive: bool,
    after_unknown: bool,
    forces_replacement: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrphanOut<'a> {
    #[serde(flatten)]
    target: Target<'a>,
    id: &'a str,
    deletion_policy: crate::api::DeletionPolicy,
    reason: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingOut<'a> {
    #[serde(flatten)]
    target: Target<'a>,
    id: &'a str,
    tenant: &'a str,
    phase: &'static str,
    reason: Option<&'a str>,
    message: Option<&'a str>,
}

fn known(v: &FieldValue) -> Option<&Value> {
    match v {
        FieldValue::Value(v) => Some(v),
        _ => None,
    }
}

fn drift(d: &Drift) -> DriftOut<'_> {
    DriftOut {
        target: Target::of(&d.address),
        id: &d.id,
        tenant: &d.tenant,
        field: &d.field,
        declared: known(&d.declared),
        observed: known(&d.observed),
        sensitive: d.declared == FieldValue::Sensitive,
        policy: d.policy.as_str(),
        remediated: d.policy.remediates(),
        deviation_expired: d.expired.map(|t| t.to_string()),
    }
}

fn accepted(a: &Accepted) -> AcceptedOut<'_> {
    AcceptedOut {
        target: Target::of(&a.address),
        tenant: &a.tenant,
        field: &a.field,
        declared: known(&a.declared),
        observed: known(&a.observed),
        sensitive: a.declared == FieldValue::Sensitive,
        reason: &a.reason,
        expires: a.expires.to_string(),
    }
}

fn change(c: &FieldChange) -> ChangeOut<'_> {
    ChangeOut {
        field: &c.field,
        before: known(&c.before),
        after: known(&c.after),
        before_sensitive: c.before == FieldValue::Sensitive,
        after_sensitive: c.after == FieldValue::Sensitive,
        after_unknown: c.after == FieldValue::KnownAfterApply,
        forces_replacement: c.forces_replacement,
    }
}

fn action<'a>(plan: &'a Plan, a: &'a Action) -> ActionOut<'a> {
    ActionOut {
        connection: plan.via(a).map(|v| ViaOut {
            name: &v.connection,
            api: &v.api,
        }),
        action: a.kind.as_str(),
        target: Target::of(&a.address),
        id: a.id.as_deref(),
        declared_by: a.declared_by.as_ref(),
        tenant: a.tenant.as_deref(),
        deletion_policy: a.deletion_policy,
        management_policy: a.management_policy,
        phase: a.phase.map(|p| p.as_str()),
        changes: a.changes.iter().map(change).collect(),
        destroys_data: a.destroys.as_deref(),
        allow_replace: a.allow_replace,
    }
}

fn orphan(o: &Orphan) -> OrphanOut<'_> {
    OrphanOut {
        target: Target::of(&o.address),
        id: &o.id,
        deletion_policy: o.deletion_policy,
        reason: o.reason.as_str(),
        message: o.reason.explain(),
    }
}

fn scope(plan: &Plan) -> ScopeOut<'_> {
    let (covers, namespaces, objects) = match &plan.scope {
        Scope::Everything => ("connection", None, None),
        Scope::Namespaces(set) => (
            "namespaces",
            Some(set.iter().map(String::as_str).collect()),
            None,
        ),
        Scope::Objects(ids) => ("objects", None, Some(ids.iter().collect())),
    };
    ScopeOut {
        covers,
        namespaces,
        objects,
        observed: plan.observed,
        message: plan.scope.describe(),
    }
}

fn output(o: &Output) -> OutputOut<'_> {
    OutputOut {
        declared_by: &o.declared_by,
        tenant: &o.tenant,
        target: Target::of(&o.address),
        id: &o.id,
        name: o.name.as_str(),
        value: &o.value,
    }
}

fn pending(p: &Pending) -> PendingOut<'_> {
    PendingOut {
        target: Target::of(&p.address),
        id: &p.id,
        tenant: &p.tenant,
        phase: p.phase.as_str(),
        reason: p.failure.as_ref().map(|f| f.reason.as_str()),
        message: p.failure.as_ref().map(|f| f.message.as_str()),
    }
}

/// Renders `plan` as pretty-printed JSON (schema version [`FORMAT_VERSION`]), ending in a newline.
pub fn render(plan: &Plan) -> String {
    let s = plan.summary();
    let doc = Document {
        format_version: FORMAT_VERSION,
        hash: &plan.hash,
        has_changes: plan.has_changes(),
        summary: Summary {
            add: s.add,
            change: s.change,
            destroy: s.destroy,
            replace: s.replace,
            unchanged: plan.unchanged,
            destroys_data: s.destructive,
        },
        scope: scope(plan),
        actions: plan.actions.iter().map(|a| action(plan, a)).collect(),
        orphans: plan.orphans.iter().map(orphan).collect(),
        pending: plan.pending.iter().map(pending).collect(),
        outputs: plan.outputs.iter().map(output).collect(),
        drift: plan.drift.iter().map(drift).collect(),
        accepted_deviations: plan.accepted.iter().map(accepted).collect(),
    };
    // Serializing borrowed strings, numbers and JSON values cannot fail; fall back to an
    // error object rather than panic all the same.
    let mut out = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    out.push('\n');
    out
}

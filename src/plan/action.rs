//! The plan's vocabulary: actions, field changes, orphan notes and async phases.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use jiff::Timestamp;

use super::drift::{Accepted, Applied, Drift};
use super::outputs::Output;
use crate::api::ObjectId;
use crate::api::{DeletionPolicy, ManagementPolicy};
use crate::model::{Address, Kind, Model, OperationFailure, namespace_of};

/// A computed plan: what to write to the portals, in order, and what to report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Creates, updates and replaces in dependency order, then deletes in reverse order.
    pub actions: Vec<Action>,
    /// Undeclared portal objects that are left in place, and why.
    pub orphans: Vec<Orphan>,
    /// Observed objects with an async operation under way or failed.
    pub pending: Vec<Pending>,
    /// Declared resources that already match.
    pub unchanged: usize,
    /// sha256 (hex) of the canonical form of the actions: approve a plan by it.
    pub hash: String,
    /// Values the portals generated for declared objects that exist and are not replaced
    /// (not hashed: they are reported, never written).
    pub outputs: Vec<Output>,
    /// Which portal objects the plan covered.
    pub scope: Scope,
    /// How many portal objects it observed (duplicates not counted).
    pub observed: usize,
    /// The connection each kind's changes go to, when the caller routed the plan.
    pub routing: Routing,
    /// Fields a person changed in a portal (drift), remediated or only reported per policy.
    pub drift: Vec<Drift>,
    /// Differences accepted deviations cover (not drift until they expire).
    pub accepted: Vec<Accepted>,
}

/// Where the changes of a kind are sent: a PortalConnection and the API it speaks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Via {
    /// The PortalConnection's name.
    pub connection: String,
    /// Its `spec.api` (`contract`, `partnerCenter`, ...).
    pub api: String,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.connection, self.api)
    }
}

/// The connection serving each kind of a run; empty when the plan was not routed.
pub type Routing = BTreeMap<Kind, Via>;

impl Plan {
    /// The plan with the connection each kind goes to. A report, like the scope: the hash
    /// still covers the actions only, so the CLI and the controller (which names its
    /// connections its own way) hash the same change alike.
    pub fn routed(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self
    }

    /// The connection `action`'s change goes to, when the plan was routed.
    pub fn via(&self, action: &Action) -> Option<&Via> {
        self.routing.get(&action.address.kind)
    }

    /// True when the run's changes go to more than one connection.
    pub fn several_connections(&self) -> bool {
        let mut names = self.routing.values().map(|v| &v.connection);
        names.next().is_some_and(|first| names.any(|n| n != first))
    }

    /// Counts per action kind.
    pub fn summary(&self) -> Summary {
        Summary::count(&self.actions)
    }

    /// True when applying the plan would write to a portal.
    pub fn has_changes(&self) -> bool {
        !self.actions.is_empty()
    }

    /// Objects whose last portal operation failed and that the plan does not change: the
    /// portal will not retry them, so they stay failed until their declaration changes.
    pub fn failed_unchanged(&self) -> impl Iterator<Item = &Pending> {
        self.pending
            .iter()
            .filter(|p| p.phase == Phase::Failed && self.action(&p.address).is_none())
    }

    /// The action for `address`, if it is not unchanged.
    pub fn action(&self, address: &Address) -> Option<&Action> {
        self.actions.iter().find(|a| &a.address == address)
    }
}

/// How many resources each kind of action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Creates.
    pub add: usize,
    /// In-place updates.
    pub change: usize,
    /// Deletes.
    pub destroy: usize,
    /// Replacements (delete, then create).
    pub replace: usize,
    /// Replacements that destroy data (counted in `replace` as well).
    pub destructive: usize,
}

impl Summary {
    /// Counts `actions` per kind.
    pub fn count<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Self {
        let mut s = Summary::default();
        for a in actions {
            match a.kind {
                ActionKind::Create => s.add += 1,
                ActionKind::Update => s.change += 1,
                ActionKind::Delete => s.destroy += 1,
                ActionKind::Replace => s.replace += 1,
            }
            s.destructive += usize::from(a.destroys.is_some());
        }
        s
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Plan: {} to add, {} to change, {} to destroy, {} to replace",
            self.add, self.change, self.destroy, self.replace
        )?;
        if self.destructive > 0 {
            write!(f, ", {} destroying data", self.destructive)?;
        }
        f.write_str(".")
    }
}

/// What happens to one portal object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    /// Create the object (`+`).
    Create,
    /// Update declared fields in place (`~`).
    Update,
    /// An immutable field changed: delete, then create (`-/+`).
    Replace,
    /// Delete an undeclared object whose policy is Delete, when pruning (`-`).
    Delete,
}

impl ActionKind {
    /// The word used in machine output: `create`, `update`, `replace`, `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
            ActionKind::Delete => "delete",
        }
    }

    /// The Terraform-style symbol: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            ActionKind::Create => "+",
            ActionKind::Update => "~",
            ActionKind::Replace => "-/+",
            ActionKind::Delete => "-",
        }
    }
}

/// One change to one portal object.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Create, update, replace or delete.
    pub kind: ActionKind,
    /// The portal object.
    pub address: Address,
    /// Its portal id, when it exists.
    pub id: Option<String>,
    /// The declaring object (none for a delete: the declaration is gone).
    pub declared_by: Option<ObjectId>,
    /// The Tenant (`namespace/name`) it belongs to; none for a delete.
    pub tenant: Option<String>,
    /// The deletion policy to record (desired) or recorded (delete).
    pub deletion_policy: DeletionPolicy,
    /// Apply, Plan or Observe; none for a delete (the CLI asked to prune).
    pub management_policy: Option<ManagementPolicy>,
    /// Field-level changes, sorted by field (empty for a delete).
    pub changes: Vec<FieldChange>,
    /// The object's async phase, when one is under way or failed.
    pub phase: Option<Phase>,
    /// What the replacement destroys (the contract's `x-destroys-data`); none for other
    /// actions, kinds that lose nothing, and objects whose creation failed (nothing to lose).
    pub destroys: Option<String>,
    /// The declaring object (or its Tenant) allows a destructive replacement
    /// (`spec.allowReplace`).
    pub allow_replace: bool,
    /// Fields an update leaves as the portal holds them: drift the policy does not remediate,
    /// and accepted deviations.
    pub keep: Vec<String>,
}

impl Action {
    /// One line for status and logs: `~ daas/customers customers/kenton: billingId, domains`.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{} {} {}",
            self.kind.symbol(),
            self.address.kind,
            self.address.external_ref
        );
        if !self.changes.is_empty() && self.kind != ActionKind::Create {
            let fields: Vec<&str> = self.changes.iter().map(|c| c.field.as_str()).collect();
            line.push_str(": ");
            line.push_str(&fields.join(", "));
        }
        line
    }

    /// `replacing daas/customers customers/kenton destroys <what>` for a destructive
    /// replacement; none otherwise.
    pub fn destruction(&self) -> Option<String> {
        self.destroys.as_ref().map(|what| {
            format!(
                "replacing {} {} destroys {what}",
                self.address.kind, self.address.external_ref
            )
        })
    }

    /// The group a report lists the action under: its Tenant, or the namespace of a delete.
    pub fn group(&self) -> &str {
        self.tenant
            .as_deref()
            .unwrap_or_else(|| namespace_of(&self.address.external_ref))
    }
}

/// One field's change.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The wire field, e.g. `billingId` (`password` for a secret).
    pub field: String,
    /// The observed value.
    pub before: FieldValue,
    /// The desired value.
    pub after: FieldValue,
    /// The field is immutable: the change replaces the object.
    pub forces_replacement: bool,
    /// Fingerprints of a secret change, hashed into the plan but never rendered.
    pub(crate) digest: Option<String>,
}

/// A value in a field change.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Not set.
    Absent,
    /// A plain JSON value.
    Value(Value),
    /// A secret: shown as `(sensitive)`.
    Sensitive,
    /// Filled in at apply time (e.g. the id of a parent that does not exist yet).
    KnownAfterApply,
}

/// True when `external_ref` is one tenantry records (`namespace/name[/part]`, no empty part):
/// an object made by other means (the portal's own UI) is never tenantry's to report or delete.
fn names_declaring_object(external_ref: &str) -> bool {
    let mut parts = external_ref.split('/');
    let (Some(namespace), Some(name)) = (parts.next(), parts.next()) else {
        return false;
    };
    !namespace.is_empty() && !name.is_empty() && parts.all(|p| !p.is_empty())
}

/// An undeclared portal object that stays, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The portal object.
    pub address: Address,
    /// Its portal id.
    pub id: String,
    /// Its recorded deletion policy.
    pub deletion_policy: DeletionPolicy,
    /// Why it is not deleted.
    pub reason: OrphanReason,
}

/// Why an undeclared object is left in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrphanReason {
    /// Its recorded deletionPolicy is Orphan.
    PolicyOrphan,
    /// Its policy is Delete, but pruning was not requested.
    PruneNotRequested,
    /// Another object has the same externalRef (left by an interrupted create).
    Duplicate,
}

impl OrphanReason {
    /// A stable CamelCase word for machine output.
    pub fn as_str(self) -> &'static str {
        match self {
            OrphanReason::PolicyOrphan => "DeletionPolicyOrphan",
            OrphanReason::PruneNotRequested => "PruneNotRequested",
            OrphanReason::Duplicate => "DuplicateExternalRef",
        }
    }

    /// What it means for a person, and what to do.
    pub fn explain(self) -> &'static str {
        match self {
            OrphanReason::PolicyOrphan => "deletionPolicy is Orphan: left in the portal",
            OrphanReason::PruneNotRequested => {
                "deletionPolicy is Delete: pass --prune to delete it"
            }
            OrphanReason::Duplicate => {
                "another object has the same externalRef: remove the duplicate in the portal"
            }
        }
    }
}

/// An observed object whose async operation is under way or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The portal object.
    pub address: Address,
    /// Its portal id.
    pub id: String,
    /// The Tenant it belongs to.
    pub tenant: String,
    /// Its phase.
    pub phase: Phase,
    /// Why the last operation failed (`status.failure`), when it did.
    pub failure: Option<OperationFailure>,
}

impl Pending {
    /// `daas/azure-ad customers/kenton-aad (azure-ad_3): DomainUnavailable: why`.
    pub fn failure_line(&self) -> String {
        let why = match &self.failure {
            Some(f) => format!("{}: {}", f.reason, f.message),
            None => "the portal's last operation failed".to_owned(),
        };
        format!(
            "{} {} ({}): {why}",
            self.address.kind, self.address.external_ref, self.id
        )
    }

    /// `Failed (DomainUnavailable: why)`, the approval link of a GDAP relationship, or the
    /// phase alone.
    pub fn describe(&self) -> String {
        match &self.failure {
            Some(f) => format!("{} ({}: {})", self.phase.as_str(), f.reason, f.message),
            None if self.phase == Phase::AwaitingCustomerApproval => format!(
                "AwaitingCustomerApproval (the customer's Global Administrator approves at {})",
                gdap_approval_link(&self.id)
            ),
            None => self.phase.as_str().to_owned(),
        }
    }
}

/// Where a customer's Global Administrator approves GDAP relationship `id` (Microsoft 365
/// admin center; vendor-apis.md §1.3).
pub fn gdap_approval_link(id: &str) -> String {
    format!(
        "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"
    )
}

/// The phase of an object with async work (from `status.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Being provisioned.
    Provisioning,
    /// Accepted and scheduled off-peak.
    Scheduled,
    /// Waiting for a person (e.g. the Global Admin's consent).
    AwaitingConsent,
    /// Waiting for a step a person does in the vendor's own portal (e.g. creating a CloudLink
    /// account, onboarding its gateway appliance).
    AwaitingManualStep,
    /// A 10DLC campaign waits for the carriers' review (days; suspended campaigns wait too).
    AwaitingCarrierApproval,
    /// A GDAP relationship waits for the customer's Global Administrator to approve it.
    AwaitingCustomerApproval,
    /// The last operation failed.
    Failed,
}

impl Phase {
    /// The phase named by `status.phase`; `None` for `Ready` and unknown words.
    pub fn parse(phase: &str) -> Option<Phase> {
        match phase {
            "Provisioning" => Some(Phase::Provisioning),
            "Scheduled" => Some(Phase::Scheduled),
            "AwaitingConsent" => Some(Phase::AwaitingConsent),
            "AwaitingManualStep" => Some(Phase::AwaitingManualStep),
            "AwaitingCarrierApproval" => Some(Phase::AwaitingCarrierApproval),
            "AwaitingCustomerApproval" => Some(Phase::AwaitingCustomerApproval),
            "Failed" => Some(Phase::Failed),
            _ => None,
        }
    }

    /// The wire word.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Provisioning => "Provisioning",
            Phase::Scheduled => "Scheduled",
            Phase::AwaitingConsent => "AwaitingConsent",
            Phase::AwaitingManualStep => "AwaitingManualStep",
            Phase::AwaitingCarrierApproval => "AwaitingCarrierApproval",
            Phase::AwaitingCustomerApproval => "AwaitingCustomerApproval",
            Phase::Failed => "Failed",
        }
    }
}

/// Options of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete undeclared objects whose recorded deletionPolicy is Delete.
    pub prune: bool,
    /// Which observed objects belong to this input.
    pub scope: Scope,
    /// What tenantry last applied: tells drift from a declared change.
    pub applied: Applied,
    /// The time accepted deviations are checked against (the plan reads no clock).
    pub now: Timestamp,
}

/// Which observed objects a plan may report as orphans or delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every object on the connection that tenantry created: its recorded `externalRef`
    /// names a declaring object (`namespace/name[/part]`). The CLI's default.
    #[default]
    Everything,
    /// Objects whose `externalRef` is in one of these namespaces.
    Namespaces(BTreeSet<String>),
    /// Only the resources these objects declare, and nothing undeclared: the plan of one
    /// object, as the controller reconciles it. Its hash covers only those actions, so it
    /// equals the hash of a CLI plan whose input declares the same changes.
    Objects(BTreeSet<ObjectId>),
}

impl Scope {
    /// The namespaces of every resource in `model`: a plan over some files then leaves the
    /// portal objects of other namespaces alone.
    pub fn namespaces_of(model: &Model) -> Scope {
        let set = model
            .resources()
            .iter()
            // An adopted campaign's `10dlc/` is no namespace of the input (see `engine::observe`).
            .filter(|r| !r.address.kind.is_adopted_only())
            .map(|r| r.address.namespace().to_owned())
            .collect();
        Scope::Namespaces(set)
    }

    /// The scope of one declaring object.
    pub fn object(id: ObjectId) -> Scope {
        Scope::Objects(BTreeSet::from([id]))
    }

    /// True when an undeclared object recorded under `external_ref` is in scope (to be
    /// reported as an orphan, or deleted when pruning).
    pub fn contains(&self, external_ref: &str) -> bool {
        match self {
            Scope::Everything => names_declaring_object(external_ref),
            Scope::Namespaces(set) => {
                names_declaring_object(external_ref) && set.contains(namespace_of(external_ref))
            }
            Scope::Objects(_) => false,
        }
    }

    /// The scope for a person: `every portal object tenantry created on the connection`.
    pub fn describe(&self) -> String {
        match self {
            Scope::Everything => {
                "every portal object tenantry created on the connection".to_owned()
            }
            Scope::Namespaces(set) if set.is_empty() => {
                "no namespace (the input declares none)".to_owned()
            }
            Scope::Namespaces(set) => {
                let names: Vec<&str> = set.iter().map(String::as_str).collect();
                format!(
                    "the portal objects of namespace(s) {} only; other namespaces were not read",
                    names.join(", ")
                )
            }
            Scope::Objects(ids) => {
                let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
                format!("the portal objects {} declares", names.join(", "))
            }
        }
    }

    /// True when the plan covers the resources `object` declares.
    pub fn declares(&self, object: &ObjectId) -> bool {
        match self {
            Scope::Everything | Scope::Namespaces(_) => true,
            Scope::Objects(set) => set.contains(object),
        }
    }
}

//! The apply loop: steps in dependency order, bounded parallelism, dependants of a failure skipped.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::policy::Decision;
use super::poll::{PollPolicy, follow};
use super::step::{Action, Outcome, Report, Step, StepReport};
use crate::api::ObjectId;
use crate::api::Sensitive;
use crate::model::{Address, Kind, Model, Observed, PortalObject, Resource};
use crate::portal::{
    DeleteOutcome, ListFilter, PortalApi, PortalError, WriteOutcome, WriteRequest,
};

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Steps in flight at once.
    pub parallelism: usize,
    /// Polling of async operations.
    pub poll: PollPolicy,
    /// Identity of each declaring object for idempotency keys (its uid in a cluster);
    /// `Kind/namespace/name` when absent.
    pub uids: HashMap<ObjectId, String>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: 8,
            poll: PollPolicy::default(),
            uids: HashMap::new(),
        }
    }
}

/// Sees steps start and finish (progress bars, log lines, events).
pub trait Progress: Send + Sync {
    /// A step was sent to the portal.
    fn started(&self, _address: &Address, _action: Action) {}
    /// A step ended (skipped steps included).
    fn finished(&self, _report: &StepReport) {}
}

/// A `Progress` that ignores everything.
pub struct Quiet;
impl Progress for Quiet {}

/// What the apply loop needs besides the steps.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// Portal ids of objects that already exist (observed), by address: parents of new objects.
    pub ids: HashMap<Address, String>,
    /// Values of generated secrets, by address and field, created by the caller beforehand.
    pub generated: HashMap<Address, Vec<(&'static str, Sensitive)>>,
    /// Observed adopted-only objects (10DLC campaigns) that are not ready, as the outcome a
    /// write depending on them gets instead of running: no portal checks a dependency held
    /// by another vendor, so the engine does.
    pub held: HashMap<Address, Outcome>,
}

/// Runs what `decision` allows through `portal`: steps in dependency order, generated
/// secrets, writes, deletes and polling. The one way the CLI and the controller write.
pub async fn run<P>(
    portal: &P,
    decision: &Decision,
    model: &Model,
    observed: &Observed,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Report
where
    P: PortalApi + Clone + 'static,
{
    let (steps, mut known) = super::steps(&decision.writable, model, observed);
    super::generate_secrets(&steps, &mut known);
    apply(portal, steps, known, options, progress).await
}

/// Applies `steps` (in plan order) through `portal` and reports every step.
///
/// A step starts once the steps it depends on are done; when one of them failed or still
/// waits for an async operation, the step is skipped and says which one it waits for.
/// Independent steps go on regardless.
pub async fn apply<P>(
    portal: &P,
    steps: Vec<Step>,
    known: Known,
    options: &ApplyOptions,
    progress: &dyn Progress,
) -> Report
where
    P: PortalApi + Clone + 'static,
{
    let n = steps.len();
    let deps = dependencies(&steps);
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (i, ds) in deps.iter().enumerate() {
        pending[i] = ds.len();
        for &d in ds {
            dependants[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut ids = known.ids;
    let known_held = known.held;
    let generated = Arc::new(known.generated);
    let steps: Vec<Arc<Step>> = steps.into_iter().map(Arc::new).collect();
    let mut running = JoinSet::new();
    let parallelism = options.parallelism.max(1);
    let mut finished = 0usize;
    let mut started = 0usize;

    while finished < n {
        while running.len() < parallelism {
            let Some(i) = ready.pop_first() else { break };
            if let Some(skip) =
                blocked(&deps[i], &outcomes, &steps).or_else(|| held_by(&steps[i], &known_held))
            {
                finish(i, skip, &steps, &mut outcomes, &mut ids, progress);
                finished += 1;
                release(i, &dependants, &mut pending, &mut ready);
                continue;
            }
            let step = Arc::clone(&steps[i]);
            started += 1;
            crate::crash::point(
                "apply.step",
                &format_args!("{started}/{n} {}", step.address()),
            );
            progress.started(step.address(), step.action());
            let parent_id = step
                .resource()
                .and_then(|r| r.parent.as_ref())
                .and_then(|p| ids.get(&p.address).cloned());
            let portal = portal.clone();
            let generated = Arc::clone(&generated);
            let uid = step
                .resource()
                .map(|r| uid_of(r, options))
                .unwrap_or_default();
            let poll = options.poll;
            running.spawn(async move {
                let outcome = execute(&portal, &step, parent_id, &generated, uid, poll).await;
                (i, outcome)
            });
        }
        let Some(joined) = running.join_next().await else {
            // Nothing running and nothing ready: every remaining step waits on a cycle, which
            // the model rules out; report them rather than loop.
            for i in 0..n {
                if outcomes[i].is_none() {
                    let skip = Outcome::Skipped {
                        blocked_by: "(cycle)".to_owned(),
                        reason: "dependency cycle".to_owned(),
                    };
                    finish(i, skip, &steps, &mut outcomes, &mut ids, progress);
                }
            }
            break;
        };
        let (i, outcome) = match joined {
            Ok(done) => done,
            // A panicking step is a bug; it must not take the other steps down with it.
            Err(err) => {
                let err = crate::crash::resume_if_crash(err);
                tracing::error!(error = %err, "an apply step panicked");
                continue;
            }
        };
        finish(i, outcome, &steps, &mut outcomes, &mut ids, progress);
        finished += 1;
        release(i, &dependants, &mut pending, &mut ready);
    }

    Report {
        steps: steps
            .iter()
            .zip(outcomes)
            .map(|(s, o)| StepReport {
                address: s.address().clone(),
                action: s.action(),
                outcome: o.unwrap_or(Outcome::Skipped {
                    blocked_by: String::new(),
                    reason: "not run".to_owned(),
                }),
            })
            .collect(),
    }
}

fn finish(
    i: usize,
    outcome: Outcome,
    steps: &[Arc<Step>],
    outcomes: &mut [Option<Outcome>],
    ids: &mut HashMap<Address, String>,
    progress: &dyn Progress,
) {
    let address = steps[i].address().clone();
    if let Some(id) = outcome.id() {
        ids.insert(address.clone(), id.to_owned());
    }
    progress.finished(&StepReport {
        address,
        action: steps[i].action(),
        outcome: outcome.clone(),
    });
    outcomes[i] = Some(outcome);
}

fn release(
    i: usize,
    dependants: &[Vec<usize>],
    pending: &mut [usize],
    ready: &mut BTreeSet<usize>,
) {
    for &d in &dependants[i] {
        pending[d] -= 1;
        if pending[d] == 0 {
            ready.insert(d);
        }
    }
}

/// The outcome of a write that depends on an observed object that is not ready.
fn held_by(step: &Step, held: &HashMap<Address, Outcome>) -> Option<Outcome> {
    let resource = step.resource()?;
    resource
        .depends_on
        .iter()
        .find_map(|d| held.get(d))
        .cloned()
}

/// The first dependency that is not done, as a skip outcome.
fn blocked(deps: &[usize], outcomes: &[Option<Outcome>], steps: &[Arc<Step>]) -> Option<Outcome> {
    deps.iter().find_map(|&d| {
        let reason = match outcomes[d].as_ref()? {
            Outcome::Done { .. } => return None,
            Outcome::Waiting { reason, .. } => format!("still {reason}"),
            Outcome::Failed { code, .. } => format!("failed with {code}"),
            Outcome::Skipped { .. } => "skipped".to_owned(),
        };
        Some(Outcome::Skipped {
            blocked_by: steps[d].address().to_string(),
            reason,
        })
    })
}

/// Edges between steps: a write waits for the writes of what it depends on, and for the delete
/// of the object it replaces; a delete waits for the deletes of the objects whose parent it is
/// (children go first).
fn dependencies(steps: &[Step]) -> Vec<Vec<usize>> {
    // The write (create or update) and the delete at each address; a replacement has both.
    let mut writes: HashMap<&Address, usize> = HashMap::new();
    let mut deletes: HashMap<&Address, usize> = HashMap::new();
    for (i, step) in steps.iter().enumerate() {
        let by_address = if step.resource().is_some() {
            &mut writes
        } else {
            &mut deletes
        };
        by_address.insert(step.address(), i);
    }
    // Several deletes may share a portal id: a vendor can keep a child on its parent (a
    // CloudLink gateway step is recorded on its account), so a child's id is its parent's.
    let mut delete_by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        if let Step::Delete { object, .. } = s {
            delete_by_id.entry(object.id.as_str()).or_default().push(i);
        }
    }
    // Deletes by (kind, parent id), for siblings that must go in order.
    let delete_by_parent: HashMap<(Kind, &str), usize> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Delete { address, object } => {
                Some(((address.kind, parent_of(address, object)?), i))
            }
            _ => None,
        })
        .collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Delete { address, object } => {
                let Some(parent) = parent_of(address, object) else {
                    continue;
                };
                // This delete (a child) must run before its parent's delete, and never waits
                // on itself when it shares its parent's id.
                for &p in delete_by_id.get(parent).into_iter().flatten() {
                    if p != i {
                        deps[p].push(i);
                    }
                }
                // And before the delete of a sibling the portal counts it under.
                for (first, then) in DELETE_BEFORE_SIBLING {
                    if address.kind == first
                        && let Some(&s) = delete_by_parent.get(&(then, parent))
                    {
                        deps[s].push(i);
                    }
                }
            }
            _ => {
                if let Some(&j) = deletes.get(step.address()) {
                    deps[i].push(j);
                }
                if let Some(r) = step.resource() {
                    for d in &r.depends_on {
                        if let Some(&j) = writes.get(d)
                            && j != i
                        {
                            deps[i].push(j);
                        }
                    }
                }
            }
        }
    }
    for d in &mut deps {
        d.sort_unstable();
        d.dedup();
    }
    deps
}

/// Siblings (same parent) the portal deletes in order: Microsoft Online belongs to the
/// customer's Azure AD, which refuses deletion (`HasDependents`) while it exists.
const DELETE_BEFORE_SIBLING: [(Kind, Kind); 1] = [(Kind::MicrosoftOnline, Kind::AzureAd)];

/// The parent id recorded in an observed object's spec (`customerId`, `tenantId`, `accountId`).
fn parent_of<'a>(address: &Address, object: &'a PortalObject) -> Option<&'a str> {
    object.spec.get(address.kind.parent_field()?)?.as_str()
}

fn uid_of(resource: &Resource, options: &ApplyOptions) -> String {
    let by = &resource.declared_by;
    options
        .uids
        .get(by)
        .cloned()
        .unwrap_or_else(|| format!("{}/{}/{}", by.kind, by.namespace, by.name))
}

/// Runs one step; a write the portal refused because its parent (or the object itself) is
/// still busy is sent again with backoff while `poll` allows, so a dependant whose parent
/// finishes within the wait is applied in the same run (the refusal executes nothing, and
/// the idempotency key stays the same).
async fn execute<P: PortalApi>(
    portal: &P,
    step: &Step,
    parent_id: Option<String>,
    generated: &HashMap<Address, Vec<(&'static str, Sensitive)>>,
    uid: String,
    poll: PollPolicy,
) -> Outcome {
    let deadline = tokio::time::Instant::now() + poll.timeout;
    let mut pause = poll.interval;
    loop {
        let outcome = attempt(
            portal,
            step,
            parent_id.clone(),
            generated,
            uid.clone(),
            poll,
        )
        .await;
        let refused_busy = matches!(&outcome, Outcome::Waiting { id, .. } if id.is_empty());
        if !refused_busy || tokio::time::Instant::now() + pause > deadline {
            return outcome;
        }
        tracing::debug!(address = %step.address(), ?pause, "the portal is busy; the write is sent again");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(poll.max_interval);
    }
}

async fn attempt<P: PortalApi>(
    portal: &P,
    step: &Step,
    parent_id: Option<String>,
    generated: &HashMap<Address, Vec<(&'static str, Sensitive)>>,
    uid: String,
    poll: PollPolicy,
) -> Outcome {
    let kind = step.address().kind;
    let which = kind.portal();
    match step {
        Step::Delete { object, .. } => delete(portal, step.address(), &object.id, poll).await,
        Step::Create(resource) => {
            let req = match request(resource, parent_id.as_deref(), generated, uid, false) {
                Ok(req) => req,
                Err(outcome) => return outcome,
            };
            create(portal, resource, &req, poll).await
        }
        Step::Update { resource, id } => {
            let req = match request(resource, parent_id.as_deref(), generated, uid, true) {
                Ok(req) => req,
                Err(outcome) => return outcome,
            };
            let result = portal.update(which, kind.name(), id, &req).await;
            written(portal, resource, result, poll).await
        }
    }
}

/// Builds the wire request; a missing parent id or generated secret fails the step. An update
/// without freshly generated secrets leaves them out, so the portal keeps the stored ones.
fn request(
    resource: &Resource,
    parent_id: Option<&str>,
    generated: &HashMap<Address, Vec<(&'static str, Sensitive)>>,
    uid: String,
    update: bool,
) -> Result<WriteRequest, Outcome> {
    let mine: Vec<(&str, &Sensitive)> = generated
        .get(&resource.address)
        .map(|v| v.iter().map(|(f, s)| (*f, s)).collect())
        .unwrap_or_default();
    let spec = if update && mine.is_empty() {
        resource.update_spec(parent_id)
    } else {
        resource.wire_spec(parent_id, &mine)
    };
    let spec = spec.map_err(|e| Outcome::Failed {
        code: "MissingInput".to_owned(),
        message: e.to_string(),
    })?;
    let mut secrets: Vec<Sensitive> = mine.iter().map(|(_, s)| (*s).clone()).collect();
    for s in &resource.secrets {
        if let crate::model::SecretSource::Known(v) = &s.source {
            secrets.push(v.clone());
        }
    }
    let spec = match spec.into_value() {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Ok(WriteRequest {
        uid,
        external_ref: resource.address.external_ref.clone(),
        deletion_policy: resource.deletion_policy,
        spec,
        secrets,
        secret_sources: resource
            .secrets
            .iter()
            .map(|s| (s.field.to_owned(), s.from.clone()))
            .collect(),
    })
}

async fn create<P: PortalApi>(
    portal: &P,
    resource: &Resource,
    req: &WriteRequest,
    poll: PollPolicy,
) -> Outcome {
    let kind = resource.address.kind;
    let result = portal.create(kind.portal(), kind.name(), req).await;
    crate::crash::point("create.sent", &resource.address);
    // Another run created it first (or a response was lost and the key expired): adopt the
    // existing object by externalRef and bring it to the desired spec.
    if let Err(PortalError::Rejected { code, .. }) = &result
        && code == "ExternalRefExists"
    {
        let filter = ListFilter {
            external_ref: Some(resource.address.external_ref.clone()),
            external_ref_prefix: None,
            partitions: resource.partition().into_iter().collect(),
        };
        return match portal.list(kind.portal(), kind.name(), &filter).await {
            Ok(found) => match found.into_iter().next() {
                Some(existing) => {
                    let update = portal
                        .update(kind.portal(), kind.name(), &existing.id, req)
                        .await;
                    written(portal, resource, update, poll).await
                }
                None => failed(&PortalError::Protocol {
                    portal: kind.portal().id().to_owned(),
                    status: 409,
                    detail: "the portal reports the object exists but does not list it".to_owned(),
                }),
            },
            Err(err) => failed(&err),
        };
    }
    written(portal, resource, result, poll).await
}

async fn written<P: PortalApi>(
    portal: &P,
    resource: &Resource,
    result: Result<WriteOutcome, PortalError>,
    poll: PollPolicy,
) -> Outcome {
    match result {
        Ok(WriteOutcome::Done(object)) => Outcome::Done { id: object.id },
        Ok(WriteOutcome::Accepted(accepted)) => {
            crate::crash::point("operation.accepted", &resource.address);
            let id = accepted.object.id.clone();
            follow(portal, resource.address.kind, &id, accepted.operation, poll).await
        }
        // Not an error of the request: the portal is still busy with this object or its parent.
        Err(PortalError::Rejected { code, message, .. })
            if code == "DependencyNotReady" || code == "OperationInProgress" =>
        {
            let reason = if code == "DependencyNotReady" {
                "AwaitingDependency"
            } else {
                "Provisioning"
            };
            Outcome::Waiting {
                id: String::new(),
                state: crate::portal::OperationState::Pending,
                reason: reason.to_owned(),
                message,
            }
        }
        Err(err) => failed(&err),
    }
}

async fn delete<P: PortalApi>(
    portal: &P,
    address: &Address,
    id: &str,
    poll: PollPolicy,
) -> Outcome {
    let kind = address.kind;
    let result = portal.delete(kind.portal(), kind.name(), id).await;
    crate::crash::point("delete.sent", address);
    match result {
        Ok(DeleteOutcome::Deleted) => Outcome::Done { id: String::new() },
        Ok(DeleteOutcome::Accepted(op)) => {
            crate::crash::point("operation.accepted", address);
            match follow(portal, kind, id, op, poll).await {
                Outcome::Done { .. } => Outcome::Done { id: String::new() },
                other => other,
            }
        }
        Err(err) => failed(&err),
    }
}

fn failed(err: &PortalError) -> Outcome {
    Outcome::Failed {
        code: err.code().to_owned(),
        message: err.to_string(),
    }
}

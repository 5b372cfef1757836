//! The work orders a plan's apply would issue, computed from the plan alone (pure): the
//! provider derives the same ids at apply time, so a reviewer sees the orders a person will
//! get before anything is recorded.

use serde_json::{Map, Value};

use super::order::{Change, OrderAction, WorkOrder};
use crate::model::{Kind, Model, Observed, Resource};
use crate::plan::{ActionKind, Plan};

/// The orders for every action of `plan` whose kind `manual_connection` routes to a manual
/// connection (it returns that connection's name), in plan order.
pub fn planned_orders(
    plan: &Plan,
    model: &Model,
    observed: &Observed,
    manual_connection: impl Fn(Kind) -> Option<String>,
) -> Vec<WorkOrder> {
    let mut out = Vec::new();
    for action in &plan.actions {
        let kind = action.address.kind;
        let Some(connection) = manual_connection(kind) else {
            continue;
        };
        let resource = model.get(&action.address);
        let object = observed.get(kind, &action.address.external_ref);
        let delete = |id: &str| {
            WorkOrder::build(&Change {
                connection: &connection,
                uid: "",
                action: OrderAction::Delete,
                kind,
                external_ref: &action.address.external_ref,
                object_id: Some(id),
                content: &Map::new(),
                parent_id: None,
                before: None,
                secrets: &[],
            })
        };
        match (action.kind, resource) {
            (ActionKind::Delete, _) => {
                if let Some(id) = &action.id {
                    out.push(delete(id));
                }
            }
            (ActionKind::Replace, Some(r)) => {
                if let Some(id) = &action.id {
                    out.push(delete(id));
                }
                out.push(write(
                    &connection,
                    r,
                    observed,
                    OrderAction::Create,
                    None,
                    None,
                ));
            }
            (ActionKind::Update, Some(r)) => out.push(write(
                &connection,
                r,
                observed,
                OrderAction::Update,
                action.id.as_deref(),
                object.map(|o| &o.spec),
            )),
            (ActionKind::Create, Some(r)) => {
                out.push(write(
                    &connection,
                    r,
                    observed,
                    OrderAction::Create,
                    None,
                    None,
                ));
            }
            _ => {}
        }
    }
    out
}

fn write(
    connection: &str,
    r: &Resource,
    observed: &Observed,
    action: OrderAction,
    object_id: Option<&str>,
    before: Option<&Map<String, Value>>,
) -> WorkOrder {
    let by = &r.declared_by;
    // As the engine names the declaring object in the CLI (engine::run::uid_of).
    let uid = format!("{}/{}/{}", by.kind, by.namespace, by.name);
    let parent_id = r
        .parent
        .as_ref()
        .and_then(|p| observed.get(p.address.kind, &p.address.external_ref))
        .map(|o| o.id.as_str());
    let secrets: Vec<(String, Option<String>)> = r
        .secrets
        .iter()
        .map(|s| (s.field.to_owned(), s.from.clone()))
        .collect();
    WorkOrder::build(&Change {
        connection,
        uid: &uid,
        action,
        kind: r.address.kind,
        external_ref: &r.address.external_ref,
        object_id,
        content: &r.spec,
        parent_id,
        before,
        secrets: &secrets,
    })
}

//! The equivalent-data fault and the plan's normalisation read one table; these tests prove
//! that the fault reshapes every field the table marks case-insensitive or set-like, that the
//! plan sees no drift in what it reshaped, and that a client whose table misses any one of
//! those entries does see drift (so sharing the table does not blind the steady-state test).
//! They sit here, beside the fault, because the sandbox is the oracle of equivalent data.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::reshape_spec;
use crate::model::fixtures;
use crate::model::semantics::{Mark, Semantics};
use crate::model::{Kind, Observed};
use crate::plan::tests::{converge, model_of};
use crate::plan::{PlanOptions, equivalent_in, plan_with};

/// How many seeds each check tries: a shuffle may leave a list as it was, so drift from a
/// forgotten set must show for at least one of them (each shuffle of four items keeps the
/// order with odds 1/24; 16 seeds all doing so would be 1 in 10^22).
const SEEDS: u64 = 16;

/// The marks the fault reshapes.
fn reshaped_marks(table: &Semantics) -> Vec<(Kind, String, Mark)> {
    table
        .marks()
        .into_iter()
        .filter(|(_, _, mark)| matches!(mark, Mark::CaseInsensitive | Mark::Set))
        .collect()
}

/// One step of a table path: a member, or the items of a list.
enum Step<'a> {
    Member(&'a str),
    Items,
}

fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let name = part.trim_end_matches("[]");
        out.push(Step::Member(name));
        for _ in 0..(part.len() - name.len()) / 2 {
            out.push(Step::Items);
        }
    }
    out
}

/// A value that has something to reshape at the end of `steps`: four distinct items where a
/// list is (so a shuffle can show), mixed-case letters where a string is.
fn sample(steps: &[Step<'_>], list_at_end: bool) -> Value {
    match steps.split_first() {
        Some((Step::Member(name), rest)) => json!({ *name: sample(rest, list_at_end) }),
        Some((Step::Items, rest)) => {
            Value::Array((0..4).map(|_| sample(rest, list_at_end)).collect())
        }
        None if list_at_end => Value::Array((0..4).map(|i| json!(format!("Item{i}"))).collect()),
        None => json!("Mixed.Case@Example.com"),
    }
}

/// Makes the items of every list in `v` distinct, so a reordering is visible.
fn number_items(v: &mut Value, counter: &mut usize) {
    match v {
        Value::String(s) => {
            *counter += 1;
            s.push_str(&format!("-{counter}"));
        }
        Value::Array(items) => items.iter_mut().for_each(|i| number_items(i, counter)),
        Value::Object(map) => map.values_mut().for_each(|i| number_items(i, counter)),
        _ => {}
    }
}

/// A spec of `kind` holding only `path`, with values the fault can reshape.
fn spec_with(table: &Semantics, kind: Kind, path: &str) -> Map<String, Value> {
    let steps = steps(path);
    let leaf_is_list = leaf(table, kind, &steps).is_some_and(|f| f.items.is_some());
    let mut v = sample(&steps, leaf_is_list);
    number_items(&mut v, &mut 0);
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn leaf<'t>(
    table: &'t Semantics,
    kind: Kind,
    steps: &[Step<'_>],
) -> Option<&'t crate::model::semantics::FieldSemantics> {
    let mut node = table.spec(kind);
    for step in steps {
        node = match step {
            Step::Member(name) => node.member(name)?,
            Step::Items => node.item()?,
        };
    }
    Some(node)
}

/// True when `table` sees the reshaped spec as the original, field by field.
fn same_by(
    table: &Semantics,
    kind: Kind,
    original: &Map<String, Value>,
    reshaped: &Map<String, Value>,
) -> bool {
    original
        .iter()
        .all(|(field, desired)| equivalent_in(table, kind, field, desired, reshaped.get(field)))
}

#[test]
fn every_marked_field_is_reshaped_and_a_table_missing_it_sees_drift() {
    let table = Semantics::contract();
    let marks = reshaped_marks(table);
    assert!(
        marks.len() >= 20,
        "the table marks the contract's fields: {marks:?}"
    );
    for (kind, path, mark) in marks {
        let original = spec_with(table, kind, &path);
        let Some(forgetful) = table.without(kind, &path, mark) else {
            panic!("{kind} {path} {mark:?} is in the table");
        };
        let mut drift_seen = false;
        for seed in 0..SEEDS {
            let mut reshaped = original.clone();
            reshape_spec(table, kind, &mut reshaped, &mut StdRng::seed_from_u64(seed));
            assert!(
                same_by(table, kind, &original, &reshaped),
                "{kind} {path}: the plan sees drift in equivalent data {reshaped:?}"
            );
            drift_seen |= !same_by(&forgetful, kind, &original, &reshaped);
        }
        assert!(
            drift_seen,
            "{kind} {path} {mark:?}: a client without this entry saw no drift, so the fault does not reshape it"
        );
    }
}

/// The fixture's converged portal state, answered as equivalent data drawn from `seed`.
fn reshaped_state(table: &Semantics, observed: &Observed, seed: u64) -> Observed {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Observed::new();
    for kind in Kind::ALL {
        for object in observed.of_kind(kind) {
            let mut object = object.clone();
            reshape_spec(table, kind, &mut object.spec, &mut rng);
            out.insert(kind, object);
        }
    }
    out
}

#[test]
fn the_steady_state_under_equivalent_data_holds_and_a_missing_entry_breaks_it() {
    let table = Semantics::contract();
    let model = model_of(&fixtures::kenton());
    let converged = converge(&model);
    let options = PlanOptions::default();
    for seed in 0..SEEDS {
        let seen = reshaped_state(table, &converged, seed);
        let p = plan_with(table, &model, &seen, &options);
        assert!(p.actions.is_empty(), "seed {seed}: {:?}", p.actions);
    }
    // Forget, one at a time, an entry of a field the fixture declares with something to
    // reshape: the same steady state now shows drift on that kind.
    let cases = [
        (Kind::DaasCustomer, "domains", Mark::CaseInsensitive),
        (Kind::DaasCustomer, "contact.email", Mark::CaseInsensitive),
        (Kind::DaasAdmin, "upnDomain", Mark::CaseInsensitive),
        (Kind::Enterprise, "services", Mark::CaseInsensitive),
        (Kind::Enterprise, "services", Mark::Set),
        (Kind::CloudLinkAccount, "supportContacts", Mark::Set),
        (
            Kind::CloudLinkAccount,
            "supportContacts[].role",
            Mark::CaseInsensitive,
        ),
    ];
    for (kind, path, mark) in cases {
        let Some(forgetful) = table.without(kind, path, mark) else {
            panic!("{kind} {path} {mark:?} is in the table");
        };
        let drift = (0..SEEDS).any(|seed| {
            let seen = reshaped_state(table, &converged, seed);
            plan_with(&forgetful, &model, &seen, &options)
                .actions
                .iter()
                .any(|a| a.address.kind == kind)
        });
        assert!(
            drift,
            "{kind} {path} {mark:?}: forgetting it went unnoticed"
        );
    }
}

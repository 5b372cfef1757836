//! The dependency graph of resources: a deterministic topological order, or the cycle.

use std::collections::{BTreeSet, HashMap};

use super::address::Address;
use super::error::ModelError;
use super::resource::Resource;

/// Orders `resources` so that every resource comes after everything in its `depends_on`.
///
/// Ties are broken by (tenant, kind rank, address), so the same input always gives the same
/// order and the resources of one customer stay together. Unknown dependencies are ignored
/// (expansion only creates edges to resources it made).
pub fn order(mut resources: Vec<Resource>) -> Result<Vec<Resource>, ModelError> {
    // Addresses are unique, so an unstable sort is still deterministic.
    resources.sort_unstable_by(|a, b| {
        (&a.tenant, a.address.kind.rank(), &a.address).cmp(&(
            &b.tenant,
            b.address.kind.rank(),
            &b.address,
        ))
    });
    let index: HashMap<&Address, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.address, i))
        .collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); resources.len()];
    let mut waiting: Vec<usize> = vec![0; resources.len()];
    for (i, r) in resources.iter().enumerate() {
        let mut deps: Vec<usize> = r
            .depends_on
            .iter()
            .filter_map(|d| index.get(d).copied())
            .collect();
        deps.sort_unstable();
        deps.dedup();
        waiting[i] = deps.len();
        for d in deps {
            dependants[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..resources.len()).filter(|&i| waiting[i] == 0).collect();
    let mut sequence = Vec::with_capacity(resources.len());
    while let Some(i) = ready.pop_first() {
        sequence.push(i);
        for &d in &dependants[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if sequence.len() < resources.len() {
        return Err(cycle_error(&resources, &index, &waiting));
    }
    let mut slots: Vec<Option<Resource>> = resources.into_iter().map(Some).collect();
    Ok(sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect())
}

/// Walks back from a blocked resource through blocked dependencies until one repeats.
fn cycle_error(
    resources: &[Resource],
    index: &HashMap<&Address, usize>,
    waiting: &[usize],
) -> ModelError {
    let blocked = |i: &usize| waiting[*i] > 0;
    let mut path: Vec<usize> = Vec::new();
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut at = (0..resources.len()).find(blocked);
    while let Some(i) = at {
        if let Some(&start) = seen.get(&i) {
            path.drain(..start);
            break;
        }
        seen.insert(i, path.len());
        path.push(i);
        at = resources[i]
            .depends_on
            .iter()
            .filter_map(|d| index.get(d).copied())
            .filter(blocked)
            .min();
    }
    // The walk went from dependant to dependency; report it in apply order instead.
    path.reverse();
    let mut cycle: Vec<String> = Vec::new();
    for i in path {
        let name = resources[i].declared_by.to_string();
        if cycle.last() != Some(&name) {
            cycle.push(name);
        }
    }
    if cycle.len() > 1 && cycle.first() == cycle.last() {
        cycle.pop();
    }
    // Start at the smallest name so the same cycle always reads the same.
    if let Some(start) = (0..cycle.len()).min_by(|&a, &b| cycle[a].cmp(&cycle[b])) {
        cycle.rotate_left(start);
    }
    if let Some(first) = cycle.first().cloned() {
        cycle.push(first);
    }
    ModelError::Cycle { cycle }
}

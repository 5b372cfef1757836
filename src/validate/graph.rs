//! Dependency cycles between bindings, explicit (`dependsOn`) and implicit (microsoftOnline
//! waits for the azureAD binding of its tenant).
//!
//! Strongly connected components (Tarjan, iterative so a long chain cannot overflow the stack)
//! find every cycle in linear time; each component is reported once, on its first binding by
//! name, with the shortest cycle through that binding spelled out (`a → b → c → a`). A
//! hand-written pass rather than a graph crate: the report needs the path, not only the component.

use std::collections::VecDeque;

use super::index::Index;
use super::rule;
use super::subject::{Subject, cut};
use crate::api::Problem;
use crate::api::{Declared, ServiceKind};

/// An edge to the binding at `to`; `implicit` when no dependsOn entry declares it.
#[derive(Debug, Clone, Copy)]
struct Edge {
    to: usize,
    implicit: bool,
}

/// Reports every dependency cycle among the bindings of `declared`.
pub fn cycles(declared: &Declared, index: &Index, out: &mut Vec<Problem>) {
    let adjacency = edges(declared, index);
    for component in cyclic_components(&adjacency) {
        report(declared, &adjacency, &component, out);
    }
}

fn subject(declared: &Declared, i: usize) -> Subject<'_> {
    let b = &declared.bindings[i];
    Subject::namespaced("ServiceBinding", &b.object.metadata, &b.location)
}

fn edges(declared: &Declared, index: &Index) -> Vec<Vec<Edge>> {
    let mut adjacency = vec![Vec::new(); declared.bindings.len()];
    for (i, b) in declared.bindings.iter().enumerate() {
        // Duplicates are reported elsewhere; only the indexed declaration takes part.
        if !index.binding_is_first[i] {
            continue;
        }
        let s = subject(declared, i);
        let spec = &b.object.spec;
        for dep in &spec.depends_on {
            if let Some(&to) = index.bindings.get(&(s.namespace, dep.name.as_str())) {
                adjacency[i].push(Edge {
                    to,
                    implicit: false,
                });
            }
        }
        if spec.microsoft_online.is_some() {
            let key = (
                s.namespace,
                spec.tenant_ref.name.as_str(),
                ServiceKind::AzureAd,
            );
            if let Some(&to) = index.services.get(&key)
                && !adjacency[i].iter().any(|e| e.to == to)
            {
                adjacency[i].push(Edge { to, implicit: true });
            }
        }
    }
    adjacency
}

/// Tarjan's algorithm with an explicit call stack; returns, in discovery order, the components
/// that hold a cycle (several bindings, or one that depends on itself).
fn cyclic_components(adjacency: &[Vec<Edge>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adjacency.len();
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut calls: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    let mut components = Vec::new();
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(top) = calls.last_mut() {
            let v = top.0;
            if let Some(edge) = adjacency[v].get(top.1) {
                top.1 += 1;
                let w = edge.to;
                if order[w] == UNSEEN {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                // Most bindings are alone in their component: keep those without allocating.
                if stack.last() == Some(&v) {
                    stack.pop();
                    on_stack[v] = false;
                    if adjacency[v].iter().any(|e| e.to == v) {
                        components.push(vec![v]);
                    }
                    continue;
                }
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

fn report(
    declared: &Declared,
    adjacency: &[Vec<Edge>],
    component: &[usize],
    out: &mut Vec<Problem>,
) {
    let name = |i: usize| subject(declared, i).name;
    let Some(&start) = component.iter().min_by_key(|&&i| (name(i), i)) else {
        return;
    };
    let path = shortest_cycle(adjacency, component, start);
    let mut names: Vec<std::borrow::Cow<str>> = path.iter().map(|&(i, _)| cut(name(i))).collect();
    names.insert(0, cut(name(start)));
    let implicit = path.iter().any(|&(_, implicit)| implicit);
    let s = subject(declared, start);
    let mut message = format!(
        "dependency cycle: {}; nothing in it can ever start: remove one of these dependsOn entries",
        names.join(" → ")
    );
    if implicit {
        message.push_str(" (microsoftOnline always waits for its tenant's azureAD binding, so azureAD must not depend on it)");
    }
    out.push(s.error("spec.dependsOn", rule::DEPENDENCY_CYCLE, message));
}

/// The shortest path from `start` back to itself within `component`: the nodes after `start`
/// (ending with `start`) and whether each edge taken was implicit.
fn shortest_cycle(
    adjacency: &[Vec<Edge>],
    component: &[usize],
    start: usize,
) -> Vec<(usize, bool)> {
    let members: foldhash::HashSet<usize> = component.iter().copied().collect();
    let mut came_from: foldhash::HashMap<usize, (usize, bool)> = foldhash::HashMap::default();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for e in &adjacency[v] {
            if !members.contains(&e.to) {
                continue;
            }
            if e.to == start {
                let mut path = vec![(start, e.implicit)];
                let mut at = v;
                while at != start {
                    let Some(&(prev, implicit)) = came_from.get(&at) else {
                        break;
                    };
                    path.push((at, implicit));
                    at = prev;
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = came_from.entry(e.to) {
                slot.insert((v, e.implicit));
                queue.push_back(e.to);
            }
        }
    }
    // Unreachable for a strongly connected component; an empty path still names `start`.
    Vec::new()
}

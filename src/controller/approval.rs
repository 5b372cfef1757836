//! Plan approvals (managementPolicy `Plan`): the published plan, and what changed between the
//! approved plan and the one recomputed now.

use std::collections::BTreeMap;

use super::context::Context;
use super::status::plan_status;
use crate::api::PlanStatus;
use crate::plan::{Plan, render};

/// How many addresses or fields a message names before it says "and N more".
const NAMED: usize = 8;

/// The plan to publish in status: none when nothing would change.
pub(crate) fn published_plan(ctx: &Context, plan: &Plan) -> Option<PlanStatus> {
    plan.has_changes()
        .then(|| plan_status(plan, ctx.settings.change_limit, ctx.settings.diff_limit))
}

/// What differs between the approved plan (when it is the one published) and the current one:
/// the changes added and dropped, and the fields whose planned values moved. Names addresses
/// and fields only; secret values render as `(sensitive)` on both sides, so they never show.
pub(crate) fn what_changed(published: Option<&PlanStatus>, approved: &str, plan: &Plan) -> String {
    let current = plan_status(plan, usize::MAX, 0).changes;
    let Some(previous) = published.filter(|p| p.hash == approved) else {
        let now: Vec<&String> = current.iter().collect();
        let s = plan.summary();
        return format!(
            "the approved hash matches no published plan; the plan now (+{} ~{} -{} ±{}) is {}",
            s.add,
            s.change,
            s.destroy,
            s.replace,
            list(&now)
        );
    };
    let added: Vec<&String> = current
        .iter()
        .filter(|c| !previous.changes.contains(c))
        .collect();
    let removed: Vec<&String> = previous
        .changes
        .iter()
        .filter(|c| !current.contains(c))
        .collect();
    let before = field_blocks(&previous.diff);
    let after = field_blocks(&render::text(plan, false));
    let moved: Vec<String> = after
        .iter()
        .filter(|(key, text)| before.get(*key).is_some_and(|old| old != *text))
        .map(|((address, field), _)| format!("{address} {field}"))
        .collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("now also {}", list(&added)));
    }
    if !removed.is_empty() {
        parts.push(format!("no longer {}", list(&removed)));
    }
    if !moved.is_empty() {
        let moved: Vec<&String> = moved.iter().collect();
        parts.push(format!("other values for {}", list(&moved)));
    }
    if parts.is_empty() {
        return "the same fields change, but no shown value differs (a secret value changed, or the reviewed diff was cut)".to_owned();
    }
    parts.join("; ")
}

/// `a, b, c and 4 more`.
fn list(items: &[&String]) -> String {
    let mut out = items
        .iter()
        .take(NAMED)
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > NAMED {
        out.push_str(&format!(" and {} more", items.len() - NAMED));
    }
    out
}

/// The rendered lines of each field change of a text plan, by (address, field).
fn field_blocks(diff: &str) -> BTreeMap<(String, String), String> {
    let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut address: Option<String> = None;
    let mut field: Option<(String, String)> = None;
    for line in diff.lines() {
        let head = ["  + ", "  ~ ", "  - ", "-/+ "]
            .iter()
            .find_map(|p| line.strip_prefix(p));
        if let Some(rest) = head {
            let mut words = rest.split_whitespace();
            address = match (words.next(), words.next()) {
                (Some(kind), Some(external_ref)) => Some(format!("{kind}/{external_ref}")),
                _ => None,
            };
            field = None;
        } else if let (Some(rest), Some(address)) = (line.strip_prefix("      "), &address)
            && let Some((_, change)) = rest.split_once(' ')
            && !rest.starts_with(' ')
        {
            let name = change.split(':').next().unwrap_or_default().to_owned();
            let key = (address.clone(), name);
            out.insert(key.clone(), line.to_owned());
            field = Some(key);
        } else if let (Some(key), true) = (&field, line.starts_with("          ")) {
            if let Some(text) = out.get_mut(key) {
                text.push('\n');
                text.push_str(line);
            }
        } else {
            address = None;
            field = None;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEWED: &str = "tenantry will perform the following actions:

  # cloudlink/accounts customers/kenton will be created
  + cloudlink/accounts customers/kenton
      + businessType: \"Manufacturing\"
      + name: \"Kenton\"
      + notes:
          line one

  # daas/admins customers/jroe will be updated in place
  ~ daas/admins customers/jroe (admins_7)
      ~ password: (sensitive) → (sensitive)

Plan: 1 to add, 1 to change, 0 to destroy, 0 to replace.
";

    #[test]
    fn field_blocks_key_every_field_by_address() {
        let blocks = field_blocks(REVIEWED);
        let key = |a: &str, f: &str| (a.to_owned(), f.to_owned());
        assert_eq!(
            blocks.keys().cloned().collect::<Vec<_>>(),
            vec![
                key("cloudlink/accounts/customers/kenton", "businessType"),
                key("cloudlink/accounts/customers/kenton", "name"),
                key("cloudlink/accounts/customers/kenton", "notes"),
                key("daas/admins/customers/jroe", "password"),
            ]
        );
        assert!(blocks[&key("cloudlink/accounts/customers/kenton", "notes")].ends_with("line one"));
        let now = REVIEWED.replace("\"Manufacturing\"", "\"Retail\"");
        let changed: Vec<_> = field_blocks(&now)
            .into_iter()
            .filter(|(k, v)| blocks.get(k) != Some(v))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            changed,
            vec![key("cloudlink/accounts/customers/kenton", "businessType")]
        );
    }

    #[test]
    fn lists_are_cut_with_a_count() {
        let items: Vec<String> = (0..10).map(|i| format!("a{i}")).collect();
        let refs: Vec<&String> = items.iter().collect();
        assert_eq!(list(&refs[..2]), "a0, a1");
        assert!(list(&refs).ends_with("a7 and 2 more"), "{}", list(&refs));
    }
}

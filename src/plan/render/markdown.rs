//! The pull-request rendering: a summary table and a collapsible section per customer.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::style::Painter;
use super::text::{
    ACCEPTED_TITLE, DRIFT_TITLE, FAILED_HINT, Layout, accepted_lines, action_lines,
    connections_line, destruction_warnings, drift_lines, shown_via,
};
use crate::plan::{Action, Phase, Plan, Summary};

/// Renders `plan` as GitHub-flavoured Markdown.
pub fn render(plan: &Plan) -> String {
    let mut out = String::from("### tenantry plan\n\n");
    let summary = plan.summary();
    if !plan.has_changes() && plan.drift.is_empty() {
        out.push_str("**No changes.** The portals match the declared objects.\n");
    } else if !plan.has_changes() {
        out.push_str("**No changes to apply.** The drift below is left as its policy says.\n");
    } else {
        let _ = writeln!(out, "**{summary}** Plan hash: `{}`\n", plan.hash);
        let mut groups: BTreeMap<String, Vec<&Action>> = BTreeMap::new();
        for a in &plan.actions {
            let group = match &a.tenant {
                Some(tenant) => tenant.clone(),
                None => format!("{} (no longer declared)", a.group()),
            };
            groups.entry(group).or_default().push(a);
        }
        out.push_str("| Tenant | Add | Change | Destroy | Replace |\n");
        out.push_str("|---|---:|---:|---:|---:|\n");
        let counts: Vec<(&String, Summary)> = groups
            .iter()
            .map(|(group, actions)| (group, Summary::count(actions.iter().copied())))
            .collect();
        for (group, s) in &counts {
            let _ = writeln!(
                out,
                "| `{group}` | {} | {} | {} | {} |",
                s.add, s.change, s.destroy, s.replace
            );
        }
        let plain = Painter::new(false);
        for ((group, actions), (_, s)) in groups.iter().zip(&counts) {
            let _ = write!(
                out,
                "\n<details><summary><code>{group}</code>: {}</summary>\n\n```diff\n",
                short(s)
            );
            for (i, a) in actions.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                for line in action_lines(a, shown_via(plan, a), &plain, Layout::Diff) {
                    out.push_str(&line.replace("```", "'''"));
                    out.push('\n');
                }
            }
            out.push_str("```\n\n</details>\n");
        }
    }
    let warnings = destruction_warnings(plan);
    if !warnings.is_empty() {
        out.push_str("\n> [!WARNING]\n> Replacements that destroy data:\n");
        for line in warnings {
            let _ = writeln!(out, "> - {}", line.replace('\n', " "));
        }
    }
    for (title, lines) in [
        (DRIFT_TITLE, drift_lines(plan)),
        (ACCEPTED_TITLE, accepted_lines(plan)),
    ] {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n**{title}:** {}\n", lines.len());
            for line in lines {
                let _ = writeln!(out, "- {}", line.replace('\n', " "));
            }
        }
    }
    if !plan.orphans.is_empty() {
        out.push_str("\n<details><summary>Left in the portals (no longer declared): ");
        let _ = writeln!(out, "{}</summary>\n", plan.orphans.len());
        for o in &plan.orphans {
            let _ = writeln!(
                out,
                "- `{} {}` ({}): {}",
                o.address.kind,
                o.address.external_ref,
                o.id,
                o.reason.explain()
            );
        }
        out.push_str("\n</details>\n");
    }
    if !plan.outputs.is_empty() {
        out.push_str("\n<details><summary>Outputs (values the portals generated): ");
        let _ = writeln!(out, "{}</summary>\n", plan.outputs.len());
        out.push_str("| Declared by | Output | Value |\n|---|---|---|\n");
        for o in &plan.outputs {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` |",
                o.declared_by,
                o.name.as_str(),
                o.value.replace('`', "'").replace('|', "\\|")
            );
        }
        out.push_str("\n</details>\n");
    }
    if !plan.pending.is_empty() {
        out.push_str("\n**Async operations in the portals**\n\n");
        for p in &plan.pending {
            let _ = writeln!(
                out,
                "- `{} {}` ({}): {}",
                p.address.kind,
                p.address.external_ref,
                p.id,
                p.describe()
            );
        }
        if plan.pending.iter().any(|p| p.phase == Phase::Failed) {
            let _ = writeln!(out, "\n{}", FAILED_HINT.trim());
        }
    }
    let _ = writeln!(
        out,
        "\n_Scope: {} ({} observed)._",
        plan.scope.describe(),
        plan.observed
    );
    if let Some(line) = connections_line(plan) {
        let _ = writeln!(out, "\n_{line}_");
    }
    out
}

/// The counts of a section title.
fn short(s: &Summary) -> String {
    format!(
        "{} to add, {} to change, {} to destroy, {} to replace",
        s.add, s.change, s.destroy, s.replace
    )
}

//! The human rendering, in the style users know from Terraform.

use super::style::Painter;
use super::value::{inline, multi_line, unified};
use crate::api::{DriftPolicy, ManagementPolicy};
use crate::plan::{Action, ActionKind, FieldChange, FieldValue, Output, Phase, Plan, Via};

/// What to do about a failed operation, under the list of async operations.
pub(super) const FAILED_HINT: &str = "  A failed operation is not retried: change the declaration \
     (e.g. another name or mode) and apply again; see README, \"Permanent failures\".";

/// Where the change symbols go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// Indented, for a terminal or a log.
    Text,
    /// Symbols in the first column, for a ```diff block (Markdown); `~` becomes `!`.
    Diff,
}

/// Renders `plan` for a person; `color` adds ANSI colours (set it for terminals only).
pub fn render(plan: &Plan, color: bool) -> String {
    let p = Painter::new(color);
    let mut out = String::new();
    if !plan.has_changes() && plan.drift.is_empty() {
        out.push_str("No changes. The portals match the declared objects.\n");
    } else if !plan.has_changes() {
        out.push_str("No changes to apply; the drift below is left as its policy says.\n");
    } else {
        out.push_str("tenantry will perform the following actions:\n");
        for action in &plan.actions {
            out.push('\n');
            for line in action_lines(action, shown_via(plan, action), &p, Layout::Text) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    let warnings = destruction_warnings(plan);
    if !warnings.is_empty() {
        out.push('\n');
        for line in warnings {
            out.push_str(&p.action(ActionKind::Delete, &format!("Warning: {line}")));
            out.push('\n');
        }
    }
    for (title, lines) in [
        (DRIFT_TITLE, drift_lines(plan)),
        (ACCEPTED_TITLE, accepted_lines(plan)),
    ] {
        if !lines.is_empty() {
            out.push_str(&format!("\n{title}:\n"));
            for line in lines {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    if !plan.orphans.is_empty() {
        out.push_str("\nLeft in the portals (no longer declared):\n");
        for o in &plan.orphans {
            let line = format!(
                "  {} {} ({}): {}",
                o.address.kind,
                o.address.external_ref,
                o.id,
                o.reason.explain()
            );
            out.push_str(&p.dim(&line));
            out.push('\n');
        }
    }
    if !plan.pending.is_empty() {
        out.push_str("\nAsync operations in the portals:\n");
        for pending in &plan.pending {
            out.push_str(&format!(
                "  {} {} ({}): {}\n",
                pending.address.kind,
                pending.address.external_ref,
                pending.id,
                pending.describe()
            ));
        }
        if plan.pending.iter().any(|p| p.phase == Phase::Failed) {
            out.push_str(FAILED_HINT);
            out.push('\n');
        }
    }
    if !plan.outputs.is_empty() {
        out.push('\n');
        out.push_str(&outputs(
            &plan.outputs,
            "Outputs (values the portals generated):",
        ));
    }
    out.push_str(&format!(
        "\nScope: {} ({} observed).\n",
        plan.scope.describe(),
        plan.observed
    ));
    if let Some(line) = connections_line(plan) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&p.bold(&plan.summary().to_string()));
    out.push('\n');
    if plan.has_changes() {
        out.push_str(&format!("Plan hash: {}\n", plan.hash));
    }
    out
}

/// The heading of the drift section.
pub(super) const DRIFT_TITLE: &str = "Drift (changed in the portals by hand)";
/// The heading of the accepted deviations.
pub(super) const ACCEPTED_TITLE: &str = "Accepted deviations (not drift until they expire)";

/// One line per drifted field: where, declared and held values, and what the policy does.
pub(super) fn drift_lines(plan: &Plan) -> Vec<String> {
    plan.drift
        .iter()
        .map(|d| {
            let doing = match d.policy {
                DriftPolicy::Remediate => "driftPolicy Remediate: this plan writes it back",
                DriftPolicy::Alert => "driftPolicy Alert: left in place, notified",
                DriftPolicy::Report => "driftPolicy Report: left in place",
            };
            let mut line = format!(
                "{} {} ({}) {}: declared {}, the portal holds {}; {doing}",
                d.address.kind,
                d.address.external_ref,
                d.id,
                d.field,
                inline(&d.declared),
                inline(&d.observed)
            );
            if let Some(expired) = d.expired {
                line.push_str(&format!(" (its accepted deviation expired at {expired})"));
            }
            line
        })
        .collect()
}

/// One line per accepted deviation in force.
pub(super) fn accepted_lines(plan: &Plan) -> Vec<String> {
    plan.accepted
        .iter()
        .map(|a| {
            format!(
                "{} {} {}: the portal holds {} (declared {}): {}; until {}",
                a.address.kind,
                a.address.external_ref,
                a.field,
                inline(&a.observed),
                inline(&a.declared),
                a.reason,
                a.expires
            )
        })
        .collect()
}

/// `title`, then each declaring object and its outputs, one `name = value` line each.
pub fn outputs(outputs: &[Output], title: &str) -> String {
    let mut out = format!("{title}\n");
    let mut current = None;
    for o in outputs {
        if current != Some(&o.declared_by) {
            out.push_str(&format!("  {}:\n", o.declared_by));
            current = Some(&o.declared_by);
        }
        out.push_str(&format!("    {} = {}\n", o.name.as_str(), o.value));
    }
    out
}

/// One line per destructive replacement: what it destroys, and whether apply may run it.
pub(super) fn destruction_warnings(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .filter_map(|a| {
            let line = a.destruction()?;
            let who = a
                .declared_by
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "its declaring object".to_owned());
            Some(if a.allow_replace {
                format!("{line}; allowed by spec.allowReplace of {who}")
            } else {
                format!(
                    "{line}; apply refuses it unless allowed: --allow-replace, or \
                     spec.allowReplace: true on {who}"
                )
            })
        })
        .collect()
}

/// The connection to name on an action's line: only when the run has several, since one
/// connection is named once under the scope.
pub(super) fn shown_via<'a>(plan: &'a Plan, action: &Action) -> Option<&'a Via> {
    plan.via(action).filter(|_| plan.several_connections())
}

/// `Connection: default (contract).`, or one `kind → connection (api)` entry per routed kind
/// when the run has several; `None` for an unrouted plan.
pub(super) fn connections_line(plan: &Plan) -> Option<String> {
    let first = plan.routing.values().next()?;
    if !plan.several_connections() {
        return Some(format!("Connection: {first}."));
    }
    let mut by_connection: Vec<(&Via, Vec<&str>)> = Vec::new();
    for (kind, via) in &plan.routing {
        match by_connection.iter_mut().find(|(v, _)| *v == via) {
            Some((_, kinds)) => kinds.push(kind.path()),
            None => by_connection.push((via, vec![kind.path()])),
        }
    }
    let parts: Vec<String> = by_connection
        .iter()
        .map(|(via, kinds)| format!("{via}: {}", kinds.join(", ")))
        .collect();
    Some(format!("Connections: {}.", parts.join("; ")))
}

/// The lines of one action: a comment (with the connection it goes to, when `via` is given),
/// the object line, then one line per field change.
pub(super) fn action_lines(
    action: &Action,
    via: Option<&Via>,
    p: &Painter,
    layout: Layout,
) -> Vec<String> {
    let verb = match action.kind {
        ActionKind::Create => "will be created",
        ActionKind::Update => "will be updated in place",
        ActionKind::Replace => "must be replaced",
        ActionKind::Delete => "will be destroyed",
    };
    let mut notes = Vec::new();
    match action.management_policy {
        Some(ManagementPolicy::Observe) => {
            notes.push("managementPolicy Observe: reported, never written")
        }
        Some(ManagementPolicy::Plan) => {
            notes.push("managementPolicy Plan: written once this plan is approved")
        }
        _ => {}
    }
    if let Some(phase) = action.phase {
        notes.push(phase.as_str());
    }
    if action.destroys.is_some() {
        notes.push("destroys data");
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let (comment_pad, head_pad) = match layout {
        Layout::Text => (
            "  ",
            if action.kind == ActionKind::Replace {
                ""
            } else {
                "  "
            },
        ),
        Layout::Diff => ("", ""),
    };
    let name = format!("{} {}", action.address.kind, action.address.external_ref);
    let via = via.map(|v| format!(" via {v}")).unwrap_or_default();
    let mut lines = vec![p.dim(&format!("{comment_pad}# {name} {verb}{via}{notes}"))];
    let id = action
        .id
        .as_ref()
        .map(|id| format!(" ({id})"))
        .unwrap_or_default();
    let symbol = match (layout, action.kind) {
        (Layout::Diff, ActionKind::Update) => "!",
        (_, kind) => kind.symbol(),
    };
    lines.push(format!(
        "{head_pad}{} {name}{id}",
        p.action(action.kind, symbol)
    ));
    for change in &action.changes {
        change_lines(action.kind, change, p, layout, &mut lines);
    }
    lines
}

fn change_lines(
    kind: ActionKind,
    c: &FieldChange,
    p: &Painter,
    layout: Layout,
    lines: &mut Vec<String>,
) {
    let (symbol_kind, symbol) = match (kind, &c.before) {
        (ActionKind::Create, _) | (_, FieldValue::Absent) => (ActionKind::Create, "+"),
        _ => (
            ActionKind::Update,
            if layout == Layout::Diff { "!" } else { "~" },
        ),
    };
    let symbol = p.action(symbol_kind, symbol);
    let (lead, pad) = match layout {
        Layout::Text => (format!("      {symbol} "), "          ".to_owned()),
        Layout::Diff => (format!("{symbol}     "), "          ".to_owned()),
    };
    let forces = if c.forces_replacement {
        p.action(ActionKind::Replace, "  # forces replacement")
    } else {
        String::new()
    };
    let before_text = multi_line(&c.before);
    let after_text = multi_line(&c.after);
    if before_text.is_some() || after_text.is_some() {
        lines.push(format!("{lead}{}:{forces}", c.field));
        let old = before_text.unwrap_or_default();
        let new = after_text.unwrap_or_default();
        for line in unified(old, new) {
            lines.push(format!("{pad}{line}"));
        }
        return;
    }
    let value = if symbol_kind == ActionKind::Create {
        inline(&c.after)
    } else {
        format!("{} → {}", inline(&c.before), inline(&c.after))
    };
    lines.push(format!("{lead}{}: {value}{forces}", c.field));
}

//! Work orders for people (Markdown, for a ticket or a pull request) and machines (JSON).

use std::fmt::Write;

use super::order::{OrderAction, WorkOrder};

/// Version of the work-order JSON (docs/manual-steps.md); bumped only for incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// One work order as Markdown: where to go, every value in the screen's order, the secrets
/// by reference, and the confirm command with what to read back.
pub fn markdown(order: &WorkOrder) -> String {
    let mut out = String::new();
    let verb = match order.action {
        OrderAction::Create => "Create",
        OrderAction::Update => "Change",
        OrderAction::Delete => "Delete",
        OrderAction::Attest => "Attest",
    };
    let _ = writeln!(
        out,
        "### {} — {verb} {} `{}`\n",
        order.id, order.object, order.external_ref
    );
    let _ = writeln!(out, "- Portal: {}", order.portal);
    let _ = writeln!(out, "- Screen: {}", order.screen);
    let _ = writeln!(out, "- Declared by: `{}`", order.declared_by);
    if let Some(parent) = &order.parent_id {
        let _ = writeln!(out, "- Belongs to: the object recorded as `{parent}`");
    }
    if order.action == OrderAction::Create {
        let _ = writeln!(
            out,
            "- First look it up in the portal: if it already exists (made by hand, or a record \
             was lost), do not create it again; check the values below and confirm."
        );
    }
    if !order.values.is_empty() {
        let heading = match order.action {
            OrderAction::Update => "Change (old → new)",
            OrderAction::Attest => "Check that the portal still shows",
            _ => "Enter",
        };
        let _ = writeln!(out, "\n{heading}:\n");
        for (i, e) in order.values.iter().enumerate() {
            match &e.was {
                Some(was) => {
                    let _ = writeln!(out, "{}. {}: {} → {}", i + 1, e.label, shown(was), e.value);
                }
                None => {
                    let _ = writeln!(out, "{}. {}: {}", i + 1, e.label, e.value);
                }
            }
        }
    }
    if !order.fixed.is_empty() {
        let _ = writeln!(out, "\nLeave as the procedure says:\n");
        for e in &order.fixed {
            let _ = writeln!(out, "- {}: {}", e.label, e.value);
        }
    }
    if !order.secrets.is_empty() {
        let _ = writeln!(out, "\nSecrets (never typed into a ticket):\n");
        for s in &order.secrets {
            let _ = writeln!(out, "- {}: {}", s.label, s.from);
        }
    }
    let _ = writeln!(out, "\nThen: {}\n", order.finish);
    if !order.read_back.is_empty() {
        let _ = writeln!(out, "Read back:\n");
        for r in &order.read_back {
            let _ = writeln!(out, "- `{}`: {}", r.key, r.label);
        }
        out.push('\n');
    }
    let sets: String = order
        .read_back
        .iter()
        .map(|r| format!(" --set {}=…", r.key))
        .collect();
    let _ = writeln!(out, "Confirm: `tenantry confirm {}{sets}`", order.id);
    out
}

/// Several work orders as one Markdown document.
pub fn markdown_all(orders: &[&WorkOrder]) -> String {
    if orders.is_empty() {
        return "No open work orders.\n".to_owned();
    }
    let mut out = format!("## Work orders ({})\n", orders.len());
    for order in orders {
        out.push('\n');
        out.push_str(&markdown(order));
    }
    out
}

/// Several work orders as the versioned JSON document.
pub fn json_all(orders: &[&WorkOrder]) -> String {
    let doc = serde_json::json!({
        "formatVersion": FORMAT_VERSION,
        "workOrders": orders,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn shown(value: &str) -> &str {
    if value.is_empty() { "(empty)" } else { value }
}

//! Rules of `spec.acceptedDeviations` (any declaring kind): a readable expiry and a known kind.

use super::rule;
use super::subject::{Subject, shown};
use crate::api::{AcceptedDeviation, Problem};
use crate::model::{Kind, parse_expiry};

/// Checks one object's accepted deviations.
pub fn check(s: &Subject, deviations: &[AcceptedDeviation], out: &mut Vec<Problem>) {
    for (i, d) in deviations.iter().enumerate() {
        let at = |field: &str| format!("spec.acceptedDeviations[{i}].{field}");
        if let Err(message) = parse_expiry(&d.expires) {
            out.push(s.error(
                at("expires"),
                rule::DEVIATION,
                format!("{message}; a deviation without a readable expiry would never count as drift again"),
            ));
        }
        if let Some(kind) = &d.kind {
            let known = Kind::ALL.iter().any(|k| k.path() == kind);
            if !known {
                let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.path()).collect();
                out.push(s.error(
                    at("kind"),
                    rule::DEVIATION,
                    format!(
                        "kind {} is not a portal kind; use one of {} or leave it out",
                        shown(kind),
                        kinds.join(", ")
                    ),
                ));
            }
        }
        if d.field.trim().is_empty() || d.reason.trim().is_empty() {
            let field = if d.field.trim().is_empty() {
                "field"
            } else {
                "reason"
            };
            out.push(s.error(
                at(field),
                rule::REQUIRED,
                "name the portal field as the plan shows it, and say why the difference is accepted",
            ));
        }
    }
}

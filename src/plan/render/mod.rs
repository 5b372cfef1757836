//! Renderings of a plan: text for people, JSON for machines, Markdown for pull requests.

mod json;
mod markdown;
mod style;
mod text;
mod value;

#[cfg(test)]
mod tests;

pub use json::{FORMAT_VERSION, render as json};
pub use markdown::render as markdown;
pub use text::{outputs as outputs_text, render as text};
pub use value::{KNOWN_AFTER_APPLY, SENSITIVE, inline};

use super::Plan;

/// An output format of `tenantry plan --output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Terraform-style text.
    #[default]
    Text,
    /// The versioned JSON schema of docs/plan-json.md.
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// Renders `plan` in `format`; `color` applies to text only (set it for terminals).
pub fn render(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Text => text(plan, color),
        Format::Json => json(plan),
        Format::Markdown => markdown(plan),
    }
}

//! Imported customers as multi-document YAML, each object with its notes as comments.

use serde::Serialize;

use super::Imported;
use super::customer::{Customer, Doc};

/// Width of comment lines.
const WIDTH: usize = 94;

/// An object that could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {object} as YAML: {source}")]
pub struct RenderError {
    /// `Kind namespace/name`.
    pub object: String,
    /// The serializer's error.
    #[source]
    pub source: serde_yaml::Error,
}

/// Every customer, one after the other, each document after `---`.
pub fn render(imported: &Imported, header: &str) -> Result<String, RenderError> {
    let mut out = String::new();
    for customer in &imported.customers {
        out.push_str(&render_customer(customer, header)?);
    }
    Ok(out)
}

/// One customer: its Tenant, admins and bindings, with `header` as a comment on top.
pub fn render_customer(customer: &Customer, header: &str) -> Result<String, RenderError> {
    let mut out = String::new();
    comment(&mut out, header);
    document(&mut out, "Tenant", &customer.tenant)?;
    for admin in &customer.admins {
        document(&mut out, "TenantAdmin", admin)?;
    }
    for binding in &customer.bindings {
        document(&mut out, "ServiceBinding", binding)?;
    }
    Ok(out)
}

fn document<T: Serialize + kube::ResourceExt>(
    out: &mut String,
    kind: &str,
    doc: &Doc<T>,
) -> Result<(), RenderError> {
    let error = |source| RenderError {
        object: format!(
            "{kind} {}/{}",
            doc.object.namespace().unwrap_or_default(),
            doc.object.name_any()
        ),
        source,
    };
    // Through a YAML value (which keeps the types' field order) to leave out the empty status
    // that a manifest never carries.
    let mut value = serde_yaml::to_value(&doc.object).map_err(error)?;
    if let Some(map) = value.as_mapping_mut() {
        map.remove("status");
    }
    out.push_str("---\n");
    for note in &doc.notes {
        comment(out, note);
    }
    out.push_str(&serde_yaml::to_string(&value).map_err(error)?);
    Ok(())
}

/// `text` as `# ` lines of at most [`WIDTH`] characters.
fn comment(out: &mut String, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > WIDTH {
            out.push_str("# ");
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str("# ");
        out.push_str(&line);
        out.push('\n');
    }
}

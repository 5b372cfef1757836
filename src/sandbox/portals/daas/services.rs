//! Citrix (provisions even when empty) and File Sharing (CorpShare drive, Users folder).

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{Created, Cx, Rules, one_per_parent, status};
use super::{PORTAL, customer_of};
use crate::sandbox::body::typed;
use crate::sandbox::error::ApiError;
use crate::sandbox::object::Object;
use crate::sandbox::operations::OpPlan;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CitrixSpec {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
    #[serde(default)]
    applications: Vec<String>,
    #[serde(default)]
    desktops: Vec<String>,
}

impl CitrixSpec {
    fn status(&self) -> Value {
        status(json!({
            "publishedApplications": self.applications.len(),
            "publishedDesktops": self.desktops.len(),
        }))
    }
}

pub(crate) struct Citrix;

impl Rules for Citrix {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        // Provisions even with no applications or desktops: they are published later.
        let s: CitrixSpec = typed(spec, "spec")?;
        let customer = customer_of(cx, spec)?;
        one_per_parent(cx, PORTAL, "citrix", &customer)?;
        Ok(Created::ready(s.status(), Some(customer.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: CitrixSpec = typed(spec, "spec")?;
        obj.status = s.status();
        Ok(None)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileSharingSpec {
    #[expect(dead_code, reason = "checked as a reference through the raw spec")]
    customer_id: String,
    // Arrives filled in with the contract's default (`with_defaults`).
    drive_letter: String,
}

impl FileSharingSpec {
    fn letter(&self) -> Result<char, ApiError> {
        let mut chars = self.drive_letter.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_uppercase() => Ok(c),
            _ => Err(ApiError::invalid(
                "driveLetter",
                "one upper-case drive letter such as X",
            )),
        }
    }

    fn status(&self) -> Result<Value, ApiError> {
        let letter = self.letter()?;
        Ok(status(json!({
            "drive": format!("CorpShare ({letter}:)"),
            "folders": ["Users"],
        })))
    }
}

pub(crate) struct FileSharing;

impl Rules for FileSharing {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: FileSharingSpec = typed(spec, "spec")?;
        let status = s.status()?;
        let customer = customer_of(cx, spec)?;
        one_per_parent(cx, PORTAL, "file-sharing", &customer)?;
        Ok(Created::ready(status, Some(customer.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: FileSharingSpec = typed(spec, "spec")?;
        obj.status = s.status()?;
        Ok(None)
    }
}

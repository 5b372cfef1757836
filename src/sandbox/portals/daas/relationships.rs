//! GDAP admin relationships on the contract: the partner's delegated access to a customer's
//! Microsoft tenant. The contract abstracts the customer's approval away (the relationship is
//! active at once); the `graph` adapter and its emulator are where the approval waits
//! (docs/providers.md, "GDAP").

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::{Created, Cx, Rules, not_blank, status};
use crate::sandbox::body::typed;
use crate::sandbox::error::ApiError;
use crate::sandbox::object::Object;
use crate::sandbox::operations::OpPlan;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RelationshipSpec {
    azure_ad_id: String,
    roles: Vec<String>,
    duration: String,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted as sent; the contract never expires a relationship"
    )]
    auto_extend_duration: Option<String>,
}

impl RelationshipSpec {
    fn check(spec: &Value) -> Result<Self, ApiError> {
        let s: Self = typed(spec, "spec")?;
        not_blank(&s.duration, "duration")?;
        if s.roles.is_empty() {
            return Err(ApiError::invalid(
                "roles",
                "at least one role definition id",
            ));
        }
        Ok(s)
    }
}

/// `daas/admin-relationships`: one per Azure AD service, active at once.
pub(crate) struct AdminRelationships;

impl Rules for AdminRelationships {
    fn create(&self, _cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s = RelationshipSpec::check(spec)?;
        not_blank(&s.azure_ad_id, "azureAdId")?;
        // The Azure AD tenant may live with a vendor (Partner Center), and a relationship
        // outlives it (tenantry never deletes one): no parent link, so it never holds up the
        // Azure AD service's delete.
        Ok(Created::ready(
            status(json!({"relationshipStatus": "active"})),
            None,
        ))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        _obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        RelationshipSpec::check(spec)?;
        Ok(None)
    }
}

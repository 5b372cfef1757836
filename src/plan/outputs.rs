//! Outputs: the values a portal generated or chose for a declared object (a customer code, an
//! onmicrosoft domain, a `prp` personnel id, …), reported like Terraform outputs.
//!
//! [`values_of`] is the one list of what counts as an output: the CLI's plan and apply report
//! and the controller's `status.observed` all read it. Only these named status values are
//! outputs, so a secret (a generated password, an invitation code) can never become one.

use serde_json::Value;

use crate::api::ObjectId;
use crate::model::{Address, Kind, Model, Observed, PortalObject, Resource};

/// The name of one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputName {
    /// The DaaS customer code (generated when the Tenant declares none).
    CustomerCode,
    /// The DaaS admin's user principal name (its username defaults to first initial + last name).
    Upn,
    /// The `*.onmicrosoft.com` domain the portal chose for the Microsoft 365 tenant.
    OnmicrosoftDomain,
    /// The contact-center admin's personnel id (`prp` + admin user).
    PersonnelId,
    /// The TeamMate invitation's consent state (Pending, Partial, Granted), or Disabled.
    InvitationState,
    /// The CloudLink onboarding step that comes next (Gateway or Sync).
    NextStep,
    /// The URL the customer's Global Admin opens for the pending consent step (ConnectToTeams);
    /// not a secret: they sign in there with their own account.
    ConsentUrl,
    /// CloudLink admin contacts that have not completed Mitel's verification e-mail yet.
    UnverifiedAdmins,
}

impl OutputName {
    /// The camelCase name used in every output (text, JSON, status).
    pub fn as_str(self) -> &'static str {
        match self {
            OutputName::CustomerCode => "customerCode",
            OutputName::Upn => "upn",
            OutputName::OnmicrosoftDomain => "onmicrosoftDomain",
            OutputName::PersonnelId => "personnelId",
            OutputName::InvitationState => "invitationState",
            OutputName::NextStep => "nextStep",
            OutputName::ConsentUrl => "consentUrl",
            OutputName::UnverifiedAdmins => "unverifiedAdmins",
        }
    }
}

/// One output of a declared object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Output {
    /// The Tenant, TenantAdmin or ServiceBinding that declares the portal object.
    pub declared_by: ObjectId,
    /// The portal object.
    pub address: Address,
    /// Its portal id.
    pub id: String,
    /// The Tenant (`namespace/name`) it belongs to.
    pub tenant: String,
    /// Which value.
    pub name: OutputName,
    /// The value, as the portal reports it.
    pub value: String,
}

/// The outputs the portal reports for one observed object of `kind`, in a fixed order.
pub fn values_of(kind: Kind, object: &PortalObject) -> Vec<(OutputName, String)> {
    let status = |key: &str| object.status.get(key).and_then(Value::as_str);
    let spec = |key: &str| object.spec.get(key).and_then(Value::as_str);
    let value = match kind {
        Kind::DaasCustomer => status("code")
            .or_else(|| spec("code"))
            .map(|v| (OutputName::CustomerCode, v.to_owned())),
        Kind::DaasAdmin => status("upn")
            .or_else(|| spec("upn"))
            .map(str::to_owned)
            .or_else(|| Some(format!("{}@{}", spec("username")?, spec("upnDomain")?)))
            .map(|v| (OutputName::Upn, v)),
        // Older portal builds named the field differently; the contract's name comes first.
        Kind::AzureAd => status("onmicrosoftDomain")
            .or_else(|| status("domain"))
            .or_else(|| status("tenantDomain"))
            .map(|v| (OutputName::OnmicrosoftDomain, v.to_owned())),
        Kind::ContactCenterTenant => {
            status("personnelId").map(|v| (OutputName::PersonnelId, v.to_owned()))
        }
        Kind::Enterprise => status("invitationState")
            .or_else(|| (status("phase") == Some("Disabled")).then_some("Disabled"))
            .or_else(|| status("consent"))
            .map(|v| (OutputName::InvitationState, v.to_owned())),
        Kind::CloudLinkAccount | Kind::CloudLinkGateway => status("nextStep")
            .or_else(|| status("step"))
            .map(|v| (OutputName::NextStep, v.to_owned())),
        Kind::MicrosoftOnline
        | Kind::AdminRelationship
        | Kind::Citrix
        | Kind::FileSharing
        | Kind::CallbackFolder
        | Kind::License
        | Kind::Campaign
        | Kind::SmsNumber => None,
    };
    let mut out: Vec<(OutputName, String)> = value.into_iter().collect();
    if kind == Kind::Enterprise
        && let Some(url) = status("actionUrl")
    {
        out.push((OutputName::ConsentUrl, url.to_owned()));
    }
    let unverified: Vec<&str> = object
        .status
        .get("unverifiedAdmins")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if kind == Kind::CloudLinkAccount && !unverified.is_empty() {
        out.push((OutputName::UnverifiedAdmins, unverified.join(", ")));
    }
    out
}

/// The outputs of the resources of `model` that `include` selects and `observed` holds,
/// grouped by Tenant, then by declaring object (the Tenant, its admins, its bindings). Pure.
pub fn outputs(
    model: &Model,
    observed: &Observed,
    include: impl Fn(&Resource) -> bool,
) -> Vec<Output> {
    let mut out: Vec<Output> = model
        .resources()
        .iter()
        .filter(|r| include(r))
        .filter_map(|r| {
            let object = observed.get(r.address.kind, &r.address.external_ref)?;
            Some((r, object))
        })
        .flat_map(|(r, object)| {
            values_of(r.address.kind, object)
                .into_iter()
                .map(move |(name, value)| Output {
                    declared_by: r.declared_by.clone(),
                    address: r.address.clone(),
                    id: object.id.clone(),
                    tenant: r.tenant.clone(),
                    name,
                    value,
                })
        })
        .collect();
    out.sort_by(|a, b| order(a).cmp(&order(b)));
    out
}

/// How a report lists outputs: per Tenant, the Tenant's own first, then admins, then bindings.
fn order(o: &Output) -> (&str, u8, &ObjectId, &Address, OutputName) {
    let rank = match o.declared_by.kind.as_str() {
        "Tenant" => 0,
        "TenantAdmin" => 1,
        _ => 2,
    };
    (&o.tenant, rank, &o.declared_by, &o.address, o.name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{OutputName, values_of};
    use crate::model::fixtures;
    use crate::model::{Kind, PortalObject};
    use crate::plan::tests::{converge, edit_observed, model_of};
    use crate::plan::{ActionKind, OrphanReason, PlanOptions, Scope, plan};

    fn object(spec: serde_json::Value, status: serde_json::Value) -> PortalObject {
        serde_json::from_value(
            json!({"id": "x_1", "externalRef": "ns/a", "spec": spec, "status": status}),
        )
        .unwrap_or_else(|e| panic!("envelope: {e}"))
    }

    #[test]
    fn each_kind_reports_what_its_portal_generates_and_never_a_secret() {
        let cases = [
            (
                Kind::DaasCustomer,
                object(
                    json!({"name": "Kenton"}),
                    json!({"phase": "Ready", "code": "KEN7"}),
                ),
                Some((OutputName::CustomerCode, "KEN7")),
            ),
            (
                Kind::DaasAdmin,
                object(
                    json!({"username": "jroe", "upnDomain": "kenton.com", "passwordFingerprint": "ab"}),
                    json!({"phase": "Ready"}),
                ),
                Some((OutputName::Upn, "jroe@kenton.com")),
            ),
            (
                Kind::AzureAd,
                object(
                    json!({}),
                    json!({"onmicrosoftDomain": "kenton.onmicrosoft.com"}),
                ),
                Some((OutputName::OnmicrosoftDomain, "kenton.onmicrosoft.com")),
            ),
            (
                Kind::ContactCenterTenant,
                object(
                    json!({"adminUser": "bwl"}),
                    json!({"personnelId": "prpbwl"}),
                ),
                Some((OutputName::PersonnelId, "prpbwl")),
            ),
            (
                Kind::Enterprise,
                object(
                    json!({}),
                    json!({"consent": "Pending", "invitation": {"sentCount": 1}}),
                ),
                Some((OutputName::InvitationState, "Pending")),
            ),
            (
                Kind::CloudLinkGateway,
                object(json!({}), json!({"step": "Sync"})),
                Some((OutputName::NextStep, "Sync")),
            ),
            (
                Kind::License,
                object(json!({"user": "a@b.c"}), json!({"phase": "Ready"})),
                None,
            ),
            // Still provisioning: nothing generated yet, nothing reported.
            (
                Kind::AzureAd,
                object(json!({}), json!({"phase": "Provisioning"})),
                None,
            ),
        ];
        for (kind, object, want) in cases {
            let got = values_of(kind, &object);
            let got: Vec<(OutputName, &str)> = got.iter().map(|(n, v)| (*n, v.as_str())).collect();
            assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{kind:?}");
        }
    }

    #[test]
    fn outputs_are_reported_but_never_hashed_and_a_replacement_has_none() {
        let declared = fixtures::kenton();
        let model = model_of(&declared);
        let observed = converge(&model);
        let options = PlanOptions::default();
        let converged = plan(&model, &observed, &options);
        let code = |p: &crate::plan::Plan| {
            p.outputs
                .iter()
                .find(|o| o.name == OutputName::CustomerCode)
                .map(|o| o.value.clone())
        };
        assert!(!converged.has_changes());
        assert_eq!(code(&converged).as_deref(), Some("C00000"));
        assert_eq!(converged.outputs[0].declared_by.kind, "Tenant");

        // Another generated value: other outputs, the same plan hash.
        let mut regenerated = observed.clone();
        edit_observed(
            &mut regenerated,
            Kind::DaasCustomer,
            "customers/kenton-electronics",
            |o| {
                o.status.insert("code".into(), json!("OTHER1"));
            },
        );
        let again = plan(&model, &regenerated, &options);
        assert_eq!(code(&again).as_deref(), Some("OTHER1"));
        assert_eq!(again.hash, converged.hash);

        // A replaced customer gets a new code: none is reported until it exists.
        let mut renamed = declared.clone();
        renamed.tenants[0].object.spec.display_name = "Kenton Electronics Group".into();
        let replaced = plan(&model_of(&renamed), &observed, &options);
        assert!(
            replaced
                .actions
                .iter()
                .any(|a| a.kind == ActionKind::Replace && a.address.kind == Kind::DaasCustomer)
        );
        assert_eq!(code(&replaced), None);
    }

    #[test]
    fn a_connection_plan_reports_only_objects_tenantry_recorded() {
        let mut observed = converge(&model_of(&fixtures::kenton()));
        // Made in the portal's own UI: no externalRef naming a declaring object.
        for (id, external_ref) in [("ui_1", ""), ("ui_2", "kenton"), ("ui_3", "customers//x")] {
            observed.insert(
                Kind::Citrix,
                serde_json::from_value(json!({"id": id, "externalRef": external_ref}))
                    .unwrap_or_else(|e| panic!("envelope: {e}")),
            );
        }
        let empty = model_of(&crate::api::Declared::default());
        let p = plan(&empty, &observed, &PlanOptions::default());
        assert!(!p.orphans.is_empty());
        assert!(
            p.orphans.iter().all(|o| !o.id.starts_with("ui_")),
            "{:?}",
            p.orphans
        );
        assert!(
            p.orphans
                .iter()
                .all(|o| o.reason != OrphanReason::Duplicate)
        );
        assert_eq!(p.scope, Scope::Everything);
        assert_eq!(p.observed, observed.len());
        assert!(p.outputs.is_empty(), "nothing declared, no outputs");
    }
}

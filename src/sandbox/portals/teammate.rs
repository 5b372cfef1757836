//! TeamMate / Teams connector (seed 002): enterprises, the invitation e-mailed to the
//! customer's Microsoft Global Admin, and the two-step consent.

use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Created, Cx, Rules, not_blank, require};
use crate::sandbox::body::typed;
use crate::sandbox::clock::{rfc3339_seconds, secs};
use crate::sandbox::error::ApiError;
use crate::sandbox::fixtures;
use crate::sandbox::ids;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::{self, Action, OpPlan, OpState, Operation, Start};
use crate::sandbox::outbox::Message;
use crate::validate::syntax::is_email;

const PORTAL: &str = "teammate";
const KIND: &str = "enterprises";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnterpriseSpec {
    name: String,
    admin_email: String,
    #[serde(default)]
    user_limit: Option<u32>,
    // Fields with a contract default arrive filled in (`with_defaults`), so they are required.
    music_on_hold: bool,
    sip_data_access: bool,
    request_consent: bool,
    sbc_regions: Vec<String>,
    services: Vec<Service>,
    #[serde(default)]
    pbx_types: Vec<String>,
    enabled: bool,
}

#[derive(Deserialize, PartialEq, Eq, Clone, Copy)]
enum Service {
    #[serde(rename = "PBX")]
    Pbx,
    Trunk,
}

impl EnterpriseSpec {
    fn check(&self) -> Result<(), ApiError> {
        not_blank(&self.name, "name")?;
        require(
            is_email(&self.admin_email),
            "adminEmail",
            "the e-mail of the customer's Microsoft Global Administrator; the invitation goes there",
        )?;
        if let Some(limit) = self.user_limit {
            require(
                limit >= 1,
                "userLimit",
                "at least 1, or leave it out for no limit",
            )?;
        }
        let _ = (
            self.music_on_hold,
            self.sip_data_access,
            self.request_consent,
        );
        require(
            !self.sbc_regions.is_empty() && self.sbc_regions.iter().all(|r| !r.trim().is_empty()),
            "sbcRegions",
            "select at least one SBC region (best: the one closest to the enterprise)",
        )?;
        require(
            !self.services.is_empty(),
            "services",
            "select the services: PBX, Trunk or both",
        )?;
        for (i, s) in self.services.iter().enumerate() {
            require(!self.services[..i].contains(s), "services", "listed twice")?;
        }
        let pbx = self.services.contains(&Service::Pbx);
        if pbx && self.pbx_types.is_empty() {
            return Err(ApiError::unprocessable(
                "PbxTypeRequired",
                "the PBX service needs at least one PBX type (for example Ringlogix)",
            )
            .field("spec.pbxTypes"));
        }
        require(
            pbx || self.pbx_types.is_empty(),
            "pbxTypes",
            "PBX types apply only when services includes PBX",
        )
    }

    fn enabled(&self) -> bool {
        self.enabled
    }
}

/// `409 EmailInUse` when a reseller account or another enterprise has `email`.
fn email_unique(cx: &Cx<'_, '_>, email: &str, except: Option<&str>) -> Result<(), ApiError> {
    let unique = "Microsoft requires a unique e-mail for each master reseller, reseller and \
                  enterprise account; use another address";
    if let Some(account) = fixtures::reseller_accounts(cx.tx)?
        .into_iter()
        .find(|a| a.email.eq_ignore_ascii_case(email))
    {
        return Err(ApiError::conflict(
            "EmailInUse",
            format!("{email} belongs to a {:?} account. {unique}", account.role),
        )
        .field("spec.adminEmail"));
    }
    if let Some(other) =
        object::find_by_field(cx.tx, PORTAL, KIND, Part::Spec, "adminEmail", email)?
            .into_iter()
            .find(|o| Some(o.id.as_str()) != except)
    {
        return Err(ApiError::conflict(
            "EmailInUse",
            format!(
                "{email} is the admin e-mail of enterprise {}. {unique}",
                other.id
            ),
        )
        .field("spec.adminEmail"));
    }
    Ok(())
}

fn new_invitation(cx: &Cx<'_, '_>, enterprise_id: &str) -> Result<String, ApiError> {
    let code = ids::invitation_code(cx.shared.seed, cx.counter("invitation")?);
    cx.tx.execute(
        "INSERT OR REPLACE INTO invitations (enterprise_id, code, consent_steps) VALUES (?1, ?2, 0)",
        params![enterprise_id, code],
    )?;
    Ok(code)
}

fn invitation_of(cx: &Cx<'_, '_>, enterprise_id: &str) -> Result<Option<(String, i64)>, ApiError> {
    Ok(cx
        .tx
        .query_row(
            "SELECT code, consent_steps FROM invitations WHERE enterprise_id = ?1",
            [enterprise_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn send_invitation(
    cx: &Cx<'_, '_>,
    id: &str,
    name: &str,
    email: &str,
    code: &str,
) -> Result<(), ApiError> {
    cx.send(Message {
        to: email,
        subject: format!("Invitation to connect {name} to TeamMate"),
        body: format!(
            "Your reseller invites {name} to TeamMate.\nInvitation Code: {code}\nCopy the code and \
             click Complete, sign in with your Microsoft credentials, check \"Consent on behalf of \
             your organization\" and accept; then sign in again to grant the application \
             permissions.\n"
        ),
        kind: "invitation",
        data: json!({"invitationCode": code, "enterpriseId": id}),
        object_id: Some(id),
    })
}

fn awaiting_consent(email: &str) -> OpPlan {
    OpPlan {
        action: Action::Create,
        start: Start::AwaitingHuman,
        run: secs(10),
        message: format!(
            "waiting for the Microsoft Global Admin ({email}) to accept the invitation and grant \
             consent (step 1 of 2); resend the invitation if it was lost"
        ),
    }
}

fn record_sent(cx: &Cx<'_, '_>, obj: &mut Object, count: i64) {
    obj.set_status(
        "invitation",
        json!({"sentCount": count, "lastSentAt": rfc3339_seconds(cx.now_ms)}),
    );
}

fn sent_count(obj: &Object) -> i64 {
    obj.status["invitation"]["sentCount"].as_i64().unwrap_or(0)
}

pub(crate) struct Enterprises;

impl Rules for Enterprises {
    fn create(&self, cx: &Cx<'_, '_>, id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: EnterpriseSpec = typed(spec, "spec")?;
        s.check()?;
        email_unique(cx, &s.admin_email, None)?;
        let code = new_invitation(cx, id)?;
        send_invitation(cx, id, &s.name, &s.admin_email, &code)?;
        Ok(Created {
            status: json!({
                "consent": "Pending",
                "enabled": s.enabled(),
                "invitation": {"sentCount": 1, "lastSentAt": rfc3339_seconds(cx.now_ms)},
            }),
            parent: None,
            operation: Some(awaiting_consent(&s.admin_email)),
        })
    }

    fn update(
        &self,
        cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: EnterpriseSpec = typed(spec, "spec")?;
        s.check()?;
        let mut work = None;
        if !s
            .admin_email
            .eq_ignore_ascii_case(obj.spec_str("adminEmail"))
        {
            email_unique(cx, &s.admin_email, Some(&obj.id))?;
            let code = new_invitation(cx, &obj.id)?;
            send_invitation(cx, &obj.id, &s.name, &s.admin_email, &code)?;
            record_sent(cx, obj, 1);
            obj.set_status("consent", "Pending");
            match operations::active_for(cx.tx, &obj.id)? {
                Some(mut op) if op.state == OpState::AwaitingHuman => {
                    operations::note(cx, &mut op, &awaiting_consent(&s.admin_email).message)?;
                }
                _ => work = Some(awaiting_consent(&s.admin_email)),
            }
        }
        obj.set_status("enabled", s.enabled());
        let phase = match (s.enabled(), obj.status_str("consent")) {
            (false, _) => "Disabled",
            (true, "Granted") => "Ready",
            (true, _) if work.is_some() => "AwaitingConsent",
            (true, _) => match operations::active_for(cx.tx, &obj.id)? {
                Some(op) if op.state == OpState::Running => "Provisioning",
                _ => "AwaitingConsent",
            },
        };
        obj.set_status("phase", phase);
        Ok(work)
    }

    fn delete(&self, cx: &Cx<'_, '_>, obj: &Object) -> Result<super::Removal, ApiError> {
        cx.tx.execute(
            "DELETE FROM invitations WHERE enterprise_id = ?1",
            [&obj.id],
        )?;
        if let Some(mut op) = operations::active_for(cx.tx, &obj.id)? {
            operations::cancel(cx, &mut op, "Cancelled", "the enterprise was deleted")?;
        }
        Ok(super::Removal::Now)
    }

    fn operation_succeeded(
        &self,
        _cx: &Cx<'_, '_>,
        _op: &Operation,
        obj: &mut Object,
    ) -> Result<(), ApiError> {
        if obj.status["enabled"] == false {
            obj.set_status("phase", "Disabled");
        }
        Ok(())
    }
}

fn refuse_unless_inviting(obj: &Object) -> Result<(), ApiError> {
    if obj.status["enabled"] == false {
        return Err(ApiError::conflict(
            "EnterpriseDisabled",
            "the enterprise is disabled; enable it (spec.enabled: true) first",
        ));
    }
    if obj.status_str("consent") == "Granted" {
        return Err(ApiError::conflict(
            "ConsentAlreadyGranted",
            "the Global Admin has already granted consent; nothing to resend",
        ));
    }
    Ok(())
}

/// `POST /v1/teammate/enterprises/{id}/resend-invitation`: e-mails the invitation again.
pub(crate) fn resend_invitation(cx: &Cx<'_, '_>, obj: &mut Object) -> Result<(), ApiError> {
    refuse_unless_inviting(obj)?;
    let Some((code, _)) = invitation_of(cx, &obj.id)? else {
        return Err(ApiError::internal("the enterprise has no invitation"));
    };
    let name = obj.spec_str("name").to_owned();
    let email = obj.spec_str("adminEmail").to_owned();
    send_invitation(cx, &obj.id, &name, &email, &code)?;
    let count = sent_count(obj) + 1;
    record_sent(cx, obj, count);
    Ok(())
}

/// The Global Admin grants the next consent step with the invitation code
/// (`POST /sandbox/teammate/consent`). Returns the enterprise and the consent state.
pub(crate) fn consent(cx: &Cx<'_, '_>, code: &str) -> Result<(Object, &'static str), ApiError> {
    let found: Option<(String, i64)> = cx
        .tx
        .query_row(
            "SELECT enterprise_id, consent_steps FROM invitations WHERE upper(code) = upper(?1)",
            [code.trim()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, steps)) = found else {
        return Err(ApiError::not_found(
            "no invitation has this code; ask the reseller to resend the invitation",
        ));
    };
    let Some(mut obj) = object::get(cx.tx, PORTAL, KIND, &id)? else {
        return Err(ApiError::not_found(
            "the enterprise of this invitation was deleted",
        ));
    };
    refuse_unless_inviting(&obj)?;
    let Some(mut op) =
        operations::active_for(cx.tx, &id)?.filter(|op| op.state == OpState::AwaitingHuman)
    else {
        return Err(ApiError::conflict(
            "ConsentAlreadyGranted",
            "consent is complete; the enterprise is being set up",
        ));
    };
    cx.tx.execute(
        "UPDATE invitations SET consent_steps = ?2 WHERE enterprise_id = ?1",
        params![id, steps + 1],
    )?;
    let state = if steps == 0 {
        operations::note(
            cx,
            &mut op,
            "the first set of permissions was granted; waiting for the Global Admin to sign in \
             again and grant the application permissions (step 2 of 2)",
        )?;
        "Partial"
    } else {
        operations::resume(
            cx,
            &mut op,
            &mut obj,
            "consent granted; setting up the enterprise",
        )?;
        "Granted"
    };
    obj.set_status("consent", state);
    obj.version += 1;
    obj.updated_at = rfc3339_seconds(cx.now_ms);
    object::save(cx.tx, &obj)?;
    Ok((obj, state))
}

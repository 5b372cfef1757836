//! Contact-center Provisioning Portal (seed 001): tenants cloned from a template, and the
//! callback-folder e-mail configured once a tenant is provisioned.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Created, Cx, Person, Removal, Rules, check_fingerprint, check_password, not_blank,
    one_per_parent, referenced, require, status,
};
use crate::sandbox::body::{Secret, typed};
use crate::sandbox::clock::{minutes, secs};
use crate::sandbox::error::ApiError;
use crate::sandbox::fixtures;
use crate::sandbox::object::{self, Object, Part};
use crate::sandbox::operations::{Action, OpPlan, Operation, Start};
use crate::sandbox::outbox::Message;
use crate::validate::syntax::{is_domain, is_e164, is_email, is_letters_and_digits};

const PORTAL: &str = "contactcenter";

/// Nominal wait until the off-peak window opens.
const OFF_PEAK_WAIT: std::time::Duration = minutes(120);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TenantSpec {
    template: String,
    name: String,
    short_name: String,
    upn_suffix: String,
    admin_user: String,
    #[serde(default)]
    password: Option<Secret>,
    #[serde(default)]
    password_confirmation: Option<Secret>,
    #[serde(default)]
    password_fingerprint: Option<String>,
    ani: String,
    contact: Person,
    /// Receives the success or failure notice; the contact's e-mail when absent.
    #[serde(default)]
    notification_email: Option<String>,
}

impl TenantSpec {
    fn check(&self) -> Result<(), ApiError> {
        if let Some(email) = &self.notification_email {
            require(
                crate::validate::syntax::is_email(email),
                "notificationEmail",
                "the notification address is an e-mail such as it-ops@kenton-electronics.com",
            )?;
        }
        not_blank(&self.template, "template")?;
        let letters = "letters and digits only: no spaces, underscores or special characters";
        require(is_letters_and_digits(&self.name), "name", letters)?;
        require(
            is_letters_and_digits(&self.short_name),
            "shortName",
            letters,
        )?;
        require(
            is_domain(&self.upn_suffix),
            "upnSuffix",
            "the UPN suffix is a domain such as kenton-electronics.com",
        )?;
        require(
            !self.admin_user.is_empty()
                && self.admin_user.len() <= 64
                && self
                    .admin_user
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "adminUser",
            "1 to 64 letters, digits, dots, underscores or hyphens",
        )?;
        require(
            is_e164(&self.ani),
            "ani",
            "the ANI is a telephone number in E.164 form such as +15555550100",
        )?;
        self.contact.check("contact")?;
        let _ = &self.password_fingerprint;
        Ok(())
    }

    fn check_password(&self, required: bool) -> Result<(), ApiError> {
        let Some(password) = &self.password else {
            if self.password_confirmation.is_some() {
                return Err(ApiError::invalid(
                    "password",
                    "passwordConfirmation was sent without password",
                ));
            }
            return if required {
                Err(ApiError::invalid(
                    "password",
                    "the tenant administrator needs a password",
                ))
            } else {
                Ok(())
            };
        };
        if let Some(confirmation) = &self.password_confirmation
            && confirmation != password
        {
            return Err(ApiError::unprocessable(
                "PasswordMismatch",
                "passwordConfirmation differs from password; retype it",
            )
            .field("spec.passwordConfirmation"));
        }
        check_password(password.expose(), &self.admin_user, 8)
    }
}

fn name_taken(
    cx: &Cx<'_, '_>,
    field: &str,
    value: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = object::find_by_field(cx.tx, PORTAL, "tenants", Part::Spec, field, value)?
        .iter()
        .any(|o| Some(o.id.as_str()) != except);
    if taken {
        return Err(ApiError::conflict(
            "NameInUse",
            format!("a tenant already uses {field} {value}; choose another"),
        )
        .field(format!("spec.{field}")));
    }
    Ok(())
}

pub(crate) struct Tenants;

impl Rules for Tenants {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: TenantSpec = typed(spec, "spec")?;
        s.check()?;
        s.check_password(true)?;
        check_fingerprint(spec, None, true)?;
        name_taken(cx, "name", &s.name, None)?;
        name_taken(cx, "shortName", &s.short_name, None)?;
        let off_peak = fixtures::off_peak(cx.tx)?.schedules(&s.template);
        let (start, message) = if off_peak {
            (
                Start::Scheduled(OFF_PEAK_WAIT),
                "accepted; provisioning is scheduled for the off-peak window",
            )
        } else {
            (
                Start::Pending(secs(10)),
                "accepted; provisioning starts now",
            )
        };
        Ok(Created {
            status: json!({"personnelId": format!("prp{}", s.admin_user)}),
            parent: None,
            operation: Some(OpPlan {
                action: Action::Create,
                start,
                run: minutes(15),
                message: message.to_owned(),
            }),
        })
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: TenantSpec = typed(spec, "spec")?;
        s.check()?;
        s.check_password(false)?;
        check_fingerprint(spec, Some(&obj.spec), s.password.is_some())?;
        Ok(None)
    }

    fn delete(&self, _cx: &Cx<'_, '_>, _obj: &Object) -> Result<Removal, ApiError> {
        Ok(Removal::Later(OpPlan {
            action: Action::Delete,
            start: Start::Pending(secs(10)),
            run: minutes(5),
            message: "removing the tenant".to_owned(),
        }))
    }

    fn operation_succeeded(
        &self,
        cx: &Cx<'_, '_>,
        op: &Operation,
        obj: &mut Object,
    ) -> Result<(), ApiError> {
        if op.action != Action::Create {
            return Ok(());
        }
        let name = obj.spec_str("name");
        let personnel = obj.status_str("personnelId");
        cx.send(Message {
            to: notice_to(obj),
            subject: format!("Your contact-center tenant {name} is ready"),
            body: format!(
                "The tenant {name} was provisioned.\nSign in as {personnel} (UPN suffix {}). \
                 Next: configure the Callback Folder e-mail address.\n",
                obj.spec_str("upnSuffix")
            ),
            kind: "notification",
            data: json!({"outcome": "succeeded", "tenant": name, "personnelId": personnel}),
            object_id: Some(&obj.id),
        })
    }

    fn operation_failed(
        &self,
        cx: &Cx<'_, '_>,
        op: &Operation,
        obj: &mut Object,
    ) -> Result<(), ApiError> {
        if op.action != Action::Create {
            return Ok(());
        }
        let name = obj.spec_str("name");
        cx.send(Message {
            to: notice_to(obj),
            subject: format!("Your contact-center tenant {name} could not be provisioned"),
            body: format!(
                "The subscription request for {name} failed: {}\nWhat to do next: delete the \
                 tenant request and submit it again, or contact your service provider.\n",
                op.message
            ),
            kind: "notification",
            data: json!({"outcome": "failed", "tenant": name, "reason": op.reason}),
            object_id: Some(&obj.id),
        })
    }
}

/// Where the provisioning notice goes: the request's notification address, else the contact.
fn notice_to(obj: &Object) -> &str {
    obj.spec["notificationEmail"]
        .as_str()
        .or_else(|| obj.spec["contact"]["email"].as_str())
        .unwrap_or("")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CallbackFolderSpec {
    tenant_id: String,
    email: String,
}

pub(crate) struct CallbackFolders;

impl Rules for CallbackFolders {
    fn create(&self, cx: &Cx<'_, '_>, _id: &str, spec: &Value) -> Result<Created, ApiError> {
        let s: CallbackFolderSpec = typed(spec, "spec")?;
        require(is_email(&s.email), "email", "not an e-mail address")?;
        let tenant = referenced(cx, PORTAL, "tenants", &s.tenant_id, "tenantId")?;
        if tenant.phase() != "Ready" {
            return Err(ApiError::conflict(
                "DependencyNotReady",
                format!(
                    "tenant {} is {}; configure the callback folder after it is provisioned",
                    tenant.id,
                    tenant.phase()
                ),
            ));
        }
        one_per_parent(cx, PORTAL, "callback-folders", &tenant)?;
        Ok(Created::ready(status(json!({})), Some(tenant.id)))
    }

    fn update(
        &self,
        _cx: &Cx<'_, '_>,
        _obj: &mut Object,
        spec: &Value,
    ) -> Result<Option<OpPlan>, ApiError> {
        let s: CallbackFolderSpec = typed(spec, "spec")?;
        require(is_email(&s.email), "email", "not an e-mail address")?;
        Ok(None)
    }
}

//! Apps license management (seed 003): per-user licenses, and SMS licenses bound to a DID.
//!
//! Since 2023-06-01, SMS/MMS from a US number that is not in a registered 10DLC campaign is not
//! delivered to US mobiles, so a US DID without a campaign id is a blocking error, not a warning:
//! apply would "succeed" and every message would silently be dropped.

use crate::api::Problem;
use crate::api::{Licenses, Sms};
use crate::validate::rule;
use crate::validate::subject::{Field, Subject, shown};
use crate::validate::{syntax, values};

/// The most assignments one binding may carry.
const MAX_ASSIGNMENTS: usize = 1000;

/// Per-user licenses: at least one, each user a valid e-mail, each user once.
pub fn licenses(s: &Subject, l: &Licenses, out: &mut Vec<Problem>) {
    const FIELD: &str = "spec.licenses.assignments";
    if l.assignments.is_empty() {
        out.push(s.error(
            FIELD,
            rule::REQUIRED,
            "no assignments: list at least one {user, type}",
        ));
    }
    if l.assignments.len() > MAX_ASSIGNMENTS {
        out.push(s.error(
            FIELD,
            rule::LENGTH,
            format!(
                "{} assignments; one binding takes at most {MAX_ASSIGNMENTS}: split them over several bindings",
                l.assignments.len()
            ),
        ));
    }
    let mut seen =
        <foldhash::HashMap<_, _> as foldhash::HashMapExt>::with_capacity(l.assignments.len());
    for (i, a) in l.assignments.iter().enumerate() {
        values::email(s, Field::from(FIELD).at(i).member("user"), &a.user, out);
        if let Some(first) = seen.get(&a.user.to_ascii_lowercase()) {
            out.push(s.error(
                format!("{FIELD}[{i}].user"),
                rule::DUPLICATE_LICENSE_USER,
                format!("user {} already has a license in {FIELD}[{first}]: a user gets one license per app; remove one", shown(&a.user)),
            ));
        } else {
            seen.insert(a.user.to_ascii_lowercase(), i);
        }
    }
}

/// An SMS license: DID in E.164, and a 10DLC campaign for US numbers.
pub fn sms(s: &Subject, sms: &Sms, out: &mut Vec<Problem>) {
    values::phone(s, "spec.sms.did", &sms.did, "the DID", out);
    values::optional_email(s, "spec.sms.user", sms.user.as_deref(), out);
    match &sms.campaign_id {
        None if syntax::is_us_number(&sms.did) => out.push(s.error(
            "spec.sms.campaignId",
            rule::SMS_10DLC_CAMPAIGN,
            format!(
                "DID {} is a US number without a 10DLC campaign: since 2023-06-01 SMS/MMS from numbers outside a registered campaign is not delivered to US mobile numbers. Register the number to a campaign in the TCR portal and set campaignId (e.g. C1A2B3C)",
                shown(&sms.did)
            ),
        )),
        Some(id) if !syntax::is_campaign_id(id) => out.push(s.error(
            "spec.sms.campaignId",
            rule::CAMPAIGN_ID,
            format!(
                "campaign id {} is not a 10DLC campaign id: it is C followed by six upper-case letters or digits, as shown in the TCR portal",
                shown(id)
            ),
        )),
        _ => {}
    }
}

//! Accepted deviations: known differences between a declaration and a portal that stop
//! counting as drift until they expire (`spec.acceptedDeviations`).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::api::AcceptedDeviation;

/// One accepted deviation, its expiry parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// The wire field, as the plan names it.
    pub field: String,
    /// Only objects of this kind (`daas/customers`); all of the declaration's when none.
    pub kind: Option<String>,
    /// The value the portal may hold, as the plan shows it.
    pub value: String,
    /// Why it is accepted.
    pub reason: String,
    /// When it stops being accepted.
    pub expires: Timestamp,
}

impl Deviation {
    /// The deviation of `declared`; `Err` names what is wrong with `expires`.
    pub fn parse(declared: &AcceptedDeviation) -> Result<Self, String> {
        Ok(Self {
            field: declared.field.clone(),
            kind: declared.kind.clone(),
            value: declared.value.clone(),
            reason: declared.reason.clone(),
            expires: parse_expiry(&declared.expires)?,
        })
    }

    /// True when it covers `field` of an object of kind `kind`.
    pub fn covers(&self, kind: &str, field: &str) -> bool {
        self.field == field && self.kind.as_deref().is_none_or(|k| k == kind)
    }

    /// True when it no longer holds at `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        now >= self.expires
    }
}

/// Parses an RFC 3339 time, or a date meaning the start of that day in UTC.
pub fn parse_expiry(text: &str) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    text.parse::<Date>()
        .ok()
        .and_then(|d| d.to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!(
                "{text:?} is neither an RFC 3339 time (2027-03-31T00:00:00Z) nor a date (2027-03-31)"
            )
        })
}

/// The text the plan shows for an observed value, which an accepted deviation's `value`
/// is compared with: a string as is, anything else as JSON.
pub fn shown_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_expires_at_the_start_of_its_day_in_utc() {
        let t = parse_expiry("2027-03-31").unwrap();
        assert_eq!(t, "2027-03-31T00:00:00Z".parse::<Timestamp>().unwrap());
        assert!(parse_expiry("2027-03-31T12:00:00+02:00").is_ok());
        let err = parse_expiry("next tuesday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn a_deviation_covers_its_field_and_optionally_one_kind() {
        let d = Deviation {
            field: "billingId".into(),
            kind: Some("daas/customers".into()),
            value: "X".into(),
            reason: "r".into(),
            expires: Timestamp::UNIX_EPOCH,
        };
        assert!(d.covers("daas/customers", "billingId"));
        assert!(!d.covers("apps/customers", "billingId"));
        assert!(!d.covers("daas/customers", "code"));
        assert!(d.expired(Timestamp::UNIX_EPOCH));
    }
}

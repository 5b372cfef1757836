//! Partner Center's wire conventions: request ids, error codes, and the tag that records
//! tenantry's reference on a customer and an order.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::api::{DeletionPolicy, Portal};
use crate::portal::PortalError;

/// Separates the Tenant's own address line 2 from tenantry's tag in `addressLine2`.
const TAG_SEP: &str = " | ";
const TAG_START: &str = "tenantry;";

/// What tenantry records on a Partner Center customer (Partner Center has no free-form tag
/// field, so it rides in the billing address's second line, after the Tenant's own).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Tag {
    /// The azure-ad object's `externalRef`.
    pub external_ref: String,
    /// Its deletion policy.
    pub policy: String,
    /// The DaaS customer's id (the azure-ad object's `customerId`).
    pub customer: String,
    /// `CreateNew` or `ConnectExisting`.
    pub mode: String,
    /// The Tenant's declared code, if any.
    pub code: Option<String>,
}

impl Tag {
    /// `tenantry;ref=..;policy=..;customer=..;mode=..[;code=..]`.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{TAG_START}ref={};policy={};customer={};mode={}",
            self.external_ref, self.policy, self.customer, self.mode
        );
        if let Some(code) = &self.code {
            out.push_str(&format!(";code={code}"));
        }
        out
    }

    /// The tag in an `addressLine2`, and the Tenant's own line 2 before it.
    pub fn parse(line2: &str) -> (Option<String>, Option<Tag>) {
        let (own, tag) = match line2.find(TAG_START) {
            Some(at) => (&line2[..at], Some(&line2[at + TAG_START.len()..])),
            None => (line2, None),
        };
        let own = own.trim_end_matches(TAG_SEP).trim();
        let own = (!own.is_empty()).then(|| own.to_owned());
        let tag = tag.map(|t| {
            let mut tag = Tag::default();
            for part in t.split(';') {
                let Some((k, v)) = part.split_once('=') else {
                    continue;
                };
                let v = v.to_owned();
                match k {
                    "ref" => tag.external_ref = v,
                    "policy" => tag.policy = v,
                    "customer" => tag.customer = v,
                    "mode" => tag.mode = v,
                    "code" => tag.code = Some(v),
                    _ => {}
                }
            }
            tag
        });
        (own, tag.filter(|t| !t.external_ref.is_empty()))
    }

    /// The `addressLine2` holding the Tenant's own line 2 and this tag.
    pub fn line2(&self, own: Option<&str>) -> String {
        match own {
            Some(own) if !own.is_empty() => format!("{own}{TAG_SEP}{}", self.render()),
            _ => self.render(),
        }
    }

    /// The recorded deletion policy (Orphan when unreadable).
    pub fn deletion_policy(&self) -> DeletionPolicy {
        serde_json::from_value(Value::String(self.policy.clone())).unwrap_or(DeletionPolicy::Orphan)
    }
}

/// The deletion policy's wire name.
pub(super) fn policy_name(policy: DeletionPolicy) -> String {
    serde_json::to_value(policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A GUID-shaped id from `seed` (deterministic), as `MS-RequestId` takes.
pub(super) fn guid_of(seed: &str) -> String {
    let h: String = Sha256::digest(seed.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A fresh GUID (`MS-CorrelationId`, one per call).
pub(super) fn new_guid() -> String {
    let n: u128 = rand::random();
    guid_of(&format!("{n:x}"))
}

/// The onmicrosoft label of a customer name: lower case, letters and digits only (seed 000:
/// "the Customer's name in all lower-case letters with no spaces").
pub(super) fn domain_label(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

/// The domains to try, in order: the name, then the name + the customer code.
pub(super) fn candidates(name: &str, code: Option<&str>) -> Vec<String> {
    let label = domain_label(name);
    if label.is_empty() {
        return Vec::new();
    }
    let mut out = vec![format!("{label}.onmicrosoft.com")];
    if let Some(code) = code.map(domain_label).filter(|c| !c.is_empty()) {
        out.push(format!("{label}{code}.onmicrosoft.com"));
    }
    out
}

/// Partner Center's error codes as stable tenantry codes, with what to do.
pub(super) fn vendor_error(err: PortalError) -> PortalError {
    let PortalError::Rejected {
        portal,
        status,
        code,
        message,
        field,
    } = err
    else {
        return err;
    };
    let Some(rest) = code.strip_prefix("Http") else {
        return PortalError::Rejected {
            portal,
            status,
            code,
            message,
            field,
        };
    };
    let vendor = rest.split_once('/').map_or("", |(_, c)| c);
    let (code, hint) = match (status, vendor) {
        (403, "13605") => (
            "PcAgreementMissing",
            "the customer has not accepted the Microsoft Customer Agreement",
        ),
        (403, "20002") => (
            "PcNoCommerceRelationship",
            "this partner has no commerce relationship with the customer",
        ),
        (403, "800073" | "800074") => (
            "PcAccountUnderReview",
            "Microsoft is reviewing the customer account; wait for the review in Partner Center",
        ),
        (403, "900124") => (
            "PcPartnerAgreementMissing",
            "the partner's Global Admin must accept the Microsoft Partner Agreement in Partner Center",
        ),
        (409, "800060") => (
            "PcOrderInProgress",
            "an order for the customer is in progress",
        ),
        (409, "1000") => ("PcDomainTaken", "the onmicrosoft domain is taken"),
        (401, _) => (
            "PcUnauthorized",
            "check spec.auth of the partnerCenter PortalConnection (client, secret, resource)",
        ),
        (403, _) => (
            "PcForbidden",
            "the app or user lacks the Partner Center role",
        ),
        (400, _) => ("PcBadRequest", "Partner Center refused the request"),
        _ => ("PcRejected", "Partner Center refused the request"),
    };
    PortalError::Rejected {
        portal,
        status,
        code: code.to_owned(),
        message: if vendor.is_empty() || vendor == status.to_string() {
            format!("Partner Center {status}: {message} ({hint})")
        } else {
            format!("Partner Center {status} {vendor}: {message} ({hint})")
        },
        field,
    }
}

/// A `PortalError::Rejected` of the DaaS portal.
pub(super) fn rejected(
    status: u16,
    code: &str,
    message: String,
    field: Option<&str>,
) -> PortalError {
    PortalError::Rejected {
        portal: Portal::Daas.id().to_owned(),
        status,
        code: code.to_owned(),
        message,
        field: field.map(str::to_owned),
    }
}

/// A `PortalError::Protocol` for an unreadable answer.
pub(super) fn protocol(status: u16, detail: String) -> PortalError {
    PortalError::Protocol {
        portal: Portal::Daas.id().to_owned(),
        status,
        detail,
    }
}

/// A string member of a JSON object, case-insensitively (Partner Center's input and output
/// casing differ across its docs).
pub(super) fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v.as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A map with only the non-empty strings of `pairs`.
pub(super) fn object(pairs: &[(&str, Option<&str>)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| ((*k).to_owned(), Value::from(v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_beside_the_tenants_own_line() {
        let tag = Tag {
            external_ref: "customers/kenton-azure-ad".into(),
            policy: "Orphan".into(),
            customer: "cus_1".into(),
            mode: "CreateNew".into(),
            code: Some("K7".into()),
        };
        let line = tag.line2(Some("Building 4"));
        assert_eq!(
            Tag::parse(&line),
            (Some("Building 4".into()), Some(tag.clone()))
        );
        assert_eq!(Tag::parse(&tag.line2(None)), (None, Some(tag)));
        assert_eq!(Tag::parse("Suite 5"), (Some("Suite 5".into()), None));
    }

    #[test]
    fn domain_candidates_follow_the_seed_rule() {
        assert_eq!(
            candidates("Kenton Electronics", Some("K7")),
            [
                "kentonelectronics.onmicrosoft.com",
                "kentonelectronicsk7.onmicrosoft.com"
            ]
        );
        assert_eq!(candidates("A & B", None), ["ab.onmicrosoft.com"]);
        assert!(candidates("!!", None).is_empty());
    }

    #[test]
    fn request_ids_are_stable_guids() {
        let a = guid_of("x");
        assert_eq!(a, guid_of("x"));
        assert_ne!(a, guid_of("y"));
        assert_eq!(a.len(), 36);
    }
}

//! Wire shapes shared by several portals: enumerated values, contacts, addresses, lists.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::{Address as PostalAddress, Contact};

/// A unit enum as its wire string.
pub(super) fn enum_str<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A contact on the wire: `{name, email, phone?}`.
pub(super) fn contact_json(contact: &Contact) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), contact.name.clone().into());
    m.insert("email".into(), contact.email.clone().into());
    if let Some(phone) = &contact.phone {
        m.insert("phone".into(), phone.clone().into());
    }
    Value::Object(m)
}

/// A postal address on the wire: `{line1, line2?, city, region?, postalCode?, country}`.
pub(super) fn address_json(address: &PostalAddress) -> Value {
    let mut m = Map::new();
    m.insert("line1".into(), address.line1.clone().into());
    if let Some(line2) = &address.line2 {
        m.insert("line2".into(), line2.clone().into());
    }
    m.insert("city".into(), address.city.clone().into());
    if let Some(region) = &address.region {
        m.insert("region".into(), region.clone().into());
    }
    if let Some(postal_code) = &address.postal_code {
        m.insert("postalCode".into(), postal_code.clone().into());
    }
    m.insert("country".into(), address.country.clone().into());
    Value::Object(m)
}

/// A list of strings on the wire.
pub(super) fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

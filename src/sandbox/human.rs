//! The sandbox's "human": what a person performing a work order reads back in the portal,
//! produced by the same rules the emulated portals follow (a generated customer code, the
//! `prp` personnel id, the onmicrosoft domain from the customer's name), so tests can drive
//! the manual provider's whole loop (`tenantry sandbox human`).

use serde_json::{Map, Value};

use super::fixtures::onmicrosoft;
use super::ids::customer_code;

/// The value a person reads back for `key` after performing an order on `kind_path`
/// (`daas/customers`) whose recorded spec is `spec`; `parent` is the parent's recorded spec.
/// None for a key no portal shows.
pub fn read_back(
    kind_path: &str,
    key: &str,
    spec: &Map<String, Value>,
    parent: Option<&Map<String, Value>>,
    seed: u64,
) -> Option<String> {
    let text = |map: &Map<String, Value>, field: &str| {
        map.get(field).and_then(Value::as_str).map(str::to_owned)
    };
    match (kind_path, key) {
        // The portal's generated code unless the declaration brought one.
        ("daas/customers", "code") => {
            let name = text(spec, "name")?;
            text(spec, "code").or_else(|| Some(customer_code(seed, &name, number(&name))))
        }
        // The customer's name in lower case without spaces (seed 000).
        ("daas/azure-ad", "onmicrosoftDomain") => {
            let name = text(parent?, "name")?;
            let label: String = name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            Some(onmicrosoft(&label))
        }
        // The portal prefixes the admin user name with `prp` (seed 001).
        ("contactcenter/tenants", "personnelId") => {
            Some(format!("prp{}", text(spec, "adminUser")?))
        }
        ("cloudlink/accounts", "accountId") => {
            let name = text(spec, "name")?;
            Some(format!(
                "CL-{}",
                customer_code(seed, &name, number(&name) + 1)
            ))
        }
        _ => None,
    }
}

/// A number from a name, so two customers of one run get different codes.
fn number(name: &str) -> i64 {
    name.bytes()
        .fold(7i64, |acc, b| (acc * 31 + i64::from(b)) % 1_000_003)
}

#[cfg(test)]
mod tests {
    use super::read_back;
    use serde_json::json;

    #[test]
    fn reads_back_what_the_portals_generate() {
        let customer = json!({"name": "Kenton Electronics"});
        let customer = customer.as_object().expect("object");
        let code = read_back("daas/customers", "code", customer, None, 0).expect("a code");
        assert!(code.starts_with("KEN") && code.len() == 7, "{code}");
        let none = serde_json::Map::new();
        assert_eq!(
            read_back(
                "daas/azure-ad",
                "onmicrosoftDomain",
                &none,
                Some(customer),
                0
            )
            .as_deref(),
            Some("kentonelectronics.onmicrosoft.com")
        );
        let cc = json!({"adminUser": "keAdmin"});
        assert_eq!(
            read_back(
                "contactcenter/tenants",
                "personnelId",
                cc.as_object().expect("o"),
                None,
                0
            )
            .as_deref(),
            Some("prpkeAdmin")
        );
    }
}

//! Teardown plans: the deletes that remove one object's portal objects, planned like any other
//! change so the engine runs them in dependency order (finalizers and prune alike).

use std::collections::BTreeSet;

use super::action::{Plan, Scope};
use super::diff::deletes_in_order;
use super::hash::plan_hash;
use crate::model::{Address, Observed};

/// The plan that deletes every observed object at `addresses` (duplicates included), children
/// before parents. Pure: the same observation gives the same plan and hash.
pub fn teardown(observed: &Observed, addresses: &BTreeSet<Address>) -> Plan {
    let objects = addresses
        .iter()
        .flat_map(|a| {
            observed
                .all_at(a.kind, &a.external_ref)
                .into_iter()
                .map(move |o| (a.kind, o))
        })
        .collect();
    let actions = deletes_in_order(objects);
    Plan {
        hash: plan_hash(&actions),
        actions,
        orphans: Vec::new(),
        pending: Vec::new(),
        unchanged: 0,
        outputs: Vec::new(),
        // Only the addresses given: nothing undeclared is reported.
        scope: Scope::Objects(BTreeSet::new()),
        observed: observed.len(),
        routing: Default::default(),
        drift: Vec::new(),
        accepted: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DeletionPolicy;
    use crate::model::{Kind, PortalObject};

    fn object(id: &str, external_ref: &str) -> PortalObject {
        PortalObject {
            id: id.to_owned(),
            external_ref: external_ref.to_owned(),
            deletion_policy: DeletionPolicy::Delete,
            version: 1,
            spec: Default::default(),
            status: Default::default(),
        }
    }

    #[test]
    fn children_first_duplicates_included_and_nothing_else() {
        let mut observed = Observed::new();
        observed.insert(Kind::DaasCustomer, object("c1", "customers/kenton"));
        observed.insert(Kind::AzureAd, object("a1", "customers/kenton-aad"));
        observed.insert(Kind::MicrosoftOnline, object("m1", "customers/kenton-m365"));
        observed.insert(Kind::MicrosoftOnline, object("m2", "customers/kenton-m365"));
        observed.insert(Kind::DaasCustomer, object("c9", "customers/other"));
        let addresses = BTreeSet::from([
            Address::new(Kind::DaasCustomer, "customers/kenton"),
            Address::new(Kind::AzureAd, "customers/kenton-aad"),
            Address::new(Kind::MicrosoftOnline, "customers/kenton-m365"),
            Address::new(Kind::Citrix, "customers/never-made"),
        ]);
        let plan = teardown(&observed, &addresses);
        let ids: Vec<&str> = plan
            .actions
            .iter()
            .filter_map(|a| a.id.as_deref())
            .collect();
        assert_eq!(ids, ["m1", "m2", "a1", "c1"]);
        assert_eq!(plan.hash, teardown(&observed, &addresses).hash);
        assert_eq!(plan.summary().destroy, 4);
    }
}

//! Property tests: no input makes a validator panic, output is sorted and deterministic, no
//! secret value leaks into a problem, and dependency cycles are found exactly.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use serde_json::Value;

use super::fixtures::{self, kenton};
use super::{Options, rule, validate, validate_with};
use crate::api::Problem;
use crate::api::{
    AzureAd, AzureAdMode, Citrix, CloudlinkGateway, CloudlinkPlatform, Declared, FileSharing,
    LicensedApp, Licenses, LocalRef, Located, Location, MicrosoftOnline, ServiceBinding,
    ServiceBindingSpec, Tenant,
};

/// A JSON leaf of an object: `(object number, JSON pointer)`.
type Leaf = (usize, String);

/// The objects of `d` as JSON, in a fixed order: tenants, admins, bindings, connections.
fn to_json(d: &Declared) -> Vec<Value> {
    let mut out = Vec::new();
    out.extend(
        d.tenants
            .iter()
            .map(|x| serde_json::to_value(&x.object).unwrap()),
    );
    out.extend(
        d.admins
            .iter()
            .map(|x| serde_json::to_value(&x.object).unwrap()),
    );
    out.extend(
        d.bindings
            .iter()
            .map(|x| serde_json::to_value(&x.object).unwrap()),
    );
    out.extend(
        d.connections
            .iter()
            .map(|x| serde_json::to_value(&x.object).unwrap()),
    );
    out
}

/// Rebuilds `d`'s objects from JSON; false when one no longer matches its type.
fn from_json(d: &mut Declared, values: &[Value]) -> bool {
    fn set<T: serde::de::DeserializeOwned>(list: &mut [Located<T>], values: &[Value]) -> bool {
        for (x, v) in list.iter_mut().zip(values) {
            match serde_json::from_value(v.clone()) {
                Ok(object) => x.object = object,
                Err(_) => return false,
            }
        }
        true
    }
    let (t, a, b) = (d.tenants.len(), d.admins.len(), d.bindings.len());
    set(&mut d.tenants, &values[..t])
        && set(&mut d.admins, &values[t..t + a])
        && set(&mut d.bindings, &values[t + a..t + a + b])
        && set(&mut d.connections, &values[t + a + b..])
}

/// Every string and number leaf of `v` under `path`.
fn leaves(
    v: &Value,
    path: String,
    object: usize,
    strings: &mut Vec<Leaf>,
    numbers: &mut Vec<Leaf>,
) {
    match v {
        Value::String(_) => strings.push((object, path)),
        Value::Number(_) => numbers.push((object, path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{path}/{i}"), object, strings, numbers);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let k = k.replace('~', "~0").replace('/', "~1");
                leaves(item, format!("{path}/{k}"), object, strings, numbers);
            }
        }
        _ => {}
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9@.+_ -]{0,24}",
        "\\PC{0,12}",
        Just(String::new()),
        (1usize..12_000).prop_map(|n| "é".repeat(n)),
        Just("+1".to_owned()),
        Just("a@b".to_owned()),
    ]
}

/// Applies the replacements one at a time, keeping those that still fit the types (an enum
/// field only takes its variants; the loader reports the rest as type errors).
fn mutate(
    strings: Vec<(prop::sample::Index, String)>,
    numbers: Vec<(prop::sample::Index, u64)>,
) -> Declared {
    let mut d = kenton();
    let mut values = to_json(&d);
    let (mut string_leaves, mut number_leaves) = (Vec::new(), Vec::new());
    for (i, v) in values.iter().enumerate() {
        leaves(v, String::new(), i, &mut string_leaves, &mut number_leaves);
    }
    let replacements = strings
        .into_iter()
        .map(|(i, s)| (i.get(&string_leaves).clone(), Value::String(s)))
        .chain(
            numbers
                .into_iter()
                .map(|(i, n)| (i.get(&number_leaves).clone(), Value::from(n))),
        );
    for ((object, pointer), new) in replacements {
        let Some(slot) = values[object].pointer_mut(&pointer) else {
            continue;
        };
        let old = std::mem::replace(slot, new);
        if !from_json(&mut d.clone(), &values) {
            *values[object].pointer_mut(&pointer).unwrap() = old;
        }
    }
    assert!(from_json(&mut d, &values));
    d
}

fn check_invariants(d: &Declared, options: &Options, problems: &[Problem]) {
    let mut sorted = problems.to_vec();
    sorted.sort();
    assert_eq!(problems, sorted.as_slice(), "problems are sorted");
    assert!(
        problems == validate_with(d, options).as_slice(),
        "validation is deterministic"
    );
    for p in problems {
        assert!(!p.message.is_empty());
        assert!(
            p.message.chars().count() < 1_000,
            "message stays readable: {}",
            p.message.chars().take(300).collect::<String>()
        );
        for secret in d.secrets.values() {
            if secret.expose().chars().count() >= 6 {
                assert!(!p.message.contains(secret.expose()), "secret leaked in {p}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary strings and numbers in every field of every kind never panic a validator.
    #[test]
    fn arbitrary_field_values_never_panic(
        strings in prop::collection::vec((any::<prop::sample::Index>(), any_text()), 0..24),
        numbers in prop::collection::vec((any::<prop::sample::Index>(), any::<u64>()), 0..4),
        admin_password in any_text(),
        cc_password in any_text(),
        require_secrets in any::<bool>(),
    ) {
        let mut d = mutate(strings, numbers);
        fixtures::set_secret(&mut d, "kenton-admin", &format!("Canary-{admin_password}"));
        fixtures::set_secret(&mut d, "kenton-cc", &format!("Canary-{cc_password}"));
        let options = Options { require_secrets };
        let problems = validate_with(&d, &options);
        check_invariants(&d, &options, &problems);
    }
}

/// One generated binding: (namespace, name, tenant, service, dependsOn).
type GenBinding = (usize, usize, usize, usize, Vec<usize>);

const NAMES: [&str; 8] = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "ghost"];

fn generated(bindings: &[GenBinding]) -> Declared {
    let mut d = kenton();
    d.bindings.clear();
    d.admins.clear();
    let base: Tenant = d.tenants[0].object.clone();
    d.tenants.clear();
    for (ns, name) in [("a", "t0"), ("a", "t1"), ("b", "t0")] {
        let mut t = base.clone();
        t.metadata.namespace = Some(ns.into());
        t.metadata.name = Some(name.into());
        d.tenants.push(Located {
            object: t,
            location: Location::default(),
        });
    }
    for (i, (ns, name, tenant, service, deps)) in bindings.iter().enumerate() {
        let mut spec = ServiceBindingSpec {
            tenant_ref: LocalRef {
                name: format!("t{tenant}"),
            },
            depends_on: deps
                .iter()
                .map(|&n| LocalRef {
                    name: NAMES[n].into(),
                })
                .collect(),
            azure_ad: None,
            microsoft_online: None,
            citrix: None,
            file_sharing: None,
            teams_connector: None,
            contact_center: None,
            licenses: None,
            sms: None,
            cloudlink_gateway: None,
            deletion_policy: None,
            management_policy: None,
            allow_replace: None,
            drift_policy: None,
            accepted_deviations: Vec::new(),
        };
        match service {
            0 => {
                spec.azure_ad = Some(Box::new(AzureAd {
                    mode: AzureAdMode::CreateNew,
                    existing_tenant_id: None,
                    accepted_by: None,
                }))
            }
            1 => spec.microsoft_online = Some(Box::new(MicrosoftOnline {})),
            2 => spec.citrix = Some(Box::new(Citrix::default())),
            3 => {
                spec.file_sharing = Some(Box::new(FileSharing {
                    drive_letter: "X".into(),
                }))
            }
            4 => {
                spec.licenses = Some(Box::new(Licenses {
                    app: LicensedApp::Chat,
                    assignments: vec![],
                }))
            }
            5 => {
                spec.cloudlink_gateway = Some(Box::new(CloudlinkGateway {
                    platform: CloudlinkPlatform::Va,
                }))
            }
            _ => {}
        }
        let object = ServiceBinding {
            metadata: kube::api::ObjectMeta {
                name: Some(NAMES[*name].into()),
                namespace: Some(["a", "b"][*ns].into()),
                ..Default::default()
            },
            spec,
            status: None,
        };
        d.bindings.push(Located {
            object,
            location: Location {
                file: "g.yaml".into(),
                line: i + 1,
            },
        });
    }
    d
}

/// The number of strongly connected components with a cycle, by brute-force reachability.
#[expect(
    clippy::needless_range_loop,
    reason = "Floyd-Warshall reads clearest with indices"
)]
fn cyclic_components(bindings: &[GenBinding]) -> usize {
    // The first declaration of each (namespace, name) takes part, as in the validator.
    let mut first: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, (ns, name, ..)) in bindings.iter().enumerate() {
        first.entry((*ns, *name)).or_insert(i);
    }
    let mut azure: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, (ns, name, tenant, service, _)) in bindings.iter().enumerate() {
        if *service == 0 && first[&(*ns, *name)] == i {
            azure.entry((*ns, *tenant)).or_insert(i);
        }
    }
    let n = bindings.len();
    let mut reach = vec![vec![false; n]; n];
    for (i, (ns, name, tenant, service, deps)) in bindings.iter().enumerate() {
        if first[&(*ns, *name)] != i {
            continue;
        }
        for &dep in deps {
            if let Some(&j) = first.get(&(*ns, dep)) {
                reach[i][j] = true;
            }
        }
        if *service == 1
            && let Some(&j) = azure.get(&(*ns, *tenant))
        {
            reach[i][j] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if reach[i][k] && reach[k][j] {
                    reach[i][j] = true;
                }
            }
        }
    }
    let mut components = BTreeSet::new();
    for i in 0..n {
        if reach[i][i] {
            let members: Vec<usize> = (0..n).filter(|&j| reach[i][j] && reach[j][i]).collect();
            components.insert(members);
        }
    }
    components.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary reference graphs: every cycle is reported exactly once, nothing panics.
    #[test]
    fn arbitrary_reference_graphs(
        bindings in prop::collection::vec(
            (0..2usize, 0..7usize, 0..3usize, 0..7usize, prop::collection::vec(0..NAMES.len(), 0..4)),
            0..24,
        ),
    ) {
        let d = generated(&bindings);
        let problems = validate(&d);
        check_invariants(&d, &Options::default(), &problems);
        let cycles: Vec<&Problem> = problems.iter().filter(|p| p.rule == rule::DEPENDENCY_CYCLE).collect();
        prop_assert_eq!(cycles.len(), cyclic_components(&bindings));
        for p in cycles {
            prop_assert!(p.message.contains(" → "), "{}", p.message);
        }
    }
}

//! The panic path: a panic message (`expect`, `{:?}` in an assertion, a panicking task) is
//! built from `Debug`, so every type that holds a secret must redact it in `Debug`. Each such
//! type is built here from canary values, shown to carry them, and formatted.

use tenantry::api::Sensitive;
use tenantry::engine::{Step, generate_secrets, steps};
use tenantry::manifest::{Input, LoadOptions, load};
use tenantry::model::{Observed, expand};
use tenantry::plan::{PlanOptions, plan};
use tenantry::portal::{ClientConfig, HttpPortal, WriteRequest};

use super::{Search, canary};
use crate::support::examples_copy;

#[test]
fn every_type_that_holds_a_secret_redacts_it_in_debug() {
    let (_tmp, dir) = examples_copy();
    let password = canary("Debug");
    let token = canary("DebugToken");
    let mut search = Search::default();
    search.secret("a declared password", password.as_str());
    search.secret("a portal token", token.as_str());
    std::fs::write(
        dir.join("customers/kenton-electronics/secrets.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: kenton-electronics-admin, namespace: customers}}\n\
             stringData:\n  password: \"{password}\"\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let loaded =
        load(&[Input::Path(dir)], &LoadOptions::default()).unwrap_or_else(|e| panic!("load: {e}"));
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
    let declared = &loaded.declared;
    assert!(
        declared.secrets.values().any(|s| s.expose() == password),
        "the canary was loaded"
    );
    let model = expand(declared).unwrap_or_else(|e| panic!("expand: {e}"));
    let observed = Observed::default();
    let plan = plan(&model, &observed, &PlanOptions::default());
    let (steps, mut known) = steps(&plan, &model, &observed);
    generate_secrets(&steps, &mut known);
    let generated: Vec<Sensitive> = known
        .generated
        .values()
        .flatten()
        .map(|(_, s)| s.clone())
        .collect();
    assert!(generated.len() >= 2, "the examples generate passwords");
    for (i, g) in generated.iter().enumerate() {
        search.secret(format!("generated password #{i}"), g.expose());
    }

    // The wire bodies do carry the secrets: the only place they are exposed.
    let mut requests = Vec::new();
    for step in &steps {
        let Some(resource) = step.resource().filter(|r| !r.secrets.is_empty()) else {
            continue;
        };
        let mine: Vec<(&str, &Sensitive)> = known
            .generated
            .get(&resource.address)
            .map(|v| v.iter().map(|(f, s)| (*f, s)).collect())
            .unwrap_or_default();
        let wire = resource
            .wire_spec(Some("parent-id"), &mine)
            .unwrap_or_else(|e| panic!("wire: {e}"));
        let exposed: Vec<Sensitive> = ["password", "passwordConfirmation"]
            .iter()
            .filter_map(|f| wire.as_map().get(*f)?.as_str().map(Sensitive::new))
            .collect();
        assert!(
            !exposed.is_empty(),
            "{} sends its password",
            resource.address
        );
        search.channel(
            format!("WireSpec of {}", resource.address),
            format!("{wire:?}"),
        );
        requests.push(WriteRequest {
            uid: "uid".to_owned(),
            external_ref: resource.address.external_ref.clone(),
            deletion_policy: resource.deletion_policy,
            spec: wire.as_map().clone(),
            secrets: exposed,
            secret_sources: Vec::new(),
        });
    }
    let wire_text = format!("{:?}", requests.iter().map(|r| &r.spec).collect::<Vec<_>>());
    assert!(
        wire_text.contains(&password) && generated.iter().all(|g| wire_text.contains(g.expose())),
        "the wire bodies carry every secret (so the search below can find one)"
    );

    let mut config = ClientConfig::new("canary", "http://127.0.0.1:9");
    config.token = Some(Sensitive::new(token.as_str()));
    let portal = HttpPortal::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let options = tenantry::controller::RunOptions {
        portal: Some("http://127.0.0.1:9".to_owned()),
        portal_token: Some(Sensitive::new(token.as_str())),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        settings: tenantry::controller::Settings::default(),
        concurrency: 1,
        lease: None,
        instance: None,
    };
    let resources: Vec<_> = steps.iter().filter_map(Step::resource).collect();
    for (name, text) in [
        (
            "Sensitive",
            format!("{:?}", Sensitive::new(password.as_str())),
        ),
        ("Loaded", format!("{loaded:?}")),
        ("Declared", format!("{declared:?}")),
        ("Model", format!("{model:?}")),
        ("Resource", format!("{resources:?}")),
        ("Plan", format!("{plan:?}")),
        ("Step", format!("{steps:?}")),
        ("Known", format!("{known:?}")),
        ("WriteRequest", format!("{requests:?}")),
        ("ClientConfig", format!("{config:?}")),
        ("HttpPortal", format!("{portal:?}")),
        ("RunOptions", format!("{options:?}")),
    ] {
        search.channel(format!("Debug of {name}"), text);
    }

    // And a real panic: its message is what a person or a log collector would see.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        panic!("apply failed for {declared:?} with {requests:?}");
    }));
    let message = panicked
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("apply failed"), "{message}");
    search.channel("a panic message", message);

    let hits = search.hits();
    assert!(hits.is_empty(), "secrets in Debug output: {hits:#?}");
}

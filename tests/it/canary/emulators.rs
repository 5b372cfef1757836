//! All five vendor APIs at once (issue 15): the examples applied through
//! `examples/connections/emulators.yaml`, every credential in it a canary (Partner Center's and
//! Graph's client secrets, ConnectToTeams' client secret and API password, CloudLink's API
//! password, TCR's API key and secret, the contract's token), the emulators registered to take
//! only those, and the calls through the recording proxy so the test knows every access and
//! refresh token the token endpoints issued and every password tenantry or a vendor generated
//! (Graph `passwordProfile`, Partner Center's `userCredentials`). None of them may appear in the
//! plan files (text, JSON, Markdown), stdout and trace logs of plan, apply, a second apply and
//! the converged plan, the files a run leaves beside its input, or the emulators' wire log.

use std::path::Path;

use rand::Rng;
use serde_json::{Value, json};
use tenantry::sandbox::SandboxConfig;

use super::wire::Wire;
use super::{Search, canary};
use crate::support::{Run, examples_copy, sandbox, tenantry_in as tenantry};
use crate::vendors::control;

/// The emulators' default address in the example file.
const ADDRESS: &str = "http://127.0.0.1:8480";

/// The example's placeholder credentials, each replaced by a canary: (placeholder, name).
const PLACEHOLDERS: [(&str, &str); 7] = [
    (
        "example-pc-client-secret-0000",
        "Partner Center client secret",
    ),
    ("example-graph-client-secret-0000", "Graph client secret"),
    ("example-client-secret-0000", "ConnectToTeams client secret"),
    ("example-api-password-0000", "ConnectToTeams API password"),
    ("example-mitel-password-0000", "CloudLink API password"),
    ("example-api-secret-0000", "TCR API secret"),
    ("sandbox-demo-token-0000", "contract token"),
];

/// Every string under a `password` key of `value`, at any depth.
pub(super) fn passwords(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("password", Value::String(s)) => out.push(s.clone()),
                    _ => passwords(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| passwords(v, out)),
        _ => {}
    }
}

/// Files where tenantry keeps a generated secret on purpose, by name: they must hold it and are
/// no channel: the Secret manifest the CLI saves for the admin password Partner Center
/// generates (the test asserts it holds that password).
const SECRET_STORES: [&str; 1] =
    [".tenantry/secrets/customers/kenton-electronics-microsoft-admin.yaml"];

/// Every file under `dir` but the input (`examples/`) and [`SECRET_STORES`], as (path, text).
fn files_beside_the_input(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.ends_with("examples") || SECRET_STORES.iter().any(|s| path.ends_with(s)) {
            continue;
        }
        if path.is_dir() {
            files_beside_the_input(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            out.push((path.display().to_string(), text));
        }
    }
}

/// The example's credentials, each a canary, and the TCR key.
pub(super) struct Credentials {
    /// (placeholder in the example, name, canary).
    secrets: Vec<(&'static str, &'static str, String)>,
    /// TCR's API key (upper-case letters and digits, as TCR issues them).
    tcr_key: String,
}

impl Credentials {
    pub(super) fn new() -> Self {
        let mut rng = rand::rng();
        let digits: String = (0..12)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        Self {
            secrets: PLACEHOLDERS
                .iter()
                .map(|(placeholder, name)| (*placeholder, *name, canary("Vendor")))
                .collect(),
            tcr_key: format!("CNRYKEY{digits}"),
        }
    }

    /// The canary named `name`.
    pub(super) fn value(&self, name: &str) -> String {
        self.secrets
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(_, _, v)| v.clone())
            .unwrap_or_default()
    }

    /// A sandbox whose emulators take these credentials only.
    pub(super) fn sandbox_config(&self) -> SandboxConfig {
        SandboxConfig::default()
            .with_oauth_client(
                "6f1c5a2e-0b7d-4c1e-9f3a-2d8e4b6a1c0f",
                self.value("Partner Center client secret"),
            )
            .with_oauth_client(
                "00000000-0000-4000-8000-000000000000",
                self.value("Graph client secret"),
            )
            .with_c2t_api_user(
                (
                    "tenantry-reseller",
                    &self.value("ConnectToTeams client secret"),
                ),
                "tenantry-api",
                self.value("ConnectToTeams API password"),
            )
            .with_mitel_api_user(
                "858000055",
                "api@northstar-msp.example",
                self.value("CloudLink API password"),
            )
            .with_tcr_api_key(&self.tcr_key, self.value("TCR API secret"))
    }

    /// `examples/connections/emulators.yaml` with these credentials and `url` for its address.
    pub(super) fn example(&self, url: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/connections/emulators.yaml");
        let mut text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        for (placeholder, _, canary) in &self.secrets {
            assert!(text.contains(placeholder), "{placeholder}");
            text = text.replace(&format!("\"{placeholder}\""), &format!("\"{canary}\""));
        }
        text.replace("EXAMPLEAPIKEY0000", &self.tcr_key)
            .replace(ADDRESS, url)
    }

    /// Adds every credential to `search`.
    pub(super) fn search_for(&self, search: &mut Search) {
        for (_, name, value) in &self.secrets {
            search.secret(*name, value.as_str());
        }
        search.secret("TCR API key", self.tcr_key.as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_vendor_credential_token_or_generated_password_reaches_any_channel() {
    let credentials = Credentials::new();
    let value = |name: &str| credentials.value(name);
    let tcr_key = credentials.tcr_key.clone();
    let config = credentials.sandbox_config();
    let sb = sandbox(config).await;
    crate::vendors::customers_approve_gdap_at_once(&sb).await;
    let wire = Wire::start(&sb.url()).await;
    // The people's steps, so that adoption, users and orders run too.
    for account in ["Kenton Electronics", "Meridian Dental Group"] {
        control(&sb, "/sandbox/mitel/accounts", &json!({"name": account})).await;
    }

    let (tmp, dir) = examples_copy();
    let file = dir.join("connections/emulators.yaml");
    let text = credentials.example(wire.url());
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));

    let input = [
        "-f",
        "examples/",
        "-f",
        "examples/connections/emulators.yaml",
    ];
    let with = |args: &[&'static str]| -> Vec<&'static str> {
        args.iter().copied().chain(input.iter().copied()).collect()
    };
    let mut runs: Vec<(String, Run)> = Vec::new();
    for (format, name) in [
        ("text", "plan.txt"),
        ("json", "plan.json"),
        ("markdown", "plan.md"),
    ] {
        let plan = tenantry(tmp.path(), &with(&["plan", "-o", format])).await;
        assert_eq!(plan.code, 2, "{}", plan.all());
        // What a pipeline keeps for review; searched below with every file of the run.
        std::fs::write(tmp.path().join(name), &plan.stdout).unwrap_or_else(|e| panic!("{e}"));
        runs.push((format!("plan -o {format}"), plan));
    }
    for name in ["apply", "a second apply"] {
        let apply = tenantry(tmp.path(), &with(&["apply", "--auto-approve"])).await;
        assert_eq!(apply.code, 0, "{name}: {}", apply.all());
        runs.push((name.to_owned(), apply));
    }
    let last = tenantry(tmp.path(), &with(&["plan", "-o", "json"])).await;
    runs.push(("the last plan".to_owned(), last));

    let mut search = Search::default();
    credentials.search_for(&mut search);

    // Every token the vendors' token endpoints issued, through the proxy.
    let exchanges = wire.exchanges();
    for endpoint in [
        "/northstar-msp.onmicrosoft.com/oauth2/token",
        "/oauth2/v2.0/token",
        "/c2t/oauth/token",
        "/mitel/authentication/2017-09-01/token",
    ] {
        assert!(
            exchanges
                .iter()
                .any(|e| e.path.ends_with(endpoint) && e.response.contains("access_token")),
            "no token was issued at {endpoint}: the search would prove nothing"
        );
    }
    // Each credential did go over the wire, in the form its API takes: a search for values
    // never sent would prove nothing.
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            super::base64_forms::encode(format!("{id}:{secret}").as_bytes())
        )
    };
    let in_header = [
        (
            "ConnectToTeams client secret",
            basic("tenantry-reseller", &value("ConnectToTeams client secret")),
        ),
        ("TCR API secret", basic(&tcr_key, &value("TCR API secret"))),
        (
            "contract token",
            format!("Bearer {}", value("contract token")),
        ),
    ];
    for (name, header) in in_header {
        assert!(
            exchanges.iter().any(|e| e.authorization == header),
            "{name} was never sent"
        );
    }
    for name in [
        "Partner Center client secret",
        "Graph client secret",
        "ConnectToTeams API password",
        "CloudLink API password",
    ] {
        let form = value(name).replace('!', "%21");
        assert!(
            exchanges.iter().any(|e| e.form.contains(&form)),
            "{name} was never sent"
        );
    }
    let issued = wire.issued_tokens();
    assert!(
        issued.iter().any(|t| t.starts_with("mitel-rt-")),
        "CloudLink issues refresh tokens"
    );
    for (i, token) in issued.iter().enumerate() {
        search.secret(format!("issued token #{i}"), token.as_str());
    }
    // Every password on the wire: declared, generated by tenantry (Graph) or by the vendor
    // (Partner Center's new customer admin, in the create's answer).
    let mut sent = Vec::new();
    for e in &exchanges {
        passwords(&e.request, &mut sent);
        if let Ok(answer) = serde_json::from_str::<Value>(&e.response) {
            passwords(&answer, &mut sent);
        }
    }
    sent.sort();
    sent.dedup();
    let pc_state = crate::sandbox::Client::new(&sb)
        .get("/sandbox/pc/state")
        .await;
    let pc_generated: Vec<&str> = pc_state.body["passwords"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !pc_generated.is_empty() && pc_generated.iter().all(|p| sent.iter().any(|s| s == p)),
        "Partner Center generated the new customer's admin password and answered it"
    );
    let kept = std::fs::read_to_string(tmp.path().join(SECRET_STORES[0]))
        .unwrap_or_else(|e| panic!("{}: {e}", SECRET_STORES[0]));
    assert!(
        pc_generated.iter().all(|p| kept.contains(p)),
        "the CLI kept Partner Center's admin password in its Secret manifest"
    );
    assert!(
        exchanges
            .iter()
            .any(|e| e.path.ends_with("/users")
                && e.request["passwordProfile"]["password"].is_string()),
        "Graph received the admins' passwords"
    );
    for (i, p) in sent.iter().enumerate() {
        search.secret(format!("password on the wire #{i}"), p.as_str());
    }
    // ConnectToTeams has no invitation code (the consent URL is shown on purpose,
    // docs/providers.md); the contract's TeamMate codes would be in the outbox.
    for email in sb.outbox(None).await {
        if let Some(code) = email.data["invitationCode"].as_str() {
            search.secret("an invitation code", code);
        }
    }

    assert!(
        runs.iter().all(|(_, r)| r.stderr.contains("TRACE")),
        "every run logged at trace level"
    );
    for (name, run) in runs {
        search.channel(format!("{name} (stdout)"), run.stdout);
        search.channel(format!("{name} (stderr, trace logs)"), run.stderr);
    }
    let mut files = Vec::new();
    files_beside_the_input(tmp.path(), &mut files);
    assert!(files.len() >= 3, "the plan files: {files:?}");
    for (path, text) in files {
        search.channel(format!("file {path}"), text);
    }
    for vendor in ["pc", "graph", "c2t", "mitel", "tcr"] {
        let log = serde_json::to_string(&sb.wire_requests(vendor)).unwrap_or_default();
        search.channel(format!("the {vendor} emulator's wire log"), log);
    }
    let (n_secrets, n_channels) = search.size();
    assert!(
        n_secrets >= 20 && n_channels >= 20,
        "{n_secrets} secrets, {n_channels} channels"
    );
    let hits = search.hits();
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
}

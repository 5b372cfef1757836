//! What `plan` and `apply` share: read and check the input, pick the portal, observe it, plan.
//!
//! One model → plan → engine path (DESIGN.md §3): the controller calls the same functions.

use std::path::{Path, PathBuf};

use tenantry::api::ConnectionApi;
use tenantry::api::Severity;
use tenantry::api::{Declared, PortalConnection, Sensitive};
use tenantry::engine;
use tenantry::manifest::{self, Input, LoadOptions};
use tenantry::model::Kind;
use tenantry::model::{self, Model, Observed};
use tenantry::plan::{Applied, Plan, PlanOptions, Routing, Scope, Via};
use tenantry::portal::manual::{self, ManualPortal};
use tenantry::portal::{Connection, PortalClient, Route, Routes, from_connection, secret_key};
use tenantry::sandbox::{Fixtures, Sandbox, SandboxConfig};
use tenantry::validate::{self, Options};

use super::CliError;

/// Where the input is and which portal to use; shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Manifest files or directories (recursive); `-` reads standard input.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<String>,
    /// Namespace of objects that declare none.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// URL of the portal contract; the token comes from TENANTRY_PORTAL_TOKEN. Without it, the
    /// PortalConnection the Tenants name (`default` when none) must be in the input; the
    /// embedded sandbox is used only when no Tenant names a connection and none is declared.
    #[arg(long, value_name = "URL", env = "TENANTRY_PORTAL")]
    pub portal: Option<String>,
    /// Directory of the embedded sandbox's state.
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    pub state_dir: PathBuf,
    /// Delete portal objects whose declaration is gone and whose recorded deletionPolicy is
    /// Delete (without it they are listed as orphaned).
    #[arg(long)]
    pub prune: bool,
    /// Which portal objects the plan covers: every object tenantry created on the connection
    /// (undeclared ones are orphans, or deleted with --prune), or only those of the input's
    /// namespaces (for a repository split by namespace that shares a connection).
    #[arg(long, value_enum, default_value_t = ScopeArg::Connection)]
    pub scope: ScopeArg,
}

/// Values of `--scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScopeArg {
    /// Every portal object on the connection whose recorded externalRef names a declaring object.
    Connection,
    /// Only the portal objects of the namespaces the input declares objects in.
    Namespaces,
}

/// The portal a run talks to; keeps an embedded sandbox alive for the run.
pub struct Target {
    /// The client.
    pub portal: PortalClient,
    /// What it is, for messages: a URL, or the embedded sandbox's state file.
    pub description: String,
    /// The connections behind `portal`, in routing order (named for the plan).
    pub routes: Vec<Route>,
    /// The clients of its manual connections (attestation is per connection, not per kind).
    pub manual: Vec<ManualPortal>,
    _sandbox: Option<Sandbox>,
}

impl Target {
    /// The connection serving each kind of `plan` and `model`, for the plan to show.
    pub fn routing(&self, model: &Model, plan: &Plan) -> Routing {
        let kinds = model
            .resources()
            .iter()
            .map(|r| r.address.kind)
            .chain(plan.actions.iter().map(|a| a.address.kind))
            .chain(plan.orphans.iter().map(|o| o.address.kind));
        kinds
            .filter_map(|kind| {
                let route = Routes::serving(&self.routes, kind.portal(), kind.name())?;
                let via = Via {
                    connection: route.name.clone(),
                    api: route.api.name().to_owned(),
                };
                Some((kind, via))
            })
            .collect()
    }

    /// The manual connection serving `kind`, if the routing table sends it to one.
    pub fn manual_connection(&self, kind: Kind) -> Option<String> {
        Routes::serving(&self.routes, kind.portal(), kind.name())
            .filter(|r| r.api == ConnectionApi::Manual)
            .map(|r| r.name.clone())
    }

    /// The line a run starts with when it talks to the embedded sandbox, not a real portal.
    pub fn embedded_notice(&self) -> Option<String> {
        self._sandbox.as_ref().map(|_| {
            format!(
                "Using {}: the input names no PortalConnection and no --portal was given.",
                self.description
            )
        })
    }
}

/// Everything a plan was computed from.
pub struct Session {
    /// Their portal resources.
    pub model: Model,
    /// What the portals hold.
    pub observed: Observed,
    /// The plan.
    pub plan: Plan,
    /// The portal.
    pub target: Target,
    /// The input's NotificationSinks and the Secrets they name (for `--notify`).
    pub notify: Declared,
    /// What the CLI last applied (tells drift from declared changes).
    pub applied: Applied,
    /// The `Attest` orders of the manual connections: open, or due now (apply issues them).
    pub attestations: Vec<manual::WorkOrder>,
}

/// Reads the input and stops with every problem when it is invalid (warnings are printed).
pub fn load(args: &InputArgs) -> Result<Declared, CliError> {
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::from_arg(p)).collect();
    let options = LoadOptions {
        namespace: args.namespace.clone(),
    };
    let mut loaded = manifest::load(&inputs, &options)?;
    manifest::fill_secrets_from_env(&mut loaded.declared, |name| std::env::var(name).ok());
    let problems = manifest::problems(
        &loaded,
        &Options {
            require_secrets: true,
        },
    );
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    for p in &problems {
        eprintln!("{p}");
    }
    if errors > 0 {
        return Err(CliError::InvalidInput { errors });
    }
    // An empty input is a plan like any other: it lists what the connection holds as orphans
    // (and, with --prune, plans their deletes, behind the mass-deletion guard).
    if loaded.declared.is_empty() {
        eprintln!(
            "note: the input declares no Tenant, TenantAdmin or ServiceBinding; the plan lists \
             what tenantry created on the connection as no longer declared"
        );
    }
    Ok(loaded.declared)
}

/// Connects to the portal named by the arguments or the input, or starts the embedded sandbox.
pub async fn target(args: &InputArgs, declared: &Declared) -> Result<Target, CliError> {
    select_target(args.portal.as_deref(), &args.state_dir, declared).await
}

/// The portal at `url` (token from TENANTRY_PORTAL_TOKEN), else the PortalConnection the
/// Tenants name (`default` when they name none) from `declared`, else — only when no Tenant
/// names a connection — the embedded sandbox with its state in `state_dir`.
pub async fn select_target(
    url: Option<&str>,
    state_dir: &Path,
    declared: &Declared,
) -> Result<Target, CliError> {
    if let Some(url) = url {
        let token = std::env::var("TENANTRY_PORTAL_TOKEN")
            .ok()
            .map(Sensitive::new);
        return connect(&Connection::contract("cli", url, token));
    }
    // The connection every Tenant names (`default` when it names none). A named connection
    // must be in the input: falling back to the sandbox would "apply" real customers to it.
    let mut named: Vec<&str> = declared
        .tenants
        .iter()
        .filter_map(|t| t.object.spec.portal_connection_ref.as_ref())
        .map(|r| r.name.as_str())
        .collect();
    named.sort_unstable();
    named.dedup();
    let wanted = match named.as_slice() {
        [] => "default",
        [one] => one,
        several => {
            return Err(CliError::SeveralConnections {
                names: several.iter().map(|n| (*n).to_owned()).collect(),
            });
        }
    };
    if let Some(conn) = declared
        .connections
        .iter()
        .find(|c| c.object.metadata.name.as_deref() == Some(wanted))
    {
        return named_connection(&conn.object, declared, state_dir);
    }
    if !named.is_empty() {
        return Err(CliError::ConnectionNotFound {
            name: wanted.to_owned(),
        });
    }
    // The state holds the outbox and idempotency records: owner-only (sandbox::state_dir).
    let db = tenantry::sandbox::state_dir(state_dir)?;
    // A token of this run only: the loopback port is open to every local user while it runs.
    let token: String = {
        use rand::Rng;
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect()
    };
    let mut config = SandboxConfig::default()
        .with_db(db.to_string_lossy().into_owned())
        .with_time_scale(EMBEDDED_TIME_SCALE)
        .with_fixtures(Fixtures::demo());
    config.tokens = Some(vec![Sensitive::new(token.clone())]);
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|source| CliError::SandboxStart {
            which: "embedded",
            state: db.display().to_string(),
            source: Box::new(source),
        })?;
    let mut target = connect(&Connection::contract(
        "sandbox",
        &sandbox.url(),
        Some(Sensitive::new(token)),
    ))?;
    target.description = format!("the embedded sandbox ({})", db.display());
    for route in &mut target.routes {
        "the embedded sandbox".clone_into(&mut route.name);
    }
    target._sandbox = Some(sandbox);
    Ok(target)
}

/// Time scale of the embedded sandbox: Azure AD's 2–3 minutes take about 2 seconds.
const EMBEDDED_TIME_SCALE: f64 = 0.01;

/// The Tenants' PortalConnection and its `spec.delegates`, each with its credentials from
/// the input (Secret manifests or TENANTRY_SECRET_* variables), behind one routing client.
fn named_connection(
    conn: &PortalConnection,
    declared: &Declared,
    state_dir: &Path,
) -> Result<Target, CliError> {
    let mut chain = vec![conn];
    for delegate in &conn.spec.delegates {
        let found = declared
            .connections
            .iter()
            .find(|c| c.object.metadata.name.as_deref() == Some(delegate.name.as_str()))
            .ok_or_else(|| CliError::ConnectionNotFound {
                name: delegate.name.clone(),
            })?;
        chain.push(&found.object);
    }
    let mut routes = Vec::new();
    let mut shown = Vec::new();
    let mut manual_clients = Vec::new();
    for resource in chain.iter().copied() {
        let connection = resolve(resource, declared)?;
        let client = if connection.api == ConnectionApi::Manual {
            // A person is the portal: the orders and confirmations live in the state dir.
            // An unreadable attestEvery was refused by validation already.
            let every = resource
                .spec
                .attest_every()
                .unwrap_or(Some(manual::DEFAULT_ATTEST_EVERY));
            let client = ManualPortal::new(&connection.name, &state_dir.join(manual::STATE_FILE))
                .attest_every(every);
            manual_clients.push(client.clone());
            PortalClient::new(client)
        } else {
            from_connection(&connection).map_err(|source| CliError::PortalClient {
                target: describe(resource),
                source: Box::new(source),
            })?
        };
        shown.push(describe(resource));
        routes.push(Route::new(&connection, client));
    }
    let served: Vec<tenantry::api::Portal> =
        chain.iter().flat_map(|c| c.spec.served_portals()).collect();
    let mut unserved: Vec<&str> = declared
        .tenants
        .iter()
        .flat_map(|t| &t.object.spec.portals)
        .filter(|p| !served.contains(p))
        .map(|p| p.id())
        .collect();
    unserved.sort_unstable();
    unserved.dedup();
    if !unserved.is_empty() {
        return Err(CliError::PortalNotServed {
            portals: unserved.into_iter().map(str::to_owned).collect(),
            tried: chain
                .iter()
                .map(|c| c.metadata.name.clone().unwrap_or_default())
                .collect(),
        });
    }
    Ok(Target {
        portal: Routes::client(routes.clone()),
        description: shown.join(", "),
        routes,
        manual: manual_clients,
        _sandbox: None,
    })
}

/// "PortalConnection NAME (URL)", and its API when it is not the contract.
fn describe(conn: &PortalConnection) -> String {
    let name = conn.metadata.name.as_deref().unwrap_or_default();
    if conn.spec.api == ConnectionApi::Manual {
        format!("PortalConnection {name} (api manual: work orders for a person)")
    } else if conn.spec.api.is_default() {
        format!("PortalConnection {name} ({})", conn.spec.url)
    } else {
        format!(
            "PortalConnection {name} (api {}, {})",
            conn.spec.api, conn.spec.url
        )
    }
}

/// A connection with every credential it names, or the error naming the missing one.
fn resolve(conn: &PortalConnection, declared: &Declared) -> Result<Connection, CliError> {
    let mut secrets = std::collections::BTreeMap::new();
    for (field, r) in conn.spec.secret_refs() {
        let key = secret_key(r);
        let value = declared.secrets.get(&key).cloned().or_else(|| {
            std::env::var(validate::secret_env_var(&key))
                .ok()
                .map(Sensitive::new)
        });
        match value {
            Some(v) => {
                secrets.insert(key, v);
            }
            None if field == "spec.credentialsSecretRef" => {
                return Err(CliError::MissingConnectionToken {
                    env_var: validate::secret_env_var(&key),
                    namespace: key.namespace,
                    name: key.name,
                    key: key.key,
                });
            }
            None => {
                return Err(CliError::MissingConnectionSecret {
                    connection: conn.metadata.name.clone().unwrap_or_default(),
                    field: field.to_owned(),
                    env_var: validate::secret_env_var(&key),
                    secret: format!("{}/{} key {}", key.namespace, key.name, key.key),
                });
            }
        }
    }
    // Every key was just resolved, so this cannot miss one.
    Connection::resolve(conn, &secrets).map_err(|missing| CliError::MissingConnectionSecret {
        connection: conn.metadata.name.clone().unwrap_or_default(),
        field: missing.field.to_owned(),
        env_var: validate::secret_env_var(&missing.key),
        secret: format!(
            "{}/{} key {}",
            missing.key.namespace, missing.key.name, missing.key.key
        ),
    })
}

fn connect(connection: &Connection) -> Result<Target, CliError> {
    let portal = from_connection(connection).map_err(|source| CliError::PortalClient {
        target: connection.url.clone(),
        source: Box::new(source),
    })?;
    // Named by its URL: `--portal` and the embedded sandbox are not PortalConnections.
    let route = Route {
        name: connection.url.clone(),
        api: connection.api,
        portals: connection.portals.clone(),
        client: portal.clone(),
    };
    Ok(Target {
        portal,
        description: connection.url.clone(),
        routes: vec![route],
        manual: Vec::new(),
        _sandbox: None,
    })
}

/// Loads, checks, connects, observes and plans.
pub async fn open(args: &InputArgs) -> Result<Session, CliError> {
    let declared = load(args)?;
    let model = model::expand(&declared).map_err(CliError::Expand)?;
    let target = target(args, &declared).await?;
    let applied = super::drift::load(&args.state_dir, &target.description)?;
    let options = PlanOptions {
        prune: args.prune,
        scope: match args.scope {
            ScopeArg::Connection => Scope::Everything,
            ScopeArg::Namespaces => Scope::namespaces_of(&model),
        },
        applied: applied.clone(),
        now: jiff::Timestamp::now(),
    };
    let (observed, plan) = engine::observe_and_plan(&target.portal, &model, &options)
        .await
        .map_err(|source| CliError::PortalUnreachable {
            doing: "read the current state from",
            target: target.description.clone(),
            source: Box::new(source),
        })?;
    let routing = target.routing(&model, &plan);
    let mut attestations = Vec::new();
    for client in &target.manual {
        attestations.extend(client.attestations(jiff::Timestamp::now()).await.map_err(
            |source| CliError::PortalUnreachable {
                doing: "read the work orders of",
                target: target.description.clone(),
                source: Box::new(source),
            },
        )?);
    }
    Ok(Session {
        plan: plan.routed(routing),
        model,
        observed,
        target,
        notify: sinks_of(&declared),
        applied,
        attestations,
    })
}

/// The sinks of `declared` and only the Secrets they name.
fn sinks_of(declared: &Declared) -> Declared {
    let keys: Vec<_> = declared
        .sinks
        .iter()
        .flat_map(|s| s.object.spec.secret_refs())
        .map(|(_, r)| secret_key(r))
        .collect();
    Declared {
        sinks: declared.sinks.clone(),
        secrets: declared
            .secrets
            .iter()
            .filter(|(k, _)| keys.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..Declared::default()
    }
}
impl Session {
    /// The work orders this plan's apply would issue on manual connections, in plan order.
    pub fn work_orders(&self) -> Vec<manual::WorkOrder> {
        let mut orders = manual::planned_orders(&self.plan, &self.model, &self.observed, |kind| {
            self.target.manual_connection(kind)
        });
        // Attestations change nothing in the plan: the objects stay as they are.
        orders.extend(self.attestations.iter().cloned());
        orders
    }

    /// Issues the due `Attest` orders of every manual connection; returns the newly issued.
    pub async fn issue_attestations(&self) -> Result<Vec<manual::WorkOrder>, CliError> {
        let mut issued = Vec::new();
        for client in &self.target.manual {
            client
                .attest(jiff::Timestamp::now())
                .await
                .map_err(|source| CliError::PortalUnreachable {
                    doing: "record the work orders of",
                    target: self.target.description.clone(),
                    source: Box::new(source),
                })?;
            issued.extend(
                client
                    .take_issued()
                    .into_iter()
                    .filter(|o| o.action == manual::OrderAction::Attest),
            );
        }
        Ok(issued)
    }
}

/// The plan's work orders as a text section (empty when there are none).
pub fn work_orders_text(orders: &[manual::WorkOrder]) -> String {
    if orders.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nWork orders this apply would issue ({}; a person performs each, then `tenantry confirm`):\n",
        orders.len()
    );
    for order in orders {
        out.push_str("  ");
        out.push_str(&order.summary_line());
        out.push('\n');
    }
    out
}

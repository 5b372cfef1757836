//! What `plan` and `apply` share: read and check the input, pick the portal, observe it, plan.
//!
//! One model → plan → engine path (DESIGN.md §3): the controller calls the same functions.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::api::Severity;
use crate::api::{Declared, PortalConnection, Sensitive};
use crate::engine;
use crate::manifest::{self, Input, LoadOptions};
use crate::model::{self, Kind, Model, Observed};
use crate::plan::{self, Plan, PlanOptions, Scope};
use crate::portal::{ClientConfig, HttpPortal};
use crate::sandbox::{Fixtures, Sandbox, SandboxConfig};
use crate::validate::{self, Options};

/// Where the input is and which portal to use; shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Manifest files or directories (recursive); `-` reads standard input.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<String>,
    /// Namespace of objects that declare none.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// URL of the portal contract; the token comes from TENANTRY_PORTAL_TOKEN. Without it, a
    /// PortalConnection named `default` in the input is used, else the embedded sandbox.
    #[arg(long, value_name = "URL", env = "TENANTRY_PORTAL")]
    pub portal: Option<String>,
    /// Directory of the embedded sandbox's state.
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    pub state_dir: PathBuf,
    /// Delete portal objects whose declaration is gone and whose recorded deletionPolicy is
    /// Delete (without it they are listed as orphaned).
    #[arg(long)]
    pub prune: bool,
}

/// The portal a run talks to; keeps an embedded sandbox alive for the run.
pub struct Target {
    /// The client.
    pub portal: HttpPortal,
    /// What it is, for messages: a URL, or the embedded sandbox's state file.
    pub description: String,
    _sandbox: Option<Sandbox>,
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
}

/// Reads the input and stops with every problem when it is invalid (warnings are printed).
pub fn load(args: &InputArgs) -> anyhow::Result<Declared> {
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::from_arg(p)).collect();
    let options = LoadOptions {
        namespace: args.namespace.clone(),
    };
    let mut loaded = manifest::load(&inputs, &options)?;
    manifest::fill_secrets_from_env(&mut loaded.declared, |name| std::env::var(name).ok());
    let mut problems = loaded.problems;
    problems.extend(validate::validate_with(
        &loaded.declared,
        &Options {
            require_secrets: true,
        },
    ));
    problems.sort();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    for p in &problems {
        eprintln!("{p}");
    }
    if errors > 0 {
        bail!(
            "the input has {errors} error(s); fix them (tenantry validate -f ... lists them) and run again"
        );
    }
    if loaded.declared.is_empty() {
        bail!("the input declares no Tenant, TenantAdmin or ServiceBinding");
    }
    Ok(loaded.declared)
}

/// Connects to the portal named by the arguments or the input, or starts the embedded sandbox.
pub async fn target(args: &InputArgs, declared: &Declared) -> anyhow::Result<Target> {
    select_target(args.portal.as_deref(), &args.state_dir, declared).await
}

/// The portal at `url` (token from TENANTRY_PORTAL_TOKEN), else the PortalConnection named
/// `default` in `declared`, else the embedded sandbox with its state in `state_dir`.
pub async fn select_target(
    url: Option<&str>,
    state_dir: &Path,
    declared: &Declared,
) -> anyhow::Result<Target> {
    if let Some(url) = url {
        let token = std::env::var("TENANTRY_PORTAL_TOKEN")
            .ok()
            .map(Sensitive::new);
        return connect("cli", url, token, None);
    }
    if let Some(conn) = declared
        .connections
        .iter()
        .find(|c| c.object.metadata.name.as_deref() == Some("default"))
    {
        return from_connection(&conn.object, declared);
    }
    // The state holds the outbox and idempotency records: owner-only (sandbox::state_dir).
    let db = crate::sandbox::state_dir(state_dir)?;
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
        .with_context(|| format!("cannot start the embedded sandbox on {}", db.display()))?;
    let mut target = connect("sandbox", &sandbox.url(), Some(Sensitive::new(token)), None)?;
    target.description = format!("the embedded sandbox ({})", db.display());
    target._sandbox = Some(sandbox);
    Ok(target)
}

/// Time scale of the embedded sandbox: Azure AD's 2–3 minutes take about 2 seconds.
const EMBEDDED_TIME_SCALE: f64 = 0.01;

fn from_connection(conn: &PortalConnection, declared: &Declared) -> anyhow::Result<Target> {
    let token = match &conn.spec.credentials_secret_ref {
        None => None,
        Some(r) => {
            let key = crate::api::SecretKey {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                key: r.key.clone(),
            };
            let token = declared.secrets.get(&key).cloned().or_else(|| {
                std::env::var(validate::secret_env_var(&key))
                    .ok()
                    .map(Sensitive::new)
            });
            match token {
                Some(t) => Some(t),
                None => bail!(
                    "PortalConnection default: the token Secret {}/{} key {} is not in the input; \
                     add the Secret manifest or set {}",
                    key.namespace,
                    key.name,
                    key.key,
                    validate::secret_env_var(&key)
                ),
            }
        }
    };
    let mut target = connect("default", &conn.spec.url, token, Some(conn))?;
    target.description = format!("PortalConnection default ({})", conn.spec.url);
    Ok(target)
}

fn connect(
    name: &str,
    url: &str,
    token: Option<Sensitive>,
    conn: Option<&PortalConnection>,
) -> anyhow::Result<Target> {
    let mut config = ClientConfig::new(name, url);
    config.token = token;
    if let Some(conn) = conn {
        config.rate_limit = conn.spec.rate_limit.clone();
        config.timeout = std::time::Duration::from_secs(u64::from(conn.spec.timeout_seconds));
    }
    let portal = HttpPortal::new(config).context("cannot set up the portal client")?;
    Ok(Target {
        portal,
        description: url.to_owned(),
        _sandbox: None,
    })
}

/// Loads, checks, connects, observes and plans.
pub async fn open(args: &InputArgs) -> anyhow::Result<Session> {
    let declared = load(args)?;
    let model = model::expand(&declared).context("cannot expand the input into portal objects")?;
    let target = target(args, &declared).await?;
    let scope = Scope::namespaces_of(&model);
    let ns: Vec<String> = match &scope {
        Scope::Namespaces(set) => set.iter().cloned().collect(),
        Scope::Everything => Vec::new(),
    };
    let observed = engine::observe(&target.portal, &Kind::ALL, &ns)
        .await
        .with_context(|| format!("cannot read the current state from {}", target.description))?;
    let plan = plan::plan(
        &model,
        &observed,
        &PlanOptions {
            prune: args.prune,
            scope,
        },
    );
    Ok(Session {
        model,
        observed,
        plan,
        target,
    })
}

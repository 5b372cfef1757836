//! `tenantry sandbox`: runs the embedded portal emulator until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tenantry::sandbox::{FaultConfig, FaultRule, Fixtures, Sandbox, SandboxConfig};

use super::CliError;
use tenantry::api::{Sensitive, clip_quoted};

/// Arguments of `tenantry sandbox`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// A helper of the sandbox instead of the emulator.
    #[command(subcommand)]
    helper: Option<Helper>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        default_value = "127.0.0.1:8480",
        env = "TENANTRY_SANDBOX_LISTEN"
    )]
    listen: SocketAddr,
    /// SQLite file holding the portals' state (survives restarts), or `:memory:`.
    #[arg(long, default_value = ":memory:", env = "TENANTRY_SANDBOX_DB")]
    db: String,
    /// Multiplier of the vendors' durations: 1 is real time, 0.02 turns Azure AD's 2-3 minutes
    /// into 3 seconds, 0.0001 into milliseconds.
    #[arg(long, default_value_t = 0.02)]
    time_scale: f64,
    /// Seed of generated ids, codes and injected faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Accept only this bearer token (repeatable), on the contract and on the /sandbox
    /// control endpoints; any non-empty token when absent. Prefer the environment variable
    /// (comma-separated): a command line is visible to every local user.
    #[arg(
        long = "token",
        value_parser = parse_token,
        env = "TENANTRY_SANDBOX_TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    tokens: Vec<Sensitive>,
    /// OAuth2 client the identity endpoint (/{tenant}/oauth2/v2.0/token) accepts, as
    /// ID:SECRET (repeatable, or comma-separated in the variable); any client id with a
    /// non-empty secret when absent.
    #[arg(
        long = "oauth-client",
        value_parser = parse_client,
        env = "TENANTRY_SANDBOX_OAUTH_CLIENT",
        value_delimiter = ',',
        hide_env_values = true
    )]
    oauth_clients: Vec<(String, Sensitive)>,
    /// Nominal lifetime of issued access tokens in seconds (scaled by --time-scale).
    #[arg(long, default_value_t = 3600)]
    token_lifetime_secs: u64,
    /// YAML or JSON file of fixtures: resellerAccounts, reservedDomains, dids, campaigns, offPeak
    /// (the demo inventory when absent: see docs/portal-contract.md).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// YAML or JSON file of fault rules (the body of PUT /sandbox/faults).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Added latency of every contract request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Share (0 to 1) of contract requests answered with a 5xx.
    #[arg(long, default_value_t = 0.0)]
    fault_server_error: f64,
    /// Share (0 to 1) of contract requests answered with 429 and Retry-After.
    #[arg(long, default_value_t = 0.0)]
    fault_rate_limit: f64,
    /// Share (0 to 1) of contract requests whose connection is closed without an answer.
    #[arg(long, default_value_t = 0.0)]
    fault_drop: f64,
    /// Share (0 to 1) of long-running operations that fail.
    #[arg(long, default_value_t = 0.0)]
    fault_fail_operations: f64,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// How long idempotency keys are remembered, in seconds.
    #[arg(long, default_value_t = 24 * 60 * 60)]
    idempotency_ttl_secs: u64,
}

/// Helpers of `tenantry sandbox`.
#[derive(Debug, clap::Subcommand)]
pub enum Helper {
    /// Perform every open work order of manual connections like a person would, and confirm
    /// it with the values the portal shows (tests; docs/manual-steps.md).
    Human(super::human::Args),
}

/// A `--token` value, held as `Sensitive` so that `Debug` of the arguments never shows it.
fn parse_token(value: &str) -> Result<Sensitive, String> {
    if value.trim().is_empty() {
        return Err("a token cannot be empty".to_owned());
    }
    Ok(Sensitive::new(value))
}

/// An `--oauth-client ID:SECRET` value, the secret held as `Sensitive`.
fn parse_client(value: &str) -> Result<(String, Sensitive), String> {
    match value.split_once(':') {
        Some((id, secret)) if !id.trim().is_empty() && !secret.is_empty() => {
            Ok((id.trim().to_owned(), Sensitive::new(secret)))
        }
        _ => Err("expected CLIENT_ID:CLIENT_SECRET".to_owned()),
    }
}

/// Reads the YAML or JSON file given with `flag`.
fn read_yaml<T: serde::de::DeserializeOwned>(
    flag: &'static str,
    path: &PathBuf,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        doing: "read",
        path: path.clone(),
        source,
    })?;
    serde_yaml::from_str(&text).map_err(|source| CliError::Parse {
        flag,
        path: path.clone(),
        // The YAML crate quotes offending values whole; a file can hold megabytes of one.
        reason: clip_quoted(&source.to_string()).into_owned(),
    })
}

impl Args {
    fn config(self) -> Result<SandboxConfig, CliError> {
        let fixtures: Fixtures = match &self.fixtures {
            Some(path) => read_yaml("--fixtures", path)?,
            None => Fixtures::demo(),
        };
        let mut faults: FaultConfig = match &self.faults {
            Some(path) => {
                let faults: FaultConfig = read_yaml("--faults", path)?;
                // The rules PUT /sandbox/faults applies: a file is refused where a PUT would be.
                faults.check().map_err(|e| CliError::Parse {
                    flag: "--faults",
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                faults
            }
            None => FaultConfig::default(),
        };
        for (name, p) in [
            ("--fault-server-error", self.fault_server_error),
            ("--fault-rate-limit", self.fault_rate_limit),
            ("--fault-drop", self.fault_drop),
            ("--fault-fail-operations", self.fault_fail_operations),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(CliError::InvalidFlag {
                    flag: name,
                    expected: "a share from 0 to 1",
                });
            }
        }
        let shortcut = FaultRule {
            latency_ms: self.fault_latency_ms,
            server_error: self.fault_server_error,
            rate_limit: self.fault_rate_limit,
            retry_after_seconds: 1,
            drop_connection: self.fault_drop,
            fail_operations: self.fault_fail_operations,
            ..FaultRule::default()
        };
        if shortcut
            != (FaultRule {
                retry_after_seconds: 1,
                ..FaultRule::default()
            })
        {
            faults.rules.push(shortcut);
        }
        if !(self.time_scale.is_finite() && self.time_scale >= 0.0) {
            return Err(CliError::InvalidFlag {
                flag: "--time-scale",
                expected: "a number ≥ 0",
            });
        }
        let mut config = SandboxConfig {
            listen: self.listen,
            db: self.db,
            seed: self.seed,
            time_scale: self.time_scale,
            body_limit: self.body_limit,
            idempotency_ttl: Duration::from_secs(self.idempotency_ttl_secs),
            faults,
            fixtures,
            ..SandboxConfig::default()
        };
        if !self.tokens.is_empty() {
            config.tokens = Some(self.tokens);
        }
        if !self.oauth_clients.is_empty() {
            config.identity.clients = Some(self.oauth_clients);
        }
        config.identity.token_lifetime = Duration::from_secs(self.token_lifetime_secs);
        Ok(config)
    }
}

/// Runs the subcommand and returns its exit code.
pub fn run(mut args: Args) -> Result<u8, CliError> {
    if let Some(Helper::Human(human)) = args.helper.take() {
        return super::human::run(human);
    }
    let config = args.config()?;
    let db = config.db.clone();
    let scale = config.time_scale;
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(config)
            .await
            .map_err(|source| CliError::SandboxStart {
                which: "portal",
                state: db.clone(),
                source: Box::new(source),
            })?;
        println!(
            "tenantry sandbox listening on {} (db {db}, time scale {scale}); OpenAPI at {}/openapi.yaml; Ctrl-C stops it",
            sandbox.url(),
            sandbox.url()
        );
        tokio::signal::ctrl_c()
            .await
            .map_err(|source| CliError::Runtime {
                doing: "wait for Ctrl-C",
                source,
            })?;
        sandbox.shutdown().await;
        Ok(super::exit::OK)
    })
}

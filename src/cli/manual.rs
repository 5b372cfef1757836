//! `tenantry workorders` and `tenantry confirm`: the person's side of the `manual` provider
//! (docs/manual-steps.md). Both read the state file of `plan`/`apply` (`--state-dir`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CliError;
use tenantry::portal::manual::{self, ManualState, StoredOrder};

/// Arguments of `tenantry workorders`.
#[derive(Debug, clap::Args)]
pub struct OrdersArgs {
    /// Directory of the state (the same as plan and apply's).
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    state_dir: PathBuf,
    /// Output format: markdown (for a ticket) or json (docs/manual-steps.md).
    #[arg(short = 'o', long, value_enum, default_value_t = OrdersOutput::Markdown)]
    output: OrdersOutput,
}

/// Output formats of `workorders`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrdersOutput {
    /// Markdown.
    Markdown,
    /// The versioned JSON.
    Json,
}

/// Arguments of `tenantry confirm`.
#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    /// The work order performed (`WO-…`).
    id: String,
    /// A value read back in the portal, as the order names it (repeatable): `--set code=KE1234`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    values: Vec<String>,
    /// Who performed it; the OS user when absent.
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Directory of the state (the same as plan and apply's).
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    state_dir: PathBuf,
    /// The manifests: when given, the plan is computed now and a confirmation of an order
    /// that plan would no longer issue is refused (the declaration changed since).
    #[arg(short = 'f', long = "filename", value_name = "PATH", num_args = 1..)]
    paths: Vec<String>,
}

/// The state file inside `dir`.
pub fn state_file(dir: &Path) -> PathBuf {
    dir.join(manual::STATE_FILE)
}

/// Prints the open work orders.
pub fn orders(args: OrdersArgs) -> Result<u8, CliError> {
    let state = ManualState::load(&state_file(&args.state_dir))?;
    let open: Vec<&manual::WorkOrder> = state.open().map(|o| &o.order).collect();
    let text = match args.output {
        OrdersOutput::Markdown => manual::markdown_all(&open),
        OrdersOutput::Json => manual::json_all(&open),
    };
    print!("{text}");
    Ok(super::exit::OK)
}

/// Records a confirmation, or refuses it and records nothing.
pub fn confirm(args: ConfirmArgs) -> Result<u8, CliError> {
    let values = parse_values(&args.values)?;
    if !args.paths.is_empty() {
        still_planned(&args)?;
    }
    let by = args.by.clone().unwrap_or_else(os_user);
    let stored = record(&args.state_dir, &args.id, &values, &by)?;
    let shown: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "Confirmed {} ({} {}/{} {}) by {by}{}.",
        stored.order.id,
        stored.order.action.as_str(),
        stored.order.portal_id,
        stored.order.kind,
        stored.order.external_ref,
        if shown.is_empty() {
            String::new()
        } else {
            format!(": {}", shown.join(", "))
        }
    );
    println!("Run `tenantry apply` again: what depends on it goes on from here.");
    Ok(super::exit::OK)
}

/// Refuses an open order the plan computed now would not issue.
fn still_planned(args: &ConfirmArgs) -> Result<(), CliError> {
    let state = ManualState::load(&state_file(&args.state_dir))?;
    let Some(stored) = state
        .order(&args.id)
        .filter(|o| o.state == manual::OrderState::Open)
    else {
        return Ok(()); // unknown, stale or confirmed: the state's own refusal says which
    };
    let input = super::session::InputArgs {
        paths: args.paths.clone(),
        namespace: "default".to_owned(),
        portal: None,
        state_dir: args.state_dir.clone(),
        prune: false,
        scope: super::session::ScopeArg::Connection,
    };
    let runtime = super::runtime()?;
    let session = runtime.block_on(super::session::open(&input))?;
    let planned = session.work_orders();
    if planned.iter().any(|o| o.id == stored.order.id) {
        return Ok(());
    }
    let current = planned
        .iter()
        .find(|o| o.address == stored.order.address)
        .map_or_else(
            || format!("no change of {}", stored.order.address),
            |o| format!("work order {} (not issued yet)", o.id),
        );
    Err(CliError::ConfirmRefused(manual::ConfirmError::NotInPlan {
        id: args.id.clone(),
        current,
    }))
}

/// Loads, confirms and saves; a refusal leaves the file untouched.
pub fn record(
    state_dir: &Path,
    id: &str,
    values: &BTreeMap<String, String>,
    by: &str,
) -> Result<StoredOrder, CliError> {
    let path = state_file(state_dir);
    let mut state = ManualState::load(&path)?;
    let at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| String::new(), |t| t.to_string());
    let stored = state
        .confirm(id, values, by, &at, &path.display().to_string())
        .map_err(CliError::ConfirmRefused)?
        .clone();
    state.save(&path)?;
    Ok(stored)
}

fn parse_values(given: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for pair in given {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(CliError::ConfirmValue {
                given: pair.clone(),
            });
        };
        out.insert(key.trim().to_owned(), value.to_owned());
    }
    Ok(out)
}

fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

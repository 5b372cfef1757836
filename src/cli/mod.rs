//! The `tenantry` command line: argument parsing and the one place errors meet a person.

mod apply;
mod captured;
mod controller;
mod crds;
mod drift;
mod error;
mod generate;
mod human;
mod import;
mod logging;
mod manual;
mod notify;
mod plan;
mod sandbox;
mod session;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use error::CliError;
use logging::LogFormat;

/// Declarative customer onboarding for reseller and MSP portals.
#[derive(Debug, Parser)]
#[command(name = "tenantry", version, about)]
pub struct Cli {
    /// Log line format on standard error: text, or one JSON object per line for collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what apply would change in the portals (exit 0: no changes, 2: changes, 1: error).
    Plan(plan::Args),
    /// Make the portals match the manifests, after showing the plan.
    Apply(apply::Args),
    /// Write YAML for the objects a portal already holds, to adopt them (docs/import.md).
    Import(import::Args),
    /// Check manifests against every portal rule; exit 1 when there is any error.
    Validate(validate::Args),
    /// Print the CustomResourceDefinitions generated from the resource types.
    Crds(crds::Args),
    /// Write a generated GitOps repository of N customers (benchmarks, chaos runs).
    Gen(generate::Args),
    /// Run the embedded portal emulator (all five portals) over HTTP.
    Sandbox(sandbox::Args),
    /// Run the Kubernetes controller (in a cluster, or with your kubeconfig).
    Controller(controller::Args),
    /// Print the open work orders of manual connections (docs/manual-steps.md).
    Workorders(manual::OrdersArgs),
    /// Record that a work order was performed, with the values read back in the portal.
    Confirm(manual::ConfirmArgs),
}

/// Exit codes of every subcommand (stable, documented in the README).
pub mod exit {
    /// Success; for `plan`, no changes.
    pub const OK: u8 = 0;
    /// An error, or problems found by `validate`.
    pub const ERROR: u8 = 1;
    /// `plan` found changes.
    pub const CHANGES: u8 = 2;
}

impl Command {
    /// The level logged when `RUST_LOG` is not set: the controller is a service whose INFO
    /// lines are its record; the other commands print their results and only warn on stderr.
    fn default_log_level(&self) -> &'static str {
        match self {
            Self::Controller(_) => "info,kube=warn,tower=warn,hyper=warn",
            _ => "warn",
        }
    }
}

/// The tokio runtime of a subcommand that talks to portals.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Runtime {
            doing: "start the async runtime",
            source,
        })
}

/// Entry point of the binary: parses the arguments, sets up logging, runs the subcommand and
/// reports its error, if any.
pub fn main() -> ExitCode {
    // clap exits with 2 on a usage error, which `plan` uses for "changes": report 1 instead.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    // The one logging setup, on stderr; RUST_LOG (e.g. `tenantry=debug`) overrides the level.
    logging::init(cli.log_format, cli.command.default_log_level());
    let code = match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Import(args) => import::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Crds(args) => crds::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Controller(args) => controller::run(args),
        Command::Workorders(args) => manual::orders(args),
        Command::Confirm(args) => manual::confirm(args),
    };
    match code {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{}", err.render());
            ExitCode::from(err.exit_code())
        }
    }
}

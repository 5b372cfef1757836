//! The one logging setup of every subcommand: human text on a terminal, JSON for collectors.
//!
//! It is installed once, in `cli::main`, from the subcommand's choice of format and default
//! level, so that no earlier setup can shadow the one a subcommand asks for (issue 19.3).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Log line format (`--log-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines, coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `message` and the fields).
    Json,
}

/// Installs the global subscriber, writing to stderr. `RUST_LOG` (e.g. `tenantry=debug`)
/// overrides `default_level` when it is set and valid.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default_level))
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Err means a subscriber is already installed; there is nothing better to do than keep it.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

//! `tenantry sandbox` (not yet built).

/// Arguments of `tenantry sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns its exit code.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tenantry sandbox is not built yet")
}

//! `tenantry validate` (not yet built).

/// Arguments of `tenantry validate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns its exit code.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tenantry validate is not built yet")
}

//! `tenantry crds` (not yet built).

/// Arguments of `tenantry crds`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns its exit code.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tenantry crds is not built yet")
}

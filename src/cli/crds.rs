//! `tenantry crds`: print the CRDs generated from the resource types.

use std::io::Write;

/// Arguments of `tenantry crds`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints every CRD as a multi-document YAML stream on stdout.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(crate::api::crds_yaml()?.as_bytes())?;
    Ok(super::exit::OK)
}

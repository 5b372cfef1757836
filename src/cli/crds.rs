//! `tenantry crds`: print the CRDs generated from the resource types, or their reference.

use std::io::Write;

use super::CliError;

/// Arguments of `tenantry crds`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the Markdown resource reference (docs/reference.md) instead of the CRDs.
    #[arg(long)]
    reference: bool,
}

/// Prints every CRD as a multi-document YAML stream on stdout (or the reference with `--reference`).
pub fn run(args: Args) -> Result<u8, CliError> {
    let text = if args.reference {
        tenantry::api::reference_markdown()
    } else {
        tenantry::api::crds_yaml().map_err(CliError::Crds)?
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(CliError::Stdout)?;
    Ok(super::exit::OK)
}

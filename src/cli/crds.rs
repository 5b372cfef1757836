//! `tenantry crds`: print the CRDs generated from the resource types, or their reference.

use std::io::Write;

/// Arguments of `tenantry crds`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the Markdown resource reference (docs/reference.md) instead of the CRDs.
    #[arg(long)]
    reference: bool,
}

/// Prints every CRD as a multi-document YAML stream on stdout (or the reference with `--reference`).
pub fn run(args: Args) -> anyhow::Result<u8> {
    let text = if args.reference {
        crate::api::reference_markdown()
    } else {
        crate::api::crds_yaml()?
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(super::exit::OK)
}

//! `tenantry gen`: write a generated GitOps repository of N customers.

use std::path::PathBuf;

use tenantry::generate::{GenOptions, generate};

use super::CliError;

/// Arguments of `tenantry gen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of tenants (customers) to generate.
    #[arg(long, default_value_t = 100)]
    tenants: usize,
    /// Directory to write (created if missing); one file per tenant.
    #[arg(long)]
    out: PathBuf,
    /// Seed: the same seed writes the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Namespace of the generated objects.
    #[arg(long, default_value = "customers")]
    namespace: String,
}

/// Writes the repository and prints a one-line summary.
pub fn run(args: Args) -> Result<u8, CliError> {
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Io {
        doing: "create",
        path: args.out.clone(),
        source,
    })?;
    let files = generate(&GenOptions {
        tenants: args.tenants,
        seed: args.seed,
        namespace: args.namespace,
    });
    let mut objects = 0;
    for f in &files {
        let path = args.out.join(&f.name);
        std::fs::write(&path, &f.yaml).map_err(|source| CliError::Io {
            doing: "write",
            path,
            source,
        })?;
        objects += f.objects;
    }
    println!(
        "wrote {} tenants ({objects} objects) to {}",
        files.len(),
        args.out.display()
    );
    Ok(super::exit::OK)
}

//! `tenantry import`: write YAML for the objects a portal already holds (adoption).

use std::io::Write;
use std::path::PathBuf;

use super::session;
use super::{CliError, exit};
use tenantry::api::{Declared, ManagementPolicy, Portal};
use tenantry::import::{self, ImportOptions, Imported};
use tenantry::manifest::{self, Input, LoadOptions};

/// Arguments of `tenantry import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Portals never return passwords: every imported TenantAdmin and contact-center \
    binding refers to a Secret `<name>-password` that you must supply (a Secret manifest, or \
    TENANTRY_SECRET_<NAMESPACE>_<NAME>_<KEY>). See docs/import.md."
)]
pub struct Args {
    /// Portal(s) to import: daas, contactcenter, teammate, apps, cloudlink (repeat or separate
    /// with commas to import several into one set of Tenants).
    #[arg(long, required = true, value_delimiter = ',', value_parser = parse_portal)]
    portal: Vec<Portal>,
    /// Namespace of objects that were not created by tenantry (their externalRef names none).
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    namespace: String,
    /// Write one file per customer, DIR/<namespace>/<tenant>.yaml, instead of standard output.
    #[arg(short = 'o', long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// managementPolicy of the imported Tenants: Observe (adopt without writing), Plan or Apply.
    #[arg(long, value_name = "POLICY", default_value = "Observe", value_parser = parse_policy)]
    management_policy: ManagementPolicy,
    /// URL of the portal contract; the token comes from TENANTRY_PORTAL_TOKEN. Without it, a
    /// PortalConnection named `default` in the -f manifests is used, else the embedded sandbox.
    #[arg(long, value_name = "URL", env = "TENANTRY_PORTAL")]
    portal_url: Option<String>,
    /// Manifests holding a PortalConnection named `default` and its token Secret.
    #[arg(short = 'f', long = "filename", value_name = "PATH", num_args = 1..)]
    paths: Vec<String>,
    /// Directory of the embedded sandbox's state.
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    state_dir: PathBuf,
}

fn parse_portal(s: &str) -> Result<Portal, String> {
    Portal::ALL
        .into_iter()
        .find(|p| p.id().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            let ids: Vec<&str> = Portal::ALL.iter().map(|p| p.id()).collect();
            format!("unknown portal {s:?}; use one of {}", ids.join(", "))
        })
}

fn parse_policy(s: &str) -> Result<ManagementPolicy, String> {
    [
        ManagementPolicy::Observe,
        ManagementPolicy::Plan,
        ManagementPolicy::Apply,
    ]
    .into_iter()
    .find(|p| format!("{p:?}").eq_ignore_ascii_case(s))
    .ok_or_else(|| format!("unknown managementPolicy {s:?}; use Observe, Plan or Apply"))
}

/// Lists the portal(s), writes the declarations; exit 0, or 1 on error.
pub fn run(args: Args) -> Result<u8, CliError> {
    let declared = connection_input(&args.paths)?;
    let runtime = super::runtime()?;
    let (listing, description) = runtime.block_on(async {
        let target =
            session::select_target(args.portal_url.as_deref(), &args.state_dir, &declared).await?;
        let listing = import::list(&target.portal, &args.portal)
            .await
            .map_err(|source| CliError::PortalUnreachable {
                doing: "list the portal objects of",
                target: target.description.clone(),
                source: Box::new(source),
            })?;
        Ok::<_, CliError>((listing, target.description))
    })?;
    let options = ImportOptions {
        namespace: args.namespace.clone(),
        management_policy: args.management_policy,
    };
    let imported = import::import(&listing, &options);
    let ids: Vec<&str> = args.portal.iter().map(|p| p.id()).collect();
    let header = format!(
        "Imported by `tenantry import --portal {}`: review before committing.",
        ids.join(",")
    );
    let written = match &args.out {
        Some(dir) => write_files(dir, &imported, &header)?,
        None => {
            let mut out = std::io::stdout().lock();
            let yaml = import::render(&imported, &header).map_err(CliError::ImportRender)?;
            out.write_all(yaml.as_bytes())
                .and_then(|()| out.flush())
                .map_err(CliError::Stdout)?;
            "standard output".to_owned()
        }
    };
    report(&imported, &ids.join(", "), &description, &written);
    Ok(exit::OK)
}

/// The PortalConnection input, if any, with Secret values from the environment.
fn connection_input(paths: &[String]) -> Result<Declared, CliError> {
    if paths.is_empty() {
        return Ok(Declared::default());
    }
    let inputs: Vec<Input> = paths.iter().map(|p| Input::from_arg(p)).collect();
    let mut loaded = manifest::load(&inputs, &LoadOptions::default())?;
    manifest::fill_secrets_from_env(&mut loaded.declared, |name| std::env::var(name).ok());
    Ok(loaded.declared)
}

/// Writes `DIR/<namespace>/<tenant>.yaml` per customer; returns what to call the destination.
fn write_files(
    dir: &std::path::Path,
    imported: &Imported,
    header: &str,
) -> Result<String, CliError> {
    for customer in &imported.customers {
        let (namespace, name) = customer.key();
        let folder = dir.join(&namespace);
        std::fs::create_dir_all(&folder).map_err(|source| CliError::Io {
            doing: "create",
            path: folder.clone(),
            source,
        })?;
        let path = folder.join(format!("{name}.yaml"));
        let yaml = import::render_customer(customer, header).map_err(CliError::ImportRender)?;
        std::fs::write(&path, yaml).map_err(|source| CliError::Io {
            doing: "write",
            path,
            source,
        })?;
    }
    Ok(dir.display().to_string())
}

/// Warnings, the Secrets to supply and a summary, on standard error.
fn report(imported: &Imported, portals: &str, source: &str, written: &str) {
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    for secret in &imported.secrets {
        eprintln!(
            "warning: {} needs Secret {}/{} (key {}): portals never return passwords, so \
             supply it, or set {}",
            secret.object,
            secret.key.namespace,
            secret.key.name,
            secret.key.key,
            tenantry::validate::secret_env_var(&secret.key)
        );
    }
    let admins: usize = imported.customers.iter().map(|c| c.admins.len()).sum();
    let bindings: usize = imported.customers.iter().map(|c| c.bindings.len()).sum();
    eprintln!(
        "Imported {} Tenant(s), {admins} TenantAdmin(s) and {bindings} ServiceBinding(s) from \
         {portals} of {source} to {written}.",
        imported.customers.len()
    );
}

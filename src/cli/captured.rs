//! Secrets a vendor returned once during an apply (Partner Center's new customer admin
//! password), saved as Secret manifests in the state directory, readable by the user only:
//! the CLI's counterpart of the controller's owned Secret (docs/providers.md).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::json;
use tenantry::model::{Address, Kind, Model};
use tenantry::portal::{Captured, microsoft_admin_secret};

use super::error::CliError;

/// Writes each captured secret to `<state_dir>/secrets/<namespace>/<name>.yaml` (a Secret
/// manifest named as the controller names its Secret) and says where, never what.
pub fn save(state_dir: &Path, model: &Model, captured: Vec<Captured>) -> Result<(), CliError> {
    for secret in captured {
        let tenant = Kind::ALL
            .into_iter()
            .find(|k| k.path() == secret.kind)
            .and_then(|k| model.get(&Address::new(k, secret.external_ref.clone())))
            .map_or_else(|| secret.external_ref.clone(), |r| r.tenant.clone());
        let (namespace, name) = tenant.split_once('/').unwrap_or(("default", &tenant));
        let secret_name = microsoft_admin_secret(name);
        let dir = state_dir.join("secrets").join(namespace);
        let path = dir.join(format!("{secret_name}.yaml"));
        let manifest = json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": secret_name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "tenantry"}},
            "type": "Opaque",
            "stringData": {"username": secret.username, "password": secret.value.expose()},
        });
        let text = serde_yaml::to_string(&manifest).unwrap_or_default();
        write_private(&dir, &path, &text).map_err(|source| CliError::Io {
            doing: "save the admin password Partner Center returned once (it is lost: reset it in the Microsoft 365 admin center) to",
            path: path.clone(),
            source,
        })?;
        println!(
            "Partner Center returned the new Microsoft admin password of Tenant {tenant} once: saved as Secret {namespace}/{secret_name} in {} (apply it to the cluster or move it to your secret store).",
            path.display()
        );
    }
    Ok(())
}

/// `path` with `text`, in `dir` (0700), readable by the user only (0600).
fn write_private(dir: &Path, path: &PathBuf, text: &str) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

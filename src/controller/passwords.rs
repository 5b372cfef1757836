//! Generated passwords: a policy-compliant password in a Secret owned by the object, created
//! before the portal create so that a crash can never lose the password the portal was given.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Resource, ResourceExt};

use super::Declaring;
use super::context::Context;
use super::error::Error;
use crate::api::{Sensitive, Tenant};
use crate::engine::generate_password;

/// Returns the name of the object's generated-password Secret and the password, creating the
/// Secret first when it does not exist. The password leaves as a `Sensitive` (redacted in any
/// `Debug`), never as the Kubernetes `Secret` whose `Debug` prints the bytes.
pub(crate) async fn ensure<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: &Tenant,
) -> Result<(String, Sensitive), Error> {
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.generated_secret_name();
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let existing = api
        .get_opt(&name)
        .await
        .map_err(|e| Error::kube(format!("reading Secret {namespace}/{name}"), e))?;
    if let Some(secret) = existing {
        let password = password_of(owned(object, secret, &namespace, &name)?, &namespace, &name)?;
        return Ok((name, password));
    }
    let min_length = tenant.spec.password_policy.min_length;
    // The engine's generator: the same policy as `tenantry apply` uses.
    let value = generate_password(min_length, &object.password_username());
    let owner = object
        .controller_owner_ref(&())
        .ok_or(Error::Malformed("uid"))?;
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            owner_references: Some(vec![owner]),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                "tenantry".to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(BTreeMap::from([(
            super::GENERATED_PASSWORD_KEY.to_owned(),
            ByteString(value.expose().as_bytes().to_vec()),
        )])),
        ..Secret::default()
    };
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok((name, value)),
        // Another replica or an earlier attempt won the race: use what is there.
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let secret = api
                .get(&name)
                .await
                .map_err(|e| Error::kube(format!("reading Secret {namespace}/{name}"), e))?;
            let secret = owned(object, secret, &namespace, &name)?;
            Ok((name.clone(), password_of(secret, &namespace, &name)?))
        }
        Err(e) => Err(Error::kube(
            format!("creating Secret {namespace}/{name}"),
            e,
        )),
    }
}

/// The generated password a Secret holds.
fn password_of(secret: Secret, namespace: &str, name: &str) -> Result<Sensitive, Error> {
    secret
        .data
        .and_then(|mut data| data.remove(super::GENERATED_PASSWORD_KEY))
        .and_then(|bytes| String::from_utf8(bytes.0).ok())
        .map(Sensitive::new)
        .ok_or_else(|| Error::Invalid {
            reason: "SecretNotFound",
            message: format!(
                "Secret {namespace}/{name} has no key {}; delete the Secret and a new password is generated",
                super::GENERATED_PASSWORD_KEY
            ),
        })
}

/// Accepts an existing Secret only when this object owns it: a Secret someone else made is
/// never used as a generated password.
fn owned<K: Declaring>(
    object: &K,
    secret: Secret,
    namespace: &str,
    name: &str,
) -> Result<Secret, Error> {
    let uid = object.uid();
    let ours = secret
        .owner_references()
        .iter()
        .any(|o| Some(&o.uid) == uid.as_ref());
    if ours {
        Ok(secret)
    } else {
        Err(Error::Invalid {
            reason: "SecretConflict",
            message: format!(
                "Secret {namespace}/{name} exists but is not owned by {} {}; delete or rename it, or use passwordSecretRef",
                K::KIND,
                object.name_any()
            ),
        })
    }
}

/// Stores what a vendor returned once during a run (Partner Center's new admin password) in
/// the Secret `<tenant>-microsoft-admin` of the Tenant's namespace, owned by the Tenant. A
/// second password for the same Tenant (its customer made again) replaces the first.
pub(crate) async fn store_captured(
    ctx: &Context,
    tenant: &Tenant,
    captured: Vec<crate::portal::Captured>,
) -> Result<(), Error> {
    if captured.is_empty() {
        return Ok(());
    }
    let namespace = tenant.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = crate::portal::microsoft_admin_secret(&tenant.name_any());
    let owner = tenant
        .controller_owner_ref(&())
        .ok_or(Error::Malformed("uid"))?;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    for secret in captured {
        let data = BTreeMap::from([
            (
                "username".to_owned(),
                ByteString(secret.username.as_bytes().to_vec()),
            ),
            (
                "password".to_owned(),
                ByteString(secret.value.expose().as_bytes().to_vec()),
            ),
        ]);
        let object = Secret {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                owner_references: Some(vec![owner.clone()]),
                labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "tenantry".to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_owned()),
            data: Some(data.clone()),
            ..Secret::default()
        };
        let lost = |e| {
            Error::kube(
                format!(
                    "storing the Microsoft admin password Partner Center returned once in Secret {namespace}/{name} (it is lost: reset the admin's password in the Microsoft 365 admin center)"
                ),
                e,
            )
        };
        match api.create(&PostParams::default(), &object).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let patch = serde_json::json!({"data": data});
                api.patch(
                    &name,
                    &kube::api::PatchParams::default(),
                    &kube::api::Patch::Merge(&patch),
                )
                .await
                .map_err(lost)?;
            }
            Err(e) => return Err(lost(e)),
        }
    }
    Ok(())
}

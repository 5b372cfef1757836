//! Generated passwords: a policy-compliant password in a Secret owned by the object, created
//! before the portal create so that a crash can never lose the password the portal was given.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, ResourceExt};

use super::Declaring;
use super::context::Context;
use super::error::Error;
use crate::api::Tenant;
use crate::engine::generate_password;

/// Returns the object's generated-password Secret, creating it first when it does not exist.
pub(crate) async fn ensure<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: &Tenant,
) -> Result<(String, Secret), Error> {
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.generated_secret_name();
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let existing = api
        .get_opt(&name)
        .await
        .map_err(|e| Error::kube(format!("reading Secret {namespace}/{name}"), e))?;
    if let Some(secret) = existing {
        return owned(object, secret, &namespace, &name).map(|s| (name, s));
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
        Ok(created) => Ok((name, created)),
        // Another replica or an earlier attempt won the race: use what is there.
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let secret = api
                .get(&name)
                .await
                .map_err(|e| Error::kube(format!("reading Secret {namespace}/{name}"), e))?;
            owned(object, secret, &namespace, &name).map(|s| (name, s))
        }
        Err(e) => Err(Error::kube(
            format!("creating Secret {namespace}/{name}"),
            e,
        )),
    }
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

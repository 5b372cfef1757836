//! Generated passwords: a policy-compliant password in a Secret owned by the object, created
//! before the portal create so that a crash can never lose the password the portal was given.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, ResourceExt};
use rand::Rng;

use super::Declaring;
use super::context::Context;
use super::error::Error;
use crate::api::Tenant;
use crate::validate::password;

/// Length of generated passwords (above every portal's minimum).
const LENGTH: usize = 20;
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#%+-=?@^_";

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
    let value = generate(&object.password_username(), min_length);
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
            ByteString(value.into_bytes()),
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

/// A random password with every character class that passes the portals' policy for
/// `username` and `min_length`.
pub fn generate(username: &str, min_length: u32) -> String {
    let length = LENGTH.max(usize::try_from(min_length).unwrap_or(LENGTH));
    let mut rng = rand::rng();
    loop {
        let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
        let mut chars: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS]
            .iter()
            .map(|class| class[rng.random_range(0..class.len())])
            .collect();
        while chars.len() < length {
            chars.push(all[rng.random_range(0..all.len())]);
        }
        // Fisher–Yates, so the guaranteed classes are not always in front.
        for i in (1..chars.len()).rev() {
            chars.swap(i, rng.random_range(0..=i));
        }
        let candidate: String = chars.into_iter().map(char::from).collect();
        if password::check(&candidate, username, min_length).is_empty() {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy() {
        for (username, min) in [("jroe", 8), ("prpagent", 12), ("", 40)] {
            for _ in 0..50 {
                let pw = generate(username, min);
                assert!(pw.len() >= usize::try_from(min).unwrap_or(0));
                assert!(password::check(&pw, username, min).is_empty());
            }
        }
        assert_ne!(generate("jroe", 8), generate("jroe", 8));
    }
}

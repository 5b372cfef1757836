//! Step 1 of the pipeline: fetch what an object points to (its Tenant, the PortalConnection
//! and its credentials Secret, password Secrets) and build a one-object `Declared`.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};

use super::Declaring;
use super::context::Context;
use super::error::Error;
use super::manual::Manual;
use super::passwords;
use crate::api::{
    ConnectionApi, Declared, PortalConnection, SecretKey, ServiceBinding, Tenant, TenantAdmin,
};
use crate::portal::{Connection, PortalClient, Route, Routes, secret_key};

/// An object with everything it points to.
pub(crate) struct Dereferenced {
    /// The object, its Tenant and the secret values they reference: what the model expands.
    pub declared: Declared,
    /// The same plus the Tenant's other admins and bindings, as declared: what validation
    /// checks, since some rules span objects (Microsoft Online needs the Tenant's Azure AD,
    /// `dependsOn` must name a binding of the same Tenant, unique names and e-mails).
    pub validation: Declared,
    /// The portal client of its connection.
    pub portal: PortalClient,
    /// Its manual connections (work orders), if any.
    pub manual: Manual,
    /// Name of the generated-password Secret, when the object generates one.
    pub generated_secret: Option<String>,
}

/// The Tenant an object belongs to, from the store.
pub(crate) fn tenant_of<K: Declaring>(ctx: &Context, object: &K) -> Result<Arc<Tenant>, Error> {
    if let Some(tenant) = object.as_tenant() {
        return Ok(Arc::new(tenant.clone()));
    }
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let name = object.tenant_name();
    ctx.stores
        .tenants
        .get(&ObjectRef::new(&name).within(&namespace))
        .ok_or_else(|| Error::Invalid {
            reason: "TenantNotFound",
            message: format!(
                "Tenant {namespace}/{name} does not exist; create it or fix spec.tenantRef"
            ),
        })
}

/// Fetches everything `object` points to.
pub(crate) async fn dereference<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: Arc<Tenant>,
) -> Result<Dereferenced, Error> {
    let namespace = object.namespace().ok_or(Error::Malformed("namespace"))?;
    let declared_by = format!("{}/{namespace}/{}", K::KIND, object.name_any());
    let (portal, manual) = portal_for(ctx, &tenant, declared_by).await?;
    let mut declared = Declared::default();
    let mut model_object = object.clone();
    let mut generated_secret = None;
    if object.generates_password() {
        let (name, password) = passwords::ensure(ctx, object, &tenant).await?;
        let key = SecretKey {
            namespace: namespace.clone(),
            name: name.clone(),
            key: super::GENERATED_PASSWORD_KEY.to_owned(),
        };
        declared.secrets.insert(key, password);
        model_object = object.with_password_secret(&name);
        generated_secret = Some(name);
    } else if let Some(secret_ref) = object.password_ref() {
        let secret = read_secret(ctx, &namespace, &secret_ref.name).await?;
        declared.add_secret(&secret, &namespace);
        let key = SecretKey {
            namespace: namespace.clone(),
            name: secret_ref.name.clone(),
            key: secret_ref.key.clone(),
        };
        if !declared.secrets.contains_key(&key) {
            return Err(Error::Invalid {
                reason: "SecretNotFound",
                message: format!(
                    "Secret {namespace}/{} has no key {}; add it or fix spec.passwordSecretRef",
                    secret_ref.name, secret_ref.key
                ),
            });
        }
    }
    tenant.as_ref().add_to(&mut declared);
    model_object.add_to(&mut declared);
    let validation = with_siblings(ctx, &declared, &model_object, &tenant);
    Ok(Dereferenced {
        declared,
        validation,
        portal,
        manual,
        generated_secret,
    })
}

/// The portal client for a Tenant's objects: its `portalConnectionRef`, else the connection
/// named `default`, else the `--portal` URL; with the connection's `spec.delegates`, each
/// portal goes to the first connection serving it (the same rule as the CLI's). A manual
/// connection gets a client over the Tenant's work-order ConfigMap whose orders name
/// `declared_by`.
pub(crate) async fn portal_for(
    ctx: &Context,
    tenant: &Tenant,
    declared_by: String,
) -> Result<(PortalClient, Manual), Error> {
    let named = tenant.spec.portal_connection_ref.as_ref().map(|r| &r.name);
    let name = named.map_or("default", String::as_str);
    let connection = ctx.stores.connections.get(&ObjectRef::new(name));
    match (connection, named) {
        (Some(connection), _) => {
            let mut chain = vec![Arc::clone(&connection)];
            for delegate in &connection.spec.delegates {
                let found = ctx
                    .stores
                    .connections
                    .get(&ObjectRef::new(&delegate.name))
                    .ok_or_else(|| Error::Invalid {
                        reason: "ConnectionNotFound",
                        message: format!(
                            "PortalConnection {} (a delegate of {name}) does not exist; create it or fix the spec.delegates of {name}",
                            delegate.name
                        ),
                    })?;
                chain.push(found);
            }
            let missing: Vec<&str> = tenant
                .spec
                .portals
                .iter()
                .filter(|p| !chain.iter().any(|c| c.spec.served_portals().contains(p)))
                .map(|p| p.id())
                .collect();
            if !missing.is_empty() {
                return Err(Error::Invalid {
                    reason: "PortalNotServed",
                    message: format!(
                        "PortalConnection {name} does not serve {}; add it to the connection's spec.portals, add a connection serving it to its spec.delegates, or set spec.portalConnectionRef to one that does",
                        missing.join(", ")
                    ),
                });
            }
            let mut routes = Vec::new();
            let mut manual = Manual::default();
            for resource in chain {
                let resolved = resolve_connection(ctx, &resource).await?;
                let (client, person) = if resource.spec.api == ConnectionApi::Manual {
                    let person =
                        super::manual::client(ctx, tenant, &resource, declared_by.clone())?;
                    (PortalClient::new(person.clone()), Some(person))
                } else {
                    (ctx.portals.client(&resolved)?, None)
                };
                let route = Route::new(&resolved, client);
                manual.add(&route, person, tenant);
                routes.push(route);
            }
            Ok((Routes::client(routes), manual))
        }
        (None, Some(_)) => Err(Error::Invalid {
            reason: "ConnectionNotFound",
            message: format!(
                "PortalConnection {name} does not exist; create it or fix spec.portalConnectionRef"
            ),
        }),
        (None, None) => match ctx.portals.fallback() {
            Some(fallback) => Ok((ctx.portals.client(fallback)?, Manual::default())),
            None => Err(Error::Invalid {
                reason: "ConnectionNotFound",
                message: "no PortalConnection named default and no --portal URL; create one \
                          (kubectl apply -k manifests/sandbox/ installs one for the sandbox)"
                    .to_owned(),
            }),
        },
    }
}

/// A PortalConnection with every credential it names, read from its Secrets.
pub(crate) async fn resolve_connection(
    ctx: &Context,
    connection: &PortalConnection,
) -> Result<Connection, Error> {
    let mut secrets = BTreeMap::new();
    for (field, secret_ref) in connection.spec.secret_refs() {
        let secret = read_secret(ctx, &secret_ref.namespace, &secret_ref.name).await?;
        let mut values = Declared::default();
        values.add_secret(&secret, &secret_ref.namespace);
        let key = secret_key(secret_ref);
        match values.secrets.remove(&key) {
            Some(value) => {
                secrets.insert(key, value);
            }
            None => {
                return Err(Error::Invalid {
                    reason: "SecretNotFound",
                    message: format!(
                        "Secret {}/{} of PortalConnection {} has no key {} ({field}); add the credential there",
                        secret_ref.namespace,
                        secret_ref.name,
                        connection.name_any(),
                        secret_ref.key
                    ),
                });
            }
        }
    }
    Connection::resolve(connection, &secrets).map_err(|missing| Error::Invalid {
        reason: "SecretNotFound",
        message: format!("PortalConnection {}: {missing}", connection.name_any()),
    })
}

/// Reads a Secret; a missing one is an `Invalid` error that says which.
pub(crate) async fn read_secret(
    ctx: &Context,
    namespace: &str,
    name: &str,
) -> Result<Secret, Error> {
    if let Some(secret) = ctx.cached_secret(namespace, name) {
        return Ok(secret);
    }
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let found = api.get_opt(name).await;
    if let Ok(secret) = &found {
        ctx.remember_secret(namespace, name, secret.as_ref());
    }
    match found {
        Ok(Some(secret)) => Ok(secret),
        Ok(None) => Err(Error::Invalid {
            reason: "SecretNotFound",
            message: format!("Secret {namespace}/{name} does not exist; create it"),
        }),
        Err(e) => Err(Error::kube(format!("reading Secret {namespace}/{name}"), e)),
    }
}

/// The Tenant, `object` as declared, and the Tenant's other admins and bindings (from the
/// stores), with the secret values of `declared`.
fn with_siblings<K: Declaring>(
    ctx: &Context,
    declared: &Declared,
    object: &K,
    tenant: &Tenant,
) -> Declared {
    let mut out = Declared {
        secrets: declared.secrets.clone(),
        ..Declared::default()
    };
    tenant.add_to(&mut out);
    let (Some(namespace), Some(tenant_name)) = (&tenant.metadata.namespace, &tenant.metadata.name)
    else {
        object.add_for_validation(&mut out);
        return out;
    };
    let own_name = object.meta().name.as_ref();
    let is_self = |kind: &str, name: &String| kind == K::KIND && Some(name) == own_name;
    let admins = ctx
        .stores
        .admin_index
        .of_tenant::<TenantAdmin>(namespace, tenant_name);
    for key in admins {
        if !is_self("TenantAdmin", &key.name)
            && let Some(admin) = ctx.stores.admins.get(&key)
        {
            admin.as_ref().add_for_validation(&mut out);
        }
    }
    let bindings = ctx
        .stores
        .binding_index
        .of_tenant::<ServiceBinding>(namespace, tenant_name);
    for key in bindings {
        if !is_self("ServiceBinding", &key.name)
            && let Some(binding) = ctx.stores.bindings.get(&key)
        {
            binding.as_ref().add_for_validation(&mut out);
        }
    }
    object.add_for_validation(&mut out);
    out
}

//! Mappers from a changed related object to the objects that must reconcile again: a Tenant
//! wakes its admins and bindings, a binding wakes the bindings waiting for it, a
//! PortalConnection or a Secret wakes everything that uses it.
//!
//! Each mapper scans a store, so the filters compare borrowed fields: `ResourceExt::namespace`
//! and `name_any` allocate, and at 70,000 objects those allocations made the scans the
//! controller's bottleneck (benches/scale).

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::Declaring;
use super::context::Stores;
use crate::api::{PortalConnection, ServiceBinding, Tenant, TenantAdmin};

/// The name of the PortalConnection a Tenant uses.
pub(crate) fn connection_name(tenant: &Tenant) -> &str {
    tenant
        .spec
        .portal_connection_ref
        .as_ref()
        .map_or("default", |r| r.name.as_str())
}

fn key<K: Declaring>(object: &K) -> ObjectRef<K> {
    ObjectRef::from_obj(object)
}

/// Admins of a Tenant.
pub(crate) fn admins_of(stores: &Stores, tenant: &Tenant) -> Vec<ObjectRef<TenantAdmin>> {
    let (Some(namespace), Some(name)) = (&tenant.metadata.namespace, &tenant.metadata.name) else {
        return Vec::new();
    };
    stores.admin_index.of_tenant(namespace, name)
}

/// Bindings of a Tenant.
pub(crate) fn bindings_of(stores: &Stores, tenant: &Tenant) -> Vec<ObjectRef<ServiceBinding>> {
    let (Some(namespace), Some(name)) = (&tenant.metadata.namespace, &tenant.metadata.name) else {
        return Vec::new();
    };
    stores.binding_index.of_tenant(namespace, name)
}

/// The Tenant an admin or binding belongs to, when that Tenant is being deleted: its delete
/// waits for its dependants, so it retries as they change or go. Otherwise nothing, so that a
/// status write of a dependant does not wake its Tenant.
pub(crate) fn deleting_tenant_of<K: Declaring>(
    stores: &Stores,
    object: &K,
) -> Option<ObjectRef<Tenant>> {
    let namespace = object.namespace()?;
    let key = ObjectRef::new(&object.tenant_name()).within(&namespace);
    let tenant = stores.tenants.get(&key)?;
    tenant.metadata.deletion_timestamp.is_some().then_some(key)
}

/// Bindings that wait for `changed`: they name it in `dependsOn`, or they are Microsoft Online
/// and it is their Tenant's Azure AD. Both are bindings of the same Tenant (validation rejects
/// a `dependsOn` outside it), so only those are read.
pub(crate) fn dependants_of(
    stores: &Stores,
    changed: &ServiceBinding,
) -> Vec<ObjectRef<ServiceBinding>> {
    let Some(namespace) = &changed.metadata.namespace else {
        return Vec::new();
    };
    let name = changed.name_any();
    let azure = changed.spec.azure_ad.is_some();
    stores
        .binding_index
        .of_tenant::<ServiceBinding>(namespace, &changed.spec.tenant_ref.name)
        .into_iter()
        .filter(|key| {
            stores.bindings.get(key).is_some_and(|b| {
                b.spec.depends_on.iter().any(|d| d.name == name)
                    || (azure && b.spec.microsoft_online.is_some())
            })
        })
        .collect()
}

/// Tenants that use a PortalConnection.
fn tenants_using(stores: &Stores, connection: &str) -> Vec<std::sync::Arc<Tenant>> {
    stores
        .tenants
        .state()
        .into_iter()
        .filter(|t| connection_name(t) == connection)
        .collect()
}

/// Everything of kind `K` that uses `connection` (through its Tenant).
pub(crate) fn users_of_connection<K: Declaring>(
    stores: &Stores,
    connection: &PortalConnection,
    of_tenant: impl Fn(&Stores, &Tenant) -> Vec<ObjectRef<K>>,
) -> Vec<ObjectRef<K>> {
    tenants_using(stores, &connection.name_any())
        .iter()
        .flat_map(|t| of_tenant(stores, t))
        .collect()
}

/// Connections whose credentials live in Secret `namespace/name`.
fn connections_with_secret(
    stores: &Stores,
    namespace: &str,
    name: &str,
) -> Vec<std::sync::Arc<PortalConnection>> {
    stores
        .connections
        .state()
        .into_iter()
        .filter(|c| {
            c.spec
                .secret_refs()
                .iter()
                .any(|(_, r)| r.namespace == namespace && r.name == name)
        })
        .collect()
}

/// Everything of kind `K` affected by a change of Secret `namespace/name`: its password
/// Secret (declared or generated; `using` reads the kind's index), or the credentials of its
/// connection.
pub(crate) fn users_of_secret<K: Declaring>(
    stores: &Stores,
    namespace: &str,
    name: &str,
    using: impl Fn(&Stores, &str, &str) -> Vec<ObjectRef<K>>,
    of_tenant: impl Fn(&Stores, &Tenant) -> Vec<ObjectRef<K>>,
) -> Vec<ObjectRef<K>> {
    let mut out = using(stores, namespace, name);
    for connection in connections_with_secret(stores, namespace, name) {
        out.extend(users_of_connection(stores, &connection, &of_tenant));
    }
    out
}

/// The PortalConnections whose credentials are Secret `namespace/name` (re-checked when it
/// changes).
pub(crate) fn connections_using_secret(
    stores: &Stores,
    namespace: &str,
    name: &str,
) -> Vec<ObjectRef<PortalConnection>> {
    connections_with_secret(stores, namespace, name)
        .iter()
        .map(|c| ObjectRef::from_obj(c.as_ref()))
        .collect()
}

/// A Tenant itself, as the "objects of a Tenant" of kind Tenant.
pub(crate) fn tenant_itself(_: &Stores, tenant: &Tenant) -> Vec<ObjectRef<Tenant>> {
    vec![key(tenant)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{PortalConnection, ServiceBindingSpec};
    use crate::controller::related::tests::admin;

    fn binding(name: &str, depends_on: &[&str]) -> ServiceBinding {
        let spec: ServiceBindingSpec = serde_json::from_value(serde_json::json!({
            "tenantRef": {"name": "kenton"},
            "dependsOn": depends_on.iter().map(|d| serde_json::json!({"name": d})).collect::<Vec<_>>(),
            "citrix": {}
        }))
        .unwrap_or_else(|e| panic!("binding spec: {e}"));
        let mut b = ServiceBinding::new(name, spec);
        b.metadata.namespace = Some("customers".into());
        b
    }

    fn tenant(name: &str, connection: Option<&str>) -> Tenant {
        let mut spec = serde_json::json!({
            "displayName": name, "contact": {"name": "Jane Roe", "email": "jane@kenton.com"},
            "domains": ["kenton.com"], "portals": ["daas"]
        });
        if let Some(c) = connection {
            spec["portalConnectionRef"] = serde_json::json!({"name": c});
        }
        let mut t = Tenant::new(
            name,
            serde_json::from_value(spec).unwrap_or_else(|e| panic!("tenant spec: {e}")),
        );
        t.metadata.namespace = Some("customers".into());
        t
    }

    fn connection(name: &str, secret: &str) -> PortalConnection {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "tenantry.dev/v1alpha1", "kind": "PortalConnection",
            "metadata": {"name": name},
            "spec": {"url": "http://portal", "credentialsSecretRef":
                     {"namespace": "tenantry-system", "name": secret}}
        }))
        .unwrap_or_else(|e| panic!("connection: {e}"))
    }

    #[test]
    fn a_secret_wakes_the_objects_that_use_it() {
        let stores = Stores::from_objects(
            vec![tenant("kenton", None), tenant("acme", Some("eu"))],
            vec![
                admin("jroe", "kenton", Some("kenton-admin")),
                admin("gen", "kenton", None),
                admin("other", "acme", Some("acme-admin")),
            ],
            Vec::new(),
            vec![
                connection("default", "token-us"),
                connection("eu", "token-eu"),
            ],
        );
        let admins = |ns: &str, name: &str| {
            let mut names: Vec<String> = users_of_secret(
                &stores,
                ns,
                name,
                |s, ns, n| s.admin_index.using_secret(ns, n),
                admins_of,
            )
            .into_iter()
            .map(|r| r.name)
            .collect();
            names.sort();
            names
        };
        for (ns, secret, want) in [
            ("customers", "kenton-admin", vec!["jroe"]),
            ("customers", "gen-password", vec!["gen"]),
            ("other", "kenton-admin", vec![]),
            ("tenantry-system", "token-eu", vec!["other"]),
            ("tenantry-system", "token-us", vec!["gen", "jroe"]),
        ] {
            assert_eq!(admins(ns, secret), want, "{ns}/{secret}");
        }
        let tenants: Vec<String> =
            users_of_connection(&stores, &connection("eu", "token-eu"), tenant_itself)
                .into_iter()
                .map(|r| r.name)
                .collect();
        assert_eq!(tenants, ["acme"]);
    }

    #[test]
    fn a_dependant_wakes_its_tenant_only_while_the_tenant_is_deleted() {
        let mut deleting = tenant("acme", None);
        deleting.metadata.deletion_timestamp = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
        );
        let stores = Stores::from_objects(
            vec![tenant("kenton", None), deleting],
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let woken = |t: &str| deleting_tenant_of(&stores, &admin("a", t, None)).map(|r| r.name);
        assert_eq!(woken("kenton"), None);
        assert_eq!(woken("acme"), Some("acme".to_owned()));
        assert_eq!(woken("gone"), None);
    }

    #[test]
    fn a_binding_wakes_the_bindings_that_depend_on_it() {
        let stores = Stores::from_objects(
            Vec::new(),
            Vec::new(),
            vec![
                binding("a", &[]),
                binding("b", &["a"]),
                binding("c", &["b"]),
            ],
            Vec::new(),
        );
        let names = |refs: Vec<ObjectRef<ServiceBinding>>| {
            refs.into_iter().map(|r| r.name).collect::<Vec<_>>()
        };
        assert_eq!(names(dependants_of(&stores, &binding("a", &[]))), ["b"]);
        assert_eq!(
            names(dependants_of(&stores, &binding("c", &["b"]))),
            Vec::<String>::new()
        );
    }
}

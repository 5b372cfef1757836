//! Which admins or bindings belong to a Tenant and which use a password Secret, kept from the
//! watch events, so that the mappers and a reconcile's sibling lookup read a few entries
//! instead of scanning a store: at 70,000 objects those scans ran once per event and per
//! reconcile, and the controller reconciled a few objects a second (benches/scale).

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::Event;

use super::Declaring;

/// Names of one kind's objects by `(namespace, tenant)` and by `(namespace, Secret)`.
#[derive(Debug, Default)]
pub struct Related {
    inner: RwLock<Inner>,
}

type Key = (String, String);

/// Names in order, in a vector: a key holds one to a few (a `BTreeSet` node has room for
/// eleven, ~300 B, and there is an entry per admin and per Tenant).
type Names = Vec<Box<str>>;

fn add(names: &mut Names, name: &str) {
    if let Err(i) = names.binary_search_by(|n| (**n).cmp(name)) {
        names.insert(i, name.into());
    }
}

fn remove(names: &mut Names, name: &str) {
    if let Ok(i) = names.binary_search_by(|n| (**n).cmp(name)) {
        names.remove(i);
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_tenant: HashMap<Key, Names>,
    by_secret: HashMap<Key, Names>,
}

/// Where an object is indexed: namespace, name, tenant and the Secret of its password.
fn entries<K: Declaring>(object: &K) -> Option<(String, String, String, Option<String>)> {
    let namespace = object.meta().namespace.clone()?;
    let name = object.meta().name.clone()?;
    let secret = match object.password_ref() {
        Some(r) => Some(r.name.clone()),
        None => object
            .generates_password()
            .then(|| object.generated_secret_name()),
    };
    Some((namespace, name, object.tenant_name(), secret))
}

impl Inner {
    fn link<K: Declaring>(&mut self, object: &K) {
        if let Some((namespace, name, tenant, secret)) = entries(object) {
            if let Some(secret) = secret {
                add(
                    self.by_secret
                        .entry((namespace.clone(), secret))
                        .or_default(),
                    &name,
                );
            }
            add(
                self.by_tenant.entry((namespace, tenant)).or_default(),
                &name,
            );
        }
    }

    fn unlink<K: Declaring>(&mut self, object: &K) {
        let Some((namespace, name, tenant, secret)) = entries(object) else {
            return;
        };
        let drop_name = |map: &mut HashMap<Key, Names>, key: Key| {
            if let Some(names) = map.get_mut(&key) {
                remove(names, &name);
                if names.is_empty() {
                    map.remove(&key);
                }
            }
        };
        if let Some(secret) = secret {
            drop_name(&mut self.by_secret, (namespace.clone(), secret));
        }
        drop_name(&mut self.by_tenant, (namespace, tenant));
    }
}

impl Related {
    /// An index of `objects`.
    pub(crate) fn of<K: Declaring>(objects: &[K]) -> Self {
        let mut inner = Inner::default();
        for o in objects {
            inner.link(o);
        }
        Self {
            inner: RwLock::new(inner),
        }
    }

    /// Follows one event before `store` applies it (the old version is still there).
    pub(crate) fn apply<K: Declaring>(&self, event: &Event<K>, store: &Store<K>) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            Event::Apply(o) | Event::InitApply(o) => {
                if let Some(old) = store.get(&ObjectRef::from_obj(o)) {
                    inner.unlink(old.as_ref());
                }
                inner.link(o);
            }
            Event::Delete(o) => inner.unlink(o),
            Event::Init | Event::InitDone => {}
        }
    }

    /// The objects of Tenant `namespace/tenant`.
    pub(crate) fn of_tenant<K: Declaring>(
        &self,
        namespace: &str,
        tenant: &str,
    ) -> Vec<ObjectRef<K>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        refs(
            inner
                .by_tenant
                .get(&(namespace.to_owned(), tenant.to_owned())),
            namespace,
        )
    }

    /// The objects whose password is in Secret `namespace/secret`.
    pub(crate) fn using_secret<K: Declaring>(
        &self,
        namespace: &str,
        secret: &str,
    ) -> Vec<ObjectRef<K>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        refs(
            inner
                .by_secret
                .get(&(namespace.to_owned(), secret.to_owned())),
            namespace,
        )
    }
}

fn refs<K: Declaring>(names: Option<&Names>, namespace: &str) -> Vec<ObjectRef<K>> {
    names
        .into_iter()
        .flatten()
        .map(|n| ObjectRef::new(n).within(namespace))
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::api::TenantAdmin;
    use kube::runtime::reflector;

    /// A TenantAdmin of `tenant` in `customers`, its password from `secret` or generated.
    pub(in crate::controller) fn admin(
        name: &str,
        tenant: &str,
        secret: Option<&str>,
    ) -> TenantAdmin {
        let mut spec = serde_json::json!({
            "tenantRef": {"name": tenant}, "firstName": "Jane", "lastName": "Roe",
            "upnDomain": "kenton.com", "externalEmail": "jane@example.net"
        });
        match secret {
            Some(s) => spec["passwordSecretRef"] = serde_json::json!({"name": s}),
            None => spec["generatePassword"] = serde_json::json!(true),
        }
        let mut a = TenantAdmin::new(
            name,
            serde_json::from_value(spec).unwrap_or_else(|e| panic!("admin spec: {e}")),
        );
        a.metadata.namespace = Some("customers".into());
        a
    }

    fn names(refs: Vec<ObjectRef<TenantAdmin>>) -> Vec<String> {
        refs.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn the_index_follows_the_watch() {
        let (store, mut writer) = reflector::store::<TenantAdmin>();
        let index = Related::default();
        let mut feed = |event: Event<TenantAdmin>| {
            index.apply(&event, &store);
            writer.apply_watcher_event(&event);
        };
        feed(Event::Init);
        feed(Event::InitApply(admin("jroe", "kenton", Some("kenton-pw"))));
        feed(Event::InitApply(admin("gen", "kenton", None)));
        feed(Event::InitApply(admin("other", "acme", Some("acme-pw"))));
        feed(Event::InitDone);
        assert_eq!(
            names(index.of_tenant("customers", "kenton")),
            ["gen", "jroe"]
        );
        assert_eq!(
            names(index.using_secret("customers", "kenton-pw")),
            ["jroe"]
        );
        assert_eq!(
            names(index.using_secret("customers", "gen-password")),
            ["gen"]
        );
        assert!(index.of_tenant::<TenantAdmin>("other", "kenton").is_empty());

        // A changed password Secret moves the entry; a delete removes it.
        feed(Event::Apply(admin("jroe", "kenton", Some("rotated"))));
        assert!(
            index
                .using_secret::<TenantAdmin>("customers", "kenton-pw")
                .is_empty()
        );
        assert_eq!(names(index.using_secret("customers", "rotated")), ["jroe"]);
        feed(Event::Delete(admin("gen", "kenton", None)));
        assert_eq!(names(index.of_tenant("customers", "kenton")), ["jroe"]);
        assert!(
            index
                .using_secret::<TenantAdmin>("customers", "gen-password")
                .is_empty()
        );
    }
}

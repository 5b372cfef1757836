//! The builder: portal objects → customers, with names, tenant grouping and notes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kube::api::ObjectMeta;

use super::customer::{Customer, Doc};
use super::fields::Skipped;
use super::name::{email_domain, own_ref, sanitise, unique};
use super::{ImportOptions, Imported, Listing, NeededSecret};
use crate::api::{
    Contact, DeletionPolicy, PasswordPolicy, Portal, SecretKey, SecretKeyRef, ServiceBinding,
    ServiceBindingSpec, Tenant, TenantSpec,
};
use crate::model::{Kind, PortalObject};

/// `(namespace, name)` of a Tenant.
pub(super) type TenantKey = (String, String);

/// Which kind of declared object a name belongs to (names are unique per kind and namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DocKind {
    Tenant,
    Admin,
    Binding,
}

/// The state of one import.
pub(super) struct Builder<'a> {
    pub options: &'a ImportOptions,
    pub customers: BTreeMap<TenantKey, Customer>,
    /// Portal id of a DaaS customer or CloudLink account → its Tenant.
    pub parents: HashMap<(Kind, String), TenantKey>,
    /// Names given, plus those tenantry's own `externalRef`s will claim.
    taken: BTreeSet<(String, DocKind, String)>,
    pub secrets: Vec<NeededSecret>,
    pub warnings: Vec<String>,
}

impl<'a> Builder<'a> {
    /// A builder that reserves the names of every object tenantry created, so that an object
    /// made by hand never takes one of them.
    pub fn new(options: &'a ImportOptions, listing: &Listing) -> Self {
        let mut taken = BTreeSet::new();
        for (&kind, objects) in listing {
            let (doc, with_part) = match kind {
                Kind::DaasCustomer | Kind::CloudLinkAccount => (DocKind::Tenant, false),
                Kind::DaasAdmin => (DocKind::Admin, false),
                Kind::License | Kind::CallbackFolder => (DocKind::Binding, true),
                _ => (DocKind::Binding, false),
            };
            for o in objects {
                if let Some(r) = own_ref(&o.external_ref, with_part) {
                    taken.insert((r.namespace.to_owned(), doc, r.name.to_owned()));
                }
            }
        }
        Self {
            options,
            customers: BTreeMap::new(),
            parents: HashMap::new(),
            taken,
            secrets: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The result: customers in name order, warnings as collected.
    pub fn finish(self) -> Imported {
        let customers = self
            .customers
            .into_values()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        let mut secrets = self.secrets;
        secrets.sort();
        Imported {
            customers,
            secrets,
            warnings: self.warnings,
        }
    }

    /// Records a skipped object.
    pub fn skip(&mut self, skipped: Skipped) {
        self.warnings.push(skipped.to_string());
    }

    /// The name of an object in `namespace`: from its own `externalRef` when that names this
    /// namespace (the plan then finds the object), else `fallback` sanitised and made unique.
    ///
    /// Returns the name and whether the plan will find the object under it.
    pub fn name(
        &mut self,
        object: &PortalObject,
        doc: DocKind,
        with_part: bool,
        namespace: &str,
        fallback: &str,
    ) -> (String, bool) {
        if let Some(r) = own_ref(&object.external_ref, with_part)
            && r.namespace == namespace
        {
            return (r.name.to_owned(), true);
        }
        let base = sanitise(fallback, &sanitise(&object.id, "imported"));
        let taken: BTreeSet<String> = self
            .taken
            .iter()
            .filter(|(ns, d, _)| ns == namespace && *d == doc)
            .map(|(_, _, n)| n.clone())
            .collect();
        let name = unique(&base, &taken);
        self.taken.insert((namespace.to_owned(), doc, name.clone()));
        (name, false)
    }

    /// The namespace for an object: its own `externalRef`'s, else the default.
    pub fn namespace(&self, object: &PortalObject, with_part: bool) -> String {
        own_ref(&object.external_ref, with_part).map_or_else(
            || self.options.namespace.clone(),
            |r| r.namespace.to_owned(),
        )
    }

    /// Adds a Tenant from a root object (DaaS customer, CloudLink account), or merges `spec`
    /// into the Tenant that another portal's object of the same `externalRef` made.
    pub fn root(&mut self, kind: Kind, object: &PortalObject, spec: TenantSpec) -> TenantKey {
        let namespace = self.namespace(object, false);
        if let Some(r) = own_ref(&object.external_ref, false) {
            let key = (r.namespace.to_owned(), r.name.to_owned());
            if let Some(existing) = self.customers.get_mut(&key) {
                merge(existing, kind, object, spec);
                self.parents.insert((kind, object.id.clone()), key.clone());
                return key;
            }
        }
        let (name, adopted) = self.name(
            object,
            DocKind::Tenant,
            false,
            &namespace,
            &spec.display_name,
        );
        let key = (namespace.clone(), name.clone());
        let mut tenant = Doc::new(Tenant {
            metadata: meta(&namespace, &name),
            spec,
            status: None,
        });
        tenant.note(source(kind, object));
        if !adopted {
            tenant.note(not_adopted(object));
        }
        self.customers.insert(
            key.clone(),
            Customer {
                tenant,
                admins: Vec::new(),
                bindings: Vec::new(),
                carrier: false,
            },
        );
        self.parents.insert((kind, object.id.clone()), key.clone());
        key
    }

    /// The Tenant of a binding from a portal without customer objects (TeamMate, contact
    /// center, apps): a Tenant of `namespace` that has the customer's `domain`, else one named
    /// after the domain, made from `seed` (its values are the binding's, see the notes).
    pub fn carrier(
        &mut self,
        namespace: &str,
        portal: Portal,
        domain: Option<&str>,
        fallback: &str,
        seed: impl FnOnce() -> (String, Contact),
    ) -> TenantKey {
        let found = domain.and_then(|d| {
            self.customers
                .iter()
                .find(|((ns, _), c)| {
                    ns == namespace && c.tenant.object.spec.domains.iter().any(|x| x == d)
                })
                .map(|(k, _)| k.clone())
        });
        let name = found.map(|(_, n)| n).unwrap_or_else(|| {
            let label = domain.and_then(|d| d.split('.').next()).unwrap_or(fallback);
            sanitise(label, &sanitise(fallback, "imported"))
        });
        let key = (namespace.to_owned(), name.clone());
        if let Some(c) = self.customers.get_mut(&key) {
            let spec = &mut c.tenant.object.spec;
            if !spec.portals.contains(&portal) {
                spec.portals.push(portal);
                spec.portals.sort();
            }
            if c.carrier
                && let Some(d) = domain
                && !spec.domains.iter().any(|x| x == d)
            {
                spec.domains.push(d.to_owned());
            }
            return key;
        }
        self.taken
            .insert((namespace.to_owned(), DocKind::Tenant, name.clone()));
        let (display_name, contact) = seed();
        let domains = domain
            .map(str::to_owned)
            .or_else(|| email_domain(&contact.email))
            .into_iter()
            .collect();
        let spec = TenantSpec {
            display_name,
            code: None,
            customer_type: Default::default(),
            contact,
            address: None,
            billing_id: None,
            domains,
            dns_zone: false,
            password_policy: PasswordPolicy::default(),
            business_type: None,
            admin_contacts: Vec::new(),
            support_contacts: Vec::new(),
            portals: vec![portal],
            portal_connection_ref: None,
            deletion_policy: DeletionPolicy::Orphan,
            management_policy: self.options.management_policy,
            allow_replace: false,
            drift_policy: Default::default(),
            accepted_deviations: Vec::new(),
        };
        let mut tenant = Doc::new(Tenant {
            metadata: meta(namespace, &name),
            spec,
            status: None,
        });
        tenant.note(format!(
            "The {portal} portal keeps no customer object: this Tenant only groups the services \
             below, and its displayName, contact and domains were taken from them. Check them, \
             or point the services' tenantRef at the customer's real Tenant."
        ));
        self.customers.insert(
            key.clone(),
            Customer {
                tenant,
                admins: Vec::new(),
                bindings: Vec::new(),
                carrier: true,
            },
        );
        key
    }

    /// A ServiceBinding of Tenant `key` named from `object` (see [`Builder::name`]), with
    /// its deletion policy when it differs from the Tenant's.
    pub fn binding(
        &mut self,
        key: &TenantKey,
        kind: Kind,
        object: &PortalObject,
        with_part: bool,
        fallback: &str,
    ) -> Doc<ServiceBinding> {
        let (name, adopted) = self.name(object, DocKind::Binding, with_part, &key.0, fallback);
        let mut spec = empty_binding(&key.1);
        spec.deletion_policy = self.inherited(key, object.deletion_policy);
        let mut doc = Doc::new(ServiceBinding {
            metadata: meta(&key.0, &name),
            spec,
            status: None,
        });
        doc.note(source(kind, object));
        if !adopted {
            doc.note(not_adopted(object));
        }
        doc
    }

    /// `policy` when it differs from Tenant `key`'s (which the object would inherit).
    pub fn inherited(&self, key: &TenantKey, policy: DeletionPolicy) -> Option<DeletionPolicy> {
        let tenant = self.customers.get(key)?.tenant.object.spec.deletion_policy;
        (tenant != policy).then_some(policy)
    }

    /// The Tenant's contact, for fields that default to it.
    pub fn tenant_contact(&self, key: &TenantKey) -> Option<&Contact> {
        self.customers
            .get(key)
            .map(|c| &c.tenant.object.spec.contact)
    }

    /// The Tenant's display name, for fields that default to it.
    pub fn tenant_name(&self, key: &TenantKey) -> Option<&str> {
        self.customers
            .get(key)
            .map(|c| c.tenant.object.spec.display_name.as_str())
    }

    /// A reference to a Secret `<object>-password` that the user must supply, noted on `doc`.
    pub fn password_ref<T>(
        &mut self,
        doc: &mut Doc<T>,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> SecretKeyRef {
        let key = SecretKey {
            namespace: namespace.to_owned(),
            name: format!("{name}-password"),
            key: "password".to_owned(),
        };
        doc.note(format!(
            "The portal never returns passwords: supply Secret {}/{} (key {}) with the current \
             password, or set {}. With another value the plan shows a password change.",
            key.namespace,
            key.name,
            key.key,
            crate::validate::secret_env_var(&key)
        ));
        let secret_ref = SecretKeyRef {
            name: key.name.clone(),
            key: key.key.clone(),
        };
        self.secrets.push(NeededSecret {
            key,
            object: format!("{kind} {namespace}/{name}"),
        });
        secret_ref
    }

    /// Adds a binding to its Tenant.
    pub fn push_binding(&mut self, key: &TenantKey, doc: Doc<ServiceBinding>) {
        if let Some(c) = self.customers.get_mut(key) {
            c.bindings.push(doc);
        }
    }
}

/// Metadata of an imported object.
pub(super) fn meta(namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        ..ObjectMeta::default()
    }
}

/// A binding spec of Tenant `tenant` without a service block yet.
fn empty_binding(tenant: &str) -> ServiceBindingSpec {
    ServiceBindingSpec {
        tenant_ref: crate::api::LocalRef {
            name: tenant.to_owned(),
        },
        depends_on: Vec::new(),
        azure_ad: None,
        microsoft_online: None,
        citrix: None,
        file_sharing: None,
        teams_connector: None,
        contact_center: None,
        licenses: None,
        sms: None,
        cloudlink_gateway: None,
        deletion_policy: None,
        management_policy: None,
        allow_replace: None,
        drift_policy: Default::default(),
        accepted_deviations: Vec::new(),
    }
}

/// The note that says where an object came from.
pub(super) fn source(kind: Kind, object: &PortalObject) -> String {
    if object.external_ref.is_empty() {
        format!("Imported from {kind} {}.", object.id)
    } else {
        format!(
            "Imported from {kind} {} (externalRef {}).",
            object.id, object.external_ref
        )
    }
}

/// The note on an object whose `externalRef` this declaration does not reproduce.
pub(super) fn not_adopted(object: &PortalObject) -> String {
    format!(
        "Its externalRef {} is not this object's namespace/name, so `tenantry plan` will not \
         find the portal object under it and shows a create; keep managementPolicy Observe \
         until the portal object is re-linked or recreated.",
        if object.external_ref.is_empty() {
            "(none)"
        } else {
            &object.external_ref
        }
    )
}

/// Merges a second portal's view of the same customer into its Tenant.
fn merge(existing: &mut Customer, kind: Kind, object: &PortalObject, spec: TenantSpec) {
    let tenant = &mut existing.tenant;
    let have = &mut tenant.object.spec;
    for p in spec.portals {
        if !have.portals.contains(&p) {
            have.portals.push(p);
        }
    }
    have.portals.sort();
    if have.display_name != spec.display_name {
        tenant.notes.push(format!(
            "{kind} names this customer {:?}, not {:?}: the plan shows that difference.",
            spec.display_name, have.display_name
        ));
    }
    if have.address.is_none() {
        have.address = spec.address;
    }
    if have.business_type.is_none() {
        have.business_type = spec.business_type;
    }
    if have.admin_contacts.is_empty() {
        have.admin_contacts = spec.admin_contacts;
    }
    if have.support_contacts.is_empty() {
        have.support_contacts = spec.support_contacts;
    }
    tenant.notes.push(source(kind, object));
}

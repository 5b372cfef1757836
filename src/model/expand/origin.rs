//! What every resource of one declared object shares (its origin), and the links between
//! resources: parents, passwords, the Tenant's main object in a portal.

use std::collections::BTreeMap;

use kube::ResourceExt;
use serde_json::{Map, Value};

use crate::api::{
    AcceptedDeviation, DeletionPolicy, DriftPolicy, Location, ManagementPolicy, ObjectId, Policies,
    Portal, SecretKey, SecretKeyRef, Sensitive, Tenant,
};
use crate::model::address::Address;
use crate::model::deviation::Deviation;
use crate::model::error::ModelError;
use crate::model::fingerprint::{fingerprint, fingerprint_field};
use crate::model::kind::Kind;
use crate::model::resource::{ParentLink, Resource, SecretField, SecretSource};

/// The namespace of objects whose manifest leaves it out.
pub(super) const DEFAULT_NAMESPACE: &str = "default";

/// The namespace of a declared object (`default` when the manifest leaves it out).
pub(super) fn namespace<K: ResourceExt>(object: &K) -> String {
    object
        .namespace()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// What every resource of one declared object shares.
pub(super) struct Origin {
    pub(super) declared_by: ObjectId,
    location: Location,
    tenant: String,
    policies: Policies,
    allow_replace: bool,
    deviations: Vec<Deviation>,
}

impl Origin {
    /// The origin of `object` (kind `kind`) belonging to Tenant `tenant`, policies inherited
    /// from the Tenant when the object sets none.
    pub(super) fn new<K: ResourceExt>(
        kind: &str,
        object: &K,
        location: &Location,
        tenant: &Tenant,
        deletion_policy: Option<DeletionPolicy>,
        management_policy: Option<ManagementPolicy>,
        drift_policy: Option<DriftPolicy>,
    ) -> Self {
        Self {
            declared_by: ObjectId::new(kind, &namespace(object), &object.name_any()),
            location: location.clone(),
            tenant: format!("{}/{}", namespace(tenant), tenant.name_any()),
            policies: Policies::inherit(
                deletion_policy,
                management_policy,
                drift_policy,
                Some(&tenant.spec),
            ),
            allow_replace: tenant.spec.allow_replace,
            deviations: Vec::new(),
        }
    }

    /// The object's own accepted deviations (`spec.acceptedDeviations`).
    pub(super) fn deviating(mut self, declared: &[AcceptedDeviation]) -> Result<Self, ModelError> {
        for (index, d) in declared.iter().enumerate() {
            let parsed = Deviation::parse(d).map_err(|message| ModelError::Deviation {
                object: self.declared_by.clone(),
                index,
                message,
            })?;
            self.deviations.push(parsed);
        }
        Ok(self)
    }

    /// The object's own `spec.allowReplace`, when it sets one, over its Tenant's.
    pub(super) fn allowing_replace(mut self, own: Option<bool>) -> Self {
        if let Some(allow) = own {
            self.allow_replace = allow;
        }
        self
    }

    /// `namespace/name` of the declaring object: the `externalRef` of its main resource.
    pub(super) fn external_ref(&self) -> String {
        format!("{}/{}", self.declared_by.namespace, self.declared_by.name)
    }

    /// A resource of this origin.
    pub(super) fn resource(
        &self,
        kind: Kind,
        external_ref: String,
        spec: Map<String, Value>,
    ) -> Resource {
        Resource {
            address: Address::new(kind, external_ref),
            declared_by: self.declared_by.clone(),
            location: self.location.clone(),
            tenant: self.tenant.clone(),
            deletion_policy: self.policies.deletion,
            management_policy: self.policies.management,
            drift_policy: self.policies.drift,
            deviations: self.deviations.clone(),
            allow_replace: self.allow_replace,
            spec,
            parent: None,
            secrets: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    /// Where a password's value is, for a person (`Secret NS/NAME key KEY`); none when generated.
    pub(super) fn secret_from(&self, secret_ref: Option<&SecretKeyRef>) -> Option<String> {
        secret_ref.map(|r| {
            format!(
                "Secret {}/{} key {}",
                self.declared_by.namespace, r.name, r.key
            )
        })
    }

    /// Resolves a password: a Secret value from the input, or generated at creation.
    pub(super) fn password(
        &self,
        field: &'static str,
        secret_ref: Option<&SecretKeyRef>,
        secrets: &BTreeMap<SecretKey, Sensitive>,
    ) -> Result<SecretSource, ModelError> {
        let Some(secret_ref) = secret_ref else {
            return Ok(SecretSource::Generated);
        };
        let key = SecretKey {
            namespace: self.declared_by.namespace.clone(),
            name: secret_ref.name.clone(),
            key: secret_ref.key.clone(),
        };
        secrets
            .get(&key)
            .map(|v| SecretSource::Known(v.clone()))
            .ok_or_else(|| ModelError::MissingSecret {
                object: self.declared_by.clone(),
                field,
                secret: Box::new(key),
            })
    }
}

impl Resource {
    /// Makes `parent` the parent (its id fills `field`) and a dependency.
    pub(super) fn with_parent(mut self, parent: Address) -> Self {
        if let Some(field) = self.address.kind.parent_field() {
            self.depends_on.push(parent.clone());
            self.parent = Some(ParentLink {
                address: parent,
                field,
            });
        }
        self
    }

    /// Adds a write-only `password`, and its fingerprint to the spec when the value is known.
    pub(super) fn with_password(mut self, source: SecretSource, from: Option<String>) -> Self {
        let field = "password";
        if let SecretSource::Known(value) = &source {
            let print = fingerprint(&self.address.external_ref, field, value);
            self.spec
                .insert(fingerprint_field(field), Value::String(print));
        }
        self.secrets.push(SecretField {
            field,
            source,
            from,
        });
        self
    }
}

/// The address of a Tenant's main object in `portal`, or why there is none.
pub(super) fn tenant_object(
    tenant: &Tenant,
    portal: Portal,
    kind: Kind,
    object: &ObjectId,
) -> Result<Address, ModelError> {
    let tenant_ref = format!("{}/{}", namespace(tenant), tenant.name_any());
    if tenant.spec.portals.contains(&portal) {
        Ok(Address::new(kind, tenant_ref))
    } else {
        Err(ModelError::PortalNotEnabled {
            object: object.clone(),
            tenant: tenant_ref,
            portal: portal.id(),
        })
    }
}

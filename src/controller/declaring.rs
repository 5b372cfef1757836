//! `Declaring`: what the controller needs to know about a Tenant, TenantAdmin or ServiceBinding.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    Declared, DeletionPolicy, DriftPolicy, Located, Location, ManagementPolicy, ObjectStatus,
    Policies, SecretKeyRef, ServiceBinding, ServiceKind, Tenant, TenantAdmin,
};

/// A kind whose objects declare portal objects: Tenant, TenantAdmin or ServiceBinding.
pub trait Declaring:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The kind, e.g. `TenantAdmin`.
    const KIND: &'static str;

    /// The published status, if any.
    fn object_status(&self) -> Option<&ObjectStatus>;

    /// Name of the Tenant this object belongs to (its own name for a Tenant).
    fn tenant_name(&self) -> String;

    /// Deletion and management policy set on the object itself (a Tenant always sets both).
    fn own_policies(
        &self,
    ) -> (
        Option<DeletionPolicy>,
        Option<ManagementPolicy>,
        Option<DriftPolicy>,
    );

    /// The Secret key holding a declared password, if any.
    fn password_ref(&self) -> Option<&SecretKeyRef>;

    /// True when the object asks for a generated password.
    fn generates_password(&self) -> bool;

    /// A copy that reads its password from `secret` (the generated one) instead of generating.
    fn with_password_secret(&self, secret: &str) -> Self;

    /// The account name a generated password must not contain.
    fn password_username(&self) -> String;

    /// Names of ServiceBindings that must be Ready first (`spec.dependsOn`).
    fn depends_on(&self) -> Vec<String>;

    /// The object itself when it is a Tenant.
    fn as_tenant(&self) -> Option<&Tenant> {
        None
    }

    /// The declared service, for `kubectl get` (bindings only).
    fn service(&self) -> Option<ServiceKind>;

    /// Adds the object to a declaration.
    fn add_to(&self, declared: &mut Declared);

    /// Adds the object as declared, for validation (nothing left out).
    fn add_for_validation(&self, declared: &mut Declared) {
        self.add_to(declared);
    }

    /// The effective policies, inherited from the Tenant where the object sets none.
    fn policies(&self, tenant: Option<&Tenant>) -> Policies {
        let (deletion, management, drift) = self.own_policies();
        Policies::inherit(deletion, management, drift, tenant.map(|t| &t.spec))
    }

    /// Name of the Secret a generated password goes to.
    fn generated_secret_name(&self) -> String {
        format!("{}-password", self.name_any())
    }
}

fn located<T: Clone>(object: &T) -> Located<T> {
    Located {
        object: object.clone(),
        location: Location::default(),
    }
}

impl Declaring for Tenant {
    const KIND: &'static str = "Tenant";

    fn object_status(&self) -> Option<&ObjectStatus> {
        self.status.as_ref()
    }
    fn tenant_name(&self) -> String {
        self.name_any()
    }
    fn own_policies(
        &self,
    ) -> (
        Option<DeletionPolicy>,
        Option<ManagementPolicy>,
        Option<DriftPolicy>,
    ) {
        (
            Some(self.spec.deletion_policy),
            Some(self.spec.management_policy),
            Some(self.spec.drift_policy),
        )
    }
    fn password_ref(&self) -> Option<&SecretKeyRef> {
        None
    }
    fn generates_password(&self) -> bool {
        false
    }
    fn with_password_secret(&self, _secret: &str) -> Self {
        self.clone()
    }
    fn password_username(&self) -> String {
        String::new()
    }
    fn depends_on(&self) -> Vec<String> {
        Vec::new()
    }
    fn service(&self) -> Option<ServiceKind> {
        None
    }
    fn as_tenant(&self) -> Option<&Tenant> {
        Some(self)
    }
    fn add_to(&self, declared: &mut Declared) {
        if !declared
            .tenants
            .iter()
            .any(|t| t.object.name_any() == self.name_any())
        {
            declared.tenants.push(located(self));
        }
    }
}

impl Declaring for TenantAdmin {
    const KIND: &'static str = "TenantAdmin";

    fn object_status(&self) -> Option<&ObjectStatus> {
        self.status.as_ref()
    }
    fn tenant_name(&self) -> String {
        self.spec.tenant_ref.name.clone()
    }
    fn own_policies(
        &self,
    ) -> (
        Option<DeletionPolicy>,
        Option<ManagementPolicy>,
        Option<DriftPolicy>,
    ) {
        (
            self.spec.deletion_policy,
            self.spec.management_policy,
            self.spec.drift_policy,
        )
    }
    fn password_ref(&self) -> Option<&SecretKeyRef> {
        self.spec.password_secret_ref.as_ref()
    }
    fn generates_password(&self) -> bool {
        self.spec.generate_password
    }
    fn with_password_secret(&self, secret: &str) -> Self {
        let mut copy = self.clone();
        copy.spec.generate_password = false;
        copy.spec.password_secret_ref = Some(SecretKeyRef {
            name: secret.to_owned(),
            key: super::GENERATED_PASSWORD_KEY.to_owned(),
        });
        copy
    }
    fn password_username(&self) -> String {
        self.spec.effective_username()
    }
    fn depends_on(&self) -> Vec<String> {
        Vec::new()
    }
    fn service(&self) -> Option<ServiceKind> {
        None
    }
    fn add_to(&self, declared: &mut Declared) {
        declared.admins.push(located(self));
    }
}

impl Declaring for ServiceBinding {
    const KIND: &'static str = "ServiceBinding";

    fn object_status(&self) -> Option<&ObjectStatus> {
        self.status.as_ref()
    }
    fn tenant_name(&self) -> String {
        self.spec.tenant_ref.name.clone()
    }
    fn own_policies(
        &self,
    ) -> (
        Option<DeletionPolicy>,
        Option<ManagementPolicy>,
        Option<DriftPolicy>,
    ) {
        (
            self.spec.deletion_policy,
            self.spec.management_policy,
            self.spec.drift_policy,
        )
    }
    fn password_ref(&self) -> Option<&SecretKeyRef> {
        self.spec
            .contact_center
            .as_ref()
            .and_then(|c| c.password_secret_ref.as_ref())
    }
    fn generates_password(&self) -> bool {
        self.spec
            .contact_center
            .as_ref()
            .is_some_and(|c| c.generate_password)
    }
    fn with_password_secret(&self, secret: &str) -> Self {
        let mut copy = self.clone();
        if let Some(cc) = copy.spec.contact_center.as_mut() {
            cc.generate_password = false;
            cc.password_secret_ref = Some(SecretKeyRef {
                name: secret.to_owned(),
                key: super::GENERATED_PASSWORD_KEY.to_owned(),
            });
        }
        copy
    }
    fn password_username(&self) -> String {
        self.spec
            .contact_center
            .as_ref()
            .map(|c| c.admin_user.clone())
            .unwrap_or_default()
    }
    fn depends_on(&self) -> Vec<String> {
        self.spec
            .depends_on
            .iter()
            .map(|d| d.name.clone())
            .collect()
    }
    fn service(&self) -> Option<ServiceKind> {
        self.spec.services().first().copied()
    }
    fn add_to(&self, declared: &mut Declared) {
        // The controller waits for dependencies itself (Ready conditions), so the one-object
        // declaration leaves `dependsOn` out: the model would need every named binding.
        let mut copy = self.clone();
        copy.spec.depends_on.clear();
        declared.bindings.push(located(&copy));
    }
    fn add_for_validation(&self, declared: &mut Declared) {
        declared.bindings.push(located(self));
    }
}

//! Resource types of group `tenantry.dev`, version `v1alpha1`, and their CRDs.

mod admin;
mod auth;
mod binding;
mod common;
mod compact;
mod connection;
mod declared;
mod problem;
mod reference;
pub mod schema;
mod sensitive;
mod shown;
mod sink;
mod status;
mod tenant;

pub use admin::{AdminRole, TenantAdmin, TenantAdminSpec, derive_username};
pub use auth::{ApiKey, ClientCredentials, ConnectionAuth, PasswordGrant, RefreshTokenGrant};
pub use binding::{
    AzureAd, AzureAdMode, Citrix, CloudlinkGateway, CloudlinkPlatform, ContactCenter, FileSharing,
    LicenseAssignment, LicenseType, LicensedApp, Licenses, MicrosoftOnline, SbcRegion,
    ServiceBinding, ServiceBindingSpec, ServiceKind, Sms, TeamsConnector, TeamsService,
};
pub use common::{
    API_VERSION, AcceptedDeviation, Address, Contact, DeletionPolicy, DriftPolicy, GROUP, LocalRef,
    ManagementPolicy, NamespacedSecretRef, Portal, SecretKeyRef, VERSION,
};
pub use compact::{SmallMap, Text};
pub use connection::{
    ConnectionApi, ConnectionRef, ConnectionStatus, PortalConnection, PortalConnectionSpec,
    RateLimit,
};
pub use declared::{Declared, Located, Location, SecretKey};
pub use problem::{ObjectId, Problem, Severity};
pub use reference::{REFERENCE_COMMAND, reference_markdown};
pub use sensitive::Sensitive;
pub use shown::{HIDDEN_VALUE, SHOWN_CHARS, about_secret, clip, clip_quoted, shown};
pub use sink::{
    EventType, NotificationSink, NotificationSinkSpec, SinkEvent, SinkFormat, SinkStatus,
    sink_condition,
};
pub use status::{
    Condition, DriftStatus, ObjectStatus, ObservedValues, PlanStatus, condition, find_condition,
    set_condition,
};
pub use tenant::{
    CustomerType, PasswordPolicy, Policies, SupportContact, SupportRole, Tenant, TenantSpec,
};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// The command that regenerates the checked-in CRDs under `crds/`.
pub const CRDS_COMMAND: &str = "cargo run -- crds > crds/tenantry.dev.yaml";

/// The CRDs of every kind, in a fixed order.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        Tenant::crd(),
        TenantAdmin::crd(),
        ServiceBinding::crd(),
        PortalConnection::crd(),
        NotificationSink::crd(),
    ]
}

/// The CRDs as one multi-document YAML stream, as checked in under `crds/`.
pub fn crds_yaml() -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&crd)?);
    }
    Ok(out)
}

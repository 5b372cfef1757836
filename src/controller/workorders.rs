//! The controller's side of the manual store: a Tenant's work orders and confirmed records
//! live in one ConfigMap, `tenantry-workorders-<tenant>`, owned by the Tenant (deleting the
//! Tenant deletes it), holding the same JSON document as the CLI's state file under one key.
//! It holds no secret: specs carry fingerprints and orders name Secrets, never values.
//!
//! Writes are optimistic: a create fails with 409 when another replica created it first, a
//! replace carries the resourceVersion it read and fails with 409 when the ConfigMap moved
//! on. Either way `ManualPortal::transact` reads again and re-applies its change; since an
//! order's id is derived from the change, the second pass finds the winner's order instead of
//! adding another.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{PostParams, Resource};
use kube::{Api, Client, ResourceExt};

use crate::api::Tenant;
use crate::portal::manual::{ManualState, ManualStore, Snapshot, StoreError};

/// The ConfigMap key holding the document (the CLI's file name).
pub const DATA_KEY: &str = crate::portal::manual::STATE_FILE;
/// Label naming the Tenant a work-order ConfigMap belongs to.
pub const TENANT_LABEL: &str = "tenantry.dev/tenant";

/// The name of a Tenant's work-order ConfigMap.
pub fn configmap_name(tenant: &str) -> String {
    format!("tenantry-workorders-{tenant}")
}

/// A Tenant's work-order ConfigMap.
pub(crate) struct ConfigMapStore {
    api: Api<ConfigMap>,
    namespace: String,
    name: String,
    meta: ObjectMeta,
}

impl ConfigMapStore {
    /// The store of `tenant` (none when the Tenant has no name, namespace or uid yet).
    pub(crate) fn of(client: Client, tenant: &Tenant) -> Option<Self> {
        let namespace = tenant.namespace()?;
        let owner = tenant.owner_ref(&())?;
        let name = configmap_name(&tenant.name_any());
        let meta = ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.clone()),
            owner_references: Some(vec![owner]),
            labels: Some(BTreeMap::from([
                (
                    "app.kubernetes.io/managed-by".to_owned(),
                    "tenantry".to_owned(),
                ),
                (TENANT_LABEL.to_owned(), tenant.name_any()),
            ])),
            ..ObjectMeta::default()
        };
        Some(Self {
            api: Api::namespaced(client, &namespace),
            namespace,
            name,
            meta,
        })
    }

    fn unavailable(&self, doing: &str, e: &kube::Error) -> StoreError {
        StoreError::Unavailable(format!(
            "{doing} ConfigMap {}/{}: {e}",
            self.namespace, self.name
        ))
    }
}

impl ManualStore for ConfigMapStore {
    fn describe(&self) -> String {
        format!("ConfigMap {}/{}", self.namespace, self.name)
    }

    fn read(&self) -> BoxFuture<'_, Result<Snapshot, StoreError>> {
        Box::pin(async move {
            let found = self
                .api
                .get_opt(&self.name)
                .await
                .map_err(|e| self.unavailable("reading", &e))?;
            let Some(map) = found else {
                return Ok(Snapshot::default());
            };
            let text = map
                .data
                .as_ref()
                .and_then(|d| d.get(DATA_KEY))
                .map_or("{}", String::as_str);
            Ok(Snapshot {
                state: ManualState::parse(text, &self.describe())?,
                version: map.metadata.resource_version,
            })
        })
    }

    fn write<'a>(
        &'a self,
        state: &'a mut ManualState,
        version: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut map = ConfigMap {
                metadata: self.meta.clone(),
                data: Some(BTreeMap::from([(DATA_KEY.to_owned(), state.to_text())])),
                ..ConfigMap::default()
            };
            let written = match version {
                None => self.api.create(&PostParams::default(), &map).await,
                Some(version) => {
                    map.metadata.resource_version = Some(version.to_owned());
                    self.api
                        .replace(&self.name, &PostParams::default(), &map)
                        .await
                }
            };
            match written {
                Ok(_) => Ok(()),
                // Created or changed by another replica (or an earlier attempt) since the read.
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    Err(StoreError::Conflict(self.describe()))
                }
                Err(e) => Err(self.unavailable("writing", &e)),
            }
        })
    }
}

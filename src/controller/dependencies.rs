//! Dependencies between declaring objects: an admin or binding waits for its Tenant, a
//! binding for its `dependsOn` bindings and Microsoft Online for the Tenant's Azure AD, each
//! to be Ready; the wait shows as `Progressing` with reason `AwaitingDependency`.

use std::sync::Arc;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use super::Declaring;
use super::context::Context;
use crate::api::{ObjectStatus, ServiceBinding, ServiceKind, Tenant, condition, find_condition};

/// Why the object must wait, if it must: its Tenant, its `dependsOn` bindings, and the
/// implicit Microsoft Online → Azure AD edge must be Ready first.
pub(crate) fn waiting_for<K: Declaring>(
    ctx: &Context,
    object: &K,
    tenant: &Tenant,
) -> Option<String> {
    let namespace = object.namespace().unwrap_or_default();
    let mut waits = Vec::new();
    if object.as_tenant().is_none() && !is_ready(tenant.status.as_ref()) {
        waits.push(format!("Tenant {}", tenant.name_any()));
    }
    let mut names = object.depends_on();
    if object
        .service()
        .is_some_and(|s| s == ServiceKind::MicrosoftOnline)
    {
        // The Tenant's bindings from the index: a scan of the whole store per waiting
        // reconcile made the first pass at 10,000 tenants stall (benches/scale).
        let tenant_name = tenant.name_any();
        names.extend(
            ctx.stores
                .binding_index
                .of_tenant::<ServiceBinding>(&namespace, &tenant_name)
                .into_iter()
                .filter(|key| {
                    ctx.stores
                        .bindings
                        .get(key)
                        .is_some_and(|b| b.spec.azure_ad.is_some())
                })
                .map(|key| key.name),
        );
    }
    for name in names {
        let binding: Option<Arc<ServiceBinding>> = ctx
            .stores
            .bindings
            .get(&ObjectRef::new(&name).within(&namespace));
        match binding {
            Some(b) if is_ready(b.status.as_ref()) => {}
            Some(_) => waits.push(format!("ServiceBinding {name}")),
            None => waits.push(format!("ServiceBinding {name} (not found)")),
        }
    }
    (!waits.is_empty()).then(|| {
        format!(
            "Waiting for {} to be Ready; it is retried automatically.",
            waits.join(", ")
        )
    })
}

fn is_ready(status: Option<&ObjectStatus>) -> bool {
    status
        .and_then(|s| find_condition(&s.conditions, condition::READY))
        .is_some_and(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ServiceBindingSpec, set_condition};
    use crate::controller::{Context, Metrics, Settings, Stores};
    use kube::Client;
    use kube::client::Body;

    fn binding(
        tenant: &str,
        name: &str,
        service: serde_json::Value,
        ready: bool,
    ) -> ServiceBinding {
        let mut spec = serde_json::json!({"tenantRef": {"name": tenant}});
        if let (Some(spec), Some(service)) = (spec.as_object_mut(), service.as_object()) {
            spec.extend(service.clone());
        }
        let spec: ServiceBindingSpec =
            serde_json::from_value(spec).unwrap_or_else(|e| panic!("binding spec: {e}"));
        let mut b = ServiceBinding::new(name, spec);
        b.metadata.namespace = Some("customers".into());
        b.status = Some(ready_status(ready));
        b
    }

    /// A status with only `Ready` set.
    fn ready_status(ready: bool) -> ObjectStatus {
        let mut status = ObjectStatus::default();
        let now = crate::controller::status::now();
        set_condition(
            &mut status.conditions,
            condition::READY,
            ready,
            "R",
            "",
            None,
            now,
        );
        status
    }

    fn tenant(name: &str) -> Tenant {
        let spec = serde_json::from_value(serde_json::json!({
            "displayName": name, "contact": {"name": "Jane Roe", "email": "jane@kenton.com"},
            "domains": ["kenton.com"], "portals": ["daas"]
        }))
        .unwrap_or_else(|e| panic!("tenant spec: {e}"));
        let mut t = Tenant::new(name, spec);
        t.metadata.namespace = Some("customers".into());
        t.status = Some(ready_status(true));
        t
    }

    fn context(bindings: Vec<ServiceBinding>) -> Context {
        let (service, _handle) =
            tower_test::mock::pair::<http::Request<Body>, http::Response<Body>>();
        Context::new(
            Client::new(service, "default"),
            crate::portal::Pool::new(Arc::new(crate::portal::Providers::default()), None),
            Stores::from_objects(vec![tenant("kenton")], Vec::new(), bindings, Vec::new()),
            Arc::new(Metrics::new()),
            Settings::default(),
            None,
        )
    }

    #[tokio::test]
    async fn microsoft_online_waits_for_its_own_tenants_azure_ad_only() {
        let azure = serde_json::json!({"azureAD": {"mode": "CreateNew"}});
        let m365 = binding(
            "kenton",
            "kenton-m365",
            serde_json::json!({"microsoftOnline": {}}),
            false,
        );
        // Another Tenant's Azure AD that is not Ready must not hold kenton's binding.
        let other = binding("acme", "acme-azure", azure.clone(), false);
        for (ready, want) in [(false, Some("ServiceBinding kenton-azure")), (true, None)] {
            let own = binding("kenton", "kenton-azure", azure.clone(), ready);
            let ctx = context(vec![own, other.clone(), m365.clone()]);
            let waiting = waiting_for(&ctx, &m365, &tenant("kenton"));
            match want {
                Some(name) => {
                    let message = waiting.unwrap_or_default();
                    assert!(message.contains(name), "{message}");
                    assert!(!message.contains("acme"), "{message}");
                }
                None => assert_eq!(waiting, None),
            }
        }
    }
}

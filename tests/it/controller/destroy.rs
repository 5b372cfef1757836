//! The controller refuses a replacement that destroys data unless the object allows it
//! (issue 14, item 3): the same `engine::decide` rule as `tenantry apply`.

use std::sync::Arc;

use tenantry::controller::reconcile;

use super::fixtures::*;

#[tokio::test]
async fn a_rename_that_destroys_the_account_waits_for_allow_replace() {
    let t = tenant("kenton", "Apply", "Orphan");
    let h = Harness::start(vec![t.clone()], vec![], vec![]).await;
    reconcile(Arc::new(t.clone()), Arc::clone(&h.ctx))
        .await
        .expect("create");
    let status = h.api.last_status().expect("status");
    assert_eq!(condition(&status, "Ready")["status"], "True", "{status:#}");
    let writes = h.portal_writes().len();

    // The account's name is Mitel's: a new display name replaces the account.
    let mut renamed = with_status(&t, &status);
    renamed.spec.display_name = "Kenton Renamed".to_owned();
    reconcile(Arc::new(renamed.clone()), Arc::clone(&h.ctx))
        .await
        .expect("refused, not an error");
    assert_eq!(h.portal_writes().len(), writes, "no portal write");
    let status = h.api.last_status().expect("status");
    for type_ in ["Ready", "PlanPending"] {
        let c = condition(&status, type_);
        assert_eq!(c["reason"], "ReplaceRefused", "{type_}: {status:#}");
        let message = c["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("replacing cloudlink/accounts customers/kenton destroys")
                && message.contains("spec.allowReplace: true on Tenant customers/kenton"),
            "{message}"
        );
    }
    assert_eq!(condition(&status, "Ready")["status"], "False");

    // Allowed by the object: the account is replaced.
    let mut allowed = with_status(&renamed, &status);
    allowed.spec.allow_replace = true;
    reconcile(Arc::new(allowed), Arc::clone(&h.ctx))
        .await
        .expect("replace");
    let new_writes: Vec<String> = h.portal_writes().split_off(writes);
    assert_eq!(
        new_writes,
        [
            "DELETE /v1/cloudlink/accounts/{id}",
            "POST /v1/cloudlink/accounts"
        ],
        "{new_writes:?}"
    );
    let status = h.api.last_status().expect("status");
    assert_ne!(condition(&status, "Ready")["reason"], "ReplaceRefused");
}

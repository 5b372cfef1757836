//! `NotificationSink`: where tenantry tells people what needs them (cluster-scoped): a
//! webhook for a PSA ticket system or a chat channel.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::NamespacedSecretRef;

/// A webhook that receives work orders, long waits, failures and drift, signed with HMAC.
#[expect(
    clippy::duplicated_attributes,
    reason = "kube's printcolumn(...) entries repeat `type_ = \"string\"` by design"
)]
#[derive(CustomResource, KubeSchema, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "tenantry.dev",
    version = "v1alpha1",
    kind = "NotificationSink",
    doc = "A webhook that receives what needs a person: work orders, long waits, failures and drift (cluster-scoped).",
    status = "SinkStatus",
    shortname = "nsink",
    category = "tenantry",
    printcolumn(name = "Format", type_ = "string", json_path = ".spec.format"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Events",
        type_ = "string",
        json_path = ".spec.events",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[x_kube(
    validation = Rule::new("has(self.url) != has(self.urlSecretRef)").message("set spec.url or spec.urlSecretRef (for a webhook URL that carries its own secret, as Slack's and Teams' do), exactly one"),
)]
pub struct NotificationSinkSpec {
    /// The webhook URL, e.g. https://psa.example.net/hooks/tenantry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^https?://[^\\s]+$"), length(max = 2048))]
    pub url: Option<String>,
    /// Secret holding the webhook URL, for URLs that are themselves credentials (Slack, Teams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_secret_ref: Option<NamespacedSecretRef>,
    /// Payload shape: `generic` (tenantry's event JSON), `chat` (Slack and Teams incoming webhooks) or `ticket` (a ConnectWise / Autotask-style service ticket).
    #[serde(default)]
    pub format: SinkFormat,
    /// Secret holding the HMAC-SHA256 key that signs each delivery (`X-Tenantry-Signature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret_ref: Option<NamespacedSecretRef>,
    /// Which events to send; all when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 4), extend("x-kubernetes-list-type" = "set"))]
    pub events: Vec<EventType>,
    /// A waiting state is sent once it has lasted this many minutes (0: at once).
    #[serde(default = "default_waiting_after")]
    #[schemars(range(max = 525_600), extend("format" = "int32"))]
    pub waiting_after_minutes: u32,
}

fn default_waiting_after() -> u32 {
    60
}

/// The payload shape of a sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SinkFormat {
    /// tenantry's event document (docs/notifications.md).
    #[default]
    Generic,
    /// `{"text": ...}`, which Slack and Microsoft Teams incoming webhooks both accept.
    Chat,
    /// A service ticket: summary, description, external reference (ConnectWise / Autotask style).
    Ticket,
}

impl SinkFormat {
    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Chat => "chat",
            Self::Ticket => "ticket",
        }
    }
}

/// What happened that a person should know.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum EventType {
    /// A step a person must perform in a portal (issue 16's manual provider).
    WorkOrder,
    /// An object waits (consent, approval, a person) longer than `waitingAfterMinutes`.
    Waiting,
    /// A portal refused or failed a change for good.
    Failed,
    /// A portal object differs from its declaration.
    Drift,
}

impl EventType {
    /// Every event type, in a fixed order.
    pub const ALL: [EventType; 4] = [Self::WorkOrder, Self::Waiting, Self::Failed, Self::Drift];

    /// The name used in manifests and payloads.
    pub fn name(self) -> &'static str {
        match self {
            Self::WorkOrder => "WorkOrder",
            Self::Waiting => "Waiting",
            Self::Failed => "Failed",
            Self::Drift => "Drift",
        }
    }
}

impl NotificationSinkSpec {
    /// True when the sink takes events of `kind`.
    pub fn wants(&self, kind: EventType) -> bool {
        self.events.is_empty() || self.events.contains(&kind)
    }

    /// Every Secret key the sink reads, with its field.
    pub fn secret_refs(&self) -> Vec<(&'static str, &NamespacedSecretRef)> {
        let mut out = Vec::new();
        if let Some(r) = &self.url_secret_ref {
            out.push(("spec.urlSecretRef", r));
        }
        if let Some(r) = &self.signing_secret_ref {
            out.push(("spec.signingSecretRef", r));
        }
        out
    }
}

/// Observed state of a NotificationSink: its conditions and the controller's outbox (which
/// events it owes the sink and which the sink accepted), kept in the cluster so that a
/// restart or a new leader resends what was pending and nothing that was delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkStatus {
    /// Ready (the sink is usable and its last delivery was accepted) and LastDeliveryFailed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<super::Condition>,
    /// Events due to the sink and not accepted yet, oldest first (at most 200).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 200))]
    pub pending: Vec<SinkEvent>,
    /// Ids of the most recent events the sink accepted, oldest first (at most 500).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 500))]
    pub delivered: Vec<String>,
}

/// Condition types of a NotificationSink.
pub mod sink_condition {
    /// The sink's Secrets are readable and its last delivery was accepted.
    pub const READY: &str = "Ready";
    /// The last delivery failed; the message has the HTTP status, never the URL or body.
    pub const LAST_DELIVERY_FAILED: &str = "LastDeliveryFailed";
}

/// An event the controller owes a sink (the notification's own fields; no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkEvent {
    /// Stable id: the idempotency key.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// `portal/kind/externalRef` of the portal object.
    pub address: String,
    /// The declaring object, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_by: Option<super::ObjectId>,
    /// `namespace/name` of the Tenant, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Stable reason.
    pub reason: String,
    /// What it means and what to do.
    pub message: String,
}

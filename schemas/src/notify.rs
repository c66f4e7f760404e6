//! Notifications: per-user channels and filters, organisation thresholds,
//! webhook endpoints, the deliveries admins inspect, and the notification
//! body that webhooks and the event stream carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

pub use crate::advisory::{LocalisedText, Urgency};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    AdvisoryPublished,
    AdvisoryAmended,
    AdvisoryWithdrawn,
    TaskReminder,
    TaskEscalation,
    /// A member asked a question or added a sighting on the recipient's published report.
    FollowupQuestion,
    /// The submitter answered the recipient's follow-up.
    FollowupAnswer,
    /// A liaison digest is ready (`object_id` is `digest:<id>`).
    DigestIssued,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::AdvisoryPublished,
        EventKind::AdvisoryAmended,
        EventKind::AdvisoryWithdrawn,
        EventKind::TaskReminder,
        EventKind::TaskEscalation,
        EventKind::FollowupQuestion,
        EventKind::FollowupAnswer,
        EventKind::DigestIssued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AdvisoryPublished => "advisory_published",
            EventKind::AdvisoryAmended => "advisory_amended",
            EventKind::AdvisoryWithdrawn => "advisory_withdrawn",
            EventKind::TaskReminder => "task_reminder",
            EventKind::TaskEscalation => "task_escalation",
            EventKind::FollowupQuestion => "followup_question",
            EventKind::FollowupAnswer => "followup_answer",
            EventKind::DigestIssued => "digest_issued",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown event kind `{s}`"))
    }
}

/// The body of one notification, as webhooks receive it and as the event
/// stream sends it in each event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Notification {
    /// Id of this delivery; the same on every retry, so a receiver can drop repeats.
    pub delivery_id: Uuid,
    pub kind: EventKind,
    /// The STIX id the event is about.
    pub object_id: String,
    pub urgency: Urgency,
    pub sectors: Vec<String>,
    pub products: Vec<String>,
    pub tags: Vec<String>,
    pub title: LocalisedText,
    pub summary: LocalisedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// The object as the recipient may see it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: serde_json::Value,
    pub created: DateTime<Utc>,
}

/// A user's own channels and filters. Empty filter lists let everything through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Send e-mail (to the address on the account).
    pub email: bool,
    /// Keep events for the event stream (`isacx watch`).
    pub stream: bool,
    /// Least urgency that reaches this user.
    pub min_urgency: Urgency,
    /// Only events concerning one of these sectors (an event for all sectors always matches).
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Only events naming one of these products (CPE 2.3 or `vendor:product`).
    #[serde(default)]
    pub products: Vec<String>,
    /// Only events carrying one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            email: true,
            stream: true,
            min_urgency: Urgency::Info,
            sectors: Vec::new(),
            products: Vec::new(),
            tags: Vec::new(),
        }
    }
}

/// A member organisation's threshold: nothing less urgent reaches any of its users or webhooks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrganisationNotifySettings {
    pub min_urgency: Urgency,
}

/// Register a webhook endpoint for the caller's organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…` (plain `http://` only where the server allows it).
    pub url: String,
    #[serde(default)]
    pub label: String,
}

/// A webhook endpoint; its secret is never shown again after creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub label: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// The answer to creating a webhook: the signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    /// HMAC-SHA256 key for `X-Isacx-Signature`; store it now, it is not shown again.
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
    Stream,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Webhook, Channel::Stream];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Stream => "stream",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel `{s}`"))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// Accepted by the mail server or webhook receiver; stream events are delivered when stored.
    Delivered,
    /// Gave up after the configured number of attempts; an admin may retry it.
    Dead,
    /// Not sendable here (e.g. e-mail is not configured, the user has no address).
    Skipped,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Delivered,
        DeliveryState::Dead,
        DeliveryState::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
            DeliveryState::Skipped => "skipped",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeliveryState::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown delivery state `{s}`"))
    }
}

/// One outbox row, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    pub seq: i64,
    pub channel: Channel,
    /// User id (e-mail, stream) or webhook endpoint id.
    pub target: String,
    pub user_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub kind: EventKind,
    pub object_id: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Headers of a signed webhook request.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "x-isacx-timestamp";
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-isacx-signature";
pub const WEBHOOK_DELIVERY_HEADER: &str = "x-isacx-delivery";
pub const WEBHOOK_EVENT_HEADER: &str = "x-isacx-event";

//! Pseudonymous follow-up on published reports: another member asks the
//! submitter a question or adds a sighting; the submitter answers. Each side
//! sees the other only as a pseudonym of the thread; the home server's
//! analysts see both identities, raw and shared text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::api::LocalisedName;

/// What a follow-up message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowupKind {
    /// A member asks the submitter something.
    Question,
    /// A member saw the same activity (count, when, observables).
    Sighting,
    /// The submitter answers.
    Answer,
}

impl FollowupKind {
    pub const ALL: [FollowupKind; 3] = [FollowupKind::Question, FollowupKind::Sighting, FollowupKind::Answer];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowupKind::Question => "question",
            FollowupKind::Sighting => "sighting",
            FollowupKind::Answer => "answer",
        }
    }
}

impl std::str::FromStr for FollowupKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FollowupKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("`{s}` is not question, sighting or answer"))
    }
}

/// Which side of a thread wrote a message, or which side the viewer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowupSide {
    /// The member that asked (or reported a sighting).
    Asker,
    /// The member that submitted the report.
    Submitter,
}

impl FollowupSide {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupSide::Asker => "asker",
            FollowupSide::Submitter => "submitter",
        }
    }
}

impl std::str::FromStr for FollowupSide {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asker" => Ok(FollowupSide::Asker),
            "submitter" => Ok(FollowupSide::Submitter),
            other => Err(format!("`{other}` is not asker or submitter")),
        }
    }
}

/// One observed value of a sighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SightedObservable {
    /// `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr` or `file-sha256`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// The observable types a sighting may carry.
pub const OBSERVABLE_TYPES: [&str; 6] = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file-sha256"];

/// What a member saw: how often, when, and which values (attacker-side;
/// the member's own addresses and hosts are left out of the shared copy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    /// How many times (at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(default)]
    pub observables: Vec<SightedObservable>,
}

/// `POST /api/v1/followups`: ask the submitter of a published report, or
/// report a sighting. `report` is the shared STIX id you received (the
/// `report--…` or the `incident--…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFollowup {
    pub report: String,
    /// `question` or `sighting`.
    pub kind: FollowupKind,
    /// Free text; may be empty for a sighting that carries a count or observables.
    #[serde(default)]
    pub text: String,
    /// Only for a sighting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighting: Option<Sighting>,
}

/// `POST /api/v1/followups/{id}/messages`: the asker adds a question or a
/// sighting, the submitter answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFollowupMessage {
    pub kind: FollowupKind,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighting: Option<Sighting>,
}

/// Who a party really is: shown to the home server's analysts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowupIdentity {
    pub organisation_id: Uuid,
    pub organisation_name: LocalisedName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// One message as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowupMessage {
    pub id: Uuid,
    /// Place in the thread, from 1.
    pub seq: u32,
    pub kind: FollowupKind,
    /// Which side wrote it.
    pub side: FollowupSide,
    /// The author as the viewer knows it: `you`, the asker's pseudonym, or `submitter`.
    pub from: String,
    /// The author's side sees its own words; the other side the anonymised copy.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighting: Option<Sighting>,
    /// What the other side got (author's side and analysts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_sighting: Option<Sighting>,
    /// Analysts only: who wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<FollowupIdentity>,
    /// Author's side and analysts: what the anonymiser changed (rule, field, offsets, original).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub redactions: Vec<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// A thread as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowupThread {
    pub id: Uuid,
    /// The shared STIX id the thread was opened on.
    pub report: String,
    /// The published report's (sanitised) name.
    pub title: String,
    /// The viewer's side; absent for analysts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<FollowupSide>,
    /// How the submitter sees the asker in this thread (stable, this thread only).
    pub asker: String,
    /// How the asker sees the submitter.
    pub submitter: String,
    /// The submitter's own report id (submitter and analysts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_row: Option<Uuid>,
    /// Analysts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asker_identity: Option<FollowupIdentity>,
    /// Analysts only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitter_identity: Option<FollowupIdentity>,
    /// Messages in order; empty in lists.
    #[serde(default)]
    pub messages: Vec<FollowupMessage>,
    pub message_count: u32,
    /// The kind of the newest message: `answer` means the submitter has the last word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_kind: Option<FollowupKind>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

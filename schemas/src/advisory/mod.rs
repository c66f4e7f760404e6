//! Advisories (情報提供), member profiles, the risk register (handbook
//! 様式６) and urgent reassessment tasks (緊急のリスクアセスメント): the
//! REST bodies of `/api/v1/advisories`, `/api/v1/profile` and
//! `/api/v1/reassessments`.

pub mod product;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

pub use product::{Product, ProductError};

/// Property extension carried by the STIX `report` an advisory is published as.
pub const ADVISORY_EXTENSION_ID: &str = "extension-definition--b4f8a1d2-6c3e-4f57-9a0b-7d21e5c9f346";

/// How urgent an advisory is. Urgent ones request a reassessment. Ordered:
/// a notification threshold of `warning` lets `warning` and `urgent` through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Info,
    Warning,
    Urgent,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Info, Urgency::Warning, Urgency::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Info => "info",
            Urgency::Warning => "warning",
            Urgency::Urgent => "urgent",
        }
    }
}

impl std::str::FromStr for Urgency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Urgency::ALL
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| format!("unknown urgency `{s}` (expected info, warning or urgent)"))
    }
}

impl std::fmt::Display for Urgency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text in English and Japanese.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LocalisedText {
    pub en: String,
    pub ja: String,
}

impl LocalisedText {
    /// The text in `locale` (`ja` or anything else for English), falling back to the other language when empty.
    pub fn get(&self, locale: &str) -> &str {
        let (first, second) = if locale == "ja" { (&self.ja, &self.en) } else { (&self.en, &self.ja) };
        if first.is_empty() {
            second
        } else {
            first
        }
    }
}

/// What an analyst writes: the body of `POST /api/v1/advisories` and of an amendment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdvisoryDraft {
    pub title: LocalisedText,
    pub summary: LocalisedText,
    pub urgency: Option<Urgency>,
    /// clear, green, amber, amber+strict or red; never below the reports it is made from.
    #[serde(default)]
    pub tlp: Option<String>,
    /// Sharing scope: sector ids that may read it (empty = all sectors).
    #[serde(default)]
    pub scope_sectors: Vec<String>,
    /// members, analysts, liaisons; empty = the default for the TLP.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Organisations a RED advisory is shared with.
    #[serde(default)]
    pub recipients: Vec<Uuid>,
    /// Sectors the threat affects (matching); empty = none named.
    #[serde(default)]
    pub affected_sectors: Vec<String>,
    /// Threat-event ids (config/taxonomy/threat_events.toml).
    #[serde(default)]
    pub threat_events: Vec<String>,
    /// Risk-source ids (config/taxonomy/risk_sources.toml).
    #[serde(default)]
    pub risk_sources: Vec<String>,
    /// CPE 2.3 formatted strings or `vendor:product[:version]`.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub recommended_actions: Vec<LocalisedText>,
    /// When concerned members must have reassessed (urgent advisories);
    /// default: now + the configured period.
    #[serde(default)]
    pub reassessment_deadline: Option<DateTime<Utc>>,
    /// Published reports (ids of `/api/v1/reports`) it is made from.
    #[serde(default)]
    pub reports: Vec<Uuid>,
    /// STIX ids of indicators in the shared store it refers to.
    #[serde(default)]
    pub indicators: Vec<String>,
}

/// Where an advisory stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryState {
    Draft,
    Published,
    Withdrawn,
}

impl AdvisoryState {
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryState::Draft => "draft",
            AdvisoryState::Published => "published",
            AdvisoryState::Withdrawn => "withdrawn",
        }
    }
}

impl std::str::FromStr for AdvisoryState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [AdvisoryState::Draft, AdvisoryState::Published, AdvisoryState::Withdrawn]
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown advisory state `{s}` (expected draft, published or withdrawn)"))
    }
}

/// An advisory as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Advisory {
    pub id: Uuid,
    /// Id of the STIX `report` it is published as.
    pub stix_id: String,
    pub state: AdvisoryState,
    /// 0 while a draft; 1 on publication; +1 per amendment or withdrawal.
    pub version: u32,
    pub urgency: Urgency,
    pub tlp: String,
    pub content: AdvisoryDraft,
    pub reassessment_requested: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    /// Server id of the sharing body it was published on, when it came from
    /// a peer by federation; absent for this server's own. Only the origin
    /// amends or withdraws an imported advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// `POST /api/v1/advisories/{id}/withdraw`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub reason: String,
}

/// Why a member or a register entry is concerned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "criterion", rename_all = "snake_case")]
pub enum MatchReason {
    /// The member is in an affected sector.
    Sector { sector: String },
    /// A technology in use (or named by the entry) matches an affected product.
    Product { advisory_product: String, technology: String },
    /// The entry's threat event is the advisory's, or above or below it in the tree.
    ThreatEvent {
        advisory_threat_event: String,
        entry_threat_event: String,
    },
    /// The entry names a risk source the advisory names.
    RiskSource { risk_source: String },
}

/// A register entry to reassess, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FlaggedEntry {
    pub entry_id: Uuid,
    pub reasons: Vec<MatchReason>,
}

/// One concerned member organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MemberMatch {
    pub organisation_id: Uuid,
    /// Why the organisation is concerned (member-level and entry-level criteria together).
    pub reasons: Vec<MatchReason>,
    pub entries: Vec<FlaggedEntry>,
}

/// A technology in use by a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Technology {
    pub id: Uuid,
    /// As given: a CPE 2.3 formatted string or `vendor:product[:version]`.
    pub product: String,
    /// The same as a CPE 2.3 formatted string.
    pub cpe: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/profile/technologies`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTechnology {
    pub product: String,
    #[serde(default)]
    pub note: String,
}

/// A member's profile for matching: critical systems, reassessment contacts, technologies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MemberProfile {
    pub organisation_id: Uuid,
    /// Critical-system ids (config/taxonomy/sectors.toml).
    pub critical_systems: Vec<String>,
    /// Users reminded first about a reassessment; the organisation's other
    /// operators are the escalation. Empty: every operator is reminded.
    pub contacts: Vec<Uuid>,
    pub technologies: Vec<Technology>,
}

/// `PUT /api/v1/profile`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    #[serde(default)]
    pub critical_systems: Vec<String>,
    #[serde(default)]
    pub contacts: Vec<Uuid>,
}

/// Default risk criterion (リスク基準) of form 6.
pub const DEFAULT_CRITERION: u8 = 5;

/// One row of the risk register, handbook form 6 (様式６): a resource, the
/// outcome that would disrupt the business, the threat event and risk
/// source behind it, impact and likelihood before (inherent) and after
/// (residual) the measures taken, the criterion and the risk owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRegisterEntry {
    /// 経営資源, e.g. 契約DB.
    pub resource: String,
    /// 業務の阻害につながる事象の結果, e.g. 契約情報の流出.
    pub outcome: String,
    /// 結果を生じ得る事象: a threat-event id.
    pub threat_event: String,
    /// リスク源: a risk-source id.
    #[serde(default)]
    pub risk_source: Option<String>,
    /// 事象の結果の影響度合い before measures, 1–5.
    pub impact: u8,
    /// 事象の発生頻度 before measures, 1–5.
    pub likelihood: u8,
    /// After the measures in place; default: as before.
    #[serde(default)]
    pub residual_impact: Option<u8>,
    #[serde(default)]
    pub residual_likelihood: Option<u8>,
    /// 現在講じている対策.
    #[serde(default)]
    pub measures: String,
    /// リスク基準; default 5.
    #[serde(default)]
    pub criterion: Option<u8>,
    /// リスクオーナー (department).
    #[serde(default)]
    pub owner: String,
    /// The technology the resource runs on (CPE 2.3 or vendor:product), if any.
    #[serde(default)]
    pub technology: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterEntry {
    pub id: Uuid,
    pub resource: String,
    pub outcome: String,
    pub threat_event: String,
    pub risk_source: Option<String>,
    pub impact: u8,
    pub likelihood: u8,
    pub residual_impact: u8,
    pub residual_likelihood: u8,
    /// impact × likelihood.
    pub inherent_risk: u8,
    /// residual_impact × residual_likelihood (残留リスク値).
    pub residual_risk: u8,
    pub criterion: u8,
    /// residual_risk > criterion: the owner must act (リスク評価 ●).
    pub exceeds_criterion: bool,
    pub measures: String,
    pub owner: String,
    pub technology: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A past state of a register entry's residual values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegisterHistory {
    pub entry_id: Uuid,
    pub at: DateTime<Utc>,
    pub residual_impact: u8,
    pub residual_likelihood: u8,
    pub residual_risk: u8,
    /// What changed it: `create`, `update`, `import` or `reassessment:<task id>`.
    pub cause: String,
    pub decision: Option<Decision>,
    pub note: String,
}

/// Answer to a CSV import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// How a member treats a reassessed risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 低減: add measures.
    Reduce,
    /// 回避: stop the activity.
    Avoid,
    /// 移転: insure or outsource.
    Transfer,
    /// 保有: accept it as it is.
    Accept,
}

impl Decision {
    pub const ALL: [Decision; 4] = [Decision::Reduce, Decision::Avoid, Decision::Transfer, Decision::Accept];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Reduce => "reduce",
            Decision::Avoid => "avoid",
            Decision::Transfer => "transfer",
            Decision::Accept => "accept",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decision::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown decision `{s}` (expected reduce, avoid, transfer or accept)"))
    }
}

/// Where a reassessment task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Requested,
    Acknowledged,
    Reassessed,
    /// The advisory was withdrawn before the member reassessed.
    Cancelled,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Requested => "requested",
            TaskState::Acknowledged => "acknowledged",
            TaskState::Reassessed => "reassessed",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// Still waiting for the member.
    pub fn is_open(self) -> bool {
        matches!(self, TaskState::Requested | TaskState::Acknowledged)
    }
}

impl std::str::FromStr for TaskState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [TaskState::Requested, TaskState::Acknowledged, TaskState::Reassessed, TaskState::Cancelled]
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown task state `{s}`"))
    }
}

/// A reminder or escalation the sweep recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EscalationStep {
    /// First reminder, to the member's reassessment contacts.
    Reminder,
    /// Past the deadline: to the member's other operators.
    EscalatedToMember,
    /// Later still: to the sharing body's analysts.
    EscalatedToAnalysts,
}

impl EscalationStep {
    pub const ALL: [EscalationStep; 3] = [EscalationStep::Reminder, EscalationStep::EscalatedToMember, EscalationStep::EscalatedToAnalysts];

    pub fn as_str(self) -> &'static str {
        match self {
            EscalationStep::Reminder => "reminder",
            EscalationStep::EscalatedToMember => "escalated_to_member",
            EscalationStep::EscalatedToAnalysts => "escalated_to_analysts",
        }
    }
}

impl std::str::FromStr for EscalationStep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EscalationStep::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown step `{s}`"))
    }
}

/// A step taken, for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StepRecord {
    pub task_id: Uuid,
    pub organisation_id: Uuid,
    pub step: EscalationStep,
    /// User ids it went to.
    pub recipients: Vec<Uuid>,
    pub at: DateTime<Utc>,
}

/// A flagged entry in a task, with the member's answer once reassessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TaskEntry {
    pub entry_id: Uuid,
    pub reasons: Vec<MatchReason>,
    /// The entry as it stands now (absent if it was deleted since).
    pub entry: Option<RegisterEntry>,
    pub outcome: Option<EntryReassessment>,
}

/// A reassessment task (緊急のリスクアセスメント) of one member for one advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReassessmentTask {
    pub id: Uuid,
    pub advisory_id: Uuid,
    pub organisation_id: Uuid,
    pub state: TaskState,
    pub deadline: DateTime<Utc>,
    pub overdue: bool,
    pub reasons: Vec<MatchReason>,
    pub entries: Vec<TaskEntry>,
    pub note: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub reassessed_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepRecord>,
}

/// The member's answer for one flagged entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EntryReassessment {
    pub entry_id: Uuid,
    /// New residual impact, 1–5.
    pub impact: u8,
    /// New residual likelihood, 1–5.
    pub likelihood: u8,
    pub decision: Decision,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/reassessments/{id}/reassess`: one answer per flagged entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReassessRequest {
    #[serde(default)]
    pub entries: Vec<EntryReassessment>,
    /// Overall note; required when no entry was flagged.
    #[serde(default)]
    pub note: Option<String>,
}

/// One line of the analysts' board: who has and has not acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BoardRow {
    pub task_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: LocalisedText,
    pub state: TaskState,
    pub deadline: DateTime<Utc>,
    pub overdue: bool,
    pub flagged_entries: usize,
    pub last_step: Option<EscalationStep>,
}

/// The board of one advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Board {
    pub advisory_id: Uuid,
    pub requested: usize,
    pub acknowledged: usize,
    pub reassessed: usize,
    pub overdue: usize,
    pub rows: Vec<BoardRow>,
}

/// Risk value of form 6: impact × likelihood.
pub fn risk_value(impact: u8, likelihood: u8) -> u8 {
    impact.saturating_mul(likelihood)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        for u in Urgency::ALL {
            assert_eq!(serde_json::to_value(u).unwrap(), serde_json::json!(u.as_str()));
            assert_eq!(u.as_str().parse::<Urgency>().unwrap(), u);
        }
        for d in Decision::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), serde_json::json!(d.as_str()));
        }
        for s in EscalationStep::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert!("urgentish".parse::<Urgency>().is_err());
        let reason = MatchReason::RiskSource { risk_source: "x".into() };
        assert_eq!(
            serde_json::to_value(&reason).unwrap(),
            serde_json::json!({ "criterion": "risk_source", "risk_source": "x" })
        );
    }

    #[test]
    fn form_6_risk_values() {
        // 様式６ 記載例: impact 2 × likelihood 2 after measures = residual 4, under criterion 5.
        assert_eq!(risk_value(2, 2), 4);
        assert_eq!(risk_value(3, 2), 6);
        assert_eq!(risk_value(5, 5), 25);
    }
}

//! Liaison digests: anonymised summaries for the government liaison (NISC and
//! the sector ministries) of what happened where, how bad, and whether
//! operators acted, over one period.
//!
//! A digest holds no member identity: figures only, by sector (a sector that
//! fewer than `k` members share is generalised into [`OTHER_SECTORS`]), and
//! only objects the liaison may read are counted in detail; the rest are
//! counted as `withheld`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::advisory::Urgency;
use crate::api::LocalisedName;

/// The bucket of sectors too small to show on their own (fewer than `k` members).
pub const OTHER_SECTORS: &str = "other";

/// How long a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// The 24 hours up to the scheduled time.
    Daily,
    /// The 7 days up to the scheduled time.
    Weekly,
    /// Any period asked for on demand.
    Custom,
}

impl PeriodKind {
    pub const SCHEDULED: [PeriodKind; 2] = [PeriodKind::Daily, PeriodKind::Weekly];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Daily => "daily",
            PeriodKind::Weekly => "weekly",
            PeriodKind::Custom => "custom",
        }
    }

    /// Length of a scheduled period.
    pub fn length(self) -> Option<chrono::Duration> {
        match self {
            PeriodKind::Daily => Some(chrono::Duration::days(1)),
            PeriodKind::Weekly => Some(chrono::Duration::days(7)),
            PeriodKind::Custom => None,
        }
    }
}

impl std::str::FromStr for PeriodKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "daily" => Ok(PeriodKind::Daily),
            "weekly" => Ok(PeriodKind::Weekly),
            "custom" => Ok(PeriodKind::Custom),
            other => Err(format!("unknown period `{other}`: daily, weekly or custom")),
        }
    }
}

/// Reports published in the period, for one sector × kind × threat event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReportCount {
    /// Sector id, or `other` for generalised sectors.
    pub sector: String,
    /// incident, precursor or near_miss.
    pub kind: String,
    /// Threat event id of the taxonomy, or `unspecified`.
    pub threat_event: String,
    pub count: u64,
}

/// Statutory-threshold breaches (報告を要する重大な事故) with the law that applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatutoryCount {
    /// Sector id, or `other`: then threshold and laws are withheld too (they would name the sector).
    pub sector: String,
    /// Threshold id, empty when withheld.
    pub threshold: String,
    /// The service-maintenance level; empty when withheld.
    pub level: LocalisedName,
    /// The laws that set it (Japanese names); empty when withheld.
    pub laws: Vec<String>,
    pub count: u64,
}

/// Advisories published in the period, by urgency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AdvisoryCount {
    pub urgency: Urgency,
    pub count: u64,
}

/// Urgent-reassessment compliance of one sector, for tasks requested in the
/// period, as it stood at the period's end. Milestones are cumulative
/// (`requested` ≥ `acknowledged` ≥ `done`); `overdue` is not done and past
/// its deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ComplianceCount {
    /// Sector id, or `other`.
    pub sector: String,
    pub requested: u64,
    pub acknowledged: u64,
    pub done: u64,
    pub overdue: u64,
}

/// New indicators shared in the period, by observable type (`ipv4-addr`, `domain-name`, `url`, `file` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IndicatorCount {
    #[serde(rename = "type")]
    pub indicator_type: String,
    pub count: u64,
}

/// The headline figures, compared with the previous period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Totals {
    /// Reports published in the period and counted in detail.
    pub reports: u64,
    /// Reports published in the period the liaison may not read (TLP or audience): counted here only.
    pub reports_withheld: u64,
    /// Reports received in the period still waiting for review: counted here only.
    pub reports_in_review: u64,
    pub statutory: u64,
    pub advisories: u64,
    pub advisories_withheld: u64,
    pub tasks_requested: u64,
    pub tasks_done: u64,
    pub tasks_overdue: u64,
    pub indicators: u64,
    pub indicators_withheld: u64,
}

/// One digest: figures for one period and one scope of sectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Digest {
    /// Set once the digest is stored in the archive; absent for an on-demand preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub period: PeriodKind,
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// The sectors asked for (`*` for all).
    pub scope: Vec<String>,
    /// The least number of members a sector needs to be shown by name.
    pub k: u64,
    /// Sectors shown by name; those fewer than `k` members share are counted under `other`.
    pub sectors: Vec<String>,
    pub generated_at: DateTime<Utc>,
    pub totals: Totals,
    /// The same figures for the period of equal length just before.
    pub previous: Totals,
    pub reports: Vec<ReportCount>,
    pub statutory: Vec<StatutoryCount>,
    pub advisories: Vec<AdvisoryCount>,
    pub compliance: Vec<ComplianceCount>,
    pub indicators: Vec<IndicatorCount>,
}

/// An archived digest in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DigestSummary {
    pub id: Uuid,
    pub period: PeriodKind,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Vec<String>,
    pub generated_at: DateTime<Utc>,
    pub totals: Totals,
}

impl Digest {
    pub fn summary(&self) -> Option<DigestSummary> {
        Some(DigestSummary {
            id: self.id?,
            period: self.period,
            from: self.from,
            to: self.to,
            scope: self.scope.clone(),
            generated_at: self.generated_at,
            totals: self.totals.clone(),
        })
    }
}

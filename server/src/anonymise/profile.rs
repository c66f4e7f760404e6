//! What the anonymiser is told: who the member is, and how far to go.

use ipnet::IpNet;
use isacx_schemas::api::Organisation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AnonymiseError;

/// What identifies the member that submitted a report. Comes from the
/// organisation record ([`MemberProfile::from_organisation`]), optionally
/// with the staff names the member registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemberProfile {
    /// Official names in any script (Japanese and Latin), with or without
    /// company-form markers; markers are stripped and matched optionally.
    pub names: Vec<String>,
    /// Other names the member is known by (略称, brands, romanisations).
    pub aliases: Vec<String>,
    /// DNS domains the member owns (Unicode or punycode).
    pub domains: Vec<String>,
    /// The member's own address ranges (internal or public blocks it owns).
    pub internal_ranges: Vec<IpNet>,
    /// The member's sector ids.
    pub sectors: Vec<String>,
    /// Names of the member's staff to redact wherever they appear.
    pub staff_names: Vec<String>,
    /// The member's own STIX identity ids, if its tools author objects:
    /// replaced by the sharing body's as author, and such identity objects
    /// are left out.
    pub identity_ids: Vec<String>,
}

impl MemberProfile {
    /// The profile of an organisation as the admin API stores it.
    pub fn from_organisation(org: &Organisation) -> Result<Self, AnonymiseError> {
        let internal_ranges = org
            .internal_ranges
            .iter()
            .map(|r| {
                r.trim()
                    .parse::<IpNet>()
                    .map_err(|_| AnonymiseError::Profile(format!("`{r}` is not a CIDR range")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            names: vec![org.name.ja.clone(), org.name.en.clone()],
            aliases: org.aliases.clone(),
            domains: org.domains.clone(),
            internal_ranges,
            sectors: org.sectors.clone(),
            staff_names: Vec::new(),
            identity_ids: Vec::new(),
        })
    }
}

/// How coarse times become.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeGranularity {
    /// Times stay exact.
    #[default]
    None,
    /// Cut to the hour.
    Hour,
    /// Cut to the day (UTC).
    Day,
}

/// The sharing body that becomes the author of everything shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingBody {
    /// Its STIX identity id (`identity--…`).
    pub identity_id: String,
    /// Its display name.
    pub name: String,
}

/// How far to anonymise; supplied by the server per report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnonymiseOptions {
    pub coarsen_times: TimeGranularity,
    /// The sector is shown only if at least `k` members share it (or the
    /// submitter consented).
    pub k: usize,
    /// How many member organisations the exchange has in the report's
    /// sector; the caller counts them.
    pub members_in_sector: usize,
    pub sharing_body: SharingBody,
    /// Namespace for the ids of the sanitised copy. Should be a secret of
    /// the deployment: the sanitised ids are derived from it and the raw
    /// ids, so the same report always gives the same copy, while someone
    /// who learns a raw id cannot compute the shared one.
    pub id_namespace: Uuid,
}

impl AnonymiseOptions {
    /// The defaults: exact times, k = 3, ids namespaced by the sharing
    /// body's identity id (set [`AnonymiseOptions::id_namespace`] to a
    /// secret in production).
    pub fn new(sharing_body: SharingBody, members_in_sector: usize) -> Self {
        let id_namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, sharing_body.identity_id.as_bytes());
        Self {
            coarsen_times: TimeGranularity::None,
            k: 3,
            members_in_sector,
            sharing_body,
            id_namespace,
        }
    }
}

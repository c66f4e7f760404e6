//! The seed's taxonomies as data: sectors and critical systems, threat
//! events, outcomes, risk sources, services, regulations and the statutory
//! reporting thresholds.
//!
//! Sectors and the rest are data, not enums, because later national plans
//! add sectors and the ministries revise thresholds: the committed files
//! under `config/taxonomy/` are compiled in ([`Taxonomy::builtin`]) and a
//! deployment may override any of them ([`Taxonomy::load`]). Every load is
//! cross-checked, so a bad override fails at start-up, not at intake.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::report::Report;

/// File names of the taxonomy, relative to the taxonomy directory.
pub const SECTORS_FILE: &str = "sectors.toml";
pub const THREAT_EVENTS_FILE: &str = "threat_events.toml";
pub const OUTCOMES_FILE: &str = "outcomes.toml";
pub const RISK_SOURCES_FILE: &str = "risk_sources.toml";
pub const SERVICE_LEVELS_FILE: &str = "service_levels.toml";

const BUILTIN_SECTORS: &str = include_str!("../../config/taxonomy/sectors.toml");
const BUILTIN_THREAT_EVENTS: &str = include_str!("../../config/taxonomy/threat_events.toml");
const BUILTIN_OUTCOMES: &str = include_str!("../../config/taxonomy/outcomes.toml");
const BUILTIN_RISK_SOURCES: &str = include_str!("../../config/taxonomy/risk_sources.toml");
const BUILTIN_SERVICE_LEVELS: &str = include_str!("../../config/taxonomy/service_levels.toml");

/// 重要インフラ分野: a critical-infrastructure sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: String,
    pub ja: String,
    pub en: String,
    /// Closest STIX 2.1 industry-sector-ov values.
    #[serde(default)]
    pub stix_sectors: Vec<String>,
    /// 重要システム examples of the sector (guideline 別紙１).
    #[serde(default, rename = "critical_system")]
    pub critical_systems: Vec<CriticalSystem>,
}

/// 重要システム: a critical system of one sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriticalSystem {
    pub id: String,
    pub ja: String,
    pub en: String,
}

/// Depth of a node in the threat-event tree (handbook 別紙２).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ThreatLevel {
    /// 攻撃に起因する / 攻撃に起因しない / 人に起因する脅威.
    Category,
    /// 外部不正, 内部不正, 自然現象, 障害.
    Group,
    /// The named threat (e.g. 標的型攻撃) that risk sources refer to.
    Event,
    /// 具体例: a concrete example sentence.
    Example,
}

/// 結果を生じ得る事象(脅威): one node of the threat-event tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatEvent {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub level: ThreatLevel,
    pub ja: String,
    pub en: String,
    /// The placement is our reading of a table whose merged cells the seed's
    /// text extraction lost, not a copy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

/// An area (分野のまとまり) the handbook groups resource examples by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub ja: String,
    pub en: String,
}

/// 経営資源 (情報資産) example the handbook lists outcomes for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub id: String,
    pub area: String,
    pub ja: String,
    pub en: String,
}

/// 事象の結果: an outcome that disrupts business, with its CIA flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub id: String,
    pub ja: String,
    pub en: String,
    pub availability: bool,
    pub integrity: bool,
    pub confidentiality: bool,
    /// Resources the handbook lists this outcome for.
    #[serde(default)]
    pub resources: Vec<String>,
}

/// 分類 of risk sources (handbook 別紙４).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskSourceClass {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub ja: String,
    pub en: String,
}

/// リスク源: a risk source and the threat events it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskSource {
    pub id: String,
    pub class: String,
    pub ja: String,
    pub en: String,
    /// Ids of [`ThreatEvent`]s (該当する「結果を生じ得る事象(脅威)」).
    pub threat_events: Vec<String>,
    /// Class or relation reconstructed from the order of the seed's rows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

/// What kind of instrument a regulation is: a law binds, a guideline guides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegulationKind {
    /// 法律.
    Law,
    /// 施行規則, 府令, 命令.
    Ordinance,
    /// 監督指針, ガイドライン, 安全基準.
    Guideline,
    /// 通知.
    Notice,
}

/// A law, ordinance or guideline under which outages are reported (法令名).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Regulation {
    pub id: String,
    pub kind: RegulationKind,
    pub ja: String,
    pub en: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_en: Option<String>,
}

/// A bilingual text without an id (e.g. an outage example).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

/// Equipment a service-maintenance level is limited to (e.g. 中継局の無線設備).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: String,
    pub ja: String,
    pub en: String,
}

/// 重要インフラサービス: a service of a sector (guideline 別紙２, 呼称).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub sector: String,
    pub ja: String,
    pub en: String,
    /// Ids of the [`Regulation`]s its outages are reported under.
    #[serde(default)]
    pub regulations: Vec<String>,
    /// 重要インフラサービス障害の例.
    #[serde(default, rename = "outage_example")]
    pub outage_examples: Vec<Text>,
    #[serde(default, rename = "facility")]
    pub facilities: Vec<Facility>,
}

/// A measurable service impact a threshold can test.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Users whose service stopped or degraded (利用者の数).
    UsersAffected,
    /// How long the stop or degradation lasted, in minutes (継続時間, 支障時間).
    DurationMinutes,
    /// Supply lost, in kW (供給支障電力).
    SupplyLossKw,
    /// Households whose supply was cut (供給支障戸数).
    HouseholdsAffected,
}

impl Metric {
    /// The snake_case name, as in the data files and in `service_impact`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::UsersAffected => "users_affected",
            Metric::DurationMinutes => "duration_minutes",
            Metric::SupplyLossKw => "supply_loss_kw",
            Metric::HouseholdsAffected => "households_affected",
        }
    }
}

/// `metric >= at_least` (以上 is inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: Metric,
    pub at_least: f64,
}

/// A サービス維持レベル: crossing it makes an incident 報告を要する重大な事故.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub id: String,
    pub sector: String,
    /// Services it applies to; empty means every service of the sector.
    #[serde(default)]
    pub services: Vec<String>,
    /// Equipment it is limited to, an id of the service's facilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
    /// Ids of the [`Regulation`]s that set it.
    pub regulations: Vec<String>,
    pub ja: String,
    pub en: String,
    /// Conditions that must all hold; empty means text-only (never evaluated).
    #[serde(default)]
    pub all: Vec<Condition>,
}

impl Threshold {
    /// True when the seed gives no number for it: shown, never evaluated.
    pub fn is_text_only(&self) -> bool {
        self.all.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SectorsFile {
    #[serde(default)]
    sector: Vec<Sector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThreatEventsFile {
    #[serde(default)]
    threat_event: Vec<ThreatEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomesFile {
    #[serde(default)]
    area: Vec<Area>,
    #[serde(default)]
    resource: Vec<Resource>,
    #[serde(default)]
    outcome: Vec<Outcome>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskSourcesFile {
    #[serde(default)]
    class: Vec<RiskSourceClass>,
    #[serde(default)]
    risk_source: Vec<RiskSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceLevelsFile {
    #[serde(default)]
    regulation: Vec<Regulation>,
    #[serde(default)]
    service: Vec<Service>,
    #[serde(default)]
    threshold: Vec<Threshold>,
}

/// Why a taxonomy could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("cannot read taxonomy file {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("taxonomy file {file} is not valid: {message}")]
    Parse { file: String, message: String },
    #[error("taxonomy is inconsistent: {}", .problems.join("; "))]
    Invalid { problems: Vec<String> },
}

/// All taxonomies, cross-checked.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Taxonomy {
    pub sectors: Vec<Sector>,
    pub threat_events: Vec<ThreatEvent>,
    pub areas: Vec<Area>,
    pub resources: Vec<Resource>,
    pub outcomes: Vec<Outcome>,
    pub risk_source_classes: Vec<RiskSourceClass>,
    pub risk_sources: Vec<RiskSource>,
    pub regulations: Vec<Regulation>,
    pub services: Vec<Service>,
    pub thresholds: Vec<Threshold>,
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, TaxonomyError> {
    toml::from_str(text).map_err(|e| TaxonomyError::Parse {
        file: file.to_owned(),
        message: e.to_string(),
    })
}

/// The five files' texts, in [`Taxonomy::from_texts`] order.
struct Texts<'a> {
    sectors: &'a str,
    threat_events: &'a str,
    outcomes: &'a str,
    risk_sources: &'a str,
    service_levels: &'a str,
}

impl Taxonomy {
    /// The taxonomy compiled in from `config/taxonomy/`.
    pub fn builtin() -> Result<Taxonomy, TaxonomyError> {
        Self::from_texts(&Texts {
            sectors: BUILTIN_SECTORS,
            threat_events: BUILTIN_THREAT_EVENTS,
            outcomes: BUILTIN_OUTCOMES,
            risk_sources: BUILTIN_RISK_SOURCES,
            service_levels: BUILTIN_SERVICE_LEVELS,
        })
    }

    /// The built-in taxonomy, parsed once; used where no taxonomy can be
    /// passed in (JSON Schema generation).
    pub fn builtin_shared() -> Result<&'static Taxonomy, TaxonomyError> {
        static BUILTIN: OnceLock<Result<Taxonomy, TaxonomyError>> = OnceLock::new();
        BUILTIN
            .get_or_init(Taxonomy::builtin)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads an override directory: each of the five files present there
    /// replaces the built-in one, a missing file keeps the built-in one.
    pub fn load(dir: &Path) -> Result<Taxonomy, TaxonomyError> {
        let read = |name: &str, builtin: &str| -> Result<String, TaxonomyError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(builtin.to_owned()),
                Err(e) => Err(TaxonomyError::Io {
                    path,
                    message: e.to_string(),
                }),
            }
        };
        if !dir.is_dir() {
            return Err(TaxonomyError::Io {
                path: dir.to_path_buf(),
                message: "not a directory".to_owned(),
            });
        }
        let sectors = read(SECTORS_FILE, BUILTIN_SECTORS)?;
        let threat_events = read(THREAT_EVENTS_FILE, BUILTIN_THREAT_EVENTS)?;
        let outcomes = read(OUTCOMES_FILE, BUILTIN_OUTCOMES)?;
        let risk_sources = read(RISK_SOURCES_FILE, BUILTIN_RISK_SOURCES)?;
        let service_levels = read(SERVICE_LEVELS_FILE, BUILTIN_SERVICE_LEVELS)?;
        Self::from_texts(&Texts {
            sectors: &sectors,
            threat_events: &threat_events,
            outcomes: &outcomes,
            risk_sources: &risk_sources,
            service_levels: &service_levels,
        })
    }

    fn from_texts(t: &Texts<'_>) -> Result<Taxonomy, TaxonomyError> {
        let sectors: SectorsFile = parse(SECTORS_FILE, t.sectors)?;
        let threats: ThreatEventsFile = parse(THREAT_EVENTS_FILE, t.threat_events)?;
        let outcomes: OutcomesFile = parse(OUTCOMES_FILE, t.outcomes)?;
        let risks: RiskSourcesFile = parse(RISK_SOURCES_FILE, t.risk_sources)?;
        let levels: ServiceLevelsFile = parse(SERVICE_LEVELS_FILE, t.service_levels)?;
        let taxonomy = Taxonomy {
            sectors: sectors.sector,
            threat_events: threats.threat_event,
            areas: outcomes.area,
            resources: outcomes.resource,
            outcomes: outcomes.outcome,
            risk_source_classes: risks.class,
            risk_sources: risks.risk_source,
            regulations: levels.regulation,
            services: levels.service,
            thresholds: levels.threshold,
        };
        let problems = taxonomy.problems();
        if problems.is_empty() {
            Ok(taxonomy)
        } else {
            Err(TaxonomyError::Invalid { problems })
        }
    }

    pub fn sector(&self, id: &str) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.id == id)
    }

    /// A critical system and the sector it belongs to.
    pub fn critical_system(&self, id: &str) -> Option<(&Sector, &CriticalSystem)> {
        self.sectors.iter().find_map(|s| {
            s.critical_systems
                .iter()
                .find(|c| c.id == id)
                .map(|c| (s, c))
        })
    }

    pub fn threat_event(&self, id: &str) -> Option<&ThreatEvent> {
        self.threat_events.iter().find(|t| t.id == id)
    }

    /// The node and its ancestors, nearest first: lets matching treat a
    /// report of 標的型攻撃 as also one of 外部不正 and 攻撃に起因する脅威.
    pub fn threat_event_path(&self, id: &str) -> Vec<&ThreatEvent> {
        let mut path = Vec::new();
        let mut next = self.threat_event(id);
        while let Some(node) = next {
            if path.iter().any(|p: &&ThreatEvent| p.id == node.id) {
                break; // a cycle; `problems` rejects it, stay safe anyway
            }
            path.push(node);
            next = node.parent.as_deref().and_then(|p| self.threat_event(p));
        }
        path
    }

    /// The nodes directly under `id` (the categories for `None`), in file order.
    pub fn threat_event_children<'a>(
        &'a self,
        id: Option<&'a str>,
    ) -> impl Iterator<Item = &'a ThreatEvent> {
        self.threat_events
            .iter()
            .filter(move |t| t.parent.as_deref() == id)
    }

    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.id == id)
    }

    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }

    pub fn risk_source(&self, id: &str) -> Option<&RiskSource> {
        self.risk_sources.iter().find(|r| r.id == id)
    }

    pub fn regulation(&self, id: &str) -> Option<&Regulation> {
        self.regulations.iter().find(|r| r.id == id)
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn services_of<'a>(&'a self, sector: &'a str) -> impl Iterator<Item = &'a Service> {
        self.services.iter().filter(move |s| s.sector == sector)
    }

    pub fn threshold(&self, id: &str) -> Option<&Threshold> {
        self.thresholds.iter().find(|t| t.id == id)
    }

    /// Thresholds that apply to a sector (and service, when given): the
    /// numeric ones and the text-only ones the submitter should read.
    pub fn thresholds_for<'a>(
        &'a self,
        sector: &'a str,
        service: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Threshold> {
        self.thresholds.iter().filter(move |t| {
            t.sector == sector
                && (t.services.is_empty()
                    || service.is_none_or(|s| t.services.iter().any(|x| x == s)))
        })
    }

    /// Which statutory thresholds a report crosses, and the regulations that
    /// set each. Only incidents (障害) are evaluated: a precursor or near miss
    /// had no service impact to report. Text-only thresholds are never hits.
    ///
    /// Missing facts do not cross a threshold; facts the report leaves open
    /// that the threshold narrows (service, facility) are assumed and flagged
    /// in the hit, so the submitter sees "crossed if it was the relay station".
    pub fn evaluate_thresholds(&self, report: &Report) -> Vec<ThresholdHit> {
        if report.kind != crate::report::ReportKind::Incident {
            return Vec::new();
        }
        let facts = ImpactFacts::from_report(report);
        self.evaluate_facts(&report.sector, report.service.as_deref(), &facts)
    }

    /// [`Taxonomy::evaluate_thresholds`] on bare facts, for callers that
    /// have no whole report (e.g. a form's live preview).
    pub fn evaluate_facts(
        &self,
        sector: &str,
        service: Option<&str>,
        facts: &ImpactFacts,
    ) -> Vec<ThresholdHit> {
        let mut hits = Vec::new();
        for t in self.thresholds_for(sector, service) {
            if t.is_text_only() {
                continue;
            }
            let mut measured = Vec::new();
            let mut crossed = true;
            for c in &t.all {
                match facts.value(c.metric) {
                    Some(v) if v.is_finite() && v >= c.at_least => measured.push(Measurement {
                        metric: c.metric,
                        value: v,
                        at_least: c.at_least,
                    }),
                    _ => {
                        crossed = false;
                        break;
                    }
                }
            }
            if !crossed {
                continue;
            }
            let facility_assumed = match (&t.facility, &facts.facility) {
                (None, _) => false,
                (Some(want), Some(have)) if want == have => false,
                (Some(_), Some(_)) => continue,
                (Some(_), None) => true,
            };
            hits.push(ThresholdHit {
                threshold: t.id.clone(),
                sector: t.sector.clone(),
                services: t.services.clone(),
                facility: t.facility.clone(),
                ja: t.ja.clone(),
                en: t.en.clone(),
                regulations: t
                    .regulations
                    .iter()
                    .filter_map(|r| self.regulation(r))
                    .cloned()
                    .collect(),
                service_assumed: service.is_none() && !t.services.is_empty(),
                facility_assumed,
                measured,
            });
        }
        hits
    }

    /// Every inconsistency, each as one sentence naming the file and id.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        check_ids(
            &mut p,
            SECTORS_FILE,
            "sector",
            self.sectors.iter().map(|s| (&s.id, &s.ja, &s.en)),
        );
        check_ids(
            &mut p,
            SECTORS_FILE,
            "critical system",
            self.sectors
                .iter()
                .flat_map(|s| s.critical_systems.iter().map(|c| (&c.id, &c.ja, &c.en))),
        );
        check_ids(
            &mut p,
            THREAT_EVENTS_FILE,
            "threat event",
            self.threat_events.iter().map(|t| (&t.id, &t.ja, &t.en)),
        );
        check_ids(
            &mut p,
            OUTCOMES_FILE,
            "area",
            self.areas.iter().map(|a| (&a.id, &a.ja, &a.en)),
        );
        check_ids(
            &mut p,
            OUTCOMES_FILE,
            "resource",
            self.resources.iter().map(|r| (&r.id, &r.ja, &r.en)),
        );
        check_ids(
            &mut p,
            OUTCOMES_FILE,
            "outcome",
            self.outcomes.iter().map(|o| (&o.id, &o.ja, &o.en)),
        );
        check_ids(
            &mut p,
            RISK_SOURCES_FILE,
            "risk source class",
            self.risk_source_classes
                .iter()
                .map(|c| (&c.id, &c.ja, &c.en)),
        );
        check_ids(
            &mut p,
            RISK_SOURCES_FILE,
            "risk source",
            self.risk_sources.iter().map(|r| (&r.id, &r.ja, &r.en)),
        );
        check_ids(
            &mut p,
            SERVICE_LEVELS_FILE,
            "regulation",
            self.regulations.iter().map(|r| (&r.id, &r.ja, &r.en)),
        );
        check_ids(
            &mut p,
            SERVICE_LEVELS_FILE,
            "service",
            self.services.iter().map(|s| (&s.id, &s.ja, &s.en)),
        );
        check_ids(
            &mut p,
            SERVICE_LEVELS_FILE,
            "threshold",
            self.thresholds.iter().map(|t| (&t.id, &t.ja, &t.en)),
        );
        if self.sectors.is_empty() {
            p.push(format!("{SECTORS_FILE}: no sector"));
        }

        for t in &self.threat_events {
            match (&t.parent, t.level) {
                (None, ThreatLevel::Category) => {}
                (None, level) => p.push(format!(
                    "{THREAT_EVENTS_FILE}: threat event {:?} is a {level:?} without a parent",
                    t.id
                )),
                (Some(parent), level) => match self.threat_event(parent) {
                    None => p.push(format!(
                        "{THREAT_EVENTS_FILE}: threat event {:?} has unknown parent {parent:?}",
                        t.id
                    )),
                    Some(pn) if pn.level >= level => p.push(format!(
                        "{THREAT_EVENTS_FILE}: threat event {:?} ({level:?}) sits under {parent:?} ({:?}), which is not a higher level",
                        t.id, pn.level
                    )),
                    Some(_) => {}
                },
            }
        }

        for r in &self.resources {
            if !self.areas.iter().any(|a| a.id == r.area) {
                p.push(format!(
                    "{OUTCOMES_FILE}: resource {:?} has unknown area {:?}",
                    r.id, r.area
                ));
            }
        }
        for o in &self.outcomes {
            if !(o.availability || o.integrity || o.confidentiality) {
                p.push(format!("{OUTCOMES_FILE}: outcome {:?} sets none of availability, integrity, confidentiality", o.id));
            }
            for r in &o.resources {
                if self.resource(r).is_none() {
                    p.push(format!(
                        "{OUTCOMES_FILE}: outcome {:?} names unknown resource {r:?}",
                        o.id
                    ));
                }
            }
        }

        for c in &self.risk_source_classes {
            if let Some(parent) = &c.parent {
                if !self
                    .risk_source_classes
                    .iter()
                    .any(|x| &x.id == parent && x.parent.is_none())
                {
                    p.push(format!(
                        "{RISK_SOURCES_FILE}: class {:?} has unknown or nested parent {parent:?}",
                        c.id
                    ));
                }
            }
        }
        for r in &self.risk_sources {
            if !self.risk_source_classes.iter().any(|c| c.id == r.class) {
                p.push(format!(
                    "{RISK_SOURCES_FILE}: risk source {:?} has unknown class {:?}",
                    r.id, r.class
                ));
            }
            if r.threat_events.is_empty() {
                p.push(format!(
                    "{RISK_SOURCES_FILE}: risk source {:?} relates to no threat event",
                    r.id
                ));
            }
            for t in &r.threat_events {
                if self.threat_event(t).is_none() {
                    p.push(format!(
                        "{RISK_SOURCES_FILE}: risk source {:?} relates to unknown threat event {t:?}",
                        r.id
                    ));
                }
            }
        }

        for s in &self.services {
            if self.sector(&s.sector).is_none() {
                p.push(format!(
                    "{SERVICE_LEVELS_FILE}: service {:?} has unknown sector {:?}",
                    s.id, s.sector
                ));
            }
            for r in &s.regulations {
                if self.regulation(r).is_none() {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: service {:?} names unknown regulation {r:?}",
                        s.id
                    ));
                }
            }
            let mut seen = BTreeSet::new();
            for f in &s.facilities {
                if !is_id(&f.id) || !seen.insert(f.id.as_str()) {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: service {:?} has a bad or duplicate facility id {:?}",
                        s.id, f.id
                    ));
                }
            }
        }
        for t in &self.thresholds {
            if self.sector(&t.sector).is_none() {
                p.push(format!(
                    "{SERVICE_LEVELS_FILE}: threshold {:?} has unknown sector {:?}",
                    t.id, t.sector
                ));
            }
            for s in &t.services {
                match self.service(s) {
                    None => p.push(format!("{SERVICE_LEVELS_FILE}: threshold {:?} names unknown service {s:?}", t.id)),
                    Some(svc) if svc.sector != t.sector => p.push(format!(
                        "{SERVICE_LEVELS_FILE}: threshold {:?} is for sector {:?} but service {s:?} is in {:?}",
                        t.id, t.sector, svc.sector
                    )),
                    Some(_) => {}
                }
            }
            if let Some(f) = &t.facility {
                let known = t
                    .services
                    .iter()
                    .filter_map(|s| self.service(s))
                    .any(|s| s.facilities.iter().any(|x| &x.id == f));
                if !known {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: threshold {:?} names facility {f:?}, which none of its services has",
                        t.id
                    ));
                }
            }
            if t.regulations.is_empty() && !t.is_text_only() {
                p.push(format!(
                    "{SERVICE_LEVELS_FILE}: threshold {:?} names no regulation",
                    t.id
                ));
            }
            for r in &t.regulations {
                if self.regulation(r).is_none() {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: threshold {:?} names unknown regulation {r:?}",
                        t.id
                    ));
                }
            }
            let mut metrics = BTreeSet::new();
            for c in &t.all {
                if !c.at_least.is_finite() || c.at_least < 0.0 {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: threshold {:?}: {} must be at least a finite, non-negative number",
                        t.id,
                        c.metric.as_str()
                    ));
                }
                if !metrics.insert(c.metric) {
                    p.push(format!(
                        "{SERVICE_LEVELS_FILE}: threshold {:?} tests {} twice",
                        t.id,
                        c.metric.as_str()
                    ));
                }
            }
        }
        p
    }
}

/// Ids are stable keys stored in reports and registers: ASCII snake_case.
pub fn is_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !id.ends_with('_')
        && !id.contains("__")
}

fn check_ids<'a>(
    p: &mut Vec<String>,
    file: &str,
    what: &str,
    entries: impl Iterator<Item = (&'a String, &'a String, &'a String)>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, ja, en) in entries {
        if !is_id(id) {
            p.push(format!("{file}: {what} id {id:?} is not snake_case ASCII"));
        }
        if ja.trim().is_empty() || en.trim().is_empty() {
            p.push(format!(
                "{file}: {what} {id:?} needs both a ja and an en label"
            ));
        }
        *seen.entry(id.as_str()).or_default() += 1;
    }
    for (id, n) in seen {
        if n > 1 {
            p.push(format!("{file}: {what} id {id:?} is used {n} times"));
        }
    }
}

/// The measurable facts of a report that thresholds test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImpactFacts {
    pub users_affected: Option<f64>,
    pub duration_minutes: Option<f64>,
    pub supply_loss_kw: Option<f64>,
    pub households_affected: Option<f64>,
    pub facility: Option<String>,
}

impl ImpactFacts {
    /// Facts from a report. The duration is the stated one, else the span
    /// from occurrence (or detection) to recovery, when both are known.
    pub fn from_report(report: &Report) -> ImpactFacts {
        let si = &report.service_impact;
        #[allow(clippy::cast_precision_loss)] // counts far below 2^53
        let as_f = |v: Option<i64>| v.map(|n| n as f64);
        let derived = report.times.recovered.map(|end| {
            let start = report.times.occurred.unwrap_or(report.times.detected);
            #[allow(clippy::cast_precision_loss)]
            let ms = (end - start).num_milliseconds() as f64;
            ms / 60_000.0
        });
        ImpactFacts {
            users_affected: as_f(si.users_affected),
            duration_minutes: as_f(si.duration_minutes).or(derived),
            supply_loss_kw: si.supply_loss_kw,
            households_affected: as_f(si.households_affected),
            facility: si.facility.clone(),
        }
    }

    fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::UsersAffected => self.users_affected,
            Metric::DurationMinutes => self.duration_minutes,
            Metric::SupplyLossKw => self.supply_loss_kw,
            Metric::HouseholdsAffected => self.households_affected,
        }
    }
}

/// One measured fact that met a threshold's condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Measurement {
    pub metric: Metric,
    pub value: f64,
    pub at_least: f64,
}

/// A statutory threshold the report crosses: it is 報告を要する重大な事故
/// under `regulations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThresholdHit {
    /// Id of the [`Threshold`].
    pub threshold: String,
    pub sector: String,
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
    /// The service-maintenance level, as in the guideline.
    pub ja: String,
    pub en: String,
    /// The laws and guidelines that set it (法令名).
    pub regulations: Vec<Regulation>,
    /// The report named no service; the hit holds if it was one of `services`.
    pub service_assumed: bool,
    /// The report named no facility; the hit holds if it was `facility`.
    pub facility_assumed: bool,
    pub measured: Vec<Measurement>,
}

/// JSON Schema pieces whose enumerations come from the built-in taxonomy,
/// so the committed schema changes when the data does.
pub(crate) mod schema {
    use schemars::{json_schema, Schema, SchemaGenerator};
    use serde_json::Value;

    use super::Taxonomy;

    fn id_enum(description: &str, ids: impl FnOnce(&Taxonomy) -> Vec<String>) -> Schema {
        match Taxonomy::builtin_shared() {
            Ok(t) => {
                let ids: Vec<Value> = ids(t).into_iter().map(Value::String).collect();
                json_schema!({ "type": "string", "description": description, "enum": ids })
            }
            // Unreachable with the committed data (a test loads it); never panic.
            Err(_) => json_schema!({ "type": "string", "description": description }),
        }
    }

    fn array_of(items: Schema) -> Schema {
        json_schema!({ "type": "array", "items": items, "uniqueItems": true })
    }

    pub fn sector(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Sector id (重要インフラ分野), from config/taxonomy/sectors.toml.",
            |t| t.sectors.iter().map(|s| s.id.clone()).collect(),
        )
    }

    pub fn service(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Service id (重要インフラサービス), from config/taxonomy/service_levels.toml.",
            |t| t.services.iter().map(|s| s.id.clone()).collect(),
        )
    }

    pub fn critical_system(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Critical system id (重要システム), from config/taxonomy/sectors.toml.",
            |t| {
                t.sectors
                    .iter()
                    .flat_map(|s| s.critical_systems.iter().map(|c| c.id.clone()))
                    .collect()
            },
        )
    }

    pub fn outcome(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Outcome id (事象の結果), from config/taxonomy/outcomes.toml.",
            |t| t.outcomes.iter().map(|o| o.id.clone()).collect(),
        )
    }

    pub fn threat_event(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Threat event id (結果を生じ得る事象), any level, from config/taxonomy/threat_events.toml.",
            |t| t.threat_events.iter().map(|e| e.id.clone()).collect(),
        )
    }

    pub fn risk_sources(_: &mut SchemaGenerator) -> Schema {
        array_of(id_enum(
            "Risk source id (リスク源), from config/taxonomy/risk_sources.toml.",
            |t| t.risk_sources.iter().map(|r| r.id.clone()).collect(),
        ))
    }

    pub fn thresholds(_: &mut SchemaGenerator) -> Schema {
        array_of(id_enum(
            "Threshold id, from config/taxonomy/service_levels.toml.",
            |t| t.thresholds.iter().map(|r| r.id.clone()).collect(),
        ))
    }

    pub fn facility(_: &mut SchemaGenerator) -> Schema {
        id_enum(
            "Facility id, from the services in config/taxonomy/service_levels.toml.",
            |t| {
                let mut ids: Vec<String> = Vec::new();
                for f in t.services.iter().flat_map(|s| &s.facilities) {
                    if !ids.contains(&f.id) {
                        ids.push(f.id.clone());
                    }
                }
                ids
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads() {
        let t = Taxonomy::builtin().unwrap();
        assert_eq!(t.sectors.len(), 13);
        assert!(t.problems().is_empty());
    }

    #[test]
    fn ids() {
        assert!(is_id("a1_b"));
        assert!(!is_id("A"));
        assert!(!is_id("a-b"));
        assert!(!is_id("_a"));
        assert!(!is_id("a__b"));
        assert!(!is_id(""));
    }
}

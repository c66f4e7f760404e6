//! Anonymisation: the raw report (情報連絡) of a member becomes a copy that
//! can be shared without leading back to the member (DESIGN.md,
//! "Anonymisation"; rule 1).
//!
//! This module is pure: no database, no network, no clock, no randomness.
//! The same report, profile and options always give the same copy, byte for
//! byte, so the preview an analyst approves is exactly what is published.
//! Every change is listed as a [`Redaction`]: which rule ([`RuleId`]), in
//! which field, at which characters, and what the text was. The list holds
//! the original text, so it is for the home server's analysts only.
//!
//! # The rules, in plain words
//!
//! * **Author.** Everything shared is authored by the sharing body (its STIX
//!   identity becomes `created_by_ref`). The follow-up contact is removed
//!   (`contact_removed`). The copy gets new ids derived from the raw ones
//!   with a deployment secret, so a shared id does not reveal the raw one.
//! * **The member's names** (`member_name`, `member_alias`): official names
//!   and aliases from the member profile, in Japanese or Latin script, are
//!   found whatever their width (全角/半角), case and spacing, with or
//!   without 株式会社, (株), ㈱, 有限会社, Co., Ltd., Inc., K.K. and the like
//!   before or after (repeated: `Co., Inc.`), with or without a leading
//!   `The`; each part of a Japanese name of several parts (the corporation
//!   and its facility, `医療法人清和会 清和総合病院`) is found alone too; the
//!   whole phrase becomes `[組織名]` / `[ORGANISATION]`.
//!   When the member chose to be named (`attribution: named`), names stay.
//! * **The member's domains** (`member_domain`): any host, URL or e-mail
//!   address under them, subdomains included, also when defanged
//!   (`portal[.]member[.]example`), and look-alike hosts that contain the
//!   domain. This applies even when the member is named: hosts describe its
//!   infrastructure, not its identity.
//! * **Personal data** (always, in free text): e-mail addresses
//!   (`email_address`) — except an address the report's own indicators name
//!   as a sender (`email-addr:value`, `email-message:from_ref.value` or
//!   `sender_ref.value`, compared with `=` or `IN`, not negated) that is
//!   neither under the member's domains nor the follow-up contact's: the
//!   attacker's address the member chose to share stays readable —, phone
//!   numbers in Japanese and international formats
//!   (`phone_number`: 03-1234-5678, 03(3210)9876, 03.6123.4567, +81 3 …),
//!   personal names recognised by an honorific or title (山田様, 佐藤部長,
//!   中島先生, katakana サトウ様 and ジョン・スミス氏, Mr. Smith, Tanaka-san),
//!   after a label (担当: …, Contact: …), from the profile's staff list (Latin
//!   names in either order) or the follow-up contact (`personal_name`); a
//!   department written before the name (経理課 吉田係長) stays; and postal
//!   addresses (〒 codes, 東京都千代田区…1-2-3, Chiyoda-ku, Tokyo)
//!   (`postal_address`).
//! * **Victim-side addresses**: the member's own ranges
//!   (`internal_address`), RFC 1918 and 100.64/10 and fc00::/7
//!   (`private_address`), 169.254/16 and fe80::/10 (`link_local_address`),
//!   127/8 and ::1 (`loopback_address`) are replaced in text and left out
//!   of indicators. Public addresses, the attacker's, stay. An indicator
//!   that only names victim-side values is dropped; one that mixes them
//!   keeps its attacker comparisons when the pattern can be rewritten
//!   safely, else it is dropped too. Safely means: a comparison may leave
//!   an `OR` freely (the pattern only narrows); it may leave an `AND` only
//!   while the rest still compares something to an attacker value (the
//!   pattern broadens, but stays an indicator); a `FOLLOWEDBY` that would
//!   lose a step is never rewritten. Observables that name the victim are
//!   dropped whole: an edited value would be a wrong indicator. E-mail
//!   addresses, phone numbers and names *inside indicators* are the
//!   attacker's (a phishing sender) and stay, except message recipients,
//!   anything under the member's domains, the member's names, its staff
//!   and the follow-up contact.
//! * **Times** (`time_coarsened`), when asked: the report's times, STIX
//!   timestamps and the times written in patterns are cut to the hour or
//!   the day; ends are rounded up so no interval turns empty.
//! * **Sector** (`sector_generalised`): shown when at least `k` members
//!   (default 3) share it, or when the member consented (`sector_only`,
//!   `named`). Otherwise it becomes [`GENERALISED_SECTOR`], and what would
//!   reveal it goes too: service, critical system, statutory thresholds,
//!   facility, supply loss in kW and households affected.
//!
//! What cannot be recognised is listed in [`anonymise`]'s documentation:
//! the analyst's review remains the last check.

mod cache;
mod detect;
mod net;
mod normalise;
mod pattern;
mod profile;
mod redaction;
mod stix;
mod time;

use std::collections::BTreeSet;

use isacx_schemas::pattern::{parse_pattern, Comparison, ComparisonOperator, Constant, PathStep};
use isacx_schemas::report::{Attribution, Report, StixMappingError};
use isacx_schemas::stix::{StixId, StixObject};
use uuid::Uuid;

pub use cache::ProfileCache;
pub use profile::{AnonymiseOptions, MemberProfile, SharingBody, TimeGranularity};
pub use redaction::{Action, Redaction, RuleId};

use detect::{Detector, Known, Mode, ProfilePatterns};

/// A member profile with its detectors compiled. Building one is most of
/// the cost of anonymising a short report; build it once per profile and
/// use it for every report of that member ([`ProfileCache`] does so for
/// the server).
#[derive(Debug)]
pub struct CompiledProfile {
    profile: MemberProfile,
    patterns: ProfilePatterns,
}

impl CompiledProfile {
    pub fn new(profile: MemberProfile) -> Result<Self, AnonymiseError> {
        let patterns = ProfilePatterns::new(&profile)?;
        Ok(Self { profile, patterns })
    }

    /// The profile it was compiled from.
    pub fn profile(&self) -> &MemberProfile {
        &self.profile
    }
}

/// The sector a report shows when its own would single the member out.
/// Not a taxonomy sector: consumers read it as "critical infrastructure".
pub const GENERALISED_SECTOR: &str = "critical_infrastructure";

/// Why a report could not be anonymised. Nothing is shared on error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnonymiseError {
    #[error("member profile: {0}")]
    Profile(String),
    #[error("cannot build a detector: {0}")]
    Pattern(String),
    #[error("STIX object: {0}")]
    Stix(String),
    #[error("STIX mapping: {0}")]
    Mapping(String),
}

impl From<StixMappingError> for AnonymiseError {
    fn from(error: StixMappingError) -> Self {
        AnonymiseError::Mapping(error.to_string())
    }
}

/// The sanitised copy and how it was made; serialises as the analyst's
/// before/after preview needs it (with the raw report beside it).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Anonymised {
    /// The report as it may be shared.
    pub report: Report,
    /// The report as STIX (incident, indicators, relationships), every SDO
    /// and SRO authored by the sharing body. The sharing body's identity
    /// object itself is not included: the server has its own.
    pub stix: Vec<StixObject>,
    /// Every change, in field order, for the analyst's preview.
    pub redactions: Vec<Redaction>,
    /// Whether the report's sector is shown.
    pub sector_shown: bool,
}

/// A v4-shaped UUID derived from `name`: STIX wants v4 for SDOs, we want
/// the same id every time.
pub(crate) fn derive_uuid(namespace: &Uuid, name: &str) -> Uuid {
    uuid::Builder::from_random_bytes(Uuid::new_v5(namespace, name.as_bytes()).into_bytes())
        .into_uuid()
}

/// Whether the sector may be shown, given consent and k-anonymity.
pub fn sector_shown(attribution: Attribution, options: &AnonymiseOptions) -> bool {
    match attribution {
        Attribution::Named | Attribution::SectorOnly => true,
        Attribution::Anonymous => options.members_in_sector >= options.k,
    }
}

fn whole_field(rule: RuleId, action: Action, field: &str, original: String) -> Redaction {
    Redaction {
        rule,
        action,
        field: field.to_owned(),
        start: None,
        end: None,
        original,
        replacement: None,
    }
}

/// Produces the sanitised copy of `report`.
///
/// Known limits (the analyst's review covers them): personal names without
/// an honorific, title, label or listing in the profile (katakana names
/// included); a name written in another script than configured (hiragana
/// for a katakana name, a romanisation not listed as alias); addresses
/// without block numbers or outside the recognised Japanese and
/// `Chiyoda-ku, Tokyo` forms; user names inside file paths; identifying
/// facts written out in prose ("the only nuclear operator in the
/// prefecture"). Very short aliases redact every standalone occurrence.
pub fn anonymise(
    report: &Report,
    profile: &MemberProfile,
    options: &AnonymiseOptions,
) -> Result<Anonymised, AnonymiseError> {
    anonymise_compiled(report, &CompiledProfile::new(profile.clone())?, options)
}

/// Whether text reads as Japanese (kana or kanji in it): placeholders then
/// come in Japanese.
fn looks_japanese(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9f}'))
}

/// What is known of one writer outside a report: its own name and e-mail.
fn writer_known(people: &[String], emails: &[String]) -> Known {
    Known { staff: people.to_vec(), organisations: Vec::new(), emails: emails.to_vec(), phones: Vec::new(), keep_names: false }
}

/// Free text a member writes outside a report — a follow-up question, a
/// sighting's note, the submitter's answer — scrubbed by the same detectors
/// as a report's free text: the member's names, aliases, domains and
/// ranges, personal data, and the writer's own name and e-mail address
/// (`people`, `emails`). Every change is appended to `out` under `field`.
pub fn anonymise_text(
    compiled: &CompiledProfile,
    text: &str,
    field: &str,
    people: &[String],
    emails: &[String],
    out: &mut Vec<Redaction>,
) -> Result<String, AnonymiseError> {
    let detector = Detector::new(&compiled.patterns, &writer_known(people, emails))?;
    Ok(detector.redact(text, Mode::Text, field, looks_japanese(text), out))
}

/// Whether an observed value (an address, host, URL, e-mail address or
/// hash a member saw) names the member itself: its hosts, its ranges, a
/// private, link-local or loopback address, its people. Such a value is
/// the victim's, not the attacker's, and is left out whole, as observables
/// are in reports; the removal is appended to `out` under `field`.
pub fn value_names_member(
    compiled: &CompiledProfile,
    value: &str,
    field: &str,
    people: &[String],
    emails: &[String],
    out: &mut Vec<Redaction>,
) -> Result<bool, AnonymiseError> {
    let detector = Detector::new(&compiled.patterns, &writer_known(people, emails))?;
    let Some(hit) = detector.scan(value, Mode::Value).first().copied() else {
        return Ok(false);
    };
    out.push(whole_field(hit.rule, Action::Removed, field, value.to_owned()));
    Ok(true)
}

/// An observed interval (a sighting's first and last seen) coarsened like a
/// report's times: the start cut down, the end rounded up, so the interval
/// never turns empty; each change is appended to `out`.
pub fn coarsen_interval(
    first: Option<chrono::DateTime<chrono::Utc>>,
    last: Option<chrono::DateTime<chrono::Utc>>,
    granularity: TimeGranularity,
    field: &str,
    out: &mut Vec<Redaction>,
) -> (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) {
    let mut record = |name: &str, before: chrono::DateTime<chrono::Utc>, after: chrono::DateTime<chrono::Utc>| {
        if before != after {
            let text = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            out.push(Redaction {
                replacement: Some(text(after)),
                ..whole_field(RuleId::TimeCoarsened, Action::Generalised, &format!("{field}.{name}"), text(before))
            });
        }
        after
    };
    let first = first.map(|t| record("first_seen", t, time::floor(t, granularity)));
    let last = last.map(|t| record("last_seen", t, time::ceil(t, granularity)));
    (first, last)
}

/// Whether a pattern comparison names a message's sender: `email-addr:value`
/// or `email-message:from_ref.value` / `sender_ref.value`, compared for
/// equality or membership (not negated).
fn names_sender(comparison: &Comparison) -> bool {
    let property = |step: Option<&PathStep>, name: &str| matches!(step, Some(PathStep::Property(p)) if p == name);
    let steps = &comparison.path.steps;
    let path = match comparison.path.object_type.as_str() {
        "email-addr" => steps.len() == 1 && property(steps.first(), "value"),
        "email-message" => {
            steps.len() == 2
                && (property(steps.first(), "from_ref") || property(steps.first(), "sender_ref"))
                && property(steps.get(1), "value")
        }
        _ => false,
    };
    path && !comparison.negated
        && matches!(
            comparison.operator,
            ComparisonOperator::Equal | ComparisonOperator::In
        )
}

/// The e-mail addresses the report's own STIX indicators name as the
/// sender (the attacker's: a phishing sender, a ransom-note contact),
/// normalised and in lower case, leaving out any the detector takes for the
/// victim's (under the member's domains, the follow-up contact's).
fn attacker_emails(report: &Report, detector: &Detector<'_>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for object in &report.indicators {
        let Ok(value) = object.to_value() else {
            continue;
        };
        let text = |key: &str| value.get(key).and_then(serde_json::Value::as_str);
        if text("type") != Some("indicator") || text("pattern_type") != Some("stix") {
            continue;
        }
        let Some(pattern) = text("pattern").and_then(|p| parse_pattern(p).ok()) else {
            continue;
        };
        for comparison in pattern.comparisons() {
            if !names_sender(comparison) {
                continue;
            }
            let values: Vec<&str> = match &comparison.value {
                Constant::String(v) => vec![v.as_str()],
                Constant::Set(items) => items
                    .iter()
                    .filter_map(|i| match i {
                        Constant::String(v) => Some(v.as_str()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for address in values {
                let plain = normalise::normalise(address).trim().to_lowercase();
                if plain.contains('@') && detector.scan(&plain, Mode::Value).is_empty() {
                    found.insert(plain);
                }
            }
        }
    }
    found
}

/// [`anonymise`] with the member's detectors compiled beforehand.
pub fn anonymise_compiled(
    report: &Report,
    compiled: &CompiledProfile,
    options: &AnonymiseOptions,
) -> Result<Anonymised, AnonymiseError> {
    let profile = &compiled.profile;
    let japanese = report
        .lang
        .get(..2)
        .is_some_and(|l| l.eq_ignore_ascii_case("ja"));
    let contact = report.follow_up_contact.clone().unwrap_or_default();
    let staff: Vec<String> = contact.name.clone().into_iter().collect();
    let known = Known {
        staff,
        organisations: contact.organization.clone().into_iter().collect(),
        emails: contact.email.clone().into_iter().collect(),
        phones: contact.phone.clone().into_iter().collect(),
        keep_names: report.attribution == Attribution::Named,
    };
    let mut detector = Detector::new(&compiled.patterns, &known)?;
    let keep = attacker_emails(report, &detector);
    detector.keep_emails(keep);
    let mut out = Vec::new();
    let mut copy = report.clone();
    let granularity = options.coarsen_times;

    copy.id = derive_uuid(&options.id_namespace, &format!("report|{}", report.id));
    copy.title = detector.redact(&report.title, Mode::Text, "title", japanese, &mut out);
    copy.description = detector.redact(
        &report.description,
        Mode::Text,
        "description",
        japanese,
        &mut out,
    );
    copy.affected_service = report
        .affected_service
        .as_ref()
        .map(|text| detector.redact(text, Mode::Text, "affected_service", japanese, &mut out));

    // The follow-up contact is for the home analysts only.
    for (name, value) in [
        ("name", &contact.name),
        ("organization", &contact.organization),
        ("email", &contact.email),
        ("phone", &contact.phone),
    ] {
        if let Some(value) = value {
            out.push(whole_field(
                RuleId::ContactRemoved,
                Action::Removed,
                &format!("follow_up_contact.{name}"),
                value.clone(),
            ));
        }
    }
    copy.follow_up_contact = None;

    let shown = sector_shown(report.attribution, options);
    if !shown {
        generalise_sector(&mut copy, &mut out);
    }

    if granularity != TimeGranularity::None {
        coarsen_report_times(&mut copy, granularity, &mut out);
    }

    let context = stix::Context {
        detector: &detector,
        japanese,
        granularity,
        body_id: &options.sharing_body.identity_id,
        member_ids: &profile.identity_ids,
        namespace: options.id_namespace,
    };
    copy.indicators = stix::sanitise_objects(&context, &report.indicators, &mut out)?;

    let body = StixId::from(options.sharing_body.identity_id.as_str());
    let mut objects = copy.to_stix_objects()?;
    for object in &mut objects {
        if let Some(common) = object.sdo_common_mut() {
            common.created_by_ref = Some(body.clone());
        }
    }
    Ok(Anonymised {
        report: copy,
        stix: objects,
        redactions: out,
        sector_shown: shown,
    })
}

fn generalise_sector(copy: &mut Report, out: &mut Vec<Redaction>) {
    let mut record = |field: &str, original: String| {
        out.push(Redaction {
            replacement: (field == "sector").then(|| GENERALISED_SECTOR.to_owned()),
            ..whole_field(
                RuleId::SectorGeneralised,
                Action::Generalised,
                field,
                original,
            )
        });
    };
    record(
        "sector",
        std::mem::replace(&mut copy.sector, GENERALISED_SECTOR.to_owned()),
    );
    if let Some(service) = copy.service.take() {
        record("service", service);
    }
    if let Some(system) = copy.critical_system.take() {
        record("critical_system", system);
    }
    if let Some(statutory) = copy.statutory.as_mut() {
        for (n, threshold) in std::mem::take(&mut statutory.thresholds)
            .into_iter()
            .enumerate()
        {
            record(&format!("statutory.thresholds[{n}]"), threshold);
        }
    }
    if let Some(facility) = copy.service_impact.facility.take() {
        record("service_impact.facility", facility);
    }
    if let Some(kw) = copy.service_impact.supply_loss_kw.take() {
        record("service_impact.supply_loss_kw", kw.to_string());
    }
    if let Some(households) = copy.service_impact.households_affected.take() {
        record("service_impact.households_affected", households.to_string());
    }
}

fn coarsen_report_times(copy: &mut Report, granularity: TimeGranularity, out: &mut Vec<Redaction>) {
    let mut coarsen = |field: &str, value: &mut chrono::DateTime<chrono::Utc>| {
        let coarse = time::floor(*value, granularity);
        if coarse != *value {
            out.push(Redaction {
                replacement: Some(coarse.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                ..whole_field(
                    RuleId::TimeCoarsened,
                    Action::Generalised,
                    field,
                    value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                )
            });
            *value = coarse;
        }
    };
    coarsen("created", &mut copy.created);
    coarsen("modified", &mut copy.modified);
    if let Some(t) = copy.times.occurred.as_mut() {
        coarsen("times.occurred", t);
    }
    coarsen("times.detected", &mut copy.times.detected);
    if let Some(t) = copy.times.contained.as_mut() {
        coarsen("times.contained", t);
    }
    if let Some(t) = copy.times.recovered.as_mut() {
        coarsen("times.recovered", t);
    }
}

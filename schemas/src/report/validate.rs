//! The rules [`Report::validate`] applies; each error names its field by
//! dotted path so a form can put the message next to the field.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::Report;
use crate::error::FieldError;
use crate::stix::validate::ValidationOptions;
use crate::stix::{ObjectKind, StixObject};
use crate::taxonomy::Taxonomy;

struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }
}

pub(super) fn check(r: &Report, t: &Taxonomy) -> Vec<FieldError> {
    let mut e = Errors(Vec::new());

    if r.id.get_version_num() != 4 {
        // It becomes the STIX incident id, which STIX wants random (§2.9).
        e.push("id", "must be a random (version 4) UUID");
    }
    if r.modified < r.created {
        e.push("modified", "must not be before created");
    }
    if !is_language_tag(&r.lang) {
        e.push(
            "lang",
            format!("{:?} is not a language tag such as ja or en", r.lang),
        );
    }
    if r.title.trim().is_empty() {
        e.push("title", "must not be empty");
    } else if r.title.chars().count() > 512 {
        e.push("title", "must be at most 512 characters");
    }

    check_taxonomy(r, t, &mut e);
    check_times(r, &mut e);
    check_service_impact(r, t, &mut e);
    check_statutory(r, t, &mut e);
    check_indicators(&r.indicators, &mut e);

    if let Some(c) = &r.follow_up_contact {
        let email = c.email.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let phone = c.phone.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if email.is_none() && phone.is_none() {
            e.push("follow_up_contact", "needs an email or a phone number");
        }
        if let Some(email) = email {
            if !is_email(email) {
                e.push(
                    "follow_up_contact.email",
                    format!("{email:?} is not an e-mail address"),
                );
            }
        }
        if let Some(phone) = phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
            if !allowed || digits < 5 {
                e.push(
                    "follow_up_contact.phone",
                    format!("{phone:?} is not a phone number"),
                );
            }
        }
    }
    e.0
}

fn check_taxonomy(r: &Report, t: &Taxonomy, e: &mut Errors) {
    let sector = t.sector(&r.sector);
    if sector.is_none() {
        e.push("sector", format!("unknown sector {:?}", r.sector));
    }
    if let Some(id) = &r.service {
        match t.service(id) {
            None => e.push("service", format!("unknown service {id:?}")),
            Some(s) if sector.is_some() && s.sector != r.sector => e.push(
                "service",
                format!(
                    "service {id:?} belongs to sector {:?}, not {:?}",
                    s.sector, r.sector
                ),
            ),
            Some(_) => {}
        }
    }
    if let Some(id) = &r.critical_system {
        match t.critical_system(id) {
            None => e.push("critical_system", format!("unknown critical system {id:?}")),
            Some((s, _)) if sector.is_some() && s.id != r.sector => e.push(
                "critical_system",
                format!(
                    "critical system {id:?} belongs to sector {:?}, not {:?}",
                    s.id, r.sector
                ),
            ),
            Some(_) => {}
        }
    }
    if let Some(id) = &r.outcome {
        match t.outcome(id) {
            None => e.push("outcome", format!("unknown outcome {id:?}")),
            Some(o) => {
                let flags = [
                    (
                        "confidentiality",
                        o.confidentiality,
                        r.cia_impact.confidentiality,
                    ),
                    ("integrity", o.integrity, r.cia_impact.integrity),
                    ("availability", o.availability, r.cia_impact.availability),
                ];
                for (name, needed, given) in flags {
                    if needed && !given {
                        e.push(
                            format!("cia_impact.{name}"),
                            format!("outcome {id:?} impairs {name}; set it to true"),
                        );
                    }
                }
            }
        }
    }
    if let Some(id) = &r.threat_event {
        if t.threat_event(id).is_none() {
            e.push("threat_event", format!("unknown threat event {id:?}"));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, id) in r.risk_sources.iter().enumerate() {
        if t.risk_source(id).is_none() {
            e.push(
                format!("risk_sources[{i}]"),
                format!("unknown risk source {id:?}"),
            );
        } else if !seen.insert(id.as_str()) {
            e.push(
                format!("risk_sources[{i}]"),
                format!("{id:?} is listed twice"),
            );
        }
    }
}

fn check_times(r: &Report, e: &mut Errors) {
    let steps: [(&str, Option<DateTime<Utc>>); 4] = [
        ("occurred", r.times.occurred),
        ("detected", Some(r.times.detected)),
        ("contained", r.times.contained),
        ("recovered", r.times.recovered),
    ];
    let mut latest: Option<(&str, DateTime<Utc>)> = None;
    for (name, time) in steps {
        let Some(time) = time else { continue };
        if let Some((before, at)) = latest {
            if time < at {
                e.push(
                    format!("times.{name}"),
                    format!("must not be before times.{before}"),
                );
                continue;
            }
        }
        latest = Some((name, time));
    }
}

fn check_service_impact(r: &Report, t: &Taxonomy, e: &mut Errors) {
    let si = &r.service_impact;
    let counts = [
        ("users_affected", si.users_affected),
        ("duration_minutes", si.duration_minutes),
        ("households_affected", si.households_affected),
    ];
    for (name, value) in counts {
        if value.is_some_and(|v| v < 0) {
            e.push(format!("service_impact.{name}"), "must not be negative");
        }
    }
    if let Some(kw) = si.supply_loss_kw {
        if !kw.is_finite() {
            e.push("service_impact.supply_loss_kw", "must be a number");
        } else if kw < 0.0 {
            e.push("service_impact.supply_loss_kw", "must not be negative");
        }
    }
    if let Some(f) = &si.facility {
        // With a service, the facility must be one of its; without, one of the sector's.
        let known = t
            .services
            .iter()
            .filter(|s| match &r.service {
                Some(id) => &s.id == id,
                None => s.sector == r.sector,
            })
            .any(|s| s.facilities.iter().any(|x| &x.id == f));
        if !known {
            e.push(
                "service_impact.facility",
                format!("unknown facility {f:?} for this sector and service"),
            );
        }
    }
}

fn check_statutory(r: &Report, t: &Taxonomy, e: &mut Errors) {
    let Some(s) = &r.statutory else { return };
    if !s.reportable && !s.thresholds.is_empty() {
        e.push(
            "statutory.reportable",
            "must be true when thresholds are named",
        );
    }
    let mut seen = BTreeSet::new();
    for (i, id) in s.thresholds.iter().enumerate() {
        let field = format!("statutory.thresholds[{i}]");
        match t.threshold(id) {
            None => e.push(field, format!("unknown threshold {id:?}")),
            Some(th) if th.sector != r.sector => e.push(
                field,
                format!(
                    "threshold {id:?} is for sector {:?}, not {:?}",
                    th.sector, r.sector
                ),
            ),
            Some(_) if !seen.insert(id.as_str()) => {
                e.push(field, format!("{id:?} is listed twice"))
            }
            Some(_) => {}
        }
    }
}

fn check_indicators(objects: &[StixObject], e: &mut Errors) {
    let mut ids = BTreeSet::new();
    for (i, object) in objects.iter().enumerate() {
        let at = |field: &str| format!("indicators[{i}].{field}");
        let type_name = object.type_name();
        let allowed = type_name == "indicator"
            || type_name == "observed-data"
            || object.kind() == Some(ObjectKind::CyberObservable);
        if !allowed {
            e.push(
                at("type"),
                format!("{type_name:?} is not an indicator, observed-data or cyber-observable"),
            );
        }
        let id = object.id_str().to_owned();
        if !ids.insert(id.clone()) {
            e.push(at("id"), format!("{id:?} appears twice"));
        }
        // The STIX rules (ids, timestamps, per-type properties, pattern
        // grammar) come from the stix module. Members' tools may mint UUIDv4
        // ids for observables, so the recommended-id-version rule is relaxed.
        let options = ValidationOptions {
            require_recommended_id_versions: false,
        };
        for err in object.validate_with(options) {
            let field = if err.path.is_empty() {
                format!("indicators[{i}]")
            } else {
                at(&err.path)
            };
            e.push(field, err.message);
        }
    }
}

/// BCP 47 in the loose form forms need: a 2–3 letter language, then subtags.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

//! Member reports (情報連絡) from intake to publication.
//!
//! A submission is validated against the taxonomy, checked at once against
//! the statutory thresholds, anonymised into a sanitised preview, and stored
//! — raw and private — before the answer. Analysts review the sanitised copy,
//! edit it, set TLP and scope, and publish it into the shared store, or
//! reject it with a reason the submitter sees. Reads of the raw store go
//! through the same policy check as everything else: an unpublished object is
//! visible to its organisation and this server's analysts only.

use std::collections::BTreeSet;

use diesel::prelude::*;
use isacx_schemas::api::{self, ReportState, Role};
use isacx_schemas::error::FieldError;
use isacx_schemas::report::Report;
use isacx_schemas::stix::{Identity, StixId, StixObject, StixTimestamp};
use isacx_schemas::taxonomy::{Taxonomy, ThresholdHit};
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::anonymise::{self, AnonymiseOptions, MemberProfile, SharingBody, TimeGranularity};
use crate::app::AppState;
use crate::config::IntakeSettings;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::db::models::{parse_uuid, OrganisationRow};
use crate::db::schema::{organisations, report_publications, report_revisions, reports};
use crate::db::{now, parse_list, to_utc, DbConnection};
use crate::error::ApiError;
use crate::policy::{self, Access, Audience, Viewer, ALL_SECTORS};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: String,
    pub report_id: String,
    pub organisation_id: String,
    pub submitted_by: String,
    pub idempotency_key: Option<String>,
    pub state: String,
    pub revision: i32,
    pub kind: String,
    pub sector: String,
    pub title: String,
    pub raw: String,
    pub sanitised: String,
    pub sanitised_stix: String,
    pub redactions: String,
    pub thresholds: String,
    pub tlp: String,
    pub reason: Option<String>,
    pub published_tlp: Option<String>,
    pub published_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl ReportRow {
    fn state(&self) -> ReportState {
        self.state.parse().unwrap_or(ReportState::Received)
    }

    /// The raw report as the policy sees it: unpublished, submitted by its organisation.
    pub(crate) fn access(&self) -> Access {
        Access { published: false, submitter: Uuid::parse_str(&self.organisation_id).ok(), ..Access::published(Tlp::Red) }
    }

    fn hits(&self) -> Vec<api::StatutoryHit> {
        serde_json::from_str(&self.thresholds).unwrap_or_default()
    }

    pub fn summary(&self) -> api::ReportSummary {
        api::ReportSummary {
            id: parse_uuid(&self.id),
            report_id: parse_uuid(&self.report_id),
            organisation_id: parse_uuid(&self.organisation_id),
            state: self.state(),
            revision: self.revision.max(0) as u32,
            kind: self.kind.clone(),
            sector: self.sector.clone(),
            title: self.title.clone(),
            tlp: self.tlp.clone(),
            statutory_reportable: !self.hits().is_empty(),
            reason: self.reason.clone(),
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
        }
    }

    /// Analysts get the sanitised copy and redactions; the submitter its own raw report.
    pub fn detail(&self, for_analyst: bool) -> api::ReportDetail {
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        api::ReportDetail {
            summary: self.summary(),
            raw: json(&self.raw),
            sanitised: if for_analyst { json(&self.sanitised) } else { serde_json::Value::Null },
            redactions: if for_analyst { serde_json::from_str(&self.redactions).unwrap_or_default() } else { Vec::new() },
            statutory: self.hits(),
        }
    }
}

fn statutory(hits: &[ThresholdHit]) -> Vec<api::StatutoryHit> {
    hits.iter()
        .map(|h| api::StatutoryHit {
            threshold: h.threshold.clone(),
            level: api::LocalisedName { ja: h.ja.clone(), en: h.en.clone() },
            laws: h.regulations.iter().map(|r| r.ja.clone()).collect(),
            assumed: h.service_assumed || h.facility_assumed,
        })
        .collect()
}

/// The sharing body's STIX identity: the author of everything shared.
pub fn sharing_body_identity(state: &AppState) -> Identity {
    let uuid = uuid::Builder::from_random_bytes(
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("isacx:identity:{}", state.settings.identity.server_id).as_bytes()).into_bytes(),
    )
    .into_uuid();
    let mut identity = Identity::new(&state.settings.identity.name_en, "organization");
    identity.common.id = StixId::from(format!("identity--{uuid}"));
    let fixed = StixTimestamp::parse("2026-01-01T00:00:00.000Z").unwrap_or_else(|_| StixTimestamp::now());
    identity.common.created = fixed;
    identity.common.modified = fixed;
    identity
}

fn taxonomy() -> Result<&'static Taxonomy, ApiError> {
    Taxonomy::builtin_shared().map_err(ApiError::internal)
}

/// Anonymise a raw report for this organisation; the preview analysts review.
fn sanitise(state: &AppState, conn: &mut DbConnection, org: &OrganisationRow, report: &Report) -> Result<anonymise::Anonymised, ApiError> {
    let profile = MemberProfile::from_organisation(&org.to_api()).map_err(ApiError::internal)?;
    let members_in_sector = crate::members::members_per_sector(conn)?.get(&report.sector).copied().unwrap_or(0);
    let body = sharing_body_identity(state);
    let mut options = AnonymiseOptions::new(SharingBody { identity_id: body.common.id.to_string(), name: state.settings.identity.name_en.clone() }, members_in_sector);
    options.k = state.settings.sharing.k_anonymity;
    options.coarsen_times = match state.settings.sharing.coarsen_times.as_str() {
        "hour" => TimeGranularity::Hour,
        "day" => TimeGranularity::Day,
        _ => TimeGranularity::None,
    };
    options.id_namespace = state.anonymise_namespace;
    let compiled = state.profiles.get(&org.id, profile).map_err(ApiError::internal)?;
    anonymise::anonymise_compiled(report, &compiled, &options).map_err(|e| ApiError::field("report", e.to_string()))
}

/// The per-field limits of `intake.*`, every breach named by its field path.
fn check_limits(limits: &IntakeSettings, report: &Report) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, value: &str, max: usize| {
        let n = value.chars().count();
        if n > max {
            errors.push(FieldError { field: field.to_owned(), message: format!("at most {max} characters; this one has {n}") });
        }
    };
    text("title", &report.title, limits.max_title_chars);
    text("description", &report.description, limits.max_description_chars);
    text("lang", &report.lang, limits.max_text_chars);
    if let Some(service) = &report.affected_service {
        text("affected_service", service, limits.max_text_chars);
    }
    if let Some(facility) = &report.service_impact.facility {
        text("service_impact.facility", facility, limits.max_text_chars);
    }
    if let Some(contact) = &report.follow_up_contact {
        for (name, value) in [("name", &contact.name), ("organization", &contact.organization), ("email", &contact.email), ("phone", &contact.phone)] {
            if let Some(value) = value {
                text(&format!("follow_up_contact.{name}"), value, limits.max_text_chars);
            }
        }
    }
    let mut list = |field: &str, n: usize| {
        if n > limits.max_list_items {
            errors.push(FieldError { field: field.to_owned(), message: format!("at most {} entries; this one has {n}", limits.max_list_items) });
        }
    };
    list("risk_sources", report.risk_sources.len());
    if let Some(statutory) = &report.statutory {
        list("statutory.thresholds", statutory.thresholds.len());
    }
    if report.indicators.len() > limits.max_indicators {
        errors.push(FieldError {
            field: "indicators".to_owned(),
            message: format!("at most {} indicators; this report has {}", limits.max_indicators, report.indicators.len()),
        });
    } else {
        for (i, object) in report.indicators.iter().enumerate() {
            let bytes = serde_json::to_vec(object).map(|b| b.len()).unwrap_or(usize::MAX);
            if bytes > limits.max_indicator_bytes {
                errors.push(FieldError { field: format!("indicators[{i}]"), message: format!("at most {} bytes as JSON; this one has {bytes}", limits.max_indicator_bytes) });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// A submission as a report: the schema, then the size limits (before the
/// taxonomy check, which need not read an oversize text), then the taxonomy.
fn parse_report(state: &AppState, value: serde_json::Value) -> Result<Report, ApiError> {
    let report: Report = serde_json::from_value(value).map_err(|e| ApiError::malformed(format!("the report does not match the schema: {e}")))?;
    check_limits(&state.settings.intake, &report)?;
    report.validate(taxonomy()?).map_err(ApiError::validation)?;
    Ok(report)
}

fn own_organisation(conn: &mut DbConnection, principal: &Principal) -> Result<OrganisationRow, ApiError> {
    let org = principal.organisation.clone().ok_or_else(|| ApiError::forbidden("only operators of a member organisation submit reports"))?;
    Ok(organisations::table.find(&org.id).select(OrganisationRow::as_select()).first(conn)?)
}

fn receipt(row: &ReportRow, redactions: usize) -> api::ReportReceipt {
    let hits = row.hits();
    api::ReportReceipt {
        id: parse_uuid(&row.id),
        report_id: parse_uuid(&row.report_id),
        state: row.state(),
        revision: row.revision.max(0) as u32,
        statutory_reportable: !hits.is_empty(),
        statutory: hits,
        redactions,
    }
}

pub(crate) fn load(conn: &mut DbConnection, id: Uuid) -> Result<Option<ReportRow>, ApiError> {
    Ok(reports::table.find(id.to_string()).select(ReportRow::as_select()).first(conn).optional()?)
}

/// A report the principal may see, or 404 (never 403: its existence is private too).
fn visible(conn: &mut DbConnection, principal: &Principal, id: Uuid) -> Result<ReportRow, ApiError> {
    let row = load(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no report {id}")))?;
    if !policy::may_read(&Viewer::from_principal(principal), &row.access()) {
        return Err(ApiError::not_found(format!("no report {id}")));
    }
    Ok(row)
}

/// Submit a report. Returns the receipt and whether it was new (201) or a replay (200).
pub fn submit(state: &AppState, principal: &Principal, body: serde_json::Value, idempotency_key: Option<String>) -> Result<(api::ReportReceipt, bool), ApiError> {
    let mut report = parse_report(state, body)?;
    report.apply_threshold_evaluation(taxonomy()?);
    let hits = statutory(&taxonomy()?.evaluate_thresholds(&report));
    state.db.write(|conn| {
        let org = own_organisation(conn, principal)?;
        if let Some(key) = &idempotency_key {
            let replay: Option<ReportRow> = reports::table
                .filter(reports::organisation_id.eq(&org.id))
                .filter(reports::idempotency_key.eq(key))
                .select(ReportRow::as_select())
                .first(conn)
                .optional()?;
            if let Some(row) = replay {
                return Ok((receipt(&row, serde_json::from_str::<Vec<serde_json::Value>>(&row.redactions).map(|r| r.len()).unwrap_or(0)), false));
            }
        }
        let existing: Option<ReportRow> = reports::table
            .filter(reports::organisation_id.eq(&org.id))
            .filter(reports::report_id.eq(report.id.to_string()))
            .select(ReportRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = existing {
            let stored: Option<Report> = serde_json::from_str(&row.raw).ok();
            if stored.as_ref().is_some_and(|r| r.modified == report.modified) {
                return Ok((receipt(&row, 0), false));
            }
            return Err(ApiError::conflict(format!("report {} exists; amend it with PUT /api/v1/reports/{}", report.id, row.id)));
        }
        let sanitised = sanitise(state, conn, &org, &report)?;
        let id = Uuid::new_v4().to_string();
        let at = now();
        let raw = serde_json::to_string(&report).map_err(ApiError::internal)?;
        diesel::insert_into(reports::table)
            .values((
                reports::id.eq(&id),
                reports::report_id.eq(report.id.to_string()),
                reports::organisation_id.eq(&org.id),
                reports::submitted_by.eq(principal.user_id.to_string()),
                reports::idempotency_key.eq(&idempotency_key),
                reports::state.eq(ReportState::Received.as_str()),
                reports::revision.eq(1),
                reports::kind.eq(report.kind.as_str()),
                reports::sector.eq(&report.sector),
                reports::title.eq(&report.title),
                reports::raw.eq(&raw),
                reports::sanitised.eq(serde_json::to_string(&sanitised.report).map_err(ApiError::internal)?),
                reports::sanitised_stix.eq(serde_json::to_string(&sanitised.stix).map_err(ApiError::internal)?),
                reports::redactions.eq(serde_json::to_string(&sanitised.redactions).map_err(ApiError::internal)?),
                reports::thresholds.eq(serde_json::to_string(&hits).map_err(ApiError::internal)?),
                reports::tlp.eq(report.tlp.as_str()),
                reports::created_at.eq(at),
                reports::updated_at.eq(at),
            ))
            .execute(conn)?;
        diesel::insert_into(report_revisions::table)
            .values((report_revisions::report_row.eq(&id), report_revisions::revision.eq(1), report_revisions::raw.eq(&raw), report_revisions::created_at.eq(at)))
            .execute(conn)?;
        audit::append(conn, &principal.actor(), Entry { action: "report.submit", target: format!("report:{id}"), detail: serde_json::json!({ "kind": report.kind.as_str(), "statutory": !hits.is_empty() }) })?;
        auto_publish(state, conn, &id, &report, &sanitised.redactions)?;
        let row = load(conn, parse_uuid(&id))?.ok_or_else(|| ApiError::internal("report vanished"))?;
        Ok((receipt(&row, sanitised.redactions.len()), true))
    })
}

/// A new revision of a report not yet published; it goes back to review.
pub fn amend(state: &AppState, principal: &Principal, id: Uuid, body: serde_json::Value) -> Result<api::ReportReceipt, ApiError> {
    let mut report = parse_report(state, body)?;
    report.apply_threshold_evaluation(taxonomy()?);
    let hits = statutory(&taxonomy()?.evaluate_thresholds(&report));
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        if principal.role != Role::Operator {
            return Err(ApiError::forbidden("only the submitting organisation amends its report"));
        }
        if matches!(row.state(), ReportState::Published | ReportState::Withdrawn) {
            return Err(ApiError::conflict(format!("the report is {}; submit a new one instead", row.state().as_str())));
        }
        if report.id.to_string() != row.report_id {
            return Err(ApiError::field("id", "an amendment keeps the report's id"));
        }
        let org = own_organisation(conn, principal)?;
        let sanitised = sanitise(state, conn, &org, &report)?;
        let raw = serde_json::to_string(&report).map_err(ApiError::internal)?;
        let revision = row.revision + 1;
        let at = now();
        diesel::update(reports::table.find(&row.id))
            .set((
                reports::state.eq(ReportState::Received.as_str()),
                reports::revision.eq(revision),
                reports::kind.eq(report.kind.as_str()),
                reports::sector.eq(&report.sector),
                reports::title.eq(&report.title),
                reports::raw.eq(&raw),
                reports::sanitised.eq(serde_json::to_string(&sanitised.report).map_err(ApiError::internal)?),
                reports::sanitised_stix.eq(serde_json::to_string(&sanitised.stix).map_err(ApiError::internal)?),
                reports::redactions.eq(serde_json::to_string(&sanitised.redactions).map_err(ApiError::internal)?),
                reports::thresholds.eq(serde_json::to_string(&hits).map_err(ApiError::internal)?),
                reports::tlp.eq(report.tlp.as_str()),
                reports::reason.eq(None::<String>),
                reports::updated_at.eq(at),
            ))
            .execute(conn)?;
        diesel::insert_into(report_revisions::table)
            .values((report_revisions::report_row.eq(&row.id), report_revisions::revision.eq(revision), report_revisions::raw.eq(&raw), report_revisions::created_at.eq(at)))
            .execute(conn)?;
        audit::append(conn, &principal.actor(), Entry { action: "report.amend", target: format!("report:{}", row.id), detail: serde_json::json!({ "revision": revision }) })?;
        auto_publish(state, conn, &row.id, &report, &sanitised.redactions)?;
        let row = load(conn, id)?.ok_or_else(|| ApiError::internal("report vanished"))?;
        Ok(receipt(&row, sanitised.redactions.len()))
    })
}

fn set_state(conn: &mut DbConnection, row: &ReportRow, next: ReportState, reason: Option<&str>) -> Result<(), ApiError> {
    diesel::update(reports::table.find(&row.id))
        .set((reports::state.eq(next.as_str()), reports::reason.eq(reason), reports::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

pub fn withdraw(state: &AppState, principal: &Principal, id: Uuid) -> Result<api::ReportSummary, ApiError> {
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        if principal.role != Role::Operator {
            return Err(ApiError::forbidden("only the submitting organisation withdraws its report"));
        }
        if matches!(row.state(), ReportState::Published | ReportState::Withdrawn) {
            return Err(ApiError::conflict(format!("the report is already {}", row.state().as_str())));
        }
        set_state(conn, &row, ReportState::Withdrawn, None)?;
        audit::append(conn, &principal.actor(), Entry { action: "report.withdraw", target: format!("report:{}", row.id), detail: serde_json::json!({}) })?;
        Ok(load(conn, id)?.map(|r| r.summary()).unwrap_or_else(|| row.summary()))
    })
}

/// Reports the principal may see: its organisation's, or all for analysts.
pub fn list(state: &AppState, principal: &Principal, filter_state: Option<ReportState>) -> Result<Vec<api::ReportSummary>, ApiError> {
    let viewer = Viewer::from_principal(principal);
    state.db.read(|conn| {
        let mut query = reports::table.select(ReportRow::as_select()).order(reports::updated_at.desc()).into_boxed::<crate::db::MultiBackend>();
        if let Some(s) = filter_state {
            query = query.filter(reports::state.eq(s.as_str()));
        }
        let rows: Vec<ReportRow> = query.load(conn)?;
        Ok(rows.iter().filter(|r| policy::may_read(&viewer, &r.access())).map(ReportRow::summary).collect())
    })
}

pub fn get(state: &AppState, principal: &Principal, id: Uuid) -> Result<api::ReportDetail, ApiError> {
    state.db.read(|conn| {
        let row = visible(conn, principal, id)?;
        Ok(row.detail(matches!(principal.role, Role::Analyst | Role::Admin)))
    })
}

/// An analyst opens a report: it moves to review, and the analyst sees raw and sanitised side by side.
pub fn open_for_review(state: &AppState, principal: &Principal, id: Uuid) -> Result<api::ReportDetail, ApiError> {
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        if row.state() == ReportState::Received {
            set_state(conn, &row, ReportState::InReview, None)?;
            audit::append(conn, &principal.actor(), Entry { action: "report.review", target: format!("report:{}", row.id), detail: serde_json::json!({}) })?;
        }
        Ok(load(conn, id)?.unwrap_or(row).detail(true))
    })
}

fn reviewable(row: &ReportRow) -> Result<(), ApiError> {
    match row.state() {
        ReportState::Received | ReportState::InReview => Ok(()),
        other => Err(ApiError::conflict(format!("the report is {}", other.as_str()))),
    }
}

/// The analyst's edit of the sanitised copy; validated like a submission.
pub fn edit_sanitised(state: &AppState, principal: &Principal, id: Uuid, body: serde_json::Value) -> Result<api::ReportDetail, ApiError> {
    let report: Report = serde_json::from_value(body).map_err(|e| ApiError::malformed(format!("the report does not match the schema: {e}")))?;
    check_limits(&state.settings.intake, &report)?;
    let problems: Vec<FieldError> = match report.validate(taxonomy()?) {
        Ok(()) => Vec::new(),
        // A generalised sector is not in the taxonomy by design.
        Err(list) => list.into_iter().filter(|e| !(e.field == "sector" && report.sector == anonymise::GENERALISED_SECTOR)).collect(),
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        reviewable(&row)?;
        let stix = report.to_stix_objects().map_err(|e| ApiError::field("report", e.to_string()))?;
        let body_id = sharing_body_identity(state).common.id.to_string();
        let stix: Vec<StixObject> = stix.into_iter().map(|o| authored_by(o, &body_id)).collect::<Result<_, _>>()?;
        diesel::update(reports::table.find(&row.id))
            .set((
                reports::sanitised.eq(serde_json::to_string(&report).map_err(ApiError::internal)?),
                reports::sanitised_stix.eq(serde_json::to_string(&stix).map_err(ApiError::internal)?),
                reports::state.eq(ReportState::InReview.as_str()),
                reports::updated_at.eq(now()),
            ))
            .execute(conn)?;
        audit::append(conn, &principal.actor(), Entry { action: "report.edit_sanitised", target: format!("report:{}", row.id), detail: serde_json::json!({}) })?;
        Ok(load(conn, id)?.unwrap_or(row).detail(true))
    })
}

fn authored_by(object: StixObject, identity: &str) -> Result<StixObject, ApiError> {
    let mut value = object.to_value().map_err(ApiError::internal)?;
    if object.sdo_common().is_some() {
        value["created_by_ref"] = serde_json::json!(identity);
    }
    serde_json::from_value(value).map_err(ApiError::internal)
}

pub fn reject(state: &AppState, principal: &Principal, id: Uuid, reason: &str) -> Result<api::ReportSummary, ApiError> {
    if reason.trim().is_empty() {
        return Err(ApiError::field("reason", "the submitter needs a reason"));
    }
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        reviewable(&row)?;
        set_state(conn, &row, ReportState::Rejected, Some(reason.trim()))?;
        audit::append(conn, &principal.actor(), Entry { action: "report.reject", target: format!("report:{}", row.id), detail: serde_json::json!({ "reason": reason.trim() }) })?;
        Ok(load(conn, id)?.unwrap_or(row).summary())
    })
}

/// Publish the sanitised copy into the shared store: the incident, its
/// indicators and relationships, a STIX report tying them together, and the
/// sharing body's identity — all authored by the sharing body.
pub fn publish(state: &AppState, principal: &Principal, id: Uuid, request: api::PublishRequest) -> Result<api::ReportSummary, ApiError> {
    let mut errors = Vec::new();
    for (i, s) in request.sectors.iter().enumerate() {
        if !state.sector_ids.iter().any(|k| k == s) {
            errors.push(FieldError { field: format!("sectors[{i}]"), message: format!("unknown sector `{s}`") });
        }
    }
    let mut audiences = BTreeSet::new();
    for (i, a) in request.audiences.iter().enumerate() {
        match serde_json::from_value::<Audience>(serde_json::json!(a)) {
            Ok(a) => {
                audiences.insert(a);
            }
            Err(_) => errors.push(FieldError { field: format!("audiences[{i}]"), message: format!("`{a}` is not members, analysts or liaisons") }),
        }
    }
    let requested_tlp = match &request.tlp {
        Some(t) => match t.parse::<Tlp>() {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(FieldError { field: "tlp".to_owned(), message: format!("`{t}` is not a TLP") });
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        reviewable(&row)?;
        let submitted: Tlp = row.tlp.parse().unwrap_or(Tlp::Red);
        let tlp = requested_tlp.unwrap_or(submitted);
        publish_row(state, conn, &row, Publication { tlp, sectors: &request.sectors, audiences: &audiences, actor: &principal.actor(), rule: None })?;
        Ok(load(conn, id)?.unwrap_or(row).summary())
    })
}

/// The STIX id of the `report` object a published report becomes (derived
/// with the deployment secret, so it does not reveal the raw report's id).
pub fn report_object_id(namespace: &Uuid, row_id: &str) -> String {
    format!("report--{}", uuid::Builder::from_random_bytes(Uuid::new_v5(namespace, format!("report-object|{row_id}").as_bytes()).into_bytes()).into_uuid())
}

/// How a report is published, by an analyst or by a rule.
struct Publication<'a> {
    tlp: Tlp,
    /// Empty: every sector.
    sectors: &'a [String],
    /// Empty: the default audiences.
    audiences: &'a BTreeSet<Audience>,
    actor: &'a Actor,
    /// The auto-publish rule that fired, if a rule publishes.
    rule: Option<&'a str>,
}

/// Publish the stored sanitised copy into the shared store: the one path
/// for analysts and auto-publish rules alike.
fn publish_row(state: &AppState, conn: &mut DbConnection, row: &ReportRow, publication: Publication<'_>) -> Result<(), ApiError> {
    let identity = sharing_body_identity(state);
    let submitted: Tlp = row.tlp.parse().unwrap_or(Tlp::Red);
    let tlp = publication.tlp;
    if tlp < submitted {
        return Err(ApiError::field("tlp", format!("the submitter marked it {}; the exchange never lowers a TLP", submitted.marking_name())));
    }
    let mut access = Access::published(tlp);
    if !publication.sectors.is_empty() {
        access.sectors = publication.sectors.iter().cloned().collect();
    } else {
        access.sectors = BTreeSet::from([ALL_SECTORS.to_owned()]);
    }
    if !publication.audiences.is_empty() {
        access.audiences = publication.audiences.clone();
    }
    let marking = tlp.marking_id().to_owned();
    let mut objects: Vec<StixObject> = serde_json::from_str(&row.sanitised_stix).map_err(ApiError::internal)?;
    objects = objects.into_iter().map(|o| marked(o, &marking)).collect::<Result<_, _>>()?;
    let refs: Vec<String> = objects.iter().map(|o| o.id_str().to_owned()).collect();
    let sanitised: Report = serde_json::from_str(&row.sanitised).map_err(ApiError::internal)?;
    let published = StixTimestamp::now();
    let report_object = serde_json::json!({
        "type": "report", "spec_version": "2.1",
        "id": report_object_id(&state.anonymise_namespace, &row.id),
        "created_by_ref": identity.common.id.to_string(),
        "created": published.to_string(), "modified": published.to_string(), "published": published.to_string(),
        "name": sanitised.title, "report_types": ["threat-report"],
        "object_refs": refs, "object_marking_refs": [marking],
    });
    objects.push(isacx_schemas::stix::object_from_json(report_object).map_err(|e| ApiError::internal(format!("{e:?}")))?);
    let mut identity_access = Access::published(Tlp::Clear);
    identity_access.sectors = BTreeSet::from([ALL_SECTORS.to_owned()]);
    // The shared ids members receive, so a follow-up can name the report without its raw id.
    let shared_ids: Vec<String> =
        objects.iter().map(|o| o.id_str().to_owned()).filter(|id| id.starts_with("report--") || id.starts_with("incident--")).collect();
    let mut items = vec![crate::store::Incoming { object: StixObject::Identity(identity.clone()), access: identity_access }];
    for object in objects {
        items.push(crate::store::Incoming { object, access: access.clone() });
    }
    let outcomes = crate::store::ingest(conn, items)?;
    if let Some(rejected) = outcomes.iter().find_map(|o| match o {
        crate::store::Outcome::Rejected(m) => Some(m.clone()),
        _ => None,
    }) {
        return Err(ApiError::conflict(rejected));
    }
    for stix_id in &shared_ids {
        diesel::delete(report_publications::table.find(stix_id)).execute(conn)?;
        diesel::insert_into(report_publications::table)
            .values((report_publications::stix_id.eq(stix_id), report_publications::report_row.eq(&row.id)))
            .execute(conn)?;
    }
    diesel::update(reports::table.find(&row.id))
        .set((
            reports::state.eq(ReportState::Published.as_str()),
            reports::published_tlp.eq(tlp.as_str()),
            reports::published_at.eq(Some(now())),
            reports::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let mut detail = serde_json::json!({ "tlp": tlp.as_str(), "sectors": access.sectors, "objects": outcomes.len() });
    if let Some(rule) = publication.rule {
        detail["rule"] = serde_json::json!(rule);
    }
    audit::append(conn, publication.actor, Entry { action: "report.publish", target: format!("report:{}", row.id), detail })?;
    Ok(())
}

/// At intake: publishes the stored submission when an auto-publish rule of
/// its organisation fires (see [`crate::auto_publish`]).
fn auto_publish(state: &AppState, conn: &mut DbConnection, row_id: &str, report: &Report, redactions: &[anonymise::Redaction]) -> Result<(), ApiError> {
    let Some(row) = load(conn, parse_uuid(row_id))? else {
        return Ok(());
    };
    let Some(rule) = crate::auto_publish::matching(conn, &row.organisation_id, report.kind.as_str(), !report.indicators.is_empty(), redactions)? else {
        return Ok(());
    };
    let submitted: Tlp = row.tlp.parse().unwrap_or(Tlp::Red);
    let sectors = parse_list(&rule.sectors);
    let none = BTreeSet::new();
    // Never below the submitter's marking.
    let tlp = if rule.tlp() < submitted { submitted } else { rule.tlp() };
    publish_row(state, conn, &row, Publication { tlp, sectors: &sectors, audiences: &none, actor: &rule.actor(), rule: Some(&rule.id) })
}

fn marked(object: StixObject, marking: &str) -> Result<StixObject, ApiError> {
    if object.sdo_common().is_none() {
        return Ok(object);
    }
    let mut value = object.to_value().map_err(ApiError::internal)?;
    value["object_marking_refs"] = serde_json::json!([marking]);
    serde_json::from_value(value).map_err(ApiError::internal)
}

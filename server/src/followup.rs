//! Pseudonymous follow-up on published reports.
//!
//! A member that may read a published report (checked by
//! [`policy::may_read`] on the shared object it names) asks the submitter a
//! question or adds a sighting; the submitter answers. One thread per report
//! and asking organisation. Neither side learns the other's identity:
//!
//! - the thread is addressed by the shared STIX id members received (the
//!   `report--…` or `incident--…`), never by the raw report id;
//! - the submitter sees the asker as a pseudonym derived with a server
//!   secret from the report and the asking organisation (stable within the
//!   thread, unlinkable across reports); the asker sees "submitter";
//! - every text is anonymised with the profile of its author's
//!   organisation (and the author's own name and address) by the same
//!   detectors as reports ([`crate::anonymise::anonymise_text`]); sighted
//!   values naming the author's side are left out of the shared copy, and
//!   sighting times are coarsened as report times are
//!   (`sharing.coarsen_times`);
//! - notifications carry only the shared copy and the pseudonyms.
//!
//! The home server's analysts see both identities, raw and shared text, and
//! every redaction. Every message is audited.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use isacx_schemas::api::{LocalisedName, ReportState, Role};
use isacx_schemas::error::FieldError;
use isacx_schemas::followup::{
    FollowupIdentity, FollowupKind, FollowupMessage, FollowupSide, FollowupThread, NewFollowup, NewFollowupMessage, Sighting,
    OBSERVABLE_TYPES,
};
use sha2::Sha256;
use uuid::Uuid;

use crate::anonymise::{self, MemberProfile, Redaction, TimeGranularity};
use crate::app::AppState;
use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::config::IntakeSettings;
use crate::db::models::{parse_uuid, OrganisationRow, UserRow};
use crate::db::schema::{followup_messages, followup_threads, organisations, report_publications, reports, users};
use crate::db::{now, to_utc, DbConnection};
use crate::error::ApiError;
use crate::intake::{self, ReportRow};
use crate::notify;
use crate::policy::{self, Viewer, ALL_SECTORS};

/// How the asker sees the submitter, in every thread.
pub const SUBMITTER_LABEL: &str = "submitter";
/// How a viewer sees its own side's messages.
pub const YOU_LABEL: &str = "you";
/// Name of the server secret the asker pseudonyms are derived with.
const PSEUDONYM_SECRET: &str = "followup_pseudonyms";
/// Longest shared STIX id accepted as a reference.
const MAX_REFERENCE_CHARS: usize = 200;
/// Longest text quoted in a notification; the thread has the whole of it.
const NOTIFY_QUOTE_CHARS: usize = 1_000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = followup_threads)]
pub struct ThreadRow {
    pub id: String,
    pub report_row: String,
    pub report_ref: String,
    pub asker_org: String,
    pub pseudonym: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = followup_messages)]
pub struct MessageRow {
    pub id: String,
    pub thread_id: String,
    pub seq: i32,
    pub side: String,
    pub kind: String,
    pub author_user: String,
    pub author_org: String,
    pub raw_text: String,
    pub shared_text: String,
    pub raw_sighting: Option<String>,
    pub shared_sighting: Option<String>,
    pub redactions: String,
    pub created_at: NaiveDateTime,
}

impl MessageRow {
    fn side(&self) -> FollowupSide {
        self.side.parse().unwrap_or(FollowupSide::Asker)
    }

    fn kind(&self) -> FollowupKind {
        self.kind.parse().unwrap_or(FollowupKind::Question)
    }
}

/// Where the viewer sits in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seat {
    Asker,
    Submitter,
    /// This server's analysts (and admins): both identities, raw and shared.
    Analyst,
}

/// The asker's pseudonym in the thread of `report_row`: an HMAC with a
/// server secret, so it is stable for the thread, different on every other
/// report, and cannot be computed from the organisation id.
fn pseudonym(secret: &str, report_row: &str, asker_org: &str) -> Result<String, ApiError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(ApiError::internal)?;
    mac.update(format!("followup-thread|{report_row}|{asker_org}").as_bytes());
    let digest = hex::encode(mac.finalize().into_bytes());
    Ok(format!("member-{}", digest.get(..8).unwrap_or(&digest)))
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Every problem with a message, each named by its field; the limits are intake's.
fn check(limits: &IntakeSettings, kind: FollowupKind, text: &str, sighting: Option<&Sighting>) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut error = |field: &str, message: String| errors.push(FieldError { field: field.to_owned(), message });
    let n = chars(text);
    if n > limits.max_description_chars {
        error("text", format!("at most {} characters; this one has {n}", limits.max_description_chars));
    }
    let has_content = sighting.is_some_and(|s| s.count.is_some() || !s.observables.is_empty());
    if text.trim().is_empty() && !(kind == FollowupKind::Sighting && has_content) {
        error("text", "must not be empty".to_owned());
    }
    if let Some(sighting) = sighting {
        if kind != FollowupKind::Sighting {
            error("sighting", format!("only a sighting carries one; this is a {}", kind.as_str()));
        }
        if sighting.count == Some(0) {
            error("sighting.count", "at least 1".to_owned());
        }
        if let (Some(first), Some(last)) = (sighting.first_seen, sighting.last_seen) {
            if last < first {
                error("sighting.last_seen", "before first_seen".to_owned());
            }
        }
        if sighting.observables.len() > limits.max_indicators {
            error("sighting.observables", format!("at most {} observables; this one has {}", limits.max_indicators, sighting.observables.len()));
        } else {
            for (i, o) in sighting.observables.iter().enumerate() {
                if !OBSERVABLE_TYPES.contains(&o.kind.as_str()) {
                    error(&format!("sighting.observables[{i}].type"), format!("`{}` is not one of {}", o.kind, OBSERVABLE_TYPES.join(", ")));
                }
                let v = chars(o.value.trim());
                if v == 0 || v > limits.max_text_chars {
                    error(&format!("sighting.observables[{i}].value"), format!("between 1 and {} characters", limits.max_text_chars));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The published report a shared id names, if the viewer may read that
/// object; 404 for anything else (unknown, unpublished, revoked, or not
/// readable: its existence is not disclosed).
fn resolve(state: &AppState, conn: &mut DbConnection, viewer: &Viewer, reference: &str) -> Result<ReportRow, ApiError> {
    let missing = || ApiError::not_found(format!("no published report {reference}"));
    if !(reference.starts_with("report--") || reference.starts_with("incident--")) {
        return Err(missing());
    }
    let (stored, revoked) = crate::store::latest(conn, reference)?.ok_or_else(missing)?;
    if revoked || !stored.published || !policy::may_read(viewer, &stored.access()) {
        return Err(missing());
    }
    let mapped: Option<String> =
        report_publications::table.find(reference).select(report_publications::report_row).first(conn).optional()?;
    let row_id = match mapped {
        Some(id) => Some(id),
        // Published before publications were recorded: the report object's id is derived from the row id.
        None if reference.starts_with("report--") => {
            let published: Vec<String> =
                reports::table.filter(reports::state.eq(ReportState::Published.as_str())).select(reports::id).load(conn)?;
            published.into_iter().find(|id| intake::report_object_id(&state.anonymise_namespace, id) == reference)
        }
        None => None,
    };
    let row = match row_id {
        Some(id) => intake::load(conn, parse_uuid(&id))?,
        None => None,
    }
    .ok_or_else(missing)?;
    if row.state != ReportState::Published.as_str() {
        return Err(missing());
    }
    Ok(row)
}

/// The shared object's name, for titles; empty if it is gone.
fn shared_title(conn: &mut DbConnection, reference: &str) -> Result<String, ApiError> {
    Ok(crate::store::latest(conn, reference)?
        .and_then(|(row, _)| serde_json::from_str::<serde_json::Value>(&row.body).ok())
        .and_then(|body| body.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .unwrap_or_default())
}

/// The viewer's seat in a thread, through the one policy check: the
/// submitter's side reads its own raw report, the asker's side the shared
/// object the thread hangs off; anyone else gets nothing.
fn seat(conn: &mut DbConnection, principal: &Principal, thread: &ThreadRow, report: &ReportRow) -> Result<Option<Seat>, ApiError> {
    let viewer = Viewer::from_principal(principal);
    if matches!(principal.role, Role::Analyst | Role::Admin) {
        return Ok(policy::may_read(&viewer, &report.access()).then_some(Seat::Analyst));
    }
    let Some(org) = principal.organisation.as_ref() else {
        return Ok(None);
    };
    if org.id == report.organisation_id && policy::may_read(&viewer, &report.access()) {
        return Ok(Some(Seat::Submitter));
    }
    if org.id == thread.asker_org {
        let readable = crate::store::latest(conn, &thread.report_ref)?
            .is_some_and(|(stored, revoked)| !revoked && stored.published && policy::may_read(&viewer, &stored.access()));
        return Ok(readable.then_some(Seat::Asker));
    }
    Ok(None)
}

fn load_thread(conn: &mut DbConnection, id: Uuid) -> Result<Option<ThreadRow>, ApiError> {
    Ok(followup_threads::table.find(id.to_string()).select(ThreadRow::as_select()).first(conn).optional()?)
}

/// A thread with its report, if the principal has a seat in it; else 404.
fn visible(conn: &mut DbConnection, principal: &Principal, id: Uuid) -> Result<(ThreadRow, ReportRow, Seat), ApiError> {
    let missing = || ApiError::not_found(format!("no follow-up thread {id}"));
    let thread = load_thread(conn, id)?.ok_or_else(missing)?;
    let report = intake::load(conn, parse_uuid(&thread.report_row))?.ok_or_else(missing)?;
    let seat = seat(conn, principal, &thread, &report)?.ok_or_else(missing)?;
    Ok((thread, report, seat))
}

fn organisation(conn: &mut DbConnection, id: &str) -> Result<OrganisationRow, ApiError> {
    Ok(organisations::table.find(id).select(OrganisationRow::as_select()).first(conn)?)
}

/// The author's text and sighting as the other side may see them,
/// anonymised with the author's organisation profile.
struct Shared {
    text: String,
    sighting: Option<Sighting>,
    redactions: Vec<Redaction>,
}

fn share(state: &AppState, org: &OrganisationRow, principal: &Principal, text: &str, sighting: Option<&Sighting>) -> Result<Shared, ApiError> {
    let profile = MemberProfile::from_organisation(&org.to_api()).map_err(ApiError::internal)?;
    let compiled = state.profiles.get(&org.id, profile).map_err(ApiError::internal)?;
    let people: Vec<String> = [principal.display_name.trim()].into_iter().filter(|n| !n.is_empty()).map(str::to_owned).collect();
    let emails = author_emails(state, principal)?;
    let mut redactions = Vec::new();
    let text = anonymise::anonymise_text(&compiled, text, "text", &people, &emails, &mut redactions).map_err(ApiError::internal)?;
    let sighting = match sighting {
        Some(s) => {
            let mut observables = Vec::new();
            for (i, o) in s.observables.iter().enumerate() {
                let field = format!("sighting.observables[{i}]");
                if !anonymise::value_names_member(&compiled, o.value.trim(), &field, &people, &emails, &mut redactions).map_err(ApiError::internal)? {
                    observables.push(o.clone());
                }
            }
            let granularity = match state.settings.sharing.coarsen_times.as_str() {
                "hour" => TimeGranularity::Hour,
                "day" => TimeGranularity::Day,
                _ => TimeGranularity::None,
            };
            let (first_seen, last_seen) = anonymise::coarsen_interval(s.first_seen, s.last_seen, granularity, "sighting", &mut redactions);
            Some(Sighting { count: s.count, first_seen, last_seen, observables })
        }
        None => None,
    };
    Ok(Shared { text, sighting, redactions })
}

/// The author's e-mail address on the account, redacted like a contact's.
fn author_emails(state: &AppState, principal: &Principal) -> Result<Vec<String>, ApiError> {
    let user_id = principal.user_id.to_string();
    let email: Option<Option<String>> = state.db.read(|conn| Ok(users::table.find(&user_id).select(users::email).first(conn).optional()?))?;
    Ok(email.flatten().into_iter().collect())
}

/// What one new message is, checked and anonymised before the transaction.
struct Draft {
    kind: FollowupKind,
    raw_text: String,
    raw_sighting: Option<Sighting>,
    shared: Shared,
}

/// Ask the submitter of a published report, or report a sighting on it. The
/// thread of the caller's organisation for that report is reused.
pub fn ask(state: &AppState, principal: &Principal, request: NewFollowup) -> Result<FollowupThread, ApiError> {
    if request.kind == FollowupKind::Answer {
        return Err(ApiError::field("kind", "only the submitter answers; ask with `question` or `sighting`"));
    }
    if chars(&request.report) > MAX_REFERENCE_CHARS {
        return Err(ApiError::field("report", format!("at most {MAX_REFERENCE_CHARS} characters")));
    }
    check(&state.settings.intake, request.kind, &request.text, request.sighting.as_ref())?;
    let org = principal.organisation.clone().ok_or_else(|| ApiError::forbidden("only operators of a member organisation ask follow-up questions"))?;
    let shared = share(state, &org, principal, &request.text, request.sighting.as_ref())?;
    let secret = crate::auth::server_secret(&state.db, PSEUDONYM_SECRET)?;
    let draft = Draft { kind: request.kind, raw_text: request.text, raw_sighting: request.sighting, shared };
    let viewer = Viewer::from_principal(principal);
    state.db.write(|conn| {
        let report = resolve(state, conn, &viewer, request.report.trim())?;
        if report.organisation_id == org.id {
            return Err(ApiError::forbidden("your organisation submitted this report: it answers follow-ups (`isacx report followup answer`), it does not ask them"));
        }
        let existing: Option<ThreadRow> = followup_threads::table
            .filter(followup_threads::report_row.eq(&report.id))
            .filter(followup_threads::asker_org.eq(&org.id))
            .select(ThreadRow::as_select())
            .first(conn)
            .optional()?;
        let (thread, opened) = match existing {
            Some(t) => (t, false),
            None => {
                let at = now();
                let thread = ThreadRow {
                    id: Uuid::new_v4().to_string(),
                    report_row: report.id.clone(),
                    report_ref: request.report.trim().to_owned(),
                    asker_org: org.id.clone(),
                    pseudonym: pseudonym(&secret, &report.id, &org.id)?,
                    created_at: at,
                    updated_at: at,
                };
                diesel::insert_into(followup_threads::table)
                    .values((
                        followup_threads::id.eq(&thread.id),
                        followup_threads::report_row.eq(&thread.report_row),
                        followup_threads::report_ref.eq(&thread.report_ref),
                        followup_threads::asker_org.eq(&thread.asker_org),
                        followup_threads::pseudonym.eq(&thread.pseudonym),
                        followup_threads::created_at.eq(at),
                        followup_threads::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                (thread, true)
            }
        };
        append(conn, principal, &thread, &report, FollowupSide::Asker, &draft, opened)?;
        let thread = load_thread(conn, parse_uuid(&thread.id))?.ok_or_else(|| ApiError::internal("thread vanished"))?;
        view(conn, &thread, &report, Seat::Asker, true)
    })
}

/// Add to a thread: the asker another question or sighting, the submitter an answer.
pub fn post(state: &AppState, principal: &Principal, id: Uuid, request: NewFollowupMessage) -> Result<FollowupThread, ApiError> {
    check(&state.settings.intake, request.kind, &request.text, request.sighting.as_ref())?;
    let org = principal.organisation.clone().ok_or_else(|| ApiError::forbidden("only operators of a member organisation take part in follow-ups"))?;
    // Which side the caller is on decides which kinds it may post; checked
    // again inside the transaction (the anonymiser must run before it).
    let side = state.db.read(|conn| side_of(visible(conn, principal, id)?.2))?;
    match (side, request.kind) {
        (FollowupSide::Asker, FollowupKind::Answer) => return Err(ApiError::field("kind", "the submitter answers; you may add a `question` or a `sighting`")),
        (FollowupSide::Submitter, FollowupKind::Question | FollowupKind::Sighting) => {
            return Err(ApiError::field("kind", "you submitted the report: reply with `answer`"));
        }
        _ => {}
    }
    let shared = share(state, &org, principal, &request.text, request.sighting.as_ref())?;
    let draft = Draft { kind: request.kind, raw_text: request.text, raw_sighting: request.sighting, shared };
    state.db.write(|conn| {
        let (thread, report, seat) = visible(conn, principal, id)?;
        let now_side = side_of(seat)?;
        if now_side != side {
            return Err(ApiError::conflict("the thread changed; try again"));
        }
        append(conn, principal, &thread, &report, side, &draft, false)?;
        let thread = load_thread(conn, id)?.ok_or_else(|| ApiError::internal("thread vanished"))?;
        view(conn, &thread, &report, seat, true)
    })
}

fn side_of(seat: Seat) -> Result<FollowupSide, ApiError> {
    match seat {
        Seat::Asker => Ok(FollowupSide::Asker),
        Seat::Submitter => Ok(FollowupSide::Submitter),
        Seat::Analyst => Err(ApiError::forbidden("analysts read follow-up threads; the members write them")),
    }
}

/// Store one message, notify the other side and audit, in the caller's transaction.
fn append(
    conn: &mut DbConnection,
    principal: &Principal,
    thread: &ThreadRow,
    report: &ReportRow,
    side: FollowupSide,
    draft: &Draft,
    opened: bool,
) -> Result<(), ApiError> {
    let org_id = principal.organisation.as_ref().map(|o| o.id.clone()).ok_or_else(|| ApiError::forbidden("no organisation"))?;
    let last: Option<i32> = followup_messages::table
        .filter(followup_messages::thread_id.eq(&thread.id))
        .select(diesel::dsl::max(followup_messages::seq))
        .first(conn)?;
    let seq = last.unwrap_or(0) + 1;
    let id = Uuid::new_v4().to_string();
    let at = now();
    let json = |s: &Option<Sighting>| s.as_ref().map(serde_json::to_string).transpose().map_err(ApiError::internal);
    diesel::insert_into(followup_messages::table)
        .values((
            followup_messages::id.eq(&id),
            followup_messages::thread_id.eq(&thread.id),
            followup_messages::seq.eq(seq),
            followup_messages::side.eq(side.as_str()),
            followup_messages::kind.eq(draft.kind.as_str()),
            followup_messages::author_user.eq(principal.user_id.to_string()),
            followup_messages::author_org.eq(&org_id),
            followup_messages::raw_text.eq(&draft.raw_text),
            followup_messages::shared_text.eq(&draft.shared.text),
            followup_messages::raw_sighting.eq(json(&draft.raw_sighting)?),
            followup_messages::shared_sighting.eq(json(&draft.shared.sighting)?),
            followup_messages::redactions.eq(serde_json::to_string(&draft.shared.redactions).map_err(ApiError::internal)?),
            followup_messages::created_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(followup_threads::table.find(&thread.id)).set(followup_threads::updated_at.eq(at)).execute(conn)?;
    audit::append(
        conn,
        &principal.actor(),
        Entry {
            action: match draft.kind {
                FollowupKind::Question => "followup.ask",
                FollowupKind::Sighting => "followup.sighting",
                FollowupKind::Answer => "followup.answer",
            },
            target: format!("followup:{}", thread.id),
            detail: serde_json::json!({
                "message": id, "seq": seq, "report": report.id, "report_ref": thread.report_ref,
                "opened": opened, "redactions": draft.shared.redactions.len(),
            }),
        },
    )?;
    notify_other_side(conn, thread, report, &id, side, draft)
}

fn quote(text: &str) -> String {
    if chars(text) <= NOTIFY_QUOTE_CHARS {
        text.to_owned()
    } else {
        text.chars().take(NOTIFY_QUOTE_CHARS).collect::<String>() + "…"
    }
}

/// Operators of an organisation: who hears about its side of a thread.
fn operators(conn: &mut DbConnection, org_id: &str) -> Result<Vec<Uuid>, ApiError> {
    let ids: Vec<String> = users::table
        .filter(users::organisation_id.eq(org_id))
        .filter(users::role.eq(Role::Operator.as_str()))
        .filter(users::disabled.eq(false))
        .select(users::id)
        .load(conn)?;
    Ok(ids.iter().map(|id| parse_uuid(id)).collect())
}

/// One notification to the other side's operators, with the shared copy only.
fn notify_other_side(
    conn: &mut DbConnection,
    thread: &ThreadRow,
    report: &ReportRow,
    message_id: &str,
    author: FollowupSide,
    draft: &Draft,
) -> Result<(), ApiError> {
    let title = shared_title(conn, &thread.report_ref)?;
    let text = quote(&draft.shared.text);
    let (kind, recipients, access, from) = match author {
        // The question concerns the submitter's own report: only its side passes the raw report's access.
        FollowupSide::Asker => (notify::EventKind::FollowupQuestion, operators(conn, &report.organisation_id)?, report.access(), thread.pseudonym.clone()),
        FollowupSide::Submitter => {
            let access = match crate::store::latest(conn, &thread.report_ref)? {
                Some((stored, false)) => stored.access(),
                // Revoked or gone: the asker can no longer read it; nobody is told.
                _ => return Ok(()),
            };
            (notify::EventKind::FollowupAnswer, operators(conn, &thread.asker_org)?, access, SUBMITTER_LABEL.to_owned())
        }
    };
    let sighting_line = |ja: bool| -> String {
        let Some(s) = &draft.shared.sighting else {
            return String::new();
        };
        let count = s.count.map(|c| c.to_string()).unwrap_or_else(|| "?".to_owned());
        let values: Vec<&str> = s.observables.iter().map(|o| o.value.as_str()).collect();
        if ja {
            format!("\n観測: {count} 回 {}", values.join(", "))
        } else {
            format!("\nSeen: {count} time(s) {}", values.join(", "))
        }
    };
    let (title_en, title_ja, summary_en, summary_ja) = match draft.kind {
        FollowupKind::Question => (
            format!("Question on your report: {title}"),
            format!("報告への質問: {title}"),
            format!("{from} asks:\n{text}"),
            format!("{from} からの質問:\n{text}"),
        ),
        FollowupKind::Sighting => (
            format!("Sighting on your report: {title}"),
            format!("報告への観測情報: {title}"),
            format!("{from} saw this too.{}\n{text}", sighting_line(false)),
            format!("{from} も同様の事象を観測しました。{}\n{text}", sighting_line(true)),
        ),
        FollowupKind::Answer => (
            format!("Answer on: {title}"),
            format!("問い合わせへの回答: {title}"),
            format!("The submitter answered:\n{text}"),
            format!("報告者からの回答:\n{text}"),
        ),
    };
    let event = notify::Event {
        kind,
        dedupe_key: format!("followup:{message_id}"),
        object_id: thread.report_ref.clone(),
        urgency: notify::Urgency::Info,
        sectors: vec![ALL_SECTORS.to_owned()],
        products: Vec::new(),
        tags: vec!["followup".to_owned()],
        title: notify::LocalisedText { en: title_en, ja: title_ja },
        summary: notify::LocalisedText { en: summary_en, ja: summary_ja },
        deadline: None,
        payload: serde_json::json!({
            "thread": thread.id, "report": thread.report_ref, "message": message_id,
            "kind": draft.kind, "from": from, "text": draft.shared.text, "sighting": draft.shared.sighting,
        }),
    };
    notify::enqueue(conn, &event, &access, &recipients)?;
    Ok(())
}

fn identity(org: &OrganisationRow, user: Option<&UserRow>) -> FollowupIdentity {
    FollowupIdentity {
        organisation_id: parse_uuid(&org.id),
        organisation_name: LocalisedName { ja: org.name_ja.clone(), en: org.name_en.clone() },
        user_id: user.map(|u| parse_uuid(&u.id)),
        username: user.map(|u| u.username.clone()),
    }
}

/// A thread as `seat` may see it.
fn view(conn: &mut DbConnection, thread: &ThreadRow, report: &ReportRow, seat: Seat, with_messages: bool) -> Result<FollowupThread, ApiError> {
    let rows: Vec<MessageRow> = followup_messages::table
        .filter(followup_messages::thread_id.eq(&thread.id))
        .order(followup_messages::seq.asc())
        .select(MessageRow::as_select())
        .load(conn)?;
    let analyst = seat == Seat::Analyst;
    let mut messages = Vec::new();
    if with_messages {
        for m in &rows {
            let side = m.side();
            let own = matches!((seat, side), (Seat::Asker, FollowupSide::Asker) | (Seat::Submitter, FollowupSide::Submitter));
            let from = if own {
                YOU_LABEL.to_owned()
            } else {
                match side {
                    FollowupSide::Asker => thread.pseudonym.clone(),
                    FollowupSide::Submitter => SUBMITTER_LABEL.to_owned(),
                }
            };
            let sighting = |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str::<Sighting>(t).ok());
            let author = if analyst {
                let user: Option<UserRow> = users::table.find(&m.author_user).select(UserRow::as_select()).first(conn).optional()?;
                Some(identity(&organisation(conn, &m.author_org)?, user.as_ref()))
            } else {
                None
            };
            let mine = own || analyst;
            messages.push(FollowupMessage {
                id: parse_uuid(&m.id),
                seq: m.seq.max(0) as u32,
                kind: m.kind(),
                side,
                from,
                text: if mine { m.raw_text.clone() } else { m.shared_text.clone() },
                sighting: if mine { sighting(&m.raw_sighting) } else { sighting(&m.shared_sighting) },
                shared_text: mine.then(|| m.shared_text.clone()),
                shared_sighting: if mine { sighting(&m.shared_sighting) } else { None },
                author,
                redactions: if mine { serde_json::from_str(&m.redactions).unwrap_or_default() } else { Vec::new() },
                created_at: to_utc(m.created_at),
            });
        }
    }
    let (asker_identity, submitter_identity) = if analyst {
        (Some(identity(&organisation(conn, &thread.asker_org)?, None)), Some(identity(&organisation(conn, &report.organisation_id)?, None)))
    } else {
        (None, None)
    };
    Ok(FollowupThread {
        id: parse_uuid(&thread.id),
        report: thread.report_ref.clone(),
        title: shared_title(conn, &thread.report_ref)?,
        side: match seat {
            Seat::Asker => Some(FollowupSide::Asker),
            Seat::Submitter => Some(FollowupSide::Submitter),
            Seat::Analyst => None,
        },
        asker: thread.pseudonym.clone(),
        submitter: SUBMITTER_LABEL.to_owned(),
        report_row: matches!(seat, Seat::Submitter | Seat::Analyst).then(|| parse_uuid(&report.id)),
        asker_identity,
        submitter_identity,
        messages,
        message_count: rows.len() as u32,
        last_kind: rows.last().map(MessageRow::kind),
        created_at: to_utc(thread.created_at),
        updated_at: to_utc(thread.updated_at),
    })
}

/// One thread, with its messages, as the principal may see it.
pub fn get(state: &AppState, principal: &Principal, id: Uuid) -> Result<FollowupThread, ApiError> {
    state.db.read(|conn| {
        let (thread, report, seat) = visible(conn, principal, id)?;
        view(conn, &thread, &report, seat, true)
    })
}

/// Threads the principal takes part in (analysts: all), newest first,
/// optionally only those on one shared report id.
pub fn list(state: &AppState, principal: &Principal, report_ref: Option<&str>) -> Result<Vec<FollowupThread>, ApiError> {
    state.db.read(|conn| {
        let mut query = followup_threads::table.select(ThreadRow::as_select()).order(followup_threads::updated_at.desc()).into_boxed::<crate::db::MultiBackend>();
        if !matches!(principal.role, Role::Analyst | Role::Admin) {
            let Some(org) = principal.organisation.as_ref() else {
                return Ok(Vec::new());
            };
            let own_reports: Vec<String> = reports::table.filter(reports::organisation_id.eq(&org.id)).select(reports::id).load(conn)?;
            query = query.filter(followup_threads::asker_org.eq(org.id.clone()).or(followup_threads::report_row.eq_any(own_reports)));
        }
        let threads: Vec<ThreadRow> = query.load(conn)?;
        let mut out = Vec::new();
        for thread in threads {
            let Some(report) = intake::load(conn, parse_uuid(&thread.report_row))? else {
                continue;
            };
            if let Some(wanted) = report_ref {
                // A member names the report by the shared id; the submitter may also use its own report id.
                let by_own_id = matches!(principal.role, Role::Analyst | Role::Admin)
                    || principal.organisation.as_ref().is_some_and(|o| o.id == report.organisation_id);
                if thread.report_ref != wanted && !(by_own_id && report.id == wanted) && !shares_report(conn, &report.id, wanted)? {
                    continue;
                }
            }
            if let Some(seat) = seat(conn, principal, &thread, &report)? {
                out.push(view(conn, &thread, &report, seat, false)?);
            }
        }
        Ok(out)
    })
}

/// Whether `reference` is another shared id of the same report (its incident for its report object, say).
fn shares_report(conn: &mut DbConnection, report_row: &str, reference: &str) -> Result<bool, ApiError> {
    let ids: BTreeSet<String> =
        report_publications::table.filter(report_publications::report_row.eq(report_row)).select(report_publications::stix_id).load::<String>(conn)?.into_iter().collect();
    Ok(ids.contains(reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::followup::SightedObservable;

    #[test]
    fn pseudonyms_are_stable_per_thread_and_differ_across_reports_and_secrets() {
        let a = pseudonym("s1", "report-1", "org-1").unwrap();
        assert_eq!(a, pseudonym("s1", "report-1", "org-1").unwrap());
        assert!(a.starts_with("member-") && a.len() == "member-".len() + 8, "{a}");
        assert_ne!(a, pseudonym("s1", "report-2", "org-1").unwrap());
        assert_ne!(a, pseudonym("s1", "report-1", "org-2").unwrap());
        assert_ne!(a, pseudonym("s2", "report-1", "org-1").unwrap());
        assert!(!a.contains("org-1"));
    }

    #[test]
    fn sighting_times_are_coarsened_outward() {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
        let mut out = Vec::new();
        let (first, last) =
            anonymise::coarsen_interval(Some(t("2026-11-20T01:17:00Z")), Some(t("2026-11-20T01:40:00Z")), TimeGranularity::Hour, "sighting", &mut out);
        assert_eq!((first, last), (Some(t("2026-11-20T01:00:00Z")), Some(t("2026-11-20T02:00:00Z"))));
        assert_eq!(out.iter().map(|r| r.field.as_str()).collect::<Vec<_>>(), ["sighting.first_seen", "sighting.last_seen"]);
        let mut none = Vec::new();
        let exact = anonymise::coarsen_interval(Some(t("2026-11-20T01:17:00Z")), None, TimeGranularity::None, "sighting", &mut none);
        assert_eq!((exact, none.len()), ((Some(t("2026-11-20T01:17:00Z")), None), 0));
    }

    fn fields(result: Result<(), ApiError>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(e) => e.errors.iter().map(|f| f.field.clone()).collect(),
        }
    }

    #[test]
    fn checks_name_each_field() {
        let limits = IntakeSettings { max_description_chars: 10, max_text_chars: 20, max_indicators: 2, ..IntakeSettings::default() };
        assert_eq!(fields(check(&limits, FollowupKind::Question, "  ", None)), ["text"]);
        assert_eq!(fields(check(&limits, FollowupKind::Question, "01234567890", None)), ["text"]);
        assert!(fields(check(&limits, FollowupKind::Answer, "ok", None)).is_empty());
        let observed = |kind: &str, value: &str| SightedObservable { kind: kind.to_owned(), value: value.to_owned() };
        let sighting = Sighting {
            count: Some(0),
            first_seen: Some(chrono::Utc::now()),
            last_seen: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            observables: vec![observed("ipv4-addr", "1.2.3.4"), observed("mac-addr", "")],
        };
        assert_eq!(
            fields(check(&limits, FollowupKind::Sighting, "", Some(&sighting))),
            ["sighting.count", "sighting.last_seen", "sighting.observables[1].type", "sighting.observables[1].value"]
        );
        let counted = Sighting { count: Some(3), ..Sighting::default() };
        assert!(fields(check(&limits, FollowupKind::Sighting, "", Some(&counted))).is_empty(), "a counted sighting needs no text");
        assert_eq!(fields(check(&limits, FollowupKind::Question, "why", Some(&counted))), ["sighting"]);
        let many = Sighting { observables: vec![observed("url", "a"); 3], ..Sighting::default() };
        assert_eq!(fields(check(&limits, FollowupKind::Sighting, "x", Some(&many))), ["sighting.observables"]);
    }
}

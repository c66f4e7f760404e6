//! Urgent reassessment (緊急のリスクアセスメント, guideline 4.2.1(1)(ウ)):
//! per concerned member, requested → acknowledged → reassessed, with a
//! deadline; the analysts' board; and the sweep that reminds and escalates.
//!
//! A member's task is private to that member and the analysts: a member
//! sees its own tasks for advisories the policy lets it read, and nothing of
//! anyone else's (404, never 403).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::advisory::{self as adv, EscalationStep, FlaggedEntry, MatchReason, MemberMatch, ReassessRequest, TaskState};
use isacx_schemas::api::Role;
use isacx_schemas::error::FieldError;
use uuid::Uuid;

use super::matching::member_viewer;
use super::AdvisoryRow;
use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::db::models::parse_uuid;
use crate::db::schema::{advisories, organisations, reassessment_steps, reassessment_tasks, users};
use crate::db::{now, parse_list, to_utc, DbConnection, MultiBackend, IN_LIST_CHUNK};
use crate::error::ApiError;
use crate::policy::{self, Viewer};
use crate::profiles::register;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reassessment_tasks)]
pub struct TaskRow {
    pub id: String,
    pub advisory_id: String,
    pub organisation_id: String,
    pub state: String,
    pub deadline: chrono::NaiveDateTime,
    pub reasons: String,
    pub entries: String,
    pub answers: String,
    pub note: Option<String>,
    pub requested_at: chrono::NaiveDateTime,
    pub acknowledged_at: Option<chrono::NaiveDateTime>,
    pub reassessed_at: Option<chrono::NaiveDateTime>,
    pub updated_at: chrono::NaiveDateTime,
}

impl TaskRow {
    pub fn state(&self) -> TaskState {
        self.state.parse().unwrap_or(TaskState::Requested)
    }

    fn flagged(&self) -> Vec<FlaggedEntry> {
        serde_json::from_str(&self.entries).unwrap_or_default()
    }

    fn overdue(&self, at: DateTime<Utc>) -> bool {
        self.state().is_open() && to_utc(self.deadline) < at
    }
}

pub fn default_deadline(state: &AppState, from: DateTime<Utc>) -> DateTime<Utc> {
    from + chrono::Duration::seconds(i64::try_from(state.settings.advisories.default_deadline_secs).unwrap_or(i64::MAX / 4))
}

pub(crate) fn deadline_of(state: &AppState, advisory: &AdvisoryRow) -> DateTime<Utc> {
    let published = advisory.published_at.map(to_utc).unwrap_or_else(Utc::now);
    advisory.content().reassessment_deadline.unwrap_or_else(|| default_deadline(state, published))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

#[derive(Insertable)]
#[diesel(table_name = reassessment_tasks)]
struct NewTask<'a> {
    id: String,
    advisory_id: &'a str,
    organisation_id: String,
    state: &'a str,
    deadline: NaiveDateTime,
    reasons: String,
    entries: String,
    answers: &'a str,
    requested_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Tasks per multi-row INSERT on PostgreSQL.
const TASKS_PER_INSERT: usize = 500;

/// Open a task for each concerned member without one; open tasks take the
/// new flags and deadline. Returns the tasks written. New tasks are
/// inserted many at a time (a publication may concern 10,000 members).
pub fn open_for(state: &AppState, conn: &mut DbConnection, advisory: &AdvisoryRow, concerned: &[MemberMatch]) -> Result<usize, ApiError> {
    let deadline = deadline_of(state, advisory).naive_utc();
    let existing: Vec<(String, String, String)> = reassessment_tasks::table
        .filter(reassessment_tasks::advisory_id.eq(&advisory.id))
        .select((reassessment_tasks::organisation_id, reassessment_tasks::id, reassessment_tasks::state))
        .load(conn)?;
    let existing: HashMap<String, (String, String)> = existing.into_iter().map(|(o, id, s)| (o, (id, s))).collect();
    let at = now();
    let mut written = 0;
    let mut new = Vec::new();
    for m in concerned {
        let org = m.organisation_id.to_string();
        match existing.get(&org) {
            None => new.push(NewTask {
                id: Uuid::new_v4().to_string(),
                advisory_id: &advisory.id,
                organisation_id: org,
                state: TaskState::Requested.as_str(),
                deadline,
                reasons: json(&m.reasons)?,
                entries: json(&m.entries)?,
                answers: "[]",
                requested_at: at,
                updated_at: at,
            }),
            Some((id, s)) if s.parse::<TaskState>().is_ok_and(TaskState::is_open) => {
                diesel::update(reassessment_tasks::table.find(id))
                    .set((
                        reassessment_tasks::deadline.eq(deadline),
                        reassessment_tasks::reasons.eq(json(&m.reasons)?),
                        reassessment_tasks::entries.eq(json(&m.entries)?),
                        reassessment_tasks::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                written += 1;
            }
            Some(_) => {}
        }
    }
    for chunk in new.chunks(TASKS_PER_INSERT) {
        written += match conn {
            // SQLite: a cached prepared statement per row inside the caller's
            // transaction (diesel's SQLite batch insert opens its own).
            DbConnection::Sqlite(c) => {
                let mut n = 0;
                for task in chunk {
                    n += diesel::insert_into(reassessment_tasks::table).values(task).execute(c)?;
                }
                n
            }
            DbConnection::Postgres(c) => diesel::insert_into(reassessment_tasks::table).values(chunk).execute(c)?,
        };
    }
    Ok(written)
}

fn cancel(conn: &mut DbConnection, ids: &[String]) -> Result<usize, ApiError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(reassessment_tasks::table.filter(reassessment_tasks::id.eq_any(ids)))
        .set((
            reassessment_tasks::state.eq(TaskState::Cancelled.as_str()),
            reassessment_tasks::updated_at.eq(now()),
        ))
        .execute(conn)?)
}

fn open_ids(conn: &mut DbConnection, advisory_id: &str) -> Result<Vec<(String, String)>, ApiError> {
    Ok(reassessment_tasks::table
        .filter(reassessment_tasks::advisory_id.eq(advisory_id))
        .filter(reassessment_tasks::state.eq_any([TaskState::Requested.as_str(), TaskState::Acknowledged.as_str()]))
        .select((reassessment_tasks::id, reassessment_tasks::organisation_id))
        .load(conn)?)
}

/// After an amendment: open tasks of members no longer concerned (say the
/// TLP rose and they may no longer read it) are cancelled.
pub fn cancel_unconcerned(conn: &mut DbConnection, advisory: &AdvisoryRow, concerned: &[MemberMatch]) -> Result<usize, ApiError> {
    let still: BTreeSet<String> = concerned.iter().map(|m| m.organisation_id.to_string()).collect();
    let ids: Vec<String> = open_ids(conn, &advisory.id)?
        .into_iter()
        .filter(|(_, org)| !still.contains(org))
        .map(|(id, _)| id)
        .collect();
    cancel(conn, &ids)
}

pub fn cancel_all(conn: &mut DbConnection, advisory_id: &str) -> Result<usize, ApiError> {
    let ids: Vec<String> = open_ids(conn, advisory_id)?.into_iter().map(|(id, _)| id).collect();
    cancel(conn, &ids)
}

fn steps_of(conn: &mut DbConnection, task_ids: &[String]) -> Result<HashMap<String, Vec<adv::StepRecord>>, ApiError> {
    let rows: Vec<(String, String, String, chrono::NaiveDateTime)> = reassessment_steps::table
        .filter(reassessment_steps::task_id.eq_any(task_ids))
        .select((
            reassessment_steps::task_id,
            reassessment_steps::step,
            reassessment_steps::recipients,
            reassessment_steps::at,
        ))
        .order(reassessment_steps::at.asc())
        .load(conn)?;
    let orgs: HashMap<String, String> = reassessment_tasks::table
        .filter(reassessment_tasks::id.eq_any(task_ids))
        .select((reassessment_tasks::id, reassessment_tasks::organisation_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut out: HashMap<String, Vec<adv::StepRecord>> = HashMap::new();
    for (task, step, recipients, at) in rows {
        let Ok(step) = step.parse() else { continue };
        out.entry(task.clone()).or_default().push(adv::StepRecord {
            task_id: parse_uuid(&task),
            organisation_id: orgs.get(&task).map(|o| parse_uuid(o)).unwrap_or_default(),
            step,
            recipients: parse_list(&recipients).iter().map(|r| parse_uuid(r)).collect(),
            at: to_utc(at),
        });
    }
    Ok(out)
}

fn to_api(conn: &mut DbConnection, row: &TaskRow) -> Result<adv::ReassessmentTask, ApiError> {
    let flagged = row.flagged();
    let ids: Vec<String> = flagged.iter().map(|f| f.entry_id.to_string()).collect();
    let current = register::entries_by_id(conn, &row.organisation_id, &ids)?;
    let answers: Vec<adv::EntryReassessment> = serde_json::from_str(&row.answers).unwrap_or_default();
    let entries = flagged
        .into_iter()
        .map(|f| adv::TaskEntry {
            entry: current.get(&f.entry_id.to_string()).map(|r| r.to_api()),
            outcome: answers.iter().find(|a| a.entry_id == f.entry_id).cloned(),
            entry_id: f.entry_id,
            reasons: f.reasons,
        })
        .collect();
    let steps = steps_of(conn, std::slice::from_ref(&row.id))?.remove(&row.id).unwrap_or_default();
    Ok(adv::ReassessmentTask {
        id: parse_uuid(&row.id),
        advisory_id: parse_uuid(&row.advisory_id),
        organisation_id: parse_uuid(&row.organisation_id),
        state: row.state(),
        deadline: to_utc(row.deadline),
        overdue: row.overdue(Utc::now()),
        reasons: serde_json::from_str::<Vec<MatchReason>>(&row.reasons).unwrap_or_default(),
        entries,
        note: row.note.clone(),
        requested_at: to_utc(row.requested_at),
        acknowledged_at: row.acknowledged_at.map(to_utc),
        reassessed_at: row.reassessed_at.map(to_utc),
        steps,
    })
}

fn advisory_row(conn: &mut DbConnection, id: &str) -> Result<AdvisoryRow, ApiError> {
    Ok(advisories::table.find(id).select(AdvisoryRow::as_select()).first(conn)?)
}

/// May this principal see this task? Its own organisation's (for an
/// advisory the policy lets it read), or any for analysts.
fn may_see(conn: &mut DbConnection, principal: &Principal, row: &TaskRow) -> Result<bool, ApiError> {
    let viewer = Viewer::from_principal(principal);
    let advisory = advisory_row(conn, &row.advisory_id)?;
    if !policy::may_read(&viewer, &advisory.access()) {
        return Ok(false);
    }
    Ok(super::is_curator(principal) || principal.organisation.as_ref().is_some_and(|o| o.id == row.organisation_id))
}

fn visible(conn: &mut DbConnection, principal: &Principal, id: Uuid) -> Result<TaskRow, ApiError> {
    let row: Option<TaskRow> = reassessment_tasks::table
        .find(id.to_string())
        .select(TaskRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if may_see(conn, principal, &row)? => Ok(row),
        _ => Err(ApiError::not_found(format!("no reassessment task {id}"))),
    }
}

/// Tasks the principal may see, optionally of one advisory.
pub fn list(state: &AppState, principal: &Principal, advisory: Option<Uuid>) -> Result<Vec<adv::ReassessmentTask>, ApiError> {
    state.db.read(|conn| {
        let mut query = reassessment_tasks::table
            .select(TaskRow::as_select())
            .order(reassessment_tasks::requested_at.desc())
            .into_boxed::<MultiBackend>();
        if let Some(a) = advisory {
            query = query.filter(reassessment_tasks::advisory_id.eq(a.to_string()));
        }
        if !super::is_curator(principal) {
            let Some(org) = &principal.organisation else {
                return Ok(Vec::new());
            };
            query = query.filter(reassessment_tasks::organisation_id.eq(org.id.clone()));
        }
        let rows: Vec<TaskRow> = query.load(conn)?;
        let mut out = Vec::new();
        for row in &rows {
            if may_see(conn, principal, row)? {
                out.push(to_api(conn, row)?);
            }
        }
        Ok(out)
    })
}

pub fn get(state: &AppState, principal: &Principal, id: Uuid) -> Result<adv::ReassessmentTask, ApiError> {
    state.db.read(|conn| {
        let row = visible(conn, principal, id)?;
        to_api(conn, &row)
    })
}

fn member_only(principal: &Principal) -> Result<(), ApiError> {
    if principal.role != Role::Operator {
        return Err(ApiError::forbidden("the member organisation acknowledges and reassesses its own task"));
    }
    Ok(())
}

pub fn acknowledge(state: &AppState, principal: &Principal, id: Uuid) -> Result<adv::ReassessmentTask, ApiError> {
    member_only(principal)?;
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        match row.state() {
            TaskState::Requested => {
                diesel::update(reassessment_tasks::table.find(&row.id))
                    .set((
                        reassessment_tasks::state.eq(TaskState::Acknowledged.as_str()),
                        reassessment_tasks::acknowledged_at.eq(Some(now())),
                        reassessment_tasks::updated_at.eq(now()),
                    ))
                    .execute(conn)?;
                audit::append(
                    conn,
                    &principal.actor(),
                    Entry {
                        action: "reassessment.acknowledge",
                        target: format!("reassessment:{}", row.id),
                        detail: serde_json::json!({ "advisory": row.advisory_id }),
                    },
                )?;
            }
            // Acknowledging twice is harmless.
            TaskState::Acknowledged => {}
            other => return Err(ApiError::conflict(format!("the task is {}", other.as_str()))),
        }
        let row = visible(conn, principal, id)?;
        to_api(conn, &row)
    })
}

pub fn reassess(state: &AppState, principal: &Principal, id: Uuid, request: ReassessRequest) -> Result<adv::ReassessmentTask, ApiError> {
    member_only(principal)?;
    state.db.write(|conn| {
        let row = visible(conn, principal, id)?;
        if !row.state().is_open() {
            return Err(ApiError::conflict(format!("the task is {}", row.state().as_str())));
        }
        let flagged: Vec<String> = row.flagged().iter().map(|f| f.entry_id.to_string()).collect();
        let mut errors = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, answer) in request.entries.iter().enumerate() {
            let key = answer.entry_id.to_string();
            if !flagged.contains(&key) {
                errors.push(FieldError { field: format!("entries[{i}].entry_id"), message: format!("entry {key} was not flagged by this advisory") });
            }
            if !seen.insert(key.clone()) {
                errors.push(FieldError { field: format!("entries[{i}].entry_id"), message: format!("entry {key} is answered twice") });
            }
            for (name, v) in [("impact", answer.impact), ("likelihood", answer.likelihood)] {
                if !(1..=5).contains(&v) {
                    errors.push(FieldError { field: format!("entries[{i}].{name}"), message: format!("must be 1–5 (got {v})") });
                }
            }
        }
        for key in flagged.iter().filter(|k| !seen.contains(*k)) {
            errors.push(FieldError { field: "entries".to_owned(), message: format!("flagged entry {key} has no answer: give impact, likelihood, decision and note for each") });
        }
        let note = request.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if flagged.is_empty() && note.is_none() {
            errors.push(FieldError { field: "note".to_owned(), message: "no register entry was flagged: say what the reassessment found".to_owned() });
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        for answer in &request.entries {
            register::reassess(conn, &row.organisation_id, &answer.entry_id.to_string(), answer.impact, answer.likelihood, answer.decision, answer.note.trim(), &row.id)?;
        }
        let at = now();
        diesel::update(reassessment_tasks::table.find(&row.id))
            .set((
                reassessment_tasks::state.eq(TaskState::Reassessed.as_str()),
                reassessment_tasks::answers.eq(json(&request.entries)?),
                reassessment_tasks::note.eq(&note),
                reassessment_tasks::acknowledged_at.eq(Some(row.acknowledged_at.unwrap_or(at))),
                reassessment_tasks::reassessed_at.eq(Some(at)),
                reassessment_tasks::updated_at.eq(at),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "reassessment.complete",
                target: format!("reassessment:{}", row.id),
                detail: serde_json::json!({ "advisory": row.advisory_id, "entries": request.entries.len(), "decisions": request.entries.iter().map(|e| e.decision).collect::<Vec<_>>() }),
            },
        )?;
        let row = visible(conn, principal, id)?;
        to_api(conn, &row)
    })
}

/// Who has and has not acted on an advisory (analysts).
pub fn board(state: &AppState, principal: &Principal, advisory_id: Uuid) -> Result<adv::Board, ApiError> {
    state.db.read(|conn| {
        super::visible(conn, &Viewer::from_principal(principal), advisory_id)?;
        let rows: Vec<(TaskRow, (String, String))> = reassessment_tasks::table
            .inner_join(organisations::table)
            .filter(reassessment_tasks::advisory_id.eq(advisory_id.to_string()))
            .select((TaskRow::as_select(), (organisations::name_en, organisations::name_ja)))
            .order((reassessment_tasks::deadline.asc(), organisations::name_en.asc()))
            .load(conn)?;
        let ids: Vec<String> = rows.iter().map(|(t, _)| t.id.clone()).collect();
        let steps = steps_of(conn, &ids)?;
        let at = Utc::now();
        let mut board = adv::Board {
            advisory_id,
            requested: 0,
            acknowledged: 0,
            reassessed: 0,
            overdue: 0,
            rows: Vec::new(),
        };
        for (task, (en, ja)) in rows {
            match task.state() {
                TaskState::Requested => board.requested += 1,
                TaskState::Acknowledged => board.acknowledged += 1,
                TaskState::Reassessed => board.reassessed += 1,
                TaskState::Cancelled => {}
            }
            let overdue = task.overdue(at);
            if overdue {
                board.overdue += 1;
            }
            board.rows.push(adv::BoardRow {
                task_id: parse_uuid(&task.id),
                organisation_id: parse_uuid(&task.organisation_id),
                organisation_name: adv::LocalisedText { en, ja },
                state: task.state(),
                deadline: to_utc(task.deadline),
                overdue,
                flagged_entries: task.flagged().len(),
                last_step: steps.get(&task.id).and_then(|s| s.iter().map(|r| r.step).max()),
            });
        }
        Ok(board)
    })
}

/// Operator users of an organisation who may read the advisory, enabled.
fn operators(conn: &mut DbConnection, organisation_id: &str, access: &crate::policy::Access) -> Result<Vec<String>, ApiError> {
    Ok(operators_of(conn, &[organisation_id.to_owned()], access)?.into_iter().map(|(_, user)| user).collect())
}

/// `(organisation, user)` for the enabled operators of each organisation
/// whose operators may read the advisory, by organisation then username.
/// A few queries for any number of organisations.
fn operators_of(conn: &mut DbConnection, organisation_ids: &[String], access: &crate::policy::Access) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for chunk in organisation_ids.chunks(IN_LIST_CHUNK) {
        let sectors: Vec<(String, String)> = organisations::table
            .filter(organisations::id.eq_any(chunk))
            .select((organisations::id, organisations::sectors))
            .load(conn)?;
        let readers: Vec<String> = sectors
            .into_iter()
            .filter(|(id, sectors)| policy::may_read(&member_viewer(id, &parse_list(sectors)), access))
            .map(|(id, _)| id)
            .collect();
        if readers.is_empty() {
            continue;
        }
        let rows: Vec<(Option<String>, String)> = users::table
            .filter(users::organisation_id.eq_any(&readers))
            .filter(users::role.eq(Role::Operator.as_str()))
            .filter(users::disabled.eq(false))
            .select((users::organisation_id, users::id))
            .order((users::organisation_id.asc(), users::username.asc()))
            .load(conn)?;
        out.extend(rows.into_iter().filter_map(|(org, user)| org.map(|o| (o, user))));
    }
    Ok(out)
}

/// The users to notify of an advisory event: every operator of each
/// concerned member (each passed the policy check).
pub fn recipients(conn: &mut DbConnection, access: &crate::policy::Access, concerned: &[MemberMatch]) -> Result<Vec<Uuid>, ApiError> {
    let orgs: Vec<String> = concerned.iter().map(|m| m.organisation_id.to_string()).collect();
    Ok(operators_of(conn, &orgs, access)?.iter().map(|(_, user)| parse_uuid(user)).collect())
}

/// Who a step goes to: the reassessment contacts first (every operator when
/// none are named), then the organisation's other operators (all of them
/// again when no contacts are named), then the analysts.
fn step_recipients(conn: &mut DbConnection, task: &TaskRow, access: &crate::policy::Access, step: EscalationStep) -> Result<Vec<String>, ApiError> {
    if step == EscalationStep::EscalatedToAnalysts {
        return Ok(users::table
            .filter(users::role.eq(Role::Analyst.as_str()))
            .filter(users::disabled.eq(false))
            .select(users::id)
            .order(users::username.asc())
            .load(conn)?);
    }
    let all = operators(conn, &task.organisation_id, access)?;
    let (_, contacts) = crate::profiles::profile_fields(conn, &task.organisation_id)?;
    let contacts: BTreeSet<String> = contacts.iter().map(Uuid::to_string).filter(|c| all.contains(c)).collect();
    Ok(match (step, contacts.is_empty()) {
        (_, true) => all,
        (EscalationStep::Reminder, false) => all.into_iter().filter(|u| contacts.contains(u)).collect(),
        _ => {
            let others: Vec<String> = all.iter().filter(|u| !contacts.contains(*u)).cloned().collect();
            if others.is_empty() {
                all
            } else {
                others
            }
        }
    })
}

/// The reminder or escalation a step sends, in both languages.
fn step_event(state: &AppState, advisory: &AdvisoryRow, task: &TaskRow, step: EscalationStep) -> Result<crate::notify::Event, ApiError> {
    use crate::notify::{EventKind, LocalisedText};
    let kind = if step == EscalationStep::Reminder { EventKind::TaskReminder } else { EventKind::TaskEscalation };
    let mut event = super::advisory_event(state, advisory, kind)?;
    let deadline = to_utc(task.deadline).format("%Y-%m-%d %H:%M UTC");
    let (en, ja) = match step {
        EscalationStep::Reminder => ("Reminder: urgent reassessment due", "リマインダー: 緊急のリスクアセスメントの期限"),
        EscalationStep::EscalatedToMember => ("Escalation: urgent reassessment overdue", "エスカレーション: 緊急のリスクアセスメントが期限切れ"),
        EscalationStep::EscalatedToAnalysts => ("Escalation to analysts: a member has not reassessed", "分析担当へのエスカレーション: 未実施の緊急リスクアセスメント"),
    };
    event.title = LocalisedText {
        en: format!("{en} {deadline}: {}", event.title.get("en")),
        ja: format!("{ja} {deadline}: {}", event.title.get("ja")),
    };
    event.dedupe_key = format!("reassessment:{}:{}", task.id, step.as_str());
    event.deadline = Some(to_utc(task.deadline));
    Ok(event)
}

fn secs(v: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(v).unwrap_or(i64::MAX / 4))
}

/// The scheduled job: remind and escalate open tasks. The lead registers it
/// with the job runner (one runner per job across servers).
pub fn reassessment_sweep(state: &AppState) -> Result<(), ApiError> {
    reassessment_sweep_at(state, Utc::now()).map(|_| ())
}

/// One sweep as of `at`: for every task not yet reassessed, the steps that
/// are due and not yet taken, in order — a reminder to the member's contacts
/// once `reminder_after_secs` passed since the request; escalation to the
/// member's other operators `escalate_member_after_deadline_secs` after the
/// deadline; to the analysts `escalate_analysts_after_deadline_secs` after
/// it. Each step is recorded once (audited) and returned.
pub fn reassessment_sweep_at(state: &AppState, at: DateTime<Utc>) -> Result<Vec<adv::StepRecord>, ApiError> {
    let config = &state.settings.advisories;
    let reminder_before = (at - secs(config.reminder_after_secs)).naive_utc();
    let member_before = (at - secs(config.escalate_member_after_deadline_secs)).naive_utc();
    let candidates: Vec<TaskRow> = state.db.read(|conn| {
        Ok(reassessment_tasks::table
            .filter(reassessment_tasks::state.eq_any([TaskState::Requested.as_str(), TaskState::Acknowledged.as_str()]))
            .filter(
                reassessment_tasks::requested_at
                    .le(reminder_before)
                    .or(reassessment_tasks::deadline.le(member_before)),
            )
            .select(TaskRow::as_select())
            .order(reassessment_tasks::deadline.asc())
            .load(conn)?)
    })?;
    let actor = Actor::system("reassessment-sweep");
    let mut taken = Vec::new();
    for task in candidates {
        let deadline = to_utc(task.deadline);
        let due: Vec<EscalationStep> = [
            (EscalationStep::Reminder, to_utc(task.requested_at) + secs(config.reminder_after_secs)),
            (EscalationStep::EscalatedToMember, deadline + secs(config.escalate_member_after_deadline_secs)),
            (
                EscalationStep::EscalatedToAnalysts,
                deadline + secs(config.escalate_analysts_after_deadline_secs),
            ),
        ]
        .into_iter()
        .filter(|(_, when)| *when <= at)
        .map(|(s, _)| s)
        .collect();
        if due.is_empty() {
            continue;
        }
        let result = state.db.write(|conn| {
            // Re-read inside the write transaction: the member may have just reassessed.
            let current: Option<TaskRow> = reassessment_tasks::table.find(&task.id).select(TaskRow::as_select()).first(conn).optional()?;
            let Some(current) = current.filter(|t| t.state().is_open()) else {
                return Ok(Vec::new());
            };
            let done: BTreeSet<String> = reassessment_steps::table
                .filter(reassessment_steps::task_id.eq(&current.id))
                .select(reassessment_steps::step)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            let advisory = advisory_row(conn, &current.advisory_id)?;
            let access = advisory.access();
            let mut records = Vec::new();
            for step in due.iter().filter(|s| !done.contains(s.as_str())) {
                let recipients = step_recipients(conn, &current, &access, *step)?;
                let stamp = now();
                diesel::insert_into(reassessment_steps::table)
                    .values((
                        reassessment_steps::task_id.eq(&current.id),
                        reassessment_steps::step.eq(step.as_str()),
                        reassessment_steps::recipients.eq(json(&recipients)?),
                        reassessment_steps::at.eq(stamp),
                    ))
                    .execute(conn)?;
                audit::append(
                    conn,
                    &actor,
                    Entry {
                        action: "reassessment.step",
                        target: format!("reassessment:{}", current.id),
                        detail: serde_json::json!({ "step": step, "recipients": recipients.len(), "organisation": current.organisation_id }),
                    },
                )?;
                let recipient_ids: Vec<Uuid> = recipients.iter().map(|r| parse_uuid(r)).collect();
                let event = step_event(state, &advisory, &current, *step)?;
                crate::notify::enqueue(conn, &event, &access, &recipient_ids)?;
                records.push(adv::StepRecord {
                    task_id: parse_uuid(&current.id),
                    organisation_id: parse_uuid(&current.organisation_id),
                    step: *step,
                    recipients: recipients.iter().map(|r| parse_uuid(r)).collect(),
                    at: to_utc(stamp),
                });
            }
            Ok(records)
        });
        match result {
            Ok(records) => taken.extend(records),
            // Another server took the step first (the unique key refused ours); the next sweep sees it done.
            Err(e) if e.code == isacx_schemas::error::ErrorCode::Conflict => {
                tracing::info!(task = %task.id, "step already taken elsewhere")
            }
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}

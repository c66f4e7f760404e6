//! Advisories (情報提供): analysts write them from published reports and
//! indicators or from scratch, and publish them into the shared store as a
//! STIX `report` carrying our advisory extension, so TAXII readers get them
//! through the same policy as everything else. Publishing, amending (a new
//! STIX version) and withdrawing (a revoked version) are audited events; each
//! runs [`matching`] and, for urgent advisories, opens [`tasks`] for the
//! concerned members in the same transaction.

pub mod import;
pub mod matching;
pub mod stix;
pub mod tasks;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use isacx_schemas::advisory::{self as adv, AdvisoryDraft, AdvisoryState, MemberMatch, Urgency};
use isacx_schemas::api::Role;
use isacx_schemas::error::FieldError;
use isacx_schemas::report::Report;
use isacx_schemas::taxonomy::Taxonomy;
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::db::models::parse_uuid;
use crate::db::schema::{advisories, reports, stix_objects};
use crate::db::{now, to_utc, DbConnection};
use crate::error::ApiError;
use crate::notify;
use crate::policy::{self, Access, Audience, Viewer, ALL_SECTORS};

pub use tasks::{reassessment_sweep, reassessment_sweep_at};

pub fn taxonomy() -> Result<&'static Taxonomy, ApiError> {
    Taxonomy::builtin_shared().map_err(ApiError::internal)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = advisories)]
pub struct AdvisoryRow {
    pub id: String,
    pub stix_id: String,
    pub state: String,
    pub version: i32,
    pub urgency: String,
    pub tlp: String,
    pub content: String,
    pub stix_modified: Option<String>,
    pub created_by: String,
    pub withdrawn_reason: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub published_at: Option<chrono::NaiveDateTime>,
    /// Server id of the peer server an imported advisory was published on; None for ours.
    pub origin: Option<String>,
}

impl AdvisoryRow {
    pub fn state(&self) -> AdvisoryState {
        self.state.parse().unwrap_or(AdvisoryState::Draft)
    }

    pub fn urgency(&self) -> Urgency {
        self.urgency.parse().unwrap_or(Urgency::Info)
    }

    pub fn tlp(&self) -> Tlp {
        self.tlp.parse().unwrap_or(Tlp::Red)
    }

    pub fn content(&self) -> AdvisoryDraft {
        serde_json::from_str(&self.content).unwrap_or_default()
    }

    /// The advisory as the policy sees it: a draft is for analysts only.
    pub fn access(&self) -> Access {
        access_of(&self.content(), self.tlp(), self.state() != AdvisoryState::Draft)
    }

    pub fn to_api(&self) -> adv::Advisory {
        adv::Advisory {
            id: parse_uuid(&self.id),
            stix_id: self.stix_id.clone(),
            state: self.state(),
            version: self.version.max(0) as u32,
            urgency: self.urgency(),
            tlp: self.tlp.clone(),
            content: self.content(),
            reassessment_requested: self.urgency() == Urgency::Urgent,
            created_at: to_utc(self.created_at),
            updated_at: to_utc(self.updated_at),
            published_at: self.published_at.map(to_utc),
            withdrawn_reason: self.withdrawn_reason.clone(),
            origin: self.origin.clone(),
        }
    }

    /// What a member sees: without the raw reports it was made from (the link
    /// to a raw report never leaves the curators) or the other RED recipients.
    pub fn member_view(&self) -> adv::Advisory {
        let mut api = self.to_api();
        api.content.reports.clear();
        api.content.recipients.clear();
        api
    }

    /// The view `principal` is entitled to.
    pub fn view_for(&self, principal: &Principal) -> adv::Advisory {
        if is_curator(principal) {
            self.to_api()
        } else {
            self.member_view()
        }
    }
}

pub fn access_of(content: &AdvisoryDraft, tlp: Tlp, published: bool) -> Access {
    let mut access = Access::published(tlp);
    if !content.scope_sectors.is_empty() {
        access.sectors = content.scope_sectors.iter().cloned().collect();
    } else {
        access.sectors = BTreeSet::from([ALL_SECTORS.to_owned()]);
    }
    let audiences: BTreeSet<Audience> = content
        .audiences
        .iter()
        .filter_map(|a| serde_json::from_value(serde_json::json!(a)).ok())
        .collect();
    if !audiences.is_empty() {
        access.audiences = audiences;
    }
    access.recipients = content.recipients.iter().copied().collect();
    access.published = published;
    access
}

fn push(errors: &mut Vec<FieldError>, field: impl Into<String>, message: impl Into<String>) {
    errors.push(FieldError {
        field: field.into(),
        message: message.into(),
    });
}

/// A draft checked field by field against the taxonomy and the store.
struct Checked {
    draft: AdvisoryDraft,
    urgency: Urgency,
    tlp: Tlp,
}

fn check_draft(state: &AppState, conn: &mut DbConnection, mut draft: AdvisoryDraft) -> Result<Checked, ApiError> {
    let taxonomy = taxonomy()?;
    let mut errors = Vec::new();
    for (field, text) in [
        ("title.en", &draft.title.en),
        ("title.ja", &draft.title.ja),
        ("summary.en", &draft.summary.en),
        ("summary.ja", &draft.summary.ja),
    ] {
        if text.trim().is_empty() {
            push(&mut errors, field, "must not be empty: advisories are written in English and Japanese");
        }
    }
    let urgency = draft.urgency.unwrap_or(Urgency::Info);
    draft.urgency = Some(urgency);
    let mut tlp = match &draft.tlp {
        Some(t) => match t.parse::<Tlp>() {
            Ok(t) => Some(t),
            Err(_) => {
                push(&mut errors, "tlp", format!("`{t}` is not a TLP (clear, green, amber, amber+strict, red)"));
                None
            }
        },
        None => None,
    };
    for (list, name) in [(&draft.scope_sectors, "scope_sectors"), (&draft.affected_sectors, "affected_sectors")] {
        for (i, s) in list.iter().enumerate() {
            if !state.sector_ids.iter().any(|k| k == s) {
                push(
                    &mut errors,
                    format!("{name}[{i}]"),
                    format!("unknown sector `{s}`; known: {}", state.sector_ids.join(", ")),
                );
            }
        }
    }
    for (i, a) in draft.audiences.iter().enumerate() {
        if serde_json::from_value::<Audience>(serde_json::json!(a)).is_err() {
            push(&mut errors, format!("audiences[{i}]"), format!("`{a}` is not members, analysts or liaisons"));
        }
    }
    for (i, e) in draft.threat_events.iter().enumerate() {
        if taxonomy.threat_event(e).is_none() {
            push(
                &mut errors,
                format!("threat_events[{i}]"),
                format!("unknown threat event `{e}`; see config/taxonomy/threat_events.toml"),
            );
        }
    }
    for (i, s) in draft.risk_sources.iter().enumerate() {
        if taxonomy.risk_source(s).is_none() {
            push(
                &mut errors,
                format!("risk_sources[{i}]"),
                format!("unknown risk source `{s}`; see config/taxonomy/risk_sources.toml"),
            );
        }
    }
    for (i, p) in draft.products.iter().enumerate() {
        if let Err(e) = adv::Product::parse(p) {
            push(&mut errors, format!("products[{i}]"), e.to_string());
        }
    }
    for (i, a) in draft.recommended_actions.iter().enumerate() {
        if a.en.trim().is_empty() || a.ja.trim().is_empty() {
            push(
                &mut errors,
                format!("recommended_actions[{i}]"),
                "give each action in English (en) and Japanese (ja)",
            );
        }
    }
    if let Some(deadline) = draft.reassessment_deadline {
        if urgency != Urgency::Urgent {
            push(&mut errors, "reassessment_deadline", "only urgent advisories request a reassessment");
        } else if deadline <= Utc::now() {
            push(&mut errors, "reassessment_deadline", "must be in the future");
        }
    }
    // Made from published reports: never below their TLP; their threat
    // events, risk sources and sectors fill what the analyst left empty.
    let mut floor = Tlp::Clear;
    let (mut events, mut sources, mut sectors) = (Vec::new(), Vec::new(), Vec::new());
    for (i, id) in draft.reports.iter().enumerate() {
        let row: Option<(String, Option<String>, String)> = reports::table
            .find(id.to_string())
            .select((reports::state, reports::published_tlp, reports::sanitised))
            .first(conn)
            .optional()?;
        match row {
            Some((s, Some(published_tlp), sanitised)) if s == "published" => {
                floor = floor.max(published_tlp.parse().unwrap_or(Tlp::Red));
                if let Ok(report) = serde_json::from_str::<Report>(&sanitised) {
                    events.extend(report.threat_event);
                    sources.extend(report.risk_sources);
                    if state.sector_ids.contains(&report.sector) {
                        sectors.push(report.sector);
                    }
                }
            }
            _ => push(&mut errors, format!("reports[{i}]"), format!("no published report {id}")),
        }
    }
    for (i, id) in draft.indicators.iter().enumerate() {
        let tlp_of: Option<String> = stix_objects::table
            .filter(stix_objects::object_id.eq(id))
            .filter(stix_objects::is_latest.eq(true))
            .filter(stix_objects::published.eq(true))
            .select(stix_objects::tlp)
            .first(conn)
            .optional()?;
        match tlp_of {
            Some(t) if id.starts_with("indicator--") => floor = floor.max(t.parse().unwrap_or(Tlp::Red)),
            _ => push(
                &mut errors,
                format!("indicators[{i}]"),
                format!("no published indicator {id} in the shared store"),
            ),
        }
    }
    let chosen = tlp.unwrap_or_else(|| floor.max(state.settings.sharing.default_tlp()));
    if chosen < floor {
        push(
            &mut errors,
            "tlp",
            format!(
                "the reports and indicators it is made from are marked {}; the exchange never lowers a TLP",
                floor.marking_name()
            ),
        );
    }
    tlp = Some(chosen);
    if chosen == Tlp::Red && draft.recipients.is_empty() {
        push(&mut errors, "recipients", "a RED advisory names the organisations it is for");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let fill = |target: &mut Vec<String>, from: Vec<String>| {
        if target.is_empty() {
            for v in from {
                if !target.contains(&v) {
                    target.push(v);
                }
            }
        }
    };
    fill(&mut draft.threat_events, events);
    fill(&mut draft.risk_sources, sources);
    fill(&mut draft.affected_sectors, sectors);
    let tlp = tlp.unwrap_or(Tlp::Red);
    draft.tlp = Some(tlp.as_str().to_owned());
    draft.products = draft.products.iter().map(|p| p.trim().to_owned()).collect();
    Ok(Checked { draft, urgency, tlp })
}

fn load(conn: &mut DbConnection, id: Uuid) -> Result<Option<AdvisoryRow>, ApiError> {
    Ok(advisories::table.find(id.to_string()).select(AdvisoryRow::as_select()).first(conn).optional()?)
}

fn load_by_stix_id(conn: &mut DbConnection, stix_id: &str) -> Result<Option<AdvisoryRow>, ApiError> {
    Ok(advisories::table.filter(advisories::stix_id.eq(stix_id)).select(AdvisoryRow::as_select()).first(conn).optional()?)
}

/// An advisory the principal may read, or 404 (drafts are for analysts).
pub fn visible(conn: &mut DbConnection, viewer: &Viewer, id: Uuid) -> Result<AdvisoryRow, ApiError> {
    let row = load(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no advisory {id}")))?;
    if !policy::may_read(viewer, &row.access()) {
        return Err(ApiError::not_found(format!("no advisory {id}")));
    }
    Ok(row)
}

fn content_json(draft: &AdvisoryDraft) -> Result<String, ApiError> {
    serde_json::to_string(draft).map_err(ApiError::internal)
}

pub fn create(state: &AppState, principal: &Principal, draft: AdvisoryDraft) -> Result<adv::Advisory, ApiError> {
    state.db.write(|conn| {
        let checked = check_draft(state, conn, draft)?;
        let id = Uuid::new_v4();
        let at = now();
        diesel::insert_into(advisories::table)
            .values((
                advisories::id.eq(id.to_string()),
                advisories::stix_id.eq(format!("report--{}", Uuid::new_v4())),
                advisories::state.eq(AdvisoryState::Draft.as_str()),
                advisories::version.eq(0),
                advisories::urgency.eq(checked.urgency.as_str()),
                advisories::tlp.eq(checked.tlp.as_str()),
                advisories::content.eq(content_json(&checked.draft)?),
                advisories::created_by.eq(principal.user_id.to_string()),
                advisories::created_at.eq(at),
                advisories::updated_at.eq(at),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "advisory.create",
                target: format!("advisory:{id}"),
                detail: serde_json::json!({ "urgency": checked.urgency, "tlp": checked.tlp.as_str() }),
            },
        )?;
        Ok(load(conn, id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?.to_api())
    })
}

pub fn update_draft(state: &AppState, principal: &Principal, id: Uuid, draft: AdvisoryDraft) -> Result<adv::Advisory, ApiError> {
    state.db.write(|conn| {
        let row = visible(conn, &Viewer::from_principal(principal), id)?;
        if row.state() != AdvisoryState::Draft {
            return Err(ApiError::conflict(format!(
                "the advisory is {}; amend it with POST /api/v1/advisories/{id}/amend",
                row.state().as_str()
            )));
        }
        let checked = check_draft(state, conn, draft)?;
        diesel::update(advisories::table.find(&row.id))
            .set((
                advisories::urgency.eq(checked.urgency.as_str()),
                advisories::tlp.eq(checked.tlp.as_str()),
                advisories::content.eq(content_json(&checked.draft)?),
                advisories::updated_at.eq(now()),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "advisory.edit",
                target: format!("advisory:{id}"),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(load(conn, id)?.unwrap_or(row).to_api())
    })
}

/// Which advisories a principal may read: analysts every one, members the
/// published ones the policy lets them read.
pub fn list(state: &AppState, principal: &Principal, wanted: Option<AdvisoryState>) -> Result<Vec<adv::Advisory>, ApiError> {
    let viewer = Viewer::from_principal(principal);
    state.db.read(|conn| {
        let mut query = advisories::table
            .select(AdvisoryRow::as_select())
            .order(advisories::updated_at.desc())
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(s) = wanted {
            query = query.filter(advisories::state.eq(s.as_str()));
        }
        let rows: Vec<AdvisoryRow> = query.load(conn)?;
        Ok(rows
            .iter()
            .filter(|r| policy::may_read(&viewer, &r.access()))
            .map(|r| r.view_for(principal))
            .collect())
    })
}

pub fn get(state: &AppState, principal: &Principal, id: Uuid) -> Result<adv::Advisory, ApiError> {
    state.db.read(|conn| Ok(visible(conn, &Viewer::from_principal(principal), id)?.view_for(principal)))
}

/// The concerned members as matching sees them now (analysts).
pub fn matches(state: &AppState, principal: &Principal, id: Uuid) -> Result<Vec<MemberMatch>, ApiError> {
    state.db.read(|conn| {
        let row = visible(conn, &Viewer::from_principal(principal), id)?;
        let mut access = row.access();
        // A draft is matched as if published, so the analyst sees who it would reach.
        access.published = true;
        matching::concerned(conn, &row.content(), &access)
    })
}

/// Tell the concerned members' users, inside the publishing transaction, so
/// the change and its notifications commit together. Every recipient passed
/// `policy::may_read` in matching, and `notify::enqueue` checks again.
fn notify_concerned(
    state: &AppState,
    conn: &mut DbConnection,
    advisory: &AdvisoryRow,
    kind: notify::EventKind,
    matches: &[MemberMatch],
) -> Result<usize, ApiError> {
    let access = advisory.access();
    let recipients = tasks::recipients(conn, &access, matches)?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let event = advisory_event(state, advisory, kind)?;
    notify::enqueue(conn, &event, &access, &recipients)
}

/// The notification an advisory event becomes; the payload is the member view.
pub fn advisory_event(state: &AppState, advisory: &AdvisoryRow, kind: notify::EventKind) -> Result<notify::Event, ApiError> {
    let content = advisory.content();
    let mut sectors: BTreeSet<String> = content.affected_sectors.iter().chain(&content.scope_sectors).cloned().collect();
    if sectors.is_empty() {
        sectors.insert(ALL_SECTORS.to_owned());
    }
    let stage = match kind {
        notify::EventKind::AdvisoryPublished => "published",
        notify::EventKind::AdvisoryAmended => "amended",
        notify::EventKind::AdvisoryWithdrawn => "withdrawn",
        notify::EventKind::TaskReminder => "reminder",
        notify::EventKind::TaskEscalation => "escalation",
        notify::EventKind::FollowupQuestion | notify::EventKind::FollowupAnswer => "followup",
        notify::EventKind::DigestIssued => "digest",
    };
    let urgent = advisory.urgency() == Urgency::Urgent;
    Ok(notify::Event {
        kind,
        dedupe_key: format!("advisory:{}:{}:{stage}", advisory.stix_id, advisory.stix_modified.as_deref().unwrap_or("draft")),
        object_id: advisory.stix_id.clone(),
        urgency: advisory.urgency(),
        sectors: sectors.into_iter().collect(),
        products: content.products.clone(),
        tags: content.threat_events.iter().chain(&content.risk_sources).cloned().collect(),
        title: content.title.clone(),
        summary: content.summary.clone(),
        deadline: urgent.then(|| tasks::deadline_of(state, advisory)),
        payload: serde_json::to_value(advisory.member_view()).map_err(ApiError::internal)?,
    })
}

fn next_modified(previous: Option<&str>) -> DateTime<Utc> {
    let mut at = Utc::now();
    if let Some(prev) = previous.and_then(|p| DateTime::parse_from_rfc3339(p).ok()) {
        let floor = prev.with_timezone(&Utc) + chrono::Duration::milliseconds(1);
        if at < floor {
            at = floor;
        }
    }
    at
}

/// Put a version into the shared store; returns its `modified`.
fn store_version(
    state: &AppState,
    conn: &mut DbConnection,
    row: &AdvisoryRow,
    draft: &AdvisoryDraft,
    tlp: Tlp,
    withdrawn: Option<&str>,
    first_published: DateTime<Utc>,
) -> Result<String, ApiError> {
    let modified = next_modified(row.stix_modified.as_deref());
    let identity = crate::intake::sharing_body_identity(state);
    let refs = stix::object_refs(conn, draft, identity.common.id.as_ref())?;
    let access = access_of(draft, tlp, true);
    let items = stix::versions(state, row, draft, &access, tlp, refs, first_published, modified, withdrawn, identity)?;
    let outcomes = crate::store::ingest(conn, items)?;
    if let Some(rejected) = outcomes.iter().find_map(|o| match o {
        crate::store::Outcome::Rejected(m) => Some(m.clone()),
        _ => None,
    }) {
        return Err(ApiError::conflict(rejected));
    }
    Ok(stix::timestamp(modified))
}

/// Publish a draft: into the shared store, matched, and — when urgent — a
/// reassessment task per concerned member, all in one transaction.
pub fn publish(state: &AppState, actor: &Actor, viewer: &Viewer, id: Uuid) -> Result<adv::Advisory, ApiError> {
    state.db.write(|conn| {
        let row = visible(conn, viewer, id)?;
        if row.state() != AdvisoryState::Draft {
            return Err(ApiError::conflict(format!("the advisory is already {}", row.state().as_str())));
        }
        let draft = row.content();
        let at = Utc::now();
        let modified = store_version(state, conn, &row, &draft, row.tlp(), None, at)?;
        diesel::update(advisories::table.find(&row.id))
            .set((
                advisories::state.eq(AdvisoryState::Published.as_str()),
                advisories::version.eq(1),
                advisories::stix_modified.eq(&modified),
                advisories::published_at.eq(Some(at.naive_utc())),
                advisories::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let row = load(conn, id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
        let concerned = matching::concerned(conn, &draft, &row.access())?;
        let opened = if row.urgency() == Urgency::Urgent { tasks::open_for(state, conn, &row, &concerned)? } else { 0 };
        audit::append(
            conn,
            actor,
            Entry {
                action: "advisory.publish",
                target: format!("advisory:{id}"),
                detail: serde_json::json!({ "stix_id": row.stix_id, "modified": modified, "tlp": row.tlp, "urgency": row.urgency, "concerned": concerned.len(), "tasks": opened }),
            },
        )?;
        notify_concerned(state, conn, &row, notify::EventKind::AdvisoryPublished, &concerned)?;
        Ok(row.to_api())
    })
}

/// Amend a published advisory: a new STIX version, matched again; tasks open
/// for members newly concerned, and open tasks follow the new flags.
pub fn amend(state: &AppState, principal: &Principal, id: Uuid, draft: AdvisoryDraft) -> Result<adv::Advisory, ApiError> {
    state.db.write(|conn| {
        let row = visible(conn, &Viewer::from_principal(principal), id)?;
        only_ours(&row, "amended")?;
        if row.state() != AdvisoryState::Published {
            return Err(ApiError::conflict(format!("only a published advisory is amended; this one is {}", row.state().as_str())));
        }
        let checked = check_draft(state, conn, draft)?;
        if checked.tlp < row.tlp() {
            return Err(ApiError::field("tlp", format!("it was published as {}; the exchange never lowers a TLP", row.tlp().marking_name())));
        }
        let first = row.published_at.map(to_utc).unwrap_or_else(Utc::now);
        let modified = store_version(state, conn, &row, &checked.draft, checked.tlp, None, first)?;
        diesel::update(advisories::table.find(&row.id))
            .set((
                advisories::version.eq(row.version + 1),
                advisories::urgency.eq(checked.urgency.as_str()),
                advisories::tlp.eq(checked.tlp.as_str()),
                advisories::content.eq(content_json(&checked.draft)?),
                advisories::stix_modified.eq(&modified),
                advisories::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let row = load(conn, id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
        let concerned = matching::concerned(conn, &checked.draft, &row.access())?;
        let changed = if row.urgency() == Urgency::Urgent { tasks::open_for(state, conn, &row, &concerned)? } else { 0 };
        let cancelled = tasks::cancel_unconcerned(conn, &row, &concerned)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "advisory.amend",
                target: format!("advisory:{id}"),
                detail: serde_json::json!({ "version": row.version, "modified": modified, "concerned": concerned.len(), "tasks": changed, "cancelled": cancelled }),
            },
        )?;
        notify_concerned(state, conn, &row, notify::EventKind::AdvisoryAmended, &concerned)?;
        Ok(row.to_api())
    })
}

/// Withdraw: a revoked STIX version; open tasks are cancelled.
pub fn withdraw(state: &AppState, principal: &Principal, id: Uuid, reason: &str) -> Result<adv::Advisory, ApiError> {
    if reason.trim().is_empty() {
        return Err(ApiError::field("reason", "members need to know why it is withdrawn"));
    }
    state.db.write(|conn| {
        let row = visible(conn, &Viewer::from_principal(principal), id)?;
        only_ours(&row, "withdrawn")?;
        if row.state() != AdvisoryState::Published {
            return Err(ApiError::conflict(format!(
                "only a published advisory is withdrawn; this one is {}",
                row.state().as_str()
            )));
        }
        let draft = row.content();
        let concerned = matching::concerned(conn, &draft, &row.access())?;
        let first = row.published_at.map(to_utc).unwrap_or_else(Utc::now);
        let modified = store_version(state, conn, &row, &draft, row.tlp(), Some(reason.trim()), first)?;
        diesel::update(advisories::table.find(&row.id))
            .set((
                advisories::state.eq(AdvisoryState::Withdrawn.as_str()),
                advisories::version.eq(row.version + 1),
                advisories::stix_modified.eq(&modified),
                advisories::withdrawn_reason.eq(Some(reason.trim())),
                advisories::updated_at.eq(now()),
            ))
            .execute(conn)?;
        let cancelled = tasks::cancel_all(conn, &row.id)?;
        let row = load(conn, id)?.ok_or_else(|| ApiError::internal("advisory vanished"))?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "advisory.withdraw",
                target: format!("advisory:{id}"),
                detail: serde_json::json!({ "reason": reason.trim(), "modified": modified, "cancelled": cancelled }),
            },
        )?;
        notify_concerned(state, conn, &row, notify::EventKind::AdvisoryWithdrawn, &concerned)?;
        Ok(row.to_api())
    })
}

/// An advisory imported from a peer changes only when its origin sends a
/// new version: a local amendment or withdrawal is a conflict.
fn only_ours(row: &AdvisoryRow, what: &str) -> Result<(), ApiError> {
    match &row.origin {
        Some(origin) => Err(ApiError::conflict(format!(
            "this advisory was imported from the sharing body `{origin}`; it is {what} only by its origin, whose new versions arrive by federation"
        ))),
        None => Ok(()),
    }
}

/// Analysts and admins curate advisories.
pub fn is_curator(principal: &Principal) -> bool {
    matches!(principal.role, Role::Analyst | Role::Admin)
}

//! Auto-publish rules: a trusted member's submissions of one kind go
//! straight to the shared store when the anonymiser found nothing in them.
//!
//! A rule names an organisation, a report kind, the TLP to publish at and
//! the sectors that may see it, and may ask for indicators (indicator-only
//! sharing). It fires at intake, inside the transaction that stores the
//! submission, when every condition holds:
//!
//! * the submission is the organisation's and of the rule's kind;
//! * it carries an indicator, if the rule asks for one;
//! * the anonymiser redacted nothing ([`found_nothing`]): no name, domain,
//!   address, personal data or generalised sector. The follow-up contact
//!   (always removed), an indicator's author (always replaced by the
//!   sharing body) and coarsened times (a server-wide setting) are not
//!   findings and do not stop a rule.
//!
//! Publication then goes through the same path as an analyst's
//! ([`crate::intake`]), audited with the rule as actor, at the rule's TLP
//! or the submitter's if that is higher: the exchange never lowers a TLP.
//! Admins manage rules through `/api/v1/admin/auto-publish-rules` or
//! `isacx-server admin …-auto-publish-rule`.

use diesel::prelude::*;
use isacx_schemas::api;
use isacx_schemas::error::FieldError;
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::anonymise::{Redaction, RuleId};
use crate::audit::{self, Actor, Entry};
use crate::db::models::parse_uuid;
use crate::db::schema::{auto_publish_rules, organisations};
use crate::db::{json_list, now, parse_list, to_utc, Database, DbConnection};
use crate::error::ApiError;
use crate::members::Rules;

const KINDS: &[&str] = &["incident", "precursor", "near_miss"];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = auto_publish_rules)]
pub struct RuleRow {
    pub id: String,
    pub organisation_id: String,
    pub kind: String,
    pub tlp: String,
    pub require_indicators: bool,
    pub sectors: String,
    pub created_at: chrono::NaiveDateTime,
}

impl RuleRow {
    pub fn to_api(&self) -> api::AutoPublishRule {
        api::AutoPublishRule {
            id: parse_uuid(&self.id),
            organisation_id: parse_uuid(&self.organisation_id),
            kind: self.kind.clone(),
            tlp: self.tlp.clone(),
            require_indicators: self.require_indicators,
            sectors: parse_list(&self.sectors),
            created_at: to_utc(self.created_at),
        }
    }

    /// The TLP the rule publishes at (stored validated).
    pub fn tlp(&self) -> Tlp {
        self.tlp.parse().unwrap_or(Tlp::Red)
    }

    /// The audit actor of what the rule does.
    pub fn actor(&self) -> Actor {
        Actor::system(&format!("rule:auto_publish:{}", self.id))
    }
}

/// Whether the anonymiser's list shows nothing found in the submission.
pub fn found_nothing(redactions: &[Redaction]) -> bool {
    redactions.iter().all(|r| {
        matches!(
            r.rule,
            RuleId::ContactRemoved | RuleId::TimeCoarsened | RuleId::AuthorReplaced
        )
    })
}

pub fn create(
    db: &Database,
    rules: &Rules<'_>,
    actor: &Actor,
    new: api::NewAutoPublishRule,
) -> Result<api::AutoPublishRule, ApiError> {
    let mut errors = Vec::new();
    let mut push = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        })
    };
    if !KINDS.contains(&new.kind.as_str()) {
        push(
            "kind",
            format!("`{}` is not a report kind: {}", new.kind, KINDS.join(", ")),
        );
    }
    let tlp = new.tlp.to_ascii_lowercase();
    if tlp.parse::<Tlp>().is_err() {
        push(
            "tlp",
            format!(
                "`{}` is not a TLP: clear, green, amber, amber+strict or red",
                new.tlp
            ),
        );
    }
    for (i, s) in new.sectors.iter().enumerate() {
        if !rules.sector_ids.iter().any(|k| k == s) {
            push(
                &format!("sectors[{i}]"),
                format!(
                    "unknown sector `{s}`; known: {}",
                    rules.sector_ids.join(", ")
                ),
            );
        }
    }
    let row = RuleRow {
        id: Uuid::new_v4().to_string(),
        organisation_id: new.organisation_id.to_string(),
        kind: new.kind.clone(),
        tlp,
        require_indicators: new.require_indicators,
        sectors: json_list(&new.sectors),
        created_at: now(),
    };
    db.write(|conn| {
        let known: i64 = organisations::table.filter(organisations::id.eq(&row.organisation_id)).count().get_result(conn)?;
        if known == 0 {
            errors.push(FieldError { field: "organisation_id".to_owned(), message: format!("no organisation {}", row.organisation_id) });
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(std::mem::take(&mut errors)));
        }
        diesel::insert_into(auto_publish_rules::table).values(&row).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry {
                action: "auto_publish_rule.create",
                target: format!("auto_publish_rule:{}", row.id),
                detail: serde_json::json!({ "organisation_id": row.organisation_id, "kind": row.kind, "tlp": row.tlp, "require_indicators": row.require_indicators, "sectors": new.sectors }),
            },
        )?;
        Ok(row.to_api())
    })
}

pub fn list(db: &Database) -> Result<Vec<api::AutoPublishRule>, ApiError> {
    db.read(|conn| {
        let rows: Vec<RuleRow> = auto_publish_rules::table
            .select(RuleRow::as_select())
            .order(auto_publish_rules::created_at.asc())
            .load(conn)?;
        Ok(rows.iter().map(RuleRow::to_api).collect())
    })
}

pub fn delete(db: &Database, actor: &Actor, id: Uuid) -> Result<api::AutoPublishRule, ApiError> {
    db.write(|conn| {
        let row: RuleRow = auto_publish_rules::table
            .find(id.to_string())
            .select(RuleRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("no auto-publish rule {id}")))?;
        diesel::delete(auto_publish_rules::table.find(&row.id)).execute(conn)?;
        audit::append(
            conn,
            actor,
            Entry {
                action: "auto_publish_rule.delete",
                target: format!("auto_publish_rule:{}", row.id),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(row.to_api())
    })
}

/// The first rule (oldest) that fires for this submission, if any.
pub fn matching(
    conn: &mut DbConnection,
    organisation_id: &str,
    kind: &str,
    has_indicators: bool,
    redactions: &[Redaction],
) -> Result<Option<RuleRow>, ApiError> {
    if !found_nothing(redactions) {
        return Ok(None);
    }
    let rows: Vec<RuleRow> = auto_publish_rules::table
        .filter(auto_publish_rules::organisation_id.eq(organisation_id))
        .filter(auto_publish_rules::kind.eq(kind))
        .select(RuleRow::as_select())
        .order(auto_publish_rules::created_at.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .find(|r| has_indicators || !r.require_indicators))
}

//! The risk register: a member's risk entries in the shape of handbook
//! form 6 (様式６), with every change of residual values kept as history,
//! and CSV import (all or nothing, errors by line and column) and export.

use std::collections::HashMap;

use diesel::prelude::*;
use isacx_schemas::advisory::{self as adv, risk_value, Decision, NewRegisterEntry, DEFAULT_CRITERION};
use isacx_schemas::error::FieldError;
use isacx_schemas::taxonomy::Taxonomy;
use uuid::Uuid;

use super::{own_organisation, parse_product};
use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::db::models::parse_uuid;
use crate::db::schema::{risk_register, risk_register_history};
use crate::db::{now, to_utc, Database, DbConnection};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = risk_register)]
pub struct EntryRow {
    pub id: String,
    pub organisation_id: String,
    pub resource: String,
    pub outcome: String,
    pub threat_event: String,
    pub risk_source: Option<String>,
    pub impact: i32,
    pub likelihood: i32,
    pub residual_impact: i32,
    pub residual_likelihood: i32,
    pub criterion: i32,
    pub measures: String,
    pub owner: String,
    pub technology: Option<String>,
    pub technology_vendor: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

fn score(v: i32) -> u8 {
    v.clamp(0, 25) as u8
}

impl EntryRow {
    pub fn to_api(&self) -> adv::RegisterEntry {
        let residual = risk_value(score(self.residual_impact), score(self.residual_likelihood));
        adv::RegisterEntry {
            id: parse_uuid(&self.id),
            resource: self.resource.clone(),
            outcome: self.outcome.clone(),
            threat_event: self.threat_event.clone(),
            risk_source: self.risk_source.clone(),
            impact: score(self.impact),
            likelihood: score(self.likelihood),
            residual_impact: score(self.residual_impact),
            residual_likelihood: score(self.residual_likelihood),
            inherent_risk: risk_value(score(self.impact), score(self.likelihood)),
            residual_risk: residual,
            criterion: score(self.criterion),
            exceeds_criterion: residual > score(self.criterion),
            measures: self.measures.clone(),
            owner: self.owner.clone(),
            technology: self.technology.clone(),
            updated_at: to_utc(self.updated_at),
        }
    }
}

/// A validated entry, ready to store.
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    pub entry: NewRegisterEntry,
    pub technology_vendor: Option<String>,
}

fn one_to_five(errors: &mut Vec<FieldError>, field: String, v: u8) {
    if !(1..=5).contains(&v) {
        errors.push(FieldError {
            field,
            message: format!("must be 1–5 (got {v})"),
        });
    }
}

/// Check one entry; every problem is named with `field(name)`.
pub fn check(taxonomy: &Taxonomy, entry: NewRegisterEntry, field: &dyn Fn(&str) -> String) -> Result<CheckedEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut entry = entry;
    entry.resource = entry.resource.trim().to_owned();
    entry.outcome = entry.outcome.trim().to_owned();
    entry.threat_event = entry.threat_event.trim().to_owned();
    if entry.resource.is_empty() {
        errors.push(FieldError {
            field: field("resource"),
            message: "must not be empty (経営資源)".to_owned(),
        });
    }
    if entry.outcome.is_empty() {
        errors.push(FieldError {
            field: field("outcome"),
            message: "must not be empty (事象の結果)".to_owned(),
        });
    }
    if taxonomy.threat_event(&entry.threat_event).is_none() {
        errors.push(FieldError {
            field: field("threat_event"),
            message: format!("unknown threat event `{}`; see config/taxonomy/threat_events.toml", entry.threat_event),
        });
    }
    entry.risk_source = entry.risk_source.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(source) = &entry.risk_source {
        if taxonomy.risk_source(source).is_none() {
            errors.push(FieldError {
                field: field("risk_source"),
                message: format!("unknown risk source `{source}`; see config/taxonomy/risk_sources.toml"),
            });
        }
    }
    one_to_five(&mut errors, field("impact"), entry.impact);
    one_to_five(&mut errors, field("likelihood"), entry.likelihood);
    if let Some(v) = entry.residual_impact {
        one_to_five(&mut errors, field("residual_impact"), v);
    }
    if let Some(v) = entry.residual_likelihood {
        one_to_five(&mut errors, field("residual_likelihood"), v);
    }
    if let Some(c) = entry.criterion {
        if !(1..=25).contains(&c) {
            errors.push(FieldError {
                field: field("criterion"),
                message: format!("must be 1–25, a risk value (got {c})"),
            });
        }
    }
    entry.technology = entry.technology.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut technology_vendor = None;
    if let Some(t) = &entry.technology {
        match parse_product(&field("technology"), t) {
            Ok(p) => technology_vendor = p.vendor_key().map(str::to_owned),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(CheckedEntry { entry, technology_vendor })
    } else {
        Err(errors)
    }
}

fn history(conn: &mut DbConnection, row: &EntryRow, cause: &str, decision: Option<Decision>, note: &str) -> Result<(), ApiError> {
    diesel::insert_into(risk_register_history::table)
        .values((
            risk_register_history::id.eq(Uuid::new_v4().to_string()),
            risk_register_history::entry_id.eq(&row.id),
            risk_register_history::organisation_id.eq(&row.organisation_id),
            risk_register_history::at.eq(now()),
            risk_register_history::residual_impact.eq(row.residual_impact),
            risk_register_history::residual_likelihood.eq(row.residual_likelihood),
            risk_register_history::cause.eq(cause),
            risk_register_history::decision.eq(decision.map(|d| d.as_str())),
            risk_register_history::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

fn load(conn: &mut DbConnection, organisation_id: &str, id: &str) -> Result<Option<EntryRow>, ApiError> {
    Ok(risk_register::table
        .find(id)
        .filter(risk_register::organisation_id.eq(organisation_id))
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?)
}

fn insert(conn: &mut DbConnection, organisation_id: &str, checked: &CheckedEntry, cause: &str) -> Result<EntryRow, ApiError> {
    let e = &checked.entry;
    let at = now();
    let id = Uuid::new_v4().to_string();
    diesel::insert_into(risk_register::table)
        .values((
            risk_register::id.eq(&id),
            risk_register::organisation_id.eq(organisation_id),
            risk_register::resource.eq(&e.resource),
            risk_register::outcome.eq(&e.outcome),
            risk_register::threat_event.eq(&e.threat_event),
            risk_register::risk_source.eq(&e.risk_source),
            risk_register::impact.eq(i32::from(e.impact)),
            risk_register::likelihood.eq(i32::from(e.likelihood)),
            risk_register::residual_impact.eq(i32::from(e.residual_impact.unwrap_or(e.impact))),
            risk_register::residual_likelihood.eq(i32::from(e.residual_likelihood.unwrap_or(e.likelihood))),
            risk_register::criterion.eq(i32::from(e.criterion.unwrap_or(DEFAULT_CRITERION))),
            risk_register::measures.eq(e.measures.trim()),
            risk_register::owner.eq(e.owner.trim()),
            risk_register::technology.eq(&e.technology),
            risk_register::technology_vendor.eq(&checked.technology_vendor),
            risk_register::created_at.eq(at),
            risk_register::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row = load(conn, organisation_id, &id)?.ok_or_else(|| ApiError::internal("register entry vanished"))?;
    history(conn, &row, cause, None, "")?;
    Ok(row)
}

fn replace(conn: &mut DbConnection, existing: &EntryRow, checked: &CheckedEntry, cause: &str) -> Result<EntryRow, ApiError> {
    let e = &checked.entry;
    diesel::update(risk_register::table.find(&existing.id))
        .set((
            risk_register::resource.eq(&e.resource),
            risk_register::outcome.eq(&e.outcome),
            risk_register::threat_event.eq(&e.threat_event),
            risk_register::risk_source.eq(&e.risk_source),
            risk_register::impact.eq(i32::from(e.impact)),
            risk_register::likelihood.eq(i32::from(e.likelihood)),
            risk_register::residual_impact.eq(i32::from(e.residual_impact.unwrap_or(e.impact))),
            risk_register::residual_likelihood.eq(i32::from(e.residual_likelihood.unwrap_or(e.likelihood))),
            risk_register::criterion.eq(i32::from(e.criterion.unwrap_or(DEFAULT_CRITERION))),
            risk_register::measures.eq(e.measures.trim()),
            risk_register::owner.eq(e.owner.trim()),
            risk_register::technology.eq(&e.technology),
            risk_register::technology_vendor.eq(&checked.technology_vendor),
            risk_register::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let row = load(conn, &existing.organisation_id, &existing.id)?.ok_or_else(|| ApiError::internal("register entry vanished"))?;
    if (row.residual_impact, row.residual_likelihood) != (existing.residual_impact, existing.residual_likelihood) {
        history(conn, &row, cause, None, "")?;
    }
    Ok(row)
}

/// Set the residual values of an entry after a reassessment, keeping history.
#[allow(clippy::too_many_arguments)]
pub fn reassess(
    conn: &mut DbConnection,
    organisation_id: &str,
    entry_id: &str,
    impact: u8,
    likelihood: u8,
    decision: Decision,
    note: &str,
    task_id: &str,
) -> Result<(), ApiError> {
    let Some(row) = load(conn, organisation_id, entry_id)? else {
        return Err(ApiError::not_found(format!("register entry {entry_id} no longer exists")));
    };
    diesel::update(risk_register::table.find(&row.id))
        .set((
            risk_register::residual_impact.eq(i32::from(impact)),
            risk_register::residual_likelihood.eq(i32::from(likelihood)),
            risk_register::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let updated = EntryRow {
        residual_impact: i32::from(impact),
        residual_likelihood: i32::from(likelihood),
        ..row
    };
    history(conn, &updated, &format!("reassessment:{task_id}"), Some(decision), note)
}

pub fn entries_by_id(conn: &mut DbConnection, organisation_id: &str, ids: &[String]) -> Result<HashMap<String, EntryRow>, ApiError> {
    let rows: Vec<EntryRow> = risk_register::table
        .filter(risk_register::organisation_id.eq(organisation_id))
        .filter(risk_register::id.eq_any(ids))
        .select(EntryRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id.clone(), r)).collect())
}

pub fn list(db: &Database, principal: &Principal) -> Result<Vec<adv::RegisterEntry>, ApiError> {
    let org = own_organisation(principal)?;
    db.read(|conn| {
        let rows: Vec<EntryRow> = risk_register::table
            .filter(risk_register::organisation_id.eq(&org.id))
            .select(EntryRow::as_select())
            .order((risk_register::created_at.asc(), risk_register::id.asc()))
            .load(conn)?;
        Ok(rows.iter().map(EntryRow::to_api).collect())
    })
}

pub fn get(db: &Database, principal: &Principal, id: Uuid) -> Result<adv::RegisterEntry, ApiError> {
    let org = own_organisation(principal)?;
    db.read(|conn| {
        load(conn, &org.id, &id.to_string())?
            .map(|r| r.to_api())
            .ok_or_else(|| ApiError::not_found(format!("no register entry {id}")))
    })
}

type HistoryRow = (String, chrono::NaiveDateTime, i32, i32, String, Option<String>, String);

pub fn entry_history(db: &Database, principal: &Principal, id: Uuid) -> Result<Vec<adv::RegisterHistory>, ApiError> {
    let org = own_organisation(principal)?;
    db.read(|conn| {
        if load(conn, &org.id, &id.to_string())?.is_none() {
            return Err(ApiError::not_found(format!("no register entry {id}")));
        }
        let rows: Vec<HistoryRow> = risk_register_history::table
            .filter(risk_register_history::entry_id.eq(id.to_string()))
            .order(risk_register_history::at.asc())
            .select((
                risk_register_history::entry_id,
                risk_register_history::at,
                risk_register_history::residual_impact,
                risk_register_history::residual_likelihood,
                risk_register_history::cause,
                risk_register_history::decision,
                risk_register_history::note,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(entry_id, at, ri, rl, cause, decision, note)| adv::RegisterHistory {
                entry_id: parse_uuid(&entry_id),
                at: to_utc(at),
                residual_impact: score(ri),
                residual_likelihood: score(rl),
                residual_risk: risk_value(score(ri), score(rl)),
                cause,
                decision: decision.and_then(|d| d.parse().ok()),
                note,
            })
            .collect())
    })
}

pub fn create(db: &Database, principal: &Principal, entry: NewRegisterEntry) -> Result<adv::RegisterEntry, ApiError> {
    let org = own_organisation(principal)?;
    let checked = check(crate::advisories::taxonomy()?, entry, &|f| f.to_owned()).map_err(ApiError::validation)?;
    db.write(|conn| {
        let row = insert(conn, &org.id, &checked, "create")?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "register.create",
                target: format!("register_entry:{}", row.id),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(row.to_api())
    })
}

pub fn update(db: &Database, principal: &Principal, id: Uuid, entry: NewRegisterEntry) -> Result<adv::RegisterEntry, ApiError> {
    let org = own_organisation(principal)?;
    let checked = check(crate::advisories::taxonomy()?, entry, &|f| f.to_owned()).map_err(ApiError::validation)?;
    db.write(|conn| {
        let existing = load(conn, &org.id, &id.to_string())?.ok_or_else(|| ApiError::not_found(format!("no register entry {id}")))?;
        let row = replace(conn, &existing, &checked, "update")?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "register.update",
                target: format!("register_entry:{}", row.id),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(row.to_api())
    })
}

pub fn delete(db: &Database, principal: &Principal, id: Uuid) -> Result<adv::RegisterEntry, ApiError> {
    let org = own_organisation(principal)?;
    db.write(|conn| {
        let existing = load(conn, &org.id, &id.to_string())?.ok_or_else(|| ApiError::not_found(format!("no register entry {id}")))?;
        diesel::delete(risk_register::table.find(&existing.id)).execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "register.delete",
                target: format!("register_entry:{}", existing.id),
                detail: serde_json::json!({}),
            },
        )?;
        Ok(existing.to_api())
    })
}

/// CSV columns, in export order. `inherent_risk` and `residual_risk` are
/// computed: exported for reading, ignored on import.
pub const CSV_COLUMNS: [&str; 15] = [
    "id",
    "resource",
    "outcome",
    "threat_event",
    "risk_source",
    "impact",
    "likelihood",
    "residual_impact",
    "residual_likelihood",
    "inherent_risk",
    "residual_risk",
    "criterion",
    "owner",
    "measures",
    "technology",
];
const REQUIRED_COLUMNS: [&str; 5] = ["resource", "outcome", "threat_event", "impact", "likelihood"];

pub fn export_csv(db: &Database, principal: &Principal) -> Result<String, ApiError> {
    let entries = list(db, principal)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS).map_err(ApiError::internal)?;
    for e in entries {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        out.write_record([
            e.id.to_string(),
            e.resource,
            e.outcome,
            e.threat_event,
            opt(&e.risk_source),
            e.impact.to_string(),
            e.likelihood.to_string(),
            e.residual_impact.to_string(),
            e.residual_likelihood.to_string(),
            e.inherent_risk.to_string(),
            e.residual_risk.to_string(),
            e.criterion.to_string(),
            e.owner,
            e.measures,
            opt(&e.technology),
        ])
        .map_err(ApiError::internal)?;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

fn cell_field(line: u64, column: &str) -> String {
    format!("line {line}, column {column}")
}

/// Parse the whole CSV; every problem is named by line and column.
/// A checked CSV row: its line, its `id` cell if any, the entry.
type CsvRow = (u64, Option<String>, CheckedEntry);

fn parse_csv(taxonomy: &Taxonomy, text: &str) -> Result<Vec<CsvRow>, Vec<FieldError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![FieldError {
                field: "line 1".to_owned(),
                message: format!("unreadable header: {e}"),
            }])
        }
    };
    let mut errors = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        if !CSV_COLUMNS.contains(&name.as_str()) {
            errors.push(FieldError {
                field: cell_field(1, &name),
                message: format!("unknown column; the columns are {}", CSV_COLUMNS.join(", ")),
            });
        } else if index.insert(name.clone(), i).is_some() {
            errors.push(FieldError {
                field: cell_field(1, &name),
                message: "column given twice".to_owned(),
            });
        }
    }
    for required in REQUIRED_COLUMNS {
        if !index.contains_key(required) {
            errors.push(FieldError {
                field: cell_field(1, required),
                message: "required column missing".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(FieldError {
                    field: format!("line {line}"),
                    message: format!("not a CSV row of {} cells: {e}", headers.len()),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |name: &str| index.get(name).and_then(|i| record.get(*i)).map(str::to_owned).unwrap_or_default();
        let mut row_errors = Vec::new();
        let mut number = |name: &str, required: bool| -> Option<u8> {
            let text = get(name);
            if text.is_empty() {
                if required {
                    row_errors.push(FieldError {
                        field: cell_field(line, name),
                        message: "must not be empty".to_owned(),
                    });
                }
                return None;
            }
            match text.parse::<u8>() {
                Ok(v) => Some(v),
                Err(_) => {
                    row_errors.push(FieldError {
                        field: cell_field(line, name),
                        message: format!("`{text}` is not a whole number"),
                    });
                    None
                }
            }
        };
        let impact = number("impact", true);
        let likelihood = number("likelihood", true);
        let residual_impact = number("residual_impact", false);
        let residual_likelihood = number("residual_likelihood", false);
        let criterion = number("criterion", false);
        let id = Some(get("id")).filter(|s| !s.is_empty());
        if let Some(id) = &id {
            if Uuid::parse_str(id).is_err() {
                row_errors.push(FieldError {
                    field: cell_field(line, "id"),
                    message: format!("`{id}` is not an entry id (a UUID); leave it empty for a new entry"),
                });
            }
        }
        let optional = |name: &str| Some(get(name)).filter(|s| !s.is_empty());
        let entry = NewRegisterEntry {
            resource: get("resource"),
            outcome: get("outcome"),
            threat_event: get("threat_event"),
            risk_source: optional("risk_source"),
            // A number already reported as bad stands in as 1 so the rest is still checked.
            impact: impact.unwrap_or(1),
            likelihood: likelihood.unwrap_or(1),
            residual_impact,
            residual_likelihood,
            measures: get("measures"),
            criterion,
            owner: get("owner"),
            technology: optional("technology"),
        };
        match check(taxonomy, entry, &|f| cell_field(line, f)) {
            Ok(checked) if row_errors.is_empty() => out.push((line, id, checked)),
            Ok(_) => errors.extend(row_errors),
            Err(more) => {
                // Bad numbers stood in as 1 above, so no cell is named twice.
                errors.extend(row_errors);
                errors.extend(more);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Import a CSV register: rows with an `id` update that entry, rows
/// without create one. All rows are checked first; one bad cell and
/// nothing is stored.
pub fn import_csv(db: &Database, principal: &Principal, text: &str) -> Result<adv::ImportSummary, ApiError> {
    let org = own_organisation(principal)?;
    let rows = parse_csv(crate::advisories::taxonomy()?, text).map_err(ApiError::validation)?;
    db.write(|conn| {
        let mut summary = adv::ImportSummary { created: 0, updated: 0 };
        let mut missing = Vec::new();
        for (line, id, checked) in &rows {
            match id {
                Some(id) => match load(conn, &org.id, id)? {
                    Some(existing) => {
                        replace(conn, &existing, checked, "import")?;
                        summary.updated += 1;
                    }
                    None => missing.push(FieldError {
                        field: cell_field(*line, "id"),
                        message: format!("no entry {id} in your register; leave id empty for a new entry"),
                    }),
                },
                None => {
                    insert(conn, &org.id, checked, "import")?;
                    summary.created += 1;
                }
            }
        }
        if !missing.is_empty() {
            // Rolls back every row written above.
            return Err(ApiError::validation(missing));
        }
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "register.import",
                target: format!("organisation:{}", org.id),
                detail: serde_json::json!({ "created": summary.created, "updated": summary.updated }),
            },
        )?;
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> &'static Taxonomy {
        Taxonomy::builtin_shared().unwrap()
    }

    #[test]
    fn csv_errors_name_line_and_column() {
        let text = "resource,outcome,threat_event,risk_source,impact,likelihood\n\
                    契約DB,契約情報の流出,targeted_attack,,3,2\n\
                    ,x,no_such_event,,7,two\n";
        let errors = parse_csv(taxonomy(), text).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"line 3, column resource"), "{errors:?}");
        assert!(fields.contains(&"line 3, column threat_event"), "{errors:?}");
        assert!(fields.contains(&"line 3, column impact"), "{errors:?}");
        assert!(fields.contains(&"line 3, column likelihood"), "{errors:?}");
        assert!(!fields.iter().any(|f| f.starts_with("line 2")), "line 2 is fine: {errors:?}");
    }

    #[test]
    fn csv_header_problems() {
        let errors = parse_csv(taxonomy(), "resource,outcome,colour\n").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"line 1, column colour"));
        assert!(fields.contains(&"line 1, column threat_event"));
    }
}

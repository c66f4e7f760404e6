//! Which members an advisory concerns, and which of their register entries
//! to reassess and why.
//!
//! A member is concerned when the policy lets it read the advisory
//! ([`policy::may_read`], the one check — matching never widens or narrows
//! it) and at least one criterion holds: it is in an affected sector; a
//! technology it uses overlaps an affected product (CPE 2.3 with wildcards,
//! or vendor:product); or a register entry names a threat event on the same
//! branch of the taxonomy tree as one of the advisory's (the same node, an
//! ancestor or a descendant), a risk source the advisory names, or a
//! technology that overlaps an affected product. Those entries are the ones
//! to reassess.
//!
//! Candidates are narrowed in SQL (threat-event and risk-source ids, product
//! vendors) so 10,000 members × 50 entries stay well within a publication's
//! time budget; the exact rules run in Rust.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use isacx_schemas::advisory::{AdvisoryDraft, FlaggedEntry, MatchReason, MemberMatch, Product};
use isacx_schemas::api::Role;
use isacx_schemas::taxonomy::Taxonomy;
use uuid::Uuid;

use crate::db::models::parse_uuid;
use crate::db::schema::{member_technologies, organisations, risk_register};
use crate::db::{parse_list, DbConnection, MultiBackend};
use crate::error::ApiError;
use crate::policy::{self, Access, Viewer};

/// How the policy sees a member organisation's operators.
pub fn member_viewer(organisation_id: &str, sectors: &[String]) -> Viewer {
    Viewer::User {
        role: Role::Operator,
        organisation: Uuid::parse_str(organisation_id).ok(),
        sectors: sectors.iter().cloned().collect(),
    }
}

/// Every node on the same branch as `id`: itself, its ancestors, its descendants.
fn branch(taxonomy: &Taxonomy, id: &str) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = taxonomy.threat_event_path(id).iter().map(|t| t.id.clone()).collect();
    let mut stack = vec![id.to_owned()];
    while let Some(next) = stack.pop() {
        for child in taxonomy.threat_event_children(Some(next.as_str())) {
            if out.insert(child.id.clone()) {
                stack.push(child.id.clone());
            }
        }
    }
    out
}

struct Products {
    parsed: Vec<(String, Product)>,
    /// Vendors to narrow by; `None` when some product's vendor is ANY or a pattern.
    vendors: Option<Vec<String>>,
}

impl Products {
    fn of(draft: &AdvisoryDraft) -> Products {
        let parsed: Vec<(String, Product)> = draft.products.iter().filter_map(|p| Product::parse(p).ok().map(|q| (p.clone(), q))).collect();
        let vendors = parsed.iter().map(|(_, p)| p.vendor_key().map(str::to_owned)).collect::<Option<Vec<String>>>();
        Products { parsed, vendors }
    }

    fn reasons(&self, technology: &str) -> Vec<MatchReason> {
        let Ok(installed) = Product::parse(technology) else {
            return Vec::new();
        };
        self.parsed
            .iter()
            .filter(|(_, p)| p.overlaps(&installed))
            .map(|(text, _)| MatchReason::Product {
                advisory_product: text.clone(),
                technology: technology.to_owned(),
            })
            .collect()
    }
}

/// Member-level reasons, and reasons per flagged entry id.
type Found = (BTreeSet<MatchReason>, BTreeMap<String, BTreeSet<MatchReason>>);

type EntryCandidate = (String, String, String, Option<String>, Option<String>);

/// The concerned members, in organisation-id order, with their flagged entries.
pub fn concerned(conn: &mut DbConnection, draft: &AdvisoryDraft, access: &Access) -> Result<Vec<MemberMatch>, ApiError> {
    let taxonomy = super::taxonomy()?;
    // 1. Who may read it at all: the policy decides, nothing else. Only
    // member organisations (those with operators) can be concerned: a
    // ministry's liaison organisation lists sectors too, but it runs no
    // reassessment.
    let members = crate::members::member_organisations(conn)?;
    let orgs: Vec<(String, String)> = organisations::table.select((organisations::id, organisations::sectors)).load(conn)?;
    let mut readers: HashMap<String, Vec<String>> = HashMap::with_capacity(orgs.len());
    for (id, sectors) in orgs.into_iter().filter(|(id, _)| members.contains(id)) {
        let sectors = parse_list(&sectors);
        if policy::may_read(&member_viewer(&id, &sectors), access) {
            readers.insert(id, sectors);
        }
    }
    let mut found: BTreeMap<String, Found> = BTreeMap::new();

    // 2. Sector.
    let affected: BTreeSet<&String> = draft.affected_sectors.iter().collect();
    if !affected.is_empty() {
        for (id, sectors) in &readers {
            for s in sectors.iter().filter(|s| affected.contains(s)) {
                found.entry(id.clone()).or_default().0.insert(MatchReason::Sector { sector: s.clone() });
            }
        }
    }

    // 3. Technologies in use.
    let products = Products::of(draft);
    if !products.parsed.is_empty() {
        let mut query = member_technologies::table
            .select((member_technologies::organisation_id, member_technologies::product))
            .into_boxed::<MultiBackend>();
        if let Some(vendors) = &products.vendors {
            query = query.filter(member_technologies::vendor.eq_any(vendors.clone()).or(member_technologies::vendor.is_null()));
        }
        let technologies: Vec<(String, String)> = query.load(conn)?;
        for (org, technology) in technologies {
            if !readers.contains_key(&org) {
                continue;
            }
            let reasons = products.reasons(&technology);
            if !reasons.is_empty() {
                found.entry(org).or_default().0.extend(reasons);
            }
        }
    }

    // 4. Register entries.
    let mut events: BTreeMap<String, Vec<String>> = BTreeMap::new(); // entry event -> advisory events on its branch
    for e in &draft.threat_events {
        for node in branch(taxonomy, e) {
            events.entry(node).or_default().push(e.clone());
        }
    }
    let sources: BTreeSet<String> = draft.risk_sources.iter().cloned().collect();
    if !events.is_empty() || !sources.is_empty() || !products.parsed.is_empty() {
        let mut query = risk_register::table
            .select((
                risk_register::id,
                risk_register::organisation_id,
                risk_register::threat_event,
                risk_register::risk_source,
                risk_register::technology,
            ))
            .into_boxed::<MultiBackend>();
        let event_ids: Vec<String> = events.keys().cloned().collect();
        let source_ids: Vec<String> = sources.iter().cloned().collect();
        // Always false, so each criterion below can be OR-ed on.
        let mut any: Box<dyn BoxableExpression<risk_register::table, MultiBackend, SqlType = diesel::sql_types::Bool>> =
            Box::new(risk_register::id.ne(risk_register::id));
        if !event_ids.is_empty() {
            any = Box::new(any.or(risk_register::threat_event.eq_any(event_ids)));
        }
        if !source_ids.is_empty() {
            any = Box::new(any.or(risk_register::risk_source.eq_any(source_ids).assume_not_null()));
        }
        if !products.parsed.is_empty() {
            match &products.vendors {
                Some(vendors) => {
                    any = Box::new(
                        any.or(risk_register::technology_vendor.eq_any(vendors.clone()).assume_not_null())
                            .or(risk_register::technology.is_not_null().and(risk_register::technology_vendor.is_null())),
                    )
                }
                None => any = Box::new(any.or(risk_register::technology.is_not_null())),
            }
        }
        query = query.filter(any);
        let candidates: Vec<EntryCandidate> = query.load(conn)?;
        for (entry_id, org, event, source, technology) in candidates {
            if !readers.contains_key(&org) {
                continue;
            }
            let mut reasons = BTreeSet::new();
            if let Some(advisory_events) = events.get(&event) {
                for a in advisory_events {
                    reasons.insert(MatchReason::ThreatEvent {
                        advisory_threat_event: a.clone(),
                        entry_threat_event: event.clone(),
                    });
                }
            }
            if let Some(s) = source.filter(|s| sources.contains(s)) {
                reasons.insert(MatchReason::RiskSource { risk_source: s });
            }
            if let Some(t) = &technology {
                reasons.extend(products.reasons(t));
            }
            if !reasons.is_empty() {
                let member = found.entry(org).or_default();
                member.0.extend(reasons.iter().cloned());
                member.1.insert(entry_id, reasons);
            }
        }
    }

    Ok(found
        .into_iter()
        .map(|(org, (reasons, entries))| MemberMatch {
            organisation_id: parse_uuid(&org),
            reasons: reasons.into_iter().collect(),
            entries: entries
                .into_iter()
                .map(|(id, r)| FlaggedEntry {
                    entry_id: parse_uuid(&id),
                    reasons: r.into_iter().collect(),
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_holds_ancestors_and_descendants() {
        let t = Taxonomy::builtin_shared().unwrap();
        let b = branch(t, "targeted_attack");
        assert!(b.contains("targeted_attack"));
        assert!(b.contains("external_fraud") && b.contains("attack"), "ancestors");
        assert!(b.contains("targeted_attack_supply_chain"), "descendants");
        assert!(!b.contains("malware"), "a sibling is another branch");
    }
}

//! The report's STIX objects (indicators, observables, observed data …).
//!
//! Objects are handled as JSON so that properties we do not model, custom
//! `x_` ones included, are scrubbed too. Observables (SCOs) whose values
//! name the victim are dropped whole, since a changed value would be a
//! wrong indicator; descriptive text of the other objects is redacted in
//! place. Every SDO/SRO gets the sharing body as author and a new id
//! derived from the old one (STIX lets only an object's creator issue
//! versions of it, and the shared copy must not carry the member's ids);
//! references follow the new ids, and objects that lose what they
//! reference (a relationship's end, all of an observed-data's objects) are
//! dropped with it.

use std::collections::{BTreeMap, BTreeSet};

use isacx_schemas::stix::{deterministic_sco_id, ObjectKind, StixObject};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::detect::{char_offset, Detector, Mode};
use super::net;
use super::pattern::{self, Outcome};
use super::redaction::{Action, Redaction, RuleId};
use super::time::{coarsen_text, END_KEYS, START_KEYS};
use super::{derive_uuid, AnonymiseError, TimeGranularity};

/// What the object pass needs from the caller.
pub(crate) struct Context<'a> {
    pub detector: &'a Detector<'a>,
    pub japanese: bool,
    pub granularity: TimeGranularity,
    pub body_id: &'a str,
    pub member_ids: &'a [String],
    pub namespace: Uuid,
}

/// Properties that are structure, not content.
fn is_structural(key: &str) -> bool {
    matches!(
        key,
        "type"
            | "id"
            | "spec_version"
            | "pattern"
            | "pattern_type"
            | "pattern_version"
            | "hashes"
            | "lang"
            | "extension_type"
            | "definition_type"
    ) || key.ends_with("_ref")
        || key.ends_with("_refs")
        || START_KEYS.contains(&key)
        || END_KEYS.contains(&key)
}

/// References whose loss makes the object meaningless.
fn is_required_ref(key: &str) -> bool {
    matches!(key, "source_ref" | "target_ref" | "sighting_of_ref")
}

struct Entry {
    index: usize,
    map: Map<String, Value>,
    sco: bool,
    meta: bool,
}

fn field(index: usize, path: &str) -> String {
    format!("indicators[{index}]{path}")
}

/// Result of scrubbing one object's strings.
enum Scrub {
    Kept,
    /// An observable names the victim: the first offending match.
    Drop(Redaction),
}

struct Walker<'a, 'b> {
    ctx: &'a Context<'b>,
    index: usize,
    /// Observable: find, do not rewrite.
    value_mode: bool,
    out: Vec<Redaction>,
    offending: Option<Redaction>,
}

impl Walker<'_, '_> {
    fn walk(&mut self, value: &mut Value, path: &str, key: &str) {
        if self.offending.is_some() {
            return;
        }
        match value {
            Value::String(text) => self.string(text, path, key),
            Value::Array(items) => {
                for (n, item) in items.iter_mut().enumerate() {
                    self.walk(item, &format!("{path}[{n}]"), key);
                }
            }
            Value::Object(map) => self.object(map, path),
            _ => {}
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, path: &str) {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let child = format!("{path}.{key}");
            if key.starts_with("x_") {
                if let Some(hit) = self.ctx.detector.scan(&key, Mode::Value).first() {
                    // A custom property named after the member goes whole.
                    let original = key.get(hit.start..hit.end).unwrap_or("").to_owned();
                    let redaction = Redaction {
                        rule: hit.rule,
                        action: Action::Removed,
                        field: field(self.index, &child),
                        start: None,
                        end: None,
                        original,
                        replacement: None,
                    };
                    if self.value_mode {
                        self.offending = Some(Redaction {
                            action: Action::Dropped,
                            ..redaction
                        });
                        return;
                    }
                    map.remove(&key);
                    self.out.push(redaction);
                    continue;
                }
            }
            if is_structural(&key) {
                if self.ctx.granularity != TimeGranularity::None
                    && (START_KEYS.contains(&key.as_str()) || END_KEYS.contains(&key.as_str()))
                {
                    if let Some(Value::String(text)) = map.get_mut(&key) {
                        if let Some(coarse) = coarsen_text(text, &key, self.ctx.granularity) {
                            self.out.push(Redaction {
                                rule: RuleId::TimeCoarsened,
                                action: Action::Generalised,
                                field: field(self.index, &child),
                                start: None,
                                end: None,
                                original: text.clone(),
                                replacement: Some(coarse.clone()),
                            });
                            *text = coarse;
                        }
                    }
                }
                continue;
            }
            if let Some(value) = map.get_mut(&key) {
                self.walk(value, &child, &key);
            }
        }
    }

    fn string(&mut self, text: &mut String, path: &str, _key: &str) {
        let field = field(self.index, path);
        if self.value_mode {
            if let Some(hit) = self.ctx.detector.scan(text, Mode::Value).first() {
                self.offending = Some(Redaction {
                    rule: hit.rule,
                    action: Action::Dropped,
                    field,
                    start: Some(char_offset(text, hit.start)),
                    end: Some(char_offset(text, hit.end)),
                    original: text.get(hit.start..hit.end).unwrap_or("").to_owned(),
                    replacement: None,
                });
            }
            return;
        }
        let redacted =
            self.ctx
                .detector
                .redact(text, Mode::Text, &field, self.ctx.japanese, &mut self.out);
        *text = redacted;
    }
}

fn scrub(ctx: &Context<'_>, entry: &mut Entry, out: &mut Vec<Redaction>) -> Scrub {
    let type_name = entry
        .map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if entry.sco && matches!(type_name.as_str(), "ipv4-addr" | "ipv6-addr") {
        if let Some(value) = entry.map.get("value").and_then(Value::as_str) {
            if let Some(rule) =
                net::parse_net(value).and_then(|n| net::classify(n, ctx.detector.ranges()))
            {
                return Scrub::Drop(Redaction {
                    rule,
                    action: Action::Dropped,
                    field: field(entry.index, ".value"),
                    start: None,
                    end: None,
                    original: value.to_owned(),
                    replacement: None,
                });
            }
        }
    }
    if type_name == "indicator" {
        let text = entry
            .map
            .get("pattern")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let pattern_type = entry
            .map
            .get("pattern_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let record = |removed: &pattern::Removed, action: Action| Redaction {
            rule: removed.rule,
            action,
            field: field(entry.index, ".pattern"),
            start: removed.span.map(|(s, _)| s),
            end: removed.span.map(|(_, e)| e),
            original: removed.value.clone(),
            replacement: None,
        };
        match pattern::sanitise(ctx.detector, &text, &pattern_type, ctx.granularity) {
            Outcome::Unchanged => {}
            Outcome::Rewritten {
                pattern,
                removed,
                coarsened,
            } => {
                out.extend(removed.iter().map(|r| record(r, Action::Removed)));
                out.extend(coarsened.into_iter().map(|(original, coarse)| Redaction {
                    rule: RuleId::TimeCoarsened,
                    action: Action::Generalised,
                    field: field(entry.index, ".pattern"),
                    start: None,
                    end: None,
                    original,
                    replacement: Some(coarse),
                }));
                entry
                    .map
                    .insert("pattern".to_owned(), Value::String(pattern));
            }
            Outcome::Dropped { removed } => {
                let mut records: Vec<Redaction> =
                    removed.iter().map(|r| record(r, Action::Dropped)).collect();
                let first = records.remove(0);
                out.extend(records);
                return Scrub::Drop(first);
            }
        }
    }
    let mut walker = Walker {
        ctx,
        index: entry.index,
        value_mode: entry.sco,
        out: Vec::new(),
        offending: None,
    };
    walker.object(&mut entry.map, "");
    if let Some(offending) = walker.offending {
        return Scrub::Drop(offending);
    }
    out.extend(walker.out);
    Scrub::Kept
}

fn new_sdo_id(namespace: &Uuid, old: &str) -> String {
    let type_name = old.split("--").next().unwrap_or("");
    format!("{type_name}--{}", derive_uuid(namespace, old))
}

/// Rewrites `_ref`/`_refs` values: renamed ids follow, dropped ones go.
/// Returns whether anything changed and, when the object itself must go,
/// the reference that made it.
fn remap_refs(
    map: &mut Map<String, Value>,
    renamed: &BTreeMap<String, String>,
    dropped: &BTreeMap<String, RuleId>,
) -> (bool, Option<(String, String, RuleId)>) {
    let mut changed = false;
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        if key.ends_with("_ref") {
            let Some(target) = map.get(&key).and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            if let Some(rule) = dropped.get(&target) {
                if is_required_ref(&key) {
                    return (true, Some((key, target, *rule)));
                }
                map.remove(&key);
                changed = true;
            } else if let Some(new) = renamed.get(&target) {
                map.insert(key, Value::String(new.clone()));
                changed = true;
            }
        } else if key.ends_with("_refs") {
            let Some(Value::Array(items)) = map.get(&key) else {
                continue;
            };
            let before = items.len();
            let mut first_dropped = None;
            let mut kept = Vec::new();
            for item in items {
                let Some(target) = item.as_str() else {
                    kept.push(item.clone());
                    continue;
                };
                if let Some(rule) = dropped.get(target) {
                    first_dropped.get_or_insert((target.to_owned(), *rule));
                    changed = true;
                } else if let Some(new) = renamed.get(target) {
                    kept.push(Value::String(new.clone()));
                    changed = true;
                } else {
                    kept.push(item.clone());
                }
            }
            if kept.is_empty() && before > 0 {
                if key == "object_refs" {
                    if let Some((target, rule)) = first_dropped {
                        return (true, Some((key, target, rule)));
                    }
                }
                map.remove(&key);
            } else {
                map.insert(key, Value::Array(kept));
            }
        } else if let Some(Value::Object(inner)) = map.get_mut(&key) {
            let (inner_changed, drop) = remap_refs(inner, renamed, dropped);
            changed |= inner_changed;
            if drop.is_some() {
                return (changed, drop);
            }
        }
    }
    (changed, None)
}

/// Sanitises the report's STIX objects; `out` receives the redactions.
pub(crate) fn sanitise_objects(
    ctx: &Context<'_>,
    objects: &[StixObject],
    out: &mut Vec<Redaction>,
) -> Result<Vec<StixObject>, AnonymiseError> {
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut dropped: BTreeMap<String, RuleId> = BTreeMap::new();
    for member in ctx.member_ids {
        renamed.insert(member.clone(), ctx.body_id.to_owned());
    }
    let mut entries = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        let Value::Object(map) = object
            .to_value()
            .map_err(|e| AnonymiseError::Stix(e.to_string()))?
        else {
            return Err(AnonymiseError::Stix(format!(
                "indicators[{index}] is not a JSON object"
            )));
        };
        let kind = StixObject::kind_of_type(object.type_name());
        let sco = kind == Some(ObjectKind::CyberObservable)
            || (kind.is_none() && !map.contains_key("created"));
        let meta = kind == Some(ObjectKind::Meta);
        let id = object.id_str().to_owned();
        let mut entry = Entry {
            index,
            map,
            sco,
            meta,
        };
        if object.type_name() == "identity" && ctx.member_ids.contains(&id) {
            out.push(Redaction {
                rule: RuleId::AuthorReplaced,
                action: Action::Dropped,
                field: field(index, ".id"),
                start: None,
                end: None,
                original: id,
                replacement: Some(ctx.body_id.to_owned()),
            });
            continue;
        }
        let before = entry.map.clone();
        match scrub(ctx, &mut entry, out) {
            Scrub::Drop(redaction) => {
                dropped.insert(id, redaction.rule);
                out.push(redaction);
                continue;
            }
            Scrub::Kept => {}
        }
        if !entry.sco {
            let author = entry
                .map
                .get("created_by_ref")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let replace =
                !entry.meta || author.as_ref().is_some_and(|a| ctx.member_ids.contains(a));
            if replace {
                if let Some(old) = author.filter(|a| a != ctx.body_id) {
                    out.push(Redaction {
                        rule: RuleId::AuthorReplaced,
                        action: Action::Replaced,
                        field: field(index, ".created_by_ref"),
                        start: None,
                        end: None,
                        original: old,
                        replacement: Some(ctx.body_id.to_owned()),
                    });
                }
                entry.map.insert(
                    "created_by_ref".to_owned(),
                    Value::String(ctx.body_id.to_owned()),
                );
            }
            if !entry.meta && !id.is_empty() {
                let new = new_sdo_id(&ctx.namespace, &id);
                entry
                    .map
                    .insert("id".to_owned(), Value::String(new.clone()));
                renamed.insert(id, new);
            }
        } else if entry.map != before {
            // Only a changed observable gets a new id: an unchanged one keeps
            // whatever id its producer gave it.
            if let Some(new) = deterministic_sco_id(object.type_name(), &entry.map)
                .filter(|new| new.as_str() != id)
            {
                entry
                    .map
                    .insert("id".to_owned(), Value::String(new.to_string()));
                renamed.insert(id, new.to_string());
            }
        }
        entries.push(entry);
    }

    // References: follow renames, drop what lost its referent; repeat until
    // nothing changes (an observable's id depends on its references).
    let mut gone: BTreeSet<usize> = BTreeSet::new();
    for _ in 0..=entries.len() {
        let mut again = false;
        for entry in entries.iter_mut() {
            if gone.contains(&entry.index) {
                continue;
            }
            let current = entry
                .map
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let (changed, drop) = remap_refs(&mut entry.map, &renamed, &dropped);
            if let Some((key, target, rule)) = drop {
                out.push(Redaction {
                    rule,
                    action: Action::Dropped,
                    field: field(entry.index, &format!(".{key}")),
                    start: None,
                    end: None,
                    original: target,
                    replacement: None,
                });
                dropped.insert(current, rule);
                gone.insert(entry.index);
                again = true;
                continue;
            }
            if changed && entry.sco {
                let type_name = entry
                    .map
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if let Some(new) = deterministic_sco_id(&type_name, &entry.map) {
                    if new.as_str() != current {
                        entry
                            .map
                            .insert("id".to_owned(), Value::String(new.to_string()));
                        renamed.insert(current, new.to_string());
                        again = true;
                    }
                }
            }
        }
        if !again {
            break;
        }
    }
    entries
        .into_iter()
        .filter(|e| !gone.contains(&e.index))
        .map(|e| {
            StixObject::from_map(e.map)
                .map_err(|error| AnonymiseError::Stix(format!("indicators[{}]: {error}", e.index)))
        })
        .collect()
}

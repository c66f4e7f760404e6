//! Scope on egress: an object's sharing scope (sectors, audiences) is kept
//! beside it in the store, not necessarily in its STIX. Whatever leaves for a
//! peer (a peer's TAXII read, a push) carries it in our scope extension, so
//! the receiving server keeps the scope as well as the TLP. RED named
//! recipients are never written: RED never leaves.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use crate::policy::{default_audiences, SCOPE_EXTENSION_ID, ALL_SECTORS};
use crate::store::StoredRow;

/// The body of `row` as a peer receives it: with the scope extension when
/// the scope differs from the default (all sectors, the TLP's default
/// audiences); unchanged (not re-serialised) otherwise.
pub fn body_for_peer(row: &StoredRow) -> Cow<'_, str> {
    let access = row.access();
    let sectors: Vec<&String> = access.sectors.iter().filter(|s| s.as_str() != ALL_SECTORS).collect();
    let scoped_sectors = !sectors.is_empty() && !access.sectors.contains(ALL_SECTORS);
    let other_audiences = access.audiences != default_audiences(access.tlp);
    if !scoped_sectors && !other_audiences {
        return Cow::Borrowed(&row.body);
    }
    let Ok(mut object) = serde_json::from_str::<Value>(&row.body) else {
        return Cow::Borrowed(&row.body);
    };
    let mut scope = Map::new();
    scope.insert("extension_type".to_owned(), json!("property-extension"));
    if scoped_sectors {
        scope.insert("sectors".to_owned(), json!(sectors));
    }
    if other_audiences && !access.audiences.is_empty() {
        scope.insert("audiences".to_owned(), json!(access.audiences));
    }
    let Some(map) = object.as_object_mut() else {
        return Cow::Borrowed(&row.body);
    };
    let extensions = map.entry("extensions").or_insert_with(|| Value::Object(Map::new()));
    let Some(extensions) = extensions.as_object_mut() else {
        return Cow::Borrowed(&row.body);
    };
    extensions.insert(SCOPE_EXTENSION_ID.to_owned(), Value::Object(scope));
    match serde_json::to_string(&object) {
        Ok(text) => Cow::Owned(text),
        Err(_) => Cow::Borrowed(&row.body),
    }
}

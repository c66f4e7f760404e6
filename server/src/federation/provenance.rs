//! Provenance of federated objects: a property extension naming the server
//! an object originated on and the servers it has passed through.
//!
//! The receiving server appends the server it received the object from, so
//! the hop list is right whichever way it travelled (pull or push). An object
//! whose hop list names this server has come round a cycle and is refused; so
//! is one whose list has reached the hop limit.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Property extension carrying `origin` and `hops`.
pub const PROVENANCE_EXTENSION_ID: &str =
    "extension-definition--2f6c3d1e-8b4a-4c51-9f0e-5d7a1b3c6e20";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Server id of the server the object was first shared on.
    pub origin: String,
    /// Server ids the object has passed through, oldest first (the origin first).
    pub hops: Vec<String>,
}

/// The provenance an object carries, if any.
pub fn read(object: &Value) -> Option<Provenance> {
    let ext = object.get("extensions")?.get(PROVENANCE_EXTENSION_ID)?;
    let origin = ext.get("origin")?.as_str()?.to_owned();
    let hops = ext
        .get("hops")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    Some(Provenance { origin, hops })
}

/// The provenance of an object received from `sender`: the sender appended
/// to the hop list it came with (the sender is the origin of an object that
/// carries none).
pub fn received_from(carried: Option<Provenance>, sender: &str) -> Provenance {
    let mut p = carried.unwrap_or_else(|| Provenance {
        origin: sender.to_owned(),
        hops: Vec::new(),
    });
    if p.hops.last().map(String::as_str) != Some(sender) {
        p.hops.push(sender.to_owned());
    }
    p
}

/// Write `provenance` into the object's extensions.
pub fn stamp(object: &mut Value, provenance: &Provenance) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let extensions = map
        .entry("extensions")
        .or_insert_with(|| Value::Object(Map::new()));
    if !extensions.is_object() {
        *extensions = Value::Object(Map::new());
    }
    if let Some(extensions) = extensions.as_object_mut() {
        extensions.insert(
            PROVENANCE_EXTENSION_ID.to_owned(),
            serde_json::json!({
                "extension_type": isacx_schemas::stix::PROPERTY_EXTENSION,
                "origin": provenance.origin,
                "hops": provenance.hops,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_appended_once_and_round_trips() {
        let first = received_from(None, "elec-isac");
        assert_eq!(
            first,
            Provenance {
                origin: "elec-isac".into(),
                hops: vec!["elec-isac".into()]
            }
        );
        let mut object = serde_json::json!({ "type": "indicator", "id": "indicator--x" });
        stamp(&mut object, &first);
        let second = received_from(read(&object), "council");
        assert_eq!(second.origin, "elec-isac");
        assert_eq!(
            second.hops,
            vec!["elec-isac".to_owned(), "council".to_owned()]
        );
        assert_eq!(received_from(Some(second.clone()), "council"), second);
    }
}

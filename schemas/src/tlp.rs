//! Traffic Light Protocol 2.0 (FIRST) as STIX marking definitions.
//!
//! TLP 2.0 is not in STIX core: each level is a marking-definition object
//! carrying a property extension (OASIS common objects). TLP 1.0 ids are
//! still accepted on input and mapped to their 2.0 level, because peers keep
//! sending them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::stix::{MarkingDefinition, StixId, StixObject, StixTimestamp, SPEC_VERSION};

/// Extension definition that carries the TLP 2.0 level.
pub const TLP_2_0_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// `created` of the OASIS TLP 2.0 marking definitions.
pub const TLP_2_0_CREATED: &str = "2022-10-01T00:00:00.000Z";

/// A TLP 2.0 level. Ordered by restrictiveness so that `max` picks the
/// level that governs an object: Clear < Green < Amber < AmberStrict < Red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// The text is not a TLP level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TLP level {0:?} (expected clear, green, amber, amber+strict or red)")]
pub struct UnknownTlp(pub String);

impl Tlp {
    /// All levels, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// Id of the OASIS TLP 2.0 marking definition for this level.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// Lower-case level as the extension's `tlp_2_0` property spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Display name of the marking definition, e.g. `TLP:AMBER+STRICT`.
    pub fn marking_name(self) -> String {
        format!("TLP:{}", self.as_str().to_ascii_uppercase())
    }

    /// The level a marking-definition id stands for: TLP 2.0 ids, and TLP 1.0
    /// ids mapped to 2.0 (WHITE becomes CLEAR). `None` for other markings.
    pub fn from_marking_ref(id: &str) -> Option<Tlp> {
        if let Some(level) = Tlp::ALL.into_iter().find(|level| level.marking_id() == id) {
            return Some(level);
        }
        match id {
            "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" => Some(Tlp::Clear),
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" => Some(Tlp::Green),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" => Some(Tlp::Amber),
            "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// The most restrictive TLP among the object's `object_marking_refs`;
    /// `None` when it carries no TLP marking (policy decides the default).
    pub fn of_object(object: &StixObject) -> Option<Tlp> {
        Tlp::of_marking_refs(object.object_marking_refs())
    }

    /// The most restrictive TLP among marking-definition ids.
    pub fn of_marking_refs<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
        refs.into_iter().filter_map(Tlp::from_marking_ref).max()
    }

    /// The OASIS marking-definition object for this level, to ship alongside
    /// objects that reference it.
    pub fn marking_definition(self) -> MarkingDefinition {
        let mut extensions = Map::new();
        extensions.insert(
            TLP_2_0_EXTENSION_ID.to_owned(),
            json!({"extension_type": "property-extension", "tlp_2_0": self.as_str()}),
        );
        MarkingDefinition {
            type_name: "marking-definition".to_owned(),
            spec_version: SPEC_VERSION.to_owned(),
            id: StixId::from(self.marking_id()),
            created_by_ref: None,
            created: StixTimestamp::parse(TLP_2_0_CREATED).unwrap_or_else(|_| {
                StixTimestamp::from_datetime_millis(chrono::DateTime::UNIX_EPOCH)
            }),
            external_references: Vec::new(),
            object_marking_refs: Vec::new(),
            granular_markings: Vec::new(),
            name: Some(self.marking_name()),
            definition_type: None,
            definition: None,
            extensions: Some(extensions),
            extra: Map::new(),
        }
    }

    /// The level a TLP 2.0 marking-definition object declares in its extension.
    pub fn from_marking_definition(definition: &MarkingDefinition) -> Option<Tlp> {
        let level = definition
            .extensions
            .as_ref()?
            .get(TLP_2_0_EXTENSION_ID)?
            .get("tlp_2_0")?
            .as_str()?;
        level.parse().ok()
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = UnknownTlp;

    /// Accepts `amber+strict`, `TLP:AMBER+STRICT`, `tlp:amber+strict`, and
    /// TLP 1.0's `white` as `clear`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        let level = lower.strip_prefix("tlp:").unwrap_or(&lower).trim();
        match level {
            "clear" | "white" => Ok(Tlp::Clear),
            "green" => Ok(Tlp::Green),
            "amber" => Ok(Tlp::Amber),
            "amber+strict" => Ok(Tlp::AmberStrict),
            "red" => Ok(Tlp::Red),
            _ => Err(UnknownTlp(text.to_owned())),
        }
    }
}

impl Serialize for Tlp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tlp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Tlp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tlp".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["clear", "green", "amber", "amber+strict", "red"],
            "description": "TLP 2.0 level"
        })
    }
}

/// The marking definitions as JSON, for fixtures and documentation.
pub fn all_marking_definitions() -> Vec<Value> {
    Tlp::ALL
        .into_iter()
        .filter_map(|level| serde_json::to_value(level.marking_definition()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_parsing() {
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
        assert!(Tlp::Amber > Tlp::Green && Tlp::Green > Tlp::Clear);
        for level in Tlp::ALL {
            assert_eq!(level.to_string().parse::<Tlp>().unwrap(), level);
            assert_eq!(level.marking_name().parse::<Tlp>().unwrap(), level);
            assert_eq!(Tlp::from_marking_ref(level.marking_id()), Some(level));
            assert_eq!(
                Tlp::from_marking_definition(&level.marking_definition()),
                Some(level)
            );
        }
        assert_eq!("TLP:Amber+Strict".parse::<Tlp>().unwrap(), Tlp::AmberStrict);
        assert!("amber strict".parse::<Tlp>().is_err());
    }

    #[test]
    fn tlp_1_ids_map_to_2_0() {
        assert_eq!(
            Tlp::from_marking_ref("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            Tlp::from_marking_ref("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"),
            Some(Tlp::Red)
        );
    }

    #[test]
    fn clear_marking_definition_matches_oasis() {
        let expected = json!({
            "id": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "type": "marking-definition",
            "spec_version": "2.1",
            "name": "TLP:CLEAR",
            "created": "2022-10-01T00:00:00.000Z",
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": "clear"
                }
            }
        });
        assert_eq!(
            serde_json::to_value(Tlp::Clear.marking_definition()).unwrap(),
            expected
        );
    }

    #[test]
    fn highest_marking_wins() {
        let mut indicator = crate::stix::Indicator::for_ipv4("198.51.100.3");
        let object = StixObject::from(indicator.clone());
        assert_eq!(Tlp::of_object(&object), None);
        indicator.common.object_marking_refs = vec![
            Tlp::Green.marking_id().into(),
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82".into(),
            Tlp::Clear.marking_id().into(),
        ];
        assert_eq!(
            Tlp::of_object(&StixObject::from(indicator)),
            Some(Tlp::Amber)
        );
    }
}

//! Typed access to the property extensions isacx reads and writes; all
//! others stay untyped JSON in `extensions`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Incident, StixId};

/// Incident Core extension (OASIS common objects, community draft): the
/// determination and investigation state of an incident.
pub const INCIDENT_CORE_EXTENSION_ID: &str =
    "extension-definition--ef765651-680c-498d-9894-99799f2fa126";

/// `extension_type` of extensions that add properties to an existing type.
pub const PROPERTY_EXTENSION: &str = "property-extension";

/// Body of the Incident Core extension. The draft changes between commits,
/// so properties we do not model are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentCoreExtension {
    /// Always [`PROPERTY_EXTENSION`].
    pub extension_type: String,
    /// blocked | failed-attempt | false-positive | low-value |
    /// successful-attempt | suspected.
    pub determination: String,
    pub investigation_status: String,
    /// 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incident_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detection_methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub impact_refs: Vec<StixId>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IncidentCoreExtension {
    /// The two required properties; the rest empty.
    pub fn new(determination: impl Into<String>, investigation_status: impl Into<String>) -> Self {
        Self {
            extension_type: PROPERTY_EXTENSION.to_owned(),
            determination: determination.into(),
            investigation_status: investigation_status.into(),
            criticality: None,
            incident_types: Vec::new(),
            detection_methods: Vec::new(),
            impact_refs: Vec::new(),
            extra: Map::new(),
        }
    }
}

impl Incident {
    /// The Incident Core extension, if present and well-formed.
    pub fn incident_core(&self) -> Option<IncidentCoreExtension> {
        let body = self
            .common
            .extensions
            .as_ref()?
            .get(INCIDENT_CORE_EXTENSION_ID)?;
        serde_json::from_value(body.clone()).ok()
    }

    /// Sets (or replaces) the Incident Core extension.
    pub fn set_incident_core(&mut self, extension: &IncidentCoreExtension) {
        let Ok(body) = serde_json::to_value(extension) else {
            return;
        };
        self.common
            .extensions
            .get_or_insert_with(Map::new)
            .insert(INCIDENT_CORE_EXTENSION_ID.to_owned(), body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_core_round_trips_through_extensions() {
        let mut incident = Incident::new("Outage");
        assert_eq!(incident.incident_core(), None);
        let mut core = IncidentCoreExtension::new("suspected", "new");
        core.criticality = Some(60);
        incident.set_incident_core(&core);
        assert_eq!(incident.incident_core(), Some(core));
        let value = serde_json::to_value(&incident).unwrap();
        assert_eq!(
            value["extensions"][INCIDENT_CORE_EXTENSION_ID]["determination"],
            "suspected"
        );
        assert!(crate::stix::StixObject::from(incident)
            .validate()
            .is_empty());
    }
}

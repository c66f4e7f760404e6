//! Validation of STIX objects beyond what deserialisation checks.

use std::fmt;

/// One rule an object breaks, naming the property at fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValidationError {
    /// JSON path of the offending property, e.g. `objects[3].valid_until`.
    pub path: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Validates one object given as JSON.
pub fn validate_object_json(_value: &serde_json::Value) -> Vec<ValidationError> {
    Vec::new()
}

/// Validates a bundle given as JSON.
pub fn validate_bundle_json(_value: &serde_json::Value) -> Vec<ValidationError> {
    Vec::new()
}

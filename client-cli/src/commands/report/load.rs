//! Reading a report file for the server: the same checks and the same
//! line-and-field errors as `isacx report validate`, before anything is sent.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::validate::{self, Problem};
use crate::error::{CliError, InputKind};

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::InputUnreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

fn invalid(path: &Path, problems: &[Problem]) -> CliError {
    CliError::InputInvalid {
        path: path.to_path_buf(),
        kind: InputKind::Report,
        problems: problems.iter().map(Problem::render).collect(),
    }
}

/// A report that passes every local check (schema and taxonomy), as JSON.
pub fn checked(path: &Path) -> Result<Value, CliError> {
    let text = read(path)?;
    let problems = validate::check(path, &text)?;
    if !problems.is_empty() {
        return Err(invalid(path, &problems));
    }
    validate::parse(path, &text).map_err(|p| invalid(path, &[p]))
}

/// A report that is well-formed YAML or JSON; the server checks the rest.
///
/// For an analyst's edit of a sanitised copy, which may carry values the
/// submission schema does not allow (a sector generalised for k-anonymity).
pub fn parsed(path: &Path) -> Result<Value, CliError> {
    let text = read(path)?;
    validate::parse(path, &text).map_err(|p| invalid(path, &[p]))
}

/// The `Idempotency-Key` of a submission: a digest of the report's canonical
/// JSON (RFC 8785), so submitting the same report again — after a timeout, a
/// dropped connection, from a YAML or a JSON copy — is recognised by the
/// server as a retry and stored once. A changed report gets a new key.
pub fn idempotency_key(report: &Value) -> Result<String, CliError> {
    let canonical = serde_json_canonicalizer::to_vec(report).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    Ok(format!(
        "isacx-report-{}",
        hex::encode(Sha256::digest(&canonical))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_follows_content_not_form() {
        let a = json!({ "id": "x", "times": { "occurred": "t", "detected": "u" } });
        let b = json!({ "times": { "detected": "u", "occurred": "t" }, "id": "x" });
        let c = json!({ "id": "y", "times": { "occurred": "t", "detected": "u" } });
        let key = idempotency_key(&a).unwrap();
        assert_eq!(key, idempotency_key(&b).unwrap());
        assert_ne!(key, idempotency_key(&c).unwrap());
        assert!(
            key.len() <= 200 && key.starts_with("isacx-report-"),
            "{key}"
        );
    }
}

//! The committed JSON Schema is current, and the example reports pass (or
//! fail, for the broken ones) both the schema and `Report::validate`.

// Helpers of an integration test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use isacx_schemas::report::{json_schema, Report, REPORT_SCHEMA_PATH};
use isacx_schemas::taxonomy::Taxonomy;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rendered_schema() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap();
    text.push('\n');
    text
}

#[test]
fn committed_schema_is_current() {
    let path = repo_root().join(REPORT_SCHEMA_PATH);
    let fresh = rendered_schema();
    if std::env::var_os("ISACX_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{REPORT_SCHEMA_PATH} is stale (the Report type or the taxonomy changed); \
         regenerate it with `ISACX_UPDATE_SCHEMAS=1 cargo test -p isacx-schemas --test report_schema` and commit it"
    );
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(&json_schema()).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn generated_schema_is_valid_draft_2020_12() {
    let schema = json_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::meta::validate(&schema).unwrap();
}

#[test]
fn example_reports_pass_schema_and_validate() {
    let taxonomy = Taxonomy::builtin().unwrap();
    let files = json_files(&fixtures_dir());
    assert!(
        files.len() >= 4,
        "expected example reports in {}",
        fixtures_dir().display()
    );
    let mut langs = std::collections::BTreeSet::new();
    for path in files {
        let value = read_json(&path);
        let errors = schema_errors(&value);
        assert!(errors.is_empty(), "{}: schema: {errors:#?}", path.display());
        let report: Report = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        report
            .validate(&taxonomy)
            .unwrap_or_else(|e| panic!("{}: validate: {e:#?}", path.display()));
        // Serialising and reading back gives the same report: nothing is lost.
        let again: Report = serde_json::from_value(serde_json::to_value(&report).unwrap()).unwrap();
        assert_eq!(again, report, "{}", path.display());
        langs.insert(report.lang.clone());
    }
    assert!(
        langs.contains("ja") && langs.contains("en"),
        "examples in both languages: {langs:?}"
    );
}

/// Each broken example: the fields `validate` must name, and whether the
/// JSON Schema alone already rejects it.
const BROKEN: &[(&str, &[&str], bool)] = &[
    ("negative-users", &["service_impact.users_affected"], true),
    ("unknown-sector", &["sector"], true),
    ("bad-lang-title", &["lang", "title"], true),
    (
        "times-out-of-order",
        &["times.detected", "times.recovered"],
        false,
    ),
    (
        "wrong-sector-system",
        &["critical_system", "cia_impact.confidentiality"],
        false,
    ),
    (
        "bad-indicators",
        &[
            "indicators[0].type",
            "indicators[1].pattern",
            "indicators[1].valid_until",
            "indicators[2].pattern",
        ],
        false,
    ),
    (
        "statutory-mismatch",
        &["statutory.reportable", "statutory.thresholds[0]"],
        false,
    ),
];

#[test]
fn broken_reports_are_rejected_with_field_paths() {
    let taxonomy = Taxonomy::builtin().unwrap();
    let dir = fixtures_dir().join("broken");
    assert_eq!(
        json_files(&dir).len(),
        BROKEN.len(),
        "every broken example has an entry in BROKEN"
    );
    for (name, fields, schema_rejects) in BROKEN {
        let path = dir.join(format!("{name}.json"));
        let value = read_json(&path);
        let schema = schema_errors(&value);
        assert_eq!(
            !schema.is_empty(),
            *schema_rejects,
            "{name}: schema errors {schema:#?}"
        );
        let report: Report =
            serde_json::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"));
        let errors = report.validate(&taxonomy).expect_err(name);
        let mut got: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        got.sort_unstable();
        let mut want = fields.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{name}: {errors:#?}");
    }
}

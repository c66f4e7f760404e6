//! `isacx report validate`: check a report offline, against the JSON Schema
//! and the taxonomy rules of `Report::validate`, and name each problem by
//! line and field.

use std::path::{Path, PathBuf};

use isacx_schemas::report::{json_schema, Report};
use isacx_schemas::taxonomy::Taxonomy;
use serde_json::{json, Value};

use super::locate::{self, Seg};
use super::ReportFormat;
use crate::context::Ctx;
use crate::error::{CliError, InputKind};
use crate::i18n::Msg;
use crate::output;

/// Check a report file (YAML or JSON) without sending it
///
/// Checks the JSON Schema of the report format, then the rules of the
/// taxonomy (sector, service, critical system, outcome and its C/I/A, times
/// in order, thresholds …). Each problem is given with its line and field.
/// Exits with 6 when the report is invalid.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report (.yaml, .yml or .json)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// One problem: where, which field, what.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn render(&self) -> String {
        if self.field.is_empty() {
            format!("line {}: {}", self.line, self.message)
        } else {
            format!("line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| CliError::InputUnreadable {
        path: args.file.clone(),
        detail: e.to_string(),
    })?;
    let problems = check(&args.file, &text)?;
    if !problems.is_empty() {
        return Err(CliError::InputInvalid {
            path: args.file.clone(),
            kind: InputKind::Report,
            problems: problems.iter().map(Problem::render).collect(),
        });
    }
    let shown = args.file.display().to_string();
    if ctx.json() {
        return output::json(&json!({ "file": shown, "valid": true }));
    }
    ctx.say(&Msg::ReportValid { path: shown });
    Ok(())
}

pub fn format_of(path: &Path, text: &str) -> ReportFormat {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => ReportFormat::Json,
        Some("yaml" | "yml") => ReportFormat::Yaml,
        _ if text.trim_start().starts_with('{') => ReportFormat::Json,
        _ => ReportFormat::Yaml,
    }
}

/// The report text as JSON, or the one syntax problem that stops reading it.
pub fn parse(path: &Path, text: &str) -> Result<Value, Problem> {
    match format_of(path, text) {
        ReportFormat::Json => serde_json::from_str(text).map_err(|e| Problem {
            line: e.line(),
            field: String::new(),
            message: format!("not valid JSON: {e}"),
        }),
        ReportFormat::Yaml => serde_norway::from_str(text).map_err(|e| Problem {
            line: e.location().map_or(1, |l| l.line()),
            field: String::new(),
            message: format!("not valid YAML: {e}"),
        }),
    }
}

/// Every problem of the report text, or none.
pub fn check(path: &Path, text: &str) -> Result<Vec<Problem>, CliError> {
    let format = format_of(path, text);
    let value = match parse(path, text) {
        Ok(v) => v,
        Err(p) => return Ok(vec![p]),
    };
    let line_of = |segs: &[Seg]| match format {
        ReportFormat::Json => locate::json_line(text, segs),
        ReportFormat::Yaml => locate::yaml_line(text, segs),
    };

    let schema = json_schema();
    let validator = jsonschema::draft202012::new(&schema).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    let mut problems: Vec<Problem> = validator
        .iter_errors(&value)
        .map(|e| {
            let mut segs = locate::parse_pointer(&e.instance_path().to_string());
            let message = e.to_string();
            // A missing or unknown property is reported on its object; name
            // the property itself when the message quotes it.
            if let Some(name) = quoted_property(&message) {
                let mut with = segs.clone();
                with.push(Seg::Key(name));
                if message.contains("is a required property") {
                    let field = locate::dotted(&with);
                    return Problem {
                        line: line_of(&segs),
                        field,
                        message,
                    };
                }
                if message.contains("Additional properties") {
                    segs = with;
                }
            }
            Problem {
                line: line_of(&segs),
                field: locate::dotted(&segs),
                message,
            }
        })
        .collect();
    // The taxonomy rules too, whenever the report can be read at all, so
    // every problem is named at once; a field the schema already flagged is
    // not named twice.
    let parsed = serde_json::from_value::<Report>(value);
    if let Ok(report) = &parsed {
        let taxonomy = Taxonomy::builtin_shared().map_err(|e| CliError::Internal {
            detail: e.to_string(),
        })?;
        if let Err(errors) = report.validate(taxonomy) {
            for f in errors {
                if problems.iter().any(|p| p.field == f.field) {
                    continue;
                }
                let segs = locate::parse_dotted(&f.field);
                problems.push(Problem {
                    line: line_of(&segs),
                    field: f.field,
                    message: f.message,
                });
            }
        }
    } else if let (Err(e), true) = (&parsed, problems.is_empty()) {
        problems.push(Problem {
            line: 1,
            field: String::new(),
            message: e.to_string(),
        });
    }
    problems.sort_by_key(|p| p.line);
    Ok(problems)
}

/// The first name quoted (`"name"` or `'name'`) in a schema message.
fn quoted_property(message: &str) -> Option<String> {
    let start = message.find(['"', '\''])?;
    let quote = message[start..].chars().next()?;
    let rest = &message[start + 1..];
    let len = rest.find(quote)?;
    Some(rest[..len].to_owned())
}

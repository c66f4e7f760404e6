//! `isacx review show`: a report opened for review — the raw report and the
//! anonymised copy side by side, and every redaction with its rule.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use isacx_schemas::api::ReportDetail;
use serde_json::Value;
use uuid::Uuid;

use crate::commands::report::show::yaml;
use crate::commands::report::text::Text;
use crate::commands::report::validate::format_of;
use crate::commands::report::{view, ReportFormat};
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Lang;
use crate::output;
use crate::sink::Sink;

/// Open a report for review: raw and sanitised side by side, with the redactions (analysts)
///
/// Opening a received report moves it to "in review". The table lists every
/// field of the raw report beside the sanitised copy that would be shared,
/// marking the fields that differ; then each redaction: what was matched and
/// what replaced it, where (field and character range), and which rule made
/// it. --json prints everything the server returns (raw, sanitised,
/// redactions, statutory check). --save-sanitised writes the sanitised copy
/// to a file (YAML or JSON by its extension) to edit and send back with
/// `isacx review edit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// Only the fields the anonymisation changed
    #[arg(long)]
    pub changed_only: bool,

    /// Also write the sanitised copy to this file (.yaml, .yml or .json)
    #[arg(long, value_name = "FILE")]
    pub save_sanitised: Option<PathBuf>,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let detail: ReportDetail = api.get(&format!("{}/{}", super::PATH, args.id)).await?;
    if let Some(path) = &args.save_sanitised {
        save(path, &detail.sanitised)?;
    }
    if ctx.json() {
        return output::json(&detail);
    }
    output::stdout(&render(ctx.lang, &detail, args.changed_only));
    if let Some(path) = &args.save_sanitised {
        output::stderr(
            &Text::SanitisedSaved {
                path: path.display().to_string(),
            }
            .text(ctx.lang),
        );
    }
    Ok(())
}

fn save(path: &Path, sanitised: &Value) -> Result<(), CliError> {
    let text = match format_of(path, "") {
        ReportFormat::Json => serde_json::to_string_pretty(sanitised)
            .map(|t| t + "\n")
            .map_err(|e| CliError::Internal {
                detail: e.to_string(),
            })?,
        ReportFormat::Yaml => yaml(sanitised)? + "\n",
    };
    let mut sink = Sink::open(Some(path))?;
    sink.write_all(text.as_bytes())?;
    sink.finish()
}

pub fn render(lang: Lang, d: &ReportDetail, changed_only: bool) -> String {
    let t = |x: Text| x.text(lang);
    let mut out = vec![view::summary(lang, &d.summary), String::new()];
    out.push(t(Text::HeadingStatutory));
    out.extend(view::statutory(lang, &d.statutory));
    out.push(String::new());

    out.push(t(Text::HeadingSideBySide));
    let rows: Vec<Vec<String>> = side_by_side(&d.raw, &d.sanitised)
        .into_iter()
        .filter(|(_, raw, clean)| !changed_only || raw != clean)
        .map(|(field, raw, clean)| {
            let mark = if raw == clean { "" } else { "*" };
            let shown = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
            vec![mark.to_owned(), field, shown(raw), shown(clean)]
        })
        .collect();
    let mut table = view::table(
        vec![
            t(Text::ColChanged),
            t(Text::ColField),
            t(Text::ColRaw),
            t(Text::ColSanitised),
        ],
        rows,
    );
    view::keep_whole(&mut table, &[0, 1]);
    out.push(view::sized(table));
    out.push(String::new());

    out.push(t(Text::HeadingRedactions));
    if d.redactions.is_empty() {
        out.push(t(Text::NoRedactions));
    } else {
        let text = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_owned();
        let rows = d
            .redactions
            .iter()
            .map(|r| {
                let place = match (r["start"].as_u64(), r["end"].as_u64()) {
                    (Some(s), Some(e)) => format!("{} [{s}..{e}]", text(r, "field")),
                    _ => format!("{} {}", text(r, "field"), t(Text::Whole)),
                };
                let replacement = r["replacement"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| "-".to_owned());
                vec![
                    text(r, "rule"),
                    text(r, "action"),
                    place,
                    text(r, "original"),
                    replacement,
                ]
            })
            .collect();
        let mut table = view::table(
            vec![
                t(Text::ColRule),
                t(Text::ColAction),
                t(Text::ColWhere),
                t(Text::ColOriginal),
                t(Text::ColReplacement),
            ],
            rows,
        );
        view::keep_whole(&mut table, &[0, 1, 2]);
        out.push(view::sized(table));
    }
    out.join("\n")
}

/// Every leaf field of either side, in the raw report's order (fields only
/// in the sanitised copy last), with its value on each side.
fn side_by_side(raw: &Value, sanitised: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let mut left = Vec::new();
    leaves(raw, String::new(), &mut left);
    let mut right = Vec::new();
    leaves(sanitised, String::new(), &mut right);
    let right_map: HashMap<&str, &str> = right
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let left_keys: std::collections::HashSet<&str> = left.iter().map(|(k, _)| k.as_str()).collect();
    let mut rows: Vec<(String, Option<String>, Option<String>)> = left
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Some(v.clone()),
                right_map.get(k.as_str()).map(|s| (*s).to_owned()),
            )
        })
        .collect();
    rows.extend(
        right
            .iter()
            .filter(|(k, _)| !left_keys.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), None, Some(v.clone()))),
    );
    rows
}

fn leaves(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, x) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, x) in items.iter().enumerate() {
                leaves(x, format!("{path}[{i}]"), out);
            }
        }
        Value::Null if path.is_empty() => {}
        Value::String(s) => out.push((path, s.clone())),
        other => out.push((path, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_line_up() {
        let raw = json!({ "title": "t", "description": "東都通信の障害", "indicators": [{ "pattern": "a" }, { "pattern": "b" }], "times": { "occurred": "x" } });
        let clean = json!({ "title": "t", "description": "[組織名]の障害", "indicators": [{ "pattern": "b" }], "times": { "occurred": "x" }, "author": "ISAC" });
        let rows = side_by_side(&raw, &clean);
        let row = |f: &str| rows.iter().find(|r| r.0 == f).cloned().unwrap();
        assert_eq!(row("title").1, row("title").2);
        assert_eq!(row("description").2.as_deref(), Some("[組織名]の障害"));
        assert_eq!(row("indicators[1].pattern").2, None);
        assert_eq!(row("author").1, None);
        assert_eq!(rows.last().unwrap().0, "author");
    }
}

//! Writing to the terminal: data on stdout, talk on stderr, tables for people,
//! JSON for scripts.
//!
//! Writes ignore a closed pipe (`isacx profile list | head -1`) instead of
//! panicking the way `println!` would.

use std::io::Write;

use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

use crate::error::CliError;
use crate::i18n::{Lang, Msg};

pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// Pretty JSON on stdout; the one format `--json` promises.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    stdout(&text);
    Ok(())
}

/// A warning goes to stderr in every mode, so `--json` output stays parseable.
pub fn warn(lang: Lang, msg: &Msg) {
    stderr(&format!(
        "{}: {}",
        Msg::LabelWarning.text(lang),
        msg.text(lang)
    ));
}

/// A list with a header row.
pub fn table(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        t.add_row(row);
    }
    t.to_string()
}

/// One record as `label  value` lines.
pub fn record(rows: Vec<(String, String)>) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    for (k, v) in rows {
        t.add_row(vec![k, v]);
    }
    t.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

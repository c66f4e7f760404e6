//! `isacx report new`: a commented template of an incident report.

use std::io::Write;
use std::path::PathBuf;

use isacx_schemas::taxonomy::Taxonomy;
use serde_json::json;

use super::{template, ReportFormat};
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{Lang, Msg};
use crate::output;
use crate::sink::Sink;

/// Write a report template listing the allowed values of each field
///
/// The YAML form explains every field in comments (in --lang) and lists the
/// values the taxonomy allows; the JSON form has the same fields without
/// comments. Every sample value is valid, so the template validates as is.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File format
    #[arg(long, short = 'f', value_enum, default_value = "yaml")]
    pub format: ReportFormat,

    /// Write to this file (atomically) instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let taxonomy = Taxonomy::builtin().map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    let lang: Lang = ctx.lang;
    let text = match args.format {
        ReportFormat::Yaml => template::yaml(lang, &taxonomy),
        ReportFormat::Json => template::json(lang, &taxonomy),
    };
    let Some(path) = &args.output else {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| CliError::OutputFailed {
                path: "stdout".to_owned(),
                detail: e.to_string(),
            });
    };
    let mut sink = Sink::open(Some(path))?;
    sink.write_all(text.as_bytes())?;
    sink.finish()?;
    let shown = path.display().to_string();
    if ctx.json() {
        return output::json(
            &json!({ "written": shown, "format": format!("{:?}", args.format).to_lowercase() }),
        );
    }
    ctx.say(&Msg::ReportTemplateWritten { path: shown });
    Ok(())
}

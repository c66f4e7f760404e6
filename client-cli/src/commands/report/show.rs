//! `isacx report show`: one report, its state, and the statutory check.

use isacx_schemas::api::ReportDetail;
use uuid::Uuid;

use super::text::Text;
use super::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Show one report: state, reason if rejected, statutory check, and the report as submitted
///
/// --json prints everything the server returns.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let detail: ReportDetail = api
        .get(&format!("{}/{}", super::submit::PATH, args.id))
        .await?;
    if ctx.json() {
        return output::json(&detail);
    }
    let lang = ctx.lang;
    let mut out = vec![view::summary(lang, &detail.summary), String::new()];
    out.push(Text::HeadingStatutory.text(lang));
    out.extend(view::statutory(lang, &detail.statutory));
    out.push(String::new());
    out.push(Text::HeadingReport.text(lang));
    out.push(yaml(&detail.raw)?);
    output::stdout(&out.join("\n"));
    Ok(())
}

/// A report as YAML, the form people edit.
pub fn yaml(value: &serde_json::Value) -> Result<String, CliError> {
    serde_norway::to_string(value)
        .map(|t| t.trim_end().to_owned())
        .map_err(|e| CliError::Internal {
            detail: e.to_string(),
        })
}

//! `isacx report submit`: check a report locally, then send it to intake.

use std::path::PathBuf;

use isacx_schemas::api::ReportReceipt;

use super::text::Text;
use super::{load, view};
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

pub const PATH: &str = "/api/v1/reports";

/// Submit an incident report (情報連絡) to the sharing body
///
/// The file (YAML or JSON, as `isacx report new` writes it) is first checked
/// like `isacx report validate`; an invalid report is not sent, and each
/// problem is named by line and field (exit 6). The request carries an
/// Idempotency-Key derived from the report's content, so running the same
/// submit again after a timeout or a lost answer is safe: the server stores
/// the report once and answers with the same receipt.
///
/// The receipt says at once whether the report crosses a statutory reporting
/// threshold (報告を要する重大な事故) and which law sets it. The raw report
/// stays private to your organisation and the sharing body's analysts; only
/// an anonymised copy an analyst approved is ever shared. Operators only
/// (exit 4 for other roles).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report (.yaml, .yml or .json)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let report = load::checked(&args.file)?;
    let key = load::idempotency_key(&report)?;
    let (api, _cred) = ctx.authed_api()?;
    let (receipt, created): (ReportReceipt, bool) =
        api.post_idempotent(PATH, &report, &key).await?;
    if ctx.json() {
        let mut value = serde_json::to_value(&receipt).map_err(|e| CliError::Internal {
            detail: e.to_string(),
        })?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("replayed".into(), serde_json::json!(!created));
            obj.insert("idempotency_key".into(), serde_json::json!(key));
        }
        return output::json(&value);
    }
    let headline = if created {
        Text::Submitted {
            id: receipt.id.to_string(),
            revision: receipt.revision,
        }
    } else {
        Text::SubmitReplayed {
            id: receipt.id.to_string(),
        }
    };
    output::stdout(&view::receipt(ctx.lang, &receipt, &headline, &ctx.cmd()));
    Ok(())
}

//! `isacx advisories create FILE` (analysts): write a draft from a JSON or
//! YAML file in the shape of `POST /api/v1/advisories`.

use std::path::{Path, PathBuf};

use isacx_schemas::advisory::{Advisory, AdvisoryDraft};

use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::{CliError, InputKind};
use crate::output;

/// Write a draft advisory from a file (analysts)
///
/// The file (JSON or YAML) holds title and summary ({en, ja}), urgency,
/// tlp, scope_sectors, affected_sectors, threat_events, risk_sources,
/// products, recommended_actions, reassessment_deadline, reports and
/// indicators, as in the REST API. Publish it with `isacx advisories publish ID`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The draft (.json, .yaml or .yml)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Read a draft file; a shape error is reported like any invalid input.
pub fn read_draft(path: &Path) -> Result<AdvisoryDraft, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::InputUnreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    let parsed = if json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_norway::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|problem| CliError::InputInvalid {
        path: path.to_path_buf(),
        kind: InputKind::Report,
        problems: vec![problem],
    })
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let draft = read_draft(&args.file)?;
    let (api, _) = ctx.authed_api()?;
    let created: Advisory = api.post("/api/v1/advisories", &draft).await?;
    if ctx.json() {
        return output::json(&created);
    }
    output::stdout(
        &AdvMsg::Drafted {
            advisory: created.id.to_string(),
        }
        .text(ctx.lang),
    );
    Ok(())
}

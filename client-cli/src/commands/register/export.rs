//! `isacx register export`: the register as CSV, on stdout or to a file.

use std::path::PathBuf;

use crate::commands::advisories::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Export your risk register as CSV (the import format, plus computed risk values)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let csv = api.get_text("/api/v1/register/export").await?;
    let entries = csv.lines().count().saturating_sub(1);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &csv).map_err(|e| CliError::OutputFailed {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?;
            let target = path.display().to_string();
            if ctx.json() {
                return output::json(&serde_json::json!({ "file": target, "entries": entries }));
            }
            output::stderr(&AdvMsg::Exported { entries, target }.text(ctx.lang));
        }
        // CSV is the data: it goes out as is, with or without --json.
        None => output::stdout(csv.trim_end_matches('\n')),
    }
    Ok(())
}

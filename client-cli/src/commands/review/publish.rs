//! `isacx review publish`: share the sanitised copy with a TLP and a scope.

use isacx_schemas::api::{PublishRequest, ReportSummary};
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::commands::report::text::Text;
use crate::commands::report::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Publish a report's sanitised copy into the shared store (analysts)
///
/// The copy (as `isacx review show` displays it, after any `isacx review
/// edit`) is shared authored by the sharing body, marked with --tlp and
/// visible to the --sectors and --audiences given. The TLP is never below the
/// one the submitter chose: the server refuses, and the refusal is shown with
/// what to do (exit 6). Without --tlp the submitter's TLP is used; without
/// --sectors every sector is in scope; without --audiences the TLP's default.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report's id on the server
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// TLP of the shared copy: clear, green, amber, amber+strict or red
    #[arg(long, value_name = "TLP", value_parser = parse_tlp)]
    pub tlp: Option<Tlp>,

    /// Sectors in scope (comma-separated sector ids) [default: all sectors]
    #[arg(long, value_name = "SECTOR,...", value_delimiter = ',')]
    pub sectors: Vec<String>,

    /// Audiences (comma-separated: members, analysts, liaisons) [default: the TLP's]
    #[arg(long, value_name = "AUDIENCE,...", value_delimiter = ',')]
    pub audiences: Vec<String>,
}

fn parse_tlp(s: &str) -> Result<Tlp, String> {
    s.parse()
        .map_err(|e: isacx_schemas::tlp::UnknownTlp| e.to_string())
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let request = PublishRequest {
        tlp: args.tlp.map(|t| t.as_str().to_owned()),
        sectors: args.sectors,
        audiences: args.audiences,
    };
    let summary: ReportSummary = api
        .post(&format!("{}/{}/publish", super::PATH, args.id), &request)
        .await?;
    if ctx.json() {
        return output::json(&summary);
    }
    let tlp = args
        .tlp
        .map(|t| t.marking_name())
        .unwrap_or_else(|| format!("TLP:{}", summary.tlp.to_ascii_uppercase()));
    view::say(
        ctx,
        &Text::Published {
            id: summary.id.to_string(),
            tlp,
        },
    );
    output::stdout(&view::summary(ctx.lang, &summary));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_spellings() {
        assert_eq!(parse_tlp("green"), Ok(Tlp::Green));
        assert_eq!(parse_tlp("TLP:AMBER+STRICT"), Ok(Tlp::AmberStrict));
        assert!(parse_tlp("purple").is_err());
    }
}

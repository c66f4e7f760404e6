//! `isacx review list`: the review queue.

use isacx_schemas::api::ReportSummary;

use crate::commands::report::list::{path_with_state, StateArg};
use crate::commands::report::text::Text;
use crate::commands::report::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// List reports for review (analysts)
///
/// Newest change first. --state is applied by the server; --sector, --kind
/// and --statutory narrow what it returned. Without filters every report is
/// listed; `--open` shows what still needs a decision (received or in review).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only reports in this state
    #[arg(long, value_enum, value_name = "STATE", conflicts_with = "open")]
    pub state: Option<StateArg>,

    /// Only reports still waiting for a decision (received or in review)
    #[arg(long)]
    pub open: bool,

    /// Only reports of these sectors (comma-separated sector ids)
    #[arg(long, value_name = "SECTOR,...", value_delimiter = ',')]
    pub sector: Vec<String>,

    /// Only reports of these kinds (comma-separated: incident, precursor, near_miss)
    #[arg(long, value_name = "KIND,...", value_delimiter = ',')]
    pub kind: Vec<String>,

    /// Only reports that cross a statutory reporting threshold
    #[arg(long)]
    pub statutory: bool,
}

impl Args {
    fn admits(&self, s: &ReportSummary) -> bool {
        use isacx_schemas::api::ReportState as S;
        (!self.open || matches!(s.state, S::Received | S::InReview))
            && (self.sector.is_empty() || self.sector.contains(&s.sector))
            && (self.kind.is_empty() || self.kind.contains(&s.kind))
            && (!self.statutory || s.statutory_reportable)
    }
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let all: Vec<ReportSummary> = api.get(&path_with_state(super::PATH, args.state)).await?;
    let total = all.len();
    let list: Vec<ReportSummary> = all.into_iter().filter(|s| args.admits(s)).collect();
    if ctx.json() {
        return output::json(&list);
    }
    if list.is_empty() {
        view::say(ctx, &Text::NoReports);
        return Ok(());
    }
    output::stdout(&view::summaries(ctx.lang, &list));
    if list.len() != total {
        output::stderr(
            &Text::Listed {
                shown: list.len(),
                total,
            }
            .text(ctx.lang),
        );
    }
    Ok(())
}

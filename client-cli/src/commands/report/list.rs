//! `isacx report list`: your organisation's reports and where they stand.

use isacx_schemas::api::{ReportState, ReportSummary};

use super::text::Text;
use super::view;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// List the reports you may see: your organisation's (all of them for analysts)
///
/// Newest change first. A rejected report shows the analyst's reason with
/// `isacx report show ID`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only reports in this state
    #[arg(long, value_enum, value_name = "STATE")]
    pub state: Option<StateArg>,
}

/// A report state, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StateArg {
    Received,
    InReview,
    Published,
    Rejected,
    Withdrawn,
}

impl From<StateArg> for ReportState {
    fn from(s: StateArg) -> ReportState {
        match s {
            StateArg::Received => ReportState::Received,
            StateArg::InReview => ReportState::InReview,
            StateArg::Published => ReportState::Published,
            StateArg::Rejected => ReportState::Rejected,
            StateArg::Withdrawn => ReportState::Withdrawn,
        }
    }
}

/// `base` with the server-side state filter.
pub fn path_with_state(base: &str, state: Option<StateArg>) -> String {
    match state {
        Some(s) => format!("{base}?state={}", ReportState::from(s).as_str()),
        None => base.to_owned(),
    }
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let list: Vec<ReportSummary> = api
        .get(&path_with_state(super::submit::PATH, args.state))
        .await?;
    if ctx.json() {
        return output::json(&list);
    }
    if list.is_empty() {
        view::say(ctx, &Text::NoReports);
        return Ok(());
    }
    output::stdout(&view::summaries(ctx.lang, &list));
    Ok(())
}

//! `isacx advisories …`: read the advisories (情報提供) you may see, and
//! answer an urgent reassessment request (緊急のリスクアセスメント).

pub mod ack;
pub mod create;
pub mod list;
pub mod msg;
pub mod publish;
pub mod reassess;
pub mod show;

use isacx_schemas::advisory::{MatchReason, ReassessmentTask};
use isacx_schemas::error::{ErrorCode, ProblemDetails};
use uuid::Uuid;

use crate::client::Api;
use crate::context::Ctx;
use crate::error::CliError;

/// Read advisories and answer reassessment requests; analysts also write and publish them
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    List(list::Args),
    Show(show::Args),
    Ack(ack::Args),
    Reassess(reassess::Args),
    Create(create::Args),
    Publish(publish::PublishArgs),
    Amend(publish::AmendArgs),
    Withdraw(publish::WithdrawArgs),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::List(args) => list::run(args, ctx).await,
        Command::Show(args) => show::run(args, ctx).await,
        Command::Ack(args) => ack::run(args, ctx).await,
        Command::Reassess(args) => reassess::run(args, ctx).await,
        Command::Create(args) => create::run(args, ctx).await,
        Command::Publish(args) => publish::publish(args, ctx).await,
        Command::Amend(args) => publish::amend(args, ctx).await,
        Command::Withdraw(args) => publish::withdraw(args, ctx).await,
    }
}

/// Your organisation's task for an advisory, if one was requested.
pub async fn own_task(api: &Api, advisory: Uuid) -> Result<Option<ReassessmentTask>, CliError> {
    let tasks: Vec<ReassessmentTask> = api
        .get(&format!("/api/v1/reassessments?advisory={advisory}"))
        .await?;
    Ok(tasks.into_iter().next())
}

/// Like a 404 from the server: no task for this advisory.
pub fn no_task(api: &Api, advisory: Uuid) -> CliError {
    CliError::Problem {
        problem: Box::new(ProblemDetails::new(
            ErrorCode::NotFound,
            format!("no reassessment of advisory {advisory} is requested of your organisation"),
        )),
        retry_after: None,
        ctx: api.ctx().clone(),
    }
}

/// One reason in a line.
pub fn reason_text(r: &MatchReason) -> String {
    match r {
        MatchReason::Sector { sector } => format!("sector {sector}"),
        MatchReason::Product {
            advisory_product,
            technology,
        } => format!("product {technology} ~ {advisory_product}"),
        MatchReason::ThreatEvent {
            advisory_threat_event,
            entry_threat_event,
        } => format!("threat {entry_threat_event} ~ {advisory_threat_event}"),
        MatchReason::RiskSource { risk_source } => format!("risk source {risk_source}"),
    }
}

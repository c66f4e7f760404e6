//! `isacx review …`: the analysts' side of intake — the review queue, the
//! anonymised preview beside the raw report, edits, publication and rejection.

pub mod edit;
pub mod list;
pub mod publish;
pub mod reject;
pub mod show;

use crate::context::Ctx;
use crate::error::CliError;

/// Review submitted reports and publish their anonymised copies (analysts)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    List(list::Args),
    Show(show::Args),
    Edit(edit::Args),
    Publish(publish::Args),
    Reject(reject::Args),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::List(args) => list::run(args, ctx).await,
        Command::Show(args) => show::run(args, ctx).await,
        Command::Edit(args) => edit::run(args, ctx).await,
        Command::Publish(args) => publish::run(args, ctx).await,
        Command::Reject(args) => reject::run(args, ctx).await,
    }
}

pub const PATH: &str = "/api/v1/review";

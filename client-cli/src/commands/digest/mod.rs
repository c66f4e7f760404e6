//! `isacx digest …`: the liaison digests (anonymised summaries by sector and
//! threat) — the archive of scheduled ones, and one for any period on demand.
//! Liaisons, analysts and admins.

pub mod get;
pub mod list;
pub mod msg;

use crate::context::Ctx;
use crate::error::CliError;

/// Liaison digests: anonymised summaries by sector and threat (liaisons, analysts)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Get(get::Args),
    List(list::Args),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::Get(args) => get::run(args, ctx).await,
        Command::List(args) => list::run(args, ctx).await,
    }
}

/// A scheduled period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    Daily,
    Weekly,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
        }
    }
}

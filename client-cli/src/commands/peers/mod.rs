//! `isacx peers …`: the federation with other sharing bodies' servers (admins).

pub mod status;
pub mod sync;

use crate::context::Ctx;
use crate::error::CliError;

/// Federation peers: other sharing bodies' servers (administrators)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Status(status::Args),
    Sync(sync::Args),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::Status(args) => status::run(args, ctx).await,
        Command::Sync(args) => sync::run(args, ctx).await,
    }
}

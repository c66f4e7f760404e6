//! `isacx register …`: your organisation's risk register (handbook 様式６) as CSV.

pub mod export;
pub mod import;

use crate::context::Ctx;
use crate::error::CliError;

/// Import or export your risk register (様式６) as CSV
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Import(import::Args),
    Export(export::Args),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::Import(args) => import::run(args, ctx).await,
        Command::Export(args) => export::run(args, ctx).await,
    }
}

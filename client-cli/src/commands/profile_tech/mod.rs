//! `isacx profile-tech …`: the technologies your organisation uses, which
//! advisories are matched against (CPE 2.3 or vendor:product[:version]).

pub mod add;
pub mod list;
pub mod remove;

use crate::context::Ctx;
use crate::error::CliError;

/// List, add or remove the technologies your organisation uses
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    List(list::Args),
    Add(add::Args),
    Remove(remove::Args),
}

pub const PATH: &str = "/api/v1/profile/technologies";

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::List(args) => list::run(args, ctx).await,
        Command::Add(args) => add::run(args, ctx).await,
        Command::Remove(args) => remove::run(args, ctx).await,
    }
}

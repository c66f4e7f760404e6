//! `isacx report …`: write and check incident reports (情報連絡) offline,
//! submit them, and follow them through review.

pub mod amend;
pub mod followup;
pub mod list;
pub mod load;
pub mod locate;
pub mod new;
pub mod show;
pub mod submit;
pub mod template;
pub mod text;
pub mod validate;
pub mod view;
pub mod withdraw;

use crate::context::Ctx;
use crate::error::CliError;

/// Write, check, submit and follow incident reports (情報連絡)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    New(new::Args),
    Validate(validate::Args),
    Submit(submit::Args),
    List(list::Args),
    Show(show::Args),
    Amend(amend::Args),
    Withdraw(withdraw::Args),
    #[command(subcommand)]
    Followup(followup::Command),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::New(args) => new::run(args, ctx),
        Command::Validate(args) => validate::run(args, ctx),
        Command::Submit(args) => submit::run(args, ctx).await,
        Command::List(args) => list::run(args, ctx).await,
        Command::Show(args) => show::run(args, ctx).await,
        Command::Amend(args) => amend::run(args, ctx).await,
        Command::Withdraw(args) => withdraw::run(args, ctx).await,
        Command::Followup(cmd) => followup::run(cmd, ctx).await,
    }
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Yaml,
    Json,
}

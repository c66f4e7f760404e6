//! `isacx report …`: write and check incident reports (情報連絡) offline.

pub mod locate;
pub mod new;
pub mod template;
pub mod validate;

use crate::context::Ctx;
use crate::error::CliError;

/// Write and check incident reports (情報連絡) before submitting them
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    New(new::Args),
    Validate(validate::Args),
}

pub fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::New(args) => new::run(args, ctx),
        Command::Validate(args) => validate::run(args, ctx),
    }
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Yaml,
    Json,
}

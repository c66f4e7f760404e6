//! `isacx indicators …`: pull indicators into your own tooling, push your own.

pub mod format;
pub mod pull;
pub mod push;

use crate::context::Ctx;
use crate::error::CliError;

/// Pull indicators from the exchange, or push your own (TAXII 2.1)
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Pull(pull::Args),
    Push(push::Args),
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::Pull(args) => pull::run(args, ctx).await,
        Command::Push(args) => push::run(args, ctx).await,
    }
}

/// The TAXII objects endpoint of a collection (by alias or id).
pub fn objects_path(collection: &str) -> String {
    format!("/taxii2/api/collections/{collection}/objects/")
}

/// Collection aliases and ids are plain; refuse anything that would change the URL.
pub fn collection_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(s.to_owned())
    } else {
        Err("use the collection's alias (e.g. all-sectors, sector-electricity) or id".to_owned())
    }
}

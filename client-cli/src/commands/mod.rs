//! One module per subcommand; this file only dispatches.

pub mod advisories;
pub mod completions;
pub mod digest;
pub mod indicators;
pub mod login;
pub mod logout;
pub mod peers;
pub mod profile;
pub mod profile_tech;
pub mod register;
pub mod report;
pub mod review;
pub mod watch;
pub mod whoami;

use crate::cli::Command;
use crate::context::Ctx;
use crate::error::CliError;

pub async fn run(command: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match command {
        Command::Login(args) => login::run(args, ctx).await,
        Command::Logout(args) => logout::run(args, ctx).await,
        Command::Whoami(args) => whoami::run(args, ctx).await,
        Command::Profile(cmd) => profile::run(cmd, ctx),
        Command::Indicators(cmd) => indicators::run(cmd, ctx).await,
        Command::Report(cmd) => report::run(cmd, ctx).await,
        Command::Review(cmd) => review::run(cmd, ctx).await,
        Command::Advisories(cmd) => advisories::run(cmd, ctx).await,
        Command::Register(cmd) => register::run(cmd, ctx).await,
        Command::ProfileTech(cmd) => profile_tech::run(cmd, ctx).await,
        Command::Watch(args) => watch::run(args, ctx).await,
        Command::Peers(cmd) => peers::run(cmd, ctx).await,
        Command::Digest(cmd) => digest::run(cmd, ctx).await,
        // Handled before the config is loaded: a broken config must not stop
        // a shell from loading its completions.
        Command::Completions(args) => completions::run(&args),
    }
}

/// Reads one line from standard input for `--password-stdin` and
/// `--api-key-stdin`, dropping only the line ending (a password may end in a space).
pub(crate) fn read_stdin_line() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::StdinFailed {
            detail: e.to_string(),
        })?;
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(line)
}

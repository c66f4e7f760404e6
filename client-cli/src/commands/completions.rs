//! `isacx completions <shell>`: shell completion scripts, generated from the
//! same clap definition so they never drift from the real flags.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::CliError;

/// Print a shell completion script
///
/// For example: `isacx completions bash > /etc/bash_completion.d/isacx`, or
/// `isacx completions zsh > "${fpath[1]}/_isacx"`. The script is printed as is,
/// also with --json.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "isacx", &mut buf);
    let text = String::from_utf8(buf).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    crate::output::stdout(text.trim_end());
    Ok(())
}

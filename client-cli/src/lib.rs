//! `isacx`, the command-line client of the isacx exchange.
//!
//! Layout: [`cli`] defines the command line, [`commands`] holds one module per
//! subcommand, [`context`] resolves profile, server and credentials,
//! [`client`] speaks HTTPS, [`error`] and [`i18n`] turn failures into advice in
//! English or Japanese, and [`exit`] documents the exit codes.

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod context;
pub mod error;
pub mod exit;
pub mod i18n;
pub mod output;
pub mod sink;
pub mod state;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::error::CliError;
use crate::exit::Exit;
use crate::i18n::Lang;

/// Runs the client and returns the documented exit status.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        // A bug, never a user error; still no backtrace dump for the user.
        output::stderr(&format!(
            "isacx: internal error (a bug, please report it): {info}\nisacx: 内部エラー(不具合です。報告をお願いします)"
        ));
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version come this way too, with status 0.
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Ok.into()
            };
        }
    };
    let lang = Lang::detect(cli.global.lang, |k| std::env::var(k).ok());
    match run(cli, lang) {
        Ok(()) => Exit::Ok.into(),
        Err((err, json)) => {
            if json {
                let text = serde_json::to_string_pretty(&err.to_json(lang)).unwrap_or_default();
                output::stdout(&text);
            }
            output::stderr(&err.to_human(lang));
            err.exit().into()
        }
    }
}

/// Returns the error with whether it should also go out as JSON.
fn run(cli: Cli, lang: Lang) -> Result<(), (CliError, bool)> {
    let json_flag = cli.global.json;
    if let Command::Completions(args) = &cli.command {
        return commands::completions::run(args).map_err(|e| (e, json_flag));
    }
    let mut ctx = Ctx::load(cli.global, lang).map_err(|e| (e, json_flag))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            (
                CliError::Internal {
                    detail: e.to_string(),
                },
                json_flag,
            )
        })?;
    let result = runtime.block_on(commands::run(cli.command, &mut ctx));
    result.map_err(|e| (e, ctx.json()))
}

//! The command line: global flags and the subcommand tree.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use reqwest::Url;

use crate::client::parse_server_url;
use crate::commands::{advisories, completions, digest, indicators, login, logout, peers, profile, profile_tech, register, report, review, watch, whoami};
use crate::exit::EXIT_CODES_HELP;
use crate::i18n::Lang;

const ABOUT: &str = "Client of isacx, the information-sharing exchange of Japan's critical-infrastructure sharing bodies";

const LONG_ABOUT: &str = "\
Client of isacx, the information-sharing exchange of Japan's critical-infrastructure \
sharing bodies (ISACs, CEPTOARs and their council).

A profile names one isacx server and how to reach it; `isacx login` stores a session \
for it. Profiles live in config.toml, secrets in credentials.toml beside it (mode 0600).";

const AFTER_LONG_HELP: &str = "\
Quick start:
  isacx profile add prod --server https://isac.example.jp:8443 --ca-file ca.pem -u alice
  isacx login
  isacx whoami
  isacx indicators pull --format ip -o blocklist.txt
  isacx report new --lang ja -o report.yaml && isacx report validate report.yaml
  isacx report submit report.yaml
  isacx review list --open        # analysts
  isacx watch --json | your-alerting-tool

Environment:
  ISACX_PROFILE, ISACX_SERVER, ISACX_CA_FILE, ISACX_CONFIG stand in for the flags of the
  same name. Messages follow --lang, else LC_ALL, LC_MESSAGES or LANG (ja* = Japanese).

Output:
  Tables for people; --json prints JSON on stdout for every command (errors too, as
  {\"error\": {\"code\", \"exit_code\", \"message\", \"hint\"}}). Messages and warnings go
  to stderr.

";

fn server_url(s: &str) -> Result<Url, String> {
    parse_server_url(s)
}

#[derive(Debug, Parser)]
#[command(
    name = "isacx",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = after_help_text(),
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// `AFTER_LONG_HELP` followed by the exit-code table.
fn after_help_text() -> String {
    format!("{AFTER_LONG_HELP}{EXIT_CODES_HELP}")
}

/// Flags every subcommand accepts, before or after its name.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile to use [default: the current profile, else `default`]
    #[arg(
        long,
        global = true,
        env = "ISACX_PROFILE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// Server address, https://HOST[:PORT]; overrides the profile's
    #[arg(long, global = true, env = "ISACX_SERVER", hide_env_values = true, value_name = "URL", value_parser = server_url)]
    pub server: Option<Url>,

    /// PEM file of the server's CA, trusted besides the system's CAs; overrides the profile's
    #[arg(
        long,
        global = true,
        env = "ISACX_CA_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub ca_file: Option<PathBuf>,

    /// Print JSON on stdout (results and errors) for scripts
    #[arg(long, global = true)]
    pub json: bool,

    /// Language of messages [default: from LC_ALL, LC_MESSAGES or LANG]
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<Lang>,

    /// Config file [default: <config dir>/isacx/config.toml]; credentials.toml sits beside it
    #[arg(
        long,
        global = true,
        env = "ISACX_CONFIG",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Login(login::Args),
    Logout(logout::Args),
    Whoami(whoami::Args),
    #[command(subcommand)]
    Profile(profile::Command),
    #[command(subcommand)]
    Indicators(indicators::Command),
    #[command(subcommand)]
    Report(report::Command),
    #[command(subcommand)]
    Review(review::Command),
    #[command(subcommand)]
    Advisories(advisories::Command),
    #[command(subcommand)]
    Register(register::Command),
    #[command(subcommand)]
    ProfileTech(profile_tech::Command),
    Watch(watch::Args),
    #[command(subcommand)]
    Peers(peers::Command),
    #[command(subcommand)]
    Digest(digest::Command),
    Completions(completions::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command's `--help`, at a fixed width so snapshots do not depend on
    /// the terminal.
    fn all_help(cmd: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        let rendered = cmd.render_long_help().to_string();
        out.push((path.to_owned(), rendered));
        for sub in cmd.get_subcommands_mut() {
            if sub.get_name() == "help" {
                continue;
            }
            let sub_path = format!("{path} {}", sub.get_name());
            all_help(sub, &sub_path, out);
        }
    }

    #[test]
    fn help_snapshots() {
        let mut cmd = Cli::command().term_width(100);
        cmd.build();
        let mut helps = Vec::new();
        all_help(&mut cmd, "isacx", &mut helps);
        assert!(helps.len() >= 28, "{}", helps.len());
        for (path, text) in helps {
            let name = path.replace(' ', "_");
            insta::assert_snapshot!(name, text, &path);
        }
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "isacx",
            "whoami",
            "--profile",
            "prod",
            "--json",
            "--lang",
            "ja",
            "--server",
            "https://isac.example.jp:8443",
        ])
        .unwrap();
        assert_eq!(cli.global.profile.as_deref(), Some("prod"));
        assert!(cli.global.json);
        assert_eq!(cli.global.lang, Some(Lang::Ja));
        assert!(matches!(cli.command, Command::Whoami(_)));
    }

    #[test]
    fn plain_http_is_refused_at_parse_time() {
        let err = Cli::try_parse_from(["isacx", "--server", "http://isac.example.jp", "whoami"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("https"), "{err}");
    }
}

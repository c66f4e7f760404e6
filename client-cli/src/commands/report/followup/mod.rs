//! `isacx report followup …`: pseudonymous follow-up on published reports.
//!
//! A member asks the submitter of a report it received a question, or adds
//! a sighting, by the shared id (the `report--…` or `incident--…` of the
//! STIX it pulled); the submitter answers. Each side sees the other only as
//! the thread's pseudonym, and every text is anonymised with its author's
//! organisation profile before the other side sees it.

pub mod text;
pub mod view;

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use isacx_schemas::followup::{FollowupKind, FollowupThread, NewFollowup, NewFollowupMessage, SightedObservable, Sighting, OBSERVABLE_TYPES};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::CliError;
use crate::output;
use text::FText;

pub const PATH: &str = "/api/v1/followups";

/// Ask the submitter of a published report, add a sighting, answer, follow threads
///
/// The other side never learns who you are: the submitter sees the asker as a
/// pseudonym of the thread (`member-…`), the asker sees "submitter", and each
/// text is anonymised with the author's organisation profile (names, domains,
/// internal addresses, people, e-mail addresses) before it is shared. The
/// sharing body's analysts see both sides. Operators post; a report you may
/// not read is "not found" (exit 5).
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Ask(AskArgs),
    Sighting(SightingArgs),
    Answer(AnswerArgs),
    List(ListArgs),
    Show(ShowArgs),
}

/// The text of a message: given inline, or read from a file (`-` = standard input).
#[derive(Debug, clap::Args)]
pub struct TextArgs {
    /// The text
    #[arg(value_name = "TEXT", conflicts_with = "text_file")]
    pub text: Option<String>,

    /// Read the text from this file (`-` for standard input)
    #[arg(long, value_name = "PATH")]
    pub text_file: Option<PathBuf>,
}

impl TextArgs {
    fn read(&self) -> Result<String, CliError> {
        match (&self.text, &self.text_file) {
            (Some(t), _) => Ok(t.clone()),
            (None, Some(path)) if path.as_os_str() == "-" => {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|e| CliError::InputUnreadable { path: path.clone(), detail: e.to_string() })?;
                Ok(text)
            }
            (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| CliError::InputUnreadable { path: path.clone(), detail: e.to_string() }),
            (None, None) => Ok(String::new()),
        }
    }
}

/// Ask the submitter of a published report a question
///
/// REPORT is the shared id you received (`report--…` or `incident--…`).
/// Asking again on the same report continues your organisation's thread.
#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The shared id of the published report
    #[arg(value_name = "REPORT")]
    pub report: String,
    #[command(flatten)]
    pub text: TextArgs,
}

/// Tell the submitter you saw the same activity: how often, when, which values
///
/// Values naming your own side (your hosts and ranges, private addresses)
/// are left out of what the submitter gets; the attacker's stay.
#[derive(Debug, clap::Args)]
pub struct SightingArgs {
    /// The shared id of the published report
    #[arg(value_name = "REPORT")]
    pub report: String,
    #[command(flatten)]
    pub text: TextArgs,
    /// How many times you saw it
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    /// When you first saw it (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub first_seen: Option<DateTime<Utc>>,
    /// When you last saw it (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub last_seen: Option<DateTime<Utc>>,
    /// A value you saw, TYPE:VALUE (ipv4-addr, ipv6-addr, domain-name, url, email-addr, file-sha256); repeatable
    #[arg(long = "observable", value_name = "TYPE:VALUE", value_parser = observable)]
    pub observables: Vec<SightedObservable>,
}

fn observable(text: &str) -> Result<SightedObservable, String> {
    let (kind, value) = text.split_once(':').ok_or_else(|| format!("`{text}` is not TYPE:VALUE"))?;
    if !OBSERVABLE_TYPES.contains(&kind) {
        return Err(format!("`{kind}` is not one of {}", OBSERVABLE_TYPES.join(", ")));
    }
    Ok(SightedObservable { kind: kind.to_owned(), value: value.to_owned() })
}

/// Answer a follow-up on your organisation's report
#[derive(Debug, clap::Args)]
pub struct AnswerArgs {
    /// The thread's id (`isacx report followup list`)
    #[arg(value_name = "THREAD")]
    pub thread: Uuid,
    #[command(flatten)]
    pub text: TextArgs,
}

/// List the follow-up threads you take part in (analysts: all), newest first
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only threads on this report (its shared id; submitters may give their own report id)
    #[arg(long, value_name = "REPORT")]
    pub report: Option<String>,
}

/// Show one thread: every message as you may see it
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The thread's id
    #[arg(value_name = "THREAD")]
    pub thread: Uuid,
}

pub async fn run(cmd: Command, ctx: &mut Ctx) -> Result<(), CliError> {
    match cmd {
        Command::Ask(args) => {
            let body = NewFollowup { report: args.report, kind: FollowupKind::Question, text: args.text.read()?, sighting: None };
            {
                let thread = api_post(ctx, PATH, &body).await?;
                sent(ctx, thread)
            }
        }
        Command::Sighting(args) => {
            let sighting = Sighting { count: args.count, first_seen: args.first_seen, last_seen: args.last_seen, observables: args.observables };
            let body = NewFollowup { report: args.report, kind: FollowupKind::Sighting, text: args.text.read()?, sighting: Some(sighting) };
            {
                let thread = api_post(ctx, PATH, &body).await?;
                sent(ctx, thread)
            }
        }
        Command::Answer(args) => {
            let body = NewFollowupMessage { kind: FollowupKind::Answer, text: args.text.read()?, sighting: None };
            {
                let thread = api_post(ctx, &format!("{PATH}/{}/messages", args.thread), &body).await?;
                sent(ctx, thread)
            }
        }
        Command::List(args) => {
            let (api, _cred) = ctx.authed_api()?;
            let path = match &args.report {
                Some(r) => format!("{PATH}?report={}", urlencoding(r)),
                None => PATH.to_owned(),
            };
            let list: Vec<FollowupThread> = api.get(&path).await?;
            if ctx.json() {
                return output::json(&list);
            }
            if list.is_empty() {
                output::stdout(&FText::NoThreads.text(ctx.lang));
                return Ok(());
            }
            output::stdout(&view::threads(ctx.lang, &list));
            Ok(())
        }
        Command::Show(args) => {
            let (api, _cred) = ctx.authed_api()?;
            let thread: FollowupThread = api.get(&format!("{PATH}/{}", args.thread)).await?;
            if ctx.json() {
                return output::json(&thread);
            }
            output::stdout(&view::thread(ctx.lang, &thread));
            Ok(())
        }
    }
}

async fn api_post<B: serde::Serialize>(ctx: &mut Ctx, path: &str, body: &B) -> Result<FollowupThread, CliError> {
    let (api, _cred) = ctx.authed_api()?;
    api.post(path, body).await
}

/// After a post: the thread (JSON), or what was sent and how it was shared.
fn sent(ctx: &Ctx, thread: FollowupThread) -> Result<(), CliError> {
    if ctx.json() {
        return output::json(&thread);
    }
    let lang = ctx.lang;
    let mut out = Vec::new();
    let last = thread.messages.last();
    out.push(match last.map(|m| m.kind) {
        Some(FollowupKind::Answer) => FText::Answered { thread: thread.id.to_string() }.text(lang),
        _ => FText::Sent { thread: thread.id.to_string(), pseudonym: thread.asker.clone() }.text(lang),
    });
    if let Some(m) = last {
        out.push(FText::SharedAs.text(lang));
        out.push(view::indent(m.shared_text.as_deref().unwrap_or(&m.text)));
        if let Some(s) = m.shared_sighting.as_ref() {
            out.extend(view::sighting(lang, s));
        }
        if !m.redactions.is_empty() {
            out.push(FText::Removed { count: m.redactions.len() }.text(lang));
        }
    }
    out.push(FText::Next { cmd: ctx.cmd(), thread: thread.id.to_string() }.text(lang));
    output::stdout(&out.join("\n"));
    Ok(())
}

/// Percent-encodes a query value (shared ids are plain, a submitter's own id too; this keeps anything else intact).
fn urlencoding(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

//! `isacx indicators pull`: page through a TAXII collection with
//! `added_after` and write what arrives, page by page.
//!
//! The cursor (the last page's `X-TAXII-Date-Added-Last`) is kept per profile
//! and collection in `state.toml`, and moves only once what it covers is
//! durably written: after each flushed page on standard output, and after
//! the atomic rename with `--output` (a partial file is never left, so an
//! interrupted pull repeats in full next time). The server gives every stored
//! object version its own `date_added`, so starting strictly after the cursor
//! leaves no gap and repeats nothing.

use std::io::IsTerminal;
use std::path::PathBuf;

use isacx_schemas::taxii::TaxiiTimestamp;
use serde::Deserialize;
use serde_json::{json, Value};

use super::format::{Format, Writer};
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;
use crate::sink::Sink;
use crate::state::{self, State};

/// Pull objects from a collection, continuing where the last pull stopped
///
/// Pages through the collection with TAXII `added_after`. The first pull of a
/// collection starts at its beginning (or at --since); each later one only
/// fetches what was added since. Output goes to standard output, or with
/// --output to a file written atomically. The plain lists (ip, domain, url,
/// hash) hold the values of simple indicator patterns and observables,
/// without repeats, leaving out revoked and expired indicators.
///
/// The cursor moves after each page written to standard output, and only
/// once the file is complete with --output: an interrupted pull to a file
/// leaves no file and is repeated in full next time. With --json, a summary
/// goes to standard output when --output is given (otherwise standard output
/// is the data). The progress bar shows only on a terminal.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Collection alias or id
    #[arg(long, short = 'c', default_value = "all-sectors", value_name = "ALIAS", value_parser = super::collection_name)]
    pub collection: String,

    /// Start after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z) instead of the saved cursor
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_since)]
    pub since: Option<TaxiiTimestamp>,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value = "stix")]
    pub format: Format,

    /// Write to this file (atomically) instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only these object types (comma-separated), e.g. indicator,ipv4-addr
    #[arg(long = "type", value_name = "TYPE,...", value_delimiter = ',')]
    pub types: Vec<String>,

    /// Objects per request
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
}

fn parse_since(s: &str) -> Result<TaxiiTimestamp, String> {
    TaxiiTimestamp::parse(s).map_err(|e| e.to_string())
}

/// The parts of a TAXII envelope a pull needs.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    objects: Vec<Value>,
}

pub const DATE_ADDED_LAST: &str = "x-taxii-date-added-last";

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let server = api.ctx().server.clone();
    let profile = ctx.profile_name();
    let state_path = state::path(&ctx.paths);
    let saved = State::load(&state_path)?
        .cursor(&profile, &args.collection, &server)
        .map(|c| c.added_after.clone());
    let start = args
        .since
        .as_ref()
        .map(ToString::to_string)
        .or(saved.clone());

    let progress = (std::io::stderr().is_terminal() && !ctx.json()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} {msg} ({per_sec}, {elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(Msg::PulledProgress.text(ctx.lang));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });

    let mut sink = Sink::open(args.output.as_deref())?;
    let mut writer = Writer::new(args.format);
    writer.begin(&mut sink)?;
    let path = super::objects_path(&args.collection);
    let mut after = start.clone();
    let mut advanced: Option<String> = None;
    let (mut pages, mut objects) = (0u64, 0u64);
    loop {
        let mut query = vec![("limit", args.limit.to_string())];
        if let Some(a) = &after {
            query.push(("added_after", a.clone()));
        }
        if !args.types.is_empty() {
            query.push(("match[type]", args.types.join(",")));
        }
        let resp = api.taxii_get(&path, &query).await?;
        let last = resp
            .headers()
            .get(DATE_ADDED_LAST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = api.body_bytes(resp).await?;
        let page: Envelope =
            serde_json::from_slice(&body).map_err(|e| CliError::UnreadableAnswer {
                detail: e.to_string(),
                ctx: api.ctx().clone(),
            })?;
        drop(body);
        pages += 1;
        if page.objects.is_empty() {
            break;
        }
        let Some(last) = last else {
            return Err(CliError::UnreadableAnswer {
                detail: format!("a page of objects came without {DATE_ADDED_LAST}"),
                ctx: api.ctx().clone(),
            });
        };
        for object in &page.objects {
            writer.object(object, &mut sink)?;
        }
        objects += page.objects.len() as u64;
        sink.end_page()?;
        if sink.durable_per_page() {
            State::advance(&state_path, &profile, &args.collection, &server, &last)?;
        }
        if let Some(bar) = &progress {
            bar.inc(page.objects.len() as u64);
        }
        after = Some(last.clone());
        advanced = Some(last);
        if !page.more {
            break;
        }
    }
    writer.end(&mut sink)?;
    let target = sink.name();
    let saved_per_page = sink.durable_per_page();
    sink.finish()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    // A file counts as written only once renamed into place.
    if let (false, Some(last)) = (saved_per_page, &advanced) {
        State::advance(&state_path, &profile, &args.collection, &server, last)?;
    }

    let cursor = advanced.clone().or(saved);
    if ctx.json() {
        // Standard output carries the data unless it went to a file.
        if target.is_some() {
            output::json(&json!({
                "collection": args.collection,
                "format": format!("{:?}", args.format).to_lowercase(),
                "output": target,
                "pages": pages,
                "objects": objects,
                "written": writer.written,
                "started_after": start,
                "cursor": cursor,
            }))?;
        }
        return Ok(());
    }
    let lang = ctx.lang;
    output::stderr(
        &Msg::Pulled {
            objects,
            written: writer.written,
            pages,
            collection: args.collection.clone(),
            target: target.unwrap_or_else(|| Msg::StandardOutput.text(lang)),
        }
        .text(lang),
    );
    output::stderr(
        &match &advanced {
            Some(c) => Msg::CursorNow { cursor: c.clone() },
            None => Msg::CursorUnchanged,
        }
        .text(lang),
    );
    Ok(())
}

//! `isacx watch`: follow your notifications as they happen, over the
//! server's event stream (server-sent events). The stream is resumed with
//! `Last-Event-ID` after any interruption, so nothing is missed or shown
//! twice; e-mail may be down during an attack, this channel need not be.

use std::time::Duration;

use futures_util::StreamExt;
use isacx_schemas::notify::Notification;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang, Msg};
use crate::output;

pub const PATH: &str = "/api/v1/notifications/stream";

/// Follow your notifications (new advisories, reminders) as they arrive
///
/// Prints one line per notification (with --json: one JSON object per line,
/// for piping into other tools). If the connection drops, watch reconnects
/// and resumes where it stopped. Filters and channels are set with
/// PUT /api/v1/notifications/settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Resume after this event id (an `event_id` printed earlier) instead of starting with what comes next
    #[arg(long, value_name = "EVENT_ID")]
    pub since: Option<i64>,

    /// Stop after this many notifications
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Seconds of silence (no event, no keep-alive) after which the connection is taken as lost
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub idle_timeout: u64,
}

/// One `--json` line.
#[derive(Debug, Serialize)]
struct Line<'a> {
    event_id: &'a str,
    #[serde(flatten)]
    notification: &'a Notification,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let json = ctx.json();
    let lang = ctx.lang;
    let mut last_event_id = args.since.map(|n| n.to_string());
    let mut seen: u64 = 0;
    let mut connected_once = false;
    let mut delay = 1_u64;
    let idle = Duration::from_secs(args.idle_timeout.max(1));
    loop {
        let response = match api.event_stream(PATH, last_event_id.as_deref()).await {
            Ok(r) => r,
            // Rejected credentials, a missing permission, bad input: retrying will not help.
            Err(e @ CliError::Problem { .. }) => return Err(e),
            Err(e) if !connected_once => return Err(e),
            Err(e) => {
                output::stderr(
                    &Msg::WatchReconnecting {
                        secs: delay,
                        detail: e.to_human(lang),
                    }
                    .text(lang),
                );
                tokio::time::sleep(Duration::from_secs(delay)).await;
                delay = (delay * 2).min(30);
                continue;
            }
        };
        if !connected_once && !json {
            output::stderr(
                &Msg::WatchConnected {
                    server: api.ctx().server.clone(),
                }
                .text(lang),
            );
        }
        connected_once = true;
        delay = 1;
        let mut events = eventsource_stream::Eventsource::eventsource(response.bytes_stream());
        let interruption = loop {
            let next = match tokio::time::timeout(idle, events.next()).await {
                Err(_) => break format!("no data for {} s", idle.as_secs()),
                Ok(None) => break "closed by the server".to_owned(),
                Ok(Some(Err(e))) => break e.to_string(),
                Ok(Some(Ok(event))) => event,
            };
            if next.data.is_empty() {
                continue;
            }
            let Ok(notification) = serde_json::from_str::<Notification>(&next.data) else {
                // An event of a kind this client does not know: skip it, but remember where we are.
                if !next.id.is_empty() {
                    last_event_id = Some(next.id.clone());
                }
                continue;
            };
            if json {
                let line = serde_json::to_string(&Line {
                    event_id: &next.id,
                    notification: &notification,
                })
                .map_err(|e| CliError::Internal {
                    detail: e.to_string(),
                })?;
                output::stdout(&line);
            } else {
                output::stdout(&render(&notification, &next.id, lang));
            }
            if !next.id.is_empty() {
                last_event_id = Some(next.id.clone());
            }
            seen += 1;
            if args.count.is_some_and(|n| seen >= n) {
                return Ok(());
            }
        };
        output::stderr(
            &Msg::WatchReconnecting {
                secs: delay,
                detail: interruption,
            }
            .text(lang),
        );
        tokio::time::sleep(Duration::from_secs(delay)).await;
    }
}

fn render(n: &Notification, event_id: &str, lang: Lang) -> String {
    let locale = match lang {
        Lang::Ja => "ja",
        Lang::En => "en",
    };
    let head = Msg::WatchEvent {
        kind: n.kind,
        urgency: n.urgency,
    }
    .text(lang);
    let mut text = format!("{}  {head}: {}\n", fmt_time(n.created), n.title.get(locale));
    let summary = n.summary.get(locale);
    if !summary.is_empty() {
        text.push_str(&format!("    {summary}\n"));
    }
    if let Some(deadline) = n.deadline {
        let label = match lang {
            Lang::Ja => "対応期限",
            Lang::En => "deadline",
        };
        text.push_str(&format!("    {label}: {}\n", fmt_time(deadline)));
    }
    text.push_str(&format!("    {}  (event {event_id})", n.object_id));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::notify::{EventKind, LocalisedText, Urgency};

    fn sample() -> Notification {
        Notification {
            delivery_id: uuid::Uuid::nil(),
            kind: EventKind::AdvisoryPublished,
            object_id: "report--00000000-0000-4000-8000-000000000000".into(),
            urgency: Urgency::Urgent,
            sectors: vec!["electricity".into()],
            products: vec![],
            tags: vec![],
            title: LocalisedText {
                en: "VPN gateway exploited".into(),
                ja: "VPN装置の脆弱性が悪用されています".into(),
            },
            summary: LocalisedText {
                en: "Patch now.".into(),
                ja: "直ちに更新してください。".into(),
            },
            deadline: None,
            payload: serde_json::json!({}),
            created: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn human_lines_in_both_languages() {
        let en = render(&sample(), "42", Lang::En);
        assert!(
            en.contains("[URGENT] New advisory: VPN gateway exploited")
                && en.contains("Patch now.")
                && en.contains("event 42"),
            "{en}"
        );
        let ja = render(&sample(), "42", Lang::Ja);
        assert!(
            ja.contains("【緊急】新しい情報提供: VPN装置の脆弱性が悪用されています")
                && ja.contains("直ちに更新してください。"),
            "{ja}"
        );
    }
}

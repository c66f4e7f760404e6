//! `isacx peers status`: each peer's sync state — last success, lag, last
//! error and backoff — so an administrator sees at once which peer is behind.

use isacx_schemas::api::{PeerDirection, PeerStatus};

use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang, Msg};
use crate::output;

/// Show every peer's sync state: last success, lag, last error, next retry
///
/// Needs the admin role. With --json, the server's records as they are.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub const PATH: &str = "/api/v1/admin/peers/status";

pub async fn run(_args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let peers: Vec<PeerStatus> = api.get(PATH).await?;
    if ctx.json() {
        return output::json(&peers);
    }
    output::stdout(&render(&peers, ctx.lang));
    Ok(())
}

fn lag(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

fn render(peers: &[PeerStatus], lang: Lang) -> String {
    let t = |m: Msg| m.text(lang);
    if peers.is_empty() {
        return t(Msg::NoPeers);
    }
    let header = vec![
        t(Msg::ColPeer),
        t(Msg::ColDirection),
        t(Msg::ColSchedule),
        t(Msg::ColLastSuccess),
        t(Msg::ColLag),
        t(Msg::ColFailures),
        t(Msg::ColNextAttempt),
        t(Msg::ColReceived),
        t(Msg::ColSent),
        t(Msg::ColLastError),
    ];
    let none = || t(Msg::NoValue);
    let rows = peers
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                match p.direction {
                    PeerDirection::Pull => "pull",
                    PeerDirection::Push => "push",
                    PeerDirection::Both => "both",
                }
                .to_owned(),
                if p.schedule.is_empty() {
                    none()
                } else {
                    p.schedule.clone()
                },
                p.last_success_at.map(fmt_time).unwrap_or_else(none),
                p.lag_seconds.map(lag).unwrap_or_else(none),
                p.consecutive_failures.to_string(),
                p.next_attempt_at.map(fmt_time).unwrap_or_else(none),
                p.objects_received.to_string(),
                p.objects_sent.to_string(),
                p.last_error.clone().unwrap_or_else(none),
            ]
        })
        .collect();
    output::table(header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn human_form() {
        let peers = vec![PeerStatus {
            id: Uuid::nil(),
            name: "fin-isac".into(),
            direction: PeerDirection::Both,
            schedule: "0 */5 * * * *".into(),
            last_attempt_at: None,
            last_success_at: None,
            lag_seconds: Some(4000),
            last_error: Some("connection refused".into()),
            consecutive_failures: 3,
            next_attempt_at: None,
            objects_received: 120,
            objects_sent: 7,
            bytes_received: 1,
        }];
        let en = render(&peers, Lang::En);
        assert!(
            en.contains("fin-isac")
                && en.contains("66m")
                && en.contains("connection refused")
                && en.contains("Last error"),
            "{en}"
        );
        let ja = render(&peers, Lang::Ja);
        assert!(
            ja.contains("最新のエラー") && ja.contains("連続失敗"),
            "{ja}"
        );
        assert_eq!(render(&[], Lang::Ja), "ピアは設定されていません。");
    }
}

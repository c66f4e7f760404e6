//! `isacx peers sync PEER`: sync one peer now, as its direction says (pull,
//! push or both), instead of waiting for its schedule. The server takes the
//! peer's lease, so a sync already running elsewhere is reported, not doubled.

use isacx_schemas::api::{PeerStatus, SyncReport};
use uuid::Uuid;

use super::status;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::Msg;
use crate::output;

/// Sync one peer now and print what moved
///
/// Needs the admin role. PEER is the peer's name (as `isacx peers status`
/// shows it) or its id. Exits with 1 when the peer could not be synced.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The peer's name or id
    pub peer: String,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let peers: Vec<PeerStatus> = api.get(status::PATH).await?;
    let peer = pick(&peers, &args.peer).ok_or_else(|| CliError::PeerNotFound { peer: args.peer.clone() })?;
    let report: SyncReport = api.post(&format!("/api/v1/admin/peers/{}/sync", peer.id), &serde_json::json!({})).await?;
    if let Some(error) = &report.error {
        return Err(CliError::PeerSyncFailed { peer: peer.name.clone(), error: error.clone() });
    }
    if ctx.json() {
        return output::json(&report);
    }
    output::stdout(&Msg::PeerSynced {
        peer: peer.name.clone(),
        received: report.received,
        duplicates: report.duplicates,
        refused: report.refused,
        sent: report.sent,
        bytes: report.bytes_received,
    }
    .text(ctx.lang));
    Ok(())
}

/// The peer named `wanted`, or with that id.
fn pick<'a>(peers: &'a [PeerStatus], wanted: &str) -> Option<&'a PeerStatus> {
    let id = Uuid::parse_str(wanted).ok();
    peers.iter().find(|p| p.name == wanted || Some(p.id) == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::api::PeerDirection;

    fn peer(name: &str) -> PeerStatus {
        PeerStatus {
            id: Uuid::new_v4(),
            name: name.into(),
            direction: PeerDirection::Pull,
            schedule: String::new(),
            last_attempt_at: None,
            last_success_at: None,
            lag_seconds: None,
            last_error: None,
            consecutive_failures: 0,
            next_attempt_at: None,
            objects_received: 0,
            objects_sent: 0,
            bytes_received: 0,
        }
    }

    #[test]
    fn a_peer_is_picked_by_name_or_id() {
        let peers = vec![peer("fin-isac"), peer("council")];
        assert_eq!(pick(&peers, "council").map(|p| p.id), Some(peers[1].id));
        assert_eq!(pick(&peers, &peers[0].id.to_string()).map(|p| p.name.as_str()), Some("fin-isac"));
        assert!(pick(&peers, "elec-isac").is_none());
    }
}

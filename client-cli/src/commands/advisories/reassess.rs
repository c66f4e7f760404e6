//! `isacx advisories reassess`: record the reassessment — per flagged
//! register entry, the new impact and likelihood (1–5), a decision (reduce,
//! avoid, transfer, accept) and a note. The register's residual values
//! update; the previous ones stay in the entry's history.

use isacx_schemas::advisory::{Decision, EntryReassessment, ReassessRequest, ReassessmentTask};
use uuid::Uuid;

use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Record your reassessment of the register entries an advisory flagged
///
/// Give one --entry per flagged entry (see `isacx advisories show ID`):
///   --entry ENTRY_ID:IMPACT:LIKELIHOOD:DECISION[:NOTE]
/// IMPACT and LIKELIHOOD are the new residual values, 1–5; DECISION is
/// reduce, avoid, transfer or accept. When no entry was flagged, --note
/// says what the reassessment found.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The advisory's id
    #[arg(value_name = "ID")]
    pub id: Uuid,

    /// ENTRY_ID:IMPACT:LIKELIHOOD:DECISION[:NOTE], once per flagged entry
    #[arg(long = "entry", value_name = "SPEC", value_parser = parse_entry)]
    pub entries: Vec<EntryReassessment>,

    /// Overall note (required when no entry was flagged)
    #[arg(long)]
    pub note: Option<String>,
}

pub fn parse_entry(s: &str) -> Result<EntryReassessment, String> {
    let mut parts = s.splitn(5, ':');
    let mut next = |what: &str| {
        parts
            .next()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                format!("missing {what}; expected ENTRY_ID:IMPACT:LIKELIHOOD:DECISION[:NOTE]")
            })
    };
    let entry_id =
        Uuid::parse_str(next("ENTRY_ID")?).map_err(|e| format!("ENTRY_ID is not an id: {e}"))?;
    let score = |v: &str, what: &str| {
        v.parse::<u8>()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or_else(|| format!("{what} must be 1–5, not `{v}`"))
    };
    let impact = score(next("IMPACT")?, "IMPACT")?;
    let likelihood = score(next("LIKELIHOOD")?, "LIKELIHOOD")?;
    let decision: Decision = next("DECISION")?.parse()?;
    let note = parts.next().unwrap_or("").trim().to_owned();
    Ok(EntryReassessment {
        entry_id,
        impact,
        likelihood,
        decision,
        note,
    })
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let task = super::own_task(&api, args.id)
        .await?
        .ok_or_else(|| super::no_task(&api, args.id))?;
    let count = args.entries.len();
    let body = ReassessRequest {
        entries: args.entries,
        note: args.note,
    };
    let task: ReassessmentTask = api
        .post(
            &format!("/api/v1/reassessments/{}/reassess", task.id),
            &body,
        )
        .await?;
    if ctx.json() {
        return output::json(&task);
    }
    output::stdout(
        &AdvMsg::Reassessed {
            advisory: args.id.to_string(),
            entries: count,
        }
        .text(ctx.lang),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_specs() {
        let id = Uuid::new_v4();
        let e = parse_entry(&format!("{id}:2:1:reduce:VPN を更新: 完了")).unwrap();
        assert_eq!(
            (
                e.entry_id,
                e.impact,
                e.likelihood,
                e.decision,
                e.note.as_str()
            ),
            (id, 2, 1, Decision::Reduce, "VPN を更新: 完了")
        );
        assert!(parse_entry(&format!("{id}:6:1:reduce"))
            .unwrap_err()
            .contains("IMPACT"));
        assert!(parse_entry(&format!("{id}:2:1:ignore"))
            .unwrap_err()
            .contains("decision"));
        assert!(parse_entry("x:2:1:accept").is_err());
        assert!(parse_entry(&format!("{id}:2"))
            .unwrap_err()
            .contains("LIKELIHOOD"));
    }
}

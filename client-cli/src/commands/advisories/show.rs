//! `isacx advisories show`: one advisory, and your organisation's
//! reassessment task for it with the register entries to reassess and why.

use isacx_schemas::advisory::{Advisory, ReassessmentTask};
use serde_json::json;
use uuid::Uuid;

use super::list::title;
use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang};
use crate::output;

/// Show an advisory and what it asks of your organisation
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The advisory's id (from `isacx advisories list`)
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let advisory: Advisory = api.get(&format!("/api/v1/advisories/{}", args.id)).await?;
    let task = super::own_task(&api, args.id).await?;
    if ctx.json() {
        return output::json(&json!({ "advisory": advisory, "task": task }));
    }
    output::stdout(&render(&advisory, task.as_ref(), ctx.lang));
    Ok(())
}

fn render(a: &Advisory, task: Option<&ReassessmentTask>, lang: Lang) -> String {
    let t = |m: AdvMsg| m.text(lang);
    let text = |l: &isacx_schemas::advisory::LocalisedText| match lang {
        Lang::En => l.en.clone(),
        Lang::Ja => l.ja.clone(),
    };
    let mut rows = vec![
        (t(AdvMsg::ColId), a.id.to_string()),
        (t(AdvMsg::ColTitle), title(a, lang)),
        (t(AdvMsg::ColSummary), text(&a.content.summary)),
        (t(AdvMsg::ColUrgency), a.urgency.to_string()),
        (t(AdvMsg::ColTlp), a.tlp.to_uppercase()),
        (t(AdvMsg::ColState), a.state.as_str().to_owned()),
        (t(AdvMsg::ColVersion), a.version.to_string()),
    ];
    if !a.content.recommended_actions.is_empty() {
        rows.push((
            t(AdvMsg::ColActions),
            a.content
                .recommended_actions
                .iter()
                .map(|x| format!("- {}", text(x)))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    let mut out = output::record(rows);
    match task {
        None if a.reassessment_requested => out.push_str(&format!("\n\n{}", t(AdvMsg::NoTask))),
        None => {}
        Some(task) => {
            let deadline = fmt_time(task.deadline)
                + if task.overdue {
                    format!(" ({})", t(AdvMsg::Overdue))
                } else {
                    String::new()
                }
                .as_str();
            out.push_str(&format!(
                "\n\n{}\n",
                output::record(vec![
                    (t(AdvMsg::ColTask), task.state.as_str().to_owned()),
                    (t(AdvMsg::ColDeadline), deadline)
                ])
            ));
            if !task.entries.is_empty() {
                out.push('\n');
                out.push_str(&output::table(
                    vec![
                        t(AdvMsg::ColEntry),
                        t(AdvMsg::ColResource),
                        t(AdvMsg::ColThreatEvent),
                        t(AdvMsg::ColResidual),
                        t(AdvMsg::ColReasons),
                    ],
                    task.entries
                        .iter()
                        .map(|e| {
                            let (resource, threat, residual) = match &e.entry {
                                Some(x) => (
                                    x.resource.clone(),
                                    x.threat_event.clone(),
                                    format!(
                                        "{}×{}={}",
                                        x.residual_impact, x.residual_likelihood, x.residual_risk
                                    ),
                                ),
                                None => ("-".into(), "-".into(), "-".into()),
                            };
                            vec![
                                e.entry_id.to_string(),
                                resource,
                                threat,
                                residual,
                                e.reasons
                                    .iter()
                                    .map(super::reason_text)
                                    .collect::<Vec<_>>()
                                    .join("; "),
                            ]
                        })
                        .collect(),
                ));
            }
        }
    }
    out
}

//! `isacx advisories list`: the advisories you may read, newest first.

use isacx_schemas::advisory::Advisory;

use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang};
use crate::output;

/// List the advisories you may read
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only advisories in this state (analysts also see drafts)
    #[arg(long, value_parser = ["draft", "published", "withdrawn"])]
    pub state: Option<String>,
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let path = match &args.state {
        Some(s) => format!("/api/v1/advisories?state={s}"),
        None => "/api/v1/advisories".to_owned(),
    };
    let advisories: Vec<Advisory> = api.get(&path).await?;
    if ctx.json() {
        return output::json(&advisories);
    }
    if advisories.is_empty() {
        output::stdout(&AdvMsg::NoAdvisories.text(ctx.lang));
        return Ok(());
    }
    output::stdout(&render(&advisories, ctx.lang));
    Ok(())
}

pub fn title(a: &Advisory, lang: Lang) -> String {
    match lang {
        Lang::En => a.content.title.en.clone(),
        Lang::Ja => a.content.title.ja.clone(),
    }
}

fn render(advisories: &[Advisory], lang: Lang) -> String {
    let t = |m: AdvMsg| m.text(lang);
    output::table(
        vec![
            t(AdvMsg::ColId),
            t(AdvMsg::ColTitle),
            t(AdvMsg::ColUrgency),
            t(AdvMsg::ColTlp),
            t(AdvMsg::ColState),
            t(AdvMsg::ColPublished),
        ],
        advisories
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    title(a, lang),
                    a.urgency.to_string(),
                    a.tlp.to_uppercase(),
                    a.state.as_str().to_owned(),
                    a.published_at
                        .map(fmt_time)
                        .unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect(),
    )
}

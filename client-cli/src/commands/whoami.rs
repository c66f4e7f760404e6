//! `isacx whoami`: who the server thinks you are; the quickest check that a
//! profile, its TLS trust and its credential all work.

use isacx_schemas::api::{AuthMethod, WhoAmI};

use crate::context::Ctx;
use crate::error::CliError;
use crate::i18n::{fmt_time, Lang, Msg};
use crate::output;

/// Show the user, role and organisation of the current credential
#[derive(Debug, clap::Args)]
pub struct Args {}

pub const PATH: &str = "/api/v1/auth/whoami";

pub async fn run(_args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _cred) = ctx.authed_api()?;
    let me: WhoAmI = api.get(PATH).await?;
    if ctx.json() {
        return output::json(&me);
    }
    output::stdout(&render(
        &me,
        ctx.lang,
        &api.ctx().server,
        &ctx.profile_name(),
    ));
    Ok(())
}

fn render(me: &WhoAmI, lang: Lang, server: &str, profile: &str) -> String {
    let t = |m: Msg| m.text(lang);
    let org = match &me.organisation {
        Some(o) => match lang {
            Lang::Ja => format!("{} ({})", o.name.ja, o.name.en),
            Lang::En => format!("{} ({})", o.name.en, o.name.ja),
        },
        None => t(Msg::NoValue),
    };
    let auth = match me.auth_method {
        AuthMethod::Session => t(Msg::AuthSession),
        AuthMethod::ApiKey => t(Msg::AuthApiKey),
    };
    let expires = me
        .expires_at
        .map(fmt_time)
        .unwrap_or_else(|| t(Msg::NoValue));
    output::record(vec![
        (t(Msg::ColUsername), me.username.clone()),
        (t(Msg::ColDisplayName), me.display_name.clone()),
        (t(Msg::ColRole), me.role.to_string()),
        (t(Msg::ColOrganisation), org),
        (t(Msg::ColAuthMethod), auth),
        (t(Msg::ColExpires), expires),
        (t(Msg::ColServer), server.to_owned()),
        (t(Msg::ColProfile), profile.to_owned()),
        (t(Msg::ColUserId), me.user_id.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use isacx_schemas::api::{LocalisedName, OrganisationSummary, Role};
    use uuid::Uuid;

    #[test]
    fn human_form() {
        let me = WhoAmI {
            user_id: Uuid::nil(),
            username: "alice".into(),
            display_name: "Alice Sato".into(),
            role: Role::Operator,
            organisation: Some(OrganisationSummary {
                id: Uuid::nil(),
                name: LocalisedName {
                    ja: "東日本電力".into(),
                    en: "East Japan Power".into(),
                },
            }),
            auth_method: AuthMethod::Session,
            expires_at: None,
        };
        insta::assert_snapshot!(
            "whoami_en",
            render(&me, Lang::En, "https://isac.example.jp", "prod")
        );
        insta::assert_snapshot!(
            "whoami_ja",
            render(&me, Lang::Ja, "https://isac.example.jp", "prod")
        );
    }
}

//! `isacx advisories publish|amend|withdraw` (analysts).

use std::path::PathBuf;

use isacx_schemas::advisory::{Advisory, WithdrawRequest};
use uuid::Uuid;

use super::msg::AdvMsg;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output;

/// Publish a draft advisory: shared over TAXII, matched, tasks opened when urgent (analysts)
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[arg(value_name = "ID")]
    pub id: Uuid,
}

/// Amend a published advisory from a file: a new STIX version (analysts)
#[derive(Debug, clap::Args)]
pub struct AmendArgs {
    #[arg(value_name = "ID")]
    pub id: Uuid,
    /// The whole amended draft (.json, .yaml or .yml)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Withdraw a published advisory: a revoked STIX version; open tasks are cancelled (analysts)
#[derive(Debug, clap::Args)]
pub struct WithdrawArgs {
    #[arg(value_name = "ID")]
    pub id: Uuid,
    /// Why, for the members
    #[arg(long)]
    pub reason: String,
}

fn done(ctx: &Ctx, advisory: &Advisory) -> Result<(), CliError> {
    if ctx.json() {
        return output::json(advisory);
    }
    output::stdout(
        &AdvMsg::StateNow {
            advisory: advisory.id.to_string(),
            state: advisory.state.as_str().to_owned(),
            version: advisory.version,
        }
        .text(ctx.lang),
    );
    Ok(())
}

pub async fn publish(args: PublishArgs, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let advisory: Advisory = api
        .post(
            &format!("/api/v1/advisories/{}/publish", args.id),
            &serde_json::json!({}),
        )
        .await?;
    done(ctx, &advisory)
}

pub async fn amend(args: AmendArgs, ctx: &mut Ctx) -> Result<(), CliError> {
    let draft = super::create::read_draft(&args.file)?;
    let (api, _) = ctx.authed_api()?;
    let advisory: Advisory = api
        .post(&format!("/api/v1/advisories/{}/amend", args.id), &draft)
        .await?;
    done(ctx, &advisory)
}

pub async fn withdraw(args: WithdrawArgs, ctx: &mut Ctx) -> Result<(), CliError> {
    let (api, _) = ctx.authed_api()?;
    let advisory: Advisory = api
        .post(
            &format!("/api/v1/advisories/{}/withdraw", args.id),
            &WithdrawRequest {
                reason: args.reason,
            },
        )
        .await?;
    done(ctx, &advisory)
}

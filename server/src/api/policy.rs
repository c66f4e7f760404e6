//! `POST /api/v1/policy/where`: the "where will this go?" dry run.

use actix_web::web;
use diesel::prelude::*;
use isacx_schemas::api::{PeerSummary, Role, WhereRequest, WhereResponse};
use isacx_schemas::error::ProblemDetails;
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Authorized, Curators};
use crate::db::models::{OrganisationRow, PeerRow};
use crate::db::schema::{organisations, peers};
use crate::db::parse_list;
use crate::error::ApiError;
use crate::policy::{may_read, Viewer};

/// Which organisations, roles and peers the sharing policy would let see an object.
#[utoipa::path(post, path = "/api/v1/policy/where", tag = "policy", request_body = WhereRequest,
    responses((status = 200, body = WhereResponse), (status = 422, body = ProblemDetails, content_type = "application/problem+json")),
    security(("bearer" = []), ("api_key" = [])))]
pub async fn where_will_it_go(state: web::Data<AppState>, _who: Authorized<Curators>, body: web::Json<WhereRequest>) -> Result<web::Json<WhereResponse>, ApiError> {
    let WhereRequest { object, collection } = body.into_inner();
    let object = isacx_schemas::stix::object_from_json(object).map_err(|errors| {
        ApiError::validation(
            errors
                .into_iter()
                .map(|e| isacx_schemas::error::FieldError { field: format!("object.{}", e.path).trim_end_matches('.').to_owned(), message: e.message })
                .collect(),
        )
    })?;
    let defs = crate::taxii::collections::layout(&state.sectors, state.settings.taxii.public_collection);
    let alias = collection.unwrap_or_else(|| "all-sectors".to_owned());
    let def = defs.iter().find(|d| d.alias == alias).ok_or_else(|| ApiError::field("collection", format!("no collection `{alias}`")))?.clone();
    let access = crate::taxii::handlers::incoming_access(&object, &def, state.settings.sharing.default_tlp())
        .map_err(|m| ApiError::field("object", m))?;
    let state = state.into_inner();
    let (orgs, peer_rows) = crate::db::blocking({
        let state = state.clone();
        move || {
            state.db.read(|conn| {
                let orgs: Vec<OrganisationRow> = organisations::table.select(OrganisationRow::as_select()).order(organisations::name_en.asc()).load(conn)?;
                let peers: Vec<PeerRow> = peers::table.select(PeerRow::as_select()).order(peers::name.asc()).load(conn)?;
                Ok((orgs, peers))
            })
        }
    })
    .await?;
    let organisations = orgs
        .iter()
        .filter(|o| {
            let viewer = Viewer::User {
                role: Role::Operator,
                organisation: Uuid::parse_str(&o.id).ok(),
                sectors: parse_list(&o.sectors).into_iter().collect(),
            };
            may_read(&viewer, &access)
        })
        .map(OrganisationRow::summary)
        .collect();
    let roles = [Role::Analyst, Role::Liaison, Role::Admin]
        .into_iter()
        .filter(|role| may_read(&Viewer::User { role: *role, organisation: None, sectors: Default::default() }, &access))
        .collect();
    let peers = peer_rows
        .iter()
        .filter(|p| {
            let viewer = Viewer::Peer {
                id: Uuid::parse_str(&p.id).unwrap_or_default(),
                max_tlp: p.max_tlp.parse().unwrap_or(Tlp::Clear),
                sectors: parse_list(&p.sectors).into_iter().collect(),
            };
            p.direction != "pull" && may_read(&viewer, &access)
        })
        .map(|p| PeerSummary { id: Uuid::parse_str(&p.id).unwrap_or_default(), name: p.name.clone() })
        .collect();
    Ok(web::Json(WhereResponse {
        tlp: access.tlp.as_str().to_owned(),
        sectors: access.sectors.iter().cloned().collect(),
        organisations,
        roles,
        peers,
        public: may_read(&Viewer::Anonymous, &access) && state.settings.taxii.public_collection,
    }))
}

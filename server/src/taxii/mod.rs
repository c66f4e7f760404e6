//! TAXII 2.1 under `/taxii2/`: one API root (`/taxii2/api/`) whose
//! collections are laid out by [`collections::layout`]. Every read goes
//! through [`crate::store::page`], which applies the sharing policy.

pub mod collections;
pub mod error;
pub mod handlers;

use actix_web::web;

pub const API_ROOT_PATH: &str = "/taxii2/api/";

pub fn configure(cfg: &mut web::ServiceConfig, max_content_length: usize) {
    cfg.service(
        web::scope("/taxii2")
            .app_data(web::PayloadConfig::new(max_content_length))
            // Routes are tried in order, each pattern with a variable a regex
            // match: the object endpoints, which clients call most, come first.
            // No two patterns overlap, so the order changes nothing else.
            .route("/api/collections/{cid}/objects/", web::get().to(handlers::get_objects))
            .route("/api/collections/{cid}/objects/", web::post().to(handlers::add_objects))
            .route("/api/collections/{cid}/objects/{oid}/", web::get().to(handlers::get_object))
            .route("/api/collections/{cid}/objects/{oid}/", web::delete().to(handlers::delete_object))
            .route("/", web::get().to(handlers::discovery))
            .route("/api/", web::get().to(handlers::api_root))
            .route("/api/status/{status_id}/", web::get().to(handlers::status))
            .route("/api/collections/", web::get().to(handlers::collections))
            .route("/api/collections/{cid}/", web::get().to(handlers::collection))
            .route("/api/collections/{cid}/manifest/", web::get().to(handlers::manifest))
            .route("/api/collections/{cid}/objects/{oid}/versions/", web::get().to(handlers::versions))
            .default_service(web::to(handlers::not_found)),
    );
}

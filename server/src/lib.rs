//! isacx-server: the information-sharing exchange's server.
//!
//! Modules follow the data flow of DESIGN.md; this crate's `app::start` is
//! what both the binary and the end-to-end tests run.

pub mod advisories;
pub mod anonymise;
pub mod api;
pub mod app;
pub mod audit;
pub mod auto_publish;
pub mod auth;
pub mod config;
pub mod db;
pub mod digest;
pub mod error;
pub mod federation;
pub mod followup;
pub mod intake;
pub mod jobs;
pub mod members;
pub mod notify;
pub mod policy;
pub mod profiles;
pub mod sectors;
pub mod store;
pub mod taxii;
pub mod telemetry;
pub mod tls;

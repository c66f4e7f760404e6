//! Wire types shared by the isacx server and the `isacx` client.
//!
//! No actix, no diesel: only serde models of what crosses the wire, the stable
//! error codes both sides match on, and the JSON Schema generated from them.

pub mod advisory;
pub mod api;
pub mod digest;
pub mod error;
pub mod followup;
pub mod notify;
pub mod pattern;
pub mod report;
pub mod stix;
pub mod taxii;
pub mod taxonomy;
pub mod tlp;

/// Version of the isacx REST API; sent by the server in `X-Isacx-Api-Version`.
pub const API_VERSION: &str = "1";
/// Header carrying [`API_VERSION`].
pub const API_VERSION_HEADER: &str = "x-isacx-api-version";

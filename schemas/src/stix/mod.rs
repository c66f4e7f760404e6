//! STIX 2.1 objects (OASIS STIX 2.1 + Errata 01) as serde models.
//!
//! What a server does not understand it passes on: every model keeps unknown
//! properties in `extra`, and objects of unknown type stay JSON in
//! [`StixObject::Unknown`]. Deserialisation checks only shape; the rules of
//! the specification are checked by [`validate`].

mod common;
mod construct;
mod id;
pub mod meta;
mod object;
pub mod sco;
pub mod sdo;
mod timestamp;
pub mod validate;

pub use common::{
    CommonProperties, ExternalReference, GranularMarking, KillChainPhase, ScoCommon, SPEC_VERSION,
};
pub use construct::{pattern_string_literal, DeterministicId};
pub use id::{
    deterministic_sco_id, id_contributing_properties, is_valid_type_name, StixId, SCO_ID_NAMESPACE,
};
pub use meta::MarkingDefinition;
pub use object::{Bundle, ObjectKind, StixObject, VersionKey};
pub use sco::*;
pub use sdo::*;
pub use timestamp::{StixTimestamp, TimestampError};
pub use validate::{
    bundle_from_json, bundle_from_json_with, bundle_from_str, object_from_json,
    object_from_json_with, ValidationError, ValidationOptions,
};

//! The one sharing-policy check.
//!
//! Every read path — REST, TAXII (objects, manifest, versions, single object,
//! status), the CLI pull, streams, digests and federation egress — asks
//! [`may_read`] whether a viewer may see an object. Nothing filters on its own.
//!
//! TLP 2.0 as applied in this exchange:
//! - CLEAR: anyone, including unauthenticated readers of the public collection;
//! - GREEN: every member organisation (all sectors), analysts, liaisons;
//! - AMBER: member organisations within the scope; analysts; liaisons only when
//!   the object's audiences name them (not by default, see [`default_audiences`]);
//! - AMBER+STRICT: member organisations within the scope, analysts; never federated;
//! - RED: only the organisations named as recipients, and this server's
//!   analysts; never federated.
//!
//! An object not yet published (a submission awaiting review) is visible only
//! to its submitting organisation and this server's analysts. Audiences
//! narrow further: an object whose audiences leave out members is not shown to
//! operators, and so on. The system never lowers a TLP: ingest refuses a new
//! version marked lower than the stored one.

use std::collections::BTreeSet;

use isacx_schemas::api::Role;
use isacx_schemas::tlp::Tlp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Property-extension carrying an object's sharing scope when it is posted
/// (sectors, audiences, named recipients for RED).
pub const SCOPE_EXTENSION_ID: &str = "extension-definition--54ddad55-7735-496a-a5d5-c73f546650b2";

/// Sector wildcard: the object concerns every sector.
pub const ALL_SECTORS: &str = "*";

/// Who an object is meant for, beside TLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Members,
    Analysts,
    Liaisons,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Members, Audience::Analysts, Audience::Liaisons];
}

/// What the policy needs to know about an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub tlp: Tlp,
    /// Sector ids, or [`ALL_SECTORS`].
    pub sectors: BTreeSet<String>,
    pub audiences: BTreeSet<Audience>,
    /// Organisations named as recipients (what RED is shared with).
    pub recipients: BTreeSet<Uuid>,
    /// False while a submission waits for review.
    pub published: bool,
    /// The organisation that submitted it, if a member did.
    pub submitter: Option<Uuid>,
    /// Peer ids the object came through; egress never sends it back to them.
    pub hops: BTreeSet<Uuid>,
}

impl Access {
    /// Published to all sectors with the default audiences for its TLP.
    pub fn published(tlp: Tlp) -> Access {
        Access {
            tlp,
            sectors: BTreeSet::from([ALL_SECTORS.to_owned()]),
            audiences: default_audiences(tlp),
            recipients: BTreeSet::new(),
            published: true,
            submitter: None,
            hops: BTreeSet::new(),
        }
    }

    fn in_scope(&self, sectors: &BTreeSet<String>) -> bool {
        self.sectors.contains(ALL_SECTORS) || sectors.contains(ALL_SECTORS) || !self.sectors.is_disjoint(sectors)
    }
}

/// Audiences of an object whose scope names none: everyone for CLEAR and
/// GREEN; members and analysts for AMBER and above, so government liaisons
/// see AMBER only when an analyst names them.
pub fn default_audiences(tlp: Tlp) -> BTreeSet<Audience> {
    if tlp <= Tlp::Green {
        Audience::ALL.into_iter().collect()
    } else {
        BTreeSet::from([Audience::Members, Audience::Analysts])
    }
}

/// Who is reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials: the public collection only.
    Anonymous,
    /// A user of this server.
    User { role: Role, organisation: Option<Uuid>, sectors: BTreeSet<String> },
    /// Another sharing body's server.
    Peer { id: Uuid, max_tlp: Tlp, sectors: BTreeSet<String> },
}

impl Viewer {
    pub fn from_principal(p: &crate::auth::Principal) -> Viewer {
        Viewer::User {
            role: p.role,
            organisation: p.organisation.as_ref().and_then(|o| Uuid::parse_str(&o.id).ok()),
            sectors: p.organisation_sectors().into_iter().collect(),
        }
    }
}

/// May `viewer` see an object with `access`? The only place this is decided.
pub fn may_read(viewer: &Viewer, access: &Access) -> bool {
    match viewer {
        Viewer::Anonymous => access.published && access.tlp == Tlp::Clear,
        Viewer::Peer { id, max_tlp, sectors } => {
            access.published
                && !matches!(access.tlp, Tlp::AmberStrict | Tlp::Red)
                && access.tlp <= *max_tlp
                && !access.hops.contains(id)
                && (access.tlp == Tlp::Clear || sectors.is_empty() || access.in_scope(sectors))
        }
        Viewer::User { role, organisation, sectors } => {
            // This server's analysts (and admins, who run it) curate everything.
            if matches!(role, Role::Analyst | Role::Admin) {
                return true;
            }
            let own_submission = organisation.is_some() && *organisation == access.submitter;
            if !access.published {
                return *role == Role::Operator && own_submission;
            }
            if own_submission && *role == Role::Operator {
                return true;
            }
            match role {
                Role::Operator => {
                    let member_audience = access.audiences.contains(&Audience::Members);
                    match access.tlp {
                        Tlp::Clear => true,
                        Tlp::Green => member_audience,
                        Tlp::Amber | Tlp::AmberStrict => member_audience && organisation.is_some() && access.in_scope(sectors),
                        Tlp::Red => organisation.is_some_and(|o| access.recipients.contains(&o)),
                    }
                }
                Role::Liaison => {
                    let liaison_audience = access.audiences.contains(&Audience::Liaisons);
                    match access.tlp {
                        Tlp::Clear => true,
                        Tlp::Green | Tlp::Amber => liaison_audience,
                        Tlp::AmberStrict | Tlp::Red => false,
                    }
                }
                Role::Analyst | Role::Admin => true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(org: Uuid, sectors: &[&str]) -> Viewer {
        Viewer::User { role: Role::Operator, organisation: Some(org), sectors: sectors.iter().map(|s| s.to_string()).collect() }
    }

    fn scoped(tlp: Tlp, sectors: &[&str]) -> Access {
        Access { sectors: sectors.iter().map(|s| s.to_string()).collect(), ..Access::published(tlp) }
    }

    #[test]
    fn tlp_table() {
        let org = Uuid::new_v4();
        let elec = operator(org, &["electricity"]);
        let fin = operator(Uuid::new_v4(), &["finance"]);
        let liaison = Viewer::User { role: Role::Liaison, organisation: None, sectors: BTreeSet::new() };
        let peer = Viewer::Peer { id: Uuid::new_v4(), max_tlp: Tlp::Amber, sectors: BTreeSet::new() };
        for (tlp, anon, e, f, l, p) in [
            (Tlp::Clear, true, true, true, true, true),
            (Tlp::Green, false, true, true, true, true),
            (Tlp::Amber, false, true, false, false, true),
            (Tlp::AmberStrict, false, true, false, false, false),
            (Tlp::Red, false, false, false, false, false),
        ] {
            let access = scoped(tlp, &["electricity"]);
            assert_eq!(may_read(&Viewer::Anonymous, &access), anon, "anonymous {tlp}");
            assert_eq!(may_read(&elec, &access), e, "electricity member {tlp}");
            assert_eq!(may_read(&fin, &access), f, "finance member {tlp}");
            assert_eq!(may_read(&liaison, &access), l, "liaison {tlp}");
            assert_eq!(may_read(&peer, &access), p, "peer {tlp}");
        }
        let mut red = scoped(Tlp::Red, &["finance"]);
        red.recipients.insert(org);
        assert!(may_read(&elec, &red), "a named recipient sees RED whatever the scope");
        assert!(!may_read(&fin, &red));
        let mut for_liaisons = scoped(Tlp::Amber, &["electricity"]);
        for_liaisons.audiences.insert(Audience::Liaisons);
        assert!(may_read(&liaison, &for_liaisons), "an analyst may name liaisons as an AMBER audience");
    }

    #[test]
    fn unpublished_only_for_submitter_and_analysts() {
        let org = Uuid::new_v4();
        let access = Access { published: false, submitter: Some(org), ..Access::published(Tlp::Clear) };
        assert!(may_read(&operator(org, &[]), &access));
        assert!(!may_read(&operator(Uuid::new_v4(), &[]), &access));
        assert!(!may_read(&Viewer::Anonymous, &access));
        assert!(may_read(&Viewer::User { role: Role::Analyst, organisation: None, sectors: BTreeSet::new() }, &access));
    }

    #[test]
    fn peers_never_get_what_came_from_them_or_exceeds_their_ceiling() {
        let id = Uuid::new_v4();
        let peer = Viewer::Peer { id, max_tlp: Tlp::Green, sectors: BTreeSet::from(["finance".to_owned()]) };
        assert!(!may_read(&peer, &scoped(Tlp::Amber, &["finance"])));
        assert!(may_read(&peer, &scoped(Tlp::Green, &["finance"])));
        assert!(!may_read(&peer, &scoped(Tlp::Green, &["electricity"])));
        let mut looped = scoped(Tlp::Green, &["finance"]);
        looped.hops.insert(id);
        assert!(!may_read(&peer, &looped));
    }
}

//! The collection layout: one per sector, one for all sectors, and a public
//! (CLEAR-only) one. Ids are derived from the alias, so they are stable
//! across restarts and across servers sharing a database.

use isacx_schemas::api::{Role, Sector};
use isacx_schemas::tlp::Tlp;
use uuid::Uuid;

use crate::policy::{Access, Viewer, ALL_SECTORS};

const NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_5c1e_9a47_4e0b_8f0c_2d7e_1a3b_4c5d);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    AllSectors,
    Sector(String),
    Public,
}

#[derive(Debug, Clone)]
pub struct CollectionDef {
    pub id: String,
    pub alias: String,
    pub title: String,
    pub description: String,
    pub kind: Kind,
}

fn id_for(alias: &str) -> String {
    Uuid::new_v5(&NAMESPACE, alias.as_bytes()).to_string()
}

pub fn layout(sectors: &[Sector], public: bool) -> Vec<CollectionDef> {
    let mut defs = vec![CollectionDef {
        id: id_for("all-sectors"),
        alias: "all-sectors".to_owned(),
        title: "All sectors / 全分野".to_owned(),
        description: "Everything shared with you, from every sector.".to_owned(),
        kind: Kind::AllSectors,
    }];
    for sector in sectors {
        defs.push(CollectionDef {
            id: id_for(&format!("sector-{}", sector.id)),
            alias: format!("sector-{}", sector.id),
            title: format!("{} / {}", sector.name.en, sector.name.ja),
            description: format!("Intelligence concerning the {} sector.", sector.name.en),
            kind: Kind::Sector(sector.id.clone()),
        });
    }
    if public {
        defs.push(CollectionDef {
            id: id_for("public"),
            alias: "public".to_owned(),
            title: "Public (TLP:CLEAR) / 公開".to_owned(),
            description: "TLP:CLEAR objects, readable without an account.".to_owned(),
            kind: Kind::Public,
        });
    }
    defs
}

impl CollectionDef {
    /// Whether the viewer may list and read this collection at all; each
    /// object in it still goes through the policy.
    pub fn can_read(&self, viewer: &Viewer) -> bool {
        match (viewer, &self.kind) {
            (_, Kind::Public) => true,
            (Viewer::Anonymous, _) => false,
            (Viewer::User { role: Role::Operator, sectors, .. }, Kind::Sector(s)) => sectors.contains(s),
            (Viewer::User { .. }, _) => true,
            (Viewer::Peer { sectors, .. }, Kind::Sector(s)) => sectors.is_empty() || sectors.contains(s),
            (Viewer::Peer { .. }, Kind::AllSectors) => true,
        }
    }

    /// Analysts and admins publish through TAXII; operators may post
    /// incident reports to the collections they read, which go to intake for
    /// review, never straight into the shared store.
    pub fn can_write(&self, viewer: &Viewer) -> bool {
        match viewer {
            Viewer::User { role: Role::Analyst | Role::Admin, .. } => true,
            Viewer::User { role: Role::Operator, .. } => self.kind != Kind::Public && self.can_read(viewer),
            _ => false,
        }
    }

    /// The scope an object posted here gets when it names none.
    pub fn default_sectors(&self) -> Vec<String> {
        match &self.kind {
            Kind::Sector(s) => vec![s.clone()],
            Kind::AllSectors | Kind::Public => vec![ALL_SECTORS.to_owned()],
        }
    }
}

impl Kind {
    /// Whether an object with this access appears in a collection of this
    /// kind. Membership is not stored: reads check it on the scope columns.
    pub fn contains(&self, access: &Access) -> bool {
        match self {
            Kind::AllSectors => true,
            Kind::Sector(s) => access.sectors.contains(ALL_SECTORS) || access.sectors.contains(s),
            Kind::Public => access.tlp == Tlp::Clear && access.published,
        }
    }
}

//! Member profiles for matching: critical systems, reassessment contacts and
//! the technologies in use; the risk register lives in [`register`].
//!
//! Everything here belongs to one organisation: the caller's. Operators read
//! and change their own organisation's profile; nobody reads another's
//! through these routes (analysts see what matching flagged, per advisory).

pub mod register;

use diesel::prelude::*;
use isacx_schemas::advisory::{self as adv, Product};
use isacx_schemas::error::FieldError;
use uuid::Uuid;

use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::db::models::{parse_uuid, OrganisationRow};
use crate::db::schema::{member_profiles, member_technologies, users};
use crate::db::{json_list, now, parse_list, to_utc, Database, DbConnection};
use crate::error::ApiError;

/// The caller's organisation, or 403 for users who have none.
pub fn own_organisation(principal: &Principal) -> Result<&OrganisationRow, ApiError> {
    principal
        .organisation
        .as_ref()
        .ok_or_else(|| ApiError::forbidden("only users of a member organisation have a profile and a risk register"))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = member_technologies)]
pub struct TechnologyRow {
    pub id: String,
    pub organisation_id: String,
    pub product: String,
    pub cpe: String,
    pub vendor: Option<String>,
    pub note: String,
    pub created_at: chrono::NaiveDateTime,
}

impl TechnologyRow {
    pub fn to_api(&self) -> adv::Technology {
        adv::Technology {
            id: parse_uuid(&self.id),
            product: self.product.clone(),
            cpe: self.cpe.clone(),
            note: self.note.clone(),
            created_at: to_utc(self.created_at),
        }
    }
}

/// The stored profile fields of an organisation (empty when never set).
pub fn profile_fields(conn: &mut DbConnection, organisation_id: &str) -> Result<(Vec<String>, Vec<Uuid>), ApiError> {
    let row: Option<(String, String)> = member_profiles::table
        .find(organisation_id)
        .select((member_profiles::critical_systems, member_profiles::contacts))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((systems, contacts)) => (
            parse_list(&systems),
            parse_list(&contacts).iter().filter_map(|c| Uuid::parse_str(c).ok()).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    })
}

fn load_profile(conn: &mut DbConnection, org: &OrganisationRow) -> Result<adv::MemberProfile, ApiError> {
    let (critical_systems, contacts) = profile_fields(conn, &org.id)?;
    let technologies: Vec<TechnologyRow> = member_technologies::table
        .filter(member_technologies::organisation_id.eq(&org.id))
        .select(TechnologyRow::as_select())
        .order(member_technologies::created_at.asc())
        .load(conn)?;
    Ok(adv::MemberProfile {
        organisation_id: parse_uuid(&org.id),
        critical_systems,
        contacts,
        technologies: technologies.iter().map(TechnologyRow::to_api).collect(),
    })
}

pub fn get(db: &Database, principal: &Principal) -> Result<adv::MemberProfile, ApiError> {
    let org = own_organisation(principal)?;
    db.read(|conn| load_profile(conn, org))
}

pub fn update(db: &Database, principal: &Principal, update: adv::ProfileUpdate) -> Result<adv::MemberProfile, ApiError> {
    let org = own_organisation(principal)?;
    let taxonomy = crate::advisories::taxonomy()?;
    let sectors = parse_list(&org.sectors);
    let mut errors = Vec::new();
    for (i, id) in update.critical_systems.iter().enumerate() {
        match taxonomy.critical_system(id) {
            None => errors.push(FieldError {
                field: format!("critical_systems[{i}]"),
                message: format!("unknown critical system `{id}`"),
            }),
            Some((sector, _)) if !sectors.contains(&sector.id) => errors.push(FieldError {
                field: format!("critical_systems[{i}]"),
                message: format!("`{id}` is a critical system of the {} sector, which is not yours", sector.id),
            }),
            Some(_) => {}
        }
    }
    db.write(|conn| {
        for (i, user) in update.contacts.iter().enumerate() {
            let found: i64 = users::table
                .filter(users::id.eq(user.to_string()))
                .filter(users::organisation_id.eq(&org.id))
                .count()
                .get_result(conn)?;
            if found == 0 {
                errors.push(FieldError {
                    field: format!("contacts[{i}]"),
                    message: format!("no user {user} in your organisation"),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        let systems = json_list(&update.critical_systems);
        let contacts = json_list(&update.contacts.iter().map(Uuid::to_string).collect::<Vec<_>>());
        let exists: i64 = member_profiles::table
            .filter(member_profiles::organisation_id.eq(&org.id))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            diesel::insert_into(member_profiles::table)
                .values((
                    member_profiles::organisation_id.eq(&org.id),
                    member_profiles::critical_systems.eq(&systems),
                    member_profiles::contacts.eq(&contacts),
                    member_profiles::updated_at.eq(now()),
                ))
                .execute(conn)?;
        } else {
            diesel::update(member_profiles::table.find(&org.id))
                .set((
                    member_profiles::critical_systems.eq(&systems),
                    member_profiles::contacts.eq(&contacts),
                    member_profiles::updated_at.eq(now()),
                ))
                .execute(conn)?;
        }
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "profile.update",
                target: format!("organisation:{}", org.id),
                detail: serde_json::json!({ "critical_systems": update.critical_systems, "contacts": update.contacts.len() }),
            },
        )?;
        load_profile(conn, org)
    })
}

pub fn list_technologies(db: &Database, principal: &Principal) -> Result<Vec<adv::Technology>, ApiError> {
    Ok(get(db, principal)?.technologies)
}

/// Parse a product as a field of a request.
pub fn parse_product(field: &str, text: &str) -> Result<Product, FieldError> {
    Product::parse(text).map_err(|e| FieldError {
        field: field.to_owned(),
        message: e.to_string(),
    })
}

pub fn add_technology(db: &Database, principal: &Principal, new: adv::NewTechnology) -> Result<adv::Technology, ApiError> {
    let org = own_organisation(principal)?;
    let product = parse_product("product", &new.product).map_err(|e| ApiError::validation(vec![e]))?;
    let row = TechnologyRow {
        id: Uuid::new_v4().to_string(),
        organisation_id: org.id.clone(),
        product: new.product.trim().to_owned(),
        cpe: product.to_cpe(),
        vendor: product.vendor_key().map(str::to_owned),
        note: new.note.trim().to_owned(),
        created_at: now(),
    };
    db.write(|conn| {
        let existing: i64 = member_technologies::table
            .filter(member_technologies::organisation_id.eq(&org.id))
            .filter(member_technologies::cpe.eq(&row.cpe))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Err(ApiError::conflict(format!("{} is already in your technologies", row.cpe)));
        }
        diesel::insert_into(member_technologies::table)
            .values((
                member_technologies::id.eq(&row.id),
                member_technologies::organisation_id.eq(&row.organisation_id),
                member_technologies::product.eq(&row.product),
                member_technologies::cpe.eq(&row.cpe),
                member_technologies::vendor.eq(&row.vendor),
                member_technologies::note.eq(&row.note),
                member_technologies::created_at.eq(row.created_at),
            ))
            .execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "technology.add",
                target: format!("technology:{}", row.id),
                detail: serde_json::json!({ "cpe": row.cpe }),
            },
        )?;
        Ok(row.to_api())
    })
}

pub fn remove_technology(db: &Database, principal: &Principal, id: Uuid) -> Result<adv::Technology, ApiError> {
    let org = own_organisation(principal)?;
    db.write(|conn| {
        let row: Option<TechnologyRow> = member_technologies::table
            .find(id.to_string())
            .filter(member_technologies::organisation_id.eq(&org.id))
            .select(TechnologyRow::as_select())
            .first(conn)
            .optional()?;
        let row = row.ok_or_else(|| ApiError::not_found(format!("no technology {id} in your profile")))?;
        diesel::delete(member_technologies::table.find(&row.id)).execute(conn)?;
        audit::append(
            conn,
            &principal.actor(),
            Entry {
                action: "technology.remove",
                target: format!("technology:{}", row.id),
                detail: serde_json::json!({ "cpe": row.cpe }),
            },
        )?;
        Ok(row.to_api())
    })
}

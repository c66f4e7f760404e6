//! Publishing an urgent advisory against 10,000 members × 50 register
//! entries: the time from the publish call to every reassessment task and
//! every notification durably written (one transaction: the STIX report in
//! the shared store, matching, one task per concerned member, the outbox rows
//! for each member's operator, the audit row; committed with
//! SQLite `synchronous = FULL`). Every member is in scope and concerned —
//! the worst case — each with two technologies and 50 entries spread over
//! the threat-event taxonomy, so a share of the entries is flagged.
//!
//! `cargo bench -p isacx-server --bench advisory_match`
//! (`ADVISORY_BENCH_MEMBERS`, `ADVISORY_BENCH_ENTRIES`, `ADVISORY_BENCH_RUNS`
//! change the size; `ADVISORY_BENCH_POSTGRES_URL=postgres://…` runs it on a
//! fresh PostgreSQL schema instead.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // bench

use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use isacx_schemas::api::{AuthMethod, Role};
use isacx_schemas::taxonomy::{Taxonomy, ThreatLevel};
use isacx_server::app::AppState;
use isacx_server::audit::Actor;
use isacx_server::auth::Principal;
use isacx_server::config::Settings;
use isacx_server::policy::Viewer;
use serde_json::json;
use uuid::Uuid;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let members = env("ADVISORY_BENCH_MEMBERS", 10_000);
    let entries = env("ADVISORY_BENCH_ENTRIES", 50);
    let runs = env("ADVISORY_BENCH_RUNS", 5);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.storage.data_dir = dir.path().join("data").to_string_lossy().into_owned();
    let pg_schema = std::env::var("ADVISORY_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()).map(|base| {
        let name = format!("bench_{}", Uuid::new_v4().simple());
        diesel::PgConnection::establish(&base).unwrap().batch_execute(&format!("CREATE SCHEMA {name}")).unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        (base.clone(), name.clone(), format!("{base}{sep}options=-csearch_path%3D{name}"))
    });
    settings.storage.database_url = match &pg_schema {
        Some((_, _, url)) => url.clone(),
        None => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let backend = if pg_schema.is_some() { "postgres" } else { "sqlite" };
    let state = AppState::init(settings).unwrap();

    // Seed: multi-row INSERTs of generated values (no user text), one transaction.
    let taxonomy = Taxonomy::builtin().unwrap();
    let events: Vec<String> = taxonomy.threat_events.iter().filter(|t| t.level >= ThreatLevel::Event).map(|t| t.id.clone()).collect();
    let sources: Vec<String> = taxonomy.risk_sources.iter().map(|r| r.id.clone()).collect();
    let started = Instant::now();
    {
        let mut conn = state.db.get().unwrap();
        let now = "2026-12-03 00:00:00";
        conn.batch_execute("BEGIN").unwrap();
        let mut orgs = Vec::new();
        let mut techs = Vec::new();
        let mut rows = Vec::new();
        let mut operators = Vec::new();
        for m in 0..members {
            let org = Uuid::new_v4();
            orgs.push(format!("('{org}', '会員{m}', 'Member {m}', '[]', '[]', '[\"electricity\"]', '[]', '{now}')"));
            // One operator per member, with an address: e-mail and stream rows are enqueued for each.
            operators.push(format!("('{}', 'op{m}', 'Operator {m}', 'op{m}@member{m}.example', '-', 'operator', '{org}', 'en', FALSE, 0, NULL, '{now}')", Uuid::new_v4()));
            for (product, cpe, vendor) in [
                (format!("fortinet:fortios:7.2.{}", m % 10), format!("cpe:2.3:*:fortinet:fortios:7.2.{}:*:*:*:*:*:*:*", m % 10), "fortinet"),
                ("microsoft:exchange_server:2019".to_owned(), "cpe:2.3:*:microsoft:exchange_server:2019:*:*:*:*:*:*:*".to_owned(), "microsoft"),
            ] {
                techs.push(format!("('{}', '{org}', '{product}', '{cpe}', '{vendor}', '', '{now}')", Uuid::new_v4()));
            }
            for e in 0..entries {
                let event = &events[(m * 7 + e * 13) % events.len()];
                let source = &sources[(m * 3 + e * 5) % sources.len()];
                rows.push(format!(
                    "('{}', '{org}', '資源{e}', '結果{e}', '{event}', '{source}', 4, 3, 3, 2, 5, '', '部門', NULL, NULL, '{now}', '{now}')",
                    Uuid::new_v4()
                ));
            }
        }
        let insert = |conn: &mut isacx_server::db::PooledConnection, head: &str, values: &[String]| {
            for chunk in values.chunks(500) {
                conn.batch_execute(&format!("{head} VALUES {}", chunk.join(","))).unwrap();
            }
        };
        insert(&mut conn, "INSERT INTO organisations (id, name_ja, name_en, aliases, domains, sectors, internal_ranges, created_at)", &orgs);
        insert(
            &mut conn,
            "INSERT INTO users (id, username, display_name, email, password_hash, role, organisation_id, locale, disabled, failed_logins, locked_until, created_at)",
            &operators,
        );
        insert(&mut conn, "INSERT INTO member_technologies (id, organisation_id, product, cpe, vendor, note, created_at)", &techs);
        insert(
            &mut conn,
            "INSERT INTO risk_register (id, organisation_id, resource, outcome, threat_event, risk_source, impact, likelihood, residual_impact, residual_likelihood, criterion, measures, owner, technology, technology_vendor, created_at, updated_at)",
            &rows,
        );
        conn.batch_execute("COMMIT").unwrap();
    }
    println!("seeded {members} members × {entries} entries on {backend} in {:.1} s", started.elapsed().as_secs_f64());

    let analyst = Principal {
        user_id: Uuid::new_v4(),
        username: "bench-analyst".into(),
        display_name: "Bench".into(),
        role: Role::Analyst,
        organisation: None,
        method: AuthMethod::Session,
        session_id: None,
        api_key_id: None,
        expires_at: None,
        client_ip: None,
    };
    let viewer = Viewer::from_principal(&analyst);
    let mut times = Vec::new();
    for run in 0..runs {
        let draft = json!({
            "title": { "en": format!("Bench advisory {run}"), "ja": format!("ベンチ用情報提供 {run}") },
            "summary": { "en": "Targeted attacks on VPN appliances.", "ja": "VPN 機器への標的型攻撃。" },
            "urgency": "urgent", "tlp": "amber", "scope_sectors": ["electricity"], "affected_sectors": ["electricity"],
            "threat_events": ["targeted_attack"], "risk_sources": ["patches_not_applied"], "products": ["fortinet:fortios:7.2.*"],
        });
        let created = isacx_server::advisories::create(&state, &analyst, serde_json::from_value(draft).unwrap()).unwrap();
        let start = Instant::now();
        isacx_server::advisories::publish(&state, &Actor::system("bench"), &viewer, created.id).unwrap();
        let took = start.elapsed();
        let tasks: i64 = {
            use diesel::prelude::*;
            use isacx_server::db::schema::reassessment_tasks;
            let mut conn = state.db.get().unwrap();
            reassessment_tasks::table.filter(reassessment_tasks::advisory_id.eq(created.id.to_string())).count().get_result(&mut *conn).unwrap()
        };
        let notifications: i64 = {
            use diesel::prelude::*;
            use isacx_server::db::schema::outbox;
            let mut conn = state.db.get().unwrap();
            outbox::table.filter(outbox::object_id.eq(&created.stix_id)).count().get_result(&mut *conn).unwrap()
        };
        let flagged: usize = isacx_server::advisories::tasks::list(&state, &analyst, Some(created.id)).map(|t| t.iter().map(|t| t.entries.len()).sum()).unwrap_or(0);
        println!("run {run}: publish → {tasks} tasks ({flagged} flagged entries) and {notifications} notifications durable in {:.3} s", took.as_secs_f64());
        assert_eq!(tasks as usize, members, "every member is concerned");
        times.push(took.as_secs_f64());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("median publish-to-tasks-and-notifications-durable: {:.3} s ({backend}, {members} members × {entries} entries, {runs} runs; target < 2 s on SQLite)", times[times.len() / 2]);
    if let Some((base, name, _)) = pg_schema {
        drop(state);
        let _ = diesel::PgConnection::establish(&base).map(|mut c| c.batch_execute(&format!("DROP SCHEMA {name} CASCADE")));
    }
}

//! Fixtures for incident-report tests: a Japanese report full of the
//! submitter's identifying details, and member organisations with profiles
//! the anonymiser works from.

// Test harness: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use isacx_schemas::api::{self, Role};
use serde_json::{json, Value};

use crate::{TestApp, USER_PASSWORD};

/// The Japanese telecom DDoS report of the schema fixtures, with a fresh id
/// and a description naming the member, its internal monitor, an e-mail and
/// a phone number beside the attacker's address.
pub fn fixture() -> Value {
    let text = include_str!("../../schemas/tests/fixtures/reports/ja-telecom-ddos.json");
    let mut report: Value = serde_json::from_str(text).unwrap();
    report["id"] = json!(uuid::Uuid::new_v4());
    report["description"] = json!(
        "東都通信株式会社のインターネット接続サービスで障害。社内の監視サーバ 10.20.3.4 が攻撃元 198.51.100.7 からの通信を検知。\
         連絡先: yamada@toto-tsushin.example、03-1234-5678。"
    );
    report
}

/// A member organisation (domain, sector, internal range 10.20.0.0/16) with
/// one operator named `name`; answers the operator's token and the organisation.
pub async fn member(
    app: &TestApp,
    admin: &str,
    name: &str,
    ja: &str,
    domain: &str,
    sector: &str,
) -> (String, api::Organisation) {
    member_with(app, admin, name, json!({ "name": { "ja": ja, "en": format!("{name} Inc.") }, "domains": [domain], "sectors": [sector], "internal_ranges": ["10.20.0.0/16"] })).await
}

/// A member organisation from a full `NewOrganisation` body, with one operator named `name`.
pub async fn member_with(
    app: &TestApp,
    admin: &str,
    name: &str,
    organisation: Value,
) -> (String, api::Organisation) {
    let org = app.create_organisation(admin, organisation).await.unwrap();
    app.create_user(admin, name, Role::Operator, Some(org.id))
        .await
        .unwrap();
    (app.login(name, USER_PASSWORD).await.unwrap(), org)
}

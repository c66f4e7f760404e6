//! Randomised policy test: objects with random TLP × scope × audiences ×
//! recipients, principals with random role × sector × organisation. For every
//! read path, nothing the policy denies is returned, counted or hinted at, and
//! everything it allows is returned. The expectation is an independent
//! restatement of the TLP rules of the exchange, not a call to the server's
//! policy function.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use isacx_schemas::api::Role;
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::{backends, TestApp, USER_PASSWORD};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

const SECTORS: [&str; 3] = ["electricity", "finance", "gas"];
const TLPS: [(&str, &str); 5] = [
    ("clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"),
    ("green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
    ("amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"),
    ("amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
    ("red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"),
];
const AUDIENCES: [&str; 3] = ["members", "analysts", "liaisons"];

#[derive(Debug, Clone)]
struct Obj {
    tlp: usize,
    /// None: all sectors.
    sectors: Option<BTreeSet<usize>>,
    audiences: BTreeSet<usize>,
    /// Indexes of organisations named as recipients.
    recipients: BTreeSet<usize>,
}

#[derive(Debug, Clone)]
struct Person {
    role: Role,
    /// Organisation index (operators only).
    org: Option<usize>,
}

#[derive(Debug, Clone)]
struct Scenario {
    /// Sector of each organisation.
    orgs: Vec<usize>,
    people: Vec<Person>,
    objects: Vec<Obj>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let orgs = prop::collection::vec(0..SECTORS.len(), 2..5);
    orgs.prop_flat_map(|orgs| {
        let n = orgs.len();
        let person = prop_oneof![
            (0..n).prop_map(|o| Person { role: Role::Operator, org: Some(o) }),
            Just(Person { role: Role::Analyst, org: None }),
            Just(Person { role: Role::Liaison, org: None }),
        ];
        let object = (
            0..TLPS.len(),
            prop::option::of(prop::collection::btree_set(0..SECTORS.len(), 1..3)),
            prop::collection::btree_set(0..AUDIENCES.len(), 1..4),
            prop::collection::btree_set(0..n, 0..3),
        )
            .prop_map(|(tlp, sectors, audiences, recipients)| Obj { tlp, sectors, audiences, recipients });
        (Just(orgs), prop::collection::vec(person, 3..8), prop::collection::vec(object, 10..40))
            .prop_map(|(orgs, people, objects)| Scenario { orgs, people, objects })
    })
}

/// The exchange's TLP rules, restated.
fn expected_visible(s: &Scenario, p: &Person, o: &Obj) -> bool {
    let has = |a: &str| o.audiences.contains(&AUDIENCES.iter().position(|x| *x == a).unwrap_or(99));
    match p.role {
        Role::Analyst | Role::Admin => true,
        Role::Liaison => match TLPS[o.tlp].0 {
            "clear" => true,
            "green" | "amber" => has("liaisons"),
            _ => false,
        },
        Role::Operator => {
            let org = p.org.unwrap_or(usize::MAX);
            let sector = s.orgs.get(org).copied();
            let in_scope = o.sectors.as_ref().is_none_or(|set| sector.is_some_and(|x| set.contains(&x)));
            match TLPS[o.tlp].0 {
                "clear" => true,
                "green" => has("members"),
                "amber" | "amber+strict" => has("members") && in_scope,
                _ => o.recipients.contains(&org),
            }
        }
    }
}

fn in_collection(o: &Obj, collection: &str) -> bool {
    match collection {
        "all-sectors" => true,
        "public" => TLPS[o.tlp].0 == "clear",
        sector => o.sectors.as_ref().is_none_or(|set| set.iter().any(|i| format!("sector-{}", SECTORS[*i]) == sector)),
    }
}

async fn get(app: &TestApp, auth: Option<&str>, path: &str) -> (u16, Value) {
    let mut r = app.client.get(app.url(path)).header("accept", TAXII_MEDIA_TYPE);
    if let Some(user) = auth {
        r = r.basic_auth(user, Some(USER_PASSWORD));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn run(backend: isacx_tests::Backend, s: Scenario) {
    let app = TestApp::spawn(backend).await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let mut org_ids = Vec::new();
    for (i, sector) in s.orgs.iter().enumerate() {
        let org = app
            .create_organisation(&admin, json!({ "name": { "ja": format!("組織{i}"), "en": format!("Org {i}") }, "sectors": [SECTORS[*sector]] }))
            .await
            .unwrap();
        org_ids.push(org.id);
    }
    app.create_user(&admin, "curator", Role::Analyst, None).await.unwrap();
    let mut users = Vec::new();
    for (i, p) in s.people.iter().enumerate() {
        let name = format!("u{i}");
        app.create_user(&admin, &name, p.role, p.org.map(|o| org_ids[o])).await.unwrap();
        users.push(name);
    }
    let objects: Vec<Value> = s
        .objects
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let sectors: Vec<&str> = o.sectors.iter().flatten().map(|i| SECTORS[*i]).collect();
            let audiences: Vec<&str> = o.audiences.iter().map(|i| AUDIENCES[*i]).collect();
            let recipients: Vec<String> = o.recipients.iter().map(|i| org_ids[*i].to_string()).collect();
            let mut scope = json!({ "extension_type": "property-extension", "audiences": audiences });
            // STIX forbids empty lists: no sectors means all sectors, no recipients means none.
            if !sectors.is_empty() {
                scope["sectors"] = json!(sectors);
            }
            if !recipients.is_empty() {
                scope["recipients"] = json!(recipients);
            }
            json!({
                "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": format!("[domain-name:value = 'd{n}.example']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [TLPS[o.tlp].1],
                "extensions": { "extension-definition--54ddad55-7735-496a-a5d5-c73f546650b2": scope }
            })
        })
        .collect();
    let r = app
        .client
        .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
        .basic_auth("curator", Some(USER_PASSWORD))
        .header("accept", TAXII_MEDIA_TYPE)
        .header("content-type", TAXII_MEDIA_TYPE)
        .body(json!({ "objects": objects }).to_string())
        .send()
        .await
        .unwrap();
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["success_count"].as_u64(), Some(objects.len() as u64), "{status}");

    let mut collections = vec!["all-sectors".to_owned(), "public".to_owned()];
    collections.extend(SECTORS.iter().map(|s| format!("sector-{s}")));
    let viewers: Vec<(Option<&str>, Option<&Person>)> =
        std::iter::once((None, None)).chain(users.iter().zip(&s.people).map(|(u, p)| (Some(u.as_str()), Some(p)))).collect();
    for (user, person) in viewers {
        for collection in &collections {
            let (status, listing) = get(&app, user, &format!("/taxii2/api/collections/{collection}/")).await;
            let readable = match person {
                None => collection == "public",
                Some(p) if p.role == Role::Operator => {
                    collection == "all-sectors" || collection == "public" || *collection == format!("sector-{}", SECTORS[s.orgs[p.org.unwrap_or(0)]])
                }
                Some(_) => true,
            };
            assert_eq!(status == 200, readable, "{user:?} reading {collection}: {listing}");
            let expected: BTreeSet<String> = s
                .objects
                .iter()
                .zip(&objects)
                .filter(|(o, _)| readable && in_collection(o, collection))
                .filter(|(o, _)| match person {
                    None => TLPS[o.tlp].0 == "clear",
                    Some(p) => expected_visible(&s, p, o),
                })
                .map(|(_, v)| v["id"].as_str().unwrap_or("").to_owned())
                .collect();
            let (_, page) = get(&app, user, &format!("/taxii2/api/collections/{collection}/objects/?limit=1000")).await;
            let got: BTreeSet<String> = page["objects"].as_array().cloned().unwrap_or_default().iter().map(|o| o["id"].as_str().unwrap_or("").to_owned()).collect();
            assert_eq!(got, expected, "objects of {collection} for {user:?} {person:?}");
            let (_, manifest) = get(&app, user, &format!("/taxii2/api/collections/{collection}/manifest/?limit=1000")).await;
            let listed: BTreeSet<String> = manifest["objects"].as_array().cloned().unwrap_or_default().iter().map(|o| o["id"].as_str().unwrap_or("").to_owned()).collect();
            assert_eq!(listed, expected, "manifest of {collection} for {user:?}");
            // A page of one must not claim more when only denied objects follow.
            let (_, one) = get(&app, user, &format!("/taxii2/api/collections/{collection}/objects/?limit=1")).await;
            assert_eq!(one.get("more").is_some_and(|m| m == true), expected.len() > 1, "more flag of {collection} for {user:?}");
            if collection == "all-sectors" {
                for object in &objects {
                    let oid = object["id"].as_str().unwrap_or("");
                    let visible = expected.contains(oid);
                    let (status, body) = get(&app, user, &format!("/taxii2/api/collections/{collection}/objects/{oid}/")).await;
                    assert_eq!(status == 200, visible, "single {oid} for {user:?}: {body}");
                    let (status, body) = get(&app, user, &format!("/taxii2/api/collections/{collection}/objects/{oid}/versions/")).await;
                    assert_eq!(status == 200, visible, "versions {oid} for {user:?}: {body}");
                    assert!(visible || !body.to_string().contains(oid));
                }
            }
        }
    }
    app.stop().await;
}

#[test]
fn random_objects_and_principals_on_every_read_path() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for backend in backends() {
        let cases = if backend == isacx_tests::Backend::Sqlite { 4 } else { 2 };
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        runner
            .run(&scenario(), |s| {
                runtime.block_on(run(backend, s));
                Ok(())
            })
            .unwrap();
    }
}

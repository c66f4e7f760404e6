//! TAXII 2.1 end to end: endpoints, filters, media types, errors, versions,
//! lifetime, and the sharing policy on every read path.

use isacx_schemas::api::{self, Role};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_tests::{backends, Backend, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const SCOPE_EXT: &str = "extension-definition--54ddad55-7735-496a-a5d5-c73f546650b2";

fn indicator(n: u32, marking: &str, modified: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", n / 250, n % 250 + 1),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [marking]
    })
}

struct Taxii<'a> {
    app: &'a TestApp,
    auth: Auth,
}

#[derive(Clone)]
enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
}

impl<'a> Taxii<'a> {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.app.client.request(method, self.app.url(path)).header("accept", TAXII_MEDIA_TYPE);
        match &self.auth {
            Auth::None => r,
            Auth::Basic(u, p) => r.basic_auth(u, Some(p)),
            Auth::Bearer(t) => r.bearer_auth(t),
        }
    }
    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self.req(reqwest::Method::GET, path).send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn post(&self, collection: &str, objects: &[Value]) -> (u16, Value) {
        let r = self
            .req(reqwest::Method::POST, &format!("/taxii2/api/collections/{collection}/objects/"))
            .header("content-type", TAXII_MEDIA_TYPE)
            .body(json!({ "objects": objects }).to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    /// Every object id of a collection, following `next`.
    async fn all_ids(&self, collection: &str, extra: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..10_000 {
            let mut path = format!("/taxii2/api/collections/{collection}/objects/?limit=7{extra}");
            if let Some(n) = &next {
                path.push_str(&format!("&next={n}"));
            }
            let (status, _, body) = self.get(&path).await;
            if status != 200 {
                return ids;
            }
            for o in body["objects"].as_array().cloned().unwrap_or_default() {
                ids.push(o["id"].as_str().unwrap().to_owned());
            }
            match body["next"].as_str() {
                Some(n) if body["more"] == true => next = Some(n.to_owned()),
                _ => return ids,
            }
        }
        panic!("paging did not end");
    }
}

async fn analyst<'a>(app: &'a TestApp, admin: &str, name: &str) -> Taxii<'a> {
    app.create_user(admin, name, Role::Analyst, None).await.unwrap();
    Taxii { app, auth: Auth::Basic(name.to_owned(), USER_PASSWORD.to_owned()) }
}

async fn operator<'a>(app: &'a TestApp, admin: &str, name: &str, sector: &str) -> (Taxii<'a>, api::Organisation) {
    let org = app
        .create_organisation(admin, json!({ "name": { "ja": format!("{name}株式会社"), "en": format!("{name} Corp") }, "sectors": [sector] }))
        .await
        .unwrap();
    app.create_user(admin, name, Role::Operator, Some(org.id)).await.unwrap();
    let token = app.login(name, USER_PASSWORD).await.unwrap();
    (Taxii { app, auth: Auth::Bearer(token) }, org)
}

#[tokio::test]
async fn discovery_collections_and_publishing() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = analyst(&app, &admin, "analyst").await;
        let anonymous = Taxii { app: &app, auth: Auth::None };

        let (status, headers, discovery) = analyst.get("/taxii2/").await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], TAXII_MEDIA_TYPE);
        assert!(discovery["default"].as_str().unwrap().ends_with("/taxii2/api/"));
        let (_, _, root) = analyst.get("/taxii2/api/").await;
        assert_eq!(root["versions"][0], TAXII_MEDIA_TYPE);
        assert!(root["max_content_length"].as_u64().unwrap() > 0);

        let (_, _, listed) = analyst.get("/taxii2/api/collections/").await;
        let aliases: Vec<&str> = listed["collections"].as_array().unwrap().iter().map(|c| c["alias"].as_str().unwrap()).collect();
        assert_eq!(aliases.len(), 15, "all sectors + 13 sectors + public: {aliases:?}");
        let (_, _, public_only) = anonymous.get("/taxii2/api/collections/").await;
        let public: Vec<&str> = public_only["collections"].as_array().unwrap().iter().map(|c| c["alias"].as_str().unwrap()).collect();
        assert_eq!(public, ["public"]);
        let (status, headers, _) = anonymous.get("/taxii2/api/collections/all-sectors/objects/").await;
        assert_eq!(status, 401);
        assert!(headers.contains_key("www-authenticate"));

        let objects: Vec<Value> = (0..30).map(|n| indicator(n, if n % 3 == 0 { CLEAR } else { GREEN }, "2026-01-01T00:00:00.000Z")).collect();
        let mut broken = indicator(99, GREEN, "2026-01-01T00:00:00.000Z");
        broken["pattern"] = json!("[ipv4-addr:value = ");
        let mut with_broken = objects.clone();
        with_broken.push(broken);
        let (status, st) = analyst.post("all-sectors", &with_broken).await;
        assert_eq!(status, 202, "{st}");
        assert_eq!((st["status"].as_str(), st["total_count"].as_u64(), st["success_count"].as_u64(), st["failure_count"].as_u64()), (Some("complete"), Some(31), Some(30), Some(1)));
        assert!(st["failures"][0]["message"].as_str().unwrap().contains("pattern"), "{st}");
        // The status is there for the poster, and for no one else.
        let status_path = format!("/taxii2/api/status/{}/", st["id"].as_str().unwrap());
        assert_eq!(analyst.get(&status_path).await.2["success_count"], 30);
        let other = analyst_named(&app, &admin, "analyst2").await;
        assert_eq!(other.get(&status_path).await.0, 404);
        // Posting the same objects again is not an error and adds nothing.
        let (_, again) = analyst.post("all-sectors", &objects).await;
        assert_eq!(again["success_count"], 30);
        assert_eq!(analyst.all_ids("all-sectors", "").await.len(), 30);

        // The public collection serves the CLEAR ones without credentials.
        let public_ids = anonymous.all_ids("public", "").await;
        assert_eq!(public_ids.len(), 10);
        // And refuses anything else.
        let (_, st) = analyst.post("public", &[indicator(1, GREEN, "2026-01-01T00:00:00.000Z")]).await;
        assert_eq!(st["failure_count"], 1);
        app.stop().await;
    }
}

async fn analyst_named<'a>(app: &'a TestApp, admin: &str, name: &str) -> Taxii<'a> {
    analyst(app, admin, name).await
}

#[tokio::test]
async fn filters_paging_versions_and_headers() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = analyst(&app, &admin, "analyst").await;
        let mut first = indicator(1, GREEN, "2026-01-01T00:00:00.000Z");
        let id = first["id"].as_str().unwrap().to_owned();
        analyst.post("all-sectors", &[first.clone()]).await;
        for modified in ["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"] {
            first["modified"] = json!(modified);
            analyst.post("all-sectors", &[first.clone()]).await;
        }
        let others: Vec<Value> = (2..12).map(|n| indicator(n, GREEN, "2026-01-01T00:00:00.000Z")).collect();
        analyst.post("all-sectors", &others).await;
        let identity = json!({ "type": "identity", "spec_version": "2.1", "id": format!("identity--{}", uuid::Uuid::new_v4()),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "ISAC", "identity_class": "organization",
            "object_marking_refs": [GREEN] });
        analyst.post("all-sectors", std::slice::from_ref(&identity)).await;

        let base = "/taxii2/api/collections/all-sectors";
        // Default: latest version only.
        assert_eq!(analyst.all_ids("all-sectors", "").await.len(), 12);
        assert_eq!(analyst.all_ids("all-sectors", "&match[version]=all").await.len(), 14);
        assert_eq!(analyst.all_ids("all-sectors", "&match[version]=first,last").await.len(), 13);
        assert_eq!(analyst.all_ids("all-sectors", "&match[type]=identity").await, [identity["id"].as_str().unwrap()]);
        assert_eq!(analyst.all_ids("all-sectors", "&match[type]=indicator,identity").await.len(), 12);
        assert_eq!(analyst.all_ids("all-sectors", &format!("&match[id]={id}&match[version]=2026-02-01T00:00:00.000Z")).await, [id.as_str()]);
        assert_eq!(analyst.all_ids("all-sectors", "&match[spec_version]=2.0").await.len(), 0);
        assert_eq!(analyst.all_ids("all-sectors", "&match[spec_version]=2.1").await.len(), 12);

        let (_, _, one) = analyst.get(&format!("{base}/objects/{id}/")).await;
        assert_eq!(one["objects"][0]["modified"], "2026-03-01T00:00:00.000Z");
        let (_, _, firstv) = analyst.get(&format!("{base}/objects/{id}/?match[version]=first")).await;
        assert_eq!(firstv["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");
        let (status, headers, versions) = analyst.get(&format!("{base}/objects/{id}/versions/")).await;
        assert_eq!(status, 200);
        assert_eq!(versions["versions"].as_array().unwrap().len(), 3);
        assert!(headers.contains_key("x-taxii-date-added-first") && headers.contains_key("x-taxii-date-added-last"));

        // Paging with limit/next and with added_after gives each object once.
        let (_, headers, page1) = analyst.get(&format!("{base}/objects/?limit=5")).await;
        assert_eq!(page1["objects"].as_array().unwrap().len(), 5);
        assert_eq!(page1["more"], true);
        let last = headers["x-taxii-date-added-last"].to_str().unwrap().to_owned();
        let (_, _, page2) = analyst.get(&format!("{base}/objects/?limit=100&added_after={last}")).await;
        assert_eq!(page2["objects"].as_array().unwrap().len(), 7);
        assert!(page2.get("more").is_none() || page2["more"] == false);
        let (_, _, manifest) = analyst.get(&format!("{base}/manifest/?limit=100")).await;
        let records = manifest["objects"].as_array().unwrap();
        assert_eq!(records.len(), 12);
        assert!(records.iter().all(|r| r["media_type"] == "application/stix+json;version=2.1" && r["date_added"].as_str().unwrap().len() == 27));
        // Nothing after the end: an empty envelope, no date headers.
        let (status, headers, empty) = analyst.get(&format!("{base}/objects/?added_after=2999-01-01T00:00:00.000000Z")).await;
        assert_eq!((status, empty), (200, json!({})));
        assert!(!headers.contains_key("x-taxii-date-added-first"));

        // Deletion: admins only, audited, and afterwards 404.
        let admin_taxii = Taxii { app: &app, auth: Auth::Bearer(admin.clone()) };
        let denied = analyst.req(reqwest::Method::DELETE, &format!("{base}/objects/{id}/")).send().await.unwrap();
        assert_eq!(denied.status(), 403);
        let deleted = admin_taxii.req(reqwest::Method::DELETE, &format!("{base}/objects/{id}/")).send().await.unwrap();
        assert_eq!(deleted.status(), 200);
        assert_eq!(analyst.get(&format!("{base}/objects/{id}/")).await.0, 404);
        assert_eq!(analyst.get(&format!("{base}/objects/{id}/versions/")).await.0, 404);
        let audited: i64 = app
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use isacx_server::db::schema::audit_log;
                Ok(audit_log::table.filter(audit_log::action.eq("stix_object.delete")).count().get_result(conn)?)
            })
            .unwrap();
        assert_eq!(audited, 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn taxii_errors() {
    let app = TestApp::builder(Backend::Sqlite).settings(|s| s.taxii.max_content_length = 4096).start().await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let analyst = analyst(&app, &admin, "analyst").await;
    let base = "/taxii2/api/collections/all-sectors/objects/";
    let is_taxii_error = |r: &reqwest::Response| r.headers()["content-type"] == TAXII_MEDIA_TYPE;

    let r = app.client.get(app.url(base)).basic_auth("analyst", Some(USER_PASSWORD)).header("accept", "application/xml").send().await.unwrap();
    assert_eq!(r.status(), 406);
    assert!(is_taxii_error(&r));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["http_status"], "406");

    let r = analyst.req(reqwest::Method::POST, base).header("content-type", "application/json").body("{}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let big = json!({ "objects": (0..100).map(|n| indicator(n, GREEN, "2026-01-01T00:00:00.000Z")).collect::<Vec<_>>() }).to_string();
    let r = analyst.req(reqwest::Method::POST, base).header("content-type", TAXII_MEDIA_TYPE).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let r = analyst.req(reqwest::Method::POST, base).header("content-type", TAXII_MEDIA_TYPE).body("{\"objects\": [").send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(is_taxii_error(&r));
    let r = analyst.req(reqwest::Method::POST, base).header("content-type", TAXII_MEDIA_TYPE).body("{\"objects\": []}").send().await.unwrap();
    assert_eq!(r.status(), 422);

    for bad in ["?limit=0", "?limit=x", "?added_after=yesterday", "?next=garbage", "?match[version]=sometime"] {
        assert_eq!(analyst.get(&format!("{base}{bad}")).await.0, 400, "{bad}");
    }
    assert_eq!(analyst.get("/taxii2/api/collections/no-such/objects/").await.0, 404);
    assert_eq!(analyst.get("/taxii2/api/status/00000000-0000-0000-0000-000000000000/").await.0, 404);
    let wrong = Taxii { app: &app, auth: Auth::Basic("analyst".into(), "wrong".into()) };
    assert_eq!(wrong.get("/taxii2/api/collections/").await.0, 401);
    let (operator, _) = operator(&app, &admin, "op", "electricity").await;
    // Operators post reports for review, not loose objects into the store.
    let (status, st) = operator.post("sector-electricity", &[indicator(1, GREEN, "2026-01-01T00:00:00.000Z")]).await;
    assert_eq!((status, st["failure_count"].as_u64()), (202, Some(1)), "{st}");
    assert!(st["failures"][0]["message"].as_str().unwrap().contains("not an isacx incident report"), "{st}");
    let (status, _) = operator.post("sector-finance", &[indicator(1, GREEN, "2026-01-01T00:00:00.000Z")]).await;
    assert_eq!(status, 403);
    let (status, _) = operator.post("public", &[indicator(1, CLEAR, "2026-01-01T00:00:00.000Z")]).await;
    assert_eq!(status, 403);
    assert_eq!(operator.get("/taxii2/api/collections/sector-finance/objects/").await.0, 403);
    app.stop().await;
}

#[tokio::test]
async fn lifetime_revocation_and_tlp_never_lowered() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = analyst(&app, &admin, "analyst").await;
        let mut expired = indicator(1, GREEN, "2026-01-01T00:00:00.000Z");
        expired["valid_until"] = json!("2026-01-02T00:00:00.000Z");
        let mut amber = indicator(2, AMBER, "2026-01-01T00:00:00.000Z");
        analyst.post("all-sectors", &[expired, amber.clone()]).await;
        assert_eq!(analyst.all_ids("all-sectors", "").await, [amber["id"].as_str().unwrap()]);
        // A later version marked lower is refused; one marked higher is fine.
        amber["modified"] = json!("2026-02-01T00:00:00.000Z");
        amber["object_marking_refs"] = json!([GREEN]);
        let (_, st) = analyst.post("all-sectors", &[amber.clone()]).await;
        assert_eq!(st["failure_count"], 1, "{st}");
        assert!(st["failures"][0]["message"].as_str().unwrap().contains("never lowered"));
        amber["object_marking_refs"] = json!([RED]);
        amber["revoked"] = json!(true);
        let (_, st) = analyst.post("all-sectors", &[amber.clone()]).await;
        assert_eq!(st["success_count"], 1, "{st}");
        let (_, _, latest) = analyst.get(&format!("/taxii2/api/collections/all-sectors/objects/{}/", amber["id"].as_str().unwrap())).await;
        assert_eq!(latest["objects"][0]["revoked"], true);
        app.stop().await;
    }
}

#[tokio::test]
async fn policy_holds_on_every_read_path() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = analyst(&app, &admin, "analyst").await;
        let (elec, elec_org) = operator(&app, &admin, "elec", "electricity").await;
        let (fin, _) = operator(&app, &admin, "fin", "finance").await;
        app.create_user(&admin, "liaison", Role::Liaison, None).await.unwrap();
        let liaison = Taxii { app: &app, auth: Auth::Basic("liaison".into(), USER_PASSWORD.into()) };

        let scoped = |n: u32, marking: &str, sectors: &[&str], recipients: &[uuid::Uuid]| {
            let mut o = indicator(n, marking, "2026-01-01T00:00:00.000Z");
            let mut scope = json!({ "extension_type": "property-extension", "sectors": sectors });
            if !recipients.is_empty() {
                scope["recipients"] = json!(recipients);
            }
            o["extensions"] = json!({ SCOPE_EXT: scope });
            o
        };
        let green = scoped(1, GREEN, &["finance"], &[]);
        let amber_fin = scoped(2, AMBER, &["finance"], &[]);
        let strict_elec = scoped(3, AMBER_STRICT, &["electricity"], &[]);
        let red_elec = scoped(4, RED, &["finance"], &[elec_org.id]);
        let red_nobody = scoped(5, RED, &["electricity"], &[]);
        let (_, st) = analyst.post("all-sectors", &[green.clone(), amber_fin.clone(), strict_elec.clone(), red_elec.clone(), red_nobody.clone()]).await;
        assert_eq!(st["success_count"], 5, "{st}");
        let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };

        let expect = [
            (&elec, vec![id(&green), id(&strict_elec), id(&red_elec)]),
            (&fin, vec![id(&green), id(&amber_fin)]),
            (&liaison, vec![id(&green)]),
        ];
        let all = [&green, &amber_fin, &strict_elec, &red_elec, &red_nobody];
        for (viewer, allowed) in expect {
            assert_eq!(sorted(viewer.all_ids("all-sectors", "").await), sorted(allowed.clone()));
            let (_, _, manifest) = viewer.get("/taxii2/api/collections/all-sectors/manifest/?limit=100").await;
            let listed: Vec<String> = manifest["objects"].as_array().cloned().unwrap_or_default().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
            assert_eq!(sorted(listed), sorted(allowed.clone()));
            for object in all {
                let oid = id(object);
                let visible = allowed.contains(&oid);
                let (status, _, body) = viewer.get(&format!("/taxii2/api/collections/all-sectors/objects/{oid}/")).await;
                assert_eq!(status == 200, visible, "{oid}");
                let (status, _, _) = viewer.get(&format!("/taxii2/api/collections/all-sectors/objects/{oid}/versions/")).await;
                assert_eq!(status == 200, visible, "{oid}");
                if !visible {
                    // Not even a hint: the refusal does not mention the id.
                    assert!(!body.to_string().contains(&oid));
                }
            }
        }
        // A page that ends on denied objects says no more.
        let (_, _, page) = liaison.get("/taxii2/api/collections/all-sectors/objects/?limit=1").await;
        assert!(page.get("more").is_none(), "{page}");
        assert_eq!(sorted(analyst.all_ids("all-sectors", "").await).len(), 5);
        app.stop().await;
    }
}

#[tokio::test]
async fn paging_is_stable_under_concurrent_inserts() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let writer = analyst(&app, &admin, "writer").await;
        let token = app.login("writer", USER_PASSWORD).await.unwrap();
        let initial: Vec<Value> = (0..200).map(|n| indicator(n, GREEN, "2026-01-01T00:00:00.000Z")).collect();
        writer.post("all-sectors", &initial).await;
        let mut expected: Vec<String> = initial.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();

        let client = app.client.clone();
        let url = app.url("/taxii2/api/collections/all-sectors/objects/");
        let writer_token = token.clone();
        let writes = tokio::spawn(async move {
            let mut ids = Vec::new();
            for batch in 0..20 {
                let objects: Vec<Value> = (0..10).map(|n| indicator(1000 + batch * 10 + n, GREEN, "2026-01-01T00:00:00.000Z")).collect();
                ids.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
                let r = client
                    .post(&url)
                    .bearer_auth(&writer_token)
                    .header("accept", TAXII_MEDIA_TYPE)
                    .header("content-type", TAXII_MEDIA_TYPE)
                    .body(json!({ "objects": objects }).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
            }
            ids
        });
        // Page with added_after while the writer runs, then keep going until the writes are in.
        let reader = Taxii { app: &app, auth: Auth::Bearer(token) };
        let mut seen: Vec<String> = Vec::new();
        let mut after = String::from("1970-01-01T00:00:00.000000Z");
        let mut writer_done = false;
        let mut writes = Some(writes);
        for _ in 0..10_000 {
            let (_, headers, page) = reader.get(&format!("/taxii2/api/collections/all-sectors/objects/?limit=13&added_after={after}")).await;
            let objects = page["objects"].as_array().cloned().unwrap_or_default();
            seen.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
            if let Some(last) = headers.get("x-taxii-date-added-last") {
                after = last.to_str().unwrap().to_owned();
            }
            if objects.is_empty() {
                if writer_done {
                    break;
                }
                if let Some(handle) = writes.take() {
                    expected.extend(handle.await.unwrap());
                    writer_done = true;
                }
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "an object was returned twice");
        expected.sort();
        assert_eq!(unique, expected, "an object was skipped");
        app.stop().await;
    }
}

#[tokio::test]
async fn where_will_this_go() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let (_, elec) = operator(&app, &admin, "elec", "electricity").await;
        let (fin_taxii, fin) = operator(&app, &admin, "fin", "finance").await;
        let peer = app
            .client
            .post(app.url("/api/v1/admin/peers"))
            .bearer_auth(&admin)
            .json(&json!({ "name": "council", "api_root": "https://council.example/taxii2/api/", "direction": "both", "max_tlp": "amber" }))
            .send()
            .await
            .unwrap();
        assert_eq!(peer.status(), 201);
        let ask = |object: Value| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let r = app.client.post(app.url("/api/v1/policy/where")).bearer_auth(&admin).json(&json!({ "object": object })).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.json::<api::WhereResponse>().await.unwrap()
            }
        };
        let mut amber = indicator(1, AMBER, "2026-01-01T00:00:00.000Z");
        amber["extensions"] = json!({ SCOPE_EXT: { "extension_type": "property-extension", "sectors": ["finance"] } });
        let answer = ask(amber).await;
        assert_eq!(answer.organisations.iter().map(|o| o.id).collect::<Vec<_>>(), [fin.id]);
        assert_eq!(answer.peers.len(), 1);
        assert!(!answer.public);
        let red = ask(indicator(2, RED, "2026-01-01T00:00:00.000Z")).await;
        assert!(red.organisations.is_empty() && red.peers.is_empty());
        assert_eq!(red.roles, [Role::Analyst, Role::Admin]);
        let clear = ask(indicator(3, CLEAR, "2026-01-01T00:00:00.000Z")).await;
        assert_eq!(clear.organisations.len(), 2);
        assert!(clear.public);
        let unmarked = ask(json!({ "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid::Uuid::new_v4()),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z" })).await;
        assert_eq!(unmarked.tlp, "amber", "unmarked objects take the configured default");
        let _ = elec;
        // Operators may not ask; bad objects are named.
        let Auth::Bearer(token) = fin_taxii.auth.clone() else { unreachable!() };
        let r = app.client.post(app.url("/api/v1/policy/where")).bearer_auth(token).json(&json!({ "object": {} })).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = app.client.post(app.url("/api/v1/policy/where")).bearer_auth(&admin).json(&json!({ "object": { "type": "indicator" } })).send().await.unwrap();
        assert_eq!(r.status(), 422);
        app.stop().await;
    }
}

#[tokio::test]
async fn basic_auth_clients_are_not_throttled_but_guessing_is() {
    let app = TestApp::builder(Backend::Sqlite).settings(|s| s.auth.login_attempts_per_minute = 3).start().await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let analyst = analyst(&app, &admin, "analyst").await;
    for _ in 0..10 {
        assert_eq!(analyst.get("/taxii2/api/collections/").await.0, 200);
    }
    let guesser = Taxii { app: &app, auth: Auth::Basic("analyst".into(), "guess".into()) };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(guesser.get("/taxii2/api/collections/").await.0);
    }
    // The admin's login above spent one of the address's three attempts.
    assert_eq!(statuses, [401, 401, 429, 429]);
    app.stop().await;
}

#[tokio::test]
async fn delete_last_version_only_and_versions_as_written() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = app.admin_token().await.unwrap();
    let analyst = analyst(&app, &admin, "analyst").await;
    let mut object = indicator(1, GREEN, "2026-01-01T00:00:00.000Z");
    let id = object["id"].as_str().unwrap().to_owned();
    analyst.post("all-sectors", &[object.clone()]).await;
    object["modified"] = json!("2026-03-01T00:00:00.123Z");
    analyst.post("all-sectors", &[object.clone()]).await;
    let base = format!("/taxii2/api/collections/all-sectors/objects/{id}");
    let (_, _, versions) = analyst.get(&format!("{base}/versions/")).await;
    assert_eq!(versions["versions"], json!(["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.123Z"]));
    let (_, _, manifest) = analyst.get(&format!("/taxii2/api/collections/all-sectors/manifest/?match[id]={id}")).await;
    assert_eq!(manifest["objects"][0]["version"], "2026-03-01T00:00:00.123Z");
    let admin_taxii = Taxii { app: &app, auth: Auth::Bearer(admin.clone()) };
    let r = admin_taxii.req(reqwest::Method::DELETE, &format!("{base}/?match[version]=last")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, _, versions) = analyst.get(&format!("{base}/versions/")).await;
    assert_eq!(versions["versions"], json!(["2026-01-01T00:00:00.000Z"]));
    let (_, _, latest) = analyst.get(&format!("{base}/")).await;
    assert_eq!(latest["objects"][0]["modified"], "2026-01-01T00:00:00.000Z", "the remaining version is the latest again");
    app.stop().await;
}

/// Ingest reads the stored versions of a whole envelope at once and writes
/// it with multi-row statements: versions of one object inside one envelope
/// must still see each other (latest/first marks, duplicates, TLP never lowered).
#[tokio::test]
async fn versions_of_one_object_within_one_envelope() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await.unwrap();
        let admin = app.admin_token().await.unwrap();
        let analyst = analyst(&app, &admin, "analyst").await;
        let mut object = indicator(1, GREEN, "2026-03-01T00:00:00.000Z");
        let id = object["id"].as_str().unwrap().to_owned();
        let version = |object: &Value, modified: &str, marking: &str| {
            let mut o = object.clone();
            o["modified"] = json!(modified);
            o["object_marking_refs"] = json!([marking]);
            o
        };
        let other = indicator(2, GREEN, "2026-01-01T00:00:00.000Z");
        let (status, st) = analyst
            .post(
                "all-sectors",
                &[
                    object.clone(),
                    version(&object, "2026-02-01T00:00:00.000Z", GREEN),
                    other.clone(),
                    version(&object, "2026-05-01T00:00:00.000Z", AMBER),
                    version(&object, "2026-03-01T00:00:00.000Z", GREEN),
                    version(&object, "2026-06-01T00:00:00.000Z", GREEN),
                ],
            )
            .await;
        assert_eq!(status, 202);
        assert_eq!(st["success_count"], 5, "{st}");
        assert_eq!(st["failure_count"], 1, "{st}");
        assert_eq!(st["failures"][0]["version"], "2026-06-01T00:00:00.000Z", "GREEN after AMBER in the same envelope: {st}");
        let base = format!("/taxii2/api/collections/all-sectors/objects/{id}");
        let (_, _, versions) = analyst.get(&format!("{base}/versions/")).await;
        assert_eq!(versions["versions"], json!(["2026-03-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"]), "in the order added");
        let (_, _, latest) = analyst.get(&format!("{base}/")).await;
        assert_eq!(latest["objects"].as_array().unwrap().len(), 1, "{latest}");
        assert_eq!(latest["objects"][0]["modified"], "2026-05-01T00:00:00.000Z");
        let (_, _, first) = analyst.get(&format!("{base}/?match[version]=first")).await;
        assert_eq!(first["objects"][0]["modified"], "2026-02-01T00:00:00.000Z");
        // A later envelope with an earlier version takes the first mark from a stored row.
        object["modified"] = json!("2026-01-01T00:00:00.000Z");
        object["object_marking_refs"] = json!([AMBER]);
        let (_, st) = analyst.post("all-sectors", &[object.clone(), version(&object, "2026-07-01T00:00:00.000Z", AMBER)]).await;
        assert_eq!(st["success_count"], 2, "{st}");
        let (_, _, first) = analyst.get(&format!("{base}/?match[version]=first")).await;
        assert_eq!(first["objects"].as_array().unwrap().len(), 1, "{first}");
        assert_eq!(first["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");
        let (_, _, latest) = analyst.get(&format!("{base}/")).await;
        assert_eq!(latest["objects"].as_array().unwrap().len(), 1, "{latest}");
        assert_eq!(latest["objects"][0]["modified"], "2026-07-01T00:00:00.000Z");
        let (_, _, both) = analyst.get(&format!("{base}/?match[version]=first,last")).await;
        assert_eq!(both["objects"].as_array().unwrap().len(), 2, "{both}");
        let ids = analyst.all_ids("all-sectors", "").await;
        assert_eq!(ids, [other["id"].as_str().unwrap().to_owned(), id.clone()], "latest versions, in the order added");
        app.stop().await;
    }
}

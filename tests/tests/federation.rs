//! Federation end to end: real servers on loopback over TLS, linked as peers
//! through the admin API, syncing over TAXII 2.1. What arrived is checked by
//! reading the peers' stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use diesel::prelude::*;
use isacx_schemas::api::{self, Role};
use isacx_schemas::taxii::TAXII_MEDIA_TYPE;
use isacx_server::db::schema::stix_objects;
use isacx_tests::{backends, Backend, TestApp, USER_PASSWORD};
use serde_json::{json, Value};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const SCOPE_EXT: &str = "extension-definition--54ddad55-7735-496a-a5d5-c73f546650b2";
const PROVENANCE_EXT: &str = isacx_server::federation::provenance::PROVENANCE_EXTENSION_ID;

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

/// A CA for the sharing bodies' client certificates, and one certificate per server.
struct FederationCa {
    dir: tempfile::TempDir,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A server's client identity: PEM files and the SHA-256 a peer registers.
struct ClientIdentity {
    cert_file: String,
    key_file: String,
    sha256: String,
}

impl FederationCa {
    fn new() -> FederationCa {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "federation CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
        FederationCa {
            issuer: rcgen::Issuer::new(params, key),
            dir,
        }
    }

    fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    fn identity(&self, name: &str) -> ClientIdentity {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![format!("{name}.isac.test")]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let (cert_file, key_file) = (
            self.dir.path().join(format!("{name}.pem")),
            self.dir.path().join(format!("{name}.key")),
        );
        std::fs::write(&cert_file, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        ClientIdentity {
            cert_file: cert_file.display().to_string(),
            key_file: key_file.display().to_string(),
            sha256: isacx_server::federation::auth::fingerprint(cert.der()),
        }
    }
}

async fn server(
    backend: Backend,
    server_id: &'static str,
    name: &'static str,
    page_size: usize,
) -> TestApp {
    server_with_client_ca(backend, server_id, name, page_size, String::new()).await
}

async fn server_with_client_ca(
    backend: Backend,
    server_id: &'static str,
    name: &'static str,
    page_size: usize,
    client_ca: String,
) -> TestApp {
    TestApp::builder(backend)
        .settings(move |s| {
            s.federation.client_ca_file = client_ca;
            s.identity.server_id = server_id.to_owned();
            s.identity.name_en = name.to_owned();
            s.federation.page_size = page_size;
            s.federation.retry_base_secs = 1;
            s.jobs.federation_sync = "* * * * * *".to_owned();
        })
        .start()
        .await
        .unwrap()
}

async fn admin_post(app: &TestApp, admin: &str, path: &str, body: Value) -> (u16, Value) {
    app.post_json(admin, path, body).await.unwrap()
}

/// `source` pushes to `dest`: `dest` registers `source` (and issues the token
/// `source` pushes with), `source` registers `dest` to push TLP:GREEN and
/// below into its all-sectors collection. Returns the peer id on `source`.
async fn push_link(source: &TestApp, dest: &TestApp) -> uuid::Uuid {
    let (sa, da) = (source.admin_token().await.unwrap(), dest.admin_token().await.unwrap());
    let (status, on_dest) = admin_post(
        dest,
        &da,
        "/api/v1/admin/peers",
        json!({ "name": source.settings.identity.server_id, "server_id": source.settings.identity.server_id,
                "api_root": source.url("/taxii2/api/"), "direction": "pull", "max_tlp": "clear" }),
    )
    .await;
    assert_eq!(status, 201, "{on_dest}");
    let (status, on_source) = admin_post(
        source,
        &sa,
        "/api/v1/admin/peers",
        json!({
            "name": dest.settings.identity.server_id, "server_id": dest.settings.identity.server_id,
            "api_root": dest.url("/taxii2/api/"), "direction": "push", "max_tlp": "green", "push_collection": "all-sectors",
            "token": on_dest["inbound_token"], "ca_file": dest.ca_pem.display().to_string(),
        }),
    )
    .await;
    assert_eq!(status, 201, "{on_source}");
    on_source["id"].as_str().unwrap().parse().unwrap()
}

/// Objects flow from `source` to `dest`: `source` registers `dest` (and
/// issues the token), `dest` registers `source` to pull from. Returns the id
/// of the peer on `dest` to sync.
async fn link(source: &TestApp, dest: &TestApp, max_tlp: &str) -> uuid::Uuid {
    let (sa, da) = (
        source.admin_token().await.unwrap(),
        dest.admin_token().await.unwrap(),
    );
    let (status, issued) = admin_post(
        source,
        &sa,
        "/api/v1/admin/peers",
        json!({
            "name": dest.settings.identity.server_id, "server_id": dest.settings.identity.server_id,
            "api_root": dest.url("/taxii2/api/"), "direction": "push", "max_tlp": max_tlp,
        }),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let token = issued["inbound_token"].as_str().unwrap().to_owned();
    let (status, peer) = admin_post(
        dest,
        &da,
        "/api/v1/admin/peers",
        json!({
            "name": source.settings.identity.server_id, "server_id": source.settings.identity.server_id,
            "api_root": source.url("/taxii2/api/"), "direction": "pull", "token": token,
            "ca_file": source.ca_pem.display().to_string(),
        }),
    )
    .await;
    assert_eq!(status, 201, "{peer}");
    assert_eq!(peer["has_token"], true);
    assert!(peer.get("token").is_none(), "the token is never shown back");
    peer["id"].as_str().unwrap().parse().unwrap()
}

/// As [`link`], with mutual TLS instead of a token: `dest` presents its
/// client certificate, which `source` has registered with the peer.
async fn link_mtls(
    source: &TestApp,
    dest: &TestApp,
    dest_identity: &ClientIdentity,
    max_tlp: &str,
) -> uuid::Uuid {
    let (sa, da) = (
        source.admin_token().await.unwrap(),
        dest.admin_token().await.unwrap(),
    );
    let (status, issued) = admin_post(
        source,
        &sa,
        "/api/v1/admin/peers",
        json!({
            "name": dest.settings.identity.server_id, "server_id": dest.settings.identity.server_id,
            "api_root": dest.url("/taxii2/api/"), "direction": "push", "max_tlp": max_tlp,
            "client_cert_sha256": dest_identity.sha256,
        }),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let (status, peer) = admin_post(
        dest,
        &da,
        "/api/v1/admin/peers",
        json!({
            "name": source.settings.identity.server_id, "server_id": source.settings.identity.server_id,
            "api_root": source.url("/taxii2/api/"), "direction": "pull",
            "ca_file": source.ca_pem.display().to_string(),
            "client_cert_file": dest_identity.cert_file, "client_key_file": dest_identity.key_file,
        }),
    )
    .await;
    assert_eq!(status, 201, "{peer}");
    assert_eq!(
        peer["has_token"], false,
        "mutual TLS alone identifies the peer"
    );
    peer["id"].as_str().unwrap().parse().unwrap()
}

async fn sync(app: &TestApp, peer: uuid::Uuid) -> api::SyncReport {
    let admin = app.admin_token().await.unwrap();
    let (status, body) = admin_post(
        app,
        &admin,
        &format!("/api/v1/admin/peers/{peer}/sync"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn publish(app: &TestApp, objects: &[Value]) {
    let admin = app.admin_token().await.unwrap();
    let r = app
        .client
        .post(app.url("/taxii2/api/collections/all-sectors/objects/"))
        .bearer_auth(&admin)
        .header("accept", TAXII_MEDIA_TYPE)
        .header("content-type", TAXII_MEDIA_TYPE)
        .body(json!({ "objects": objects }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["failure_count"], 0, "{status}");
}

/// (version, revoked, body) of every stored row of an object, read from the store itself.
fn stored(app: &TestApp, id: &str) -> Vec<(String, bool, Value)> {
    let id = id.to_owned();
    app.db
        .read(move |conn| {
            let rows: Vec<(String, bool, String)> = stix_objects::table
                .filter(stix_objects::object_id.eq(&id))
                .select((
                    stix_objects::version,
                    stix_objects::revoked,
                    stix_objects::body,
                ))
                .order(stix_objects::version.asc())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(v, r, b)| (v, r, serde_json::from_str(&b).unwrap()))
                .collect())
        })
        .unwrap()
}

fn row_count(app: &TestApp) -> i64 {
    app.db
        .read(|conn| Ok(stix_objects::table.count().get_result(conn)?))
        .unwrap()
}

/// A member organisation's operator on `app` and the ids it can read in all-sectors.
async fn member_sees(app: &TestApp, username: &str, sector: &str) -> Vec<String> {
    let admin = app.admin_token().await.unwrap();
    let org = app
        .create_organisation(&admin, json!({ "name": { "ja": format!("{username}株式会社"), "en": format!("{username} Corp") }, "sectors": [sector] }))
        .await
        .unwrap();
    app.create_user(&admin, username, Role::Operator, Some(org.id))
        .await
        .unwrap();
    let token = app.login(username, USER_PASSWORD).await.unwrap();
    let r = app
        .client
        .get(app.url("/taxii2/api/collections/all-sectors/objects/?limit=1000"))
        .bearer_auth(&token)
        .header("accept", TAXII_MEDIA_TYPE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["objects"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn three_servers_share_green_keep_red_home_and_do_not_loop() {
    for backend in backends() {
        let ca = FederationCa::new();
        let elec =
            server_with_client_ca(backend, "elec-isac", "Electricity ISAC", 1000, ca.ca_file())
                .await;
        let fin =
            server_with_client_ca(backend, "fin-isac", "Finance ISAC", 1000, ca.ca_file()).await;
        let council = server_with_client_ca(
            backend,
            "ceptoar-council",
            "CEPTOAR Council",
            1000,
            ca.ca_file(),
        )
        .await;
        let (elec_id, fin_id, council_id) = (
            ca.identity("elec-isac"),
            ca.identity("fin-isac"),
            ca.identity("ceptoar-council"),
        );
        // A cycle over mutual TLS: electricity → finance → council → electricity.
        let fin_from_elec = link_mtls(&elec, &fin, &fin_id, "amber").await;
        let council_from_fin = link_mtls(&fin, &council, &council_id, "amber").await;
        let elec_from_council = link_mtls(&council, &elec, &elec_id, "amber").await;
        // Users are not asked for a certificate: an anonymous client still reads the public collection.
        let public = elec
            .client
            .get(elec.url("/taxii2/api/collections/public/objects/"))
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await
            .unwrap();
        assert_eq!(public.status(), 200);

        let green = indicator(1, GREEN, "2026-02-01T00:00:00.000Z");
        let mut amber = indicator(2, AMBER, "2026-02-01T00:00:00.000Z");
        amber["extensions"] = json!({ SCOPE_EXT: { "extension_type": "property-extension", "sectors": ["electricity", "finance"] } });
        let strict = indicator(3, AMBER_STRICT, "2026-02-01T00:00:00.000Z");
        let red = indicator(4, RED, "2026-02-01T00:00:00.000Z");
        publish(
            &elec,
            &[green.clone(), amber.clone(), strict.clone(), red.clone()],
        )
        .await;
        let id = |o: &Value| o["id"].as_str().unwrap().to_owned();

        // One sync interval: each server syncs once, in the direction of the cycle.
        let r = sync(&fin, fin_from_elec).await;
        assert_eq!((r.received, r.error.clone()), (2, None), "{r:?}");
        let r = sync(&council, council_from_fin).await;
        assert_eq!((r.received, r.error.clone()), (2, None), "{r:?}");
        let r = sync(&elec, elec_from_council).await;
        assert_eq!(
            (r.received, r.duplicates, r.error.clone()),
            (0, 0, None),
            "nothing comes back round the cycle: {r:?}"
        );

        for (peer, name) in [(&fin, "fin"), (&council, "council")] {
            assert_eq!(stored(peer, &id(&green)).len(), 1, "GREEN reached {name}");
            assert_eq!(
                stored(peer, &id(&amber)).len(),
                1,
                "AMBER within the peer's ceiling reached {name}"
            );
            assert!(
                stored(peer, &id(&strict)).is_empty(),
                "AMBER+STRICT never leaves ({name})"
            );
            assert!(
                stored(peer, &id(&red)).is_empty(),
                "RED never leaves ({name})"
            );
        }
        // Provenance: origin and hops as the object travelled.
        let at_council = &stored(&council, &id(&green))[0].2;
        assert_eq!(
            at_council["extensions"][PROVENANCE_EXT]["origin"],
            "elec-isac"
        );
        assert_eq!(
            at_council["extensions"][PROVENANCE_EXT]["hops"],
            json!(["elec-isac", "fin-isac"])
        );
        // TLP and scope are kept.
        assert_eq!(
            stored(&council, &id(&amber))[0].2["extensions"][SCOPE_EXT]["sectors"],
            json!(["electricity", "finance"])
        );
        assert_eq!(
            stored(&elec, &id(&green)).len(),
            1,
            "the origin holds one copy"
        );

        // Members of the other servers see it.
        assert!(member_sees(&fin, "fin-operator", "finance")
            .await
            .contains(&id(&green)));
        let council_member = member_sees(&council, "council-operator", "water").await;
        assert!(council_member.contains(&id(&green)));
        assert!(
            !council_member.contains(&id(&amber)),
            "AMBER keeps its scope: not for the water sector"
        );

        // A second round moves nothing: cursors hold and dedupe holds.
        let before = (row_count(&elec), row_count(&fin), row_count(&council));
        for (app, peer) in [
            (&fin, fin_from_elec),
            (&council, council_from_fin),
            (&elec, elec_from_council),
        ] {
            let r = sync(app, peer).await;
            assert_eq!((r.received, r.duplicates, r.refused), (0, 0, 0), "{r:?}");
        }
        assert_eq!(
            before,
            (row_count(&elec), row_count(&fin), row_count(&council))
        );

        // A revocation propagates.
        let mut revoked = green.clone();
        revoked["modified"] = json!("2026-03-01T00:00:00.000Z");
        revoked["revoked"] = json!(true);
        publish(&elec, &[revoked]).await;
        assert_eq!(sync(&fin, fin_from_elec).await.received, 1);
        assert_eq!(sync(&council, council_from_fin).await.received, 1);
        assert_eq!(sync(&elec, elec_from_council).await.received, 0);
        for peer in [&fin, &council] {
            let rows = stored(peer, &id(&green));
            assert_eq!(rows.len(), 2);
            assert!(rows[1].1, "the newest version, revoked, is stored");
        }
        assert_eq!(stored(&elec, &id(&green)).len(), 2);

        // Admins see each peer's state.
        let admin = fin.admin_token().await.unwrap();
        let statuses: Vec<api::PeerStatus> = fin
            .client
            .get(fin.url("/api/v1/admin/peers/status"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let elec_state = statuses.iter().find(|s| s.id == fin_from_elec).unwrap();
        assert!(elec_state.last_success_at.is_some() && elec_state.last_error.is_none());
        assert_eq!(elec_state.objects_received, 3);
        assert!(elec_state.lag_seconds.is_some_and(|l| l < 600));

        elec.stop().await;
        fin.stop().await;
        council.stop().await;
    }
}

#[tokio::test]
async fn a_peer_stopped_mid_sync_loses_nothing_and_duplicates_nothing() {
    for backend in backends() {
        let source = server(backend, "elec-isac", "Electricity ISAC", 5).await;
        let dest = server(backend, "fin-isac", "Finance ISAC", 5).await;
        let peer = link(&source, &dest, "green").await;
        let objects: Vec<Value> = (0..60)
            .map(|n| indicator(n, GREEN, "2026-02-01T00:00:00.000Z"))
            .collect();
        for chunk in objects.chunks(20) {
            publish(&source, chunk).await;
        }
        // Stop the source while the destination pages through it (5 per page).
        let db = dest.db.clone();
        let syncing = {
            let client = dest.client.clone();
            let url = dest.url(&format!("/api/v1/admin/peers/{peer}/sync"));
            let token = dest.admin_token().await.unwrap();
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .json::<api::SyncReport>()
                    .await
                    .unwrap()
            })
        };
        let mut source = source;
        for _ in 0..2000 {
            let n: i64 = db
                .read(|conn| Ok(stix_objects::table.count().get_result(conn)?))
                .unwrap();
            if n >= 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        source.halt().await;
        let cut_short = syncing.await.unwrap();
        let after_cut = row_count(&dest);
        assert!(after_cut < 60 || cut_short.error.is_none(), "{cut_short:?}");
        // While it is down: the error and a backoff are recorded.
        let down = sync(&dest, peer).await;
        assert!(down.error.is_some(), "{down:?}");
        let admin = dest.admin_token().await.unwrap();
        let statuses: Vec<api::PeerStatus> = dest
            .client
            .get(dest.url("/api/v1/admin/peers/status"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let state = statuses.iter().find(|s| s.id == peer).unwrap();
        assert!(
            state.last_error.is_some()
                && state.consecutive_failures >= 1
                && state.next_attempt_at.is_some(),
            "{state:?}"
        );

        let source = source.start_again().await.unwrap();
        let resumed = sync(&dest, peer).await;
        assert_eq!(resumed.error, None);
        assert_eq!(
            resumed.duplicates, 0,
            "the cursor resumes after the last stored page: {resumed:?}"
        );
        assert_eq!(row_count(&dest) as u64, after_cut as u64 + resumed.received);
        assert_eq!(row_count(&dest), 60, "nothing lost");
        for o in &objects {
            assert_eq!(stored(&dest, o["id"].as_str().unwrap()).len(), 1);
        }
        source.stop().await;
        dest.stop().await;
    }
}

#[tokio::test]
async fn push_sends_what_policy_allows_and_peers_authenticate() {
    for backend in backends() {
        let source = server(backend, "elec-isac", "Electricity ISAC", 1000).await;
        let dest = server(backend, "fin-isac", "Finance ISAC", 1000).await;
        let (sa, da) = (
            source.admin_token().await.unwrap(),
            dest.admin_token().await.unwrap(),
        );
        // The destination registers the source (issuing its token); the source pushes with it.
        let (status, on_dest) = admin_post(
            &dest,
            &da,
            "/api/v1/admin/peers",
            json!({ "name": "elec", "server_id": "elec-isac", "api_root": source.url("/taxii2/api/"), "direction": "pull", "max_tlp": "clear" }),
        )
        .await;
        assert_eq!(status, 201);
        let token = on_dest["inbound_token"].as_str().unwrap().to_owned();
        let (status, on_source) = admin_post(
            &source,
            &sa,
            "/api/v1/admin/peers",
            json!({
                "name": "fin", "server_id": "fin-isac", "api_root": dest.url("/taxii2/api/"), "direction": "push",
                "max_tlp": "green", "push_collection": "all-sectors", "token": token.clone(), "ca_file": source.ca_pem.display().to_string(),
            }),
        )
        .await;
        assert_eq!(status, 201, "{on_source}");
        // The ca_file of the source only trusts the source's CA: fix it to the destination's.
        assert_eq!(on_source["ca_file"], source.ca_pem.display().to_string());
        let peer: uuid::Uuid = on_source["id"].as_str().unwrap().parse().unwrap();
        let green = indicator(1, GREEN, "2026-02-01T00:00:00.000Z");
        let amber = indicator(2, AMBER, "2026-02-01T00:00:00.000Z");
        let red = indicator(3, RED, "2026-02-01T00:00:00.000Z");
        publish(&source, &[green.clone(), amber.clone(), red.clone()]).await;
        let wrong_ca = sync(&source, peer).await;
        assert!(
            wrong_ca
                .error
                .as_deref()
                .is_some_and(|e| e.to_lowercase().contains("certificate")),
            "{wrong_ca:?}"
        );
        assert!(
            stored(&dest, green["id"].as_str().unwrap()).is_empty(),
            "nothing was sent to a server whose certificate is not trusted"
        );
        // Trust the right CA: re-register (ca_file is set at creation).
        let (status, fixed) = admin_post(
            &source,
            &sa,
            "/api/v1/admin/peers",
            json!({
                "name": "fin-2", "server_id": "fin-isac", "api_root": dest.url("/taxii2/api/"), "direction": "push",
                "max_tlp": "green", "push_collection": "all-sectors", "token": on_dest["inbound_token"], "ca_file": dest.ca_pem.display().to_string(),
            }),
        )
        .await;
        assert_eq!(status, 201);
        let peer: uuid::Uuid = fixed["id"].as_str().unwrap().parse().unwrap();
        let pushed = sync(&source, peer).await;
        assert_eq!(
            (pushed.sent, pushed.error.clone()),
            (1, None),
            "only GREEN is within fin's ceiling: {pushed:?}"
        );
        let rows = stored(&dest, green["id"].as_str().unwrap());
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].2["extensions"][PROVENANCE_EXT]["hops"],
            json!(["elec-isac"])
        );
        assert!(stored(&dest, amber["id"].as_str().unwrap()).is_empty());
        assert!(stored(&dest, red["id"].as_str().unwrap()).is_empty());
        // Pushing again sends nothing new.
        assert_eq!(sync(&source, peer).await.sent, 0);

        // A peer token reads as the peer principal: its ceiling holds on TAXII GET.
        let (status, reader) = admin_post(
            &source,
            &sa,
            "/api/v1/admin/peers",
            json!({ "name": "reader", "server_id": "reader", "api_root": "https://reader.example/taxii2/api/", "direction": "push", "max_tlp": "green" }),
        )
        .await;
        assert_eq!(status, 201);
        let reader_token = reader["inbound_token"].as_str().unwrap();
        let r = source
            .client
            .get(source.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth(reader_token)
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        let ids: Vec<&str> = body["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![green["id"].as_str().unwrap()]);
        let r = source
            .client
            .get(source.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth("isacxpeer_notatokenanyoneissued")
            .header("accept", TAXII_MEDIA_TYPE)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        // A peer may not push RED even if it tries.
        let r = dest
            .client
            .post(dest.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth(token)
            .header("accept", TAXII_MEDIA_TYPE)
            .header("content-type", TAXII_MEDIA_TYPE)
            .body(json!({ "objects": [indicator(9, RED, "2026-02-01T00:00:00.000Z")] }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let status: Value = r.json().await.unwrap();
        assert_eq!(status["failure_count"], 1, "{status}");
        source.stop().await;
        dest.stop().await;
    }
}

#[tokio::test]
async fn a_scheduled_peer_syncs_by_itself() {
    for backend in backends() {
        let source = server(backend, "elec-isac", "Electricity ISAC", 1000).await;
        let dest = server(backend, "fin-isac", "Finance ISAC", 1000).await;
        let peer = link(&source, &dest, "green").await;
        let green = indicator(1, GREEN, "2026-02-01T00:00:00.000Z");
        publish(&source, std::slice::from_ref(&green)).await;
        let admin = dest.admin_token().await.unwrap();
        let bad = dest
            .client
            .patch(dest.url(&format!("/api/v1/admin/peers/{peer}")))
            .bearer_auth(&admin)
            .json(&json!({ "schedule": "every second" }))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let ok = dest
            .client
            .patch(dest.url(&format!("/api/v1/admin/peers/{peer}")))
            .bearer_auth(&admin)
            .json(&json!({ "schedule": "* * * * * *" }))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let mut arrived = false;
        for _ in 0..100 {
            if !stored(&dest, green["id"].as_str().unwrap()).is_empty() {
                arrived = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(arrived, "the schedule ran the sync without being asked");
        source.stop().await;
        dest.stop().await;
    }
}

/// A server whose notifications go to `smtp` (polled fast).
async fn server_with_mail(
    backend: Backend,
    server_id: &'static str,
    name: &'static str,
    smtp_port: u16,
) -> TestApp {
    TestApp::builder(backend)
        .settings(move |s| {
            s.identity.server_id = server_id.to_owned();
            s.identity.name_en = name.to_owned();
            s.federation.retry_base_secs = 1;
            s.notify.poll_interval_ms = 100;
            s.notify.smtp_host = "127.0.0.1".to_owned();
            s.notify.smtp_port = smtp_port;
            s.notify.smtp_tls = "none".to_owned();
            s.notify.smtp_from = format!("{name} <isac@{server_id}.example>");
        })
        .start()
        .await
        .unwrap()
}

/// An electricity operator on `app` with an e-mail address; returns its token.
async fn electricity_operator(app: &TestApp, username: &str, locale: &str) -> String {
    let admin = app.admin_token().await.unwrap();
    let org = app
        .create_organisation(&admin, json!({ "name": { "ja": format!("{username}電力"), "en": format!("{username} Power") }, "sectors": ["electricity"] }))
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({ "username": username, "password": USER_PASSWORD, "role": "operator", "organisation_id": org.id,
                       "email": format!("{username}@member.example"), "locale": locale }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    app.login(username, USER_PASSWORD).await.unwrap()
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Mails to `to` whose subject contains `subject`, waited for (up to 30 s).
async fn mails(
    smtp: &isacx_tests::smtp::SmtpListener,
    to: &str,
    subject: &str,
) -> Vec<isacx_tests::smtp::ReceivedMail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let found: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to == vec![to.to_owned()] && m.subject().contains(subject))
            .collect();
        if !found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn advisory_draft(summary_en: &str) -> Value {
    json!({
        "title": { "en": "Wiper campaign against grid operators", "ja": "送電事業者を狙うワイパー攻撃" },
        "summary": { "en": summary_en, "ja": "制御系ネットワークへの侵入が確認された。" },
        "urgency": "urgent",
        "tlp": "green",
        "scope_sectors": ["electricity", "gas"],
        "affected_sectors": ["electricity"],
        "threat_events": ["malware"],
        "recommended_actions": [{ "en": "Isolate engineering workstations.", "ja": "エンジニアリング端末を隔離する。" }],
    })
}

/// The imported copy of `stix_id` as `token` sees it in `/api/v1/advisories`.
async fn advisory_on(app: &TestApp, token: &str, stix_id: &str) -> Option<Value> {
    let (status, list) = get_json(app, token, "/api/v1/advisories").await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["stix_id"] == stix_id)
        .cloned()
}

#[tokio::test]
async fn imported_advisories_reach_members_as_tasks_and_mail_by_pull_and_push() {
    for backend in backends() {
        let smtp = isacx_tests::smtp::SmtpListener::start().unwrap();
        let port = smtp.addr.port();
        let elec = server_with_mail(backend, "elec-isac", "Electricity ISAC", port).await;
        let fin = server_with_mail(backend, "fin-isac", "Finance ISAC", port).await;
        let council = server_with_mail(backend, "ceptoar-council", "CEPTOAR Council", port).await;
        // Pull: fin pulls from elec. Push: elec pushes to the council.
        let fin_from_elec = link(&elec, &fin, "green").await;
        let ea = elec.admin_token().await.unwrap();
        let elec_to_council = push_link(&elec, &council).await;

        let fin_member = electricity_operator(&fin, "kansai", "en").await;
        let council_member = electricity_operator(&council, "chubu", "ja").await;
        let fin_admin = fin.admin_token().await.unwrap();

        // Published on elec (its admin curates).
        let (status, draft) = admin_post(&elec, &ea, "/api/v1/advisories", advisory_draft("Engineering workstations were wiped.")).await;
        assert_eq!(status, 201, "{draft}");
        let local_id = draft["id"].as_str().unwrap().to_owned();
        let stix_id = draft["stix_id"].as_str().unwrap().to_owned();
        let (status, published) = admin_post(&elec, &ea, &format!("/api/v1/advisories/{local_id}/publish"), json!({})).await;
        assert_eq!(status, 200, "{published}");
        assert!(published.get("origin").is_none(), "our own advisory has no origin: {published}");

        let pulled = sync(&fin, fin_from_elec).await;
        assert!(pulled.error.is_none() && pulled.received >= 1, "{pulled:?}");
        let pushed = sync(&elec, elec_to_council).await;
        assert!(pushed.error.is_none() && pushed.sent >= 1, "{pushed:?}");

        for (app, member, admin_user, to, subject) in [
            (&fin, &fin_member, fin_admin.clone(), "kansai@member.example", "[isacx] [URGENT] New advisory: Wiper campaign"),
            (&council, &council_member, council.admin_token().await.unwrap(), "chubu@member.example", "新しい情報提供: 送電事業者を狙うワイパー攻撃"),
        ] {
            // The member sees the advisory with its origin, and a reassessment task.
            let imported = advisory_on(app, member, &stix_id).await.expect("the member sees the imported advisory");
            assert_eq!(imported["origin"], "elec-isac", "{imported}");
            assert_eq!((imported["state"].as_str(), imported["urgency"].as_str(), imported["tlp"].as_str()), (Some("published"), Some("urgent"), Some("green")));
            let (status, tasks) = get_json(app, member, "/api/v1/reassessments").await;
            assert_eq!(status, 200);
            let tasks = tasks.as_array().unwrap().clone();
            assert_eq!(tasks.len(), 1, "{tasks:?}");
            assert_eq!(tasks[0]["advisory_id"], imported["id"]);
            assert_eq!(tasks[0]["state"], "requested");
            // The scope came along, not only the TLP.
            let full = advisory_on(app, &admin_user, &stix_id).await.unwrap();
            assert_eq!(full["content"]["scope_sectors"], json!(["electricity", "gas"]), "{full}");
            let mail = mails(&smtp, to, subject).await;
            assert_eq!(mail.len(), 1, "{:?}", smtp.received().iter().map(|m| (m.to.clone(), m.subject())).collect::<Vec<_>>());
            // A local amendment or withdrawal of an import is a conflict.
            let id = imported["id"].as_str().unwrap();
            let r = app.client.post(app.url(&format!("/api/v1/advisories/{id}/amend"))).bearer_auth(&admin_user).json(&advisory_draft("edited here")).send().await.unwrap();
            assert_eq!(r.status(), 409);
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            let problem: Value = r.json().await.unwrap();
            assert!(problem["detail"].as_str().unwrap().contains("elec-isac"), "{problem}");
            let r = app.client.post(app.url(&format!("/api/v1/advisories/{id}/withdraw"))).bearer_auth(&admin_user).json(&json!({ "reason": "not ours" })).send().await.unwrap();
            assert_eq!(r.status(), 409);
        }
        let stored_report = &stored(&fin, &stix_id)[0].2;
        assert_eq!(stored_report["extensions"][SCOPE_EXT]["sectors"], json!(["electricity", "gas"]), "the scope travels in the STIX: {stored_report}");

        // The origin amends: the new version reaches both, matched again and told.
        let (status, amended) = admin_post(&elec, &ea, &format!("/api/v1/advisories/{local_id}/amend"), advisory_draft("A second wave hit substations.")).await;
        assert_eq!(status, 200, "{amended}");
        assert_eq!(sync(&fin, fin_from_elec).await.error, None);
        assert_eq!(sync(&elec, elec_to_council).await.error, None);
        for (app, member, to, subject) in [
            (&fin, &fin_member, "kansai@member.example", "Advisory amended"),
            (&council, &council_member, "chubu@member.example", "情報提供の更新"),
        ] {
            let imported = advisory_on(app, member, &stix_id).await.unwrap();
            assert_eq!(imported["content"]["summary"]["en"], "A second wave hit substations.");
            assert_eq!(imported["version"], 2);
            assert_eq!(mails(&smtp, to, subject).await.len(), 1);
            let (_, tasks) = get_json(app, member, "/api/v1/reassessments").await;
            assert_eq!(tasks.as_array().unwrap().len(), 1, "still one task: {tasks}");
        }

        // The origin withdraws: the imports are withdrawn and their tasks cancelled.
        let (status, withdrawn) = admin_post(&elec, &ea, &format!("/api/v1/advisories/{local_id}/withdraw"), json!({ "reason": "false positive" })).await;
        assert_eq!(status, 200, "{withdrawn}");
        assert_eq!(sync(&fin, fin_from_elec).await.error, None);
        assert_eq!(sync(&elec, elec_to_council).await.error, None);
        for (app, member) in [(&fin, &fin_member), (&council, &council_member)] {
            let imported = advisory_on(app, member, &stix_id).await.unwrap();
            assert_eq!((imported["state"].as_str(), imported["withdrawn_reason"].as_str()), (Some("withdrawn"), Some("false positive")));
            let (_, tasks) = get_json(app, member, "/api/v1/reassessments").await;
            assert_eq!(tasks[0]["state"], "cancelled", "{tasks}");
        }

        // A peer may not version another server's advisory: fin pushing a
        // "new version" of elec's advisory to elec is refused.
        let mut forged = stored(&fin, &stix_id).last().unwrap().2.clone();
        forged["modified"] = json!("2099-01-01T00:00:00.000Z");
        forged["revoked"] = json!(false);
        forged.as_object_mut().unwrap()["extensions"].as_object_mut().unwrap().remove(PROVENANCE_EXT);
        let (status, on_elec_for_fin) = admin_post(&elec, &ea, "/api/v1/admin/peers", json!({ "name": "fin", "server_id": "fin-isac", "api_root": fin.url("/taxii2/api/"), "direction": "pull" })).await;
        assert_eq!(status, 201);
        let r = elec
            .client
            .post(elec.url("/taxii2/api/collections/all-sectors/objects/"))
            .bearer_auth(on_elec_for_fin["inbound_token"].as_str().unwrap())
            .header("accept", TAXII_MEDIA_TYPE)
            .header("content-type", TAXII_MEDIA_TYPE)
            .body(json!({ "objects": [forged] }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let status: Value = r.json().await.unwrap();
        assert_eq!(status["failure_count"], 1, "{status}");
        assert!(status["failures"][0]["message"].as_str().unwrap().contains("own"), "{status}");

        elec.stop().await;
        fin.stop().await;
        council.stop().await;
    }
}

/// A TCP pass-through on loopback in front of `target` that counts the
/// connections made through it (each sync opens one: its own client).
async fn counting_proxy(
    target: std::net::SocketAddr,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (port, count)
}

fn federation_runs(app: &TestApp, peer: uuid::Uuid) -> Vec<(chrono::NaiveDateTime, String, Option<String>)> {
    use isacx_server::db::schema::job_runs;
    let job = isacx_server::federation::lease_name(&peer.to_string());
    app.db
        .read(move |conn| {
            Ok(job_runs::table
                .filter(job_runs::job.eq(&job))
                .select((job_runs::tick, job_runs::holder, job_runs::outcome))
                .order(job_runs::tick.asc())
                .load(conn)?)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_sync_a_scheduled_peer_once_per_tick() {
    for backend in backends() {
        let source = server(backend, "elec-isac", "Electricity ISAC", 1000).await;
        let first = server(backend, "fin-isac", "Finance ISAC", 1000).await;
        let second = TestApp::builder(backend)
            .sharing_database_of(&first)
            .settings(|s| {
                s.identity.server_id = "fin-isac".to_owned();
                s.jobs.federation_sync = "* * * * * *".to_owned();
            })
            .start()
            .await
            .unwrap();
        assert_ne!(first.instance_id, second.instance_id);
        let green = indicator(1, GREEN, "2026-02-01T00:00:00.000Z");
        publish(&source, std::slice::from_ref(&green)).await;

        // The peer is reached through a counting pass-through.
        let source_addr: std::net::SocketAddr = format!(
            "127.0.0.1:{}",
            source.base_url.rsplit(':').next().unwrap()
        )
        .parse()
        .unwrap();
        let (proxy_port, connections) = counting_proxy(source_addr).await;
        let (sa, fa) = (
            source.admin_token().await.unwrap(),
            first.admin_token().await.unwrap(),
        );
        let (status, issued) = admin_post(
            &source,
            &sa,
            "/api/v1/admin/peers",
            json!({ "name": "fin-isac", "server_id": "fin-isac", "api_root": "https://fin.example/taxii2/api/", "direction": "push", "max_tlp": "green" }),
        )
        .await;
        assert_eq!(status, 201, "{issued}");
        let (status, peer) = admin_post(
            &first,
            &fa,
            "/api/v1/admin/peers",
            json!({
                "name": "elec-isac", "server_id": "elec-isac", "direction": "pull",
                "api_root": format!("https://localhost:{proxy_port}/taxii2/api/"),
                "token": issued["inbound_token"], "ca_file": source.ca_pem.display().to_string(),
            }),
        )
        .await;
        assert_eq!(status, 201, "{peer}");
        let peer: uuid::Uuid = peer["id"].as_str().unwrap().parse().unwrap();

        // A manual sync takes the peer's lease too: while another server holds it, it waits its turn.
        let holder = second.instance_id.clone();
        let held = first
            .db
            .write(move |conn| {
                isacx_server::jobs::Lease::acquire(
                    conn,
                    &isacx_server::federation::lease_name(&peer.to_string()),
                    &holder,
                    isacx_server::db::now(),
                    600,
                )
            })
            .unwrap()
            .expect("the lease is free");
        let refused = sync(&first, peer).await;
        assert!(
            refused.error.as_deref().is_some_and(|e| e.contains("already running")),
            "{refused:?}"
        );
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "no request while the lease is held elsewhere");
        first.db.write(move |conn| held.release(conn, "ok")).unwrap();
        let manual = sync(&first, peer).await;
        assert_eq!((manual.received, manual.error.clone()), (1, None), "{manual:?}");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Scheduled every second, dispatched every second by both servers.
        let r = first
            .client
            .patch(first.url(&format!("/api/v1/admin/peers/{peer}")))
            .bearer_auth(&fa)
            .json(&json!({ "schedule": "* * * * * *" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let started = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(6500)).await;
        let r = first
            .client
            .patch(first.url(&format!("/api/v1/admin/peers/{peer}")))
            .bearer_auth(&fa)
            .json(&json!({ "schedule": "" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let window = started.elapsed().as_secs_f64();
        // Let a sync started just before the schedule was emptied finish.
        tokio::time::sleep(std::time::Duration::from_millis(2000)).await;

        let runs = federation_runs(&first, peer);
        let scheduled = runs.len() - 2; // less the lease the test held and the manual sync
        let ticks: std::collections::BTreeSet<_> = runs.iter().map(|r| r.0).collect();
        assert_eq!(ticks.len(), runs.len(), "no tick synced twice: {runs:?}");
        assert!(
            scheduled >= 4 && (scheduled as f64) <= window + 1.0,
            "about one sync per second over {window:.1} s, not one per server: {runs:?}"
        );
        let holders: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.1.as_str()).collect();
        assert!(
            holders.iter().all(|h| *h == first.instance_id || *h == second.instance_id),
            "{runs:?}"
        );
        assert!(
            runs.iter().all(|r| r.2.as_deref().is_some_and(|o| o.starts_with("ok"))),
            "{runs:?}"
        );
        // Each sync reached the peer once: requests at the peer match the runs.
        assert_eq!(
            connections.load(std::sync::atomic::Ordering::SeqCst),
            runs.len() - 1,
            "{runs:?}"
        );
        assert_eq!(stored(&first, green["id"].as_str().unwrap()).len(), 1);
        source.stop().await;
        second.stop().await;
        first.stop().await;
    }
}

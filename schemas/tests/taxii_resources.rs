//! TAXII 2.1 resources serialise as the specification's examples, media
//! types are recognised as HTTP writes them, and timestamps carry microseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use isacx_schemas::taxii::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: Value) -> T {
    let typed: T = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), value);
    typed
}

#[test]
fn discovery_and_api_root() {
    let discovery: Discovery = round_trips(json!({
        "title": "Some TAXII Server",
        "description": "This TAXII Server contains a listing of",
        "contact": "string containing contact information",
        "default": "https://example.com/api2/",
        "api_roots": ["https://example.com/api1/", "https://example.com/api2/", "https://example.net/trustgroup1/"]
    }));
    assert_eq!(discovery.api_roots.len(), 3);
    let root: ApiRoot = round_trips(json!({
        "title": "Malware Research Group",
        "description": "A trust group setup for malware researchers",
        "versions": ["application/taxii+json;version=2.1"],
        "max_content_length": 104857600
    }));
    assert!(root.versions.iter().any(|v| v == TAXII_VERSION));
}

#[test]
fn collections_manifest_versions() {
    let collections: Collections = round_trips(json!({
        "collections": [{
            "id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
            "title": "High Value Indicator Collection",
            "description": "This data collection contains high value IOCs",
            "can_read": true,
            "can_write": false,
            "media_types": ["application/stix+json;version=2.1"]
        }, {
            "id": "52892447-4d7e-4f70-b94d-d7f22742ff63",
            "title": "Indicators from the past 24-hours",
            "alias": "last-24h",
            "can_read": true,
            "can_write": false
        }]
    }));
    assert_eq!(
        collections.collections[1].alias.as_deref(),
        Some("last-24h")
    );
    assert_eq!(
        serde_json::to_value(Collections::default()).unwrap(),
        json!({})
    );

    let manifest: Manifest = round_trips(json!({
        "more": true,
        "objects": [{
            "id": "indicator--29aba82c-5393-42a8-9edb-6a2cb1df070b",
            "date_added": "2016-11-01T03:04:05.000000Z",
            "version": "2016-11-03T12:30:59.000Z",
            "media_type": "application/stix+json;version=2.1"
        }]
    }));
    assert!(manifest.more);
    let versions: Versions = round_trips(json!({
        "versions": ["2016-01-01T01:01:01.000Z", "2016-03-03T01:01:01.000Z"]
    }));
    assert_eq!(versions.versions.len(), 2);
}

#[test]
fn envelope_carries_any_object_and_empty_is_braces() {
    let envelope: Envelope = round_trips(json!({
        "more": true,
        "next": "d5a1d1ef-3a6b-4cb4-8b49-df03bb6a6f93",
        "objects": [{
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--c410e480-e42b-47d1-9476-85307c12bcbf",
            "created": "2018-02-27T13:57:38.012Z",
            "modified": "2018-02-27T13:57:38.012Z",
            "name": "Malicious site hosting downloader",
            "pattern": "[url:value = 'http://x4z9arb.cn/4712']",
            "pattern_type": "stix",
            "valid_from": "2018-02-27T13:57:38.012Z"
        }, {
            "type": "x-vendor-thing",
            "id": "x-vendor-thing--c410e480-e42b-47d1-9476-85307c12bcbf",
            "anything": [1, 2]
        }]
    }));
    assert_eq!(envelope.objects.len(), 2);
    assert_eq!(
        serde_json::to_value(Envelope::default()).unwrap(),
        json!({})
    );
    let empty: Envelope = serde_json::from_value(json!({})).unwrap();
    assert!(!empty.more && empty.objects.is_empty());
}

#[test]
fn status_and_error() {
    let status: Status = round_trips(json!({
        "id": "2d086da7-4bdc-4f91-900e-d77486753710",
        "status": "pending",
        "request_timestamp": "2016-11-02T12:34:34.123456Z",
        "total_count": 4,
        "success_count": 1,
        "successes": [{"id": "indicator--cd981c25-8042-4166-8945-51178443bdac", "version": "2014-05-08T09:00:00.000Z", "message": "Successfully added object to collection '91a7b528-80eb-42ed-a74d-c6fbd5a26116'."}],
        "failure_count": 1,
        "failures": [{"id": "malware--664fa29d-bf65-4f28-a667-bdb76f29ec98", "version": "2015-05-08T09:00:00.000Z", "message": "Unable to process object"}],
        "pending_count": 2,
        "pendings": [
            {"id": "indicator--252c7c11-daf2-42bd-843b-be65edca9f61", "version": "2016-08-08T09:00:00.000Z"},
            {"id": "relationship--045585ad-a22f-4333-af33-bfd503a683b5", "version": "2016-06-08T09:00:00.000Z"}
        ]
    }));
    assert_eq!(status.status, StatusKind::Pending);
    let complete = Status::complete(
        "2d086da7-4bdc-4f91-900e-d77486753710",
        TaxiiTimestamp::now(),
        vec![],
        vec![],
    );
    assert_eq!(
        serde_json::to_value(&complete).unwrap()["status"],
        "complete"
    );

    let _: TaxiiError = round_trips(json!({
        "title": "Error condition XYZ",
        "description": "This error is caused when the application tries to access data...",
        "error_id": "1234",
        "error_code": "581234",
        "http_status": "409",
        "external_details": "http://example.com/ticketnumber1/errorid-1234",
        "details": {"somedetail": "some value"}
    }));
    assert_eq!(
        serde_json::to_value(TaxiiError::new(406, "Not Acceptable")).unwrap(),
        json!({"title": "Not Acceptable", "http_status": "406"})
    );
}

#[test]
fn taxii_timestamps_have_microseconds() {
    let parsed = TaxiiTimestamp::parse("2016-11-01T03:04:05Z").unwrap();
    assert_eq!(parsed.to_string(), "2016-11-01T03:04:05.000000Z");
    let parsed = TaxiiTimestamp::parse("2016-11-01T03:04:05.1234567Z").unwrap();
    assert_eq!(parsed.to_string(), "2016-11-01T03:04:05.123456Z");
    let now = TaxiiTimestamp::now();
    let text = now.to_string();
    assert_eq!(text.len(), "2016-11-01T03:04:05.123456Z".len(), "{text}");
    assert_eq!(TaxiiTimestamp::parse(&text).unwrap(), now);
    assert!(TaxiiTimestamp::parse("2016-11-01T03:04:05+09:00").is_err());
}

#[test]
fn media_types_are_matched_like_http_does() {
    for ok in [
        "application/taxii+json;version=2.1",
        "application/taxii+json",
        "Application/TAXII+JSON; Version=2.1",
        "application/taxii+json ; version = \"2.1\"",
        "application/taxii+json;charset=utf-8;version=2.1",
        "application/taxii+json; version=2.1; q=0.9",
        "text/html, application/taxii+json;version=2.1",
        "application/json, application/taxii+json",
    ] {
        assert!(is_acceptable_taxii_media_type(ok), "{ok}");
    }
    for bad in [
        "application/taxii+json;version=2.0",
        "application/taxii+json;version=20",
        "application/json",
        "application/stix+json;version=2.1",
        "*/*",
        "application/taxii+json;version",
        "application/taxii+json;version=2.1;q=0",
        "",
        "application/taxii+jsonx",
    ] {
        assert!(!is_acceptable_taxii_media_type(bad), "{bad}");
    }
    assert!(is_acceptable_stix_media_type(STIX_MEDIA_TYPE));
    assert!(is_acceptable_stix_media_type("application/stix+json"));
    assert!(!is_acceptable_stix_media_type(TAXII_MEDIA_TYPE));
}

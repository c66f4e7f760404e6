//! Any bytes given as a bundle are parsed and validated without panicking;
//! a bundle that validates serialises and validates again.
#![no_main]

use isacx_schemas::stix::{bundle_from_json, bundle_from_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bundle) = bundle_from_str(text) {
        let value = serde_json::to_value(&bundle).expect("a valid bundle serialises");
        assert!(bundle_from_json(value).is_ok(), "re-validation failed");
    }
});

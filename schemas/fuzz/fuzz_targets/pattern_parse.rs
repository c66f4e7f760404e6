//! Any text given to the pattern parser yields a tree or a positioned error,
//! and a tree prints to text that parses to the same tree.
#![no_main]

use isacx_schemas::pattern::parse_pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_pattern(text) {
        Ok(pattern) => {
            let printed = pattern.to_string();
            let reparsed = parse_pattern(&printed);
            assert_eq!(reparsed.as_ref().ok(), Some(&pattern), "{printed}");
            let _ = pattern.simple_observables();
        }
        Err(error) => assert!(error.offset <= text.len()),
    }
});

//! Every Japanese label in `config/taxonomy/` is copied from the seed.
//!
//! The seed (NISC guideline + handbook, a text extraction) lives outside the
//! repository at `../shared/seed/`; CI has it there. Without it the test
//! says so and passes. The comparison ignores whitespace because the
//! extraction breaks lines (and table cells) in the middle of words.

// Helpers of an integration test: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/seed")
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every `ja` / `note_ja` string anywhere in a TOML document, with its path.
fn ja_labels(value: &toml::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(table) => {
            for (key, v) in table {
                let here = format!("{path}.{key}");
                match v {
                    toml::Value::String(s) if key == "ja" || key == "note_ja" => {
                        out.push((here, s.clone()))
                    }
                    _ => ja_labels(v, &here, out),
                }
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                ja_labels(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_ja_label_occurs_in_the_seed() {
    let dir = seed_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED: seed not found at {} (it lives outside the repository; CI has it)",
            dir.display()
        );
        return;
    };
    let mut seed = String::new();
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|x| x == "txt") {
            seed.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    if seed.is_empty() {
        eprintln!("SKIPPED: no seed text in {}", dir.display());
        return;
    }
    let seed = squeeze(&seed);

    let taxonomy_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/taxonomy");
    let mut checked = 0;
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&taxonomy_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut labels = Vec::new();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        ja_labels(&doc, &name, &mut labels);
        for (at, label) in labels {
            checked += 1;
            if !seed.contains(&squeeze(&label)) {
                missing.push(format!("{at}: {label}"));
            }
        }
    }
    assert!(
        checked > 300,
        "only {checked} labels found; did the files move?"
    );
    assert!(
        missing.is_empty(),
        "labels not found in the seed:\n{}",
        missing.join("\n")
    );
}

//! `isacx report new|validate` — the real binary, offline: the template
//! validates as written in both languages and formats, and a broken report
//! is answered with the line and field of each problem and exit code 6.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

struct Cli {
    exe: PathBuf,
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { exe: isacx_tests::binary("isacx").unwrap(), dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("--config").arg(self.dir.path().join("isacx/config.toml")).args(args);
        for k in ["ISACX_PROFILE", "ISACX_SERVER", "ISACX_CA_FILE", "ISACX_CONFIG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            cmd.env_remove(k);
        }
        let out = cmd.env("HOME", self.dir.path()).stdin(Stdio::null()).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// 1-based line of the first line of `text` that starts (after spaces) with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.trim_start().starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in\n{text}")) + 1
}

#[test]
fn template_round_trips_in_both_languages_and_formats() {
    let cli = Cli::new();
    for (lang, format, name) in [("ja", "yaml", "r-ja.yaml"), ("en", "yaml", "r-en.yaml"), ("ja", "json", "r-ja.json"), ("en", "json", "r-en.json")] {
        let file = cli.path(name);
        let run = cli.run(&["--lang", lang, "report", "new", "--format", format, "-o", &file]);
        assert_eq!(run.code, 0, "{run:?}");
        let text = std::fs::read_to_string(&file).unwrap();
        let run = cli.run(&["--lang", lang, "report", "validate", &file]);
        assert_eq!(run.code, 0, "{name}: {run:?}\n{text}");
        if format == "yaml" {
            // Comments explain the fields and list the taxonomy's values.
            assert!(text.contains("#   electricity: "), "{text}");
            assert!(text.contains("#         malware_email_attachment: "), "{text}");
            if lang == "ja" {
                assert!(text.contains("# 重要インフラ分野(必須)。") && text.contains("電力"), "{text}");
                assert!(run.stdout.contains("は有効な報告です"), "{run:?}");
            } else {
                assert!(text.contains("# Your sector (required).") && text.contains("Electricity"), "{text}");
                assert!(run.stdout.contains("is a valid report"), "{run:?}");
            }
        }
    }
    // To standard output as well, and --json on validate.
    let run = cli.run(&["report", "new"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("# isacx incident report"), "{run:?}");
    let run = cli.run(&["--json", "report", "validate", &cli.path("r-en.yaml")]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["valid"], true, "{run:?}");
}

#[test]
fn invalid_reports_name_line_and_field() {
    let cli = Cli::new();
    let file = cli.path("r.yaml");
    assert_eq!(cli.run(&["--lang", "en", "report", "new", "-o", &file]).code, 0);
    let good = std::fs::read_to_string(&file).unwrap();

    // A taxonomy error: an unknown risk source, and times out of order.
    let broken = good.replacen("- \"lack_of_security_awareness\"", "- \"no_such_source\"", 1).replacen("  detected: \"", "  detected: \"1999-01-01T00:00:00Z\"\n  # was: \"", 1);
    assert_ne!(broken, good);
    std::fs::write(&file, &broken).unwrap();
    let run = cli.run(&["report", "validate", &file]);
    assert_eq!(run.code, 6, "{run:?}");
    let risk_line = line_of(&broken, "- \"no_such_source\"");
    let detected_line = line_of(&broken, "detected:");
    assert!(run.stderr.contains(&format!("line {risk_line}: risk_sources[0]: \"no_such_source\" is not one of")), "{run:?}\n{broken}");
    assert!(run.stderr.contains(&format!("line {detected_line}: times.detected: must not be before times.occurred")), "{run:?}\n{broken}");

    // A schema error: a sector that does not exist and an unknown field.
    let broken = good.replacen("sector: \"electricity\"", "sector: \"nuclear\"", 1).replacen("tlp: \"amber\"", "tlp: \"amber\"\ncolour: \"red\"", 1);
    std::fs::write(&file, &broken).unwrap();
    let run = cli.run(&["--lang", "ja", "report", "validate", &file]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains(&format!("line {}: sector: ", line_of(&broken, "sector:"))), "{run:?}");
    assert!(run.stderr.contains(&format!("line {}: colour: ", line_of(&broken, "colour:"))), "{run:?}");
    assert!(run.stderr.contains("正しくありません"), "{run:?}");

    // JSON: a missing required field is shown on its object's line.
    let json_file = cli.path("r.json");
    assert_eq!(cli.run(&["report", "new", "--format", "json", "-o", &json_file]).code, 0);
    let text = std::fs::read_to_string(&json_file).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["times"].as_object_mut().unwrap().remove("detected");
    v["indicators"] = serde_json::json!([{ "type": "indicator", "spec_version": "2.1", "id": "indicator--8e5a7ebd-0e90-4522-aa9c-c30cf5c1f9b3",
        "created": "2026-11-20T03:00:00.000Z", "modified": "2026-11-20T03:00:00.000Z", "pattern": "[ipv4-addr:value = ", "pattern_type": "stix", "valid_from": "2026-11-20T01:00:00.000Z" }]);
    let broken = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(&json_file, &broken).unwrap();
    let run = cli.run(&["report", "validate", &json_file]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains(&format!("line {}: times.detected: ", line_of(&broken, "\"times\""))), "{run:?}\n{broken}");
    // Fix the schema error: the STIX pattern error is found by Report::validate, on its line.
    v["times"]["detected"] = v["times"]["occurred"].clone();
    let broken = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(&json_file, &broken).unwrap();
    let run = cli.run(&["report", "validate", &json_file]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains(&format!("line {}: indicators[0].pattern: ", line_of(&broken, "\"pattern\""))), "{run:?}\n{broken}");

    // Not YAML at all, and no file.
    std::fs::write(&file, "title: [unclosed\n").unwrap();
    let run = cli.run(&["report", "validate", &file]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("line "), "{run:?}");
    let run = cli.run(&["report", "validate", &cli.path("missing.yaml")]);
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("Could not read"), "{run:?}");
}

//! Throughput of the anonymiser on ~10 KB reports.
//!
//! The descriptions are built from the corpus of the `anonymise_corpus`
//! test: the texts of one member and language are joined until they reach
//! 10 KB, so every report is full of identifiers to redact. Each run
//! anonymises the whole set repeatedly for about a second; the figure is
//! the median of the runs, in reports per second.
//!
//! `cargo bench -p isacx-server --bench anonymise`
//! (`ANONYMISE_BENCH_BYTES=200` measures short reports instead, which shows
//! the fixed cost per report.)
//!
//! Each member's patterns are compiled once, through the server's
//! [`ProfileCache`], as intake does; `ANONYMISE_BENCH_UNCACHED=1` compiles
//! them for every report instead (the cost the cache saves).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // bench

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use isacx_schemas::report::Report;
use isacx_server::anonymise::{
    anonymise, anonymise_compiled, AnonymiseOptions, MemberProfile, ProfileCache, SharingBody,
};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

const PROFILES: &str = include_str!("../tests/fixtures/anonymise/corpus/profiles.json");
const REPORTS: &str = include_str!("../tests/fixtures/anonymise/corpus/reports.jsonl");
const TARGET_BYTES: usize = 10 * 1024;
const RUNS: usize = 7;
const RUN_TIME: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
struct CorpusProfile {
    sector: String,
    #[serde(flatten)]
    profile: MemberProfile,
}

#[derive(Deserialize)]
struct Entry {
    id: String,
    profile: String,
    lang: String,
    title: String,
    description: String,
    #[serde(default)]
    follow_up_contact: Option<Value>,
}

/// One ~10 KB report per corpus entry: its own text first, then the other
/// texts of the same member and language, round and round.
fn reports(
    profiles: &BTreeMap<String, CorpusProfile>,
    target_bytes: usize,
) -> Vec<(Report, String)> {
    let entries: Vec<Entry> = REPORTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("reports.jsonl"))
        .collect();
    entries
        .iter()
        .map(|entry| {
            let same: Vec<&Entry> = entries
                .iter()
                .filter(|e| e.profile == entry.profile && e.lang == entry.lang)
                .collect();
            let start = same.iter().position(|e| e.id == entry.id).unwrap_or(0);
            let separator = "\n\n";
            let mut description = String::new();
            let mut n = start;
            while description.len() < target_bytes {
                let e = same[n % same.len()];
                if !description.is_empty() {
                    description.push_str(separator);
                }
                description.push_str(&e.title);
                description.push('\n');
                description.push_str(&e.description);
                n += 1;
            }
            let sector = &profiles[&entry.profile].sector;
            let mut value = json!({
                "id": Uuid::new_v5(&Uuid::NAMESPACE_URL, entry.id.as_bytes()).to_string(),
                "created": "2026-11-20T03:20:00.123Z",
                "modified": "2026-11-20T04:00:00Z",
                "kind": "incident",
                "lang": entry.lang,
                "title": entry.title,
                "description": description,
                "sector": sector,
                "tlp": "amber",
                "attribution": "anonymous",
                "times": { "detected": "2026-11-20T02:34:56Z" }
            });
            if let Some(contact) = &entry.follow_up_contact {
                value["follow_up_contact"] = contact.clone();
            }
            (
                serde_json::from_value(value).expect("report"),
                entry.profile.clone(),
            )
        })
        .collect()
}

fn main() {
    let profiles: BTreeMap<String, CorpusProfile> =
        serde_json::from_str(PROFILES).expect("profiles.json");
    let target_bytes = std::env::var("ANONYMISE_BENCH_BYTES")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(TARGET_BYTES);
    let reports = reports(&profiles, target_bytes);
    let options = AnonymiseOptions::new(
        SharingBody {
            identity_id: "identity--7f3e2d1c-0b9a-4876-a543-210fedcba987".to_owned(),
            name: "ISAC".to_owned(),
        },
        10,
    );
    let bytes: usize = reports.iter().map(|(r, _)| r.description.len()).sum();
    println!(
        "anonymise: {} reports, description {}..{} bytes (mean {})",
        reports.len(),
        reports
            .iter()
            .map(|(r, _)| r.description.len())
            .min()
            .unwrap_or(0),
        reports
            .iter()
            .map(|(r, _)| r.description.len())
            .max()
            .unwrap_or(0),
        bytes / reports.len().max(1)
    );

    let uncached = std::env::var_os("ANONYMISE_BENCH_UNCACHED").is_some();
    println!(
        "member patterns: {}",
        if uncached {
            "compiled for every report"
        } else {
            "compiled once per member (ProfileCache)"
        }
    );
    let cache = ProfileCache::default();
    let pass = || {
        for (report, profile) in &reports {
            let member = &profiles[profile].profile;
            let result = if uncached {
                anonymise(black_box(report), member, &options)
            } else {
                let compiled = cache.get(profile, member.clone()).expect("compile");
                anonymise_compiled(black_box(report), &compiled, &options)
            }
            .expect("anonymise");
            black_box(result);
        }
    };
    pass(); // warm up (static regexes, caches)

    let mut rates = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let started = Instant::now();
        let mut done = 0usize;
        while started.elapsed() < RUN_TIME {
            pass();
            done += reports.len();
        }
        let secs = started.elapsed().as_secs_f64();
        let rate = done as f64 / secs;
        println!(
            "  run {run}: {done} reports in {secs:.3} s = {rate:.1} reports/s ({:.2} MB/s)",
            rate * (bytes as f64 / reports.len() as f64) / 1e6
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "anonymise {} byte reports: median {median:.1} reports/s ({:.2} ms/report, {:.2} MB/s) over {RUNS} runs",
        target_bytes,
        1000.0 / median,
        median * (bytes as f64 / reports.len() as f64) / 1e6
    );
}

//! Parses and validates a 10,000-indicator bundle, the size of a large feed
//! pull, and prints throughput. Plain harness so it needs no extra crates:
//! `cargo bench -p isacx-schemas`.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use isacx_schemas::pattern::parse_pattern;
use isacx_schemas::stix::{bundle_from_str, Bundle, Identity, Indicator, StixObject};
use isacx_schemas::tlp::Tlp;

const INDICATORS: usize = 10_000;

fn feed_bundle() -> Bundle {
    let identity = Identity::new("Example ISAC", "organization");
    let mut objects: Vec<StixObject> = Vec::with_capacity(INDICATORS + 2);
    for n in 0..INDICATORS {
        let mut indicator = match n % 4 {
            0 => Indicator::for_ipv4(&format!("198.51.{}.{}", n / 256 % 256, n % 256)),
            1 => Indicator::for_domain(&format!("c2-{n}.example.com")),
            2 => Indicator::for_url(&format!("https://c2-{n}.example.com/gate.php?id={n}")),
            _ => Indicator::for_file_hash("SHA-256", &format!("{n:064x}")),
        };
        indicator.common.created_by_ref = Some(identity.common.id.clone());
        indicator.common.object_marking_refs = vec![Tlp::Green.marking_id().into()];
        indicator.common.confidence = Some(80);
        objects.push(indicator.into());
    }
    objects.push(identity.into());
    objects.push(Tlp::Green.marking_definition().into());
    Bundle::new(objects)
}

/// Runs `work` repeatedly for at least `budget` and returns the mean time.
fn measure(
    budget: Duration,
    mut work: impl FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<Duration, Box<dyn Error>> {
    work()?; // warm-up
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < budget || runs < 3 {
        work()?;
        runs += 1;
    }
    Ok(start.elapsed() / runs)
}

fn report(label: &str, per_run: Duration, objects: usize, bytes: usize) {
    let seconds = per_run.as_secs_f64();
    println!(
        "{label:<34} {:>9.1} ms/bundle {:>11.0} objects/s {:>8.1} MB/s",
        seconds * 1e3,
        objects as f64 / seconds,
        bytes as f64 / seconds / 1e6
    );
}

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo test --benches` runs benches with --test/--bench flags; keep it quick then.
    let quick = std::env::args().any(|arg| arg == "--test");
    let budget = if quick {
        Duration::ZERO
    } else {
        Duration::from_secs(5)
    };

    let text = serde_json::to_string(&feed_bundle())?;
    let objects = INDICATORS + 2;
    println!(
        "bundle: {objects} objects ({INDICATORS} indicators), {:.2} MB of JSON",
        text.len() as f64 / 1e6
    );

    let full = measure(budget, || {
        let bundle = bundle_from_str(black_box(&text)).map_err(|errors| format!("{errors:?}"))?;
        black_box(bundle);
        Ok(())
    })?;
    report(
        "parse + validate (bundle_from_str)",
        full,
        objects,
        text.len(),
    );

    let parse_only = measure(budget, || {
        black_box(Bundle::from_json(black_box(&text))?);
        Ok(())
    })?;
    report(
        "parse only (Bundle::from_json)",
        parse_only,
        objects,
        text.len(),
    );

    let bundle = Bundle::from_json(&text)?;
    let validate_only = measure(budget, || {
        let errors = black_box(&bundle).validate();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{errors:?}").into())
        }
    })?;
    report(
        "validate only (Bundle::validate)",
        validate_only,
        objects,
        text.len(),
    );

    let patterns: Vec<&str> = bundle
        .objects
        .iter()
        .filter_map(|object| match object {
            StixObject::Indicator(indicator) => Some(indicator.pattern.as_str()),
            _ => None,
        })
        .collect();
    let pattern_bytes: usize = patterns.iter().map(|p| p.len()).sum();
    let pattern_only = measure(budget, || {
        for pattern in &patterns {
            black_box(parse_pattern(black_box(pattern))?);
        }
        Ok(())
    })?;
    report(
        "pattern parse only",
        pattern_only,
        patterns.len(),
        pattern_bytes,
    );
    Ok(())
}

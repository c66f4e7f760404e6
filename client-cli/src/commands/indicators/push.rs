//! `isacx indicators push`: indicators from a STIX bundle or a CSV list,
//! checked here first, then POSTed to a TAXII collection in batches.
//!
//! Everything is validated before anything is sent: one bad row stops the
//! push with its line number, so a list is never half-sent by mistake.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use isacx_schemas::stix::{object_from_json, Indicator, StixId, StixObject};
use isacx_schemas::taxii::Status;
use isacx_schemas::tlp::Tlp;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{CliError, InputKind};
use crate::i18n::Msg;
use crate::output;

/// Push indicators from a STIX 2.1 bundle or a CSV file
///
/// CSV rows are type,value[,tlp] (a header row `type,value,tlp` is optional).
/// Types: ipv4, ipv6, ip, domain, url, email, md5, sha1, sha256, sha512, hash.
/// Every row or object is checked before anything is sent. Analysts and
/// administrators may push; operators submit through reports instead.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A STIX bundle (.json) or a CSV file (.csv)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Collection alias or id
    #[arg(long, short = 'c', default_value = "all-sectors", value_name = "ALIAS", value_parser = super::collection_name)]
    pub collection: String,

    /// TLP for CSV rows that name none [default: the server's]
    #[arg(long, value_name = "LEVEL", value_parser = parse_tlp)]
    pub tlp: Option<Tlp>,

    /// Objects per request
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch_size: u32,
}

fn parse_tlp(s: &str) -> Result<Tlp, String> {
    s.parse::<Tlp>().map_err(|e| e.to_string())
}

pub async fn run(args: Args, ctx: &mut Ctx) -> Result<(), CliError> {
    let objects = read_input(&args.file, args.tlp)?;
    let (api, _cred) = ctx.authed_api()?;
    let path = super::objects_path(&args.collection);
    let (mut total, mut success) = (0u64, 0u64);
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut statuses = Vec::new();
    for batch in objects.chunks(args.batch_size as usize) {
        let body = json!({ "objects": batch }).to_string();
        let status: Status = api.taxii_post(&path, body).await?;
        total += status.total_count;
        success += status.success_count;
        for f in &status.failures {
            failures.push((f.id.to_string(), f.message.clone().unwrap_or_default()));
        }
        statuses.push(status.id);
    }
    let failure_lines: Vec<String> = failures
        .iter()
        .map(|(id, m)| format!("{id}: {m}"))
        .collect();
    if !failures.is_empty() {
        if !ctx.json() {
            output::stderr(
                &Msg::Pushed {
                    success,
                    total,
                    collection: args.collection.clone(),
                }
                .text(ctx.lang),
            );
        }
        return Err(CliError::PushRejected {
            failed: failures.len() as u64,
            total,
            failures: failure_lines,
        });
    }
    if ctx.json() {
        return output::json(&json!({
            "collection": args.collection,
            "total": total,
            "success": success,
            "failure": 0,
            "failures": [],
            "status_ids": statuses,
        }));
    }
    ctx.say(&Msg::Pushed {
        success,
        total,
        collection: args.collection,
    });
    Ok(())
}

/// The objects to send, all valid, or every problem with where it is.
pub fn read_input(path: &Path, default_tlp: Option<Tlp>) -> Result<Vec<Value>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::InputUnreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let looks_json = matches!(text.trim_start().chars().next(), Some('{' | '['));
    let (objects, problems, kind) = if is_csv || !looks_json {
        let (o, p) = from_csv(&text, default_tlp);
        (o, p, InputKind::IndicatorsCsv)
    } else {
        let (o, p) = from_stix(&text);
        (o, p, InputKind::StixBundle)
    };
    if !problems.is_empty() || objects.is_empty() {
        let problems = if problems.is_empty() {
            vec![match kind {
                InputKind::IndicatorsCsv => "no rows".to_owned(),
                _ => "no objects".to_owned(),
            }]
        } else {
            problems
        };
        return Err(CliError::InputInvalid {
            path: path.to_path_buf(),
            kind,
            problems,
        });
    }
    Ok(objects)
}

fn from_stix(text: &str) -> (Vec<Value>, Vec<String>) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!(
                    "line {}, column {}: not JSON: {e}",
                    e.line(),
                    e.column()
                )],
            )
        }
    };
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("objects") {
            Some(Value::Array(items)) => items,
            _ => {
                return (
                    Vec::new(),
                    vec![
                        "expected a bundle: {\"type\": \"bundle\", \"objects\": [...]}".to_owned(),
                    ],
                )
            }
        },
        _ => return (Vec::new(), vec!["expected a bundle".to_owned()]),
    };
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let id = item
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        match object_from_json(item.clone()) {
            Ok(_) => objects.push(item),
            Err(errors) => {
                for e in errors {
                    let at = if e.path.is_empty() {
                        format!("objects[{i}]")
                    } else {
                        format!("objects[{i}].{}", e.path)
                    };
                    let id = if id.is_empty() {
                        String::new()
                    } else {
                        format!(" ({id})")
                    };
                    problems.push(format!("{at}{id}: {}", e.message));
                }
            }
        }
    }
    (objects, problems)
}

fn from_csv(text: &str, default_tlp: Option<Tlp>) -> (Vec<Value>, Vec<String>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(n as u64 + 1, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        if n == 0 && field(0).eq_ignore_ascii_case("type") && field(1).eq_ignore_ascii_case("value")
        {
            continue;
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() < 2 || record.len() > 3 {
            problems.push(format!(
                "line {line}: expected type,value[,tlp], found {} column(s)",
                record.len()
            ));
            continue;
        }
        let tlp = match field(2) {
            "" => default_tlp,
            t => match t.parse::<Tlp>() {
                Ok(t) => Some(t),
                Err(e) => {
                    problems.push(format!("line {line}: {e}"));
                    continue;
                }
            },
        };
        match indicator_for(field(0), field(1)) {
            Ok(mut indicator) => {
                if let Some(t) = tlp {
                    indicator.common.object_marking_refs = vec![StixId::from(t.marking_id())];
                }
                let object = StixObject::from(indicator);
                let errors = object.validate();
                if !errors.is_empty() {
                    for e in errors {
                        problems.push(format!("line {line}: {}: {}", e.path, e.message));
                    }
                    continue;
                }
                match object.to_value() {
                    Ok(v) => objects.push(v),
                    Err(e) => problems.push(format!("line {line}: {e}")),
                }
            }
            Err(message) => problems.push(format!("line {line}: {message}")),
        }
    }
    (objects, problems)
}

fn is_ipv4(v: &str) -> bool {
    match v.split_once('/') {
        Some((a, n)) => a.parse::<Ipv4Addr>().is_ok() && n.parse::<u8>().is_ok_and(|n| n <= 32),
        None => v.parse::<Ipv4Addr>().is_ok(),
    }
}

fn is_ipv6(v: &str) -> bool {
    match v.split_once('/') {
        Some((a, n)) => a.parse::<Ipv6Addr>().is_ok() && n.parse::<u8>().is_ok_and(|n| n <= 128),
        None => v.parse::<Ipv6Addr>().is_ok(),
    }
}

fn is_domain(v: &str) -> bool {
    let v = v.strip_suffix('.').unwrap_or(v);
    v.contains('.')
        && v.len() <= 253
        && v.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

fn is_hex(v: &str, len: usize) -> bool {
    v.len() == len && v.chars().all(|c| c.is_ascii_hexdigit())
}

/// One indicator from a CSV row, or why the row is wrong.
pub fn indicator_for(kind: &str, value: &str) -> Result<Indicator, String> {
    if value.is_empty() {
        return Err("the value is empty".to_owned());
    }
    let bad = |what: &str| Err(format!("{value:?} is not {what}"));
    let kind = kind.to_ascii_lowercase();
    let hash = |alg: &str, len: usize, what: &str| {
        if is_hex(value, len) {
            Ok(Indicator::for_file_hash(alg, &value.to_ascii_lowercase()))
        } else {
            bad(what)
        }
    };
    match kind.as_str() {
        "ipv4" | "ipv4-addr" => if is_ipv4(value) { Ok(Indicator::for_ipv4(value)) } else { bad("an IPv4 address or CIDR block") },
        "ipv6" | "ipv6-addr" => if is_ipv6(value) { Ok(Indicator::for_ipv6(value)) } else { bad("an IPv6 address or CIDR block") },
        "ip" => {
            if is_ipv4(value) {
                Ok(Indicator::for_ipv4(value))
            } else if is_ipv6(value) {
                Ok(Indicator::for_ipv6(value))
            } else {
                bad("an IP address or CIDR block")
            }
        }
        "domain" | "domain-name" => if is_domain(value) { Ok(Indicator::for_domain(&value.to_lowercase())) } else { bad("a domain name") },
        "url" => match reqwest::Url::parse(value) {
            Ok(u) if u.has_host() => Ok(Indicator::for_url(value)),
            _ => bad("an absolute URL"),
        },
        "email" | "email-addr" => match value.split_once('@') {
            Some((l, d)) if !l.is_empty() && is_domain(d) => Ok(Indicator::for_email(value)),
            _ => bad("an e-mail address"),
        },
        "md5" => hash("MD5", 32, "an MD5 hash (32 hex digits)"),
        "sha1" | "sha-1" => hash("SHA-1", 40, "a SHA-1 hash (40 hex digits)"),
        "sha256" | "sha-256" => hash("SHA-256", 64, "a SHA-256 hash (64 hex digits)"),
        "sha512" | "sha-512" => hash("SHA-512", 128, "a SHA-512 hash (128 hex digits)"),
        "hash" => match value.len() {
            32 => hash("MD5", 32, "a hash"),
            40 => hash("SHA-1", 40, "a hash"),
            64 => hash("SHA-256", 64, "a hash"),
            128 => hash("SHA-512", 128, "a hash"),
            _ => bad("an MD5, SHA-1, SHA-256 or SHA-512 hash"),
        },
        other => Err(format!(
            "unknown type {other:?} (ipv4, ipv6, ip, domain, url, email, md5, sha1, sha256, sha512, hash)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_indicators_or_say_where_they_are_wrong() {
        let (objects, problems) = from_csv(
            "type,value,tlp\nipv4,198.51.100.7\ndomain,Evil.Example,amber\nsha256,zz\nfoo,bar\nipv4,1.2.3.4,purple\n",
            Some(Tlp::Green),
        );
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0]["pattern"], "[ipv4-addr:value = '198.51.100.7']");
        assert_eq!(
            objects[1]["pattern"],
            "[domain-name:value = 'evil.example']"
        );
        assert_eq!(
            objects[1]["object_marking_refs"][0],
            Tlp::Amber.marking_id()
        );
        assert_eq!(
            objects[0]["object_marking_refs"][0],
            Tlp::Green.marking_id()
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("line 4: "), "{problems:?}");
        assert!(
            problems[1].starts_with("line 5: unknown type"),
            "{problems:?}"
        );
        assert!(problems[2].starts_with("line 6: "), "{problems:?}");
    }

    #[test]
    fn bundles_are_checked_object_by_object() {
        let (objects, problems) = from_stix(
            r#"{"type":"bundle","id":"bundle--6a8e2b4c-1c5e-4a5e-9f5c-2b7f6c2b1a10","objects":[
              {"type":"indicator","spec_version":"2.1","id":"indicator--8e5a7ebd-0e90-4522-aa9c-c30cf5c1f9b3",
               "created":"2026-11-20T03:00:00.000Z","modified":"2026-11-20T03:00:00.000Z",
               "pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-11-20T01:00:00.000Z"}]}"#,
        );
        assert!(objects.is_empty());
        assert!(
            problems[0].starts_with("objects[0].pattern"),
            "{problems:?}"
        );
    }
}

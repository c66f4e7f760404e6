//! Output formats of `isacx indicators pull`, written object by object so a
//! pull of any size runs in the memory of one page.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use isacx_schemas::pattern::parse_pattern;
use isacx_schemas::tlp::Tlp;
use serde_json::Value;

use crate::error::CliError;
use crate::sink::Sink;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A STIX 2.1 bundle
    Stix,
    /// CSV: id,type,pattern_or_value,valid_from,valid_until,labels,tlp
    Csv,
    /// JSON lines: one STIX object per line
    Jsonl,
    /// IPv4 and IPv6 addresses and CIDR blocks, one per line
    Ip,
    /// Domain names, one per line
    Domain,
    /// URLs, one per line
    Url,
    /// File hashes, one per line
    Hash,
}

pub const CSV_HEADER: [&str; 7] = [
    "id",
    "type",
    "pattern_or_value",
    "valid_from",
    "valid_until",
    "labels",
    "tlp",
];

/// Turns pulled objects into the chosen format. Plain lists remember what
/// they wrote to leave out repeats (the one thing that grows with the pull).
pub struct Writer {
    format: Format,
    first: bool,
    seen: HashSet<String>,
    now: DateTime<Utc>,
    pub written: u64,
}

impl Writer {
    pub fn new(format: Format) -> Writer {
        Writer {
            format,
            first: true,
            seen: HashSet::new(),
            now: Utc::now(),
            written: 0,
        }
    }

    pub fn begin(&mut self, sink: &mut Sink) -> Result<(), CliError> {
        match self.format {
            Format::Stix => {
                let head = format!(
                    "{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[",
                    uuid::Uuid::new_v4()
                );
                sink.write_all(head.as_bytes())
            }
            Format::Csv => sink.write_all(&csv_record(&CSV_HEADER)?),
            _ => Ok(()),
        }
    }

    pub fn object(&mut self, object: &Value, sink: &mut Sink) -> Result<(), CliError> {
        match self.format {
            Format::Stix => {
                let text = to_json(object)?;
                let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
                self.first = false;
                sink.write_all(sep)?;
                sink.write_all(text.as_bytes())?;
                self.written += 1;
            }
            Format::Jsonl => {
                let mut text = to_json(object)?;
                text.push('\n');
                sink.write_all(text.as_bytes())?;
                self.written += 1;
            }
            Format::Csv => {
                if let Some(row) = csv_row(object) {
                    let refs: Vec<&str> = row.iter().map(String::as_str).collect();
                    sink.write_all(&csv_record(&refs)?)?;
                    self.written += 1;
                }
            }
            Format::Ip | Format::Domain | Format::Url | Format::Hash => {
                for value in list_values(object, self.format, self.now) {
                    if self.seen.insert(value.clone()) {
                        sink.write_all(value.as_bytes())?;
                        sink.write_all(b"\n")?;
                        self.written += 1;
                    }
                }
            }
        }
        Ok(())
    }

    pub fn end(&mut self, sink: &mut Sink) -> Result<(), CliError> {
        match self.format {
            Format::Stix => sink.write_all(if self.first { b"]}\n" } else { b"\n]}\n" }),
            _ => Ok(()),
        }
    }
}

fn to_json(v: &Value) -> Result<String, CliError> {
    serde_json::to_string(v).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })
}

fn csv_record(fields: &[&str]) -> Result<Vec<u8>, CliError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(fields).map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })?;
    w.into_inner().map_err(|e| CliError::Internal {
        detail: e.to_string(),
    })
}

fn str_of<'a>(o: &'a Value, key: &str) -> &'a str {
    o.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The TLP of an object, as `TLP:GREEN`; empty when it carries none.
pub fn tlp_of(o: &Value) -> String {
    let refs = o
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    Tlp::of_marking_refs(refs)
        .map(Tlp::marking_name)
        .unwrap_or_default()
}

/// The value of an observable: `value`, or a file's preferred hash.
fn sco_value(o: &Value) -> Option<String> {
    if let Some(v) = o.get("value").and_then(Value::as_str) {
        return Some(v.to_owned());
    }
    let hashes = o.get("hashes")?.as_object()?;
    for alg in ["SHA-256", "SHA-512", "SHA-1", "MD5"] {
        if let Some(h) = hashes.get(alg).and_then(Value::as_str) {
            return Some(h.to_owned());
        }
    }
    hashes.values().find_map(Value::as_str).map(str::to_owned)
}

fn csv_row(o: &Value) -> Option<Vec<String>> {
    let type_name = str_of(o, "type");
    let pattern_or_value = if type_name == "indicator" {
        str_of(o, "pattern").to_owned()
    } else {
        sco_value(o)?
    };
    let labels = o
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default();
    Some(vec![
        str_of(o, "id").to_owned(),
        type_name.to_owned(),
        pattern_or_value,
        str_of(o, "valid_from").to_owned(),
        str_of(o, "valid_until").to_owned(),
        labels,
        tlp_of(o),
    ])
}

fn wanted(format: Format, object_type: &str, property: &str) -> bool {
    match format {
        Format::Ip => matches!(object_type, "ipv4-addr" | "ipv6-addr") && property == "value",
        Format::Domain => object_type == "domain-name" && property == "value",
        Format::Url => object_type == "url" && property == "value",
        Format::Hash => object_type == "file" && property.starts_with("hashes."),
        _ => false,
    }
}

fn normalise(format: Format, value: &str) -> String {
    match format {
        Format::Domain | Format::Hash => value.trim().to_ascii_lowercase(),
        _ => value.trim().to_owned(),
    }
}

/// What an object contributes to a plain list: the values of simple
/// indicator patterns (never of revoked or expired indicators) and of
/// observables.
pub fn list_values(o: &Value, format: Format, now: DateTime<Utc>) -> Vec<String> {
    if o.get("revoked").and_then(Value::as_bool) == Some(true) {
        return Vec::new();
    }
    let type_name = str_of(o, "type");
    if type_name == "indicator" {
        if let Some(until) = o
            .get("valid_until")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            if until <= now {
                return Vec::new();
            }
        }
        if str_of(o, "pattern_type") != "stix" {
            return Vec::new();
        }
        let Ok(pattern) = parse_pattern(str_of(o, "pattern")) else {
            return Vec::new();
        };
        return pattern
            .simple_observables()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| wanted(format, &s.object_type, &s.property))
            .map(|s| normalise(format, &s.value))
            .filter(|v| !v.is_empty())
            .collect();
    }
    if format == Format::Hash && type_name == "file" {
        return o
            .get("hashes")
            .and_then(Value::as_object)
            .map(|h| {
                h.values()
                    .filter_map(Value::as_str)
                    .map(|v| normalise(format, v))
                    .collect()
            })
            .unwrap_or_default();
    }
    if wanted(format, type_name, "value") {
        if let Some(v) = o.get("value").and_then(Value::as_str) {
            return vec![normalise(format, v)];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_take_simple_patterns_and_observables_only() {
        let now = Utc::now();
        let ind = |p: &str| json!({"type": "indicator", "pattern": p, "pattern_type": "stix"});
        assert_eq!(
            list_values(
                &ind("[ipv4-addr:value = '198.51.100.1' OR ipv6-addr:value = '2001:db8::1']"),
                Format::Ip,
                now
            ),
            ["198.51.100.1", "2001:db8::1"]
        );
        // AND: the values alone do not describe the match.
        assert!(list_values(
            &ind("[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value = '198.51.100.2']"),
            Format::Ip,
            now
        )
        .is_empty());
        let mut revoked = ind("[domain-name:value = 'evil.example']");
        assert_eq!(list_values(&revoked, Format::Domain, now), ["evil.example"]);
        revoked["revoked"] = json!(true);
        assert!(list_values(&revoked, Format::Domain, now).is_empty());
        let mut expired = ind("[url:value = 'http://evil.example/x']");
        expired["valid_until"] = json!("2000-01-01T00:00:00Z");
        assert!(list_values(&expired, Format::Url, now).is_empty());
        assert_eq!(
            list_values(&ind("[file:hashes.'SHA-256' = 'AB12']"), Format::Hash, now),
            ["ab12"]
        );
        let sco = json!({"type": "ipv4-addr", "id": "ipv4-addr--x", "value": "203.0.113.9"});
        assert_eq!(list_values(&sco, Format::Ip, now), ["203.0.113.9"]);
        assert!(list_values(&sco, Format::Domain, now).is_empty());
    }

    #[test]
    fn csv_rows() {
        let o = json!({"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '1.2.3.4']",
            "valid_from": "2026-01-01T00:00:00Z", "labels": ["a", "b"],
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]});
        let row = csv_row(&o).unwrap();
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        assert_eq!(
            String::from_utf8(csv_record(&refs).unwrap()).unwrap(),
            "indicator--1,indicator,[ipv4-addr:value = '1.2.3.4'],2026-01-01T00:00:00Z,,a;b,TLP:GREEN\n"
        );
    }
}

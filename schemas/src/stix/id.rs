//! STIX identifiers (`<type>--<uuid>`, STIX 2.1 §2.9) and deterministic SCO ids.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Namespace for deterministic (UUIDv5) SCO identifiers, STIX 2.1 §2.9.
pub const SCO_ID_NAMESPACE: Uuid = Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// A STIX identifier such as `indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`.
///
/// Holds any string so that objects from peers round-trip unchanged; syntax is
/// checked by validation ([`StixId::parse_parts`]), not by deserialisation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StixId(String);

impl StixId {
    /// A fresh random (UUIDv4) id, as SDOs, SROs and bundles use.
    pub fn new_v4(type_name: &str) -> Self {
        Self(format!("{type_name}--{}", Uuid::new_v4()))
    }

    /// Joins a type and a UUID.
    pub fn from_parts(type_name: &str, uuid: Uuid) -> Self {
        Self(format!("{type_name}--{uuid}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The type prefix (text before `--`), if any.
    pub fn type_prefix(&self) -> Option<&str> {
        self.0.split_once("--").map(|(prefix, _)| prefix)
    }

    /// Splits into type prefix and UUID, or says what is wrong with the syntax.
    pub fn parse_parts(&self) -> Result<(&str, Uuid), String> {
        let (prefix, uuid_text) = self
            .0
            .split_once("--")
            .ok_or_else(|| format!("{:?} is not of the form <type>--<uuid>", self.0))?;
        if !is_valid_type_name(prefix) {
            return Err(format!(
                "{:?} has an invalid type prefix {prefix:?}",
                self.0
            ));
        }
        // The hyphenated 36-character form only: Uuid::parse_str also accepts
        // braces, URNs and the simple form, which STIX does not.
        let hyphens_at = [8, 13, 18, 23];
        let well_formed = uuid_text.len() == 36
            && uuid_text.char_indices().all(|(i, c)| {
                if hyphens_at.contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        let uuid = Uuid::parse_str(uuid_text)
            .ok()
            .filter(|_| well_formed)
            .ok_or_else(|| format!("{:?} does not end in an RFC 4122 UUID", self.0))?;
        if uuid.get_variant() != uuid::Variant::RFC4122 {
            return Err(format!("{:?} does not end in an RFC 4122 UUID", self.0));
        }
        Ok((prefix, uuid))
    }
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StixId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for StixId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for StixId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl PartialEq<str> for StixId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for StixId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// STIX type names: `^[a-z][a-z0-9-]+[a-z0-9]$`, 3–250 characters, no `--`
/// (STIX 2.1 §3.1).
pub fn is_valid_type_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=250).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[bytes.len() - 1] != b'-'
        && !name.contains("--")
}

/// The id-contributing properties of each SCO type (STIX 2.1 §6, as the
/// OASIS Python library computes them). `None` for types we do not know.
pub fn id_contributing_properties(type_name: &str) -> Option<&'static [&'static str]> {
    Some(match type_name {
        "ipv4-addr" | "ipv6-addr" | "mac-addr" | "domain-name" | "url" | "email-addr" => &["value"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "network-traffic" => &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        "autonomous-system" => &["number"],
        "x509-certificate" => &["hashes", "serial_number"],
        "email-message" => &["from_ref", "subject", "body"],
        "artifact" => &["hashes", "payload_bin"],
        "directory" => &["path"],
        "mutex" => &["name"],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        _ => return None,
    })
}

/// Picks the single hash that contributes to an SCO id: MD5, SHA-1, SHA-256,
/// SHA-512 in that order, else the first one listed (as the OASIS library does).
fn choose_one_hash(hashes: &Map<String, Value>) -> Option<Map<String, Value>> {
    let key = ["MD5", "SHA-1", "SHA-256", "SHA-512"]
        .into_iter()
        .find(|k| hashes.contains_key(*k))
        .map(str::to_owned)
        .or_else(|| hashes.keys().next().cloned())?;
    let value = hashes.get(&key)?.clone();
    let mut one = Map::new();
    one.insert(key, value);
    Some(one)
}

/// The deterministic id an SCO of `type_name` with these properties should
/// carry: UUIDv5 over the RFC 8785 canonical JSON of its id-contributing
/// properties. `None` for unknown types or when no contributing property is
/// present (the object then uses a UUIDv4).
pub fn deterministic_sco_id(type_name: &str, properties: &Map<String, Value>) -> Option<StixId> {
    let contributing = id_contributing_properties(type_name)?;
    let mut name = Map::new();
    for key in contributing {
        let Some(value) = properties.get(*key) else {
            continue;
        };
        if *key == "hashes" {
            if let Some(one) = value.as_object().and_then(choose_one_hash) {
                name.insert((*key).to_owned(), Value::Object(one));
            }
        } else {
            name.insert((*key).to_owned(), value.clone());
        }
    }
    if name.is_empty() {
        return None;
    }
    let canonical = serde_json_canonicalizer::to_string(&Value::Object(name)).ok()?;
    let uuid = Uuid::new_v5(&SCO_ID_NAMESPACE, canonical.as_bytes());
    Some(StixId::from_parts(type_name, uuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id_of(type_name: &str, props: Value) -> String {
        let Value::Object(map) = props else { panic!() };
        deterministic_sco_id(type_name, &map).unwrap().to_string()
    }

    #[test]
    fn oasis_test_vectors() {
        assert_eq!(
            id_of("ipv4-addr", json!({"value": "198.51.100.3"})),
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
        );
        assert_eq!(
            id_of("domain-name", json!({"value": "example.com"})),
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"
        );
        assert_eq!(
            id_of("email-addr", json!({"value": "jdoe@example.com"})),
            "email-addr--6deb37bd-12b7-54ae-805f-5f7146f3d171"
        );
    }

    #[test]
    fn id_syntax() {
        assert!(
            StixId::from("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
                .parse_parts()
                .is_ok()
        );
        for bad in [
            "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f",
            "indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}",
            "indicator--8e2e2d2b-17d4-4cbf-138f-98ee46b3cd3f",
        ] {
            assert!(StixId::from(bad).parse_parts().is_err(), "{bad}");
        }
    }
}

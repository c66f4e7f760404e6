//! STIX timestamps (STIX 2.1 §2.16.1).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Fewest fractional-second digits we emit: STIX requires millisecond
/// precision for `created`/`modified`, and the OASIS validator rejects less.
const MIN_EMITTED_DIGITS: u8 = 3;
/// chrono keeps nanoseconds, so nine digits is all we can carry losslessly.
const MAX_DIGITS: u8 = 9;

/// An RFC 3339 UTC timestamp as STIX writes it: `2024-01-02T03:04:05.000Z`.
///
/// Remembers how many fractional digits it was given so that a timestamp
/// received with microseconds is passed on with microseconds (a version is
/// identified by `modified`, so changing its text would fork the version),
/// while never emitting fewer than three digits. Equality and ordering
/// compare the instant only.
#[derive(Debug, Clone, Copy)]
pub struct StixTimestamp {
    instant: DateTime<Utc>,
    fraction_digits: u8,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid STIX timestamp {input:?}: {reason} (expected YYYY-MM-DDTHH:MM:SS[.s+]Z)")]
pub struct TimestampError {
    /// The text that failed to parse.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl StixTimestamp {
    /// The current time at millisecond precision, as new objects need.
    pub fn now() -> Self {
        Self::from_datetime_millis(Utc::now())
    }

    /// Wraps an instant, keeping only milliseconds (the STIX default precision).
    pub fn from_datetime_millis(instant: DateTime<Utc>) -> Self {
        let millis = instant.nanosecond() / 1_000_000 * 1_000_000;
        let instant = instant.with_nanosecond(millis).unwrap_or(instant);
        Self {
            instant,
            fraction_digits: MIN_EMITTED_DIGITS,
        }
    }

    /// Wraps an instant, keeping its full nanosecond precision.
    pub fn from_datetime_nanos(instant: DateTime<Utc>) -> Self {
        Self {
            instant,
            fraction_digits: MAX_DIGITS,
        }
    }

    /// The instant this timestamp denotes.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.instant
    }

    /// Number of fractional-second digits received (0 when there were none).
    pub fn fraction_digits(&self) -> u8 {
        self.fraction_digits
    }

    /// Whether the text received carried at least milliseconds, which STIX
    /// requires for `created` and `modified`.
    pub fn had_millisecond_precision(&self) -> bool {
        self.fraction_digits >= MIN_EMITTED_DIGITS
    }

    /// Parses the strict STIX form; only `Z` (UTC) is accepted as the offset.
    pub fn parse(input: &str) -> Result<Self, TimestampError> {
        let fail = |reason| TimestampError {
            input: input.to_owned(),
            reason,
        };
        let bytes = input.as_bytes();
        if bytes.len() < 20 {
            return Err(fail("too short"));
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let slice = bytes.get(range)?;
            if slice.iter().all(u8::is_ascii_digit) {
                Some(
                    slice
                        .iter()
                        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')),
                )
            } else {
                None
            }
        };
        let separators_ok = bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b'T'
            && bytes[13] == b':'
            && bytes[16] == b':';
        if !separators_ok {
            return Err(fail("wrong separators"));
        }
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
            digits(0..4),
            digits(5..7),
            digits(8..10),
            digits(11..13),
            digits(14..16),
            digits(17..19),
        ) else {
            return Err(fail("non-digit in date or time"));
        };
        let rest = &bytes[19..];
        let (fraction, tail) = match rest.first() {
            Some(b'.') => {
                let count = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if count == 0 {
                    return Err(fail("empty fractional seconds"));
                }
                (&rest[1..=count], &rest[1 + count..])
            }
            _ => (&rest[..0], rest),
        };
        if tail != b"Z" {
            return Err(fail("must end in Z (UTC)"));
        }
        if fraction.len() > usize::from(MAX_DIGITS) {
            return Err(fail("more than nanosecond precision"));
        }
        let mut nanos = 0u32;
        for (position, digit) in fraction.iter().enumerate() {
            nanos += u32::from(digit - b'0') * 10u32.pow(8 - position as u32);
        }
        let date =
            NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| fail("no such date"))?;
        let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
            .filter(|_| second < 60)
            .ok_or_else(|| fail("no such time of day"))?;
        Ok(Self {
            instant: NaiveDateTime::new(date, time).and_utc(),
            fraction_digits: fraction.len() as u8,
        })
    }
}

/// Writes `value` as exactly `out.len()` decimal digits (zero-padded; the
/// caller keeps it in range).
fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl fmt::Display for StixTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.instant;
        let digits = usize::from(self.fraction_digits.clamp(MIN_EMITTED_DIGITS, MAX_DIGITS));
        if let Ok(year @ 0..=9999) = u32::try_from(t.year()) {
            // Every stored object writes several timestamps: digits by hand,
            // not through the formatting machinery (a tenth of ingest's time).
            let mut text = *b"0000-00-00T00:00:00.000000000Z";
            put_digits(&mut text[0..4], year);
            put_digits(&mut text[5..7], t.month());
            put_digits(&mut text[8..10], t.day());
            put_digits(&mut text[11..13], t.hour());
            put_digits(&mut text[14..16], t.minute());
            put_digits(&mut text[17..19], t.second());
            put_digits(&mut text[20..29], t.nanosecond() % 1_000_000_000);
            text[20 + digits] = b'Z';
            let text = std::str::from_utf8(&text[..21 + digits]).map_err(|_| fmt::Error)?;
            return f.write_str(text);
        }
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        let nine = format!("{:09}", t.nanosecond() % 1_000_000_000);
        write!(f, ".{}Z", &nine[..digits])
    }
}

impl FromStr for StixTimestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<DateTime<Utc>> for StixTimestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::from_datetime_nanos(instant)
    }
}

impl PartialEq for StixTimestamp {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}
impl Eq for StixTimestamp {}
impl PartialOrd for StixTimestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for StixTimestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.instant.cmp(&other.instant)
    }
}
impl std::hash::Hash for StixTimestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.instant.hash(state);
    }
}

impl Serialize for StixTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StixTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_digits_match_chrono() {
        for text in [
            "0000-01-01T00:00:00.000Z",
            "0999-12-31T23:59:59.999Z",
            "1970-01-01T00:00:00.000001Z",
            "2024-02-29T12:34:56.789012345Z",
            "9999-12-31T23:59:59.9Z",
            "2026-07-08T09:10:11.12345Z",
        ] {
            let t = StixTimestamp::parse(text).unwrap();
            let digits = usize::from(t.fraction_digits.max(MIN_EMITTED_DIGITS));
            let nine = t.instant.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
            assert_eq!(t.to_string(), format!("{}Z", &nine[..20 + digits]), "{text}");
        }
    }

    #[test]
    fn emits_at_least_milliseconds_and_keeps_more() {
        let cases = [
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z"),
            ("2024-01-02T03:04:05.1Z", "2024-01-02T03:04:05.100Z"),
            ("2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123Z"),
            ("2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.123456Z"),
            (
                "2024-01-02T03:04:05.123456789Z",
                "2024-01-02T03:04:05.123456789Z",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(StixTimestamp::parse(input).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn rejects_non_utc_and_garbage() {
        for bad in [
            "2024-01-02T03:04:05+00:00",
            "2024-01-02 03:04:05Z",
            "2024-13-02T03:04:05Z",
            "2024-02-30T03:04:05Z",
            "2024-01-02T24:04:05Z",
            "2024-01-02T03:04:60Z",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05.1234567891Z",
            "２０２４-01-02T03:04:05Z",
            "",
        ] {
            assert!(StixTimestamp::parse(bad).is_err(), "{bad}");
        }
    }
}

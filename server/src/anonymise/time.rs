//! Coarsening of times: starts are cut down to the hour or day, ends are
//! rounded up, so an interval never becomes empty or inverted.

use chrono::{DateTime, Utc};
use isacx_schemas::stix::StixTimestamp;

use super::TimeGranularity;

fn unit(granularity: TimeGranularity) -> Option<i64> {
    match granularity {
        TimeGranularity::None => None,
        TimeGranularity::Hour => Some(3_600),
        TimeGranularity::Day => Some(86_400),
    }
}

/// The start of the hour or day containing `t`.
pub(crate) fn floor(t: DateTime<Utc>, granularity: TimeGranularity) -> DateTime<Utc> {
    let Some(unit) = unit(granularity) else {
        return t;
    };
    let seconds = t.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(unit), 0).unwrap_or(t)
}

/// The end of the hour or day containing `t` (`t` itself on a boundary).
pub(crate) fn ceil(t: DateTime<Utc>, granularity: TimeGranularity) -> DateTime<Utc> {
    let Some(unit) = unit(granularity) else {
        return t;
    };
    let down = floor(t, granularity);
    if down == t {
        t
    } else {
        DateTime::from_timestamp(down.timestamp() + unit, 0).unwrap_or(t)
    }
}

/// STIX properties holding the start of something (cut down).
pub(crate) const START_KEYS: &[&str] = &[
    "created",
    "valid_from",
    "first_seen",
    "first_observed",
    "start_time",
    "published",
    "start",
    "ctime",
    "mtime",
    "atime",
    "date",
];
/// STIX properties holding the end of something (rounded up).
pub(crate) const END_KEYS: &[&str] = &[
    "modified",
    "valid_until",
    "last_seen",
    "last_observed",
    "stop_time",
    "end",
];

/// Coarsens a STIX timestamp text; `None` when it is not one or does not change.
pub(crate) fn coarsen_text(text: &str, key: &str, granularity: TimeGranularity) -> Option<String> {
    let parsed = StixTimestamp::parse(text).ok()?;
    let instant = parsed.as_datetime();
    let coarse = if END_KEYS.contains(&key) {
        ceil(instant, granularity)
    } else {
        floor(instant, granularity)
    };
    (coarse != instant).then(|| StixTimestamp::from_datetime_millis(coarse).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceil() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T13:45:10.5Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            floor(t, TimeGranularity::Hour).to_rfc3339(),
            "2026-11-25T13:00:00+00:00"
        );
        assert_eq!(
            ceil(t, TimeGranularity::Hour).to_rfc3339(),
            "2026-11-25T14:00:00+00:00"
        );
        assert_eq!(
            floor(t, TimeGranularity::Day).to_rfc3339(),
            "2026-11-25T00:00:00+00:00"
        );
        assert_eq!(floor(t, TimeGranularity::None), t);
        assert_eq!(
            coarsen_text(
                "2026-11-25T13:45:10.000Z",
                "valid_until",
                TimeGranularity::Day
            )
            .as_deref(),
            Some("2026-11-26T00:00:00.000Z")
        );
    }
}

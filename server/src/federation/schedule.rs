//! Sync schedules: cron strings (`sec min hour day month weekday`, seconds
//! optional), an empty string disables the peer's schedule.

use chrono::{DateTime, Utc};

/// Whether `schedule` is empty or a cron string croner understands.
pub fn check(schedule: &str) -> Result<(), String> {
    let schedule = schedule.trim();
    if schedule.is_empty() {
        return Ok(());
    }
    schedule
        .parse::<croner::Cron>()
        .map(|_| ())
        .map_err(|e| format!("`{schedule}` is not a cron string: {e}"))
}

/// The first firing strictly after `after`; None when disabled or invalid.
pub fn next_after(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let schedule = schedule.trim();
    if schedule.is_empty() {
        return None;
    }
    schedule
        .parse::<croner::Cron>()
        .ok()?
        .find_next_occurrence(&after, false)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_disables_and_bad_strings_are_named() {
        assert!(check("").is_ok());
        assert!(next_after("", Utc::now()).is_none());
        assert!(check("*/5 * * * * *").is_ok());
        let err = check("every tuesday").unwrap_err();
        assert!(err.contains("every tuesday"), "{err}");
        let now = Utc::now();
        let next = next_after("*/5 * * * * *", now).unwrap();
        assert!(next > now && next - now <= chrono::Duration::seconds(5));
    }
}

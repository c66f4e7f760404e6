//! `state.toml`, beside the credentials: where each pull stopped.
//!
//! One cursor per profile and collection: the `X-TAXII-Date-Added-Last` of
//! the last page whose output was durably written. It also remembers the
//! server it belongs to, so a profile pointed at another server starts over
//! instead of skipping that server's older objects. Written atomically like
//! the config (temp file, fsync, rename).
//!
//! ```toml
//! [profiles.prod.collections.all-sectors]
//! server = "https://isac.example.jp:8443"
//! added_after = "2026-11-25T12:00:00.123456Z"
//! updated_at = "2026-11-25T12:00:03Z"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{load_toml, write_toml, Paths};
use crate::error::CliError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileState>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileState {
    #[serde(default)]
    pub collections: BTreeMap<String, Cursor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    pub server: String,
    /// A TAXII timestamp, passed back verbatim as `added_after`.
    pub added_after: String,
    pub updated_at: DateTime<Utc>,
}

/// `state.toml` beside `credentials.toml`.
pub fn path(paths: &Paths) -> PathBuf {
    paths
        .credentials
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("state.toml")
}

impl State {
    pub fn load(path: &Path) -> Result<State, CliError> {
        load_toml(path)
    }

    pub fn cursor(&self, profile: &str, collection: &str, server: &str) -> Option<&Cursor> {
        self.profiles
            .get(profile)?
            .collections
            .get(collection)
            .filter(|c| c.server == server)
    }

    /// Re-reads the file and changes only this one cursor, so two pulls of
    /// different collections do not undo each other's progress.
    pub fn advance(
        path: &Path,
        profile: &str,
        collection: &str,
        server: &str,
        added_after: &str,
    ) -> Result<(), CliError> {
        let mut state = State::load(path)?;
        state
            .profiles
            .entry(profile.to_owned())
            .or_default()
            .collections
            .insert(
                collection.to_owned(),
                Cursor {
                    server: server.to_owned(),
                    added_after: added_after.to_owned(),
                    updated_at: Utc::now(),
                },
            );
        write_toml(path, &state, 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_per_profile_collection_and_server() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.toml");
        State::advance(
            &p,
            "prod",
            "all-sectors",
            "https://a",
            "2026-01-01T00:00:00.000001Z",
        )
        .unwrap();
        State::advance(
            &p,
            "prod",
            "public",
            "https://a",
            "2026-01-02T00:00:00.000001Z",
        )
        .unwrap();
        let s = State::load(&p).unwrap();
        assert_eq!(
            s.cursor("prod", "all-sectors", "https://a")
                .unwrap()
                .added_after,
            "2026-01-01T00:00:00.000001Z"
        );
        assert!(s.cursor("prod", "all-sectors", "https://b").is_none());
        assert!(s.cursor("other", "all-sectors", "https://a").is_none());
        assert_eq!(
            s.cursor("prod", "public", "https://a").unwrap().added_after,
            "2026-01-02T00:00:00.000001Z"
        );
    }
}
